//! No MCP process outlives codex or the thread that started it: a stdio server and a child it
//! spawned are gone, by pid, after codex exits at the end of its input, after codex is killed
//! with SIGKILL, and after archiving the loaded conversation unloads its thread (the v2
//! `thread/archive` leaves loaded threads alone and there is no `thread/unsubscribe`, so the v1
//! `archiveConversation` is what unloads one).

use serde_json::json;

use super::ServerLog;
use super::add_config;
use super::call;
use super::completed;
use super::eventually;
use super::launch::is_gone;
use super::stdio_server;
use crate::suite::serve::Client;
use crate::suite::serve::Server;
use crate::suite::threads::live::Live;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::turn;
use crate::suite::threads::tools::text;

/// A running codex whose thread's MCP server has spawned a child: the pids of the server and
/// the child, and the thread's `thread/start` result.
struct Running {
    /// The home and the mock model, kept for as long as codex runs.
    _live: Live,
    server: Server,
    client: Client,
    started: serde_json::Value,
    pids: [u32; 2],
}

impl Running {
    async fn start() -> Self {
        let live = Live::new().await;
        add_config(
            &live,
            &stdio_server("t", &ServerLog::new(&live, "t"), &[], ""),
        );
        live.model.enqueue_all([
            call("call_pid", "resp-1", "mcp__t__pid", json!({})),
            call("call_child", "resp-2", "mcp__t__spawn_child", json!({})),
            text("resp-3", "Spawned."),
        ]);
        let (server, mut client) = live.serve().await;
        let started = live.start_thread(&mut client, 1, json!({})).await;
        let (_, seen) = turn(&mut client, 2, &thread_id(&started), "spawn").await;
        let pid = |call_id: &str| -> u32 {
            let item = completed(&seen, call_id);
            item["result"]["content"][0]["text"]
                .as_str()
                .and_then(|text| text.parse().ok())
                .unwrap_or_else(|| panic!("no pid in {item}"))
        };
        let pids = [pid("call_pid"), pid("call_child")];
        assert!(!pids.iter().any(|pid| is_gone(*pid)), "{pids:?}");
        Self {
            _live: live,
            server,
            client,
            started,
            pids,
        }
    }
}

/// Waits until every one of `pids` is gone.
async fn all_gone(pids: [u32; 2], after: &str) {
    eventually(&format!("{pids:?} to be gone after {after}"), || {
        pids.iter().all(|pid| is_gone(*pid))
    })
    .await;
}

#[tokio::test]
async fn mcp_processes_end_when_codex_exits_at_the_end_of_its_input() {
    let mut running = Running::start().await;
    running.client.close_input().await;
    let (status, stderr) = running.server.exit().await;
    assert_eq!(status, Some(0), "{stderr}");
    all_gone(running.pids, "codex exited").await;
}

#[tokio::test]
async fn mcp_processes_end_when_codex_is_killed() {
    let running = Running::start().await;
    running.server.signal("KILL");
    all_gone(running.pids, "SIGKILL of codex").await;
}

#[tokio::test]
async fn mcp_processes_end_when_their_thread_is_unloaded() {
    let mut running = Running::start().await;
    let thread = thread_id(&running.started);
    let path = running.started["thread"]["path"].clone();
    running
        .client
        .check(
            json!({"id": 3, "method": "archiveConversation", "params": {
                "conversationId": thread, "rolloutPath": path,
            }}),
            json!({"id": 3, "result": {}}),
        )
        .await;
    all_gone(running.pids, "the thread was unloaded").await;
    // Codex itself is still serving.
    let loaded = running
        .client
        .request(&json!({"id": 4, "method": "thread/loaded/list", "params": {}}))
        .await;
    assert_eq!(loaded["result"]["data"], json!([]), "{loaded}");
}
