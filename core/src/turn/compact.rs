//! Compaction: the model summarises the history, and the summary replaces it.

use std::sync::Arc;

use codex_protocol::items::ContextCompactionItem;
use codex_protocol::items::TurnItem;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::ContextCompactedEvent;
use codex_protocol::protocol::EventMsg;
use codex_rollout::CompactedItem;
use codex_rollout::RolloutItem;
use futures::StreamExt;

use super::context::Outcome;
use super::context::Turn;
use super::context::emit_item_completed;
use super::context::emit_item_started;
use super::context::emit_token_count;
use super::context::new_id;
use super::context::update_token_usage;
use crate::history;
use crate::instructions::text_message;
use crate::session::Session;
use codex_model_client::model::ModelError;
use codex_model_client::model::ResponseEvent;

pub(super) async fn run_compact(session: &Arc<Session>, turn: &Turn) -> Outcome {
    let item = TurnItem::ContextCompaction(ContextCompactionItem { id: new_id() });
    emit_item_started(session, turn, item.clone()).await;
    let summary = match summarise(session, turn).await {
        Ok(summary) => summary,
        Err(error) => return Outcome::Failed(error),
    };
    let message = format!("{}{summary}", history::SUMMARY_PREFIX);
    {
        let mut state = session.state();
        state.history = history::compacted(&state.history, &message);
    }
    session.record(vec![RolloutItem::Compacted(CompactedItem {
        message,
        extra: serde_json::Map::new(),
    })]);
    // The context is now the summary: tell the client how full it is, as the reference does
    // with a usage whose `last` is the estimated size of what the next request will carry.
    super::context::estimate_context_usage(session, turn);
    emit_token_count(session, turn).await;
    emit_item_completed(session, turn, item).await;
    session
        .emit(&turn.id, EventMsg::ContextCompacted(ContextCompactedEvent))
        .await;
    Outcome::Completed(None)
}

/// Asks the model for the summary; its answer streams to no client, only its usage does.
async fn summarise(session: &Arc<Session>, turn: &Turn) -> Result<String, ModelError> {
    super::sampling::record_turn_context(session, turn);
    let mut prompt = super::sampling::build_prompt(session, turn, false)?;
    let request = turn
        .settings
        .compact_prompt
        .clone()
        .unwrap_or_else(|| history::COMPACT_PROMPT.to_owned());
    prompt.input.push(text_message("user", request));
    let mut stream = session.model.stream(&prompt).await?;
    let mut summary = String::new();
    while let Some(event) = stream.next().await {
        match event? {
            ResponseEvent::OutputItemDone(ResponseItem::Message { role, content, .. })
                if role == "assistant" =>
            {
                for part in content {
                    if let ContentItem::OutputText { text } = part {
                        summary.push_str(&text);
                    }
                }
            }
            ResponseEvent::Completed { token_usage, .. } => {
                if let Some(usage) = token_usage {
                    update_token_usage(session, turn, usage);
                }
                emit_token_count(session, turn).await;
                return Ok(summary);
            }
            ResponseEvent::RateLimits(snapshot) => {
                {
                    let mut state = session.state();
                    let merged = codex_model_client::rate_limits::carry_over(
                        state.rate_limits.as_ref(),
                        snapshot,
                    );
                    state.rate_limits = Some(merged);
                }
                emit_token_count(session, turn).await;
            }
            _ => {}
        }
    }
    Err(ModelError {
        message: "stream disconnected before completion: stream closed before response.completed"
            .to_owned(),
        info: codex_protocol::protocol::CodexErrorInfo::ResponseStreamDisconnected {
            http_status_code: None,
        },
        retryable: true,
    })
}
