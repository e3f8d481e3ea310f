//! The mock server: an axum app on a loopback port that records every request and answers
//! model requests from a script.

use std::collections::VecDeque;
use std::fmt;
use std::future::IntoFuture as _;
use std::io;
use std::net::Ipv4Addr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::extract::State;
use axum::http::Method;
use axum::http::StatusCode;
use axum::response::Response;
use codex_utils_lock::lock;
use serde_json::Value;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::reply::Reply;
use crate::reply::error_object;
use crate::reply::json_response;

/// A mock of the model APIs on `127.0.0.1`, for tests that must not touch the network.
///
/// `POST …/responses` and `POST …/chat/completions` share one script: each takes the next
/// [`Reply`], in the order they were enqueued. `GET …/models` gets the models body, anything
/// else a `404`. Every request is recorded.
///
/// The server runs on a thread and runtime of its own, so it keeps serving, on the real clock,
/// while the test blocks its thread (reading a child process synchronously) or pauses tokio's
/// clock. Dropping it ends its streams and stops it.
pub struct MockModelServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The server's runtime, where [`MockModelServer::wait_for_requests`] keeps its time.
    runtime: Handle,
}

struct Shared {
    script: Mutex<Script>,
    requests: Mutex<Vec<CapturedRequest>>,
    /// The number of recorded requests, for waiters.
    recorded: watch::Sender<usize>,
    models: Mutex<Value>,
    active_streams: Arc<AtomicUsize>,
    shutdown: CancellationToken,
}

#[derive(Default)]
struct Script {
    replies: VecDeque<(usize, Reply)>,
    enqueued: usize,
}

/// A request the mock received.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedRequest {
    /// `POST`, `GET`, ...
    pub method: String,
    /// The path without the query, e.g. `/v1/responses`.
    pub path: String,
    /// The query string without `?`, if any.
    pub query: Option<String>,
    /// Header names (lower case) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The body parsed as JSON; `None` when empty or not JSON (a compressed body, for one).
    pub json: Option<Value>,
    /// How the mock answered it.
    pub served: Served,
}

/// How the mock answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    /// With the scripted reply of this index (0 for the first one enqueued).
    Reply(usize),
    /// With a `500`: it was a model request and the script was empty.
    ScriptEmpty,
    /// With the models body.
    Models,
    /// With a `404`: the mock knows nothing at this path.
    NotFound,
}

impl CapturedRequest {
    /// The first value of header `name`, compared without regard to case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// The body as text, with invalid UTF-8 replaced.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Display for CapturedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        if let Some(query) = &self.query {
            write!(f, "?{query}")?;
        }
        match self.served {
            Served::Reply(index) => write!(f, " (reply #{index})"),
            Served::ScriptEmpty => f.write_str(" (script empty: 500)"),
            Served::Models => f.write_str(" (models)"),
            Served::NotFound => f.write_str(" (404)"),
        }
    }
}

/// [`MockModelServer::wait_for_requests`] gave up.
#[derive(Debug, thiserror::Error)]
#[error("waited {waited:?} for {wanted} requests, received {}:{}", .received.len(), list(.received))]
pub struct WaitTimeout {
    /// How many requests were awaited.
    pub wanted: usize,
    /// How long.
    pub waited: Duration,
    /// The requests that did arrive.
    pub received: Vec<CapturedRequest>,
}

fn list(requests: &[CapturedRequest]) -> String {
    requests
        .iter()
        .map(|request| format!("\n  {request}"))
        .collect()
}

