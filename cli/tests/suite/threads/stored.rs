//! Stored threads: list, read (with turns rebuilt from the rollout), archive, unarchive and
//! names, over the reference's own rollouts.

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::install_samples;
use crate::suite::config::Folders;

/// A home holding every sample, and the samples' ids by name.
struct Stored {
    folders: Folders,
    samples: Vec<(String, String, std::path::PathBuf)>,
}

impl Stored {
    fn new(config: &str) -> Self {
        let folders = Folders::new();
        folders.write_user_config(config);
        let samples = install_samples(&folders.home());
        Self { folders, samples }
    }

    fn id(&self, sample: &str) -> &str {
        &self.sample(sample).1
    }

    fn path(&self, sample: &str) -> String {
        self.sample(sample).2.display().to_string()
    }

    fn sample(&self, sample: &str) -> &(String, String, std::path::PathBuf) {
        self.samples
            .iter()
            .find(|(name, _, _)| name == sample)
            .unwrap_or_else(|| panic!("no sample {sample}"))
    }
}

fn ids(answer: &Value) -> Vec<&str> {
    answer["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {answer}"))
        .iter()
        .map(|thread| thread["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn list_pages_newest_first_and_filters_by_provider() {
    let stored = Stored::new("model_provider = \"mock\"\n");
    let (_server, mut client) = stored.folders.stdio().await;
    // Newest first by creation; the archived sample is not listed.
    let newest_first = [
        "named-thread",
        "interrupted-turn",
        "compacted",
        "rollback",
        "apply-patch-turn",
        "exec-turn",
        "text-turn",
    ];
    let expected: Vec<&str> = newest_first.iter().map(|name| stored.id(name)).collect();

    let all = client
        .request(&json!({"id": 1, "method": "thread/list"}))
        .await;
    assert_eq!(ids(&all), expected, "{}", client.report());
    assert_eq!(all["result"]["nextCursor"], Value::Null);

    let mut paged = Vec::new();
    let mut cursor = Value::Null;
    for id in 2.. {
        let page = client
            .request(&json!({"id": id, "method": "thread/list", "params": {"limit": 3, "cursor": cursor}}))
            .await;
        paged.extend(ids(&page).into_iter().map(str::to_owned));
        cursor = page["result"]["nextCursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(paged, expected, "{}", client.report());

    let other = client
        .request(
            &json!({"id": 20, "method": "thread/list", "params": {"modelProviders": ["openai"]}}),
        )
        .await;
    assert_eq!(ids(&other), Vec::<&str>::new());
    let archived = client
        .request(&json!({"id": 21, "method": "thread/list", "params": {"archived": true, "modelProviders": []}}))
        .await;
    assert_eq!(ids(&archived), [stored.id("archived")]);

    let first = &all["result"]["data"][6];
    assert_eq!(
        (
            first["preview"].clone(),
            first["path"].clone(),
            first["source"].clone(),
            first["turns"].clone()
        ),
        (
            json!("say hello"),
            json!(stored.path("text-turn")),
            json!("vscode"),
            json!([])
        )
    );
    let exec = &all["result"]["data"][5];
    assert_eq!(
        exec["gitInfo"],
        json!({"sha": exec["gitInfo"]["sha"], "branch": "main", "originUrl": exec["gitInfo"]["originUrl"]})
    );
    assert!(exec["gitInfo"]["sha"].is_string(), "{exec}");
}

#[tokio::test]
async fn list_defaults_to_the_configured_provider() {
    // No provider configured: the default is openai, and every sample is the mock's.
    let stored = Stored::new("");
    let (_server, mut client) = stored.folders.stdio().await;
    let page = client
        .request(&json!({"id": 1, "method": "thread/list", "params": {}}))
        .await;
    assert_eq!(
        page,
        json!({"id": 1, "result": {"data": [], "nextCursor": null}})
    );
    let page = client
        .request(&json!({"id": 2, "method": "thread/list", "params": {"modelProviders": []}}))
        .await;
    assert_eq!(ids(&page).len(), 7, "{}", client.report());
}

#[tokio::test]
async fn read_rebuilds_turns_from_the_rollout() {
    let stored = Stored::new("model_provider = \"mock\"\n");
    let (_server, mut client) = stored.folders.stdio().await;
    let id = stored.id("text-turn");

    let bare = client
        .request(&json!({"id": 1, "method": "thread/read", "params": {"threadId": id}}))
        .await;
    let thread = &bare["result"]["thread"];
    assert_eq!(
        thread,
        &json!({
            "id": id,
            "preview": "say hello",
            "modelProvider": "mock",
            "createdAt": 1795484916,
            "updatedAt": thread["updatedAt"],
            "path": stored.path("text-turn"),
            "cwd": "/home/user/project",
            "cliVersion": "0.101.0",
            "source": "vscode",
            "gitInfo": null,
            "turns": [],
        }),
        "{}",
        client.report()
    );

    let full = client
        .request(&json!({"id": 2, "method": "thread/read", "params": {"threadId": id, "includeTurns": true}}))
        .await;
    assert_eq!(
        full["result"]["thread"]["turns"],
        json!([{
            "id": "01a20b3d-99e6-7eb3-a09c-fc9505d4745e",
            "items": [
                {"type": "userMessage", "id": "item-1", "content": [{"type": "text", "text": "say hello", "text_elements": []}]},
                {"type": "agentMessage", "id": "item-2", "text": "Hello from the mock model"},
            ],
            "status": "completed",
            "error": null,
        }])
    );

    let turns = |answer: &Value| {
        answer["result"]["thread"]["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|turn| {
                let items: Vec<String> = turn["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|item| {
                        format!(
                            "{} {}",
                            item["id"].as_str().unwrap(),
                            item["type"].as_str().unwrap()
                        )
                    })
                    .collect();
                (turn["status"].as_str().unwrap().to_owned(), items)
            })
            .collect::<Vec<_>>()
    };
    let read = |id: u64, sample: &str| json!({"id": id, "method": "thread/read", "params": {"threadId": stored.id(sample), "includeTurns": true}});
    let strings = |items: &[&str]| {
        items
            .iter()
            .map(|item| (*item).to_owned())
            .collect::<Vec<_>>()
    };

    let rolled_back = client.request(&read(3, "rollback")).await;
    assert_eq!(
        turns(&rolled_back),
        [(
            "completed".to_owned(),
            strings(&["item-1 userMessage", "item-2 agentMessage"])
        )]
    );
    let interrupted = client.request(&read(4, "interrupted-turn")).await;
    assert_eq!(
        turns(&interrupted),
        [(
            "interrupted".to_owned(),
            strings(&["item-1 userMessage", "item-2 agentMessage"])
        )]
    );
    let exec = client.request(&read(5, "exec-turn")).await;
    assert_eq!(
        turns(&exec),
        [(
            "completed".to_owned(),
            strings(&[
                "item-1 userMessage",
                "item-2 reasoning",
                "item-3 agentMessage"
            ])
        )]
    );
    let compacted = client.request(&read(6, "compacted")).await;
    assert_eq!(
        turns(&compacted),
        [
            (
                "completed".to_owned(),
                strings(&["item-1 userMessage", "item-2 agentMessage"])
            ),
            ("completed".to_owned(), Vec::new()),
            (
                "completed".to_owned(),
                strings(&["item-3 userMessage", "item-4 agentMessage"])
            ),
        ]
    );
    // An archived thread can be read too.
    let archived = client.request(&read(7, "archived")).await;
    assert_eq!(turns(&archived).len(), 1, "{}", client.report());
}

#[tokio::test]
async fn thread_ids_are_checked_in_the_reference_words() {
    let stored = Stored::new("");
    let (_server, mut client) = stored.folders.stdio().await;
    let unknown = "00000000-0000-7000-8000-000000000000";
    let error =
        |id: u64, message: String| json!({"id": id, "error": {"code": -32600, "message": message}});
    client
        .check(
            json!({"id": 1, "method": "thread/read", "params": {"threadId": "not-a-uuid"}}),
            error(1, "invalid thread id: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1".into()),
        )
        .await;
    client
        .check(
            json!({"id": 2, "method": "thread/read", "params": {"threadId": unknown}}),
            error(2, format!("thread not loaded: {unknown}")),
        )
        .await;
    client
        .check(
            json!({"id": 3, "method": "thread/archive", "params": {"threadId": unknown}}),
            error(3, format!("no rollout found for thread id {unknown}")),
        )
        .await;
    client
        .check(
            json!({"id": 4, "method": "thread/unarchive", "params": {"threadId": unknown}}),
            error(
                4,
                format!("no archived rollout found for thread id {unknown}"),
            ),
        )
        .await;
    client
        .check(
            json!({"id": 5, "method": "thread/loaded/list"}),
            json!({"id": 5, "result": {"data": [], "nextCursor": null}}),
        )
        .await;
}

#[tokio::test]
async fn archive_and_unarchive_move_the_rollout() {
    let stored = Stored::new("model_provider = \"mock\"\n");
    let (_server, mut client) = stored.folders.stdio().await;
    let id = stored.id("text-turn");
    let live = stored.path("text-turn");
    let file = std::path::Path::new(&live).file_name().unwrap().to_owned();
    let archived = stored.folders.home().join("archived_sessions").join(&file);

    client
        .check(
            json!({"id": 1, "method": "thread/archive", "params": {"threadId": id}}),
            json!({"id": 1, "result": {}}),
        )
        .await;
    assert!(archived.exists() && !std::path::Path::new(&live).exists());
    client
        .check(
            json!({"id": 2, "method": "thread/archive", "params": {"threadId": id}}),
            json!({"id": 2, "error": {"code": -32600, "message": format!("no rollout found for thread id {id}")}}),
        )
        .await;
    let listed = client
        .request(&json!({"id": 3, "method": "thread/list", "params": {"archived": true}}))
        .await;
    assert!(ids(&listed).contains(&id), "{}", client.report());

    let restored = client
        .request(&json!({"id": 4, "method": "thread/unarchive", "params": {"threadId": id}}))
        .await;
    assert_eq!(
        restored["result"]["thread"]["path"],
        json!(live),
        "{}",
        client.report()
    );
    assert_eq!(restored["result"]["thread"]["preview"], json!("say hello"));
    assert!(std::path::Path::new(&live).exists() && !archived.exists());
    client
        .check(
            json!({"id": 5, "method": "thread/unarchive", "params": {"threadId": id}}),
            json!({"id": 5, "error": {"code": -32600, "message": format!("no archived rollout found for thread id {id}")}}),
        )
        .await;
    let listed = client
        .request(&json!({"id": 6, "method": "thread/list"}))
        .await;
    assert!(ids(&listed).contains(&id), "{}", client.report());
}

#[tokio::test]
async fn a_new_name_is_stored_and_announced_after_the_answer() {
    let stored = Stored::new("");
    let (_server, mut client) = stored.folders.stdio().await;
    let id = stored.id("text-turn");
    client
        .send(&json!({"id": 1, "method": "thread/name/set", "params": {"threadId": id, "name": " Renamed "}}))
        .await;
    assert_eq!(client.next().await, json!({"id": 1, "result": {}}));
    assert_eq!(
        client.next().await,
        json!({"method": "thread/name/updated", "params": {"threadId": id, "threadName": "Renamed"}})
    );
    let index = std::fs::read_to_string(stored.folders.home().join("session_index.jsonl")).unwrap();
    let line: Value = serde_json::from_str(index.lines().last().unwrap()).unwrap();
    assert_eq!(
        (line["id"].as_str(), line["thread_name"].as_str()),
        (Some(id), Some("Renamed"))
    );
}

#[tokio::test]
async fn a_resumed_or_forked_thread_is_described_by_its_rollout() {
    let stored = Stored::new(
        "model_provider = \"mock\"\n\n[model_providers.mock]\nname = \"mock\"\n\
         base_url = \"http://127.0.0.1:9/v1\"\n",
    );
    let (_server, mut client) = stored.folders.stdio().await;
    let id = stored.id("exec-turn");
    let read = client
        .request(&json!({"id": 1, "method": "thread/read", "params": {"threadId": id}}))
        .await;
    let resumed = client
        .request(&json!({"id": 2, "method": "thread/resume", "params": {"threadId": id}}))
        .await;
    // What the rollout records, not the time of the resume or this server's own version.
    let described = |thread: &Value| {
        json!([
            thread["id"],
            thread["preview"],
            thread["modelProvider"],
            thread["createdAt"],
            thread["path"],
            thread["cwd"],
            thread["cliVersion"],
            thread["source"],
            thread["gitInfo"],
        ])
    };
    let thread = &resumed["result"]["thread"];
    assert_eq!(
        described(thread),
        described(&read["result"]["thread"]),
        "{}",
        client.report()
    );
    assert_eq!(thread["createdAt"], 1795484916);
    assert_eq!(thread["cliVersion"], "0.101.0");
    assert_eq!(
        thread["gitInfo"],
        json!({"sha": "9a762aa375a9c14df0a70ddfbc769471d9eda33d", "branch": "main",
               "originUrl": "https://github.com/example/project.git"})
    );

    // A fork is a new rollout, created now.
    let forked = client
        .request(&json!({"id": 3, "method": "thread/fork", "params": {"threadId": id}}))
        .await;
    let fork = &forked["result"]["thread"];
    assert_ne!(fork["id"], id, "{}", client.report());
    assert!(fork["createdAt"].as_i64() > Some(1795484916), "{fork}");
}
