//! Skills through a running server: `skills/list` finds the bundled, user and repo skills and
//! reports broken ones, `skills/config/write` turns one off in config.toml, and a thread's
//! model requests carry the list of enabled skills and the text of a skill attached to a turn.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::thread_id;
use super::live::until_turn_completed;
use crate::suite::serve::Client;

fn write_skill(dir: &std::path::Path, name: &str, description: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join("SKILL.md");
    std::fs::write(
        &file,
        format!("---\nname: {name}\ndescription: {description}\n---\n\nSteps for {name}.\n"),
    )
    .unwrap();
    file.display().to_string()
}

async fn list(client: &mut Client, id: u64, cwd: &str) -> Value {
    let answer = client
        .request(&json!({"id": id, "method": "skills/list", "params": {"cwds": [cwd]}}))
        .await;
    let entry = answer["result"]["data"][0].clone();
    assert!(entry.is_object(), "{answer}");
    entry
}

fn names_and_scopes(entry: &Value) -> Vec<(String, String, bool)> {
    entry["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skill| {
            (
                skill["name"].as_str().unwrap().to_owned(),
                skill["scope"].as_str().unwrap().to_owned(),
                skill["enabled"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The text of every message the model received in request `index`.
fn request_texts(live: &Live, index: usize) -> Vec<String> {
    let body = live.model.requests()[index].json.clone().unwrap();
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "message")
        .map(|item| item["content"][0]["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn skills_are_listed_switched_off_and_shown_to_the_model() {
    let live = Live::new().await;
    let home = live.folders.home();
    let work = std::path::Path::new(&live.work);
    let repo_skill = write_skill(&work.join(".codex/skills/deploy"), "deploy", "Ship it");
    write_skill(&home.join("skills/notes"), "notes", "Keep notes");
    std::fs::create_dir_all(home.join("skills/broken")).unwrap();
    std::fs::write(home.join("skills/broken/SKILL.md"), "no front matter\n").unwrap();
    let (_server, mut client) = live.serve().await;

    let entry = list(&mut client, 1, &live.work).await;
    assert_eq!(entry["cwd"], live.work.as_str());
    assert_eq!(
        names_and_scopes(&entry),
        vec![
            ("deploy".to_owned(), "repo".to_owned(), true),
            ("notes".to_owned(), "user".to_owned(), true),
            ("skill-creator".to_owned(), "system".to_owned(), true),
            ("skill-installer".to_owned(), "system".to_owned(), true),
        ]
    );
    assert_eq!(
        entry["errors"],
        json!([{
            "path": home.join("skills/broken/SKILL.md").display().to_string(),
            "message": "missing YAML frontmatter delimited by ---",
        }])
    );
    // The bundled skills are installed, icons and all, and the interface has every field.
    let creator = &entry["skills"][2];
    assert_eq!(creator["interface"]["displayName"], "Skill Creator");
    assert_eq!(creator["interface"]["brandColor"], Value::Null);
    let icon = creator["interface"]["iconLarge"].as_str().unwrap();
    assert!(std::path::Path::new(icon).is_file(), "{icon}");

    let answer = client
        .request(
            &json!({"id": 2, "method": "skills/config/write", "params": {
                "path": repo_skill, "enabled": false,
            }}),
        )
        .await;
    assert_eq!(
        answer["result"],
        json!({"effectiveEnabled": false}),
        "{answer}"
    );
    assert!(
        live.folders.read_user_config().ends_with(&format!(
            "\n[[skills.config]]\npath = \"{repo_skill}\"\nenabled = false\n"
        )),
        "{}",
        live.folders.read_user_config()
    );
    let entry = list(&mut client, 3, &live.work).await;
    assert_eq!(entry["skills"][0]["name"], "deploy");
    assert_eq!(entry["skills"][0]["enabled"], false);

    // A turn: the disabled skill is left out of the list the model gets; an attached skill
    // arrives whole, after the user's message.
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "using notes")));
    let started = live.start_thread(&mut client, 4, json!({})).await;
    let thread = thread_id(&started);
    let notes = home.join("skills/notes/SKILL.md").display().to_string();
    let answer = client
        .request(&json!({"id": 5, "method": "turn/start", "params": {
            "threadId": thread,
            "input": [
                {"type": "text", "text": "take notes"},
                {"type": "skill", "name": "notes", "path": notes},
            ],
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{answer}");
    until_turn_completed(&mut client).await;

    let texts = request_texts(&live, 0);
    let instructions = texts
        .iter()
        .find(|text| text.starts_with("# AGENTS.md instructions for"))
        .expect("the skills list is sent");
    assert!(instructions.contains("## Skills"), "{instructions}");
    assert!(instructions.contains(&format!("- notes: Keep notes (file: {notes})")));
    assert!(instructions.contains("- skill-creator: "));
    assert!(!instructions.contains("deploy"), "{instructions}");
    let last_two = &texts[texts.len() - 2..];
    assert_eq!(last_two[0], "take notes");
    assert_eq!(
        last_two[1],
        format!(
            "<skill>\n<name>notes</name>\n<path>{notes}</path>\n---\nname: notes\n\
             description: Keep notes\n---\n\nSteps for notes.\n\n</skill>"
        )
    );
}

#[tokio::test]
async fn skills_list_without_cwds_lists_for_the_server_cwd() {
    let live = Live::new().await;
    let (_server, mut client) = live.serve().await;
    let answer = client
        .request(&json!({"id": 1, "method": "skills/list", "params": {}}))
        .await;
    let data = answer["result"]["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{answer}");
    assert!(data[0]["cwd"].as_str().is_some_and(|cwd| !cwd.is_empty()));
    let names: Vec<_> = data[0]["skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|skill| skill["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"skill-installer"), "{names:?}");
}

#[tokio::test]
async fn extra_roots_must_be_absolute_for_the_cwds_asked_about() {
    let live = Live::new().await;
    let (_server, mut client) = live.serve().await;
    let cwd = live.work.clone();
    let answer = client
        .request(&json!({"id": 1, "method": "skills/list", "params": {
            "cwds": [cwd],
            "perCwdExtraUserRoots": [{"cwd": cwd, "extraUserRoots": ["rel/dir"]}],
        }}))
        .await;
    assert_eq!(
        answer,
        json!({"id": 1, "error": {"code": -32600, "message":
            "skills/list perCwdExtraUserRoots extraUserRoots paths must be absolute: rel/dir"}})
    );
    // Roots of a cwd that is not listed are ignored, relative or not.
    let answer = client
        .request(&json!({"id": 2, "method": "skills/list", "params": {
            "cwds": [cwd],
            "perCwdExtraUserRoots": [{"cwd": "elsewhere", "extraUserRoots": ["rel/dir"]}],
        }}))
        .await;
    assert!(answer["result"]["data"][0].is_object(), "{answer}");
}
