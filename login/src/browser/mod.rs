//! ChatGPT sign-in through the browser: a one-shot HTTP server on the loopback interface that
//! the issuer redirects the browser to, with the authorization code.
//!
//! [`start_login_server`] binds the port and builds the authorize URL the user opens; the
//! server then answers the browser until the sign-in ends ([`LoginServer::wait`]):
//!
//! - `GET /auth/callback?code&state` checks the state, exchanges the code for tokens, checks a
//!   forced workspace, trades the id token for an API key (optional), stores the credentials
//!   through the [`PersistCredentials`] the caller gave, and redirects to `/success`;
//! - `GET /success` shows that it worked, and ends the sign-in;
//! - `GET /cancel` ends it as cancelled (a later login server asks this of an earlier one that
//!   holds the port);
//! - anything else is `404`.
//!
//! The caller ends it early with [`CancelHandle::cancel`] and keeps its own clock: the server
//! waits for ever otherwise.

mod bind;
mod exchange;
mod url;

use std::future::IntoFuture as _;
use std::io;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use codex_utils_lock::lock;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::AuthDotJson;
use crate::AuthMode;
use crate::TokenData;
use crate::pkce::PkceCodes;
use crate::pkce::generate_pkce;
use crate::pkce::generate_state;
use exchange::CodeExchange;
use exchange::exchange_code;
use exchange::obtain_api_key;

/// The issuer of ChatGPT accounts.
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
/// The OAuth client id of Codex, registered with the issuer.
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// The port the issuer redirects to (`http://localhost:1455/auth/callback`).
pub const DEFAULT_PORT: u16 = 1455;

/// How long the last answer (the success page, say) may take to reach the browser once the
/// sign-in has ended, before the server stops regardless.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Stores the credentials a sign-in obtained. It runs on the blocking pool, so it may write
/// files or talk to a keyring. Its error is shown to the browser after
/// `Unable to persist auth file: `, and the sign-in goes on waiting.
pub type PersistCredentials =
    Arc<dyn Fn(&AuthDotJson) -> Result<(), Box<dyn std::error::Error + Send + Sync>> + Send + Sync>;

/// How to run one sign-in.
#[derive(Clone)]
pub struct ServerOptions {
    /// Where the authorize page and the token endpoint are.
    pub issuer: String,
    pub client_id: String,
    /// `0` takes any free port.
    pub port: u16,
    /// Who is signing in (the client's name), passed on to the issuer.
    pub originator: String,
    /// When set, only this ChatGPT workspace may sign in (`forced_chatgpt_workspace_id`).
    pub forced_chatgpt_workspace_id: Option<String>,
    pub persist: PersistCredentials,
}

impl ServerOptions {
    /// The reference's issuer, client id and port.
    pub fn new(originator: impl Into<String>, persist: PersistCredentials) -> Self {
        Self {
            issuer: DEFAULT_ISSUER.to_owned(),
            client_id: CLIENT_ID.to_owned(),
            port: DEFAULT_PORT,
            originator: originator.into(),
            forced_chatgpt_workspace_id: None,
            persist,
        }
    }
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("port", &self.port)
            .field("originator", &self.originator)
            .field(
                "forced_chatgpt_workspace_id",
                &self.forced_chatgpt_workspace_id,
            )
            .finish_non_exhaustive()
    }
}

/// Why a sign-in ended without credentials. The texts are the reference's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Cancelled by its owner ([`CancelHandle::cancel`]).
    #[error("Login was not completed")]
    NotCompleted,
    /// Cancelled through `GET /cancel`.
    #[error("Login cancelled")]
    Cancelled,
    /// The account is not in the forced workspace; the message says which is allowed.
    #[error("{0}")]
    WorkspaceRestricted(String),
}

/// A running sign-in.
#[derive(Debug)]
pub struct LoginServer {
    /// The page the user opens to sign in.
    pub auth_url: String,
    /// The port the server listens on (the one asked for, unless that was `0`).
    pub port: u16,
    cancel: CancellationToken,
    task: Option<JoinHandle<Result<(), LoginError>>>,
}

/// Ends a sign-in from elsewhere; it then ends with [`LoginError::NotCompleted`] unless it had
/// already ended.
#[derive(Debug, Clone)]
pub struct CancelHandle(CancellationToken);

impl CancelHandle {
    pub fn cancel(&self) {
        self.0.cancel();
    }
}

