//! The methods on running threads: `thread/start`, `thread/resume`, `thread/fork`,
//! `thread/rollback`, `thread/compact/start`, `thread/backgroundTerminals/clean`, `turn/start`,
//! `turn/steer` and `turn/interrupt`.
//!
//! Threads run in the core's `ThreadManager`; each loaded thread has an event pump (`pump`)
//! that turns its events into notifications for the connections subscribed to it. A request
//! that starts something holds the thread's gate until it has answered, so its answer reaches
//! the client before the notifications about what it started.

use std::sync::Arc;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_core::thread::CodexThread;
use codex_core::thread::NewThread;
use codex_core::thread::Op;
use codex_core::thread::SeeRollout;
use codex_core::thread::ThreadError;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_rollout::RolloutError;
use codex_utils_lock::lock;
use tokio::sync::OwnedMutexGuard;

use super::stored_thread;
use super::stored_thread::blocking;
use crate::error;
use crate::pump;
use crate::responder::RequestContext;
use crate::state::GatedTurns;
use crate::state::ServerState;
use crate::wire;
use crate::wire::thread::SeenRollout;
use crate::wire::thread::loaded_response;
use crate::wire::thread::overrides;
use crate::wire::thread::parse_thread_id;
use crate::wire::thread::thread_error;

/// A loaded thread by its wire id: `thread not found: <id>` when it is not running.
pub(crate) async fn loaded(
    state: &ServerState,
    thread_id: &str,
) -> Result<(ThreadId, Arc<CodexThread>), JSONRPCErrorError> {
    let id = parse_thread_id(thread_id)?;
    // No manager yet means no thread was ever loaded; do not build one to say so.
    let manager = state
        .threads
        .running()
        .ok_or_else(|| error::thread_not_found(id))?;
    let thread = manager.get(id).map_err(thread_error)?;
    Ok((id, thread))
}

/// A loaded thread that keeps nothing on disk.
pub(crate) fn ephemeral(state: &ServerState, id: ThreadId) -> Option<Arc<CodexThread>> {
    state
        .threads
        .running()?
        .get(id)
        .ok()
        .filter(|thread| thread.rollout_path().is_none())
}

/// Serves a thread just loaded: its requester follows it and its events flow once the
/// returned guard is dropped.
pub(crate) fn follow_and_pump(
    context: &RequestContext,
    new: NewThread,
) -> (Arc<CodexThread>, Option<OwnedMutexGuard<GatedTurns>>) {
    let id = new.thread.id();
    // The pump opens the thread's journal; the subscription comes after, so that an
    // experimental client's has it keep notifications from the first.
    let pumped = pump_held(&context.state, new);
    context.state.registry.subscribe(context.connection.id, id);
    pumped
}

/// The journal id an answer that loaded or joined `thread` carries: experimental clients only.
fn journal_id(context: &RequestContext, thread: ThreadId) -> Option<String> {
    if context.connection.is_experimental() {
        context.state.registry.journal_id(thread)
    } else {
        None
    }
}

/// Starts a thread's event pump, for whoever follows it (v2) or listens to it (v1).
pub(crate) fn pump_events(state: &Arc<ServerState>, new: NewThread) -> Arc<CodexThread> {
    pump_held(state, new).0
}

/// Starts a thread's event pump with its gate closed until the returned guard is dropped, so
/// that the request that loaded it can answer and announce it before its first events (its
/// MCP servers' startup, which the reference sends after `thread/started`).
fn pump_held(
    state: &Arc<ServerState>,
    new: NewThread,
) -> (Arc<CodexThread>, Option<OwnedMutexGuard<GatedTurns>>) {
    let id = new.thread.id();
    let gate = state.threads.add_gate(id);
    let held = gate.try_hold();
    pump::spawn(Arc::clone(state), id, gate, new.events);
    (new.thread, held)
}

pub(crate) async fn start(context: RequestContext, mut params: v2::ThreadStartParams) {
    let dynamic_tools = params.dynamic_tools.take().unwrap_or_default();
    let personality = params.personality;
    let overrides = overrides!(params, params.ephemeral.unwrap_or(false));
    let started = async {
        let mut start =
            overrides.into_start(&context.state.config.cwd, context.connection.client_name())?;
        start.dynamic_tools = wire::thread::dynamic_tools(dynamic_tools);
        start.personality = personality;
        let manager = context.state.threads.manager().await?;
        manager.start_thread(start).await.map_err(thread_error)
    }
    .await;
    let new = match started {
        Ok(new) => new,
        Err(err) => return context.responder.fail(err).await,
    };
    let (thread, held) = follow_and_pump(&context, new);
    let wire = wire::thread::loaded_thread(&thread, false);
    let mut response = loaded_response!(ThreadStartResponse, thread, wire.clone());
    response.journal_id = journal_id(&context, thread.id());
    answer_then_announce(context, response, wire).await;
    drop(held);
}

