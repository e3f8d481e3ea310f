//! The state a thread's actor and its running turn share: settings, history, token usage, the
//! active turn, and the thread's outputs (events to the client, lines to the rollout).

pub(crate) mod output;
pub(crate) mod recorder;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_model_client::model::ModelClient;
use codex_protocol::ThreadId;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::RateLimitSnapshot;
use codex_protocol::protocol::TokenUsageInfo;
use codex_protocol::user_input::UserInput;
use codex_rollout::RolloutItem;
use codex_rollout::TurnContextItem;
use codex_tools::ThreadToolState;
use codex_tools::ToolRouter;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::history::HistoryItem;
use crate::mcp::McpRuntime;
use crate::mcp::McpServerSet;
use crate::mcp::ThreadMcp;
use crate::settings::ThreadSettings;
use output::ThreadOutput;

pub(crate) struct Session {
    pub(crate) id: ThreadId,
    pub(crate) model: Arc<dyn ModelClient>,
    pub(crate) tools: Arc<dyn ToolRouter>,
    /// What the tools remember across calls and turns (approvals, processes).
    pub(crate) tool_state: Arc<ThreadToolState>,
    /// The one way out for events and rollout lines; the tools emit through it too.
    pub(crate) output: Arc<ThreadOutput>,
    /// The thread's MCP servers, started when it loaded.
    pub(crate) mcp: Arc<ThreadMcp>,
    state: Mutex<State>,
}

pub(crate) struct State {
    pub(crate) settings: ThreadSettings,
    pub(crate) history: Vec<HistoryItem>,
    pub(crate) token_info: Option<TokenUsageInfo>,
    pub(crate) rate_limits: Option<RateLimitSnapshot>,
    pub(crate) active: Option<ActiveTurn>,
    /// The model the last turn ran with (from the rollout, for a resumed thread).
    pub(crate) previous_model: String,
}

/// What a resumed or forked thread carries on from its rollout besides the history.
#[derive(Debug, Default, Clone)]
pub(crate) struct Carried {
    /// The settings of its last model request.
    pub(crate) last_context: Option<TurnContextItem>,
    /// The last usage it reported.
    pub(crate) token_info: Option<TokenUsageInfo>,
}

impl Carried {
    /// Takes note of the rollout's next item.
    pub(crate) fn observe(&mut self, item: &RolloutItem) {
        if matches!(
            item,
            RolloutItem::TurnContext(_) | RolloutItem::EventMsg(EventMsg::TokenCount(_))
        ) {
            self.observe_owned(item.clone());
        }
    }

    /// Like [`Carried::observe`], keeping the item's values without copying them.
    pub(crate) fn observe_owned(&mut self, item: RolloutItem) {
        match item {
            RolloutItem::TurnContext(context) => self.last_context = Some(context),
            RolloutItem::EventMsg(EventMsg::TokenCount(count)) => {
                if let Some(info) = count.info {
                    self.token_info = Some(info);
                }
            }
            _ => {}
        }
    }
}

pub(crate) struct ActiveTurn {
    pub(crate) id: String,
    pub(crate) cancel: CancellationToken,
    /// Input steered into the turn, sent with its next model request.
    pub(crate) pending_input: Vec<UserInput>,
    pub(crate) task: Option<JoinHandle<()>>,
}

impl Session {
    pub(crate) fn new(
        id: ThreadId,
        output: ThreadOutput,
        model: Arc<dyn ModelClient>,
        tools: Arc<dyn ToolRouter>,
        settings: ThreadSettings,
        (history, carried): (Vec<HistoryItem>, Carried),
        mcp: (McpRuntime, McpServerSet),
    ) -> Session {
        // A resumed or forked thread counts on from the usage its rollout last reported, and
        // a turn on another model than its last one is told about the switch.
        let token_info = carried.token_info;
        let previous_model = carried
            .last_context
            .map(|context| context.model)
            .unwrap_or_else(|| settings.model.clone());
        let output = Arc::new(output);
        let (mcp_runtime, mcp_servers) = mcp;
        let mcp = ThreadMcp::start(
            mcp_runtime,
            settings.cwd.clone(),
            mcp_servers,
            output.clone(),
        );
        Session {
            id,
            model,
            tools,
            tool_state: Arc::new(ThreadToolState::default()),
            output,
            mcp: Arc::new(mcp),
            state: Mutex::new(State {
                settings,
                history,
                token_info,
                rate_limits: None,
                active: None,
                previous_model,
            }),
        }
    }

    /// A session for a reviewer working inside `parent`'s turn: its own history, settings and
    /// tool state, and the parent's MCP servers (already started, so none start twice).
    pub(crate) fn reviewer(
        parent: &Session,
        output: ThreadOutput,
        tools: Arc<dyn ToolRouter>,
        settings: ThreadSettings,
        history: Vec<ResponseItem>,
    ) -> Session {
        let history = history.into_iter().map(HistoryItem::from).collect();
        let previous_model = settings.model.clone();
        Session {
            id: ThreadId::new(),
            model: parent.model.clone(),
            tools,
            tool_state: Arc::new(ThreadToolState::default()),
            output: Arc::new(output),
            mcp: parent.mcp.clone(),
            state: Mutex::new(State {
                settings,
                history,
                token_info: None,
                rate_limits: None,
                active: None,
                previous_model,
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
        self.output.record(items);
    }

    /// Adds items to the history and records them.
    pub(crate) fn record_items(&self, items: Vec<ResponseItem>) {
        self.state()
            .history
            .extend(items.iter().cloned().map(HistoryItem::from));
        self.record(items.into_iter().map(RolloutItem::ResponseItem).collect());
    }

    /// Sends an event to the client, recording it first when the reference does.
    pub(crate) async fn emit(&self, id: &str, msg: EventMsg) {
        self.output.emit(id, msg).await;
    }

    pub(crate) async fn flush(&self) {
        self.output.flush().await;
    }

    /// Waits until everything recorded so far is saved; `Err` says why some of it was not.
    pub(crate) async fn saved(&self) -> Result<(), String> {
        self.output.saved().await
    }

    /// Clears a save failure once it is reported, so the next turn writes again.
    pub(crate) async fn take_save_failure(&self) {
        self.output.take_save_failure().await;
    }
}
