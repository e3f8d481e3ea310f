//! A review turn: a reviewer with its own rubric and a fresh history (the context a new thread
//! gets, then the review prompt) works inside the thread's turn, and its answer comes back to
//! the thread as a review.
//!
//! As in the reference, where the reviewer is a sub-agent, the thread's client sees the
//! reviewer's work under the review turn (its user message, reasoning, commands), but not its
//! answer being written: no message deltas, no completed agent messages, and its last message
//! (the JSON review) not at all. The thread's history keeps only the outcome: a user message
//! with the results and an assistant message with the rendered review, so later turns can act
//! on the findings.

use std::sync::Arc;

use codex_protocol::items::AgentMessageContent;
use codex_protocol::items::AgentMessageItem;
use codex_protocol::items::TurnItem;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AgentMessageEvent;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::ErrorEvent;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ExitedReviewModeEvent;
use codex_protocol::protocol::ItemCompletedEvent;
use codex_protocol::protocol::ReviewOutputEvent;
use codex_protocol::protocol::ReviewRequest;
use codex_protocol::user_input::UserInput;
use codex_tools::ToolCall;
use codex_tools::ToolContext;
use codex_tools::ToolOffer;
use codex_tools::ToolRouter;
use codex_tools::model_family::ModelFamily;
use futures::future::BoxFuture;

use super::context::Outcome;
use super::context::Turn;
use super::context::emit_item_completed;
use super::context::emit_item_started;
use super::input::record_user_input;
use super::sampling::run_sampling_loop;
use crate::review;
use crate::session::Session;
use crate::session::output::Event;
use crate::session::output::EventStream;
use crate::session::output::ThreadOutput;

/// The ids of the two messages a review leaves in the history, as the reference names them
/// (a client sees the assistant one as the id of its `agentMessage` item).
const REVIEW_USER_MESSAGE_ID: &str = "review_rollout_user";
const REVIEW_ASSISTANT_MESSAGE_ID: &str = "review_rollout_assistant";

/// Runs the review `request` as the turn `turn` of `session` and leaves its outcome in the
/// history. Dropping the future stops the reviewer; the caller then calls [`exit_review`] with
/// no output.
pub(crate) async fn run_review(session: &Arc<Session>, turn: &Turn, request: ReviewRequest) {
    let prompt = review::review_prompt(&request.target, &turn.settings.cwd).await;
    let output = match run_reviewer(session, turn, prompt).await {
        Ok(output) => output,
        Err(error) => {
            session
                .emit(
                    &turn.id,
                    EventMsg::Error(ErrorEvent {
                        message: error.message,
                        codex_error_info: Some(error.info),
                    }),
                )
                .await;
            None
        }
    };
    exit_review(session, turn, output).await;
}

/// Runs the reviewer to its end, relaying what the client sees of its work. Its answer read
/// as a review, or `None` when it gave none.
async fn run_reviewer(
    session: &Arc<Session>,
    turn: &Turn,
    prompt: String,
) -> Result<Option<ReviewOutputEvent>, codex_model_client::model::ModelError> {
    let mut settings = turn.settings.clone();
    if let Some(model) = settings.review_model.clone() {
        settings.model = model;
    }
    settings.base_instructions = review::REVIEW_RUBRIC.to_owned();
    // The reviewer reads and runs; it never stops to ask anyone.
    settings.approval_policy = AskForApproval::Never;
    settings.dynamic_tools = Vec::new();
    settings.collaboration_mode = codex_protocol::config_types::ModeKind::Default;
    settings.ephemeral = true;
    let history = crate::thread::initial_context(&settings);
    let (output, events) = ThreadOutput::new(None, Vec::new());
    let tools: Arc<dyn ToolRouter> = Arc::new(WithoutWebSearch(session.tools.clone()));
    let reviewer = Arc::new(Session::reviewer(
        session,
        output,
        tools,
        settings.clone(),
        history,
    ));
    let reviewer_turn = Turn {
        id: turn.id.clone(),
        family: ModelFamily::find(&settings.model),
        settings,
        mcp_tools: turn.mcp_tools.clone(),
        output_schema: None,
        cancel: turn.cancel.clone(),
    };
    let work = async {
        let input = vec![UserInput::Text {
            text: prompt,
            text_elements: Vec::new(),
        }];
        record_user_input(&reviewer, &reviewer_turn, input).await;
        run_sampling_loop(&reviewer, &reviewer_turn).await
    };
    let mut relay = Relay {
        session,
        turn_id: &turn.id,
        events,
        held_message: None,
    };
    let outcome = relay.alongside(work).await;
    match outcome {
        Outcome::Completed(last_message) => Ok(last_message
            .filter(|text| !text.is_empty())
            .map(|text| review::parse_review_output(&text))),
        Outcome::Failed(error) => Err(error),
    }
}

