//! What the server does for a connected client, checked the same way over either transport.

use pretty_assertions::assert_eq;
use rmcp::model::CallToolRequest;
use rmcp::model::CallToolRequestParams;
use rmcp::model::ClientRequest;
use rmcp::model::PaginatedRequestParams;
use rmcp::model::ReadResourceRequestParams;
use rmcp::service::PeerRequestOptions;
use rmcp::service::ServiceError;
use serde_json::Value;
use serde_json::json;

use super::harness::Client;
use super::harness::Scratch;

const ALL_TOOLS: [&str; 10] = [
    "echo",
    "echo_structured",
    "fail",
    "error",
    "sleep",
    "pid",
    "spawn_child",
    "env",
    "cwd",
    "elicit",
];

pub async fn tool_names(client: &Client) -> Vec<String> {
    let tools = client.list_all_tools().await.unwrap();
    tools
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect()
}

fn params(name: &str, arguments: Value) -> CallToolRequestParams {
    let Value::Object(arguments) = arguments else {
        panic!("tool arguments must be an object: {arguments}");
    };
    CallToolRequestParams::new(name.to_owned()).with_arguments(arguments)
}

/// Calls a tool and returns its result as it goes over the wire.
pub async fn call(client: &Client, name: &str, arguments: Value) -> Value {
    let result = client
        .call_tool(params(name, arguments.clone()))
        .await
        .unwrap_or_else(|error| panic!("{name} {arguments} failed: {error}"));
    serde_json::to_value(result).unwrap()
}

/// Calls a tool that must fail with a JSON-RPC error and returns the error's code and message.
pub async fn call_error(client: &Client, name: &str, arguments: Value) -> (i32, String) {
    match client.call_tool(params(name, arguments.clone())).await {
        Err(ServiceError::McpError(error)) => (error.code.0, error.message.into_owned()),
        other => panic!("{name} {arguments} should answer a JSON-RPC error, got {other:?}"),
    }
}

pub fn text(content: &str) -> Value {
    json!({"content": [{"type": "text", "text": content}], "isError": false})
}

/// The text of a one-text-item result.
pub fn text_of(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("not a text result: {result}"))
}

/// The handshake reached the server as the client sent it, and every tool is offered.
pub async fn check_handshake(scratch: &Scratch, client: &Client) {
    let initialize = scratch.wait_for_event("initialize").await;
    assert_eq!(
        initialize,
        json!({
            "event": "initialize",
            "clientInfo": {"name": "codex-mcp-client", "title": "Codex", "version": "0.101.0"},
            "capabilities": {"elicitation": {"form": {}}},
            "protocolVersion": "2025-06-18",
        })
    );
    let server = client.peer_info().unwrap();
    assert_eq!(server.protocol_version.as_str(), "2025-06-18");
    assert_eq!(server.server_info.as_ref().unwrap().name, "test-mcp-server");
    assert_eq!(tool_names(client).await, ALL_TOOLS);
}

/// Every tool answers as the crate documentation says, and the server logged each call.
pub async fn check_tools(scratch: &Scratch, client: &Client, server_pid: u32) {
    assert_eq!(
        call(client, "echo", json!({"text": "ping"})).await,
        text("echo: ping")
    );
    assert_eq!(
        call(client, "echo_structured", json!({"text": "ping"})).await,
        json!({
            "content": [{"type": "text", "text": "echo: ping"}],
            "structuredContent": {"echo": "ping"},
            "isError": false,
        })
    );
    assert_eq!(
        call(client, "fail", json!({"message": "no luck"})).await,
        json!({"content": [{"type": "text", "text": "no luck"}], "isError": true})
    );
    assert_eq!(
        call(client, "fail", json!({})).await,
        json!({"content": [{"type": "text", "text": "tool failed"}], "isError": true})
    );
    assert_eq!(
        call_error(client, "error", json!({})).await,
        (-32000, "kaboom".to_owned())
    );
    assert_eq!(
        call_error(client, "error", json!({"message": "boom"})).await,
        (-32000, "boom".to_owned())
    );
    assert_eq!(
        call(client, "sleep", json!({"ms": 5})).await,
        text("slept 5 ms")
    );
    assert_eq!(
        call(client, "pid", json!({})).await,
        text(&server_pid.to_string())
    );
    let cwd = call(client, "cwd", json!({})).await;
    assert_eq!(text_of(&cwd), scratch.dir().to_str().unwrap());
    let env = call(client, "env", json!({})).await;
    let env: Value = serde_json::from_str(text_of(&env)).unwrap();
    assert_eq!(env["TEST_MCP_MARKER"], "marker-value");

    assert_eq!(
        call_error(client, "echo", json!({})).await,
        (-32602, "missing string argument `text`".to_owned())
    );
    assert_eq!(
        call_error(client, "nope", json!({})).await,
        (-32602, "unknown tool `nope`".to_owned())
    );

    let calls: Vec<Value> = scratch
        .events_named("tools/call")
        .into_iter()
        .map(|event| json!([event["name"], event["arguments"]]))
        .collect();
    assert_eq!(calls[0], json!(["echo", {"text": "ping"}]));
    assert_eq!(calls.last(), Some(&json!(["nope", {}])));
    assert_eq!(calls.len(), 12);
}

