//! One turn's fixed context ([`Turn`]), how a turn ends ([`Outcome`]), and the events every
//! part of a turn sends: items starting and completing, token counts.

use codex_protocol::items::TurnItem;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ItemCompletedEvent;
use codex_protocol::protocol::ItemStartedEvent;
use codex_protocol::protocol::TokenCountEvent;
use codex_protocol::protocol::TokenUsage;
use codex_protocol::protocol::TokenUsageInfo;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use codex_tools::McpTool;
use codex_tools::model_family::ModelFamily;

use crate::history::HistoryItem;
use crate::session::Session;
use crate::settings::ThreadSettings;
use codex_model_client::model::ModelError;

/// A new id for a turn or item: a UUID v7, so ids sort by creation.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// One turn's fixed context: its id and the settings it runs with.
#[derive(Clone)]
pub(crate) struct Turn {
    pub(crate) id: String,
    pub(crate) settings: ThreadSettings,
    pub(crate) family: ModelFamily,
    /// The tools of the thread's MCP servers, listed when the turn began.
    pub(crate) mcp_tools: Arc<[McpTool]>,
    /// The JSON Schema the final answer must follow, asked of the model for this turn only.
    pub(crate) output_schema: Option<serde_json::Value>,
    /// Cancels the turn (an interrupt, or a tool whose approval was aborted).
    pub(crate) cancel: CancellationToken,
}

impl Turn {
    pub(crate) fn context_window(&self) -> i64 {
        self.settings
            .model_context_window
            .unwrap_or_else(|| self.family.effective_context_window())
    }
}

pub(crate) enum Outcome {
    Completed(Option<String>),
    Failed(ModelError),
}

pub(crate) async fn emit_item_started(session: &Session, turn: &Turn, item: TurnItem) {
    let msg = EventMsg::ItemStarted(ItemStartedEvent {
        thread_id: session.id,
        turn_id: turn.id.clone(),
        item,
    });
    session.emit(&turn.id, msg).await;
}

pub(crate) async fn emit_item_completed(session: &Session, turn: &Turn, item: TurnItem) {
    let msg = EventMsg::ItemCompleted(ItemCompletedEvent {
        thread_id: session.id,
        turn_id: turn.id.clone(),
        item,
    });
    session.emit(&turn.id, msg).await;
}

fn add_usage(total: &TokenUsage, last: &TokenUsage) -> TokenUsage {
    TokenUsage {
        input_tokens: total.input_tokens + last.input_tokens,
        cached_input_tokens: total.cached_input_tokens + last.cached_input_tokens,
        output_tokens: total.output_tokens + last.output_tokens,
        reasoning_output_tokens: total.reasoning_output_tokens + last.reasoning_output_tokens,
        total_tokens: total.total_tokens + last.total_tokens,
    }
}

pub(crate) fn update_token_usage(session: &Session, turn: &Turn, usage: TokenUsage) {
    let mut state = session.state();
    let total = match &state.token_info {
        Some(info) => add_usage(&info.total_token_usage, &usage),
        None => usage.clone(),
    };
    state.token_info = Some(TokenUsageInfo {
        total_token_usage: total,
        last_token_usage: usage,
        model_context_window: Some(turn.context_window()),
    });
}

/// Rough token count of the next request (after a compaction or a rollback): instructions and
/// history at about four bytes per token, the usual rule of thumb for English text and code.
/// Only a gauge for the client, set as the `last` usage as the reference does; the model's own
/// count arrives with the next answer.
pub(crate) fn estimate_context_usage(session: &Session, turn: &Turn) {
    let bytes = turn.settings.base_instructions.len()
        + session
            .state()
            .history
            .iter()
            .map(HistoryItem::size)
            .sum::<usize>();
    let estimate = i64::try_from(bytes.div_ceil(4)).unwrap_or(i64::MAX);
    let mut state = session.state();
    let info = state.token_info.get_or_insert_with(|| TokenUsageInfo {
        total_token_usage: TokenUsage::default(),
        last_token_usage: TokenUsage::default(),
        model_context_window: None,
    });
    info.last_token_usage = TokenUsage {
        total_tokens: estimate,
        ..TokenUsage::default()
    };
    info.model_context_window = Some(turn.context_window());
}

/// After the model said the context window is exceeded: the usage shows the window full, as
/// the reference reports it (the total is the window, the last usage what was missing to it).
pub(crate) fn fill_context_window(session: &Session, turn: &Turn) {
    let window = turn.context_window();
    let mut state = session.state();
    let previous = state
        .token_info
        .as_ref()
        .map_or(0, |info| info.total_token_usage.total_tokens);
    state.token_info = Some(TokenUsageInfo {
        total_token_usage: TokenUsage {
            total_tokens: window,
            ..TokenUsage::default()
        },
        last_token_usage: TokenUsage {
            total_tokens: (window - previous).max(0),
            ..TokenUsage::default()
        },
        model_context_window: Some(window),
    });
}

pub(crate) async fn emit_token_count(session: &Session, turn: &Turn) {
    let (info, rate_limits) = {
        let state = session.state();
        (state.token_info.clone(), state.rate_limits.clone())
    };
    session
        .emit(
            &turn.id,
            EventMsg::TokenCount(TokenCountEvent { info, rate_limits }),
        )
        .await;
}
