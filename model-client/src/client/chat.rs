//! Chat Completions, for local servers (Ollama, LM Studio, vLLM): `POST
//! {base_url}/chat/completions`, streamed as `chat.completion.chunk`s, turned into the same
//! [`ResponseEvent`]s as the Responses API.

use std::collections::BTreeMap;

use codex_protocol::models::ContentItem;
use codex_protocol::models::ReasoningItemContent;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::TokenUsage;
use futures::future::BoxFuture;
use serde_json::Value;
use serde_json::json;

use crate::auth::RequestCredentials;
use crate::client::sse::Event;
use crate::client::stream::EventParser;
use crate::client::stream::Output;
use crate::client::stream::disconnected;
use crate::client::stream::response_stream;
use crate::client::transport::Transport;
use crate::model::ModelClient;
use crate::model::ModelError;
use crate::model::Prompt;
use crate::model::ResponseEvent;
use crate::model::ResponseStream;
use crate::provider::ModelProviderInfo;

/// A [`ModelClient`] for providers speaking Chat Completions.
pub struct ChatClient {
    transport: Transport,
}

impl ChatClient {
    pub fn new(
        provider: ModelProviderInfo,
        auth: RequestCredentials,
    ) -> Result<Self, super::ClientBuildError> {
        Ok(Self {
            transport: Transport::new(provider, auth)?,
        })
    }
}

impl ModelClient for ChatClient {
    fn stream<'a>(
        &'a self,
        prompt: &'a Prompt,
    ) -> BoxFuture<'a, Result<ResponseStream, ModelError>> {
        Box::pin(async move {
            let headers = [("Accept", "text/event-stream".to_owned())];
            let response = self
                .transport
                .post("chat/completions", &chat_request_body(prompt), &headers)
                .await?;
            Ok(response_stream(
                response,
                self.transport.provider.stream_idle_timeout,
                ChatParser::default(),
                Output::new(),
            ))
        })
    }

    fn stream_max_retries(&self) -> u64 {
        self.transport.provider.stream_max_retries
    }
}

/// The Chat Completions request for `prompt`: instructions as the system message, the
/// conversation as messages, function tools as `{"type": "function", "function": …}`. Tools
/// Chat Completions cannot express (web search, freeform tools) are left out.
pub(crate) fn chat_request_body(prompt: &Prompt) -> Value {
    let mut messages = vec![json!({ "role": "system", "content": prompt.instructions })];
    for item in &prompt.input {
        push_message(&mut messages, item);
    }
    let tools: Vec<Value> = prompt
        .tools
        .iter()
        .filter(|tool| tool["type"] == "function")
        .map(|tool| {
            json!({
                "type": "function",
                "function": {
                    "name": tool["name"],
                    "description": tool["description"],
                    "parameters": tool["parameters"],
                },
            })
        })
        .collect();
    let mut body = json!({ "model": prompt.model, "messages": messages, "stream": true });
    if !tools.is_empty() {
        body["tools"] = Value::Array(tools);
    }
    body
}

fn push_message(messages: &mut Vec<Value>, item: &ResponseItem) {
    match item {
        ResponseItem::Message { role, content, .. } => {
            // Local servers know `system`, not the Responses API's `developer`.
            let role = if role == "developer" { "system" } else { role };
            messages.push(json!({ "role": role, "content": message_content(content) }));
        }
        ResponseItem::FunctionCall {
            name,
            arguments,
            call_id,
            ..
        } => push_tool_call(messages, call_id, name, arguments),
        ResponseItem::CustomToolCall {
            call_id,
            name,
            input,
            ..
        } => push_tool_call(messages, call_id, name, input),
        ResponseItem::FunctionCallOutput { call_id, output } => {
            let content = match serde_json::to_value(output) {
                Ok(Value::String(text)) => text,
                Ok(other) => other.to_string(),
                Err(_) => String::new(),
            };
            messages.push(json!({ "role": "tool", "tool_call_id": call_id, "content": content }));
        }
        ResponseItem::CustomToolCallOutput { call_id, output } => {
            messages.push(json!({ "role": "tool", "tool_call_id": call_id, "content": output }));
        }
        // Reasoning, shell calls, searches and snapshots have no Chat Completions form.
        _ => {}
    }
}

/// Plain text when the message is only text, else content parts with the images.
fn message_content(content: &[ContentItem]) -> Value {
    let has_image = content
        .iter()
        .any(|part| matches!(part, ContentItem::InputImage { .. }));
    if !has_image {
        let text: String = content
            .iter()
            .map(|part| match part {
                ContentItem::InputText { text } | ContentItem::OutputText { text } => text.as_str(),
                ContentItem::InputImage { .. } => "",
            })
            .collect();
        return Value::String(text);
    }
    content
        .iter()
        .map(|part| match part {
            ContentItem::InputText { text } | ContentItem::OutputText { text } => {
                json!({ "type": "text", "text": text })
            }
            ContentItem::InputImage { image_url } => {
                json!({ "type": "image_url", "image_url": { "url": image_url } })
            }
        })
        .collect()
}

