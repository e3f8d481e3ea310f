//! The OpenAI Responses API: `POST {base_url}/responses`, streamed as server-sent events.

use std::borrow::Cow;

use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::CodexErrorInfo;
use codex_protocol::protocol::TokenUsage;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde_json::Map;
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

/// What the reference tells the user when the prompt no longer fits the model.
pub(crate) const CONTEXT_WINDOW_EXCEEDED_MESSAGE: &str = "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.";

/// A [`ModelClient`] for providers speaking the Responses API.
pub struct ResponsesClient {
    transport: Transport,
}

impl ResponsesClient {
    pub fn new(
        provider: ModelProviderInfo,
        auth: RequestCredentials,
    ) -> Result<Self, super::ClientBuildError> {
        Ok(Self {
            transport: Transport::new(provider, auth)?,
        })
    }
}

/// The request body, member for member as the reference sends it.
pub(crate) fn request_body(prompt: &Prompt) -> Value {
    let reasoning = prompt.reasoning.map(|settings| {
        let mut reasoning = Map::new();
        if let Some(effort) = settings.effort {
            reasoning.insert("effort".into(), json!(effort));
        }
        if let Some(summary) = settings.summary {
            reasoning.insert("summary".into(), json!(summary));
        }
        Value::Object(reasoning)
    });
    let include: Vec<&str> = if reasoning.is_some() {
        vec!["reasoning.encrypted_content"]
    } else {
        Vec::new()
    };
    let mut body = json!({
        "model": prompt.model,
        "instructions": prompt.instructions,
        "input": prompt.input,
        "tools": prompt.tools,
        "tool_choice": "auto",
        "parallel_tool_calls": prompt.parallel_tool_calls,
        "reasoning": reasoning,
        "store": false,
        "stream": true,
        "include": include,
    });
    if let Some(key) = &prompt.cache_key {
        body["prompt_cache_key"] = json!(key);
    }
    if prompt.verbosity.is_some() || prompt.output_schema.is_some() {
        let mut text = json!({});
        if let Some(verbosity) = prompt.verbosity {
            text["verbosity"] = json!(verbosity);
        }
        if let Some(schema) = &prompt.output_schema {
            // The name is the reference's.
            text["format"] = json!({
                "type": "json_schema",
                "strict": true,
                "schema": schema,
                "name": "codex_output_schema",
            });
        }
        body["text"] = text;
    }
    body
}

impl ModelClient for ResponsesClient {
    fn stream<'a>(
        &'a self,
        prompt: &'a Prompt,
    ) -> BoxFuture<'a, Result<ResponseStream, ModelError>> {
        Box::pin(async move {
            let mut headers = vec![
                ("OpenAI-Beta", "responses=experimental".to_owned()),
                ("originator", "codex_cli_rs".to_owned()),
                ("Accept", "text/event-stream".to_owned()),
            ];
            if let Some(key) = &prompt.cache_key {
                headers.push(("conversation_id", key.clone()));
                headers.push(("session_id", key.clone()));
            }
            let response = self
                .transport
                .post("responses", &request_body(prompt), &headers)
                .await?;
            let mut first = Output::new();
            // Like the reference, every Responses API answer reports the `codex` limits
            // (empty when the server sends no rate-limit headers), then each other family.
            for snapshot in crate::rate_limits::parse_all(response.headers()) {
                first.push_back(Ok(ResponseEvent::RateLimits(snapshot)));
            }
            if let Some(etag) = response
                .headers()
                .get("x-models-etag")
                .and_then(|value| value.to_str().ok())
            {
                first.push_back(Ok(ResponseEvent::ModelsEtag(etag.to_owned())));
            }
            Ok(response_stream(
                response,
                self.transport.provider.stream_idle_timeout,
                ResponsesParser,
                first,
            ))
        })
    }

    fn stream_max_retries(&self) -> u64 {
        self.transport.provider.stream_max_retries
    }
}

pub(super) struct ResponsesParser;

/// The members of a streamed delta, read straight from the event's text: deltas are nearly every
/// event of an answer, and building a [`Value`] for each (a map, its keys, its strings) cost
/// more than the rest of their way to the client. Any event this cannot read (another kind, a
/// member of an unexpected type, a repeated member) takes the general path, which reads it as
/// before.
#[derive(Deserialize)]
struct DeltaEvent<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(default)]
    delta: Option<String>,
    #[serde(default)]
    summary_index: Option<i64>,
    #[serde(default)]
    content_index: Option<i64>,
}