impl LoginServer {
    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(self.cancel.clone())
    }

    /// Waits for the sign-in to end and returns how it ended; once it has, the port is free
    /// again. The outcome is returned once: later calls answer [`LoginError::NotCompleted`].
    /// Dropping the future leaves the sign-in running (cancel it, or wait again).
    pub async fn wait(&mut self) -> Result<(), LoginError> {
        let Some(task) = self.task.as_mut() else {
            return Err(LoginError::NotCompleted);
        };
        let ended = task.await;
        self.task = None;
        match ended {
            Ok(outcome) => outcome,
            Err(err) => {
                tracing::error!("the login server task failed: {err}");
                Err(LoginError::NotCompleted)
            }
        }
    }
}

impl Drop for LoginServer {
    /// A sign-in nobody waits for any more stops, freeing its port.
    fn drop(&mut self) {
        if self.task.is_some() {
            self.cancel.cancel();
        }
    }
}

/// Binds the port (asking an earlier server on it to stop, see [`bind`]) and starts serving.
/// The error is the reference's, e.g. `Port 127.0.0.1:1455 is already in use`.
pub async fn start_login_server(options: ServerOptions) -> io::Result<LoginServer> {
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    let http = reqwest::Client::builder()
        .build()
        .map_err(io::Error::other)?;
    let listener = bind::bind_login_port(options.port).await?;
    let port = listener.local_addr()?.port();
    let redirect_uri = format!("http://localhost:{port}/auth/callback");
    let pkce = generate_pkce();
    let state = generate_state();
    let auth_url = url::authorize_url(&url::AuthorizeRequest {
        issuer: &options.issuer,
        client_id: &options.client_id,
        redirect_uri: &redirect_uri,
        code_challenge: &pkce.code_challenge,
        state: &state,
        originator: &options.originator,
        allowed_workspace_id: options.forced_chatgpt_workspace_id.as_deref(),
    });

    let (outcome_sender, outcome) = oneshot::channel();
    let flow = Arc::new(Flow {
        options,
        http,
        port,
        redirect_uri,
        pkce,
        state,
        stored: AtomicBool::new(false),
        outcome: Mutex::new(Some(outcome_sender)),
    });
    let router = Router::new().fallback(answer).with_state(flow);
    let stop = CancellationToken::new();
    let mut serving = tokio::spawn(
        axum::serve(listener, router)
            .with_graceful_shutdown(stop.clone().cancelled_owned())
            .into_future(),
    );
    let cancel = CancellationToken::new();
    let cancelled = cancel.clone();
    let task = tokio::spawn(async move {
        let outcome = tokio::select! {
            () = cancelled.cancelled() => Err(LoginError::NotCompleted),
            outcome = outcome => outcome.unwrap_or(Err(LoginError::NotCompleted)),
        };
        stop.cancel();
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut serving).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(err))) => tracing::warn!("the login server failed: {err}"),
            Ok(Err(err)) => tracing::warn!("the login server task failed: {err}"),
            Err(_) => serving.abort(),
        }
        outcome
    });
    Ok(LoginServer {
        auth_url,
        port,
        cancel,
        task: Some(task),
    })
}

/// One sign-in's state, shared by the requests the server answers.
struct Flow {
    options: ServerOptions,
    http: reqwest::Client,
    port: u16,
    redirect_uri: String,
    pkce: PkceCodes,
    state: String,
    /// Whether the credentials are stored, which `/success` waits for.
    stored: AtomicBool,
    /// Taken by the request that ends the sign-in.
    outcome: Mutex<Option<oneshot::Sender<Result<(), LoginError>>>>,
}

impl Flow {
    fn end(&self, outcome: Result<(), LoginError>) {
        if let Some(sender) = lock(&self.outcome).take() {
            // The receiver is gone only when the sign-in already ended otherwise.
            let _ = sender.send(outcome);
        }
    }
}

const NOT_FOUND: (StatusCode, &str) = (StatusCode::NOT_FOUND, "Not Found");

async fn answer(State(flow): State<Arc<Flow>>, uri: Uri) -> Response {
    match uri.path() {
        "/auth/callback" => callback(&flow, uri.query().unwrap_or_default()).await,
        "/success" => {
            // Only a sign-in that stored credentials succeeds, whoever asks for this page.
            if !flow.stored.load(Ordering::SeqCst) {
                return NOT_FOUND.into_response();
            }
            flow.end(Ok(()));
            closing(
                StatusCode::OK,
                "text/html; charset=utf-8",
                SUCCESS_PAGE.to_owned(),
            )
        }
        "/cancel" => {
            flow.end(Err(LoginError::Cancelled));
            closing(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                LoginError::Cancelled.to_string(),
            )
        }
        _ => NOT_FOUND.into_response(),
    }
}

