//! Model clients: the [`ModelClient`] implementations that talk HTTP to a provider.
//!
//! [`ResponsesClient`] speaks the OpenAI Responses API, [`ChatClient`] Chat Completions (local
//! servers such as Ollama, LM Studio and vLLM). Both share `transport` (sending, headers,
//! retries, HTTP errors) and `stream` (reading server-sent events with an idle timeout).

mod chat;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod responses;
mod sse;
mod stream;
mod transport;

use std::sync::Arc;

pub(crate) use chat::ChatClient;
use codex_config::WireApi;
pub(crate) use responses::ResponsesClient;

use crate::auth::RequestCredentials;
use crate::model::ModelClient;
use crate::provider::ModelProviderInfo;

/// Why a client could not be built: the HTTP stack could not start (no TLS roots, say).
#[derive(Debug, thiserror::Error)]
#[error("could not start the HTTP client: {0}")]
pub struct ClientBuildError(#[from] reqwest::Error);

/// The client for the provider's wire API.
pub fn model_client(
    provider: ModelProviderInfo,
    auth: impl Into<RequestCredentials>,
) -> Result<Arc<dyn ModelClient>, ClientBuildError> {
    let auth = auth.into();
    Ok(match provider.wire_api {
        WireApi::Responses => Arc::new(ResponsesClient::new(provider, auth)?),
        WireApi::Chat => Arc::new(ChatClient::new(provider, auth)?),
    })
}
