//! One `tools/call`: a turn on a thread, its events forwarded to the host as `codex/event`
//! notifications, its approvals asked through elicitations, and its end turned into the
//! call's result.
//!
//! A call always ends: with the turn's last agent message, with its error, or, when the host
//! cancels the call, with an error result once the turn has stopped (hosts that wait for an
//! answer to a cancelled request would otherwise wait forever).

use std::sync::Arc;
use std::time::Duration;

use codex_core::thread::CodexThread;
use codex_core::thread::EventStream;
use codex_core::thread::Op;
use codex_core::thread::TurnOverrides;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::TurnAbortReason;
use codex_protocol::user_input::UserInput;
use rmcp::RoleServer;
use rmcp::model::CallToolResult;
use rmcp::model::ContentBlock;
use rmcp::model::CustomNotification;
use rmcp::model::NumberOrString;
use rmcp::model::RequestId;
use rmcp::model::ServerNotification;
use rmcp::service::Peer;
use serde_json::Value;
use serde_json::json;
use tokio::sync::Mutex;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::approval;

/// How long a cancelled call waits for its turn to stop before it answers anyway.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// A thread this server drives, with its event stream. One call at a time reads the stream: a
/// reply to a thread whose turn still runs waits for that call to end.
pub(crate) struct DrivenThread {
    pub thread: Arc<CodexThread>,
    pub events: Mutex<EventStream>,
}

/// The `tools/call` a turn belongs to, and where its events go.
pub(crate) struct Call {
    pub peer: Peer<RoleServer>,
    pub request_id: RequestId,
    /// Fires when the host cancels the call (or goes away).
    pub cancelled: CancellationToken,
    pub approval_timeout: Duration,
}

impl Call {
    /// The request id as the reference spells it in approvals and turn ids.
    pub(crate) fn id_text(&self) -> String {
        match &self.request_id {
            NumberOrString::Number(number) => number.to_string(),
            NumberOrString::String(text) => text.to_string(),
        }
    }

    /// Sends one event of `thread` as a `codex/event` notification.
    pub(crate) async fn forward(&self, thread: ThreadId, id: &str, msg: &EventMsg) {
        let params = json!({
            "_meta": {"requestId": self.request_id, "threadId": thread.to_string()},
            "id": id,
            "msg": msg,
        });
        let notification = CustomNotification::new("codex/event", Some(params));
        if let Err(err) = self
            .peer
            .send_notification(ServerNotification::CustomNotification(notification))
            .await
        {
            tracing::debug!("cannot send an event to the host: {err}");
        }
    }
}

/// The call's result: the text for the host and the same as structured content.
pub(crate) fn result(thread: Option<ThreadId>, text: String, is_error: bool) -> CallToolResult {
    let mut result = if is_error {
        CallToolResult::error(vec![ContentBlock::text(text.clone())])
    } else {
        let mut result = CallToolResult::success(vec![ContentBlock::text(text.clone())]);
        // The reference leaves `isError` out of a success.
        result.is_error = None;
        result
    };
    if let Some(thread) = thread {
        result.structured_content = Some(json!({"threadId": thread.to_string(), "content": text}));
    }
    result
}

/// Runs a turn of `prompt` on `driven` for `call`, the turn named `turn_id` (a generated id
/// when `None`), and answers with how it ended. `first` is sent before the turn's events.
pub(crate) async fn run_turn(
    call: &Call,
    driven: &DrivenThread,
    prompt: String,
    turn_id: Option<String>,
    first: Option<EventMsg>,
) -> CallToolResult {
    let thread = &driven.thread;
    let thread_id = thread.id();
    let mut events = tokio::select! {
        events = driven.events.lock() => events,
        () = call.cancelled.cancelled() => {
            return result(Some(thread_id), cancelled_text(), true);
        }
    };
    if let Some(msg) = first {
        call.forward(thread_id, "", &msg).await;
    }
    let op = Op::UserTurn {
        input: vec![UserInput::Text {
            text: prompt,
            text_elements: Vec::new(),
        }],
        overrides: TurnOverrides::default(),
        output_schema: None,
    };
    let submitted = match turn_id {
        Some(id) => thread.submit_with_id(id, op).await,
        None => thread.submit(op).await,
    };
    let turn = match submitted {
        Ok(turn) => turn,
        Err(err) => return result(Some(thread_id), err.to_string(), true),
    };
    let mut turn_run = TurnRun {
        call,
        thread: thread.clone(),
        thread_text: thread_id.to_string(),
        call_text: call.id_text(),
        turn,
        error: None,
        approvals: JoinSet::new(),
        approvals_stop: CancellationToken::new(),
    };
    let outcome = turn_run.drive(&mut events).await;
    turn_run.approvals_stop.cancel();
    // Withdrawn approvals end at once; nothing is left behind the call.
    while turn_run.approvals.join_next().await.is_some() {}
    match outcome {
        Outcome::Completed { last_message } => match turn_run.error {
            Some(message) => result(Some(thread_id), message, true),
            None => result(Some(thread_id), last_message.unwrap_or_default(), false),
        },
        Outcome::Cancelled => result(Some(thread_id), cancelled_text(), true),
        Outcome::Aborted(reason) => result(
            Some(thread_id),
            format!("Codex turn aborted: {}", abort_reason(reason)),
            true,
        ),
        Outcome::ThreadEnded => result(
            Some(thread_id),
            "the thread shut down before its turn ended".to_owned(),
            true,
        ),
    }
}

