//! One client on stdin and stdout: the handshake, malformed input and the experimental gate.

use serde_json::json;

use super::Server;
use super::check_handshake;
use super::echo;
use super::echoed;

#[tokio::test]
async fn the_handshake_comes_first_and_only_once() {
    let (_server, mut client) = Server::stdio(&[]);
    check_handshake(&mut client).await;
}

#[tokio::test]
async fn malformed_input_is_answered_and_the_connection_lives_on() {
    let (_server, mut client) = Server::stdio(&[]);
    let user_agent = client.initialize(true).await;

    // Messages without a usable id are answered with a null id.
    for (text, code, message) in [
        (
            "not json",
            -32700,
            "Parse error: expected ident at line 1 column 2",
        ),
        (
            "[1, 2]",
            -32600,
            "Invalid request: batches are not supported",
        ),
        (
            "42",
            -32600,
            "Invalid request: a message must be a JSON object",
        ),
        (
            r#"{"id": [1], "method": "getUserAgent"}"#,
            -32600,
            "Invalid request: `id` must be a string or an integer",
        ),
    ] {
        client.send_text(text).await;
        let answer = client.next().await;
        pretty_assertions::assert_eq!(
            answer,
            json!({"id": null, "error": {"code": code, "message": message}}),
            "{}",
            client.report()
        );
        // Blank lines are skipped, and the connection still serves requests.
        client.send_text("").await;
        client
            .check(echo(1, "still here"), echoed(1, "still here"))
            .await;
    }

    let cases = [
        (
            json!({"id": 2, "method": "mock/experimentalMethod", "params": []}),
            json!({"id": 2, "error": {"code": -32602, "message": "Invalid params: params must be an object"}}),
        ),
        (
            json!({"id": 3, "method": "mock/experimentalMethod", "params": {"value": 5}}),
            json!({"id": 3, "error": {"code": -32602, "message": "Invalid params: invalid type: integer `5`, expected a string"}}),
        ),
        (
            json!({"id": "four", "method": "no/such"}),
            json!({"id": "four", "error": {"code": -32601, "message": "Method not found: no/such"}}),
        ),
        (
            json!({"id": 5, "method": "model/list", "params": {"cursor": "x"}}),
            json!({"id": 5, "error": {"code": -32600, "message": "invalid cursor: x"}}),
        ),
        (
            json!({"id": 6, "method": "getUserAgent", "jsonrpc": "2.0"}),
            json!({"id": 6, "result": {"userAgent": user_agent}}),
        ),
    ];
    for (request, expected) in cases {
        client.check(request, expected).await;
    }
}

#[tokio::test]
async fn experimental_methods_and_fields_need_the_capability() {
    let logged_out = |id: u64| json!({"id": id, "result": {}});
    let needs = |id: u64, feature: &str| json!({"id": id, "error": {"code": -32600, "message": format!("{feature} requires experimentalApi capability")}});
    let raw_events =
        json!({"id": 2, "method": "thread/start", "params": {"experimentalRawEvents": true}});
    let plain = json!({"id": 3, "method": "account/logout"});

    let (_server, mut client) = Server::stdio(&[]);
    client.initialize(false).await;
    client
        .check(echo(1, "x"), needs(1, "mock/experimentalMethod"))
        .await;
    client
        .check(
            raw_events.clone(),
            needs(2, "thread/start.experimentalRawEvents"),
        )
        .await;
    client.check(plain.clone(), logged_out(3)).await;

    let (_server, mut client) = Server::stdio(&[]);
    client.initialize(true).await;
    client.check(echo(1, "x"), echoed(1, "x")).await;
    // With the capability the field reaches the handler, which starts the thread.
    let started = client.request(&raw_events).await;
    assert!(
        started["result"]["thread"]["id"].is_string(),
        "{}",
        client.report()
    );
    client.check(plain, logged_out(3)).await;
}
