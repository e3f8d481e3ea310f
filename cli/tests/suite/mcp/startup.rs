//! Servers that never start: `thread/start` does not wait for them, the startup events report
//! them in the reference's words, and the turn goes on with the servers that did start.

use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::ServerLog;
use super::add_config;
use super::call;
use super::completed;
use super::legacy_events;
use super::offered_tools;
use super::stdio_server;
use crate::suite::threads::live::Live;
use crate::suite::threads::live::all_until_turn_completed;
use crate::suite::threads::live::start_turn;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::tools::text;

/// How long the slow server may take to start; it would take a minute.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(2);

#[tokio::test]
async fn servers_that_never_start_are_reported_and_the_others_work() {
    let live = Live::new().await;
    let good = ServerLog::new(&live, "good");
    let slow = ServerLog::new(&live, "slow");
    add_config(
        &live,
        "\n[mcp_servers.missing]\ncommand = \"/nonexistent/mcp-server\"\n",
    );
    add_config(
        &live,
        &stdio_server(
            "slow",
            &slow,
            &["--startup-delay-ms", "60000"],
            &format!("startup_timeout_sec = {}\n", STARTUP_TIMEOUT.as_secs()),
        ),
    );
    add_config(&live, &stdio_server("good", &good, &[], ""));
    live.model.enqueue_all([
        call(
            "call_1",
            "resp-1",
            "mcp__good__echo",
            json!({"text": "still here"}),
        ),
        text("resp-2", "Done."),
    ]);
    let (_server, mut client) = live.serve().await;

    let asked = tokio::time::Instant::now();
    let thread = thread_id(&live.start_thread_early(&mut client, 1, json!({})).await);
    let answered = asked.elapsed();
    assert!(
        answered < STARTUP_TIMEOUT,
        "thread/start waited {answered:?} for the servers"
    );

    start_turn(&mut client, 2, &thread, "use what works").await;
    let seen = all_until_turn_completed(&mut client).await;
    // The startup events reach this v2 client too, as the reference sends them.
    let (starting, mut updates): (Vec<Value>, Vec<Value>) =
        legacy_events(&seen, "mcp_startup_update")
            .into_iter()
            .cloned()
            .partition(|update| update["status"]["state"] == "starting");
    let mut starting: Vec<&str> = starting
        .iter()
        .filter_map(|update| update["server"].as_str())
        .collect();
    starting.sort_unstable();
    assert_eq!(starting, ["good", "missing", "slow"], "{}", client.report());
    updates.sort_by(|a, b| a["server"].as_str().cmp(&b["server"].as_str()));
    let failed = |server: &str, error: &str| json!({"type": "mcp_startup_update", "server": server, "status": {"state": "failed", "error": error}});
    assert_eq!(
        updates,
        [
            json!({"type": "mcp_startup_update", "server": "good", "status": {"state": "ready"}}),
            failed(
                "missing",
                "MCP client for `missing` failed to start: MCP startup failed: No such file or directory (os error 2)"
            ),
            failed(
                "slow",
                "MCP client for `slow` timed out after 2 seconds. Add or adjust `startup_timeout_sec` in your config.toml:\n[mcp_servers.slow]\nstartup_timeout_sec = XX"
            ),
        ],
        "{}",
        client.report()
    );
    let complete = legacy_events(&seen, "mcp_startup_complete");
    assert_eq!(complete.len(), 1, "{}", client.report());
    let mut complete = complete[0].clone();
    if let Some(failures) = complete["failed"].as_array_mut() {
        failures.sort_by(|a, b| a["server"].as_str().cmp(&b["server"].as_str()));
    }
    assert_eq!(
        complete,
        json!({
            "type": "mcp_startup_complete",
            "ready": ["good"],
            "failed": [
                {"server": "missing", "error": "No such file or directory (os error 2)"},
                {"server": "slow", "error": "timed out handshaking with MCP server after 2s"},
            ],
            "cancelled": [],
        })
    );

    let offered = offered_tools(&live, 0);
    assert!(
        offered.contains(&"mcp__good__echo".to_owned()),
        "{offered:?}"
    );
    assert!(
        !offered.iter().any(|name| name.starts_with("mcp__slow__")),
        "{offered:?}"
    );
    assert_eq!(completed(&seen, "call_1")["status"], "completed");
    let completed_turn = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed_turn["status"], "completed", "{}", client.report());
    // The slow server did start; it was only too slow to answer.
    assert_eq!(
        (
            good.named("initialize").len(),
            slow.named("initialize").len()
        ),
        (1, 1)
    );
}
