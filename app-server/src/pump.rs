//! The event pump: one task per loaded thread that turns the core's events into the
//! notifications of the connections following the thread.
//!
//! v2 notifications come from the thread's `ThreadEventMapper`; the legacy `codex/event/*`
//! stream goes, as the core spelled it, to v1 listeners only. The pump ends when the thread
//! shuts down and its event stream closes.

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
use crate::state::ServerState;
use crate::state::ThreadGate;

pub(crate) fn spawn(
    state: Arc<ServerState>,
    id: ThreadId,
    gate: Arc<ThreadGate>,
    mut events: EventStream,
) {
    tokio::spawn(async move {
        let mut mapper = ThreadEventMapper::new(id);
        while let Some(event) = events.recv().await {
            // Waits while a request that started something has not answered yet.
            let mut held = gate.hold().await;
            for notification in mapper.map(&event.msg) {
                if let ServerNotification::TurnStarted(started) = &notification
                    && held.compactions.contains(&started.turn.id)
                {
                    continue;
                }
                state.registry.notify_thread(id, &notification);
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
                EventMsg::ApplyPatchApprovalRequest(request) => {
                    Some(Approval::Patch(request.clone()))
                }
                _ => None,
            };
            if let Some(approval) = approval {
                approvals::spawn(Arc::clone(&state), id, Arc::clone(&gate), approval);
            }
            let client_call = match &event.msg {
                EventMsg::DynamicToolCallRequest(request) => {
                    Some(ClientCall::Dynamic(request.clone()))
                }
                EventMsg::RequestUserInput(request) => Some(ClientCall::UserInput(request.clone())),
                _ => None,
            };
            if let Some(call) = client_call {
                client_tools::spawn(Arc::clone(&state), id, Arc::clone(&gate), call);
            }
            if state.registry.has_legacy_listeners(id) {
                send_legacy(&state, id, &event);
            }
        }
        state.threads.remove_gate(id);
        tracing::debug!(thread = %id, "thread events ended");
    });
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
