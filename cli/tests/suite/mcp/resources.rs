//! The resource tools for real: `list_mcp_resources` across every server and then one server
//! from a cursor, and `read_mcp_resource`, answering the model in the reference's shapes.

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::ServerLog;
use super::add_config;
use super::call;
use super::completed;
use super::stdio_server;
use crate::suite::threads::live::Live;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::turn;
use crate::suite::threads::tools::text;
use crate::suite::threads::tools::tool_output;

/// The test server's resource `id` listed for the model, tagged with its `server` whether
/// the list covers one server or all of them, as the reference's lists are.
fn resource(server: &str, id: usize) -> Value {
    json!({
        "server": server,
        "uri": format!("test://resource/{id}"),
        "name": format!("resource-{id}"),
        "title": format!("Test resource {id}"),
        "mimeType": "text/plain",
    })
}

/// What the model got back for `call_id`, parsed.
fn output(live: &Live, call_id: &str) -> Value {
    let text = tool_output(live, call_id);
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}

#[tokio::test]
async fn resources_are_listed_across_servers_paged_and_read() {
    let live = Live::new().await;
    // Configured out of order: the list across servers is sorted by name.
    add_config(
        &live,
        &stdio_server("b", &ServerLog::new(&live, "b"), &[], ""),
    );
    add_config(
        &live,
        &stdio_server("a", &ServerLog::new(&live, "a"), &[], ""),
    );
    live.model.enqueue_all([
        call("call_all", "resp-1", "list_mcp_resources", json!({})),
        call(
            "call_page",
            "resp-2",
            "list_mcp_resources",
            json!({"server": "a", "cursor": "2"}),
        ),
        call(
            "call_read",
            "resp-3",
            "read_mcp_resource",
            json!({"server": "a", "uri": "test://resource/3"}),
        ),
        text("resp-4", "Read."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (_, seen) = turn(&mut client, 2, &thread, "look at the resources").await;

    let every: Vec<Value> = ["a", "b"]
        .into_iter()
        .flat_map(|server| (1..=5).map(move |id| resource(server, id)))
        .collect();
    assert_eq!(output(&live, "call_all"), json!({"resources": every}));
    assert_eq!(
        output(&live, "call_page"),
        json!({"server": "a", "resources": [resource("a", 3), resource("a", 4)], "nextCursor": "4"})
    );
    assert_eq!(
        output(&live, "call_read"),
        json!({"server": "a", "uri": "test://resource/3", "contents": [
            {"uri": "test://resource/3", "mimeType": "text/plain", "text": "resource 3"},
        ]})
    );

    // Each call is an item too, named after its server (`codex` for all of them).
    let all = completed(&seen, "call_all");
    assert_eq!(
        (&all["server"], &all["tool"], &all["status"]),
        (
            &json!("codex"),
            &json!("list_mcp_resources"),
            &json!("completed")
        )
    );
    let read = completed(&seen, "call_read");
    assert_eq!(
        (&read["server"], &read["tool"], &read["status"]),
        (
            &json!("a"),
            &json!("read_mcp_resource"),
            &json!("completed")
        )
    );
}