/// Answers a request that loaded a new thread, then tells the thread's followers it started.
async fn answer_then_announce(
    context: RequestContext,
    response: impl serde::Serialize,
    thread: v2::Thread,
) {
    let state = Arc::clone(&context.state);
    let id = parse_thread_id(&thread.id);
    context.responder.respond(Ok(response)).await;
    if let Ok(id) = id {
        state.registry.notify_thread(
            id,
            &ServerNotification::ThreadStarted(v2::ThreadStartedNotification { thread }),
        );
    }
}

pub(crate) async fn resume(context: RequestContext, mut params: v2::ThreadResumeParams) {
    let id = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let after = params.after_seq.map(|seq| (seq, params.journal_id.take()));
    let running = context
        .state
        .threads
        .running()
        .and_then(|manager| manager.get(id).ok());
    if let Some(thread) = running {
        return join(context, id, thread, after).await;
    }
    if let Some((after_seq, _)) = after {
        // Not loaded: no journal holds anything of it.
        return context.responder.fail(not_held(after_seq, 1)).await;
    }
    let personality = params.personality;
    let overrides = overrides!(params, false);
    let resumed = async {
        let mut start =
            overrides.into_start(&context.state.config.cwd, context.connection.client_name())?;
        start.personality = personality;
        let manager = context.state.threads.manager().await?;
        // The turns are rebuilt in the same pass over the rollout that loads the thread.
        match manager
            .resume_thread_seeing(id, start, SeenRollout::turns())
            .await
        {
            Ok((new, seen)) => {
                let thread = follow_and_pump(&context, new).0;
                let wire = seen.into_thread(&thread);
                Ok(Some((thread, wire)))
            }
            // Loaded meanwhile: the client joins it as it is.
            Err(ThreadError::AlreadyLoaded(_)) => Ok(None),
            Err(err) => Err(thread_error(err)),
        }
    }
    .await;
    match resumed {
        Ok(Some((thread, wire))) => {
            let mut response = loaded_response!(ThreadResumeResponse, thread, wire);
            response.journal_id = journal_id(&context, id);
            context.responder.respond(Ok(response)).await;
        }
        Ok(None) => match context
            .state
            .threads
            .running()
            .map(|manager| manager.get(id))
        {
            Some(Ok(thread)) => join(context, id, thread, None).await,
            Some(Err(err)) => context.responder.fail(thread_error(err)).await,
            None => context.responder.fail(error::thread_not_found(id)).await,
        },
        Err(err) => context.responder.fail(err).await,
    }
}

/// `thread/resume` of a thread running here: the client subscribes and gets the answer, then
/// the journaled notifications after `after` when it asked for them, then the server requests
/// about the thread that wait for a client, then the live notifications.
async fn join(
    context: RequestContext,
    id: ThreadId,
    thread: Arc<CodexThread>,
    after: Option<(u64, Option<String>)>,
) {
    // Read before subscribing: the answer is sent at the moment of subscribing, ahead of the
    // replayed and live notifications.
    let base = wire::thread::reloaded_thread(&thread, false);
    let wire = match with_turns(&context.state, &thread, base).await {
        Ok(wire) => wire,
        Err(err) => return context.responder.fail(err).await,
    };
    let RequestContext {
        state,
        connection,
        responder,
    } = context;
    let experimental = connection.is_experimental();
    let mut response = loaded_response!(ThreadResumeResponse, thread, wire);
    let after_ref = after
        .as_ref()
        .map(|(seq, journal_id)| (*seq, journal_id.as_deref()));
    let mut responder = Some(responder);
    let joined = state
        .registry
        .subscribe_and_replay(&connection, id, after_ref, |journal_id| {
            if experimental {
                response.journal_id = journal_id.map(str::to_owned);
            }
            if let Some(responder) = responder.take() {
                responder.respond_now(Ok(response));
            }
        });
    match (joined, responder) {
        (Ok(()), _) => {
            state.requests.adopt(id, &connection);
        }
        (Err(not), Some(responder)) => {
            let after_seq = after.map_or(0, |(seq, _)| seq);
            responder.respond_now::<()>(Err(not_held(after_seq, not.oldest_seq)));
        }
        (Err(_), None) => {}
    }
}

