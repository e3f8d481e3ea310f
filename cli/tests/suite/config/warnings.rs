//! A broken config file never stops the server: each client hears about it right after its
//! `initialize`, every client hears about a file that breaks later, and nothing is written over
//! a broken file.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::Folders;
use super::write;
use crate::suite::serve::Client;

const BROKEN: &str = "# c\nmodel = \"o3\"\nbroken = = \n";

#[tokio::test]
async fn a_broken_user_file_is_reported_after_initialize_and_left_alone() {
    let folders = Folders::new();
    folders.write_user_config(BROKEN);
    std::fs::write(folders.system().join("config.toml"), "model = 'system'\n").unwrap();
    let (_server, mut client) = folders.stdio().await;
    let file = folders.user_config().display().to_string();
    assert_eq!(
        client.next().await,
        json!({"method": "configWarning", "params": {
            "summary": format!("Invalid configuration in {file}; ignoring that file."),
            "details": format!("{file}:3:10: extra `=`, expected nothing"),
            "path": file,
            "range": {"start": {"line": 3, "column": 10}, "end": {"line": 3, "column": 10}},
        }}),
        "{}",
        client.report()
    );

    // The other layers still apply, and the broken one is listed as disabled.
    let answer = client
        .request(&json!({"id": 1, "method": "config/read", "params": {"includeLayers": true}}))
        .await;
    assert_eq!(
        answer["result"]["config"]["model"],
        "system",
        "{}",
        client.report()
    );
    assert_eq!(
        answer["result"]["layers"][0]["disabledReason"],
        format!("Ignored because it is invalid: {file}:3:10: extra `=`, expected nothing")
    );

    let answer = client.request(&write(2, "model", json!("x"), None)).await;
    assert_eq!(
        answer["error"],
        json!({
            "code": -32600,
            "message": format!("Invalid configuration: {file}:3:10: extra `=`, expected nothing"),
            "data": {"config_write_error_code": "configValidationError"},
        }),
        "{}",
        client.report()
    );
    assert_eq!(folders.read_user_config(), BROKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_breaks_later_is_announced_to_every_client_once() {
    let folders = Folders::new();
    folders.write_user_config("model = 'o3'\n");
    let server = folders.websocket(&[]).await;
    let mut a = server.connect().await;
    a.initialize(false).await;
    let mut b = server.connect().await;
    b.initialize(false).await;

    let system = folders.system().join("config.toml");
    std::fs::write(&system, "approval_policy = 'sometimes'\n").unwrap();
    let read = |id: u64| json!({"id": id, "method": "config/read", "params": {}});
    a.request(&read(1)).await;
    let expected = json!({"method": "configWarning", "params": {
        "summary": format!("Invalid configuration in {}; ignoring that file.", system.display()),
        "details": format!(
            "{}:1:19: unknown variant `sometimes`, expected one of `untrusted`, `on-failure`, \
             `on-request`, `never`",
            system.display()
        ),
        "path": system.display().to_string(),
        "range": {"start": {"line": 1, "column": 19}, "end": {"line": 1, "column": 29}},
    }});
    assert_eq!(a.next().await, expected, "{}", a.report());
    assert_eq!(b.next().await, expected, "{}", b.report());

    // Known now: another read says nothing more, to either client. A client that connects
    // later is told at once.
    assert_no_more_warnings(&mut a, 2).await;
    assert_no_more_warnings(&mut b, 3).await;
    let mut c = server.connect().await;
    c.initialize(false).await;
    assert_eq!(c.next().await, expected, "{}", c.report());
    let answer = c.request(&read(4)).await;
    assert_eq!(answer["result"]["config"]["model"], "o3", "{}", c.report());

    // Fixed by hand: the next client hears nothing.
    std::fs::write(&system, "approval_policy = 'never'\n").unwrap();
    a.request(&read(5)).await;
    let mut d = server.connect().await;
    d.initialize(false).await;
    let answer = d.request(&read(6)).await;
    assert_eq!(
        answer["result"]["config"]["approval_policy"],
        "never",
        "{}",
        d.report()
    );
    for (id, client) in (7..).zip([&mut a, &mut b, &mut c, &mut d]) {
        assert_no_more_warnings(client, id).await;
    }
}

/// Checks that nothing but the answer to one more request comes: no warning is queued, unseen
/// or kept aside while waiting for an earlier answer.
async fn assert_no_more_warnings(client: &mut Client, id: u64) {
    client
        .send(&json!({"id": id, "method": "config/read", "params": {}}))
        .await;
    let next = client.next().await;
    assert_eq!(
        next["id"],
        id,
        "expected only the answer\n{}",
        client.report()
    );
}
