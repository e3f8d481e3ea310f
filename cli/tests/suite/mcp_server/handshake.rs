//! The handshake, the tool list, the methods the server answers around its tools, and the exit
//! when the client goes away.

use std::time::Duration;

use pretty_assertions::assert_eq;
use rmcp::model::ClientRequest;
use rmcp::model::CustomRequest;
use rmcp::model::ListPromptsRequest;
use rmcp::model::ListResourceTemplatesRequest;
use rmcp::model::ListResourcesRequest;
use rmcp::model::ListToolsRequest;
use rmcp::model::PingRequest;
use serde_json::Value;
use serde_json::json;

use super::Connection;
use super::PROTOCOL_VERSION;
use crate::suite::threads::live::Live;

/// What the reference answers `tools/list` with: its `tools`.
const REFERENCE_TOOLS: &str = include_str!("reference_tools.json");

/// The fields of a tool the reference's answer is compared on.
fn described(tool: &Value) -> Value {
    json!({
        "name": tool["name"],
        "title": tool["title"],
        "description": tool["description"],
        "inputSchema": tool["inputSchema"],
        "outputSchema": tool["outputSchema"],
    })
}

#[tokio::test]
async fn initialize_echoes_the_version_and_names_codex() {
    let live = Live::new().await;
    let connection = Connection::start(&live).await;
    let (index, initialize) = connection
        .wait_for_sent("initialize", |message| message["method"] == "initialize")
        .await;
    assert_eq!(index, 0, "{}", connection.report());
    assert_eq!(initialize["params"]["protocolVersion"], PROTOCOL_VERSION);
    assert_eq!(
        initialize["params"]["capabilities"],
        json!({"elicitation": {}})
    );

    let (_, answer) = connection.answer_to(&initialize["id"]).await;
    let mut result = answer["result"].clone();
    let user_agent = result["serverInfo"]
        .as_object_mut()
        .and_then(|info| info.remove("user_agent"))
        .unwrap_or_else(|| panic!("no serverInfo.user_agent in {answer}"));
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        result,
        json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"tools": {"listChanged": true}},
            "serverInfo": {"name": "codex-mcp-server", "title": "Codex", "version": version},
        }),
        "{}",
        connection.report()
    );
    let prefix = format!("codex_cli_rs/{version} (");
    assert!(
        user_agent
            .as_str()
            .is_some_and(|agent| agent.starts_with(&prefix)),
        "user_agent {user_agent} does not start with {prefix:?}"
    );
    // The client's `notifications/initialized` followed the answer.
    let (index, _) = connection
        .wait_for_sent("notifications/initialized", |message| {
            message["method"] == "notifications/initialized"
        })
        .await;
    assert_eq!(index, 1, "{}", connection.report());
}

#[tokio::test]
async fn tools_list_matches_the_reference() {
    let live = Live::new().await;
    let connection = Connection::start(&live).await;
    let answer = connection
        .request(ClientRequest::ListToolsRequest(ListToolsRequest::default()))
        .await;
    let tools = answer["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("no tools in {answer}"));
    let reference: Vec<Value> = serde_json::from_str(REFERENCE_TOOLS).expect("the fixture is JSON");
    assert_eq!(
        tools.iter().map(described).collect::<Vec<_>>(),
        reference.iter().map(described).collect::<Vec<_>>(),
        "{}",
        connection.report()
    );
}

#[tokio::test]
async fn resources_and_prompts_are_empty_and_unknown_methods_are_refused() {
    let live = Live::new().await;
    let connection = Connection::start(&live).await;
    let result = |answer: Value| {
        assert!(answer.get("error").is_none(), "{answer}");
        answer["result"].clone()
    };
    let resources = connection
        .request(ClientRequest::ListResourcesRequest(
            ListResourcesRequest::default(),
        ))
        .await;
    assert_eq!(result(resources), json!({"resources": []}));
    let templates = connection
        .request(ClientRequest::ListResourceTemplatesRequest(
            ListResourceTemplatesRequest::default(),
        ))
        .await;
    assert_eq!(result(templates), json!({"resourceTemplates": []}));
    let prompts = connection
        .request(ClientRequest::ListPromptsRequest(
            ListPromptsRequest::default(),
        ))
        .await;
    assert_eq!(result(prompts), json!({"prompts": []}));
    let ping = connection
        .request(ClientRequest::PingRequest(PingRequest::default()))
        .await;
    assert_eq!(result(ping), json!({}));

    let unknown = connection
        .request(ClientRequest::CustomRequest(CustomRequest::new(
            "foo/bar", None,
        )))
        .await;
    assert_eq!(
        unknown["error"],
        json!({"code": -32601, "message": "method not found: foo/bar", "data": {"method": "foo/bar"}}),
        "{}",
        connection.report()
    );
    // The connection still works after a refusal.
    let ping = connection
        .request(ClientRequest::PingRequest(PingRequest::default()))
        .await;
    assert_eq!(result(ping), json!({}));
}

#[tokio::test]
async fn the_server_exits_when_its_stdin_closes() {
    let live = Live::new().await;
    let connection = Connection::start(&live).await;
    let (status, took) = connection.close().await;
    assert_eq!(status, Some(0));
    assert!(
        took < Duration::from_secs(5),
        "the server took {took:?} to exit"
    );
}
