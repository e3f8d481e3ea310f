//! The boundary between the turn loop and the model clients.
//!
//! The turn loop builds a [`Prompt`] and reads [`ResponseEvent`]s back; a [`ModelClient`]
//! turns one into an HTTP request to a provider (the Responses API, or Chat Completions for
//! local servers) and the streamed answer into the other. Keeping this boundary small lets the
//! turn loop be tested against a scripted client, and lets providers differ without the turn
//! loop knowing.

use std::pin::Pin;

use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::config_types::ReasoningSummary;
use codex_protocol::config_types::Verbosity;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::CodexErrorInfo;
use codex_protocol::protocol::RateLimitSnapshot;
use codex_protocol::protocol::TokenUsage;
use futures::Stream;
use futures::future::BoxFuture;

/// Everything one model request carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Prompt {
    /// The model name, sent as configured.
    pub model: String,
    /// The system instructions (the Responses API's `instructions`).
    pub instructions: String,
    /// The conversation so far, oldest first, ending with the newest input.
    pub input: Vec<ResponseItem>,
    /// Tool definitions, each a JSON object as the Responses API takes it (`{"type":
    /// "function", "name": …}`); a Chat Completions client converts them.
    pub tools: Vec<serde_json::Value>,
    pub parallel_tool_calls: bool,
    /// `None` sends `"reasoning": null`, for models without reasoning settings.
    pub reasoning: Option<ReasoningSettings>,
    /// `None` (with no `output_schema`) leaves `text` out of the request.
    pub verbosity: Option<Verbosity>,
    /// A JSON Schema the answer must follow, sent as `text.format` (`json_schema`, strict).
    pub output_schema: Option<serde_json::Value>,
    /// Sent as `prompt_cache_key`: the thread id, so a provider can reuse its cache.
    pub cache_key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasoningSettings {
    pub effort: Option<ReasoningEffort>,
    pub summary: Option<ReasoningSummary>,
}

/// One step of a streamed answer.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseEvent {
    /// The provider accepted the request and started answering.
    Created,
    /// An output item started (a message, reasoning, a tool call); its content follows as
    /// deltas, and the whole item arrives with [`ResponseEvent::OutputItemDone`].
    OutputItemAdded(ResponseItem),
    OutputItemDone(ResponseItem),
    /// Text of the assistant message being written.
    OutputTextDelta(String),
    ReasoningSummaryPartAdded {
        summary_index: i64,
    },
    ReasoningSummaryDelta {
        delta: String,
        summary_index: i64,
    },
    ReasoningContentDelta {
        delta: String,
        content_index: i64,
    },
    /// The answer is complete. Always the last event of a stream that did not fail; a stream
    /// that ends without it ends with an `Err` instead. Chat Completions clients emit it
    /// themselves, with the chunk id as `response_id`, after the whole items.
    Completed {
        response_id: String,
        token_usage: Option<TokenUsage>,
    },
    /// One limit family from the rate-limit headers the provider sent with the answer
    /// (`crate::rate_limits`): the first events of a Responses API stream, `codex` first.
    RateLimits(RateLimitSnapshot),
    /// The `X-Models-Etag` header of the answer: the version of the model catalogue the backend
    /// offers a ChatGPT account, after the rate limits. The turn loop ignores it; whoever keeps
    /// the catalogue refreshes it when the version changed.
    ModelsEtag(String),
}

/// Why a model request failed, in the terms a client is told (`codexErrorInfo`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ModelError {
    /// What the user sees, e.g. `unexpected status 401 Unauthorized: …`.
    pub message: String,
    pub info: CodexErrorInfo,
    /// Whether the turn loop may retry by sending the request again, up to
    /// [`ModelClient::stream_max_retries`] times: `true` for a stream that broke off or went
    /// idle (`ResponseStreamDisconnected`), a provider that could not be reached even after
    /// the request-level retries (`HttpConnectionFailed`), and a `response.failed` the provider
    /// calls transient. HTTP errors (401, 500, retries exhausted on 429/5xx) are final.
    pub retryable: bool,
}

pub type ResponseStream = Pin<Box<dyn Stream<Item = Result<ResponseEvent, ModelError>> + Send>>;

/// A connection to one model provider.
pub trait ModelClient: Send + Sync {
    /// Sends the prompt and returns the streamed answer. Retries of the request itself
    /// (429, 5xx, connection failures, with backoff and `Retry-After`) happen inside; the
    /// error comes once they are exhausted.
    fn stream<'a>(
        &'a self,
        prompt: &'a Prompt,
    ) -> BoxFuture<'a, Result<ResponseStream, ModelError>>;

    /// How many times the turn loop may resend a request whose stream broke off.
    fn stream_max_retries(&self) -> u64;
}
