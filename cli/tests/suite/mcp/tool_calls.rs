//! MCP tool calls: the `mcpToolCall` items and the output the model gets back, over stdio and
//! streamable HTTP (with a bearer token from the environment), failing tools, and a slow call
//! that an interrupt cancels on the server.

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::HttpServer;
use super::ServerLog;
use super::add_config;
use super::call;
use super::completed;
use super::mcp_items;
use super::offered_tools;
use super::stdio_server;
use super::toml_string;
use crate::suite::serve::Client;
use crate::suite::threads::live::Live;
use crate::suite::threads::live::interrupt;
use crate::suite::threads::live::start_turn;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::turn;
use crate::suite::threads::live::until_notification;
use crate::suite::threads::tools::text;
use crate::suite::threads::tools::tool_output;

/// A turn in which the model calls `mcp__<server>__echo {text: "hi"}` and then answers; checks
/// the call's items, what the model got back, and the tools it was offered.
pub(super) async fn check_echo_turn(live: &Live, client: &mut Client, server: &str) {
    live.model.enqueue_all([
        call(
            "call_1",
            "resp-1",
            &format!("mcp__{server}__echo"),
            json!({"text": "hi"}),
        ),
        text("resp-2", "Echoed."),
    ]);
    let thread = thread_id(&live.start_thread(client, 1, json!({})).await);
    let (_, seen) = turn(client, 2, &thread, "echo hi").await;
    let calls = mcp_items(&seen);
    assert_eq!(calls.len(), 2, "{}", client.report());
    let started = json!({
        "type": "mcpToolCall", "id": "call_1", "server": server, "tool": "echo",
        "status": "inProgress", "arguments": {"text": "hi"}, "result": null, "error": null,
        "durationMs": null,
    });
    assert_eq!(calls[0], ("item/started", &started));
    let (method, done) = calls[1];
    assert_eq!(method, "item/completed");
    assert!(done["durationMs"].is_u64(), "{done}");
    let mut done = done.clone();
    done["durationMs"] = json!("<duration>");
    assert_eq!(
        done,
        json!({
            "type": "mcpToolCall", "id": "call_1", "server": server, "tool": "echo",
            "status": "completed", "arguments": {"text": "hi"},
            "result": {"content": [{"type": "text", "text": "echo: hi"}], "structuredContent": null},
            "error": null, "durationMs": "<duration>",
        })
    );
    assert_eq!(
        tool_output(live, "call_1"),
        r#"[{"type":"text","text":"echo: hi"}]"#
    );
    let offered = offered_tools(live, 0);
    assert!(
        offered.contains(&format!("mcp__{server}__echo")),
        "{offered:?}"
    );
    let completed_turn = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed_turn["status"], "completed");
}

#[tokio::test]
async fn a_stdio_tool_call_reaches_the_server_and_its_output_the_model() {
    let live = Live::new().await;
    let log = ServerLog::new(&live, "t");
    add_config(&live, &stdio_server("t", &log, &[], ""));
    let (_server, mut client) = live.serve().await;
    check_echo_turn(&live, &mut client, "t").await;
    // The handshake is the reference's.
    assert_eq!(
        log.wait_for("initialize").await,
        json!({
            "event": "initialize",
            "clientInfo": {"name": "codex-mcp-client", "title": "Codex", "version": "0.101.0"},
            "capabilities": {"elicitation": {"form": {}}},
            "protocolVersion": "2025-06-18",
        })
    );
    let calls = log.named("tools/call");
    assert_eq!(
        calls,
        [json!({"event": "tools/call", "name": "echo", "arguments": {"text": "hi"}})]
    );
}