/// An answer after which the sign-in is over: the connection is closed with it.
fn closing(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn callback(flow: &Flow, query: &str) -> Response {
    let mut code = None;
    let mut state = None;
    for (name, value) in ::url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            _ => {}
        }
    }
    if state.as_deref() != Some(flow.state.as_str()) {
        return (StatusCode::BAD_REQUEST, "State mismatch").into_response();
    }
    let Some(code) = code.filter(|code| !code.is_empty()) else {
        return (StatusCode::BAD_REQUEST, "Missing authorization code").into_response();
    };

    let options = &flow.options;
    let exchange = CodeExchange {
        issuer: &options.issuer,
        client_id: &options.client_id,
        redirect_uri: &flow.redirect_uri,
        code_verifier: &flow.pkce.code_verifier,
    };
    let tokens = match exchange_code(&flow.http, &exchange, &code).await {
        Ok(tokens) => tokens,
        Err(err) => {
            tracing::warn!("token exchange failed: {err}");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Token exchange failed: {err}"),
            )
                .into_response();
        }
    };
    let account_id = url::auth_claims(&tokens.id_token)
        .get("chatgpt_account_id")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    if let Err(message) = check_workspace(
        options.forced_chatgpt_workspace_id.as_deref(),
        account_id.as_deref(),
    ) {
        // The code is spent: answering with the error leaves nobody a usable code.
        tracing::warn!("{message}");
        flow.end(Err(LoginError::WorkspaceRestricted(message.clone())));
        return closing(StatusCode::OK, "text/plain; charset=utf-8", message);
    }
    let api_key = match obtain_api_key(
        &flow.http,
        &options.issuer,
        &options.client_id,
        &tokens.id_token,
    )
    .await
    {
        Ok(key) => Some(key),
        Err(err) => {
            tracing::info!("no API key for this account: {err}");
            None
        }
    };
    let stored = AuthDotJson {
        auth_mode: Some(AuthMode::ChatGpt),
        openai_api_key: api_key,
        tokens: Some(TokenData {
            id_token: tokens.id_token.clone(),
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            account_id,
        }),
        last_refresh: Some(timestamp_now()),
    };
    if let Err(err) = persist(flow, stored).await {
        tracing::warn!("could not store the credentials: {err}");
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Unable to persist auth file: {err}"),
        )
            .into_response();
    }
    flow.stored.store(true, Ordering::SeqCst);
    let location = url::success_url(
        flow.port,
        &options.issuer,
        &tokens.id_token,
        &tokens.access_token,
    );
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response(),
    }
}

/// The reference's check of a forced workspace against the id token's account.
fn check_workspace(expected: Option<&str>, account_id: Option<&str>) -> Result<(), String> {
    let Some(expected) = expected else {
        return Ok(());
    };
    match account_id {
        Some(actual) if actual == expected => Ok(()),
        Some(_) => Err(format!("Login is restricted to workspace id {expected}.")),
        None => Err(
            "Login is restricted to a specific workspace, but the token did not \
                     include an chatgpt_account_id claim."
                .to_owned(),
        ),
    }
}

/// Checks the id token (the reference refuses to store one it cannot read) and hands the
/// credentials to the caller's store on the blocking pool.
async fn persist(
    flow: &Flow,
    stored: AuthDotJson,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if let Some(tokens) = &stored.tokens {
        crate::parse_claims(&tokens.id_token)?;
    }
    let persist = Arc::clone(&flow.options.persist);
    tokio::task::spawn_blocking(move || persist(&stored))
        .await
        .map_err(|err| format!("persist task failed: {err}"))?
}

/// Now in RFC 3339, UTC, with the fraction of a second in 0, 3, 6 or 9 digits, as the
/// reference writes `last_refresh`.
fn timestamp_now() -> String {
    format_timestamp(time::OffsetDateTime::now_utc())
}

fn format_timestamp(now: time::OffsetDateTime) -> String {
    let nanos = now.nanosecond();
    let fraction = if nanos == 0 {
        String::new()
    } else if nanos.is_multiple_of(1_000_000) {
        format!(".{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!(".{:06}", nanos / 1_000)
    } else {
        format!(".{nanos:09}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// What the browser shows once the sign-in worked.
const SUCCESS_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n\
<meta charset=\"utf-8\">\n<title>Signed in to Codex</title>\n</head>\n<body>\n\
<h1>Signed in to Codex</h1>\n<p>You can close this tab and return to your editor.</p>\n\
</body>\n</html>\n";

#[cfg(test)]
mod tests;
