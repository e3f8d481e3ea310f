//! A mock of the OAuth token endpoint ChatGPT tokens are refreshed at, for tests of token
//! refresh: point `CODEX_REFRESH_TOKEN_URL_OVERRIDE` (or a manager's refresh URL) at
//! [`MockTokenEndpoint::url`], queue answers, and read back the requests it received.

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::post;
use codex_utils_lock::lock;
use serde_json::Value;
use serde_json::json;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// `POST /oauth/token` on `127.0.0.1`, answering from a queue: each request takes the next
/// `(status, body)`; with the queue empty it answers `500`. It runs on a thread of its own, so
/// it serves while the test blocks. Dropping it stops it.
pub struct MockTokenEndpoint {
    addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
}

struct Shared {
    answers: Mutex<VecDeque<(u16, Value)>>,
    /// The JSON bodies received, in order.
    requests: Mutex<Vec<Value>>,
    received: watch::Sender<usize>,
    shutdown: CancellationToken,
}

impl MockTokenEndpoint {
    pub async fn start() -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            answers: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
            received: watch::channel(0).0,
            shutdown: CancellationToken::new(),
        });
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let serving = Arc::clone(&shared);
        std::thread::Builder::new()
            .name("mock-token-endpoint".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready_tx.send(Err(err));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener =
                        match tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await {
                            Ok(listener) => listener,
                            Err(err) => {
                                let _ = ready_tx.send(Err(err));
                                return;
                            }
                        };
                    let addr = listener.local_addr();
                    let shutdown = serving.shutdown.clone();
                    let app = Router::new()
                        .route("/oauth/token", post(answer))
                        .with_state(serving);
                    let _ =
                        ready_tx.send(addr.map(|addr| (addr, tokio::runtime::Handle::current())));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(shutdown.cancelled_owned())
                        .await;
                });
            })?;
        let (addr, runtime) = ready_rx
            .await
            .map_err(|_| std::io::Error::other("the mock token endpoint did not start"))??;
        Ok(Self {
            addr,
            shared,
            runtime,
        })
    }

    /// The endpoint's full URL.
    pub fn url(&self) -> String {
        format!("http://{}/oauth/token", self.addr)
    }

    /// Queues an answer.
    pub fn enqueue(&self, status: u16, body: Value) {
        lock(&self.shared.answers).push_back((status, body));
    }

    /// Queues a successful refresh giving these tokens (each `None` left out).
    pub fn enqueue_tokens(
        &self,
        id_token: Option<&str>,
        access_token: Option<&str>,
        refresh_token: Option<&str>,
    ) {
        let mut body = serde_json::Map::new();
        for (name, value) in [
            ("id_token", id_token),
            ("access_token", access_token),
            ("refresh_token", refresh_token),
        ] {
            if let Some(value) = value {
                body.insert(name.to_owned(), json!(value));
            }
        }
        self.enqueue(200, Value::Object(body));
    }

    /// The JSON bodies received so far.
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.shared.requests).clone()
    }

    /// Waits until `count` requests arrived; returns them, or those there are after `timeout`.
    pub async fn wait_for_requests(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Value>, Vec<Value>> {
        let mut received = self.shared.received.subscribe();
        let waiting = self.runtime.spawn(async move {
            tokio::time::timeout(timeout, received.wait_for(|seen| *seen >= count))
                .await
                .is_ok_and(|seen| seen.is_ok())
        });
        if waiting.await.unwrap_or(false) {
            Ok(self.requests())
        } else {
            Err(self.requests())
        }
    }
}

impl Drop for MockTokenEndpoint {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}

async fn answer(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let count = {
        let mut requests = lock(&shared.requests);
        requests.push(json);
        requests.len()
    };
    shared.received.send_replace(count);
    let next = lock(&shared.answers).pop_front();
    match next {
        Some((status, body)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "the mock token endpoint has no answer queued",
        )
            .into_response(),
    }
}
