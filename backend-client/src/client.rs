//! The HTTP side: base URL rules, the headers every request carries, errors.

use std::time::Duration;

use codex_protocol::protocol::RateLimitSnapshot;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;

use crate::usage::UsagePayload;
use crate::usage::snapshots_from_usage;

/// `chatgpt_base_url` when the config does not set it.
pub const DEFAULT_CHATGPT_BASE_URL: &str = "https://chatgpt.com/backend-api/";

/// How long one backend request may take, connection included. The reference sets no bound;
/// a request that never answers must not hold a client's request forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What a ChatGPT account presents to the backend.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatGptCredentials {
    pub access_token: String,
    /// Sent as `ChatGPT-Account-Id` when known.
    pub account_id: Option<String>,
}

impl std::fmt::Debug for ChatGptCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatGptCredentials")
            .field("access_token", &"<redacted>")
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Why a backend request failed. The texts follow the reference's, as clients see them inside
/// error messages such as `failed to fetch codex rate limits: …`.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("could not build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
    #[error("{0}")]
    Request(#[source] reqwest::Error),
    #[error("{method} {url} failed: {status}; content-type={content_type}; body={body}")]
    Status {
        method: &'static str,
        url: String,
        status: StatusCode,
        content_type: String,
        body: String,
    },
    #[error("Decode error for {url}: {source}; content-type={content_type}; body={body}")]
    Decode {
        url: String,
        #[source]
        source: serde_json::Error,
        content_type: String,
        body: String,
    },
}

impl BackendError {
    /// The HTTP status the backend answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Build(_) | Self::Request(_) | Self::Decode { .. } => None,
        }
    }
}

/// The base URL as the reference uses it: without trailing slashes, and with `/backend-api`
/// added to a bare ChatGPT host.
pub fn normalize_base_url(base_url: &str) -> String {
    let mut base = base_url.trim_end_matches('/').to_owned();
    let chatgpt_host =
        base.starts_with("https://chatgpt.com") || base.starts_with("https://chat.openai.com");
    if chatgpt_host && !base.contains("/backend-api") {
        base.push_str("/backend-api");
    }
    base
}

/// A client of the ChatGPT backend for one account.
#[derive(Debug, Clone)]
pub struct BackendClient {
    base_url: String,
    http: reqwest::Client,
    credentials: ChatGptCredentials,
    user_agent: String,
}

impl BackendClient {
    /// `base_url` is the config's `chatgpt_base_url` (`None`: the default).
    pub fn new(
        base_url: Option<&str>,
        credentials: ChatGptCredentials,
        user_agent: &str,
    ) -> Result<Self, BackendError> {
        codex_utils_rustls_provider::ensure_rustls_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(BackendError::Build)?;
        Ok(Self {
            base_url: normalize_base_url(base_url.unwrap_or(DEFAULT_CHATGPT_BASE_URL)),
            http,
            credentials,
            user_agent: user_agent.to_owned(),
        })
    }

    /// Backend-api bases serve the `/wham/…` paths; any other base (a Codex API server) the
    /// `/api/codex/…` ones.
    fn path(&self, wham: &str, codex_api: &str) -> String {
        if self.base_url.contains("/backend-api") {
            format!("{}{wham}", self.base_url)
        } else {
            format!("{}{codex_api}", self.base_url)
        }
    }

    /// Where the account's usage is read.
    pub fn usage_url(&self) -> String {
        self.path("/wham/usage", "/api/codex/usage")
    }

    /// Where the workspace's managed requirements are read.
    pub fn requirements_url(&self) -> String {
        self.path(
            "/wham/config/requirements",
            "/api/codex/config/requirements",
        )
    }

    /// The account's rate limits: the `codex` family first, then every additional one.
    pub async fn rate_limits(&self) -> Result<Vec<RateLimitSnapshot>, BackendError> {
        let payload: UsagePayload = self.get_json(self.usage_url()).await?;
        Ok(snapshots_from_usage(payload))
    }

    /// The workspace's `requirements.toml` text, `None` when the backend has none.
    pub async fn config_requirements(&self) -> Result<Option<String>, BackendError> {
        #[derive(serde::Deserialize)]
        struct ConfigFile {
            #[serde(default)]
            contents: Option<String>,
        }
        let file: ConfigFile = self.get_json(self.requirements_url()).await?;
        Ok(file.contents)
    }

    async fn get_json<T: DeserializeOwned>(&self, url: String) -> Result<T, BackendError> {
        let mut request = self
            .http
            .get(&url)
            .header(reqwest::header::USER_AGENT, &self.user_agent)
            .bearer_auth(&self.credentials.access_token);
        if let Some(account_id) = &self.credentials.account_id {
            request = request.header("ChatGPT-Account-Id", account_id);
        }
        let response = request.send().await.map_err(BackendError::Request)?;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(BackendError::Status {
                method: "GET",
                url,
                status,
                content_type,
                body,
            });
        }
        serde_json::from_str(&body).map_err(|source| BackendError::Decode {
            url,
            source,
            content_type,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn client(base: Option<&str>) -> BackendClient {
        let credentials = ChatGptCredentials {
            access_token: "t".to_owned(),
            account_id: None,
        };
        BackendClient::new(base, credentials, "ua").unwrap()
    }

    #[test]
    fn bases_choose_the_wham_or_codex_api_paths() {
        let cases = [
            (None, "https://chatgpt.com/backend-api/wham/usage"),
            (
                Some("https://chatgpt.com"),
                "https://chatgpt.com/backend-api/wham/usage",
            ),
            (
                Some("https://chat.openai.com/"),
                "https://chat.openai.com/backend-api/wham/usage",
            ),
            (
                Some("http://127.0.0.1:9/backend-api/"),
                "http://127.0.0.1:9/backend-api/wham/usage",
            ),
            (
                Some("http://127.0.0.1:9/"),
                "http://127.0.0.1:9/api/codex/usage",
            ),
        ];
        for (base, expected) in cases {
            assert_eq!(client(base).usage_url(), expected, "base {base:?}");
        }
        assert_eq!(
            client(Some("http://127.0.0.1:9")).requirements_url(),
            "http://127.0.0.1:9/api/codex/config/requirements"
        );
        assert_eq!(
            client(None).requirements_url(),
            "https://chatgpt.com/backend-api/wham/config/requirements"
        );
    }

    #[test]
    fn credentials_never_print_the_token() {
        let credentials = ChatGptCredentials {
            access_token: "secret".to_owned(),
            account_id: Some("acct".to_owned()),
        };
        assert!(!format!("{credentials:?}").contains("secret"));
    }
}
