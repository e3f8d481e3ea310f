//! `mcpServerStatus/list` (every configured server, sorted, filtered tools, paging and the
//! reference's cursor errors) and `config/mcpServer/reload` (the next turn uses the new set).

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::ServerLog;
use super::add_config;
use super::offered_tools;
use super::stdio_server;
use crate::suite::serve::Client;
use crate::suite::threads::live::Live;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::turn;
use crate::suite::threads::tools::text;

/// One `mcpServerStatus/list` page.
async fn status(client: &mut Client, id: u64, params: Value) -> Value {
    client
        .request(&json!({"id": id, "method": "mcpServerStatus/list", "params": params}))
        .await
}

/// The names of the MCP tools among `tools`.
fn mcp_tools(tools: &[String]) -> Vec<&str> {
    tools
        .iter()
        .map(String::as_str)
        .filter(|name| name.starts_with("mcp__"))
        .collect()
}

#[tokio::test]
async fn the_status_list_pages_every_server_and_reload_swaps_the_set() {
    let live = Live::new().await;
    let on = ServerLog::new(&live, "on");
    add_config(
        &live,
        &stdio_server(
            "on",
            &on,
            &["--tools", "echo,fail", "--no-resources"],
            "disabled_tools = [\"echo\"]\n",
        ),
    );
    let off = stdio_server(
        "off",
        &ServerLog::new(&live, "off"),
        &[],
        "enabled = false\n",
    );
    add_config(&live, &off);
    let (_server, mut client) = live.serve().await;

    let first = status(&mut client, 1, json!({"limit": 1})).await;
    assert_eq!(
        first,
        json!({"id": 1, "result": {"data": [{
            "name": "off", "tools": {}, "resources": [], "resourceTemplates": [],
            "authStatus": "unsupported",
        }], "nextCursor": "1"}}),
        "{}",
        client.report()
    );
    let second = status(&mut client, 2, json!({"cursor": "1", "limit": 1})).await;
    let page = &second["result"];
    assert_eq!(page["nextCursor"], Value::Null, "{second}");
    let entry = &page["data"][0];
    assert_eq!(
        (&entry["name"], &entry["authStatus"]),
        (&json!("on"), &json!("unsupported")),
        "{second}"
    );
    let tools: Vec<&String> = entry["tools"]
        .as_object()
        .map_or(Vec::new(), |tools| tools.keys().collect());
    assert_eq!(tools, ["fail"], "{second}");
    assert_eq!(entry["tools"]["fail"]["name"], "fail");
    let refused =
        |id: u64, message: &str| json!({"id": id, "error": {"code": -32600, "message": message}});
    client
        .check(
            json!({"id": 3, "method": "mcpServerStatus/list", "params": {"cursor": "abc"}}),
            refused(3, "invalid cursor: abc"),
        )
        .await;
    client
        .check(
            json!({"id": 4, "method": "mcpServerStatus/list", "params": {"cursor": "9"}}),
            refused(4, "cursor 9 exceeds total MCP servers 2"),
        )
        .await;

    live.model
        .enqueue_all([text("resp-1", "First."), text("resp-2", "Second.")]);
    let thread = thread_id(&live.start_thread(&mut client, 5, json!({})).await);
    turn(&mut client, 6, &thread, "before the reload").await;
    assert_eq!(mcp_tools(&offered_tools(&live, 0)), ["mcp__on__fail"]);

    // Replace `on` with `new`: the next turn offers the new set only.
    let config = live.folders.read_user_config();
    let (base, _) = config
        .split_once("\n[mcp_servers.")
        .expect("the config has MCP servers");
    live.folders.write_user_config(base);
    add_config(&live, &off);
    add_config(
        &live,
        &stdio_server(
            "new",
            &ServerLog::new(&live, "new"),
            &["--tools", "pid"],
            "",
        ),
    );
    client
        .check(
            json!({"id": 7, "method": "config/mcpServer/reload"}),
            json!({"id": 7, "result": {}}),
        )
        .await;
    turn(&mut client, 8, &thread, "after the reload").await;
    assert_eq!(mcp_tools(&offered_tools(&live, 1)), ["mcp__new__pid"]);
}