impl DeltaEvent<'_> {
    /// What the event means when it is a delta or a summary part, the kinds read this way.
    fn into_response_event(self, event_name: &str) -> Option<ResponseEvent> {
        let kind = self.kind.as_deref().unwrap_or(event_name);
        let delta = self.delta.unwrap_or_default();
        Some(match kind {
            "response.output_text.delta" => ResponseEvent::OutputTextDelta(delta),
            "response.reasoning_summary_part.added" => ResponseEvent::ReasoningSummaryPartAdded {
                summary_index: self.summary_index.unwrap_or_default(),
            },
            "response.reasoning_summary_text.delta" => ResponseEvent::ReasoningSummaryDelta {
                delta,
                summary_index: self.summary_index.unwrap_or_default(),
            },
            "response.reasoning_text.delta" => ResponseEvent::ReasoningContentDelta {
                delta,
                content_index: self.content_index.unwrap_or_default(),
            },
            _ => return None,
        })
    }
}

/// A delta or summary part read without a [`Value`], or `None` for any event the general path
/// must read. Only objects are read this way: a derived struct would also take an array.
fn parse_delta(event: &Event) -> Option<ResponseEvent> {
    if !event.data.trim_start().starts_with('{') {
        return None;
    }
    serde_json::from_str::<DeltaEvent>(&event.data)
        .ok()?
        .into_response_event(&event.event)
}

impl EventParser for ResponsesParser {
    fn on_event(&mut self, event: &Event, out: &mut Output) -> bool {
        if let Some(parsed) = parse_delta(event) {
            out.push_back(Ok(parsed));
            return false;
        }
        parse_any(event, out)
    }

    fn on_end(&mut self, out: &mut Output) {
        out.push_back(Err(disconnected("stream closed before response.completed")));
    }
}

/// Reads any event through a [`Value`]; returns `true` once the answer is complete or failed.
fn parse_any(event: &Event, out: &mut Output) -> bool {
    let Ok(data) = serde_json::from_str::<Value>(&event.data) else {
        tracing::debug!(data = %event.data, "ignoring an SSE event that is not JSON");
        return false;
    };
    let kind = data["type"].as_str().unwrap_or(&event.event);
    let text = |field: &str| data[field].as_str().unwrap_or_default().to_owned();
    let index = |field: &str| data[field].as_i64().unwrap_or_default();
    let item = || serde_json::from_value::<ResponseItem>(data["item"].clone());
    let event = match kind {
        "response.created" => ResponseEvent::Created,
        "response.output_item.added" | "response.output_item.done" => match item() {
            Ok(item) if kind == "response.output_item.added" => {
                ResponseEvent::OutputItemAdded(item)
            }
            Ok(item) => ResponseEvent::OutputItemDone(item),
            Err(error) => {
                tracing::debug!(%error, "ignoring an output item of an unknown shape");
                return false;
            }
        },
        "response.output_text.delta" => ResponseEvent::OutputTextDelta(text("delta")),
        "response.reasoning_summary_part.added" => ResponseEvent::ReasoningSummaryPartAdded {
            summary_index: index("summary_index"),
        },
        "response.reasoning_summary_text.delta" => ResponseEvent::ReasoningSummaryDelta {
            delta: text("delta"),
            summary_index: index("summary_index"),
        },
        "response.reasoning_text.delta" => ResponseEvent::ReasoningContentDelta {
            delta: text("delta"),
            content_index: index("content_index"),
        },
        "response.completed" => {
            let response = &data["response"];
            out.push_back(Ok(ResponseEvent::Completed {
                response_id: response["id"].as_str().unwrap_or_default().to_owned(),
                token_usage: token_usage(&response["usage"]),
            }));
            return true;
        }
        "response.failed" => {
            out.push_back(Err(failed(&data["response"]["error"])));
            return true;
        }
        _ => return false,
    };
    out.push_back(Ok(event));
    false
}

