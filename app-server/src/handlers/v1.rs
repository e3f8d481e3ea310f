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
use codex_app_server_protocol::v2;
use codex_core::thread::CodexThread;
use codex_core::thread::Op;
use codex_core::thread::ThreadError;
use codex_core::thread::TurnOverrides;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::TurnAbortReason;
use codex_protocol::user_input::UserInput;
use codex_rollout::GitInfo;
use codex_rollout::RolloutItem;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::loaded_thread;
use super::stored_thread;
use crate::codec;
use crate::connection::Connection;
use crate::responder::RequestContext;
use crate::error;
use crate::state::ServerState;

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

fn overrides(params: Option<v1::NewConversationParams>) -> loaded_thread::Overrides {
    let Some(params) = params else {
        return loaded_thread::Overrides::default();
    };
    loaded_thread::Overrides {
        model: params.model,
        model_provider: params.model_provider,
        cwd: params.cwd,
        approval_policy: params.approval_policy,
        sandbox: params.sandbox,
        config: params.config,
        base_instructions: params.base_instructions,
        developer_instructions: params.developer_instructions,
        ephemeral: false,
    }
}

/// The events a loaded conversation recorded, for `initialMessages`.
fn initial_messages(thread: &CodexThread) -> Option<Vec<EventMsg>> {
    let messages: Vec<EventMsg> = thread.with_recorded_items(|items| {
        items
            .iter()
            .filter_map(|item| match item {
                RolloutItem::EventMsg(msg) => Some(msg.clone()),
                _ => None,
            })
            .collect()
    });
    (!messages.is_empty()).then_some(messages)
}

fn rollout_path(thread: &CodexThread) -> String {
    thread
        .rollout_path()
        .map(|path| path.display().to_string())
        .unwrap_or_default()
}

pub(crate) async fn new_conversation(context: RequestContext, params: v1::NewConversationParams) {
    let started = async {
        let start = overrides(Some(params)).into_start(&context)?;
        let manager = context.state.threads.manager().await?;
        manager
            .start_thread(start)
            .await
            .map_err(loaded_thread::thread_error)
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
        rollout_path: rollout_path(&thread),
    };
    answer_then_configure(context, &thread, response).await;
}

