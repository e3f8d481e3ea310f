//! The server over streamable HTTP, open and behind `--bearer`.

use pretty_assertions::assert_eq;
use rmcp::model::ElicitationAction;
use serde_json::Value;
use serde_json::json;

use super::behaviour;
use super::harness::Scratch;
use super::harness::TestClient;
use super::harness::connect_http;
use super::harness::post_initialize;
use super::harness::start_http;
use super::harness::start_http_connected;

#[tokio::test]
async fn handshake_tools_and_log() {
    let scratch = Scratch::new();
    let (server, client) = start_http_connected(&scratch, &[], TestClient::accepting()).await;
    behaviour::check_handshake(&scratch, &client).await;
    behaviour::check_tools(&scratch, &client, server.child.id().unwrap()).await;

    // Every request is logged with its query and its (here absent) Authorization and
    // ChatGPT-Account-Id headers.
    let requests = scratch.events_named("http");
    assert!(
        requests.len() > 12,
        "too few requests logged: {requests:#?}"
    );
    assert_eq!(
        requests[0],
        json!({"event": "http", "method": "POST", "path": "/mcp", "query": null,
               "authorization": null, "account_id": null})
    );
}

#[tokio::test]
async fn resources() {
    let scratch = Scratch::new();
    let (_server, client) = start_http_connected(&scratch, &[], TestClient::accepting()).await;
    behaviour::check_resources(&client).await;
}

#[tokio::test]
async fn cancelled_sleep_is_logged() {
    let scratch = Scratch::new();
    let (_server, client) = start_http_connected(&scratch, &[], TestClient::accepting()).await;
    behaviour::check_cancelled_sleep(&scratch, &client).await;
}

#[tokio::test]
async fn elicitation_answers_the_clients_action() {
    let scratch = Scratch::new();
    let client = TestClient {
        elicitation_answer: ElicitationAction::Decline,
    };
    let (_server, client) = start_http_connected(&scratch, &[], client).await;
    behaviour::check_elicitation(&scratch, &client, "decline").await;
}

#[tokio::test]
async fn startup_delay_and_filters_apply_over_http_too() {
    let scratch = Scratch::new();
    let args = [
        "--startup-delay-ms",
        "300",
        "--tools",
        "sleep",
        "--no-resources",
    ];
    let started = std::time::Instant::now();
    let (_server, client) = start_http_connected(&scratch, &args, TestClient::accepting()).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(300));
    assert_eq!(behaviour::tool_names(&client).await, ["sleep"]);
    assert_eq!(client.peer_info().unwrap().capabilities.resources, None);
}

#[tokio::test]
async fn bearer_token_is_required() {
    let scratch = Scratch::new();
    let server = start_http(&scratch, &["--bearer", "s3cret"]).await;

    let without = connect_http(&server.url, None, TestClient::accepting()).await;
    assert!(without.is_err(), "connected without a token");
    let wrong = connect_http(&server.url, Some("wrong"), TestClient::accepting()).await;
    assert!(wrong.is_err(), "connected with the wrong token");

    // What the refusals look like on the wire.
    let refused = post_initialize(&server, None).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.headers()["www-authenticate"], "Bearer");
    let refused = post_initialize(&server, Some("wrong")).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );

    let client = connect_http(&server.url, Some("s3cret"), TestClient::accepting())
        .await
        .unwrap();
    assert_eq!(
        behaviour::call(&client, "echo", json!({"text": "in"})).await,
        behaviour::text("echo: in")
    );

    let authorizations: Vec<Value> = scratch
        .events_named("http")
        .into_iter()
        .map(|event| event["authorization"].clone())
        .collect();
    assert!(authorizations.contains(&Value::Null));
    assert!(authorizations.contains(&json!("Bearer wrong")));
    assert_eq!(authorizations.last(), Some(&json!("Bearer s3cret")));
    // Only the accepted connection got as far as the MCP handler.
    assert_eq!(scratch.events_named("initialize").len(), 1);
}

#[tokio::test]
async fn bearer_needs_http() {
    let scratch = Scratch::new();
    let output = scratch
        .server_command(&["--bearer", "s3cret"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
}
