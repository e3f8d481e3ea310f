//! `app/list` through a running server: empty while the `apps` feature is off; with it on,
//! the reference's errors for an account without a ChatGPT sign-in (at once, never a hang), and
//! for a ChatGPT account the backend's directory merged with the apps connected through the
//! `codex_apps` gateway, both served by the test MCP server (`--chatgpt-apps`).

use codex_test_support::jwt::chatgpt_claims;
use codex_test_support::jwt::fake_jwt;
use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::mcp::HttpServer;
use crate::suite::mcp::ServerLog;
use crate::suite::serve::Client;

fn list(id: u64, params: Value) -> Value {
    json!({"id": id, "method": "app/list", "params": params})
}

fn empty(id: u64) -> Value {
    json!({"id": id, "result": {"data": [], "nextCursor": null}})
}

fn refused(id: u64, code: i64, message: &str) -> Value {
    json!({"id": id, "error": {"code": code, "message": message}})
}

/// Starts a thread in `cwd` with `params` added and returns its id.
async fn start_thread(client: &mut Client, id: u64, cwd: &str, params: Value) -> String {
    let mut request = json!({"cwd": cwd});
    if let (Some(request), Some(params)) = (request.as_object_mut(), params.as_object()) {
        request.extend(params.clone());
    }
    let answer = client
        .request(&json!({"id": id, "method": "thread/start", "params": request}))
        .await;
    answer["result"]["thread"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no thread in {answer}\n{}", client.report()))
        .to_owned()
}

#[tokio::test]
async fn the_list_is_empty_while_the_feature_is_off() {
    let folders = Folders::new();
    let (_server, mut client) = folders.stdio().await;
    client.check(list(1, json!({})), empty(1)).await;
    // Off, nothing else is looked at: not the cursor, not the paging.
    client
        .check(
            list(2, json!({"cursor": "x", "limit": 1, "forceRefetch": true})),
            empty(2),
        )
        .await;
    // A thread id must still name a loaded thread.
    client
        .check(
            list(3, json!({"threadId": "bogus"})),
            refused(
                3,
                -32600,
                "invalid thread id: invalid character: expected an optional prefix of \
                 `urn:uuid:` followed by [0-9a-fA-F-], found `o` at 2",
            ),
        )
        .await;
    client
        .check(
            list(
                4,
                json!({"threadId": "00000000-0000-7000-8000-000000000000"}),
            ),
            refused(
                4,
                -32600,
                "thread not found: 00000000-0000-7000-8000-000000000000",
            ),
        )
        .await;
}

#[tokio::test]
async fn with_the_feature_on_an_account_without_chatgpt_is_refused() {
    let folders = Folders::new();
    folders.write_user_config("[features]\napps = true\n");
    let (_server, mut client) = folders.stdio().await;
    client
        .check(
            list(1, json!({})),
            refused(
                1,
                -32603,
                "failed to list apps: ChatGPT token not available",
            ),
        )
        .await;
    // The cursor's form is checked first.
    client
        .check(
            list(2, json!({"cursor": "x"})),
            refused(2, -32600, "invalid cursor: x"),
        )
        .await;

    client
        .check(
            json!({"id": 3, "method": "account/login/start",
                   "params": {"type": "apiKey", "apiKey": "sk-test-key"}}),
            json!({"id": 3, "result": {"type": "apiKey"}}),
        )
        .await;
    client
        .check(
            list(4, json!({"forceRefetch": true})),
            refused(
                4,
                -32603,
                "failed to list apps: Token data is not available.",
            ),
        )
        .await;
}

#[tokio::test]
async fn a_thread_answers_by_its_own_config() {
    let folders = Folders::new();
    let work = tempfile::tempdir().unwrap();
    let cwd = work.path().display().to_string();
    let (_server, mut client) = folders.stdio().await;
    let with_apps = start_thread(
        &mut client,
        1,
        &cwd,
        json!({"config": {"features.apps": true}}),
    )
    .await;
    let without = start_thread(&mut client, 2, &cwd, json!({})).await;

    client
        .check(
            list(3, json!({"threadId": with_apps})),
            refused(
                3,
                -32603,
                "failed to list apps: ChatGPT token not available",
            ),
        )
        .await;
    client
        .check(list(4, json!({"threadId": without})), empty(4))
        .await;
    client.check(list(5, json!({})), empty(5)).await;
}

const ACCESS_TOKEN: &str = "chatgpt-access-token";
const ACCOUNT_ID: &str = "account-7";

/// Signs `folders` in as a ChatGPT account on `plan`, and turns the apps feature on with the
/// backend at `base_url`.
fn sign_in(folders: &Folders, plan: &str, base_url: &str) {
    let id_token = fake_jwt(&chatgpt_claims("user@example.com", plan, ACCOUNT_ID));
    let auth = json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {
            "id_token": id_token,
            "access_token": ACCESS_TOKEN,
            "refresh_token": "refresh",
            "account_id": ACCOUNT_ID,
        },
        // In the future, so that no refresh is due.
        "last_refresh": "2999-01-01T00:00:00Z",
    });
    std::fs::write(folders.home().join("auth.json"), auth.to_string()).unwrap();
    folders.write_user_config(&format!(
        "chatgpt_base_url = \"{base_url}\"\n\n[features]\napps = true\n"
    ));
}