fn cancelled_text() -> String {
    "The Codex tool call was cancelled; its turn was interrupted.".to_owned()
}

fn abort_reason(reason: TurnAbortReason) -> &'static str {
    match reason {
        TurnAbortReason::Interrupted => "interrupted",
        TurnAbortReason::Replaced => "replaced",
        TurnAbortReason::ReviewEnded => "review ended",
    }
}

enum Outcome {
    Completed { last_message: Option<String> },
    Cancelled,
    Aborted(TurnAbortReason),
    ThreadEnded,
}

/// A running turn as one call sees it.
struct TurnRun<'a> {
    call: &'a Call,
    thread: Arc<CodexThread>,
    /// The thread's id and the call's request id, as approvals name them.
    thread_text: String,
    call_text: String,
    turn: String,
    /// The turn's error event, which makes its completion a failure.
    error: Option<String>,
    approvals: JoinSet<()>,
    approvals_stop: CancellationToken,
}

impl TurnRun<'_> {
    async fn drive(&mut self, events: &mut EventStream) -> Outcome {
        let thread_id = self.thread.id();
        let mut cancelled = false;
        let stop_deadline = tokio::time::sleep(Duration::MAX);
        tokio::pin!(stop_deadline);
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                () = self.call.cancelled.cancelled(), if !cancelled => {
                    cancelled = true;
                    self.approvals_stop.cancel();
                    let thread = self.thread.clone();
                    // Interrupting waits for the turn to stop, which needs its events read.
                    tokio::spawn(async move {
                        if let Err(err) = thread.submit(Op::Interrupt).await {
                            tracing::debug!("interrupting a cancelled call's turn: {err}");
                        }
                    });
                    stop_deadline.as_mut().reset(tokio::time::Instant::now() + STOP_WAIT);
                    continue;
                }
                () = &mut stop_deadline => {
                    tracing::warn!("thread {thread_id}: the cancelled turn did not stop in time");
                    return Outcome::Cancelled;
                }
            };
            let Some(event) = event else {
                return Outcome::ThreadEnded;
            };
            self.call.forward(thread_id, &event.id, &event.msg).await;
            match event.msg {
                EventMsg::ExecApprovalRequest(request) if !cancelled => {
                    let params = approval::exec_params(&self.origin(&event.id), &request);
                    self.ask(params, request.call_id, |id, decision| Op::ExecApproval {
                        id,
                        decision,
                    });
                }
                EventMsg::ApplyPatchApprovalRequest(request) if !cancelled => {
                    let params = approval::patch_params(&self.origin(&event.id), &request);
                    self.ask(params, request.call_id, |id, decision| Op::PatchApproval {
                        id,
                        decision,
                    });
                }
                EventMsg::Error(error) if event.id == self.turn => {
                    self.error = Some(error.message);
                }
                EventMsg::TaskComplete(done) if done.turn_id == self.turn => {
                    if cancelled {
                        return Outcome::Cancelled;
                    }
                    return Outcome::Completed {
                        last_message: done.last_agent_message,
                    };
                }
                EventMsg::TurnAborted(aborted)
                    if aborted.turn_id.as_deref() == Some(self.turn.as_str()) =>
                {
                    if cancelled {
                        return Outcome::Cancelled;
                    }
                    return Outcome::Aborted(aborted.reason);
                }
                _ => {}
            }
        }
    }

    fn origin<'a>(&'a self, event_id: &'a str) -> approval::Origin<'a> {
        approval::Origin {
            thread_id: &self.thread_text,
            tool_call_id: &self.call_text,
            event_id,
        }
    }

    /// Asks the host in the background, so the turn's other events keep flowing, and hands
    /// the decision to the thread.
    fn ask(&mut self, params: Value, call_id: String, answer: fn(String, ReviewDecision) -> Op) {
        let peer = self.call.peer.clone();
        let timeout = self.call.approval_timeout;
        let stop = self.approvals_stop.clone();
        let thread = self.thread.clone();
        self.approvals.spawn(async move {
            let Some(decision) = approval::ask(&peer, params, timeout, &stop).await else {
                return;
            };
            if let Err(err) = thread.submit(answer(call_id, decision)).await {
                tracing::debug!("cannot hand an approval to its thread: {err}");
            }
        });
    }
}