/// Passes the reviewer's events on to the thread, as the thread's client is to see them.
struct Relay<'a> {
    session: &'a Session,
    turn_id: &'a str,
    events: EventStream,
    /// The reviewer's latest complete message: sent on only when another follows, because the
    /// last one is the review itself.
    held_message: Option<EventMsg>,
}

impl Relay<'_> {
    /// Relays events while `work` runs, then those it left queued.
    async fn alongside<T>(&mut self, work: impl std::future::Future<Output = T>) -> T {
        tokio::pin!(work);
        let result = loop {
            tokio::select! {
                biased;
                event = self.events.recv() => match event {
                    Some(event) => self.relay(event).await,
                    None => break (&mut work).await,
                },
                result = &mut work => break result,
            }
        };
        while let Some(event) = self.events.try_recv() {
            self.relay(event).await;
        }
        result
    }

    async fn relay(&mut self, event: Event) {
        let msg = event.msg;
        match msg {
            EventMsg::AgentMessage(_) => {
                if let Some(previous) = self.held_message.replace(msg) {
                    self.session.emit(self.turn_id, previous).await;
                }
            }
            // The review is shown as a review, not streamed as a message; usage and the
            // reviewer's own turn boundaries are its business.
            EventMsg::ItemCompleted(ItemCompletedEvent {
                item: TurnItem::AgentMessage(_),
                ..
            })
            | EventMsg::AgentMessageDelta(_)
            | EventMsg::AgentMessageContentDelta(_)
            | EventMsg::AgentReasoningDelta(_)
            | EventMsg::TokenCount(_)
            | EventMsg::SessionConfigured(_)
            | EventMsg::ThreadNameUpdated(_)
            | EventMsg::TaskStarted(_)
            | EventMsg::TaskComplete(_) => {}
            other => self.session.emit(self.turn_id, other).await,
        }
    }
}

/// Leaves the review's outcome in the history and tells the client: a user message with the
/// results (or saying the review stopped), `ExitedReviewMode`, and the rendered review as an
/// assistant message.
pub(crate) async fn exit_review(session: &Session, turn: &Turn, output: Option<ReviewOutputEvent>) {
    let (user_text, assistant_text) = match &output {
        Some(output) => (
            review::exit_success_message(output),
            review::render_review_output(output),
        ),
        None => (
            review::EXIT_INTERRUPTED_MESSAGE.to_owned(),
            review::REVIEW_INTERRUPTED_MESSAGE.to_owned(),
        ),
    };
    session.record_items(vec![message(REVIEW_USER_MESSAGE_ID, "user", user_text)]);
    session
        .emit(
            &turn.id,
            EventMsg::ExitedReviewMode(ExitedReviewModeEvent {
                review_output: output,
            }),
        )
        .await;
    let item = TurnItem::AgentMessage(AgentMessageItem {
        id: REVIEW_ASSISTANT_MESSAGE_ID.to_owned(),
        content: vec![AgentMessageContent::Text {
            text: assistant_text.clone(),
        }],
        phase: None,
    });
    emit_item_started(session, turn, item.clone()).await;
    session.record_items(vec![message(
        REVIEW_ASSISTANT_MESSAGE_ID,
        "assistant",
        assistant_text.clone(),
    )]);
    emit_item_completed(session, turn, item).await;
    session
        .emit(
            &turn.id,
            EventMsg::AgentMessage(AgentMessageEvent {
                message: assistant_text,
            }),
        )
        .await;
}

fn message(id: &str, role: &str, text: String) -> ResponseItem {
    let content = if role == "assistant" {
        ContentItem::OutputText { text }
    } else {
        ContentItem::InputText { text }
    };
    ResponseItem::Message {
        id: Some(id.to_owned()),
        role: role.to_owned(),
        content: vec![content],
        end_turn: None,
        phase: None,
    }
}

/// The thread's tools without web search, which a reviewer is never offered.
struct WithoutWebSearch(Arc<dyn ToolRouter>);

fn is_web_search(spec: &serde_json::Value) -> bool {
    spec.get("type").and_then(serde_json::Value::as_str) == Some("web_search")
        || spec.get("name").and_then(serde_json::Value::as_str) == Some("web_search")
}

impl ToolRouter for WithoutWebSearch {
    fn specs(&self, family: &ModelFamily) -> Vec<serde_json::Value> {
        let mut specs = self.0.specs(family);
        specs.retain(|spec| !is_web_search(spec));
        specs
    }

    fn specs_for(&self, family: &ModelFamily, offer: ToolOffer<'_>) -> Vec<serde_json::Value> {
        let mut specs = self.0.specs_for(family, offer);
        specs.retain(|spec| !is_web_search(spec));
        specs
    }

    fn dispatch<'a>(
        &'a self,
        call: ToolCall,
        context: &'a ToolContext,
    ) -> BoxFuture<'a, ResponseItem> {
        self.0.dispatch(call, context)
    }
}
