//! Model providers: where model requests go and how they are retried.
//!
//! Config names a provider (`model_provider`, default `openai`) and may define more under
//! `[model_providers.NAME]`. [`resolve_provider`] turns that into a [`ModelProviderInfo`] with
//! every default filled in, so the clients never deal with missing values.

use std::collections::BTreeMap;
use std::time::Duration;

use codex_config::ConfigToml;
use codex_config::ModelProviderToml;
use codex_config::WireApi;
use codex_utils_oss::LocalServer;

/// The provider used when config names none.
pub(crate) const DEFAULT_PROVIDER_ID: &str = "openai";
/// The OpenAI API, unless `OPENAI_BASE_URL` says otherwise.
pub(crate) const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

const DEFAULT_REQUEST_MAX_RETRIES: u64 = 4;
const DEFAULT_STREAM_MAX_RETRIES: u64 = 5;
const DEFAULT_STREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Caps on configured retry counts, so a typo cannot make a turn retry for hours.
const MAX_REQUEST_MAX_RETRIES: u64 = 100;
const MAX_STREAM_MAX_RETRIES: u64 = 100;
const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(200);

/// A provider with its defaults applied: everything a model client needs to send requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelProviderInfo {
    /// The provider's display name.
    pub name: String,
    /// Where the API lives, e.g. `https://api.openai.com/v1`; paths are appended to it.
    pub base_url: String,
    /// The environment variable holding the API key; when set, it must be present.
    pub env_key: Option<String>,
    /// Appended to the error when `env_key` is missing.
    pub env_key_instructions: Option<String>,
    pub experimental_bearer_token: Option<String>,
    pub wire_api: WireApi,
    /// Appended to every request URL.
    pub query_params: BTreeMap<String, String>,
    /// Sent with every request.
    pub http_headers: BTreeMap<String, String>,
    /// Header name → environment variable; sent when the variable is set and not blank.
    pub env_http_headers: BTreeMap<String, String>,
    /// How many times a failed request (429, 5xx, no connection) is sent again.
    pub request_max_retries: u64,
    /// How many times the turn loop may resend a request whose stream broke off.
    pub stream_max_retries: u64,
    /// How long a stream may stay silent before it counts as dropped.
    pub stream_idle_timeout: Duration,
    /// The first retry's delay; each later one doubles it (with jitter). Not in config: tests
    /// shrink it to keep retries fast.
    pub retry_base_delay: Duration,
    pub requires_openai_auth: bool,
}

/// Why no provider could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("Model provider `{0}` not found")]
    NotFound(String),
}

impl ModelProviderInfo {
    /// A provider from its config table; `id` (the table's key) names it when `name` is absent.
    pub fn from_toml(id: &str, toml: &ModelProviderToml) -> Self {
        Self {
            name: toml.name.clone().unwrap_or_else(|| id.to_owned()),
            base_url: toml
                .base_url
                .clone()
                .unwrap_or_else(|| OPENAI_BASE_URL.to_owned()),
            env_key: toml.env_key.clone(),
            env_key_instructions: toml.env_key_instructions.clone(),
            experimental_bearer_token: toml.experimental_bearer_token.clone(),
            // The reference's default for a provider of the user's own is Chat Completions.
            wire_api: toml.wire_api.unwrap_or(WireApi::Chat),
            query_params: toml.query_params.clone().unwrap_or_default(),
            http_headers: toml.http_headers.clone().unwrap_or_default(),
            env_http_headers: toml.env_http_headers.clone().unwrap_or_default(),
            request_max_retries: toml
                .request_max_retries
                .unwrap_or(DEFAULT_REQUEST_MAX_RETRIES)
                .min(MAX_REQUEST_MAX_RETRIES),
            stream_max_retries: toml
                .stream_max_retries
                .unwrap_or(DEFAULT_STREAM_MAX_RETRIES)
                .min(MAX_STREAM_MAX_RETRIES),
            stream_idle_timeout: toml
                .stream_idle_timeout_ms
                .map_or(DEFAULT_STREAM_IDLE_TIMEOUT, Duration::from_millis),
            retry_base_delay: DEFAULT_RETRY_BASE_DELAY,
            requires_openai_auth: toml.requires_openai_auth.unwrap_or(false),
        }
    }

    /// The built-in `openai` provider: the Responses API, with `OPENAI_BASE_URL` overriding
    /// the URL and `OPENAI_ORGANIZATION`/`OPENAI_PROJECT` sent as headers when set.
    pub(crate) fn openai() -> Self {
        let base_url = non_blank_env("OPENAI_BASE_URL").unwrap_or_else(|| OPENAI_BASE_URL.into());
        let toml = ModelProviderToml {
            name: Some("OpenAI".to_owned()),
            base_url: Some(base_url),
            wire_api: Some(WireApi::Responses),
            env_http_headers: Some(BTreeMap::from([
                (
                    "OpenAI-Organization".to_owned(),
                    "OPENAI_ORGANIZATION".to_owned(),
                ),
                ("OpenAI-Project".to_owned(), "OPENAI_PROJECT".to_owned()),
            ])),
            requires_openai_auth: Some(true),
            ..ModelProviderToml::default()
        };
        Self::from_toml("openai", &toml)
    }

