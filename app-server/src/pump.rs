//! The event pump: one task per loaded thread that turns the core's events into the
//! notifications of the connections following the thread.
//!
//! v2 notifications come from the thread's `ThreadEventMapper`; the legacy `codex/event/*`
//! stream goes, as the core spelled it, to v1 listeners only, except for the events that have
//! no v2 spelling (MCP server startup, elicitation requests), which every follower of the
//! thread gets, as from the reference. The pump ends when the thread shuts down and its event
//! stream closes.

use std::sync::Arc;

use codex_app_server_protocol::ServerNotification;
use codex_core::thread::Event;
use codex_core::thread::EventStream;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use serde::Serialize;

use crate::approvals;
use crate::approvals::Approval;
use crate::client_tools;
use crate::client_tools::ClientCall;
use crate::codec;
use crate::event_mapper::ThreadEventMapper;
use crate::registry::ActivityChange;
use crate::state::ServerState;
use crate::state::ThreadGate;

pub(crate) fn spawn(
    state: Arc<ServerState>,
    id: ThreadId,
    gate: Arc<ThreadGate>,
    mut events: EventStream,
) {
    let journal = state.registry.open_journal(id);
    tokio::spawn(async move {
        let mut mapper = ThreadEventMapper::new(id);
        while let Some(event) = events.recv().await {
            state.registry.wait_for_room(id).await;
            deliver(&state, id, &gate, &mut mapper, &event).await;
        }
        state.threads.remove_gate(id);
        state.registry.close_journal(id, &journal);
        tracing::debug!(thread = %id, "thread events ended");
    });
}

/// Sends one event of thread `id` where it goes: its notifications to the thread's
/// followers, its requests to the tasks that ask the client.
async fn deliver(
    state: &Arc<ServerState>,
    id: ThreadId,
    gate: &Arc<ThreadGate>,
    mapper: &mut ThreadEventMapper,
    event: &Event,
) {
    // Waits while a request that started something has not answered yet.
    let mut held = gate.hold().await;
    for notification in mapper.map(&event.msg) {
        if let ServerNotification::TurnStarted(started) = &notification
            && held.compactions.contains(&started.turn.id)
        {
            continue;
        }
        state.registry.notify_thread(id, &notification);
        match &notification {
            ServerNotification::TurnStarted(_) => state
                .registry
                .thread_activity(id, ActivityChange::TurnStarted),
            ServerNotification::TurnCompleted(_) => state
                .registry
                .thread_activity(id, ActivityChange::TurnEnded),
            _ => {}
        }
    }
    if matches!(
        event.msg,
        EventMsg::TaskComplete(_) | EventMsg::TurnAborted(_)
    ) {
        held.compactions.remove(&event.id);
    }
    drop(held);
    // After the notifications: a patch's item starts before its approval request.
    let approval = match &event.msg {
        EventMsg::ExecApprovalRequest(request) => Some(Approval::Exec(request.clone())),
        EventMsg::ApplyPatchApprovalRequest(request) => Some(Approval::Patch(request.clone())),
        _ => None,
    };
    if let Some(approval) = approval {
        approvals::spawn(Arc::clone(state), id, Arc::clone(gate), approval);
    }
    let client_call = match &event.msg {
        EventMsg::DynamicToolCallRequest(request) => Some(ClientCall::Dynamic(request.clone())),
        EventMsg::RequestUserInput(request) => Some(ClientCall::UserInput(request.clone())),
        _ => None,
    };
    if let Some(call) = client_call {
        client_tools::spawn(Arc::clone(state), id, Arc::clone(gate), call);
    }
    send_legacy(state, id, event);
}

