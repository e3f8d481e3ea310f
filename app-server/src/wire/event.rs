//! The core's event payloads (errors, items, token usage, rate limits) in their v2 spellings.

use codex_app_server_protocol::v2;
use codex_protocol::protocol as core;

use super::input;

pub(crate) fn error_info(info: &core::CodexErrorInfo) -> v2::CodexErrorInfo {
    use core::CodexErrorInfo as C;
    match info {
        C::ContextWindowExceeded => v2::CodexErrorInfo::ContextWindowExceeded,
        C::UsageLimitExceeded => v2::CodexErrorInfo::UsageLimitExceeded,
        C::ServerOverloaded => v2::CodexErrorInfo::ServerOverloaded,
        C::HttpConnectionFailed { http_status_code } => v2::CodexErrorInfo::HttpConnectionFailed {
            http_status_code: *http_status_code,
        },
        C::ResponseStreamConnectionFailed { http_status_code } => {
            v2::CodexErrorInfo::ResponseStreamConnectionFailed {
                http_status_code: *http_status_code,
            }
        }
        C::InternalServerError => v2::CodexErrorInfo::InternalServerError,
        C::Unauthorized => v2::CodexErrorInfo::Unauthorized,
        C::BadRequest => v2::CodexErrorInfo::BadRequest,
        C::SandboxError => v2::CodexErrorInfo::SandboxError,
        C::ResponseStreamDisconnected { http_status_code } => {
            v2::CodexErrorInfo::ResponseStreamDisconnected {
                http_status_code: *http_status_code,
            }
        }
        C::ResponseTooManyFailedAttempts { http_status_code } => {
            v2::CodexErrorInfo::ResponseTooManyFailedAttempts {
                http_status_code: *http_status_code,
            }
        }
        C::ThreadRollbackFailed => v2::CodexErrorInfo::ThreadRollbackFailed,
        C::Other => v2::CodexErrorInfo::Other,
    }
}

pub(crate) fn turn_error(event: &core::ErrorEvent) -> v2::TurnError {
    v2::TurnError {
        message: event.message.clone(),
        codex_error_info: event.codex_error_info.as_ref().map(error_info),
        additional_details: None,
    }
}

fn web_search_action(action: &codex_protocol::models::WebSearchAction) -> v2::WebSearchAction {
    use codex_protocol::models::WebSearchAction as C;
    match action {
        C::Search { query, queries } => v2::WebSearchAction::Search {
            query: query.clone(),
            queries: queries.clone(),
        },
        C::OpenPage { url } => v2::WebSearchAction::OpenPage { url: url.clone() },
        C::FindInPage { url, pattern } => v2::WebSearchAction::FindInPage {
            url: url.clone(),
            pattern: pattern.clone(),
        },
        C::Other => v2::WebSearchAction::Other,
    }
}

pub(crate) fn turn_item(item: &codex_protocol::items::TurnItem) -> v2::ThreadItem {
    use codex_protocol::items::AgentMessageContent;
    use codex_protocol::items::TurnItem as C;
    match item {
        C::UserMessage(message) => v2::ThreadItem::UserMessage {
            id: message.id.clone(),
            content: message.content.iter().map(input::user_input).collect(),
        },
        C::AgentMessage(message) => v2::ThreadItem::AgentMessage {
            id: message.id.clone(),
            text: message
                .content
                .iter()
                .map(|AgentMessageContent::Text { text }| text.as_str())
                .collect(),
        },
        C::Plan(plan) => v2::ThreadItem::Plan {
            id: plan.id.clone(),
            text: plan.text.clone(),
        },
        C::Reasoning(reasoning) => v2::ThreadItem::Reasoning {
            id: reasoning.id.clone(),
            summary: reasoning.summary_text.clone(),
            content: reasoning.raw_content.clone(),
        },
        C::WebSearch(search) => v2::ThreadItem::WebSearch {
            id: search.id.clone(),
            query: search.query.clone(),
            action: Some(web_search_action(&search.action)),
        },
        C::ContextCompaction(compaction) => v2::ThreadItem::ContextCompaction {
            id: compaction.id.clone(),
        },
    }
}

pub(crate) fn token_usage(info: &core::TokenUsageInfo) -> v2::ThreadTokenUsage {
    let breakdown = |usage: &core::TokenUsage| v2::TokenUsageBreakdown {
        total_tokens: usage.total_tokens,
        input_tokens: usage.input_tokens,
        cached_input_tokens: usage.cached_input_tokens,
        output_tokens: usage.output_tokens,
        reasoning_output_tokens: usage.reasoning_output_tokens,
    };
    v2::ThreadTokenUsage {
        total: breakdown(&info.total_token_usage),
        last: breakdown(&info.last_token_usage),
        model_context_window: info.model_context_window,
    }
}

pub(crate) fn rate_limits(snapshot: &core::RateLimitSnapshot) -> v2::RateLimitSnapshot {
    let window = |window: &core::RateLimitWindow| v2::RateLimitWindow {
        used_percent: window.used_percent.round() as i32,
        window_duration_mins: window.window_minutes,
        resets_at: window.resets_at,
    };
    v2::RateLimitSnapshot {
        limit_id: snapshot.limit_id.clone(),
        limit_name: snapshot.limit_name.clone(),
        primary: snapshot.primary.as_ref().map(window),
        secondary: snapshot.secondary.as_ref().map(window),
        credits: snapshot
            .credits
            .as_ref()
            .map(|credits| v2::CreditsSnapshot {
                has_credits: credits.has_credits,
                unlimited: credits.unlimited,
                balance: credits.balance.clone(),
            }),
        plan_type: snapshot.plan_type,
    }
}
