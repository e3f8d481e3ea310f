//! The legacy v1 conversation methods, on the machinery of the v2 thread methods: a
//! conversation is a thread, started, resumed and forked by the same `ThreadManager` and
//! pumped by the same event pump.
//!
//! v1 clients hear a thread through listeners (`addConversationListener`): the pump sends the
//! core's events, as `codex/event/<type>` notifications, to the connections listening, and to
//! no one else. A conversation opened here does not subscribe its connection to the v2
//! notifications.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v1;
use codex_core::thread::CodexThread;
use codex_core::thread::Op;
use codex_core::thread::SeeRollout;
use codex_core::thread::ThreadError;
use codex_core::thread::TurnOverrides;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::TurnAbortReason;

use super::loaded_thread;
use super::stored_thread;
use crate::codec;
use crate::connection::Connection;
use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;
use crate::wire;
use crate::wire::thread::SeenRollout;

/// How long `interruptConversation` waits for the turn to stop before answering anyway.
const INTERRUPT_WAIT: Duration = Duration::from_secs(10);
/// How often `interruptConversation` looks whether the turn stopped.
const INTERRUPT_POLL: Duration = Duration::from_millis(10);

fn conversation_not_found(id: ThreadId) -> JSONRPCErrorError {
    error::invalid_request(format!("conversation not found: {id}"))
}

/// A loaded conversation, in the reference's words when it is not.
async fn loaded(state: &ServerState, id: ThreadId) -> Result<Arc<CodexThread>, JSONRPCErrorError> {
    state
        .threads
        .running()
        .and_then(|manager| manager.get(id).ok())
        .ok_or_else(|| conversation_not_found(id))
}

pub(crate) async fn new_conversation(context: RequestContext, params: v1::NewConversationParams) {
    let started = async {
        let start = wire::thread::v1_overrides(Some(params))
            .into_start(&context.state.config.cwd, context.connection.client_name())?;
        let manager = context.state.threads.manager().await?;
        manager
            .start_thread(start)
            .await
            .map_err(wire::thread::thread_error)
    }
    .await;
    let thread = match started {
        Ok(new) => loaded_thread::pump_events(&context.state, new),
        Err(err) => return context.responder.fail(err).await,
    };
    let settings = thread.settings();
    let response = v1::NewConversationResponse {
        conversation_id: thread.id(),
        model: settings.model,
        reasoning_effort: settings.reasoning_effort,
        rollout_path: wire::thread::rollout_path(&thread),
    };
    // A new conversation has recorded no events yet.
    answer_then_configure(context, &thread, response, None).await;
}

/// Tells the requester its conversation is configured, after the answer.
fn notify_configured(
    connection: &Connection,
    thread: &CodexThread,
    initial_messages: Option<Vec<EventMsg>>,
) {
    let settings = thread.settings();
    let notification = ServerNotification::SessionConfigured(v1::SessionConfiguredNotification {
        session_id: thread.id(),
        model: settings.model,
        reasoning_effort: settings.reasoning_effort,
        history_log_id: 0,
        history_entry_count: 0,
        initial_messages,
        rollout_path: wire::thread::rollout_path(thread),
    });
    connection.notify_frame(notification.method(), &codec::message(&notification));
}

pub(crate) async fn add_listener(
    context: RequestContext,
    params: v1::AddConversationListenerParams,
) {
    let id = params.conversation_id;
    if let Err(err) = loaded(&context.state, id).await {
        return context.responder.fail(err).await;
    }
    let Some(subscription_id) = context
        .state
        .registry
        .listen_legacy(context.connection.id, id)
    else {
        // The connection closed meanwhile: nobody is left to answer.
        return;
    };
    let state = Arc::clone(&context.state);
    let connection = Arc::clone(&context.connection);
    context
        .responder
        .respond(Ok(v1::AddConversationSubscriptionResponse {
            subscription_id,
        }))
        .await;
    // After the answer: the client now knows the conversation it is asked about.
    state.requests.adopt(id, &connection);
}

pub(crate) async fn remove_listener(
    context: RequestContext,
    params: v1::RemoveConversationListenerParams,
) {
    if context
        .state
        .registry
        .unlisten_legacy(&params.subscription_id)
    {
        context
            .responder
            .respond(Ok(v1::RemoveConversationSubscriptionResponse {}))
            .await;
    } else {
        let message = format!("subscription not found: {}", params.subscription_id);
        context
            .responder
            .fail(error::invalid_request(message))
            .await;
    }
}