/// The five resources come two per page, the template is listed, and reads answer the text.
pub async fn check_resources(client: &Client) {
    let mut pages = Vec::new();
    let mut cursor = None;
    loop {
        let page = client
            .list_resources(Some(PaginatedRequestParams::default().with_cursor(cursor)))
            .await
            .unwrap();
        let uris: Vec<String> = page.resources.iter().map(|r| r.uri.clone()).collect();
        pages.push((uris, page.next_cursor.clone()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let uri = |id: u32| format!("test://resource/{id}");
    assert_eq!(
        pages,
        vec![
            (vec![uri(1), uri(2)], Some("2".to_owned())),
            (vec![uri(3), uri(4)], Some("4".to_owned())),
            (vec![uri(5)], None),
        ]
    );

    let first = client.list_resources(None).await.unwrap();
    assert_eq!(
        serde_json::to_value(&first.resources[0]).unwrap(),
        json!({
            "uri": "test://resource/1",
            "name": "resource-1",
            "title": "Test resource 1",
            "mimeType": "text/plain",
        })
    );

    let templates = client.list_resource_templates(None).await.unwrap();
    assert_eq!(
        serde_json::to_value(&templates.resource_templates).unwrap(),
        json!([{
            "uriTemplate": "test://resource/{id}",
            "name": "resource-by-id",
            "title": "Test resource by id",
            "description": "One of the test resources, by its number",
            "mimeType": "text/plain",
        }])
    );

    let read = client
        .read_resource(ReadResourceRequestParams::new("test://resource/3"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&read.contents).unwrap(),
        json!([{"uri": "test://resource/3", "mimeType": "text/plain", "text": "resource 3"}])
    );

    match client
        .read_resource(ReadResourceRequestParams::new("test://resource/9"))
        .await
    {
        Err(ServiceError::McpError(error)) => {
            assert_eq!(
                (error.code.0, error.message.as_ref()),
                (-32002, "unknown resource `test://resource/9`")
            );
        }
        other => panic!("reading an unknown resource should fail, got {other:?}"),
    }
}

/// A `sleep` cancelled by the client is logged twice: the notification and the sleep that
/// stopped because of it.
pub async fn check_cancelled_sleep(scratch: &Scratch, client: &Client) {
    let request = ClientRequest::CallToolRequest(CallToolRequest::new(params(
        "sleep",
        json!({"ms": 60_000}),
    )));
    let handle = client
        .send_cancellable_request(request, PeerRequestOptions::no_options())
        .await
        .unwrap();
    scratch.wait_for_event("tools/call").await;
    let request_id = serde_json::to_value(&handle.id).unwrap();
    handle
        .cancel(Some("test cancelled it".to_owned()))
        .await
        .unwrap();

    let cancelled = scratch.wait_for_event("notifications/cancelled").await;
    assert_eq!(
        cancelled,
        json!({
            "event": "notifications/cancelled",
            "requestId": request_id,
            "reason": "test cancelled it",
        })
    );
    let stopped = scratch.wait_for_event("sleep_cancelled").await;
    assert_eq!(stopped, json!({"event": "sleep_cancelled", "ms": 60_000}));

    // The server is still serving after the cancellation.
    assert_eq!(
        call(client, "echo", json!({"text": "after"})).await,
        text("echo: after")
    );
}

/// `elicit` asks the client and answers the action the client chose.
pub async fn check_elicitation(scratch: &Scratch, client: &Client, expected_action: &str) {
    let result = call(client, "elicit", json!({"message": "may I?"})).await;
    assert_eq!(result, text(expected_action));
    let logged = scratch.wait_for_event("elicitation").await;
    assert_eq!(logged["action"], expected_action);
}
