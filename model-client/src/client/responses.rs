//! The OpenAI Responses API: `POST {base_url}/responses`, streamed as server-sent events.

use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::CodexErrorInfo;
use codex_protocol::protocol::TokenUsage;
use eventsource_stream::Event;
use futures::future::BoxFuture;
use serde_json::Map;
use serde_json::Value;
use serde_json::json;

use crate::auth::RequestCredentials;
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

impl EventParser for ResponsesParser {
    fn on_event(&mut self, event: &Event, out: &mut Output) -> bool {
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

    fn on_end(&mut self, out: &mut Output) {
        out.push_back(Err(disconnected("stream closed before response.completed")));
    }
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