/// Starts a turn (or joins the running one) and answers before its events go out.
async fn submit_turn(
    context: RequestContext,
    id: ThreadId,
    items: Vec<v1::InputItem>,
    overrides: TurnOverrides,
    output_schema: Option<serde_json::Value>,
    response: impl serde::Serialize,
) {
    let thread = match loaded(&context.state, id).await {
        Ok(thread) => thread,
        Err(err) => return context.responder.fail(err).await,
    };
    let gate = context.state.threads.hold_gate(id).await;
    let input = wire::input::v1_input_to_core(items);
    let result = thread
        .submit(Op::UserTurn {
            input,
            overrides,
            output_schema,
        })
        .await
        .map(|_| response)
        .map_err(wire::thread::thread_error);
    context.responder.respond(result).await;
    drop(gate);
}

pub(crate) async fn send_user_message(context: RequestContext, params: v1::SendUserMessageParams) {
    submit_turn(
        context,
        params.conversation_id,
        params.items,
        TurnOverrides::default(),
        None,
        v1::SendUserMessageResponse {},
    )
    .await;
}

pub(crate) async fn send_user_turn(context: RequestContext, params: v1::SendUserTurnParams) {
    let overrides = wire::thread::v1_turn_overrides(&params, &context.state.config.cwd);
    submit_turn(
        context,
        params.conversation_id,
        params.items,
        overrides,
        params.output_schema.clone(),
        v1::SendUserTurnResponse {},
    )
    .await;
}

pub(crate) async fn interrupt(context: RequestContext, params: v1::InterruptConversationParams) {
    let thread = match loaded(&context.state, params.conversation_id).await {
        Ok(thread) => thread,
        Err(err) => return context.responder.fail(err).await,
    };
    let Some(turn) = thread.active_turn_id() else {
        // The reference never answers when no turn runs; every request deserves an answer.
        return context
            .responder
            .fail(error::invalid_request("no active turn to interrupt"))
            .await;
    };
    match thread.submit(Op::Interrupt).await {
        Ok(_) | Err(ThreadError::NoActiveTurn) => {}
        Err(err) => {
            return context
                .responder
                .fail(wire::thread::thread_error(err))
                .await;
        }
    }
    // Answered once the turn stopped, off the connection's request loop.
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + INTERRUPT_WAIT;
        while thread.active_turn_id().as_deref() == Some(turn.as_str())
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(INTERRUPT_POLL).await;
        }
        context
            .responder
            .respond(Ok(v1::InterruptConversationResponse {
                abort_reason: TurnAbortReason::Interrupted,
            }))
            .await;
    });
}

pub(crate) async fn list(context: RequestContext, params: v1::ListConversationsParams) {
    let result = stored_thread::list_page(&context.state, wire::thread::v1_list_params(params))
        .await
        .map(|(page, fallback_provider)| v1::ListConversationsResponse {
            items: page
                .items
                .iter()
                .map(|summary| wire::thread::v1_summary(summary, &fallback_provider))
                .collect(),
            next_cursor: page.next_cursor,
        });
    context.responder.respond(result).await;
}

/// The summary of the rollout at `path`.
fn summary_at(path: &Path) -> Result<v1::ConversationSummary, JSONRPCErrorError> {
    let (meta, wire) = stored_thread::scan_thread(path, false, None).map_err(|err| {
        error::invalid_request(format!(
            "failed to load conversation summary from {}: {err}",
            path.display()
        ))
    })?;
    Ok(wire::thread::v1_stored_summary(meta, wire, path))
}

pub(crate) async fn summary(context: RequestContext, params: v1::GetConversationSummaryParams) {
    let result = stored_thread::blocking(&context.state, move |store| {
        let path = match params {
            v1::GetConversationSummaryParams::RolloutPath { rollout_path } => {
                PathBuf::from(rollout_path)
            }
            v1::GetConversationSummaryParams::ConversationId { conversation_id } => {
                stored_thread::find(store, conversation_id, error::no_rollout)?
            }
        };
        summary_at(&path)
    })
    .await
    .map(|summary| v1::GetConversationSummaryResponse { summary });
    context.responder.respond(result).await;
}

/// The conversation a resume or fork names: by id, or by the rollout at `path`.
fn named_conversation(
    path: Option<String>,
    id: Option<ThreadId>,
) -> Result<ThreadId, JSONRPCErrorError> {
    match (id, path) {
        (Some(id), _) => Ok(id),
        (None, Some(path)) => codex_rollout::read_session_meta(Path::new(&path))
            .map(|meta| meta.id)
            .map_err(|err| error::invalid_request(format!("failed to read rollout {path}: {err}"))),
        (None, None) => Err(error::invalid_request(
            "either conversationId or path is required",
        )),
    }
}