    /// A built-in local server (`oss`, `ollama`, `lmstudio`): `CODEX_OSS_BASE_URL`, else
    /// `http://localhost:PORT/v1` with `CODEX_OSS_PORT` or the server's default port.
    pub(crate) fn local(server: LocalServer, wire_api: WireApi) -> Self {
        let base_url = non_blank_env("CODEX_OSS_BASE_URL").unwrap_or_else(|| {
            let port = non_blank_env("CODEX_OSS_PORT")
                .and_then(|port| port.trim().parse().ok())
                .unwrap_or(server.default_port());
            codex_utils_oss::base_url_for_port(port)
        });
        let toml = ModelProviderToml {
            name: Some("gpt-oss".to_owned()),
            base_url: Some(base_url),
            wire_api: Some(wire_api),
            ..ModelProviderToml::default()
        };
        Self::from_toml("oss", &toml)
    }

    /// `base_url` + `path` + the query parameters.
    pub fn url(&self, path: &str) -> String {
        let mut url = format!("{}/{}", self.base_url.trim_end_matches('/'), path);
        let mut separator = if url.contains('?') { '&' } else { '?' };
        for (name, value) in &self.query_params {
            url.push(separator);
            url.push_str(name);
            url.push('=');
            url.push_str(value);
            separator = '&';
        }
        url
    }
}

/// The built-in provider called `id`, if there is one.
pub(crate) fn built_in_provider(id: &str) -> Option<ModelProviderInfo> {
    match id {
        "openai" => Some(ModelProviderInfo::openai()),
        "oss" | "ollama" => Some(ModelProviderInfo::local(LocalServer::Ollama, WireApi::Chat)),
        "lmstudio" => Some(ModelProviderInfo::local(
            LocalServer::LmStudio,
            WireApi::Responses,
        )),
        _ => None,
    }
}

/// The provider config names (`model_provider`, default `openai`). Built-in providers win over
/// a `[model_providers.NAME]` table of the same name, as in the reference.
pub fn resolve_provider(config: &ConfigToml) -> Result<ModelProviderInfo, ProviderError> {
    let id = config
        .model_provider
        .as_deref()
        .unwrap_or(DEFAULT_PROVIDER_ID);
    if let Some(provider) = built_in_provider(id) {
        return Ok(provider);
    }
    config
        .model_providers
        .get(id)
        .map(|toml| ModelProviderInfo::from_toml(id, toml))
        .ok_or_else(|| ProviderError::NotFound(id.to_owned()))
}

fn non_blank_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn a_configured_provider_gets_the_reference_defaults() {
        let toml = ModelProviderToml {
            base_url: Some("http://127.0.0.1:9/v1".to_owned()),
            query_params: Some(BTreeMap::from([("api-version".into(), "2025".into())])),
            request_max_retries: Some(1_000),
            ..ModelProviderToml::default()
        };
        let provider = ModelProviderInfo::from_toml("mock", &toml);
        assert_eq!(provider.name, "mock");
        assert_eq!(provider.wire_api, WireApi::Chat);
        assert_eq!(provider.request_max_retries, 100);
        assert_eq!(provider.stream_max_retries, 5);
        assert_eq!(provider.stream_idle_timeout, Duration::from_secs(300));
        assert_eq!(
            provider.url("responses"),
            "http://127.0.0.1:9/v1/responses?api-version=2025"
        );
    }

    #[test]
    fn config_picks_the_provider() {
        let mut config = ConfigToml::default();
        assert_eq!(
            resolve_provider(&config).unwrap().wire_api,
            WireApi::Responses
        );
        config.model_provider = Some("mine".to_owned());
        assert_eq!(
            resolve_provider(&config).unwrap_err().to_string(),
            "Model provider `mine` not found"
        );
        config.model_providers.insert(
            "mine".to_owned(),
            ModelProviderToml {
                wire_api: Some(WireApi::Responses),
                stream_max_retries: Some(2),
                ..ModelProviderToml::default()
            },
        );
        let provider = resolve_provider(&config).unwrap();
        assert_eq!(provider.stream_max_retries, 2);
        assert_eq!(provider.request_max_retries, 4);
        config.model_provider = Some("oss".to_owned());
        let oss = resolve_provider(&config).unwrap();
        assert_eq!(oss.wire_api, WireApi::Chat);
        assert!(oss.base_url.ends_with("/v1"), "{}", oss.base_url);
    }
}