/// Tells the requester its conversation is configured, after the answer.
fn notify_configured(connection: &Connection, thread: &CodexThread) {
    let settings = thread.settings();
    let notification = ServerNotification::SessionConfigured(v1::SessionConfiguredNotification {
        session_id: thread.id(),
        model: settings.model,
        reasoning_effort: settings.reasoning_effort,
        history_log_id: 0,
        history_entry_count: 0,
        initial_messages: initial_messages(thread),
        rollout_path: rollout_path(thread),
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
    context
        .responder
        .respond(Ok(v1::AddConversationSubscriptionResponse {
            subscription_id,
        }))
        .await;
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

fn input_to_core(items: Vec<v1::InputItem>) -> Vec<UserInput> {
    items
        .into_iter()
        .map(|item| match item {
            v1::InputItem::Text {
                text,
                text_elements,
            } => UserInput::Text {
                text,
                text_elements: text_elements
                    .into_iter()
                    .map(|element| {
                        loaded_thread::text_element_to_core(
                            element.byte_range.start,
                            element.byte_range.end,
                            element.placeholder,
                        )
                    })
                    .collect(),
            },
            v1::InputItem::Image { image_url } => UserInput::Image { image_url },
            v1::InputItem::LocalImage { path } => UserInput::LocalImage { path },
        })
        .collect()
}

/// Starts a turn (or joins the running one) and answers before its events go out.
async fn submit_turn(
    context: RequestContext,
    id: ThreadId,
    items: Vec<v1::InputItem>,
    overrides: TurnOverrides,
    response: impl serde::Serialize,
) {
    let thread = match loaded(&context.state, id).await {
        Ok(thread) => thread,
        Err(err) => return context.responder.fail(err).await,
    };
    let gate = context.state.threads.hold_gate(id).await;
    let input = input_to_core(items);
    let result = thread
        .submit(Op::UserTurn { input, overrides })
        .await
        .map(|_| response)
        .map_err(loaded_thread::thread_error);
    context.responder.respond(result).await;
    drop(gate);
}

pub(crate) async fn send_user_message(context: RequestContext, params: v1::SendUserMessageParams) {
    submit_turn(
        context,
        params.conversation_id,
        params.items,
        TurnOverrides::default(),
        v1::SendUserMessageResponse {},
    )
    .await;
}

pub(crate) async fn send_user_turn(context: RequestContext, params: v1::SendUserTurnParams) {
    let overrides = TurnOverrides {
        cwd: Some(context.state.config.cwd.as_path().join(&params.cwd)),
        approval_policy: Some(params.approval_policy),
        sandbox_policy: Some(params.sandbox_policy),
        model: Some(params.model),
        effort: params.effort,
        summary: Some(params.summary),
        collaboration_mode: None,
    };
    submit_turn(
        context,
        params.conversation_id,
        params.items,
        overrides,
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
        Err(err) => return context.responder.fail(loaded_thread::thread_error(err)).await,
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

fn timestamp(seconds: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
}

fn git_info(git: Option<&GitInfo>) -> Option<v1::ConversationGitInfo> {
    git.map(|git| v1::ConversationGitInfo {
        sha: git.commit_hash.clone(),
        branch: git.branch.clone(),
        origin_url: git.repository_url.clone(),
    })
}

pub(crate) async fn list(context: RequestContext, params: v1::ListConversationsParams) {
    let query = v2::ThreadListParams {
        cursor: params.cursor,
        limit: params
            .page_size
            .map(|size| u32::try_from(size).unwrap_or(u32::MAX)),
        sort_key: None,
        model_providers: params.model_providers,
        source_kinds: None,
        archived: None,
    };
    let result = stored_thread::list_page(&context.state, query)
        .await
        .map(|(page, fallback_provider)| v1::ListConversationsResponse {
            items: page
                .items
                .iter()
                .map(|summary| v1::ConversationSummary {
                    conversation_id: summary.id,
                    path: summary.path.display().to_string(),
                    preview: summary.preview.clone(),
                    timestamp: timestamp(summary.created_at),
                    updated_at: timestamp(summary.updated_at),
                    model_provider: summary
                        .model_provider
                        .clone()
                        .unwrap_or_else(|| fallback_provider.clone()),
                    cwd: summary.cwd.display().to_string(),
                    cli_version: summary.cli_version.clone(),
                    source: summary.source.clone(),
                    git_info: git_info(summary.git.as_ref()),
                })
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
    Ok(v1::ConversationSummary {
        conversation_id: meta.id,
        path: path.display().to_string(),
        preview: wire.preview,
        timestamp: Some(meta.timestamp),
        updated_at: timestamp(wire.updated_at),
        model_provider: wire.model_provider,
        cwd: wire.cwd,
        cli_version: meta.cli_version,
        source: meta.source,
        git_info: git_info(meta.git.as_ref()),
    })
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
        (None, Some(path)) => codex_rollout::read_rollout(Path::new(&path))
            .map(|rollout| rollout.meta.id)
            .map_err(|err| error::invalid_request(format!("failed to read rollout {path}: {err}"))),
        (None, None) => Err(error::invalid_request(
            "either conversationId or path is required",
        )),
    }
}

pub(crate) async fn resume(context: RequestContext, params: v1::ResumeConversationParams) {
    let resumed = async {
        let id = named_conversation(params.path, params.conversation_id)?;
        let start = overrides(params.overrides).into_start(&context)?;
        let manager = context.state.threads.manager().await?;
        match manager.resume_thread(id, start).await {
            Ok(new) => Ok(loaded_thread::pump_events(&context.state, new)),
            // Already running here: the client joins it as it is.
            Err(ThreadError::AlreadyLoaded(_)) => manager.get(id).map_err(loaded_thread::thread_error),
            Err(err) => Err(loaded_thread::thread_error(err)),
        }
    }
    .await;
    let thread = match resumed {
        Ok(thread) => thread,
        Err(err) => return context.responder.fail(err).await,
    };
    let response = v1::ResumeConversationResponse {
        conversation_id: thread.id(),
        model: thread.settings().model,
        initial_messages: initial_messages(&thread),
        rollout_path: rollout_path(&thread),
    };
    answer_then_configure(context, &thread, response).await;
}

pub(crate) async fn fork(context: RequestContext, params: v1::ForkConversationParams) {
    let forked = async {
        let source = named_conversation(params.path, params.conversation_id)?;
        let start = overrides(params.overrides).into_start(&context)?;
        let manager = context.state.threads.manager().await?;
        manager
            .fork_thread(source, start)
            .await
            .map_err(loaded_thread::thread_error)
    }
    .await;
    let thread = match forked {
        Ok(new) => loaded_thread::pump_events(&context.state, new),
        Err(err) => return context.responder.fail(err).await,
    };
    let response = v1::ForkConversationResponse {
        conversation_id: thread.id(),
        model: thread.settings().model,
        initial_messages: initial_messages(&thread),
        rollout_path: rollout_path(&thread),
    };
    answer_then_configure(context, &thread, response).await;
}

/// Answers a request that loaded a conversation, then sends `sessionConfigured`: the v1 order,
/// which a client relies on to know the id before the conversation's events.
async fn answer_then_configure(
    context: RequestContext,
    thread: &CodexThread,
    response: impl serde::Serialize,
) {
    let connection = Arc::clone(&context.connection);
    context.responder.respond(Ok(response)).await;
    notify_configured(&connection, thread);
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
                Err(err) => return Err(loaded_thread::thread_error(err)),
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
            store.archive(id).map_err(stored_thread::store_error)?;
            Ok(v1::ArchiveConversationResponse {})
        })
        .await
    }
    .await;
    context.responder.respond(result).await;
}