pub(crate) async fn resume(context: RequestContext, params: v1::ResumeConversationParams) {
    let resumed = async {
        let id = named_conversation(params.path, params.conversation_id)?;
        let start = wire::thread::v1_overrides(params.overrides)
            .into_start(&context.state.config.cwd, context.connection.client_name())?;
        let manager = context.state.threads.manager().await?;
        match manager
            .resume_thread_seeing(id, start, SeenRollout::events())
            .await
        {
            Ok((new, seen)) => Ok((
                loaded_thread::pump_events(&context.state, new),
                seen.into_initial_messages(),
            )),
            // Already running here: the client joins it as it is.
            Err(ThreadError::AlreadyLoaded(_)) => {
                let thread = manager.get(id).map_err(wire::thread::thread_error)?;
                let messages = loaded_thread::recorded_events(&context.state, &thread).await?;
                Ok((thread, messages))
            }
            Err(err) => Err(wire::thread::thread_error(err)),
        }
    }
    .await;
    let (thread, initial_messages) = match resumed {
        Ok(resumed) => resumed,
        Err(err) => return context.responder.fail(err).await,
    };
    let response = v1::ResumeConversationResponse {
        conversation_id: thread.id(),
        model: thread.settings().model,
        initial_messages: initial_messages.clone(),
        rollout_path: wire::thread::rollout_path(&thread),
    };
    let state = Arc::clone(&context.state);
    let connection = Arc::clone(&context.connection);
    answer_then_configure(context, &thread, response, initial_messages).await;
    state.requests.adopt(thread.id(), &connection);
}

pub(crate) async fn fork(context: RequestContext, params: v1::ForkConversationParams) {
    let forked = async {
        let source = named_conversation(params.path, params.conversation_id)?;
        let start = wire::thread::v1_overrides(params.overrides)
            .into_start(&context.state.config.cwd, context.connection.client_name())?;
        let manager = context.state.threads.manager().await?;
        let mut seen = SeenRollout::events();
        let new = manager
            .fork_thread_seeing(source, start, &mut |item| seen.see(item))
            .await
            .map_err(wire::thread::thread_error)?;
        Ok((new, seen.into_initial_messages()))
    }
    .await;
    let (thread, initial_messages) = match forked {
        Ok((new, messages)) => (loaded_thread::pump_events(&context.state, new), messages),
        Err(err) => return context.responder.fail(err).await,
    };
    let response = v1::ForkConversationResponse {
        conversation_id: thread.id(),
        model: thread.settings().model,
        initial_messages: initial_messages.clone(),
        rollout_path: wire::thread::rollout_path(&thread),
    };
    answer_then_configure(context, &thread, response, initial_messages).await;
}

/// Answers a request that loaded a conversation, then sends `sessionConfigured`: the v1 order,
/// which a client relies on to know the id before the conversation's events.
async fn answer_then_configure(
    context: RequestContext,
    thread: &CodexThread,
    response: impl serde::Serialize,
    initial_messages: Option<Vec<EventMsg>>,
) {
    let connection = Arc::clone(&context.connection);
    context.responder.respond(Ok(response)).await;
    notify_configured(&connection, thread, initial_messages);
}

pub(crate) async fn archive(context: RequestContext, params: v1::ArchiveConversationParams) {
    let id = params.conversation_id;
    let result = async {
        // A running conversation stops first, so nothing writes to the rollout as it moves.
        if let Some(manager) = context.state.threads.running()
            && let Ok(thread) = manager.get(id)
        {
            thread.flush().await;
            match manager.unload(id).await {
                Ok(()) | Err(ThreadError::NotLoaded(_)) => {}
                Err(err) => return Err(wire::thread::thread_error(err)),
            }
        }
        let given = PathBuf::from(params.rollout_path);
        stored_thread::blocking(&context.state, move |store| {
            let path = stored_thread::find(store, id, error::no_rollout)?;
            if stored_thread::is_archived(&path) {
                return Err(error::no_rollout(id));
            }
            let same = match (path.canonicalize(), given.canonicalize()) {
                (Ok(found), Ok(given)) => found == given,
                _ => path == given,
            };
            if !same {
                return Err(error::invalid_request(format!(
                    "rollout path `{}` does not match conversation {id}",
                    given.display()
                )));
            }
            store.archive(id).map_err(wire::thread::store_error)?;
            Ok(v1::ArchiveConversationResponse {})
        })
        .await
    }
    .await;
    context.responder.respond(result).await;
}
