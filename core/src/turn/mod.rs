//! The turn loop: record the user's input, then sample the model, run the tool calls it makes
//! and sample again, until it answers without calls. Output streams out as items with deltas;
//! a stream that breaks off is resent (up to the client's `stream_max_retries`); an interrupt
//! drops the stream (and any running tool) at once.

mod compact;
mod context;
mod input;
mod proposed_plan;
mod review;
mod sampling;

pub(crate) use context::new_id;

use std::sync::Arc;

use codex_protocol::config_types::ModeKind;
use codex_protocol::protocol::CodexErrorInfo;
use codex_protocol::protocol::ErrorEvent;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewRequest;
use codex_protocol::protocol::TurnAbortReason;
use codex_protocol::protocol::TurnAbortedEvent;
use codex_protocol::protocol::TurnCompleteEvent;
use codex_protocol::protocol::TurnStartedEvent;
use codex_protocol::user_input::UserInput;
use codex_tools::McpServers;
use codex_tools::model_family::ModelFamily;
use tokio_util::sync::CancellationToken;

use crate::instructions::text_message;
use crate::session::Session;

use context::Outcome;
use context::Turn;

/// The user message recorded when a turn is interrupted, so the model knows on the next turn.
const TURN_ABORTED_MESSAGE: &str = "<turn_aborted>\nThe user stopped the previous turn on \
purpose. Tools that were running were stopped and may have done part of their work; check the \
current state before repeating anything.\n</turn_aborted>";

/// What a task does: a regular turn with the user's input, a compaction, or a review.
pub(crate) enum TaskKind {
    Regular {
        input: Vec<UserInput>,
        output_schema: Option<serde_json::Value>,
    },
    Compact,
    Review(ReviewRequest),
}

/// Tells the client how full the context is after history changed outside a turn (a
/// rollback), with `id` as the event's turn id: the estimated size of the next request, as the
/// reference recomputes it.
pub(crate) async fn report_context_usage(session: &Session, id: String) {
    let settings = session.state().settings.clone();
    let turn = Turn {
        id,
        family: ModelFamily::find(&settings.model),
        settings,
        mcp_tools: Arc::from([]),
        output_schema: None,
        cancel: CancellationToken::new(),
    };
    context::estimate_context_usage(session, &turn);
    context::emit_token_count(session, &turn).await;
}

/// Runs one task (a regular turn or a compaction) to its end, then clears the active turn.
pub(crate) async fn run_task(
    session: Arc<Session>,
    turn_id: String,
    kind: TaskKind,
    cancel: CancellationToken,
) {
    let settings = session.state().settings.clone();
    let output_schema = match &kind {
        TaskKind::Regular { output_schema, .. } => output_schema.clone(),
        TaskKind::Compact | TaskKind::Review(_) => None,
    };
    let review = matches!(kind, TaskKind::Review(_));
    let turn = Turn {
        id: turn_id,
        family: ModelFamily::find(&settings.model),
        settings,
        mcp_tools: Arc::from([]),
        output_schema,
        cancel: cancel.clone(),
    };
    // Review mode is entered before the turn starts, as the reference orders them; the client
    // hears of it with the turn's start.
    if let TaskKind::Review(request) = &kind {
        session
            .emit(&turn.id, EventMsg::EnteredReviewMode(request.clone()))
            .await;
    }
    session
        .emit(
            &turn.id,
            EventMsg::TaskStarted(TurnStartedEvent {
                turn_id: turn.id.clone(),
                model_context_window: Some(turn.context_window()),
                collaboration_mode_kind: ModeKind::Default,
            }),
        )
        .await;
    let work = async {
        match kind {
            TaskKind::Regular { input, .. } => {
                input::record_user_input(&session, &turn, input).await;
                // The user's words are the one thing a crash must not lose: put them on disk
                // before the model is asked, so a resume after a kill still has them.
                session.flush().await;
                // The first turn waits here for the servers to start (each up to its own
                // timeout); an interrupt stops the wait with the rest of the turn.
                session.mcp.apply_reload();
                let turn = Turn {
                    mcp_tools: session.mcp.tools().await.into(),
                    ..turn.clone()
                };
                sampling::run_sampling_loop(&session, &turn).await
            }
            TaskKind::Compact => compact::run_compact(&session, &turn).await,
            TaskKind::Review(request) => {
                session.mcp.apply_reload();
                let turn = Turn {
                    mcp_tools: session.mcp.tools().await.into(),
                    ..turn.clone()
                };
                review::run_review(&session, &turn, request).await;
                Outcome::Completed(None)
            }
        }
    };
    // Dropping `work` on cancellation drops the model stream and any running tool at once.
    let outcome = tokio::select! {
        biased;
        () = cancel.cancelled() => None,
        outcome = work => Some(outcome),
    };
    match outcome {
        Some(Outcome::Completed(last_agent_message)) => {
            report_save_failure(&session, &turn).await;
            finish(&session, &turn, last_agent_message).await;
        }
        Some(Outcome::Failed(error)) => {
            session
                .emit(
                    &turn.id,
                    EventMsg::Error(ErrorEvent {
                        message: error.message,
                        codex_error_info: Some(error.info),
                    }),
                )
                .await;
            report_save_failure(&session, &turn).await;
            finish(&session, &turn, None).await;
        }
        None => {
            if review {
                // The review stopped without an answer; the thread still leaves review mode.
                review::exit_review(&session, &turn, None).await;
            }
            session.record_items(vec![text_message("user", TURN_ABORTED_MESSAGE.to_owned())]);
            session
                .emit(
                    &turn.id,
                    EventMsg::TurnAborted(TurnAbortedEvent {
                        turn_id: Some(turn.id.clone()),
                        reason: TurnAbortReason::Interrupted,
                    }),
                )
                .await;
            clear_active(&session, &turn.id);
        }
    }
    // A failure is reported once; the next turn writes again.
    session.take_save_failure().await;
    session.flush().await;
}

/// A turn whose lines did not all reach the rollout ends failed, with an error saying so: it
/// would be lost, or torn, on resume. Its end is not written either, so it reads back as cut
/// off rather than complete.
async fn report_save_failure(session: &Session, turn: &Turn) {
    if let Err(why) = session.saved().await {
        session
            .emit(
                &turn.id,
                EventMsg::Error(ErrorEvent {
                    message: format!("this thread could not be saved: {why}"),
                    codex_error_info: Some(CodexErrorInfo::Other),
                }),
            )
            .await;
    }
}

async fn finish(session: &Session, turn: &Turn, last_agent_message: Option<String>) {
    // The turn is over before clients hear so: a `turn/start` right after `TaskComplete`
    // must start a new turn, not steer this one.
    clear_active(session, &turn.id);
    session
        .emit(
            &turn.id,
            EventMsg::TaskComplete(TurnCompleteEvent {
                turn_id: turn.id.clone(),
                last_agent_message,
            }),
        )
        .await;
}

fn clear_active(session: &Session, turn_id: &str) {
    let mut state = session.state();
    if state
        .active
        .as_ref()
        .is_some_and(|active| active.id == turn_id)
    {
        state.active = None;
    }
}