/// A tool call to a streamable HTTP server, with `bearer` required by the server and given to
/// codex through `bearer_token_env_var`.
async fn http_tool_call(bearer: Option<&str>) {
    let live = Live::new().await;
    let log = ServerLog::new(&live, "h");
    let args: Vec<&str> = bearer
        .map(|token| vec!["--bearer", token])
        .unwrap_or_default();
    let server = HttpServer::start(&log, &args).await;
    let mut config = format!("\n[mcp_servers.h]\nurl = {}\n", toml_string(&server.url));
    if bearer.is_some() {
        config.push_str("bearer_token_env_var = \"TEST_MCP_TOKEN\"\n");
    }
    add_config(&live, &config);
    let env: Vec<(&str, &str)> = bearer
        .map(|token| vec![("TEST_MCP_TOKEN", token)])
        .unwrap_or_default();
    let (_codex, mut client) = live.serve_with(&env).await;
    check_echo_turn(&live, &mut client, "h").await;
    let initialize = log.wait_for("initialize").await;
    assert_eq!(initialize["clientInfo"]["name"], "codex-mcp-client");
    let posts: Vec<Value> = log
        .named("http")
        .into_iter()
        .filter(|request| request["method"] == "POST")
        .collect();
    assert!(!posts.is_empty(), "{:#?}", log.events());
    let expected = bearer.map_or(Value::Null, |token| json!(format!("Bearer {token}")));
    for post in &posts {
        assert_eq!(post["authorization"], expected, "{post}");
    }
}

#[tokio::test]
async fn a_streamable_http_tool_call_reaches_the_server() {
    http_tool_call(None).await;
}

#[tokio::test]
async fn a_streamable_http_server_gets_the_bearer_token_from_the_environment() {
    http_tool_call(Some("sesame")).await;
}

#[tokio::test]
async fn failing_tools_fail_their_items_and_the_turn_goes_on() {
    let live = Live::new().await;
    let log = ServerLog::new(&live, "t");
    add_config(&live, &stdio_server("t", &log, &[], ""));
    live.model.enqueue_all([
        call(
            "call_fail",
            "resp-1",
            "mcp__t__fail",
            json!({"message": "no luck"}),
        ),
        call("call_error", "resp-2", "mcp__t__error", json!({})),
        text("resp-3", "Both failed."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (_, seen) = turn(&mut client, 2, &thread, "fail twice").await;

    // A result marked `isError` keeps its content and fails the item.
    let failed = completed(&seen, "call_fail");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(
        failed["result"],
        json!({"content": [{"type": "text", "text": "no luck"}], "structuredContent": null})
    );
    assert_eq!(failed["error"], Value::Null);
    assert_eq!(
        tool_output(&live, "call_fail"),
        r#"[{"type":"text","text":"no luck"}]"#
    );

    // A JSON-RPC error has no result, and its message is the reference's error chain.
    let errored = completed(&seen, "call_error");
    assert_eq!(errored["status"], "failed", "{errored}");
    assert_eq!(errored["result"], Value::Null);
    let message = errored["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("tool call error: tool call failed for `t/error`")
            && message.contains("kaboom"),
        "{message}"
    );
    let output = tool_output(&live, "call_error");
    assert!(
        output.starts_with("err: ") && output.contains("kaboom"),
        "{output}"
    );

    let completed_turn = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed_turn["status"], "completed", "{}", client.report());
    assert_eq!(live.model.requests().len(), 3);
}

#[tokio::test]
async fn an_interrupt_cancels_a_slow_call_on_the_server() {
    let live = Live::new().await;
    let log = ServerLog::new(&live, "t");
    add_config(&live, &stdio_server("t", &log, &[], ""));
    live.model.enqueue(call(
        "call_1",
        "resp-1",
        "mcp__t__sleep",
        json!({"ms": 60_000}),
    ));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let turn_id = start_turn(&mut client, 2, &thread, "sleep").await;
    until_notification(&mut client, |message| {
        message["method"] == "item/started" && message["params"]["item"]["type"] == "mcpToolCall"
    })
    .await;
    // The call has reached the server before the interrupt, so there is something to cancel.
    log.wait_for("tools/call").await;
    let interrupted_at = tokio::time::Instant::now();
    let seen = interrupt(&mut client, 3, &thread, &turn_id).await;
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(5),
        "the turn took {:?} to end",
        interrupted_at.elapsed()
    );
    // The call's item ends with the turn, failed.
    assert_eq!(completed(&seen, "call_1")["status"], "failed", "{seen:#?}");
    let cancelled = log.wait_for("notifications/cancelled").await;
    assert!(cancelled["requestId"].is_number() || cancelled["requestId"].is_string());
    assert_eq!(
        log.wait_for("sleep_cancelled").await,
        json!({"event": "sleep_cancelled", "ms": 60_000})
    );
}