/// The v1 shape of an event: `codex/event/<type>` with the turn id, the event and the thread.
fn send_legacy(state: &ServerState, id: ThreadId, event: &Event) {
    #[derive(Serialize)]
    struct Params<'a> {
        id: &'a str,
        msg: &'a EventMsg,
        #[serde(rename = "conversationId")]
        conversation_id: String,
    }
    #[derive(Serialize)]
    struct Legacy<'a> {
        method: String,
        params: Params<'a>,
    }
    let kind = match serde_json::to_value(&event.msg) {
        Ok(value) => value
            .get("type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown")
            .to_owned(),
        Err(err) => {
            tracing::warn!("cannot serialise a legacy event: {err}");
            return;
        }
    };
    let method = format!("codex/event/{kind}");
    let frame = codec::message(&Legacy {
        method: method.clone(),
        params: Params {
            id: &event.id,
            msg: &event.msg,
            conversation_id: id.to_string(),
        },
    });
    state.registry.notify_thread_legacy(id, &method, &frame);
}

#[cfg(test)]
mod tests {
    use codex_protocol::approvals::ElicitationRequestEvent;
    use codex_protocol::mcp::CallToolResult;
    use codex_protocol::mcp::RequestId;
    use codex_protocol::protocol::McpInvocation;
    use codex_protocol::protocol::McpStartupCompleteEvent;
    use codex_protocol::protocol::McpStartupFailure;
    use codex_protocol::protocol::McpStartupStatus;
    use codex_protocol::protocol::McpStartupUpdateEvent;
    use codex_protocol::protocol::McpToolCallBeginEvent;
    use codex_protocol::protocol::McpToolCallEndEvent;
    use codex_protocol::protocol::TurnStartedEvent;
    use pretty_assertions::assert_eq;
    use serde_json::Value;
    use serde_json::json;

    use super::*;
    use crate::connection::Connection;
    use crate::registry::tests::handshake;
    use codex_utils_user_agent::Platform;

    fn initialized(state: &ServerState) -> Arc<Connection> {
        let connection = state.registry.open(crate::outbound::SlowReader::Disconnect);
        handshake(&connection);
        connection
    }

    /// Closes the connection's queue and returns what it was sent.
    async fn sent(connection: &Connection) -> Vec<Value> {
        connection.outbound.close();
        let mut batch = Vec::new();
        while connection.outbound.next_batch(&mut batch).await {}
        batch
            .iter()
            .map(|frame| serde_json::from_str(frame).unwrap())
            .collect()
    }

    fn test_state(root: &std::path::Path) -> Arc<ServerState> {
        let platform = Platform {
            os: "TestOS".into(),
            os_version: "1".into(),
            arch: "x86_64".into(),
            terminal: "dumb".into(),
        };
        Arc::new(ServerState::new(platform, root))
    }

    #[tokio::test]
    async fn every_follower_hears_both_streams_and_strangers_nothing() {
        let root = tempfile::tempdir().unwrap();
        let state = test_state(root.path());
        let (v1, v2, stranger) = (
            initialized(&state),
            initialized(&state),
            initialized(&state),
        );
        let thread = ThreadId::new();
        state.registry.listen_legacy(v1.id, thread);
        state.registry.subscribe(v2.id, thread);
        let gate = Arc::new(ThreadGate::default());
        let mut mapper = ThreadEventMapper::new(thread);

        let update = EventMsg::McpStartupUpdate(McpStartupUpdateEvent {
            server: "broken".into(),
            status: McpStartupStatus::Failed {
                error: "MCP client for `broken` failed to start: MCP startup failed: No such file or directory (os error 2)".into(),
            },
        });
        let complete = EventMsg::McpStartupComplete(McpStartupCompleteEvent {
            ready: vec!["stub".into()],
            failed: vec![McpStartupFailure {
                server: "broken".into(),
                error: "No such file or directory (os error 2)".into(),
            }],
            cancelled: Vec::new(),
        });
        let started = EventMsg::TaskStarted(TurnStartedEvent {
            turn_id: "turn-1".into(),
            model_context_window: None,
            collaboration_mode_kind: Default::default(),
        });
        // As the reference sends a server's `elicitation/create`.
        let elicitation = EventMsg::ElicitationRequest(ElicitationRequestEvent {
            server_name: "stub".into(),
            id: RequestId::String("e1".into()),
            message: "Pick one".into(),
        });
        let events = [
            ("", update),
            ("", complete),
            ("turn-1", started),
            ("mcp_elicitation_request", elicitation),
        ];
        for (event_id, msg) in events {
            let event = Event {
                id: event_id.into(),
                msg,
            };
            deliver(&state, thread, &gate, &mut mapper, &event).await;
        }

        let thread = thread.to_string();
        let update = json!({"method": "codex/event/mcp_startup_update", "params": {"id": "", "msg": {"type": "mcp_startup_update", "server": "broken", "status": {"state": "failed", "error": "MCP client for `broken` failed to start: MCP startup failed: No such file or directory (os error 2)"}}, "conversationId": thread}});
        let complete = json!({"method": "codex/event/mcp_startup_complete", "params": {"id": "", "msg": {"type": "mcp_startup_complete", "ready": ["stub"], "failed": [{"server": "broken", "error": "No such file or directory (os error 2)"}], "cancelled": []}, "conversationId": thread}});
        let turn_started = json!({"method": "turn/started", "params": {"threadId": thread, "turn": {"id": "turn-1", "items": [], "status": "inProgress", "error": null}}});
        let task_started = json!({"method": "codex/event/task_started", "params": {"id": "turn-1", "msg": {"type": "task_started", "turn_id": "turn-1", "model_context_window": null, "collaboration_mode_kind": "default"}, "conversationId": thread}});
        let elicitation = json!({"method": "codex/event/elicitation_request", "params": {"id": "mcp_elicitation_request", "msg": {"type": "elicitation_request", "server_name": "stub", "id": "e1", "message": "Pick one"}, "conversationId": thread}});
        let everything = [update, complete, turn_started, task_started, elicitation];
        assert_eq!(sent(&v2).await, everything);
        assert_eq!(sent(&v1).await, everything);
        assert_eq!(sent(&stranger).await, Vec::<Value>::new());
    }

