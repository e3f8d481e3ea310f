//! A mock authorization server for the OAuth tests: metadata at chosen well-known paths,
//! registration, an authorization endpoint that redirects straight back with a code, and a token
//! endpoint with a settable answer. It records every request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::Method;
use axum::http::StatusCode;
use axum::http::Uri;
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::Response;
use codex_utils_lock::lock;
use serde_json::Value;
use serde_json::json;

/// A plain HTTP client, the test's browser or a caller of the discovery functions.
pub(crate) fn http_client() -> reqwest::Client {
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    reqwest::Client::new()
}

#[derive(Clone, Debug)]
pub(crate) struct RecordedRequest {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: String,
}

impl RecordedRequest {
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).cloned()
    }
}

struct MockState {
    base: String,
    metadata_paths: Vec<String>,
    requests: Mutex<Vec<RecordedRequest>>,
    token_answer: Mutex<(u16, Value)>,
    registration: AtomicBool,
}

pub(crate) struct MockAuthServer {
    addr: SocketAddr,
    state: Arc<MockState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockAuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockAuthServer {
    /// Serves metadata at `metadata_paths`: authorization server metadata at the
    /// `oauth-authorization-server` and `openid-configuration` paths, protected-resource
    /// metadata naming `<base>/issuer` at `oauth-protected-resource` paths. Everything else that
    /// is not an endpoint answers 404.
    pub(crate) async fn start(metadata_paths: &[&str]) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(MockState {
            base: format!("http://{addr}"),
            metadata_paths: metadata_paths.iter().map(|path| path.to_string()).collect(),
            requests: Mutex::new(Vec::new()),
            token_answer: Mutex::new((
                200,
                json!({
                    "access_token": "access-1",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": "refresh-1",
                    "scope": "read write",
                }),
            )),
            registration: AtomicBool::new(true),
        });
        let router = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { addr, state, task }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn set_token_response(&self, body: Value) {
        *lock(&self.state.token_answer) = (200, body);
    }

    pub(crate) fn set_token_status(&self, status: u16) {
        *lock(&self.state.token_answer) = (status, json!({"error": "invalid_grant"}));
    }

    /// Leaves `registration_endpoint` out of the metadata.
    pub(crate) fn disable_registration(&self) {
        self.state.registration.store(false, Ordering::SeqCst);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// `METHOD /path` of every request so far.
    pub(crate) fn request_paths(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .map(|request| format!("{} {}", request.method, request.path))
            .collect()
    }
}

async fn answer(
    State(state): State<Arc<MockState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = String::from_utf8_lossy(&body).into_owned();
    let path = uri.path().to_string();
    lock(&state.requests).push(RecordedRequest {
        method: method.to_string(),
        path: path.clone(),
        headers: headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    value.to_str().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        body: body.clone(),
    });
    let base = &state.base;
    if state.metadata_paths.contains(&path) {
        if path.contains("oauth-protected-resource") {
            let issuer = format!("{base}/issuer");
            let metadata = json!({"resource": base, "authorization_servers": [issuer]});
            return json_response(StatusCode::OK, &metadata);
        }
        let mut metadata = json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "registration_endpoint": format!("{base}/register"),
            "scopes_supported": ["read", "write"],
        });
        if !state.registration.load(Ordering::SeqCst)
            && let Some(fields) = metadata.as_object_mut()
        {
            fields.remove("registration_endpoint");
        }
        return json_response(StatusCode::OK, &metadata);
    }
    match (method.as_str(), path.as_str()) {
        ("POST", "/register") => {
            let request: Value = serde_json::from_str(&body).unwrap_or_default();
            let answer =
                json!({"client_id": "client-1", "redirect_uris": request["redirect_uris"]});
            json_response(StatusCode::CREATED, &answer)
        }
        ("GET", "/authorize") => {
            let query = uri.query().unwrap_or_default();
            let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let mut target = url::Url::parse(&params["redirect_uri"]).unwrap();
            target
                .query_pairs_mut()
                .append_pair("code", "code-1")
                .append_pair("state", &params["state"]);
            (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
        }
        ("POST", "/token") => {
            let (status, body) = lock(&state.token_answer).clone();
            let status = StatusCode::from_u16(status).unwrap();
            json_response(status, &body)
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let content_type = [(header::CONTENT_TYPE, "application/json")];
    (status, content_type, body.to_string()).into_response()
}
