//! Streamable HTTP: the MCP handler at `/mcp`, behind a bearer-token gate when `--bearer` or
//! `--oauth` asks for one, with the `Authorization` header of every request logged, and with
//! `--oauth` the mock authorization server of `oauth.rs` on the same origin.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

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

use crate::chatgpt_apps::ChatgptApps;
use crate::chatgpt_apps::GATEWAY_PATH;
use crate::event_log::EventLog;
use crate::handler::TestServer;
use crate::oauth::OAuthServer;

/// The path the MCP endpoint is served at.
pub const MCP_PATH: &str = "/mcp";

/// What the command line asked of the HTTP side.
pub struct HttpOptions {
    /// The one static token `--bearer` accepts, if it was given.
    pub bearer: Option<String>,
    /// With `--oauth`, the lifetime of the access tokens the mock authorization server issues.
    pub oauth_token_ttl: Option<Duration>,
    /// With `--chatgpt-apps`, the apps backend to serve beside the MCP endpoint.
    pub chatgpt_apps: Option<ChatgptApps>,
}

/// Who may reach the MCP endpoint: anyone when neither `--bearer` nor `--oauth` was given,
/// else the holders of the static token or of a live token the mock issued.
struct Gate {
    bearer: Option<String>,
    oauth: Option<Arc<OAuthServer>>,
}

impl Gate {
    fn is_open(&self) -> bool {
        self.bearer.is_none() && self.oauth.is_none()
    }

    fn accepts(&self, token: &str) -> bool {
        self.bearer.as_deref() == Some(token)
            || self
                .oauth
                .as_ref()
                .is_some_and(|oauth| oauth.accepts(token))
    }

    /// The `WWW-Authenticate` value of a 401; with `--oauth` it points the client at the
    /// protected resource metadata, where OAuth discovery starts.
    fn challenge(&self, token_presented: bool) -> String {
        let mut parameters = Vec::new();
        if token_presented {
            parameters.push(r#"error="invalid_token""#.to_owned());
        }
        if let Some(oauth) = &self.oauth {
            parameters.push(format!(
                r#"resource_metadata="{}""#,
                oauth.resource_metadata_url()
            ));
        }
        if parameters.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", parameters.join(", "))
        }
    }
}

/// Binds `addr`, says where on stdout, and serves until the process is killed.
pub async fn serve(
    addr: SocketAddr,
    server: TestServer,
    log: EventLog,
    options: HttpOptions,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener
        .local_addr()
        .context("the listener has no address")?;
    let origin = format!("http://{local}");
    let oauth = options
        .oauth_token_ttl
        .map(|ttl| OAuthServer::new(origin.clone(), ttl, log.clone()));
    let gate = Gate {
        bearer: options.bearer,
        oauth: oauth.clone(),
    };

    let mcp = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let mut router = Router::new().route_service(MCP_PATH, mcp.clone());
    if options.chatgpt_apps.is_some() {
        router = router.route_service(GATEWAY_PATH, mcp);
    }
    let mut router = router.route_layer(from_fn_with_state(Arc::new(gate), require_token));
    if let Some(oauth) = &oauth {
        router = router.merge(oauth.routes());
    }
    if let Some(apps) = options.chatgpt_apps {
        router = router.merge(apps.routes());
    }
    let router = router.layer(from_fn_with_state(log, log_request));

    announce(&format!("{origin}{MCP_PATH}"));
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
    let account_id = request
        .headers()
        .get("chatgpt-account-id")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    log.record(json!({
        "event": "http",
        "method": request.method().as_str(),
        "path": request.uri().path(),
        "query": request.uri().query(),
        "authorization": authorization,
        "account_id": account_id,
    }));
    next.run(request).await
}

async fn require_token(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    if gate.is_open() {
        return next.run(request).await;
    }
    match bearer_token(request.headers()) {
        Some(token) if gate.accepts(token) => next.run(request).await,
        Some(_) => unauthorized(&gate.challenge(true)),
        None => unauthorized(&gate.challenge(false)),
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