/// Consecutive tool calls belong to one assistant message.
fn push_tool_call(messages: &mut Vec<Value>, call_id: &str, name: &str, arguments: &str) {
    let call = json!({
        "id": call_id,
        "type": "function",
        "function": { "name": name, "arguments": arguments },
    });
    if let Some(Value::Array(calls)) = messages
        .last_mut()
        .filter(|last| last["role"] == "assistant")
        .and_then(|last| last.get_mut("tool_calls"))
    {
        calls.push(call);
        return;
    }
    messages.push(json!({ "role": "assistant", "content": null, "tool_calls": [call] }));
}

/// Collects the chunks; the whole items come out when the answer ends.
#[derive(Default)]
pub(super) struct ChatParser {
    started: bool,
    id: String,
    text: String,
    message_added: bool,
    reasoning: String,
    /// By the index the server gives each call.
    tool_calls: BTreeMap<i64, PartialCall>,
    finished: bool,
    usage: Option<TokenUsage>,
}

#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

impl ChatParser {
    fn complete(&mut self, out: &mut Output) {
        if !self.reasoning.is_empty() {
            out.push_back(Ok(ResponseEvent::OutputItemDone(ResponseItem::Reasoning {
                id: String::new(),
                summary: Vec::new(),
                content: Some(vec![ReasoningItemContent::ReasoningText {
                    text: std::mem::take(&mut self.reasoning),
                }]),
                encrypted_content: None,
            })));
        }
        if self.message_added {
            out.push_back(Ok(ResponseEvent::OutputItemDone(assistant_message(
                std::mem::take(&mut self.text),
            ))));
        }
        for call in std::mem::take(&mut self.tool_calls).into_values() {
            out.push_back(Ok(ResponseEvent::OutputItemDone(
                ResponseItem::FunctionCall {
                    id: None,
                    name: call.name,
                    arguments: call.arguments,
                    call_id: call.id,
                },
            )));
        }
        out.push_back(Ok(ResponseEvent::Completed {
            response_id: self.id.clone(),
            token_usage: self.usage.take(),
        }));
    }
}

fn assistant_message(text: String) -> ResponseItem {
    let content = if text.is_empty() {
        Vec::new()
    } else {
        vec![ContentItem::OutputText { text }]
    };
    ResponseItem::Message {
        id: None,
        role: "assistant".to_owned(),
        content,
        end_turn: None,
        phase: None,
    }
}

impl EventParser for ChatParser {
    fn on_event(&mut self, event: &Event, out: &mut Output) -> bool {
        if event.data.trim() == "[DONE]" {
            self.complete(out);
            return true;
        }
        let Ok(chunk) = serde_json::from_str::<Value>(&event.data) else {
            tracing::debug!(data = %event.data, "ignoring a chunk that is not JSON");
            return false;
        };
        if !self.started {
            self.started = true;
            self.id = chunk["id"].as_str().unwrap_or_default().to_owned();
            out.push_back(Ok(ResponseEvent::Created));
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            let count = |field: &str| usage[field].as_i64().unwrap_or_default();
            self.usage = Some(TokenUsage {
                input_tokens: count("prompt_tokens"),
                cached_input_tokens: usage["prompt_tokens_details"]["cached_tokens"]
                    .as_i64()
                    .unwrap_or_default(),
                output_tokens: count("completion_tokens"),
                reasoning_output_tokens: 0,
                total_tokens: count("total_tokens"),
            });
        }
        let choice = &chunk["choices"][0];
        let delta = &choice["delta"];
        // Ollama and vLLM name it `reasoning`, others `reasoning_content`.
        let reasoning = delta["reasoning"]
            .as_str()
            .or_else(|| delta["reasoning_content"].as_str());
        if let Some(reasoning) = reasoning.filter(|text| !text.is_empty()) {
            self.reasoning.push_str(reasoning);
            out.push_back(Ok(ResponseEvent::ReasoningContentDelta {
                delta: reasoning.to_owned(),
                content_index: 0,
            }));
        }
        if let Some(text) = delta["content"].as_str().filter(|text| !text.is_empty()) {
            if !self.message_added {
                self.message_added = true;
                out.push_back(Ok(ResponseEvent::OutputItemAdded(assistant_message(
                    String::new(),
                ))));
            }
            self.text.push_str(text);
            out.push_back(Ok(ResponseEvent::OutputTextDelta(text.to_owned())));
        }
        if let Some(calls) = delta["tool_calls"].as_array() {
            for call in calls {
                let slot = self
                    .tool_calls
                    .entry(call["index"].as_i64().unwrap_or_default())
                    .or_default();
                if let Some(id) = call["id"].as_str() {
                    slot.id = id.to_owned();
                }
                if let Some(name) = call["function"]["name"].as_str() {
                    slot.name.push_str(name);
                }
                if let Some(arguments) = call["function"]["arguments"].as_str() {
                    slot.arguments.push_str(arguments);
                }
            }
        }
        if choice["finish_reason"].is_string() {
            // Usage may still follow in a chunk of its own; `[DONE]` or the end of the stream
            // completes the answer.
            self.finished = true;
        }
        false
    }

    fn on_end(&mut self, out: &mut Output) {
        if self.finished {
            self.complete(out);
        } else {
            out.push_back(Err(disconnected(
                "stream closed before the answer was finished",
            )));
        }
    }
}
