//! Hostile key paths: thousands of dotted parts once overflowed the server's stack (every client
//! lost its connection), and about a hundred made the user's whole `config.toml` unreadable after
//! an `ok`. They are refused now, and the server and the file live on.

use serde_json::json;

use super::Folders;
use super::write;

const TOO_DEEP: &str = "invalid keyPath: key path has more than 32 parts";

#[tokio::test]
async fn key_paths_too_deep_or_with_empty_parts_are_refused_and_the_server_lives_on() {
    let folders = Folders::new();
    folders.write_user_config("model = \"o3\"\n");
    let (_server, mut client) = folders.stdio().await;
    let huge = vec!["a"; 5000].join(".");
    let refused = |id: u64, message: &str| {
        json!({"id": id, "error": {
            "code": -32600,
            "message": message,
            "data": {"config_write_error_code": "configValidationError"},
        }})
    };

    client
        .check(write(1, &huge, json!(1), None), refused(1, TOO_DEEP))
        .await;
    client
        .check(
            write(2, &vec!["a"; 100].join("."), json!(1), None),
            refused(2, TOO_DEEP),
        )
        .await;
    client
        .check(
            write(3, "a..b", json!(1), None),
            refused(3, "invalid keyPath: key path has an empty part"),
        )
        .await;
    client
        .check(
            write(30, "../", json!(1), None),
            refused(30, "invalid keyPath: key path has an empty part"),
        )
        .await;
    client
        .check(
            json!({"id": 4, "method": "config/batchWrite", "params": {"edits": [
                {"keyPath": "model", "value": "gpt-5", "mergeStrategy": "replace"},
                {"keyPath": huge, "value": 1, "mergeStrategy": "replace"},
            ]}}),
            refused(4, TOO_DEEP),
        )
        .await;
    let answer = client
        .request(&json!({"id": 5, "method": "thread/start", "params": {
            "config": {huge.clone(): 1},
        }}))
        .await;
    assert_eq!(
        answer["error"]["message"],
        "invalid configuration: invalid config override: key path has more than 32 parts",
        "{}",
        client.report()
    );

    assert_eq!(folders.read_user_config(), "model = \"o3\"\n");
    let answer = client
        .request(&json!({"id": 6, "method": "config/read", "params": {}}))
        .await;
    assert_eq!(
        answer["result"]["config"]["model"],
        "o3",
        "{}",
        client.report()
    );
}