impl MockModelServer {
    /// Starts the server on a free loopback port.
    pub async fn start() -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script: Mutex::default(),
            requests: Mutex::default(),
            recorded: watch::Sender::new(0),
            models: Mutex::new(json!({ "data": [], "models": [] })),
            active_streams: Arc::default(),
            shutdown: CancellationToken::new(),
        });
        let (started, ready) = oneshot::channel();
        let serving = Arc::clone(&shared);
        std::thread::Builder::new()
            .name(format!("mock-model-server-{}", addr.port()))
            .spawn(move || serve(listener, serving, started))?;
        let runtime = ready
            .await
            .map_err(|_| io::Error::other("the mock model server thread ended early"))??;
        Ok(Self {
            addr,
            shared,
            runtime,
        })
    }

    /// The base URL a model provider should use, ending in `/v1`:
    /// `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// The server's root URL, `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Appends a reply to the script.
    pub fn enqueue(&self, reply: Reply) {
        let mut script = lock(&self.shared.script);
        let index = script.enqueued;
        script.enqueued += 1;
        script.replies.push_back((index, reply));
    }

    /// Appends several replies to the script, in order.
    pub fn enqueue_all(&self, replies: impl IntoIterator<Item = Reply>) {
        for reply in replies {
            self.enqueue(reply);
        }
    }

    /// How many scripted replies have not been served yet.
    pub fn pending_replies(&self) -> usize {
        lock(&self.shared.script).replies.len()
    }

    /// Sets the JSON body of `GET …/models` (by default `{"data": [], "models": []}`).
    pub fn set_models(&self, body: Value) {
        *lock(&self.shared.models) = body;
    }

    /// Every request received so far, in the order they arrived.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Waits until at least `count` requests have arrived, and returns them all.
    pub async fn wait_for_requests(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<CapturedRequest>, WaitTimeout> {
        let mut recorded = self.shared.recorded.subscribe();
        // Timed on the server's runtime: a test that pauses its own clock would otherwise see
        // the timeout fire at once, while it waits for a socket.
        let waiting = self.runtime.spawn(async move {
            tokio::time::timeout(timeout, recorded.wait_for(|seen| *seen >= count))
                .await
                .is_ok_and(|seen| seen.is_ok())
        });
        if waiting.await.unwrap_or(false) {
            Ok(self.requests())
        } else {
            Err(WaitTimeout {
                wanted: count,
                waited: timeout,
                received: self.requests(),
            })
        }
    }

    /// How many streamed replies are still open: being sent, or hanging. A client that drops its
    /// connection ends its stream, so this falls back to 0.
    pub fn active_streams(&self) -> usize {
        self.shared.active_streams.load(Ordering::SeqCst)
    }
}

impl Drop for MockModelServer {
    fn drop(&mut self) {
        // Ends hanging and slow streams, which lets the graceful shutdown finish.
        self.shared.shutdown.cancel();
    }
}

impl fmt::Debug for MockModelServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockModelServer")
            .field("addr", &self.addr)
            .field("pending_replies", &self.pending_replies())
            .field("requests", &lock(&self.shared.requests).len())
            .finish()
    }
}

/// How long streams get to wind down once the server is dropped, before its runtime goes.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The server thread: builds a runtime, reports it through `started`, serves until shut down.
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
        // Streams end when shut down, which lets the graceful shutdown finish; the grace period
        // covers a client that stops reading. Dropping the runtime then closes what is left.
        tokio::select! {
            _ = server => {}
            () = async {
                shutdown.cancelled().await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {}
        }
    });
}

enum Route {
    Model,
    Models,
    Unknown,
}

fn route(method: &Method, path: &str) -> Route {
    if *method == Method::POST
        && (path.ends_with("/responses") || path.ends_with("/chat/completions"))
    {
        Route::Model
    } else if *method == Method::GET && path.ends_with("/models") {
        Route::Models
    } else {
        Route::Unknown
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes.to_vec(),
        Err(error) => {
            let message = format!("mock model server: could not read the request body: {error}");
            return json_response(
                StatusCode::BAD_REQUEST,
                &error_object(&message, "mock_error", None),
            );
        }
    };
    let mut captured = CapturedRequest {
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
        json: serde_json::from_slice(&body).ok(),
        body,
        served: Served::NotFound,
    };

    match route(&parts.method, &captured.path) {
        Route::Model => serve_model_request(&shared, captured),
        Route::Models => {
            captured.served = Served::Models;
            record(&shared, captured);
            let models = lock(&shared.models).clone();
            json_response(StatusCode::OK, &models)
        }
        Route::Unknown => {
            let message = format!(
                "mock model server: nothing at {} {}",
                captured.method, captured.path
            );
            record(&shared, captured);
            let body = error_object(&message, "mock_not_found", None);
            json_response(StatusCode::NOT_FOUND, &body)
        }
    }
}

/// Answers with the next scripted reply, or with a `500` naming the problem when there is none.
fn serve_model_request(shared: &Shared, mut captured: CapturedRequest) -> Response {
    // The script lock is held while recording, so requests are listed in script order.
    let mut script = lock(&shared.script);
    let Some((index, reply)) = script.replies.pop_front() else {
        captured.served = Served::ScriptEmpty;
        let message = format!(
            "mock model server: no scripted reply left for {} {} (request #{}); \
             enqueue one with MockModelServer::enqueue",
            captured.method,
            captured.path,
            lock(&shared.requests).len(),
        );
        record(shared, captured);
        let body = error_object(&message, "mock_script_empty", Some("mock_script_empty"));
        return json_response(StatusCode::INTERNAL_SERVER_ERROR, &body);
    };
    captured.served = Served::Reply(index);
    record(shared, captured);
    drop(script);
    reply.into_response(shared.shutdown.clone(), &shared.active_streams)
}

fn record(shared: &Shared, request: CapturedRequest) {
    let count = {
        let mut requests = lock(&shared.requests);
        requests.push(request);
        requests.len()
    };
    shared.recorded.send_replace(count);
}