fn token_usage(usage: &Value) -> Option<TokenUsage> {
    let count = |value: &Value| value.as_i64().unwrap_or_default();
    usage.is_object().then(|| TokenUsage {
        input_tokens: count(&usage["input_tokens"]),
        cached_input_tokens: count(&usage["input_tokens_details"]["cached_tokens"]),
        output_tokens: count(&usage["output_tokens"]),
        reasoning_output_tokens: count(&usage["output_tokens_details"]["reasoning_tokens"]),
        total_tokens: count(&usage["total_tokens"]),
    })
}

/// The error a `response.failed` carries.
fn failed(error: &Value) -> ModelError {
    let message = error["message"]
        .as_str()
        .unwrap_or("the model failed to answer")
        .to_owned();
    let (message, info, retryable) = match error["code"].as_str().unwrap_or_default() {
        "context_length_exceeded" => (
            CONTEXT_WINDOW_EXCEEDED_MESSAGE.to_owned(),
            CodexErrorInfo::ContextWindowExceeded,
            false,
        ),
        "insufficient_quota" => (
            "Quota exceeded. Check your plan and billing details.".to_owned(),
            CodexErrorInfo::UsageLimitExceeded,
            false,
        ),
        "usage_limit_reached" => (
            "You've hit your usage limit.".to_owned(),
            CodexErrorInfo::UsageLimitExceeded,
            false,
        ),
        "server_is_overloaded" | "slow_down" => (message, CodexErrorInfo::ServerOverloaded, true),
        // Transient on the provider's side: sending the request again may well succeed.
        "rate_limit_exceeded" | "server_error" => (
            message,
            CodexErrorInfo::ResponseStreamDisconnected {
                http_status_code: None,
            },
            true,
        ),
        _ => (message, CodexErrorInfo::Other, false),
    };
    ModelError {
        message,
        info,
        retryable,
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn event(name: &str, data: &str) -> Event {
        Event {
            event: name.to_owned(),
            data: data.to_owned(),
            id: String::new(),
            retry: None,
        }
    }

    /// What the general path makes of an event.
    fn general(event: &Event) -> Vec<ResponseEvent> {
        let mut out = Output::new();
        parse_any(event, &mut out);
        out.into_iter().map(Result::unwrap).collect()
    }

    /// The delta path reads `data` as the general path does, or leaves it to it (`None`).
    #[track_caller]
    fn check(name: &str, data: &str, read_directly: bool) {
        let event = event(name, data);
        let direct = parse_delta(&event);
        assert_eq!(direct.is_some(), read_directly, "{data}");
        if let Some(direct) = direct {
            assert_eq!(vec![direct], general(&event), "{data}");
        }
    }

    #[test]
    fn deltas_read_directly_mean_what_the_general_path_reads() {
        let cases = [
            (
                r#"{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"w","sequence_number":4}"#,
                true,
            ),
            (
                r#"{"type":"response.output_text.delta","delta":"caf\u00e9 \"q\""}"#,
                true,
            ),
            (r#"{"type":"response.output_text.delta"}"#, true),
            (
                r#"{"type":"response.output_text.delta","delta":null}"#,
                true,
            ),
            (r#"{"delta":"named by the event"}"#, true),
            (r#"{"type":null,"delta":"named by the event"}"#, true),
            (
                r#"{"type":"response.reasoning_summary_part.added","summary_index":2}"#,
                true,
            ),
            (
                r#"{"type":"response.reasoning_summary_text.delta","delta":"t","summary_index":1}"#,
                true,
            ),
            (
                r#"{"type":"response.reasoning_text.delta","delta":"r","content_index":3}"#,
                true,
            ),
            // Left to the general path: other kinds, unexpected types, repeated members.
            (r#"{"type":"response.created","response":{}}"#, false),
            (r#"{"type":"response.output_text.delta","delta":7}"#, false),
            (
                r#"{"type":"response.reasoning_text.delta","delta":"r","content_index":1.5}"#,
                false,
            ),
            (
                r#"{"type":"response.output_text.delta","delta":"a","delta":"b"}"#,
                false,
            ),
            (r#"{"type":5,"delta":"x"}"#, false),
            (r#"["response.output_text.delta","x"]"#, false),
            ("not json", false),
        ];
        for (data, direct) in cases {
            check("response.output_text.delta", data, direct);
        }
    }
}
