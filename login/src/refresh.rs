//! Renewing ChatGPT tokens with the refresh token, at the issuer's token endpoint.
//!
//! A 401 from the endpoint means the refresh token is spent and only a new login helps
//! ([`RefreshError::Permanent`], worded as the reference words it); anything else may pass.

use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

use crate::store::StoreError;

/// The OAuth client the CLI is registered as.
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// Where tokens are refreshed.
pub const REFRESH_TOKEN_URL: &str = "https://auth.openai.com/oauth/token";
/// Moves [`REFRESH_TOKEN_URL`], as the reference allows (tests point it at a mock).
pub const REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR: &str = "CODEX_REFRESH_TOKEN_URL_OVERRIDE";

const EXPIRED_MESSAGE: &str = "Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.";
const REUSED_MESSAGE: &str = "Your access token could not be refreshed because your refresh token was already used. Please log out and sign in again.";
const REVOKED_MESSAGE: &str = "Your access token could not be refreshed because your refresh token was revoked. Please log out and sign in again.";
const UNKNOWN_MESSAGE: &str =
    "Your access token could not be refreshed. Please log out and sign in again.";

/// Why the refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshFailure {
    Expired,
    Reused,
    Revoked,
    Other,
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The refresh token cannot be used again; the user must sign in anew.
    #[error("{message}")]
    Permanent {
        reason: RefreshFailure,
        message: String,
    },
    /// The request failed in a way another attempt may not.
    #[error("{0}")]
    Transient(String),
}

impl From<StoreError> for RefreshError {
    fn from(err: StoreError) -> Self {
        Self::Transient(err.to_string())
    }
}

#[derive(Serialize)]
struct RefreshRequest<'a> {
    client_id: &'static str,
    grant_type: &'static str,
    refresh_token: &'a str,
    scope: &'static str,
}

/// What the endpoint answers; each token it leaves out stays as it was.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize)]
pub struct RefreshedTokens {
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The endpoint: the override's value when set, else the issuer's.
pub fn refresh_token_url() -> String {
    std::env::var(REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR).unwrap_or_else(|_| REFRESH_TOKEN_URL.into())
}

/// POSTs the refresh request (JSON, as the reference sends it) to `url`.
pub(crate) async fn request_refresh(
    http: &reqwest::Client,
    url: &str,
    refresh_token: &str,
) -> Result<RefreshedTokens, RefreshError> {
    let body = RefreshRequest {
        client_id: CLIENT_ID,
        grant_type: "refresh_token",
        refresh_token,
        scope: "openid profile email",
    };
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|err| RefreshError::Transient(format!("failed to refresh token: {err}")))?;
    let status = response.status();
    if status.is_success() {
        return response
            .json::<RefreshedTokens>()
            .await
            .map_err(|err| RefreshError::Transient(format!("failed to refresh token: {err}")));
    }
    let body = response.text().await.unwrap_or_default();
    tracing::error!("token refresh failed: {status}: {body}");
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(classify_unauthorized(&body));
    }
    Err(RefreshError::Transient(format!(
        "Failed to refresh token: {status}: {}",
        error_message(&body)
    )))
}

/// Names a 401's reason from its body's `error.code`, `error` (a string) or `code`.
pub(crate) fn classify_unauthorized(body: &str) -> RefreshError {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let code = json.as_ref().and_then(|json| {
        match &json["error"] {
            Value::Object(error) => error.get("code").and_then(Value::as_str),
            Value::String(code) => Some(code.as_str()),
            _ => None,
        }
        .or_else(|| json["code"].as_str())
        .map(str::to_ascii_lowercase)
    });
    let (reason, message) = match code.as_deref() {
        Some("refresh_token_expired") => (RefreshFailure::Expired, EXPIRED_MESSAGE),
        Some("refresh_token_reused") => (RefreshFailure::Reused, REUSED_MESSAGE),
        Some("refresh_token_invalidated") => (RefreshFailure::Revoked, REVOKED_MESSAGE),
        _ => (RefreshFailure::Other, UNKNOWN_MESSAGE),
    };
    RefreshError::Permanent {
        reason,
        message: message.to_owned(),
    }
}

/// The `error.message` of an error body, else the body itself.
fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|json| json["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.to_owned())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn check(body: &str, expected: RefreshFailure, message: &str) {
        match classify_unauthorized(body) {
            RefreshError::Permanent {
                reason,
                message: got,
            } => {
                assert_eq!((reason, got.as_str()), (expected, message), "{body}");
            }
            RefreshError::Transient(text) => panic!("{body} was transient: {text}"),
        }
    }

    #[test]
    fn a_401_is_classified_by_its_code() {
        check(
            r#"{"error":{"code":"refresh_token_expired","message":"x"}}"#,
            RefreshFailure::Expired,
            EXPIRED_MESSAGE,
        );
        check(
            r#"{"error":"refresh_token_reused"}"#,
            RefreshFailure::Reused,
            REUSED_MESSAGE,
        );
        check(
            r#"{"code":"REFRESH_TOKEN_INVALIDATED"}"#,
            RefreshFailure::Revoked,
            REVOKED_MESSAGE,
        );
        check(
            r#"{"error":{"code":"something_else"}}"#,
            RefreshFailure::Other,
            UNKNOWN_MESSAGE,
        );
        check("not json", RefreshFailure::Other, UNKNOWN_MESSAGE);
        check("", RefreshFailure::Other, UNKNOWN_MESSAGE);
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(error_message(r#"{"error":{"message":"busy"}}"#), "busy");
        assert_eq!(error_message("plain"), "plain");
    }
}