/// `thread/unsubscribe` (experimental): the connection stops following a loaded thread. When
/// nobody follows it any more, the thread is unloaded (a running turn is interrupted) and the
/// connection hears `thread/closed`, as upstream's later server does.
pub(crate) async fn unsubscribe(context: RequestContext, params: v2::ThreadUnsubscribeParams) {
    let id = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let state = Arc::clone(&context.state);
    let connection = Arc::clone(&context.connection);
    let manager = state
        .threads
        .running()
        .filter(|manager| manager.get(id).is_ok());
    let status = match &manager {
        None => v2::ThreadUnsubscribeStatus::NotLoaded,
        Some(_) if state.registry.unsubscribe(connection.id, id) => {
            v2::ThreadUnsubscribeStatus::Unsubscribed
        }
        Some(_) => v2::ThreadUnsubscribeStatus::NotSubscribed,
    };
    context
        .responder
        .respond(Ok(v2::ThreadUnsubscribeResponse { status }))
        .await;
    if let Some(manager) = manager
        && status == v2::ThreadUnsubscribeStatus::Unsubscribed
        && !state.registry.is_followed(id)
    {
        if let Err(err) = manager.unload(id).await {
            tracing::warn!(thread = %id, "cannot unload a thread nobody follows: {err}");
            return;
        }
        let closed = ServerNotification::ThreadClosed(v2::ThreadClosedNotification {
            thread_id: id.to_string(),
        });
        connection.notify_frame(closed.method(), &crate::codec::message(&closed));
    }
}

/// The refusal of an `afterSeq` the journal no longer holds.
fn not_held(after_seq: u64, oldest_seq: u64) -> JSONRPCErrorError {
    let mut error = error::invalid_request(format!(
        "events after seq {after_seq} are no longer held; read the thread instead"
    ));
    error.data = Some(serde_json::json!({ "oldestSeq": oldest_seq }));
    error
}

/// A loaded thread (described as `base`) with its preview and turns: read from its rollout
/// once what it recorded is written, since a thread with a rollout keeps none of them in
/// memory; an ephemeral thread's `base` already has them.
async fn with_turns(
    state: &ServerState,
    thread: &CodexThread,
    mut base: v2::Thread,
) -> Result<v2::Thread, JSONRPCErrorError> {
    let Some(path) = thread.rollout_path() else {
        let memory = wire::thread::loaded_thread(thread, true);
        base.preview = memory.preview;
        base.turns = memory.turns;
        return Ok(base);
    };
    let active_turn = thread.active_turn_id();
    let stored = blocking(state, move |_| {
        match stored_thread::scan_thread(&path, true, active_turn.as_deref()) {
            Ok((_, stored)) => Ok(Some(stored)),
            // Not written yet: nothing recorded.
            Err(RolloutError::FileNotFound(_)) => Ok(None),
            Err(err) => Err(wire::thread::store_error(err)),
        }
    })
    .await?;
    if let Some(stored) = stored {
        base.preview = stored.preview;
        base.turns = stored.turns;
    }
    Ok(base)
}

/// The events a loaded thread recorded (v1's `initialMessages`), read from its rollout once
/// written, or from memory for an ephemeral thread.
pub(crate) async fn recorded_events(
    state: &ServerState,
    thread: &CodexThread,
) -> Result<Option<Vec<EventMsg>>, JSONRPCErrorError> {
    let Some(path) = thread.rollout_path() else {
        return Ok(wire::thread::initial_messages(thread));
    };
    blocking(state, move |_| {
        let mut seen = SeenRollout::events();
        match codex_rollout::scan_rollout_events(&path, |line| seen.see(&line.item)) {
            Ok(_) => Ok(seen.into_initial_messages()),
            Err(RolloutError::FileNotFound(_)) => Ok(None),
            Err(err) => Err(wire::thread::store_error(err)),
        }
    })
    .await
}

pub(crate) async fn fork(context: RequestContext, params: v2::ThreadForkParams) {
    let source = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let overrides = overrides!(params, false);
    let forked = async {
        let start =
            overrides.into_start(&context.state.config.cwd, context.connection.client_name())?;
        let manager = context.state.threads.manager().await?;
        let mut seen = SeenRollout::turns();
        let new = manager
            .fork_thread_seeing(source, start, &mut |item| seen.see(item))
            .await
            .map_err(thread_error)?;
        Ok((new, seen))
    }
    .await;
    let (new, seen) = match forked {
        Ok(forked) => forked,
        Err(err) => return context.responder.fail(err).await,
    };
    let (thread, held) = follow_and_pump(&context, new);
    let wire = seen.into_thread(&thread);
    let mut response = loaded_response!(ThreadForkResponse, thread, wire.clone());
    response.journal_id = journal_id(&context, thread.id());
    answer_then_announce(context, response, wire).await;
    drop(held);
}

