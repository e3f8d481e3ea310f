//! OAuth for streamable HTTP MCP servers, as the reference does it: the credentials file
//! (`store`), the `authStatus` a server reports (`status`), the browser login with its loopback
//! callback (`login`), and the bearer token each request carries, refreshed before it expires
//! (`tokens`).
//!
//! The discovery, registration and token requests are written here rather than taken from
//! rmcp's `auth` module: rmcp 3.11 asks for protected-resource metadata first, adds `resource`
//! to every request and `application_type` to the registration, and refuses loopback metadata
//! hosts, none of which the reference (on an older rmcp) does.

mod bearer;
mod discovery;
mod login;
mod status;
mod store;
mod tokens;

#[cfg(test)]
mod test_support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use reqwest::header::HeaderMap;
use reqwest::header::HeaderName;
use reqwest::header::HeaderValue;

pub use bearer::StoredBearer;
pub use login::DEFAULT_LOGIN_TIMEOUT;
pub use login::LoginParams;
pub use login::PendingLogin;
pub use login::start_login;
pub use status::AuthTransport;
pub use status::auth_status;
pub use store::StoredOAuthTokens;
pub use store::delete_tokens;
pub use tokens::bearer_for;

/// Where MCP OAuth tokens are kept (config `mcp_oauth_credentials_store`). `auto` means the
/// file until the keyring exists; `keyring` answers [`OAuthError::KeyringUnsupported`].
pub use codex_config::OAuthCredentialsStoreMode;

/// What OAuth needs to know about a streamable HTTP server: its name and URL (which key its
/// tokens) and the headers its config adds to every request (discovery and token requests
/// carry them too, as in the reference).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OAuthServer {
    pub name: String,
    pub url: String,
    /// Config `http_headers`: header name to value.
    pub http_headers: BTreeMap<String, String>,
    /// Config `env_http_headers`: header name to the environment variable holding its value;
    /// unset or empty variables add nothing.
    pub env_http_headers: BTreeMap<String, String>,
}

impl OAuthServer {
    /// The configured headers that are valid and set; the rest are logged and skipped.
    fn default_headers(&self) -> HeaderMap {
        let from_env = self.env_http_headers.iter().filter_map(|(name, var)| {
            let value = std::env::var(var)
                .ok()
                .filter(|value| !value.trim().is_empty())?;
            Some((name, value))
        });
        let inline = self
            .http_headers
            .iter()
            .map(|(name, value)| (name, value.clone()));
        let mut headers = HeaderMap::new();
        for (name, value) in inline.chain(from_env) {
            match (
                HeaderName::try_from(name.as_str()),
                HeaderValue::try_from(value),
            ) {
                (Ok(name), Ok(value)) => {
                    headers.insert(name, value);
                }
                _ => tracing::warn!(
                    "skipping invalid header `{name}` for MCP server `{}`",
                    self.name
                ),
            }
        }
        headers
    }

    /// An HTTP client for this server's OAuth requests, carrying its configured headers.
    fn http_client(&self) -> Result<reqwest::Client, OAuthError> {
        codex_utils_rustls_provider::ensure_rustls_crypto_provider();
        reqwest::Client::builder()
            .default_headers(self.default_headers())
            .build()
            .map_err(OAuthError::HttpClient)
    }
}

/// What can go wrong with MCP OAuth. Where the reference shows a text to the user, the
/// `Display` here is that text (some of it capitalised, as rmcp wrote it).
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error(
        "the keyring store for MCP OAuth credentials is not supported yet; set mcp_oauth_credentials_store = \"file\""
    )]
    KeyringUnsupported,
    #[error("failed to read credentials file at {}", path.display())]
    ReadCredentials {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse credentials file at {}", path.display())]
    ParseCredentials {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("failed to write credentials file at {}", path.display())]
    WriteCredentials {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to build an HTTP client for MCP OAuth")]
    HttpClient(#[source] reqwest::Error),
    #[error("invalid MCP server URL `{url}`")]
    InvalidUrl {
        url: String,
        #[source]
        source: url::ParseError,
    },
    #[error("invalid MCP OAuth callback port `0`: port must be between 1 and 65535")]
    InvalidCallbackPort,
    #[error("failed to start the OAuth callback server on 127.0.0.1:{port}")]
    CallbackServer {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("the OAuth callback server stopped before the callback arrived")]
    CallbackServerStopped,
    #[error("No authorization support detected")]
    NoAuthorizationSupport,
    #[error("Registration failed: Dynamic registration failed: Registration failed: {0}")]
    Registration(String),
    #[error("invalid authorization endpoint `{0}`")]
    InvalidAuthorizationEndpoint(String),
    #[error("timed out waiting for OAuth callback")]
    CallbackTimeout,
    /// The callback arrived but the login could not be completed with it (state mismatch,
    /// token request refused); the reference says only this much.
    #[error("failed to handle OAuth callback")]
    HandleCallback(#[source] TokenRequestError),
    #[error("failed to refresh the OAuth token for MCP server `{server}`")]
    Refresh {
        server: String,
        #[source]
        source: TokenRequestError,
    },
}

/// Why a token could not be obtained from the authorization server.
#[derive(Debug, thiserror::Error)]
pub enum TokenRequestError {
    #[error("the callback's state does not match the login's")]
    StateMismatch,
    #[error("the authorization server's metadata could not be found")]
    NoMetadata,
    #[error("token request failed")]
    Http(#[source] reqwest::Error),
    #[error("token endpoint answered {status}: {body}")]
    Status {
        status: reqwest::StatusCode,
        body: String,
    },
    #[error("token response is not valid")]
    InvalidResponse(#[source] serde_json::Error),
}

/// How long a registration or token request may take: a stuck authorization server must not
/// hold a login request or a connection's start forever.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Milliseconds since the epoch on the wall clock, the unit of `expires_at`.
fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}
