//! Sampling: one model request and its streamed answer turned into items with deltas, the tool
//! calls it makes run and answered, and the loop that samples again until the model answers
//! without calls. A stream that breaks off is resent while retries are left.

use std::sync::Arc;
use std::time::Duration;

use codex_protocol::config_types::ModeKind;
use codex_protocol::items::AgentMessageContent;
use codex_protocol::items::AgentMessageItem;
use codex_protocol::items::PlanItem;
use codex_protocol::items::ReasoningItem;
use codex_protocol::items::TurnItem;
use codex_protocol::items::WebSearchItem;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ReasoningItemContent;
use codex_protocol::models::ReasoningItemReasoningSummary;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AgentMessageContentDeltaEvent;
use codex_protocol::protocol::AgentMessageDeltaEvent;
use codex_protocol::protocol::AgentMessageEvent;
use codex_protocol::protocol::AgentReasoningDeltaEvent;
use codex_protocol::protocol::AgentReasoningEvent;
use codex_protocol::protocol::AgentReasoningRawContentDeltaEvent;
use codex_protocol::protocol::AgentReasoningSectionBreakEvent;
use codex_protocol::protocol::CodexErrorInfo;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::PlanDeltaEvent;
use codex_protocol::protocol::ReasoningContentDeltaEvent;
use codex_protocol::protocol::ReasoningRawContentDeltaEvent;
use codex_protocol::protocol::StreamErrorEvent;
use codex_protocol::protocol::WebSearchBeginEvent;
use codex_protocol::protocol::WebSearchEndEvent;
use codex_protocol::user_input::UserInput;
use codex_rollout::RolloutItem;
use codex_rollout::TurnContextItem;
use codex_tools::ToolCall;
use codex_tools::ToolContext;
use codex_tools::ToolOffer;
use codex_tools::model_family::TruncationPolicy;
use futures::StreamExt;
use serde_json::json;

use crate::session::Session;
use crate::web_search::web_search_item;
use codex_model_client::model::ModelError;
use codex_model_client::model::Prompt;
use codex_model_client::model::ReasoningSettings;
use codex_model_client::model::ResponseEvent;

use super::context::Outcome;
use super::context::Turn;
use super::context::emit_item_completed;
use super::context::emit_item_started;
use super::context::emit_token_count;
use super::context::new_id;
use super::context::update_token_usage;
use super::input::record_user_input;
use super::proposed_plan::PlanSplitter;
use super::proposed_plan::Segment;
use super::proposed_plan::last_plan;
use super::proposed_plan::without_plans;

/// First wait before resending a broken stream; doubled on each further attempt.
const RETRY_BASE_DELAY: Duration = Duration::from_millis(100);

pub(crate) async fn run_sampling_loop(session: &Arc<Session>, turn: &Turn) -> Outcome {
    let mut last_agent_message = None;
    loop {
        // A tool that stopped the turn (an approval answered "abort") cancelled it from inside
        // this loop: wait here for the turn's runner to drop us rather than ask the model again.
        if turn.cancel.is_cancelled() {
            std::future::pending::<()>().await;
        }
        let mut steered = take_pending_input(session, &turn.id);
        steered.extend(session.tool_state.take_attached());
        if !steered.is_empty() {
            record_user_input(session, turn, steered).await;
        }
        let sample = match sample_with_retries(session, turn, true).await {
            Ok(sample) => sample,
            Err(error) => {
                if error.info == CodexErrorInfo::ContextWindowExceeded {
                    super::context::fill_context_window(session, turn);
                    super::context::emit_token_count(session, turn).await;
                }
                return Outcome::Failed(error);
            }
        };
        if sample.last_agent_message.is_some() {
            last_agent_message = sample.last_agent_message;
        }
        // Checked and cleared under one lock, so input steered in while the turn winds down is
        // never lost: either this turn takes it, or the turn is over and steering fails.
        if !sample.needs_follow_up && end_if_idle(session, &turn.id) {
            return Outcome::Completed(last_agent_message);
        }
    }
}

