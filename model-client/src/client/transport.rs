//! Sending one model request: headers, retries with backoff, and HTTP errors in the terms a
//! client is told.

use std::sync::OnceLock;
use std::time::Duration;

use codex_protocol::protocol::CodexErrorInfo;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::auth::RequestAuth;
use crate::auth::RequestCredentials;
use crate::model::ModelError;
use crate::provider::ModelProviderInfo;

/// What the reference tells the user when the provider answers 500.
const INTERNAL_SERVER_ERROR_MESSAGE: &str =
    "We're currently experiencing high demand, which may cause temporary errors.";

pub(crate) struct Transport {
    http: reqwest::Client,
    pub(crate) provider: ModelProviderInfo,
    credentials: RequestCredentials,
}

/// The HTTP client of every model request of the process, one for plaintext providers and one
/// for TLS. Building a client reads and parses the system's root certificates, milliseconds
/// that each new thread would otherwise spend; a client is a handle to a shared pool.
fn shared_http_client(plaintext: bool) -> Result<reqwest::Client, reqwest::Error> {
    static PLAINTEXT: OnceLock<reqwest::Client> = OnceLock::new();
    static TLS: OnceLock<reqwest::Client> = OnceLock::new();
    let shared = if plaintext { &PLAINTEXT } else { &TLS };
    if let Some(client) = shared.get() {
        return Ok(client.clone());
    }
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    let mut builder = reqwest::Client::builder();
    if plaintext {
        // A plaintext provider is a local server: a fresh connection per request costs next
        // to nothing there, while a kept one can stall each response by the kernel's delayed
        // ACK (~40 ms) when the server writes headers and body separately without
        // TCP_NODELAY, as simple HTTP servers do. Over TLS, reusing connections wins.
        builder = builder.pool_max_idle_per_host(0);
    }
    let client = builder.build()?;
    Ok(shared.get_or_init(|| client).clone())
}

/// How one attempt ended, when it did not succeed.
enum Failure {
    /// Worth another attempt, after `delay` if the server named one.
    Retry {
        error: ModelError,
        delay: Option<Duration>,
    },
    Fatal(ModelError),
    /// The provider refused the credentials (401): renewing them may help.
    Unauthorized(ModelError),
}

impl Transport {
    pub(crate) fn new(
        provider: ModelProviderInfo,
        credentials: RequestCredentials,
    ) -> Result<Self, reqwest::Error> {
        let http = shared_http_client(!provider.base_url.starts_with("https://"))?;
        Ok(Self {
            http,
            provider,
            credentials,
        })
    }

