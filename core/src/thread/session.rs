//! The state a thread's actor and its running turn share: settings, history, token usage, the
//! active turn, and the two outputs (events to the client, lines to the rollout).

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_protocol::ThreadId;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::RateLimitSnapshot;
use codex_protocol::protocol::TokenUsageInfo;
use codex_protocol::user_input::UserInput;
use codex_rollout::RolloutItem;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Event;
use super::EventSender;
use super::ThreadSettings;
use super::recorder::Recorder;
use codex_model_client::model::ModelClient;
use crate::tools::ThreadToolState;
use crate::tools::ToolRouter;

pub(crate) struct Session {
    pub(crate) id: ThreadId,
    pub(crate) events: EventSender,
    pub(crate) model: Arc<dyn ModelClient>,
    pub(crate) tools: Arc<dyn ToolRouter>,
    /// What the tools remember across calls and turns (approvals, processes).
    pub(crate) tool_state: Arc<ThreadToolState>,
    pub(crate) recorder: Option<Recorder>,
    state: Mutex<State>,
}

pub(crate) struct State {
    pub(crate) settings: ThreadSettings,
    pub(crate) history: Vec<ResponseItem>,
    /// Every rollout item recorded, in order; what `thread/read` shows of ephemeral threads.
    pub(crate) recorded: Vec<RolloutItem>,
    pub(crate) token_info: Option<TokenUsageInfo>,
    pub(crate) rate_limits: Option<RateLimitSnapshot>,
    pub(crate) active: Option<ActiveTurn>,
}

pub(crate) struct ActiveTurn {
    pub(crate) id: String,
    pub(crate) cancel: CancellationToken,
    /// Input steered into the turn, sent with its next model request.
    pub(crate) pending_input: Vec<UserInput>,
    pub(crate) task: Option<JoinHandle<()>>,
}

/// Events of the legacy stream that the reference writes to the rollout.
fn is_persisted(msg: &EventMsg) -> bool {
    matches!(
        msg,
        EventMsg::TaskStarted(_)
            | EventMsg::TaskComplete(_)
            | EventMsg::UserMessage(_)
            | EventMsg::AgentMessage(_)
            | EventMsg::AgentReasoning(_)
            | EventMsg::AgentReasoningRawContent(_)
            | EventMsg::TokenCount(_)
            | EventMsg::ContextCompacted(_)
            | EventMsg::ThreadRolledBack(_)
            | EventMsg::TurnAborted(_)
    )
}

impl Session {
    pub(crate) fn new(
        id: ThreadId,
        events: EventSender,
        model: Arc<dyn ModelClient>,
        tools: Arc<dyn ToolRouter>,
        recorder: Option<Recorder>,
        settings: ThreadSettings,
        (history, recorded): (Vec<ResponseItem>, Vec<RolloutItem>),
    ) -> Session {
        // A resumed or forked thread counts on from the usage its rollout last reported.
        let token_info = recorded.iter().rev().find_map(|item| match item {
            RolloutItem::EventMsg(EventMsg::TokenCount(count)) => count.info.clone(),
            _ => None,
        });
        Session {
            id,
            events,
            model,
            tools,
            tool_state: Arc::new(ThreadToolState::default()),
            recorder,
            state: Mutex::new(State {
                settings,
                history,
                recorded,
                token_info,
                rate_limits: None,
                active: None,
            }),
        }
    }

    /// The shared state. The lock is never held across an await.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held leaves plain data that is still usable.
        codex_utils_lock::lock(&self.state)
    }

    /// Appends lines to the rollout (and the in-memory copy).
    pub(crate) fn record(&self, items: Vec<RolloutItem>) {
        if items.is_empty() {
            return;
        }
        self.state().recorded.extend(items.iter().cloned());
        if let Some(recorder) = &self.recorder {
            recorder.record(items);
        }
    }

    /// Adds items to the history and records them.
    pub(crate) fn record_items(&self, items: Vec<ResponseItem>) {
        self.state().history.extend(items.iter().cloned());
        self.record(items.into_iter().map(RolloutItem::ResponseItem).collect());
    }

    /// Sends an event to the client, recording it first when the reference does.
    pub(crate) async fn emit(&self, id: &str, msg: EventMsg) {
        if is_persisted(&msg) {
            self.record(vec![RolloutItem::EventMsg(msg.clone())]);
        }
        self.events
            .send(Event {
                id: id.to_owned(),
                msg,
            })
            .await;
    }

    pub(crate) async fn flush(&self) {
        if let Some(recorder) = &self.recorder
            && let Err(err) = recorder.flush().await
        {
            tracing::warn!("cannot sync the rollout: {err}");
        }
    }
}