    #[tokio::test]
    async fn v1_listeners_hear_of_mcp_calls_in_the_references_words() {
        let root = tempfile::tempdir().unwrap();
        let state = test_state(root.path());
        let v1 = initialized(&state);
        let thread = ThreadId::new();
        state.registry.listen_legacy(v1.id, thread);
        let gate = Arc::new(ThreadGate::default());
        let mut mapper = ThreadEventMapper::new(thread);
        let invocation = McpInvocation {
            server: "stub".into(),
            tool: "echo".into(),
            arguments: Some(json!({"text": "ping"})),
        };
        let begin = EventMsg::McpToolCallBegin(McpToolCallBeginEvent {
            call_id: "call_0".into(),
            invocation: invocation.clone(),
        });
        let end = EventMsg::McpToolCallEnd(McpToolCallEndEvent {
            call_id: "call_0".into(),
            invocation,
            duration: std::time::Duration::new(0, 1_088_909),
            result: Ok(CallToolResult {
                content: vec![json!({"type": "text", "text": "echo: ping"})],
                structured_content: None,
                is_error: None,
                meta: None,
            }),
        });
        for msg in [begin, end] {
            let event = Event {
                id: "turn-1".into(),
                msg,
            };
            deliver(&state, thread, &gate, &mut mapper, &event).await;
        }
        let thread = thread.to_string();
        let legacy: Vec<Value> = sent(&v1)
            .await
            .into_iter()
            .filter(|message| {
                message["method"]
                    .as_str()
                    .is_some_and(|method| method.starts_with("codex/event/"))
            })
            .collect();
        assert_eq!(
            legacy,
            [
                json!({"method": "codex/event/mcp_tool_call_begin", "params": {"id": "turn-1", "msg": {"type": "mcp_tool_call_begin", "call_id": "call_0", "invocation": {"server": "stub", "tool": "echo", "arguments": {"text": "ping"}}}, "conversationId": thread}}),
                json!({"method": "codex/event/mcp_tool_call_end", "params": {"id": "turn-1", "msg": {"type": "mcp_tool_call_end", "call_id": "call_0", "invocation": {"server": "stub", "tool": "echo", "arguments": {"text": "ping"}}, "duration": {"secs": 0, "nanos": 1_088_909}, "result": {"Ok": {"content": [{"type": "text", "text": "echo: ping"}]}}}, "conversationId": thread}}),
            ]
        );
    }
}
