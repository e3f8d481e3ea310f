//! A mock of the ChatGPT account issuer's token endpoint, for tests of the browser sign-in.
//!
//! `POST /oauth/token` answers the two grants the sign-in uses: `authorization_code` with the
//! account's tokens and the token exchange (`urn:ietf:params:oauth:grant-type:token-exchange`)
//! with an API key. Every request is recorded with its form fields, so a test can check what
//! the login server sent. Point the server under test at [`MockIssuer::url`].
//!
//! ```
//! use codex_test_support::issuer::{IssuedTokens, MockIssuer};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let issuer = MockIssuer::start(IssuedTokens::new("id.jwt.x", "access.jwt.x", "refresh")).await?;
//! issuer.set_api_key(Some("sk-exchanged"));
//! // CODEX_APP_SERVER_LOGIN_ISSUER = issuer.url(); ... the browser calls back ...
//! assert!(issuer.requests().is_empty());
//! # Ok(())
//! # }
//! ```

use std::future::IntoFuture as _;
use std::io;
use std::net::Ipv4Addr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;

use axum::Router;
use axum::extract::Request;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use codex_utils_lock::lock;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::reply::json_response;

/// The grant type of the exchange of an id token for an API key.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The tokens the code exchange answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl IssuedTokens {
    pub fn new(id_token: &str, access_token: &str, refresh_token: &str) -> Self {
        Self {
            id_token: id_token.to_owned(),
            access_token: access_token.to_owned(),
            refresh_token: refresh_token.to_owned(),
        }
    }
}

/// A request the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerRequest {
    pub method: String,
    pub path: String,
    pub content_type: Option<String>,
    /// The raw body, as sent.
    pub body: String,
    /// The body decoded as a form, in order.
    pub form: Vec<(String, String)>,
}

impl IssuerRequest {
    /// The first form field called `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

struct Shared {
    tokens: Mutex<IssuedTokens>,
    /// `None` makes the key exchange fail with `401`.
    api_key: Mutex<Option<String>>,
    /// Answers the code exchange with this status (and no tokens) when set.
    code_exchange_failure: Mutex<Option<StatusCode>>,
    requests: Mutex<Vec<IssuerRequest>>,
    shutdown: CancellationToken,
}

/// The mock issuer, on its own thread and runtime; dropping it stops it.
pub struct MockIssuer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl MockIssuer {
    /// Starts on a free loopback port, answering the code exchange with `tokens` and the key
    /// exchange with a `401` until [`MockIssuer::set_api_key`].
    pub async fn start(tokens: IssuedTokens) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            tokens: Mutex::new(tokens),
            api_key: Mutex::new(None),
            code_exchange_failure: Mutex::new(None),
            requests: Mutex::default(),
            shutdown: CancellationToken::new(),
        });
        let (started, ready) = oneshot::channel();
        let serving = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("mock-issuer-{}", addr.port()))
            .spawn(move || serve(listener, serving, started))?;
        ready
            .await
            .map_err(|_| io::Error::other("the mock issuer thread ended early"))??;
        Ok(Self { addr, shared })
    }

    /// `http://127.0.0.1:PORT`, the issuer's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the key exchange answers: `Some(key)` as `{"access_token": key}`, `None` as `401`.
    pub fn set_api_key(&self, key: Option<&str>) {
        *lock(&self.shared.api_key) = key.map(str::to_owned);
    }

    /// Makes the code exchange fail with `status` (`None` answers with the tokens again).
    pub fn fail_code_exchange(&self, status: Option<u16>) {
        *lock(&self.shared.code_exchange_failure) =
            status.and_then(|status| StatusCode::from_u16(status).ok());
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<IssuerRequest> {
        lock(&self.shared.requests).clone()
    }
}

impl Drop for MockIssuer {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}

fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    started: oneshot::Sender<io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = started.send(Err(error));
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = started.send(Err(error));
                return;
            }
        };
        let _ = started.send(Ok(()));
        let shutdown = shared.shutdown.clone();
        let app = Router::new().fallback(handle).with_state(shared);
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.cancelled_owned())
            .into_future()
            .await;
    });
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let captured = IssuerRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        form: url::form_urlencoded::parse(body.as_bytes())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect(),
        body,
    };
    let grant = captured.field("grant_type").map(str::to_owned);
    let is_token_endpoint = captured.method == "POST" && captured.path == "/oauth/token";
    lock(&shared.requests).push(captured);
    if !is_token_endpoint {
        return (StatusCode::NOT_FOUND, "mock issuer: nothing here").into_response();
    }
    match grant.as_deref() {
        Some("authorization_code") => {
            if let Some(status) = *lock(&shared.code_exchange_failure) {
                return (status, "mock issuer: code exchange refused").into_response();
            }
            let tokens = lock(&shared.tokens).clone();
            json_response(
                StatusCode::OK,
                &json!({
                    "id_token": tokens.id_token,
                    "access_token": tokens.access_token,
                    "refresh_token": tokens.refresh_token,
                }),
            )
        }
        Some(TOKEN_EXCHANGE_GRANT) => match lock(&shared.api_key).clone() {
            Some(key) => json_response(StatusCode::OK, &json!({ "access_token": key })),
            None => (StatusCode::UNAUTHORIZED, "mock issuer: no API key").into_response(),
        },
        _ => (StatusCode::BAD_REQUEST, "mock issuer: unknown grant_type").into_response(),
    }
}
