//! Tools the client runs, server side: the core asks (`DynamicToolCallRequest`,
//! `RequestUserInput`) and waits; we send `item/tool/call` / `item/tool/requestUserInput` to the
//! client asked about approvals too (the turn's starter, else the first subscriber) and hand its
//! answer back as `Op::DynamicToolResponse` / `Op::UserInputAnswer`.
//!
//! Each call runs in a task of its own, so the event pump never waits on the client. A call
//! whose client goes away waits for another to resume the thread (`thread_requests`); no client
//! within the grace, an error answer or one we cannot read all reach the model as a failed
//! output.

use std::sync::Arc;

use codex_app_server_protocol::ServerRequestPayload;
use codex_app_server_protocol::v2;
use codex_core::thread::Op;
use codex_protocol::ThreadId;
use codex_protocol::dynamic_tools::DynamicToolCallRequest;
use codex_protocol::models::FunctionCallOutputContentItem;
use codex_protocol::request_user_input::RequestUserInputEvent;
use codex_tools::DynamicToolOutput;
use serde::de::DeserializeOwned;

use crate::approvals::submit;
use crate::approvals::whom_to_ask;
use crate::connection::ClientReply;
use crate::state::ServerState;
use crate::state::ThreadGate;
use crate::wire::requests;

/// What the core asked the client to do.
#[derive(Debug, Clone)]
pub(crate) enum ClientCall {
    Dynamic(DynamicToolCallRequest),
    UserInput(RequestUserInputEvent),
}

/// Asks a client in a task of its own, then answers the thread.
pub(crate) fn spawn(
    state: Arc<ServerState>,
    thread_id: ThreadId,
    gate: Arc<ThreadGate>,
    call: ClientCall,
) {
    tokio::spawn(async move {
        // Only v2 clients run these, as in the reference.
        let connection = whom_to_ask(state.registry.subscribers(thread_id), &gate);
        let op = match call {
            ClientCall::Dynamic(request) => {
                let payload = requests::dynamic_tool_call(thread_id, &request);
                let answer = ask::<v2::DynamicToolCallResponse>(
                    &state,
                    thread_id,
                    connection.as_deref(),
                    payload,
                )
                .await
                .map(requests::dynamic_tool_output);
                Op::DynamicToolResponse {
                    id: request.call_id,
                    output: answer.unwrap_or_else(|err| DynamicToolOutput {
                        content: vec![FunctionCallOutputContentItem::InputText {
                            text: format!("dynamic tool call failed: {err}"),
                        }],
                        success: false,
                    }),
                }
            }
            ClientCall::UserInput(request) => {
                let payload = requests::user_input(thread_id, &request);
                let answers = ask::<v2::ToolRequestUserInputResponse>(
                    &state,
                    thread_id,
                    connection.as_deref(),
                    payload,
                )
                .await;
                let answers = match answers {
                    Ok(response) => Some(requests::user_input_answers(response)),
                    Err(err) => {
                        tracing::info!(thread = %thread_id, "request_user_input unanswered: {err}");
                        None
                    }
                };
                Op::UserInputAnswer {
                    id: request.call_id,
                    answers,
                }
            }
        };
        let submitted = submit(&state, thread_id, op).await;
        if let Err(err) = submitted {
            tracing::debug!(thread = %thread_id, "client tool answer not delivered: {err}");
        }
    });
}

async fn ask<T: DeserializeOwned>(
    state: &ServerState,
    thread_id: ThreadId,
    connection: Option<&crate::connection::Connection>,
    payload: ServerRequestPayload,
) -> Result<T, String> {
    let method = payload.method();
    let asked = state
        .requests
        .ask(&state.registry, thread_id, connection, payload)
        .await;
    match asked {
        Ok(ClientReply::Result(result)) => serde_json::from_value(result)
            .map_err(|err| format!("unreadable answer to {method}: {err}")),
        Ok(ClientReply::Error(error)) => Err(format!("{method} failed: {}", error.message)),
        Err(_cancelled) => Err("no client answered".to_owned()),
    }
}
