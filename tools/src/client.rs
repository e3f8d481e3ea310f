//! Tools the client runs: the dynamic tools it declared for the thread (`thread/start`
//! `dynamicTools`) and `request_user_input`, which asks the user questions (plan mode only).
//!
//! A call goes out as an event (`DynamicToolCallRequest`, `RequestUserInput`) and waits for the
//! answer the agent delivers ([`crate::ThreadToolState::resolve_dynamic_tool`],
//! [`crate::ThreadToolState::resolve_user_input`]), keyed by the call id. An interrupted turn drops the
//! waiting call and its entry.

use std::collections::BTreeMap;

use codex_protocol::config_types::ModeKind;
use codex_protocol::dynamic_tools::DynamicToolCallRequest;
use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::protocol::EventMsg;
use codex_protocol::request_user_input::RequestUserInputEvent;
use codex_protocol::request_user_input::RequestUserInputQuestion;
use serde::Deserialize;
use serde::Serialize;

use crate::context::ToolContext;
use crate::state::Answer;

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

/// Sends `request` (a client tool call event keyed by `id`) and waits for the client's answer.
async fn ask(context: &ToolContext, id: &str, request: EventMsg) -> Option<Answer> {
    let waiter = context.state.client.wait_for(id);
    context.emit(request).await;
    waiter.answer().await
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
    match ask(context, call_id, request).await {
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
    match ask(context, call_id, request).await {
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
