//! A mock of the ChatGPT backend a ChatGPT account's client talks to: usage (rate limits), the
//! model catalogue and the workspace's managed requirements, on a loopback port.
//!
//! Point `chatgpt_base_url` at [`MockChatGptBackend::backend_api_url`] (the `/wham/…` paths)
//! or [`MockChatGptBackend::url`] (the `/api/codex/…` paths), and `OPENAI_BASE_URL` at
//! [`MockChatGptBackend::models_base_url`] for the catalogue. Each endpoint answers with what
//! was last set for it ([`Canned`]); every request is recorded with its headers.

use std::collections::HashMap;
use std::future::IntoFuture as _;
use std::io;
use std::net::Ipv4Addr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::State;
use axum::http::HeaderName;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::Response;
use codex_utils_lock::lock;
use serde_json::Value;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The endpoints the mock serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET …/wham/usage` and `GET …/api/codex/usage`.
    Usage,
    /// `GET …/models` (the catalogue, `?client_version=…`).
    Models,
    /// `GET …/wham/config/requirements` and `GET …/api/codex/config/requirements`.
    Requirements,
}

/// What an endpoint answers: a status, a JSON body and extra headers; or no answer at all.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
    /// Never answer: the request hangs until the client gives up.
    pub hang: bool,
}

impl Canned {
    /// `200` with `body`.
    pub fn json(body: Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
            hang: false,
        }
    }

    /// `status` with a small error body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            body: json!({"detail": "mock chatgpt backend error"}),
            headers: Vec::new(),
            hang: false,
        }
    }

    /// A request that is never answered.
    pub fn hang() -> Self {
        Self {
            hang: true,
            ..Self::status(504)
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// A request the mock received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The endpoint that answered, `None` for a `404`.
    pub endpoint: Option<Endpoint>,
}

impl BackendRequest {
    /// The first value of header `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

struct Shared {
    canned: Mutex<HashMap<Endpoint, Canned>>,
    requests: Mutex<Vec<BackendRequest>>,
    recorded: watch::Sender<usize>,
    shutdown: CancellationToken,
}

/// The mock backend. It runs on a thread and runtime of its own; dropping it stops it.
pub struct MockChatGptBackend {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Handle,
}

impl MockChatGptBackend {
    /// Starts it on a free loopback port. Until set, usage answers a `pro` plan without
    /// limits, the catalogue is empty and there are no requirements.
    pub async fn start() -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let canned = HashMap::from([
            (Endpoint::Usage, Canned::json(json!({"plan_type": "pro"}))),
            (Endpoint::Models, Canned::json(json!({"models": []}))),
            (Endpoint::Requirements, Canned::json(json!({}))),
        ]);
        let shared = Arc::new(Shared {
            canned: Mutex::new(canned),
            requests: Mutex::default(),
            recorded: watch::Sender::new(0),
            shutdown: CancellationToken::new(),
        });
        let (started, ready) = oneshot::channel();
        let serving = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("mock-chatgpt-backend-{}", addr.port()))
            .spawn(move || serve(listener, serving, started))?;
        let runtime = ready
            .await
            .map_err(|_| io::Error::other("the mock chatgpt backend thread ended early"))??;
        Ok(Self {
            addr,
            shared,
            runtime,
        })
    }

    /// `http://127.0.0.1:PORT`: a base that is not `/backend-api`, so `/api/codex/…` paths.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/backend-api/`: the `/wham/…` paths, like the default base.
    pub fn backend_api_url(&self) -> String {
        format!("{}/backend-api/", self.url())
    }

    /// `http://127.0.0.1:PORT/backend-api/codex`: where the catalogue is asked for.
    pub fn models_base_url(&self) -> String {
        format!("{}/backend-api/codex", self.url())
    }

    /// Sets what `endpoint` answers from now on.
    pub fn set(&self, endpoint: Endpoint, canned: Canned) {
        lock(&self.shared.canned).insert(endpoint, canned);
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<BackendRequest> {
        lock(&self.shared.requests).clone()
    }

    /// The requests `endpoint` answered.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<BackendRequest> {
        self.requests()
            .into_iter()
            .filter(|request| request.endpoint == Some(endpoint))
            .collect()
    }

    /// Waits until `endpoint` has received `count` requests, and returns them.
    pub async fn wait_for(
        &self,
        endpoint: Endpoint,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<BackendRequest>, String> {
        let mut recorded = self.shared.recorded.subscribe();
        let shared = Arc::clone(&self.shared);
        let enough = move || {
            lock(&shared.requests)
                .iter()
                .filter(|request| request.endpoint == Some(endpoint))
                .count()
                >= count
        };
        let waiting = self.runtime.spawn(async move {
            tokio::time::timeout(timeout, recorded.wait_for(|_| enough()))
                .await
                .is_ok_and(|seen| seen.is_ok())
        });
        if waiting.await.unwrap_or(false) {
            Ok(self.requests_to(endpoint))
        } else {
            Err(format!(
                "waited {timeout:?} for {count} requests to {endpoint:?}, received: {:#?}",
                self.requests()
            ))
        }
    }
}

impl Drop for MockChatGptBackend {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}

fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    started: oneshot::Sender<io::Result<Handle>>,
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
    let shutdown = shared.shutdown.clone();
    runtime.block_on(async move {
        let listener = match TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                let _ = started.send(Err(error));
                return;
            }
        };
        let _ = started.send(Ok(Handle::current()));
        let app = Router::new().fallback(handle).with_state(shared);
        let server = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown.clone().cancelled_owned())
            .into_future();
        tokio::select! {
            _ = server => {}
            () = async {
                shutdown.cancelled().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            } => {}
        }
    });
}

fn endpoint(method: &axum::http::Method, path: &str) -> Option<Endpoint> {
    if method != axum::http::Method::GET {
        return None;
    }
    if path.ends_with("/wham/usage") || path.ends_with("/api/codex/usage") {
        Some(Endpoint::Usage)
    } else if path.ends_with("/wham/config/requirements")
        || path.ends_with("/api/codex/config/requirements")
    {
        Some(Endpoint::Requirements)
    } else if path.ends_with("/models") {
        Some(Endpoint::Models)
    } else {
        None
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    let endpoint = endpoint(&parts.method, parts.uri.path());
    let recorded = BackendRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        endpoint,
    };
    let count = {
        let mut requests = lock(&shared.requests);
        requests.push(recorded);
        requests.len()
    };
    shared.recorded.send_replace(count);
    let canned = endpoint.and_then(|endpoint| lock(&shared.canned).get(&endpoint).cloned());
    let Some(canned) = canned else {
        return respond(
            404,
            &json!({"detail": "mock chatgpt backend: not found"}),
            &[],
        );
    };
    if canned.hang {
        shared.shutdown.cancelled().await;
    }
    respond(canned.status, &canned.body, &canned.headers)
}

fn respond(status: u16, body: &Value, headers: &[(String, String)]) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