/// Ends the active turn unless input is waiting for it. Returns whether the turn may end.
fn end_if_idle(session: &Session, turn_id: &str) -> bool {
    let mut state = session.state();
    match state.active.as_ref() {
        Some(active) if active.id == turn_id => {
            if !active.pending_input.is_empty() {
                return false;
            }
            state.active = None;
            true
        }
        _ => true,
    }
}

fn take_pending_input(session: &Session, turn_id: &str) -> Vec<UserInput> {
    let mut state = session.state();
    match state.active.as_mut() {
        Some(active) if active.id == turn_id => std::mem::take(&mut active.pending_input),
        _ => Vec::new(),
    }
}

pub(crate) struct Sample {
    needs_follow_up: bool,
    last_agent_message: Option<String>,
}

/// One model request, resent while its stream breaks off and retries are left.
pub(crate) async fn sample_with_retries(
    session: &Arc<Session>,
    turn: &Turn,
    with_tools: bool,
) -> Result<Sample, ModelError> {
    let max_retries = session.model.stream_max_retries();
    let mut retries = 0;
    loop {
        record_turn_context(session, turn);
        let prompt = build_prompt(session, turn, with_tools)?;
        match sample_once(session, turn, &prompt).await {
            Ok(sample) => return Ok(sample),
            Err(error) if error.retryable && retries < max_retries => {
                retries += 1;
                tracing::warn!("model stream broke off ({error}); retry {retries}/{max_retries}");
                session
                    .emit(
                        &turn.id,
                        EventMsg::StreamError(StreamErrorEvent {
                            message: format!("Reconnecting... {retries}/{max_retries}"),
                            codex_error_info: Some(error.info.clone()),
                            additional_details: Some(error.message.clone()),
                        }),
                    )
                    .await;
                let exponent = u32::try_from(retries - 1).unwrap_or(u32::MAX).min(6);
                tokio::time::sleep(RETRY_BASE_DELAY * 2u32.pow(exponent)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

pub(crate) fn record_turn_context(session: &Session, turn: &Turn) {
    let settings = &turn.settings;
    let mut extra = serde_json::Map::new();
    extra.insert(
        "collaboration_mode".to_owned(),
        json!({
            "mode": settings.collaboration_mode,
            "settings": {
                "model": settings.model,
                "reasoning_effort": settings.reasoning_effort,
                "developer_instructions": settings.collaboration_instructions,
            },
        }),
    );
    if let Some(personality) = settings.personality {
        extra.insert("personality".to_owned(), json!(personality));
    }
    if let Some(instructions) = &settings.developer_instructions {
        extra.insert("developer_instructions".to_owned(), json!(instructions));
    }
    let summary = reasoning(turn).and_then(|reasoning| reasoning.summary);
    if let Ok(summary) = serde_json::to_value(summary) {
        extra.insert("summary".to_owned(), summary);
    }
    if let Some(instructions) = &settings.user_instructions {
        extra.insert("user_instructions".to_owned(), json!(instructions));
    }
    let truncation_policy = match turn.family.truncation {
        TruncationPolicy::Tokens(limit) => json!({"mode": "tokens", "limit": limit}),
        TruncationPolicy::Bytes(limit) => json!({"mode": "bytes", "limit": limit}),
    };
    extra.insert("truncation_policy".to_owned(), truncation_policy);
    session.record(vec![RolloutItem::TurnContext(TurnContextItem {
        turn_id: Some(turn.id.clone()),
        cwd: settings.cwd.clone(),
        approval_policy: settings.approval_policy,
        sandbox_policy: settings.sandbox_policy.clone(),
        model: settings.model.clone(),
        extra,
    })]);
}

/// The model family's reasoning defaults with the thread's choices on top.
fn reasoning(turn: &Turn) -> Option<ReasoningSettings> {
    let defaults = turn.family.reasoning?;
    Some(ReasoningSettings {
        effort: turn.settings.reasoning_effort.or(defaults.effort),
        summary: turn.settings.reasoning_summary.or(defaults.summary),
    })
}

/// The next request. A resumed thread's history is read back from its rollout here; a rollout
/// that cannot be read fails the request.
pub(crate) fn build_prompt(
    session: &Session,
    turn: &Turn,
    with_tools: bool,
) -> Result<Prompt, ModelError> {
    let history = session.state().history.clone();
    let input = crate::history::materialize(&history).map_err(|err| ModelError {
        message: format!("cannot read this thread's history from its rollout: {err}"),
        info: CodexErrorInfo::Other,
        retryable: false,
    })?;
    Ok(Prompt {
        model: turn.settings.model.clone(),
        instructions: turn.settings.base_instructions.clone(),
        input,
        tools: if with_tools {
            let offer = ToolOffer {
                unified_exec: turn.settings.unified_exec,
                web_search: turn
                    .settings
                    .web_search
                    .mode_for_turn(&turn.settings.sandbox_policy),
                request_rule: turn.settings.request_rule,
                dynamic_tools: &turn.settings.dynamic_tools,
                mcp_tools: &turn.mcp_tools,
            };
            session.tools.specs_for(&turn.family, offer)
        } else {
            Vec::new()
        },
        parallel_tool_calls: turn.family.parallel_tool_calls,
        reasoning: reasoning(turn),
        verbosity: turn.settings.verbosity.or(turn.family.verbosity),
        output_schema: turn.output_schema.clone(),
        cache_key: Some(session.id.to_string()),
    })
}

/// The item being streamed, so deltas and the final item share its id.
/// The output item being streamed, with what has arrived of it: if the stream breaks off, the
/// item is still completed (with that much) so that no client waits on it forever.
enum Streaming {
    Message {
        id: String,
        text: String,
        /// In plan mode: the message split from its plan blocks as it streams.
        plan: Option<PlanMessage>,
    },
    Reasoning {
        id: String,
        summary: Vec<String>,
        raw: Vec<String>,
    },
    /// A hosted web search, as it read when it started.
    WebSearch(WebSearchItem),
}

/// A message streamed in plan mode. Its item starts only once text outside a plan block
/// arrives, so an answer that is all plan shows no empty message.
#[derive(Default)]
struct PlanMessage {
    splitter: PlanSplitter,
    started: bool,
    /// Whitespace before the message's first text, held until that text arrives.
    leading: String,
}

/// The turn's plan item as one sample streams it (`<turn id>-plan`, as in the reference).
struct PlanItemState {
    id: String,
    started: bool,
    completed: bool,
}

impl PlanItemState {
    fn new(turn: &Turn) -> Self {
        Self {
            id: format!("{}-plan", turn.id),
            started: false,
            completed: false,
        }
    }

    async fn start(&mut self, session: &Session, turn: &Turn) {
        if self.started || self.completed {
            return;
        }
        self.started = true;
        let item = TurnItem::Plan(PlanItem {
            id: self.id.clone(),
            text: String::new(),
        });
        emit_item_started(session, turn, item).await;
    }

    async fn delta(&mut self, session: &Session, turn: &Turn, delta: String) {
        if self.completed || delta.is_empty() {
            return;
        }
        self.start(session, turn).await;
        let msg = EventMsg::PlanDelta(PlanDeltaEvent {
            thread_id: session.id.to_string(),
            turn_id: turn.id.clone(),
            item_id: self.id.clone(),
            delta,
        });
        session.emit(&turn.id, msg).await;
    }

    async fn complete(&mut self, session: &Session, turn: &Turn, text: String) {
        if self.completed {
            return;
        }
        self.start(session, turn).await;
        self.completed = true;
        let item = TurnItem::Plan(PlanItem {
            id: self.id.clone(),
            text,
        });
        emit_item_completed(session, turn, item).await;
    }
}

/// Sends a plan-mode message's segments: its own text as message deltas (starting the item
/// on the first text that is not whitespace), plan text as plan deltas.
async fn emit_plan_segments(
    session: &Session,
    turn: &Turn,
    id: &str,
    message: &mut PlanMessage,
    plan_item: &mut PlanItemState,
    segments: Vec<Segment>,
) {
    for segment in segments {
        match segment {
            Segment::Message(text) => {
                if !message.started && text.trim().is_empty() {
                    message.leading.push_str(&text);
                    continue;
                }
                let delta = if message.started {
                    text
                } else {
                    message.started = true;
                    let started = TurnItem::AgentMessage(AgentMessageItem {
                        id: id.to_owned(),
                        content: Vec::new(),
                        phase: None,
                    });
                    emit_item_started(session, turn, started).await;
                    std::mem::take(&mut message.leading) + &text
                };
                emit_message_delta(session, turn, &session.id.to_string(), id, delta).await;
            }
            Segment::PlanStart => plan_item.start(session, turn).await,
            Segment::Plan(text) => plan_item.delta(session, turn, text).await,
            Segment::PlanEnd => {}
        }
    }
}

/// `thread_id` is the session's id, spelled once per sample rather than once per delta.
async fn emit_message_delta(
    session: &Session,
    turn: &Turn,
    thread_id: &str,
    id: &str,
    delta: String,
) {
    emit_pair(
        session,
        turn,
        EventMsg::AgentMessageContentDelta(AgentMessageContentDeltaEvent {
            thread_id: thread_id.to_owned(),
            turn_id: turn.id.clone(),
            item_id: id.to_owned(),
            delta: delta.clone(),
        }),
        EventMsg::AgentMessageDelta(AgentMessageDeltaEvent { delta }),
    )
    .await;
}

/// Appends `delta` to part `index` of `parts`, adding parts up to it as needed.
fn append_part(parts: &mut Vec<String>, index: i64, delta: &str) {
    let index = usize::try_from(index).unwrap_or(0);
    if parts.len() <= index {
        parts.resize(index + 1, String::new());
    }
    parts[index].push_str(delta);
}

/// Completes an item whose stream broke off, with what it had. Only the item notifications go
/// out: the history keeps no half message, and a resent request streams it again as a new item.
async fn complete_cut_item(session: &Session, turn: &Turn, streaming: Option<Streaming>) {
    let item = match streaming {
        None => return,
        // A plan-mode message that never showed text was never started.
        Some(Streaming::Message {
            plan: Some(PlanMessage { started: false, .. }),
            ..
        }) => return,
        Some(Streaming::Message { id, text, plan }) => {
            let text = if plan.is_some() {
                without_plans(&text)
            } else {
                text
            };
            TurnItem::AgentMessage(AgentMessageItem {
                id,
                content: vec![AgentMessageContent::Text { text }],
                phase: None,
            })
        }
        Some(Streaming::Reasoning { id, summary, raw }) => TurnItem::Reasoning(ReasoningItem {
            id,
            summary_text: summary,
            raw_content: raw,
        }),
        Some(Streaming::WebSearch(search)) => TurnItem::WebSearch(search),
    };
    emit_item_completed(session, turn, item).await;
}

async fn sample_once(
    session: &Arc<Session>,
    turn: &Turn,
    prompt: &Prompt,
) -> Result<Sample, ModelError> {
    let mut stream = session.model.stream(prompt).await?;
    let mut streaming: Option<Streaming> = None;
    let mut calls = Vec::new();
    let mut last_agent_message = None;
    let mut completed = false;
    let mut plan_item = PlanItemState::new(turn);
    let thread_id = session.id.to_string();
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(error) => {
                complete_cut_item(session, turn, streaming.take()).await;
                return Err(error);
            }
        };
        match event {
            ResponseEvent::Created => {}
            ResponseEvent::OutputItemAdded(item) => {
                streaming = start_item(session, turn, &item).await;
            }
            ResponseEvent::OutputTextDelta(delta) => {
                if let Some(Streaming::Message { id, text, plan }) = &mut streaming {
                    text.push_str(&delta);
                    match plan {
                        Some(message) => {
                            let segments = message.splitter.push(&delta);
                            emit_plan_segments(
                                session,
                                turn,
                                id,
                                message,
                                &mut plan_item,
                                segments,
                            )
                            .await;
                        }
                        None => emit_message_delta(session, turn, &thread_id, id, delta).await,
                    }
                }
            }
            ResponseEvent::ReasoningSummaryPartAdded { summary_index } => {
                if let Some(Streaming::Reasoning { id, .. }) = &streaming {
                    let msg =
                        EventMsg::AgentReasoningSectionBreak(AgentReasoningSectionBreakEvent {
                            item_id: id.clone(),
                            summary_index,
                        });
                    session.emit(&turn.id, msg).await;
                }
            }
            ResponseEvent::ReasoningSummaryDelta {
                delta,
                summary_index,
            } => {
                if let Some(Streaming::Reasoning { id, summary, .. }) = &mut streaming {
                    append_part(summary, summary_index, &delta);
                    emit_pair(
                        session,
                        turn,
                        EventMsg::ReasoningContentDelta(ReasoningContentDeltaEvent {
                            thread_id: thread_id.clone(),
                            turn_id: turn.id.clone(),
                            item_id: id.clone(),
                            delta: delta.clone(),
                            summary_index,
                        }),
                        EventMsg::AgentReasoningDelta(AgentReasoningDeltaEvent { delta }),
                    )
                    .await;
                }
            }
            ResponseEvent::ReasoningContentDelta {
                delta,
                content_index,
            } => {
                if let Some(Streaming::Reasoning { id, raw, .. }) = &mut streaming {
                    append_part(raw, content_index, &delta);
                    emit_pair(
                        session,
                        turn,
                        EventMsg::ReasoningRawContentDelta(ReasoningRawContentDeltaEvent {
                            thread_id: thread_id.clone(),
                            turn_id: turn.id.clone(),
                            item_id: id.clone(),
                            delta: delta.clone(),
                            content_index,
                        }),
                        EventMsg::AgentReasoningRawContentDelta(
                            AgentReasoningRawContentDeltaEvent { delta },
                        ),
                    )
                    .await;
                }
            }
            ResponseEvent::OutputItemDone(item) => {
                let started = streaming.take();
                if let Some(text) =
                    complete_item(session, turn, started, &item, &mut plan_item).await
                {
                    last_agent_message = Some(text);
                }
                if let Some(call) = ToolCall::from_item(&item) {
                    calls.push(call);
                }
            }
            ResponseEvent::Completed { token_usage, .. } => {
                if let Some(usage) = token_usage {
                    update_token_usage(session, turn, usage);
                }
                emit_token_count(session, turn).await;
                completed = true;
                break;
            }
            // The app server's catalogue watches this one (it wraps the model client).
            ResponseEvent::ModelsEtag(_) => {}
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
        }
    }
    if !completed {
        complete_cut_item(session, turn, streaming.take()).await;
        return Err(ModelError {
            message:
                "stream disconnected before completion: stream closed before response.completed"
                    .to_owned(),
            info: CodexErrorInfo::ResponseStreamDisconnected {
                http_status_code: None,
            },
            retryable: true,
        });
    }
    let needs_follow_up = !calls.is_empty();
    run_tool_calls(session, turn, calls).await;
    Ok(Sample {
        needs_follow_up,
        last_agent_message,
    })
}

async fn emit_pair(session: &Session, turn: &Turn, item_event: EventMsg, legacy: EventMsg) {
    session.emit(&turn.id, item_event).await;
    session.emit(&turn.id, legacy).await;
}

/// The id the model gave an item, or a new one.
fn item_id(item: &ResponseItem) -> String {
    let id = match item {
        ResponseItem::Message { id, .. } => id.clone(),
        ResponseItem::Reasoning { id, .. } => Some(id.clone()),
        _ => None,
    };
    id.filter(|id| !id.is_empty()).unwrap_or_else(new_id)
}

fn is_assistant_message(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message { role, .. } if role == "assistant")
}

async fn start_item(session: &Session, turn: &Turn, item: &ResponseItem) -> Option<Streaming> {
    if let Some(search) = web_search_item(item, &new_id()) {
        start_web_search(session, turn, search.clone()).await;
        return Some(Streaming::WebSearch(search));
    }
    let id = item_id(item);
    let (streaming, started) = if is_assistant_message(item) {
        if in_plan_mode(turn) {
            return Some(Streaming::Message {
                id,
                text: String::new(),
                plan: Some(PlanMessage::default()),
            });
        }
        (
            Streaming::Message {
                id: id.clone(),
                text: String::new(),
                plan: None,
            },
            TurnItem::AgentMessage(AgentMessageItem {
                id,
                content: Vec::new(),
                phase: None,
            }),
        )
    } else if matches!(item, ResponseItem::Reasoning { .. }) {
        (
            Streaming::Reasoning {
                id: id.clone(),
                summary: Vec::new(),
                raw: Vec::new(),
            },
            TurnItem::Reasoning(ReasoningItem {
                id,
                summary_text: Vec::new(),
                raw_content: Vec::new(),
            }),
        )
    } else {
        return None;
    };
    emit_item_started(session, turn, started).await;
    Some(streaming)
}

fn in_plan_mode(turn: &Turn) -> bool {
    turn.settings.collaboration_mode == ModeKind::Plan
}

fn output_text(content: &[ContentItem]) -> String {
    content
        .iter()
        .filter_map(|part| match part {
            ContentItem::OutputText { text } => Some(text.as_str()),
            ContentItem::InputText { .. } | ContentItem::InputImage { .. } => None,
        })
        .collect()
}

/// Ends a plan-mode message: the rest of its stream, its last plan block as the turn's plan
/// item, and the message without its plans (none at all when nothing else is left). Returns
/// that text.
async fn complete_plan_message(
    session: &Session,
    turn: &Turn,
    started: Option<Streaming>,
    item: &ResponseItem,
    plan_item: &mut PlanItemState,
) -> Option<String> {
    let (id, mut message) = match started {
        Some(Streaming::Message {
            id,
            plan: Some(message),
            ..
        }) => (id, message),
        _ => (item_id(item), PlanMessage::default()),
    };
    let rest = message.splitter.finish();
    emit_plan_segments(session, turn, &id, &mut message, plan_item, rest).await;
    let ResponseItem::Message { content, .. } = item else {
        return None;
    };
    let full = output_text(content);
    if let Some(plan) = last_plan(&full) {
        plan_item.complete(session, turn, plan).await;
    }
    let text = without_plans(&full);
    if text.trim().is_empty() {
        return None;
    }
    finish_message(session, turn, id, message.started, text.clone()).await;
    Some(text)
}

/// Ends an agent message with `text`, starting its item first unless that happened already,
/// and sends the legacy stream's copy.
async fn finish_message(session: &Session, turn: &Turn, id: String, started: bool, text: String) {
    if !started {
        let empty = TurnItem::AgentMessage(AgentMessageItem {
            id: id.clone(),
            content: Vec::new(),
            phase: None,
        });
        emit_item_started(session, turn, empty).await;
    }
    let done = TurnItem::AgentMessage(AgentMessageItem {
        id,
        content: vec![AgentMessageContent::Text { text: text.clone() }],
        phase: None,
    });
    emit_item_completed(session, turn, done).await;
    let legacy = EventMsg::AgentMessage(AgentMessageEvent { message: text });
    session.emit(&turn.id, legacy).await;
}

/// Emits the end of an output item and records it. Returns the text of an assistant message.
async fn complete_item(
    session: &Session,
    turn: &Turn,
    started: Option<Streaming>,
    item: &ResponseItem,
    plan_item: &mut PlanItemState,
) -> Option<String> {
    if is_assistant_message(item) && in_plan_mode(turn) {
        let text = complete_plan_message(session, turn, started, item, plan_item).await;
        session.record_items(vec![item.clone()]);
        return text;
    }
    let mut message_text = None;
    match item {
        ResponseItem::Message { content, .. } if is_assistant_message(item) => {
            let (id, started) = match started {
                Some(Streaming::Message { id, .. }) => (id, true),
                _ => (item_id(item), false),
            };
            let text = output_text(content);
            finish_message(session, turn, id, started, text.clone()).await;
            message_text = Some(text);
        }
        ResponseItem::Reasoning {
            summary, content, ..
        } => {
            let id = match started {
                Some(Streaming::Reasoning { id, .. }) => id,
                _ => {
                    let id = item_id(item);
                    let empty = TurnItem::Reasoning(ReasoningItem {
                        id: id.clone(),
                        summary_text: Vec::new(),
                        raw_content: Vec::new(),
                    });
                    emit_item_started(session, turn, empty).await;
                    id
                }
            };
            let summary_text: Vec<String> = summary
                .iter()
                .map(|ReasoningItemReasoningSummary::SummaryText { text }| text.clone())
                .collect();
            let raw_content: Vec<String> = content
                .iter()
                .flatten()
                .map(|part| match part {
                    ReasoningItemContent::ReasoningText { text }
                    | ReasoningItemContent::Text { text } => text.clone(),
                })
                .collect();
            let done = TurnItem::Reasoning(ReasoningItem {
                id,
                summary_text: summary_text.clone(),
                raw_content,
            });
            emit_item_completed(session, turn, done).await;
            for text in summary_text {
                session
                    .emit(
                        &turn.id,
                        EventMsg::AgentReasoning(AgentReasoningEvent { text }),
                    )
                    .await;
            }
        }
        ResponseItem::WebSearchCall { .. } => {
            let started = match started {
                Some(Streaming::WebSearch(search)) => Some(search.id),
                _ => None,
            };
            let fallback_id = started.clone().unwrap_or_else(new_id);
            if let Some(search) = web_search_item(item, &fallback_id) {
                if started.is_none() {
                    start_web_search(session, turn, search.clone()).await;
                }
                let legacy = EventMsg::WebSearchEnd(WebSearchEndEvent {
                    call_id: search.id.clone(),
                    query: search.query.clone(),
                    action: search.action.clone(),
                });
                emit_item_completed(session, turn, TurnItem::WebSearch(search)).await;
                session.emit(&turn.id, legacy).await;
            }
        }
        _ => {}
    }
    session.record_items(vec![item.clone()]);
    message_text
}

/// The start of a hosted web search: its item, then the legacy begin event.
async fn start_web_search(session: &Session, turn: &Turn, search: WebSearchItem) {
    let legacy = EventMsg::WebSearchBegin(WebSearchBeginEvent {
        call_id: search.id.clone(),
    });
    emit_item_started(session, turn, TurnItem::WebSearch(search)).await;
    session.emit(&turn.id, legacy).await;
}

async fn run_tool_calls(session: &Session, turn: &Turn, calls: Vec<ToolCall>) {
    if calls.is_empty() {
        return;
    }
    let context = ToolContext {
        thread_id: session.id,
        turn_id: turn.id.clone(),
        cwd: turn.settings.cwd.clone(),
        approval_policy: turn.settings.approval_policy,
        sandbox_policy: turn.settings.sandbox_policy.clone(),
        collaboration_mode: turn.settings.collaboration_mode,
        request_rule: turn.settings.request_rule,
        dynamic_tools: turn.settings.dynamic_tools.clone(),
        family: turn.family.clone(),
        mcp: session.mcp.clone(),
        mcp_tools: turn.mcp_tools.clone(),
        events: session.output.clone(),
        state: session.tool_state.clone(),
        turn_cancel: turn.cancel.clone(),
    };
    for call in calls {
        let output = session.tools.dispatch(call, &context).await;
        // What the call left for the model (a saved approval) comes before its output, as the
        // reference records it while the call waits.
        let mut items = session.tool_state.take_notes();
        items.push(output);
        session.record_items(items);
    }
}
