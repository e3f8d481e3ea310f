//! Approvals, server side: the core asks (`ExecApprovalRequest`, `ApplyPatchApprovalRequest`)
//! and waits; we ask one client and hand its decision back as `Op::ExecApproval` /
//! `Op::PatchApproval`.
//!
//! Each request runs in a task of its own, so the thread's event pump never waits on a person.
//! The client asked is the one that started the running turn if it still follows the thread,
//! else the first subscriber. v2 clients get `item/commandExecution/requestApproval` /
//! `item/fileChange/requestApproval`; connections that listen to the v1 event stream get
//! `execCommandApproval` / `applyPatchApproval`. A request whose client goes away, or that had
//! no client to ask, waits for a client to resume the thread (`thread_requests`); when none
//! does within the grace, the answer is `abort`: nothing runs unapproved.

use std::sync::Arc;

use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use codex_core::thread::Op;
use codex_protocol::ThreadId;
use codex_protocol::approvals::ApplyPatchApprovalRequestEvent;
use codex_protocol::approvals::ExecApprovalRequestEvent;
use codex_protocol::protocol::ReviewDecision;
use codex_utils_lock::lock;
use serde::de::DeserializeOwned;

use crate::connection::ClientReply;
use crate::connection::Connection;
use crate::state::ServerState;
use crate::state::ThreadGate;
use crate::wire::requests;
use crate::wire::tools;

/// What the core asked.
#[derive(Debug, Clone)]
pub(crate) enum Approval {
    Exec(ExecApprovalRequestEvent),
    Patch(ApplyPatchApprovalRequestEvent),
}

/// Asks a client about `approval` in a task of its own, then answers the thread.
pub(crate) fn spawn(
    state: Arc<ServerState>,
    thread_id: ThreadId,
    gate: Arc<ThreadGate>,
    approval: Approval,
) {
    tokio::spawn(async move {
        // v1 listeners are asked too, in v1 terms (see `ask`). With no client to ask, the
        // request waits for one to resume the thread (`thread_requests`).
        let asked = whom_to_ask(state.registry.followers(thread_id), &gate);
        let decision = ask(&state, asked.as_deref(), thread_id, &approval).await;
        if matches!(decision, ReviewDecision::Denied | ReviewDecision::Abort) {
            // Sent before the core hears the decision, so it precedes what the turn does next.
            let (item, turn_id) = match &approval {
                Approval::Exec(request) => {
                    (tools::declined_command(request), request.turn_id.clone())
                }
                Approval::Patch(request) => {
                    (tools::declined_patch(request), request.turn_id.clone())
                }
            };
            state.registry.notify_thread(
                thread_id,
                &ServerNotification::ItemCompleted(v2::ItemCompletedNotification {
                    item,
                    thread_id: thread_id.to_string(),
                    turn_id,
                }),
            );
        }
        let op = match approval {
            Approval::Exec(request) => Op::ExecApproval {
                id: request.call_id,
                decision,
            },
            Approval::Patch(request) => Op::PatchApproval {
                id: request.call_id,
                decision,
            },
        };
        if let Err(err) = submit(&state, thread_id, op).await {
            tracing::debug!(thread = %thread_id, "approval decision not delivered: {err}");
        }
    });
}

/// Hands the client's answer to the thread.
pub(crate) async fn submit(state: &ServerState, thread_id: ThreadId, op: Op) -> Result<(), String> {
    match state.threads.manager().await {
        Ok(manager) => match manager.get(thread_id) {
            Ok(thread) => thread
                .submit(op)
                .await
                .map(|_| ())
                .map_err(|err| err.to_string()),
            Err(err) => Err(err.to_string()),
        },
        Err(err) => Err(err.message),
    }
}

/// Among `candidates`, the turn's starter if it is one, else the first.
pub(crate) fn whom_to_ask(
    candidates: Vec<Arc<Connection>>,
    gate: &ThreadGate,
) -> Option<Arc<Connection>> {
    let owner = *lock(&gate.turn_owner);
    owner
        .and_then(|owner| candidates.iter().find(|c| c.id == owner).cloned())
        .or_else(|| candidates.into_iter().next())
}

async fn ask(
    state: &ServerState,
    connection: Option<&Connection>,
    thread_id: ThreadId,
    approval: &Approval,
) -> ReviewDecision {
    let v1 = connection
        .is_some_and(|connection| state.registry.listens_legacy(connection.id, thread_id));
    let payload = match approval {
        Approval::Exec(request) => requests::exec_approval(thread_id, request, v1),
        Approval::Patch(request) => requests::patch_approval(thread_id, request, v1),
    };
    let method = payload.method();
    let asked = state
        .requests
        .ask(&state.registry, thread_id, connection, payload)
        .await;
    let result = match asked {
        Ok(ClientReply::Result(result)) => result,
        Ok(ClientReply::Error(error)) => {
            tracing::info!(
                "{method} answered with an error ({}); declining",
                error.message
            );
            return ReviewDecision::Denied;
        }
        Err(_cancelled) => return ReviewDecision::Abort,
    };
    let decision = match (approval, v1) {
        (Approval::Exec(_), false) => parse(
            method,
            result,
            |response: v2::CommandExecutionRequestApprovalResponse| {
                requests::exec_decision(response.decision)
            },
        ),
        (Approval::Patch(_), false) => parse(
            method,
            result,
            |response: v2::FileChangeRequestApprovalResponse| {
                requests::patch_decision(response.decision)
            },
        ),
        (Approval::Exec(_), true) => parse(
            method,
            result,
            |response: v1::ExecCommandApprovalResponse| response.decision,
        ),
        (Approval::Patch(_), true) => parse(
            method,
            result,
            |response: v1::ApplyPatchApprovalResponse| response.decision,
        ),
    };
    // An answer we cannot read is not consent.
    decision.unwrap_or(ReviewDecision::Denied)
}

fn parse<T: DeserializeOwned>(
    method: &str,
    result: serde_json::Value,
    decision: impl FnOnce(T) -> ReviewDecision,
) -> Option<ReviewDecision> {
    match serde_json::from_value(result) {
        Ok(response) => Some(decision(response)),
        Err(err) => {
            tracing::info!("unreadable answer to {method} ({err}); declining");
            None
        }
    }
}
