//! `review/start`: a review of the changes a target names, run by the core as a turn of its
//! own, either in the thread itself (`inline`, the default) or in a fork of it made for the
//! review (`detached`), which runs on the configured `review_model` when there is one.
//!
//! The answer names the review's turn, showing the target's hint as its user message, and the
//! thread it runs in; `turn/started` follows, then the review's items. A detached review's
//! thread is announced (`thread/started`) before the answer, and the requester follows it.

use std::sync::Arc;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_core::thread::CodexThread;
use codex_core::thread::Op;
use codex_core::thread::SeeRollout;
use codex_core::thread::StartThread;
use codex_core::thread::ThreadError;
use codex_protocol::ThreadId;
use codex_protocol::protocol::ReviewRequest;
use codex_utils_lock::lock;

use super::loaded_thread::follow_and_pump;
use super::loaded_thread::loaded;
use crate::error;
use crate::responder::RequestContext;
use crate::wire;
use crate::wire::thread::SeenRollout;
use crate::wire::thread::thread_error;

pub(crate) async fn start(context: RequestContext, params: v2::ReviewStartParams) {
    let v2::ReviewStartParams {
        thread_id,
        target,
        delivery,
    } = params;
    let (id, thread) = match loaded(&context.state, &thread_id).await {
        Ok(found) => found,
        Err(err) => return context.responder.fail(err).await,
    };
    let request = match wire::review::review_request(target) {
        Ok(request) => request,
        Err(err) => return context.responder.fail(err).await,
    };
    match delivery.unwrap_or(v2::ReviewDelivery::Inline) {
        v2::ReviewDelivery::Inline => inline(context, id, thread, request).await,
        v2::ReviewDelivery::Detached => detached(context, id, thread, request).await,
    }
}

/// The review runs as the thread's next turn.
async fn inline(
    context: RequestContext,
    id: ThreadId,
    thread: Arc<CodexThread>,
    request: ReviewRequest,
) {
    let hint = wire::review::hint(&request);
    // A client that starts a review hears about it, as one that starts a turn does.
    context.state.registry.subscribe(context.connection.id, id);
    if let Some(gate) = context.state.threads.gate(id) {
        *lock(&gate.turn_owner) = Some(context.connection.id);
    }
    // Held until the answer is out, so `turn/started` follows it.
    let gate = context.state.threads.hold_gate(id).await;
    let result = thread
        .submit(Op::Review { request })
        .await
        .map(|turn_id| v2::ReviewStartResponse {
            turn: wire::review::review_turn(turn_id, &hint),
            review_thread_id: id.to_string(),
        })
        .map_err(|err| error::internal_error(format!("failed to start review: {err}")));
    context.responder.respond(result).await;
    drop(gate);
}

/// The review runs in a new thread forked from `source`, on the review model if one is set.
async fn detached(
    context: RequestContext,
    source: ThreadId,
    thread: Arc<CodexThread>,
    request: ReviewRequest,
) {
    // The reference forks the rollout on disk: a thread that keeps none cannot be forked.
    if thread.rollout_path().is_none() {
        return context.responder.fail(error::no_rollout(source)).await;
    }
    let start = StartThread {
        model: thread.settings().review_model,
        originator: context.connection.client_name(),
        ..StartThread::default()
    };
    let forked = async {
        let manager = context.state.threads.manager().await?;
        // Only the preview is announced.
        let mut seen = SeenRollout::default();
        manager
            .fork_thread_seeing(source, start, &mut |item| seen.see(item))
            .await
            .map(|new| (new, seen))
            .map_err(|err| match err {
                ThreadError::NoRollout(_) | ThreadError::NotLoaded(_) => thread_error(err),
                other => {
                    error::internal_error(format!("error creating detached review thread: {other}"))
                }
            })
    }
    .await;
    let (new, seen) = match forked {
        Ok(forked) => forked,
        Err(err) => return context.responder.fail(err).await,
    };
    let (review_thread, held) = follow_and_pump(&context, new);
    let review_id = review_thread.id();
    if let Some(gate) = context.state.threads.gate(review_id) {
        *lock(&gate.turn_owner) = Some(context.connection.id);
    }
    let announced = seen.into_thread(&review_thread);
    context.state.registry.notify_thread(
        review_id,
        &ServerNotification::ThreadStarted(v2::ThreadStartedNotification { thread: announced }),
    );
    let hint = wire::review::hint(&request);
    let result: Result<v2::ReviewStartResponse, JSONRPCErrorError> = review_thread
        .submit(Op::Review { request })
        .await
        .map(|turn_id| v2::ReviewStartResponse {
            turn: wire::review::review_turn(turn_id, &hint),
            review_thread_id: review_id.to_string(),
        })
        .map_err(|err| {
            error::internal_error(format!("failed to start detached review turn: {err}"))
        });
    context.responder.respond(result).await;
    drop(held);
}
