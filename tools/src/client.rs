//! Tools the client runs: the dynamic tools it declared for the thread (`thread/start`
//! `dynamicTools`) and `request_user_input`, which asks the user questions (plan mode only).
//!
//! A call goes out as an event (`DynamicToolCallRequest`, `RequestUserInput`) and waits for the
//! answer the agent delivers ([`crate::ThreadToolState::resolve_dynamic_tool`],
//! [`crate::ThreadToolState::resolve_user_input`]), keyed by the call id. An interrupted turn drops the
//! waiting call and its entry.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Mutex;

use codex_protocol::config_types::ModeKind;
use codex_protocol::dynamic_tools::DynamicToolCallRequest;
use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::FunctionCallOutputContentItem;
use codex_protocol::protocol::EventMsg;
use codex_protocol::request_user_input::RequestUserInputEvent;
use codex_protocol::request_user_input::RequestUserInputQuestion;
use serde::Deserialize;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::context::ToolContext;
use codex_utils_lock::lock;

pub use codex_protocol::dynamic_tools::DynamicToolSpec as DynamicTool;

/// The function tool definition the model is offered for a client's tool.
pub(crate) fn dynamic_tool_spec(tool: &DynamicTool) -> serde_json::Value {
    serde_json::json!({
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "strict": false,
        "parameters": tool.input_schema,
    })
}

/// The client's answer to a dynamic tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicToolOutput {
    pub content: Vec<FunctionCallOutputContentItem>,
    pub success: bool,
}

/// The user's answers to `request_user_input`, by question id.
pub type UserInputAnswers = BTreeMap<String, Vec<String>>;

enum Answer {
    Dynamic(DynamicToolOutput),
    UserInput(Option<UserInputAnswers>),
}

/// Calls waiting for the client, by call id.
#[derive(Default)]
pub(crate) struct ClientCalls {
    pending: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
}

/// Removes a pending call when its waiting future ends, answered or dropped.
struct PendingGuard<'a> {
    calls: &'a ClientCalls,
    id: String,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.calls.pending).remove(&self.id);
    }
}

impl ClientCalls {
    async fn ask(&self, context: &ToolContext, id: &str, request: EventMsg) -> Option<Answer> {
        let (sender, receiver) = oneshot::channel();
        lock(&self.pending).insert(id.to_owned(), sender);
        let _guard = PendingGuard {
            calls: self,
            id: id.to_owned(),
        };
        context.emit(request).await;
        receiver.await.ok()
    }

    fn resolve(&self, id: &str, answer: Answer) -> bool {
        match lock(&self.pending).remove(id) {
            Some(sender) => sender.send(answer).is_ok(),
            None => false,
        }
    }

    pub(crate) fn resolve_dynamic(&self, id: &str, output: DynamicToolOutput) -> bool {
        self.resolve(id, Answer::Dynamic(output))
    }

    pub(crate) fn resolve_user_input(&self, id: &str, answers: Option<UserInputAnswers>) -> bool {
        self.resolve(id, Answer::UserInput(answers))
    }
}

/// Runs a call of the dynamic tool `name` on the client.
pub(crate) async fn call_dynamic(
    context: &ToolContext,
    call_id: &str,
    name: &str,
    arguments: &str,
) -> (FunctionCallOutputBody, bool) {
    let arguments = match serde_json::from_str::<serde_json::Value>(arguments) {
        Ok(arguments) => arguments,
        Err(err) => {
            return (
                FunctionCallOutputBody::String(format!(
                    "failed to parse function arguments: {err}"
                )),
                false,
            );
        }
    };
    let request = EventMsg::DynamicToolCallRequest(DynamicToolCallRequest {
        call_id: call_id.to_owned(),
        turn_id: context.turn_id.clone(),
        tool: name.to_owned(),
        arguments,
    });
    match context.state.client.ask(context, call_id, request).await {
        Some(Answer::Dynamic(output)) => {
            (FunctionCallOutputBody::List(output.content), output.success)
        }
        _ => (
            FunctionCallOutputBody::String(format!("dynamic tool {name} got no answer")),
            false,
        ),
    }
}

#[derive(Deserialize)]
struct UserInputArgs {
    questions: Vec<RequestUserInputQuestion>,
}

#[derive(Serialize)]
struct UserInputOutput<'a> {
    answers: BTreeMap<&'a str, AnswerOutput<'a>>,
}

#[derive(Serialize)]
struct AnswerOutput<'a> {
    answers: &'a [String],
}

/// `request_user_input`: asks the client's user, in plan mode only.
pub(crate) async fn request_user_input(
    context: &ToolContext,
    call_id: &str,
    arguments: &str,
) -> (String, bool) {
    if context.collaboration_mode != ModeKind::Plan {
        return (
            "request_user_input is unavailable in Default mode".to_owned(),
            false,
        );
    }
    let mut args = match serde_json::from_str::<UserInputArgs>(arguments) {
        Ok(args) => args,
        Err(err) => return (format!("failed to parse function arguments: {err}"), false),
    };
    if args
        .questions
        .iter()
        .any(|question| question.options.as_ref().is_none_or(Vec::is_empty))
    {
        return (
            "request_user_input requires non-empty options for every question".to_owned(),
            false,
        );
    }
    // The user may always answer in their own words.
    for question in &mut args.questions {
        question.is_other = true;
    }
    let request = EventMsg::RequestUserInput(RequestUserInputEvent {
        call_id: call_id.to_owned(),
        turn_id: context.turn_id.clone(),
        questions: args.questions,
    });
    match context.state.client.ask(context, call_id, request).await {
        Some(Answer::UserInput(Some(answers))) => {
            let output = UserInputOutput {
                answers: answers
                    .iter()
                    .map(|(id, answers)| (id.as_str(), AnswerOutput { answers }))
                    .collect(),
            };
            match serde_json::to_string(&output) {
                Ok(text) => (text, true),
                Err(err) => (format!("cannot encode the answers: {err}"), false),
            }
        }
        _ => (
            "request_user_input was cancelled before receiving a response".to_owned(),
            false,
        ),
    }
}
