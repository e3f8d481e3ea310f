//! `app/list` through a running server: empty while the `apps` feature is off, and with it on,
//! the reference's errors for an account without a ChatGPT sign-in (at once, never a hang).

use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
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