pub(crate) async fn rollback(context: RequestContext, params: v2::ThreadRollbackParams) {
    let result = async {
        let (_, thread) = loaded(&context.state, &params.thread_id).await?;
        thread
            .submit(Op::Rollback {
                num_turns: params.num_turns,
            })
            .await
            .map_err(thread_error)?;
        let base = wire::thread::loaded_thread(&thread, false);
        Ok(v2::ThreadRollbackResponse {
            thread: with_turns(&context.state, &thread, base).await?,
        })
    }
    .await;
    context.responder.respond(result).await;
}

pub(crate) async fn compact_start(context: RequestContext, params: v2::ThreadCompactStartParams) {
    let (id, thread) = match loaded(&context.state, &params.thread_id).await {
        Ok(found) => found,
        Err(err) => return context.responder.fail(err).await,
    };
    let mut gate = context.state.threads.hold_gate(id).await;
    match thread.submit(Op::Compact).await {
        Ok(turn_id) => {
            if let Some(gate) = gate.as_mut() {
                gate.compactions.insert(turn_id);
            }
            context
                .responder
                .respond(Ok(v2::ThreadCompactStartResponse {}))
                .await;
        }
        Err(err) => context.responder.fail(thread_error(err)).await,
    }
    drop(gate);
}

pub(crate) async fn turn_start(context: RequestContext, params: v2::TurnStartParams) {
    let (id, thread) = match loaded(&context.state, &params.thread_id).await {
        Ok(found) => found,
        Err(err) => return context.responder.fail(err).await,
    };
    let op = wire::thread::turn_start(params, &context.state.config.cwd);
    // A client that starts a turn hears about it.
    context.state.registry.subscribe(context.connection.id, id);
    if let Some(gate) = context.state.threads.gate(id) {
        *lock(&gate.turn_owner) = Some(context.connection.id);
    }
    let gate = context.state.threads.hold_gate(id).await;
    let result = thread
        .submit(op)
        .await
        .map(|turn_id| v2::TurnStartResponse {
            turn: v2::Turn {
                id: turn_id,
                items: Vec::new(),
                status: v2::TurnStatus::InProgress,
                error: None,
            },
        })
        .map_err(thread_error);
    context.responder.respond(result).await;
    drop(gate);
}

pub(crate) async fn turn_steer(context: RequestContext, params: v2::TurnSteerParams) {
    let result = async {
        let (_, thread) = loaded(&context.state, &params.thread_id).await?;
        let input = wire::input::input_to_core(params.input);
        thread
            .submit(Op::Steer {
                input,
                expected_turn_id: Some(params.expected_turn_id),
            })
            .await
            .map(|turn_id| v2::TurnSteerResponse { turn_id })
            .map_err(thread_error)
    }
    .await;
    context.responder.respond(result).await;
}

pub(crate) async fn turn_interrupt(context: RequestContext, params: v2::TurnInterruptParams) {
    let (id, thread) = match loaded(&context.state, &params.thread_id).await {
        Ok(found) => found,
        Err(err) => return context.responder.fail(err).await,
    };
    // The reference never answers when no turn runs; every request deserves an answer.
    match thread.active_turn_id() {
        None => {
            return context
                .responder
                .fail(error::invalid_request("no active turn to interrupt"))
                .await;
        }
        Some(active) if active != params.turn_id => {
            return context
                .responder
                .fail(error::invalid_request(format!(
                    "expected active turn id {} but found {active}",
                    params.turn_id
                )))
                .await;
        }
        Some(_) => {}
    }
    // Held until the answer is out, so `turn/completed` (interrupted) follows it.
    let gate = context.state.threads.hold_gate(id).await;
    let result = match thread.submit(Op::Interrupt).await {
        Ok(_) => Ok(v2::TurnInterruptResponse {}),
        // It ended on its own meanwhile: what the client asked for is true.
        Err(ThreadError::NoActiveTurn) => Ok(v2::TurnInterruptResponse {}),
        Err(err) => Err(thread_error(err)),
    };
    context.responder.respond(result).await;
    drop(gate);
}

/// `thread/backgroundTerminals/clean` (experimental): kills the processes the thread's
/// commands left running in the background. A running turn goes on; nothing is notified.
pub(crate) async fn background_terminals_clean(
    context: RequestContext,
    params: v2::ThreadBackgroundTerminalsCleanParams,
) {
    let result = loaded(&context.state, &params.thread_id)
        .await
        .map(|(_, thread)| {
            thread.clean_background_terminals();
            v2::ThreadBackgroundTerminalsCleanResponse {}
        });
    context.responder.respond(result).await;
}
