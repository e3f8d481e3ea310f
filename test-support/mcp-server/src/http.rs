//! Streamable HTTP: the MCP handler at `/mcp`, behind a bearer-token gate when `--bearer` asks
//! for one, with the `Authorization` header of every request logged.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use axum::extract::Request;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::header::WWW_AUTHENTICATE;
use axum::middleware::Next;
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse as _;
use axum::response::Response;
use rmcp::transport::streamable_http_server::StreamableHttpServerConfig;
use rmcp::transport::streamable_http_server::StreamableHttpService;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::json;
use tokio::net::TcpListener;

use crate::event_log::EventLog;
use crate::handler::TestServer;

/// The path the MCP endpoint is served at.
pub const MCP_PATH: &str = "/mcp";

/// Who may reach the MCP endpoint.
pub struct Gate {
    /// The one token `--bearer` accepts, if it was given.
    pub bearer: Option<String>,
}

impl Gate {
    fn is_open(&self) -> bool {
        self.bearer.is_none()
    }

    fn accepts(&self, token: &str) -> bool {
        self.bearer.as_deref() == Some(token)
    }
}

/// Binds `addr`, says where on stdout, and serves until the process is killed.
pub async fn serve(
    addr: SocketAddr,
    server: TestServer,
    log: EventLog,
    gate: Gate,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("the listener has no address")?;

    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let router = Router::new()
        .route_service(MCP_PATH, mcp)
        .route_layer(from_fn_with_state(Arc::new(gate), require_token))
        .layer(from_fn_with_state(log, log_request));

    announce(&format!("http://{local}{MCP_PATH}"));
    axum::serve(listener, router)
        .await
        .context("the HTTP server stopped")
}

/// The one line on stdout that tells the test where the server listens.
#[allow(clippy::print_stdout)]
fn announce(url: &str) {
    // stdout is line-buffered, so the line is out as soon as this returns.
    println!("listening on {url}");
}

async fn log_request(State(log): State<EventLog>, request: Request, next: Next) -> Response {
    let authorization = request
        .headers()
        .get(AUTHORIZATION)
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    log.record(json!({
        "event": "http",
        "method": request.method().as_str(),
        "path": request.uri().path(),
        "authorization": authorization,
    }));
    next.run(request).await
}

async fn require_token(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    if gate.is_open() {
        return next.run(request).await;
    }
    match bearer_token(request.headers()) {
        Some(token) if gate.accepts(token) => next.run(request).await,
        Some(_) => unauthorized(r#"Bearer error="invalid_token""#),
        None => unauthorized("Bearer"),
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn unauthorized(challenge: &str) -> Response {
    let mut response =
        (StatusCode::UNAUTHORIZED, "missing or invalid bearer token").into_response();
    if let Ok(challenge) = HeaderValue::from_str(challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}