    /// POSTs `body` to `path` under the provider's base URL and returns the successful
    /// response, retrying 429s, 502–504s and connection failures up to `request_max_retries`
    /// times with exponential backoff, jitter and the server's `Retry-After`. A 401 with the
    /// account's credentials renews them, as the reference does, and sends again.
    pub(crate) async fn post(
        &self,
        path: &str,
        body: &Value,
        extra_headers: &[(&str, String)],
    ) -> Result<reqwest::Response, ModelError> {
        let url = self.provider.url(path);
        let max_retries = self.provider.request_max_retries;
        let mut attempt = 0;
        let mut recovery = self.credentials.unauthorized_recovery();
        loop {
            let auth = self.credentials.current().await;
            let failure = match self.send_once(&url, body, extra_headers, &auth).await {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            match failure {
                Failure::Fatal(error) => return Err(error),
                Failure::Unauthorized(error) => match recovery.as_mut() {
                    Some(recovery) if recovery.has_next() => {
                        if let Err(err) = recovery.next().await {
                            return Err(refresh_failed(err));
                        }
                    }
                    _ => return Err(error),
                },
                Failure::Retry { error, .. } if attempt >= max_retries => return Err(error),
                Failure::Retry { error, delay } => {
                    let delay =
                        delay.unwrap_or_else(|| backoff(self.provider.retry_base_delay, attempt));
                    tracing::debug!(
                        attempt,
                        ?delay,
                        error = %error.message,
                        "model request failed; retrying"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn send_once(
        &self,
        url: &str,
        body: &Value,
        extra_headers: &[(&str, String)],
        auth: &RequestAuth,
    ) -> Result<reqwest::Response, Failure> {
        let mut request = self.http.post(url).json(body);
        for (name, value) in &self.provider.http_headers {
            request = request.header(name, value);
        }
        for (name, var) in &self.provider.env_http_headers {
            if let Ok(value) = std::env::var(var)
                && !value.trim().is_empty()
            {
                request = request.header(name, value);
            }
        }
        for (name, value) in extra_headers {
            request = request.header(*name, value);
        }
        if let Some(token) = &auth.bearer_token {
            request = request.bearer_auth(token);
        }
        if let Some(account) = &auth.chatgpt_account_id {
            request = request.header("ChatGPT-Account-ID", account);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                return Err(Failure::Retry {
                    error: ModelError {
                        message: error_chain(&error),
                        info: CodexErrorInfo::HttpConnectionFailed {
                            http_status_code: None,
                        },
                        retryable: true,
                    },
                    delay: None,
                });
            }
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let failure = classify(status, &headers, &text, url);
        if status == StatusCode::UNAUTHORIZED {
            return Err(Failure::Unauthorized(match failure {
                Failure::Retry { error, .. }
                | Failure::Fatal(error)
                | Failure::Unauthorized(error) => error,
            }));
        }
        Err(failure)
    }
}

/// The turn's error when renewing refused credentials failed: the refresh token is spent
/// (`unauthorized`, sign in again) or the renewal itself failed.
fn refresh_failed(err: codex_login::RefreshError) -> ModelError {
    let info = match &err {
        codex_login::RefreshError::Permanent { .. } => CodexErrorInfo::Unauthorized,
        codex_login::RefreshError::Transient(_) => CodexErrorInfo::Other,
    };
    ModelError {
        message: err.to_string(),
        info,
        retryable: false,
    }
}

/// Turns an unsuccessful answer into a failure, as the reference reports it.
fn classify(status: StatusCode, headers: &HeaderMap, body: &str, url: &str) -> Failure {
    let json: Option<Value> = serde_json::from_str(body).ok();
    let error_field = |field: &str| {
        json.as_ref()
            .and_then(|json| json["error"][field].as_str())
            .map(str::to_owned)
    };
    let code = error_field("code").or_else(|| error_field("type"));
    let too_many = |status: StatusCode| ModelError {
        message: format!(
            "exceeded retry limit, last status: {status}{}",
            request_id(headers)
        ),
        info: CodexErrorInfo::ResponseTooManyFailedAttempts {
            http_status_code: Some(status.as_u16()),
        },
        retryable: false,
    };
    match status.as_u16() {
        429 => match code.as_deref() {
            Some("insufficient_quota") => Failure::Fatal(ModelError {
                message: "Quota exceeded. Check your plan and billing details.".to_owned(),
                info: CodexErrorInfo::UsageLimitExceeded,
                retryable: false,
            }),
            Some("usage_limit_reached") => Failure::Fatal(ModelError {
                message: "You've hit your usage limit.".to_owned(),
                info: CodexErrorInfo::UsageLimitExceeded,
                retryable: false,
            }),
            _ => Failure::Retry {
                error: too_many(status),
                delay: retry_after(headers).or_else(|| try_again_hint(body)),
            },
        },
        // The reference fails a turn on the first 500 without retrying it.
        500 => Failure::Fatal(ModelError {
            message: INTERNAL_SERVER_ERROR_MESSAGE.to_owned(),
            info: CodexErrorInfo::InternalServerError,
            retryable: false,
        }),
        502..=504 => Failure::Retry {
            error: too_many(status),
            delay: retry_after(headers),
        },
        _ => {
            let detail = error_field("message").unwrap_or_else(|| body.to_owned());
            Failure::Fatal(ModelError {
                message: format!(
                    "unexpected status {status}: {detail}, url: {url}{}",
                    request_id(headers)
                ),
                info: CodexErrorInfo::Other,
                retryable: false,
            })
        }
    }
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(|id| format!(", request id: {id}"))
        .unwrap_or_default()
}

/// `Retry-After` in whole seconds (the HTTP-date form is not used by model providers).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<f64>().ok().and_then(seconds)
}

/// The delay OpenAI names in a 429's message: "Please try again in 1.5s" or "in 20ms".
fn try_again_hint(body: &str) -> Option<Duration> {
    const MARKER: &str = "try again in ";
    let start = body.find(MARKER)? + MARKER.len();
    let rest = &body[start..];
    let number_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let number: f64 = rest[..number_end].parse().ok()?;
    let unit = &rest[number_end..];
    if unit.starts_with("ms") {
        seconds(number / 1000.0)
    } else if unit.starts_with('s') {
        seconds(number)
    } else {
        None
    }
}

fn seconds(value: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(value).ok()
}

/// `base · 2^attempt`, ±10 % so that clients failing together do not retry together.
fn backoff(base: Duration, attempt: u64) -> Duration {
    let exponent = u32::try_from(attempt.min(16)).unwrap_or(16);
    let jitter = rand::random_range(0.9..1.1);
    base.saturating_mul(2u32.saturating_pow(exponent))
        .mul_f64(jitter)
}

/// An error with its causes, since reqwest's own message leaves out why ("connection
/// refused").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_hints() {
        assert_eq!(
            try_again_hint("Rate limit reached. Please try again in 1.5s."),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            try_again_hint("Please try again in 20ms."),
            Some(Duration::from_millis(20))
        );
        assert_eq!(try_again_hint("Please try again later."), None);
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let base = Duration::from_millis(200);
        for attempt in 0..4 {
            let delay = backoff(base, attempt);
            let nominal = base * 2u32.pow(u32::try_from(attempt).unwrap());
            assert!(
                delay >= nominal.mul_f64(0.89) && delay <= nominal.mul_f64(1.11),
                "{delay:?}"
            );
        }
    }
}