/// The test server as the ChatGPT backend with `apps` (see `chatgpt_apps.rs` of the test
/// server), its gateway admitting only the account's token; returns it and the base URL.
async fn backend(folders: &Folders, apps: &Value) -> (HttpServer, ServerLog, String) {
    let file = folders.home().join("chatgpt-apps.json");
    std::fs::write(&file, apps.to_string()).unwrap();
    let log = ServerLog {
        path: folders.home().join("backend.jsonl"),
    };
    let file = file.display().to_string();
    let server = HttpServer::start(
        &log,
        &["--bearer", ACCESS_TOKEN, "--chatgpt-apps", file.as_str()],
    )
    .await;
    let origin = server
        .url
        .strip_suffix("/mcp")
        .unwrap_or_else(|| panic!("an unexpected url: {}", server.url))
        .to_owned();
    (server, log, format!("{origin}/backend-api"))
}

/// How many requests the backend saw, leaving out the gateway's session closes (`DELETE`),
/// which arrive whenever the connection that listed the tools is dropped.
fn asked(log: &ServerLog) -> usize {
    log.named("http")
        .iter()
        .filter(|event| event["method"] != "DELETE")
        .count()
}

/// The requests the backend saw for `path`, as their query strings.
fn queries(log: &ServerLog, path: &str) -> Vec<Value> {
    log.named("http")
        .into_iter()
        .filter(|event| event["path"] == path)
        .map(|event| event["query"].clone())
        .collect()
}

fn app(id: &str, name: &str, accessible: bool) -> Value {
    let slug = name.to_lowercase().replace(' ', "-");
    json!({
        "id": id, "name": name, "description": null, "logoUrl": null, "logoUrlDark": null,
        "distributionChannel": null, "installUrl": format!("https://chatgpt.com/apps/{slug}/{id}"),
        "isAccessible": accessible,
    })
}

#[tokio::test]
async fn a_chatgpt_account_sees_the_directory_merged_with_its_connected_apps() {
    let folders = Folders::new();
    let (_backend, log, base_url) = backend(
        &folders,
        &json!({
            "directory": [
                [
                    {"id": "a1", "name": "Alpha", "description": " "},
                    {"id": "h1", "name": "Hidden", "visibility": "HIDDEN"},
                ],
                [
                    {"id": "c1", "name": ""},
                    {"id": "connector_openai_x", "name": "Withheld"},
                ],
            ],
            "workspace": [{"id": "w1", "name": "Workspace Tool", "logoUrl": "w.png"}],
            "connectors": [{"id": "c1", "name": "Calendar"}, {"id": "g1", "name": "Gadget"}],
        }),
    )
    .await;
    sign_in(&folders, "team", &base_url);
    let (_server, mut client) = folders.stdio().await;

    // The directory's blank name gave the install link its slug before the name was known.
    let mut calendar = app("c1", "Calendar", true);
    calendar["installUrl"] = json!("https://chatgpt.com/apps/app/c1");
    let mut workspace_tool = app("w1", "Workspace Tool", false);
    workspace_tool["logoUrl"] = json!("w.png");
    let everything = json!([
        calendar,
        app("g1", "Gadget", true),
        app("a1", "Alpha", false),
        workspace_tool,
    ]);
    let answer = client.request(&list(1, json!({"limit": 2}))).await;
    assert_eq!(
        answer,
        json!({"id": 1, "result": {"data": everything.as_array().unwrap()[..2], "nextCursor": "2"}}),
        "{}",
        client.report()
    );
    // One update after each of the two loads; the last one holds everything.
    let first = client.next().await;
    let second = client.next().await;
    assert_eq!(first["method"], "app/list/updated", "{}", client.report());
    assert_eq!(second["method"], "app/list/updated", "{}", client.report());
    assert_eq!(second["params"]["data"], everything);

    let directory = "/backend-api/connectors/directory/list";
    assert_eq!(
        queries(&log, directory),
        vec![json!("tier=categorized"), json!("tier=categorized&token=1")]
    );
    for event in log.named("http") {
        if event["path"] != "/backend-api/wham/apps" && event["path"] != directory {
            continue;
        }
        assert_eq!(
            event["authorization"],
            format!("Bearer {ACCESS_TOKEN}"),
            "{event}"
        );
        assert_eq!(event["account_id"], ACCOUNT_ID, "{event}");
    }
    assert!(
        !queries(&log, "/backend-api/wham/apps").is_empty(),
        "the gateway was not asked"
    );

    // The next page comes from what was loaded; nothing is asked again.
    let asked_before = asked(&log);
    client
        .check(
            list(2, json!({"cursor": "2"})),
            json!({"id": 2, "result": {"data": everything.as_array().unwrap()[2..], "nextCursor": null}}),
        )
        .await;
    client
        .check(
            list(3, json!({"cursor": "5"})),
            refused(3, -32600, "cursor 5 exceeds total apps 4"),
        )
        .await;
    assert_eq!(asked(&log), asked_before);
    // Unless asked to refetch.
    let answer = client
        .request(&list(4, json!({"forceRefetch": true})))
        .await;
    assert_eq!(answer["result"]["data"], everything, "{}", client.report());
    assert_eq!(queries(&log, directory).len(), 4);
}

#[tokio::test]
async fn a_personal_plan_skips_the_workspace_apps_and_a_down_backend_fails_at_once() {
    let folders = Folders::new();
    let (backend, log, base_url) = backend(
        &folders,
        &json!({"directory": [[{"id": "a1", "name": "Alpha"}]], "connectors": []}),
    )
    .await;
    sign_in(&folders, "pro", &base_url);
    let (_server, mut client) = folders.stdio().await;
    let answer = client.request(&list(1, json!({}))).await;
    assert_eq!(
        answer["result"]["data"],
        json!([app("a1", "Alpha", false)]),
        "{}",
        client.report()
    );
    assert!(queries(&log, "/backend-api/connectors/directory/list_workspace").is_empty());

    drop(backend);
    let answer = client
        .request(&list(2, json!({"forceRefetch": true})))
        .await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert!(
        message.starts_with("failed to list apps: Failed to send request"),
        "{answer}"
    );
}
