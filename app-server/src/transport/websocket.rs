//! WebSocket clients on one socket address, one JSON-RPC message per text frame, with health
//! endpoints beside them.
//!
//! Web pages reach the server only from the origins it was told to allow (`--ws-allow-origin`):
//! any request that carries another `Origin` header is refused with 403 before anything else. Off loopback, the handshake must also present the capability
//! token as `Authorization: Bearer <token>`.
//!
//! Messages travel in text frames only: a binary frame closes the connection with code 1003
//! (unsupported data), since its bytes were never meant as JSON-RPC. A connection that has not
//! sent its whole upgrade request within 10 s is closed (`head_deadline`).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;

use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use axum::extract::State;
use axum::extract::WebSocketUpgrade;
use axum::extract::ws::CloseFrame;
use axum::extract::ws::Message;
use axum::extract::ws::WebSocket;
use axum::extract::ws::close_code;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::serve::ListenerExt;
use futures::SinkExt;
use futures::StreamExt;
use futures::stream::SplitSink;
use futures::stream::SplitStream;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::head_deadline::HEAD_DEADLINE;
use super::head_deadline::HeadDeadline;
use crate::AllowedOrigins;
use crate::WebSocketAuth;
use crate::connection_loop::FrameSink;
use crate::connection_loop::FrameSource;
use crate::connection_loop::InboundFrame;
use crate::connection_loop::serve_connection;
use crate::outbound::Frame;
use crate::outbound::SlowReader;
use crate::state::ServerState;

/// The largest message a client may send in one frame.
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// The reason sent with close code 1003 after a binary frame.
const BINARY_REFUSED: &str = "binary frames are not supported; send JSON-RPC in text frames";

/// The close frame the sink says goodbye with, set by the source when it refuses the client.
type CloseReason = Arc<Mutex<Option<CloseFrame>>>;

#[derive(Clone)]
struct Listener {
    state: Arc<ServerState>,
    auth: Option<Arc<WebSocketAuth>>,
    allowed_origins: Arc<AllowedOrigins>,
    shutdown: CancellationToken,
    connections: TaskTracker,
    accepting: Arc<AtomicBool>,
}

pub(crate) async fn serve(
    state: Arc<ServerState>,
    address: SocketAddr,
    auth: Option<WebSocketAuth>,
    allowed_origins: AllowedOrigins,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    if !address.ip().is_loopback() && auth.is_none() {
        anyhow::bail!(
            "refusing to listen on {address} without authentication: a non-loopback address \
             needs `--ws-auth capability-token --ws-token-file PATH`"
        );
    }
    let socket = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("failed to listen on ws://{address}"))?;
    let bound = socket
        .local_addr()
        .context("failed to read the listening address")?;
    announce(bound, auth.is_some(), &allowed_origins);

    let listener = Listener {
        state,
        auth: auth.map(Arc::new),
        allowed_origins: Arc::new(allowed_origins),
        shutdown: shutdown.clone(),
        connections: TaskTracker::new(),
        accepting: Arc::new(AtomicBool::new(true)),
    };
    let app = Router::new()
        .route("/readyz", get(readyz))
        .route("/healthz", get(healthz))
        .fallback(upgrade)
        .layer(axum::middleware::from_fn_with_state(
            listener.clone(),
            refuse_other_origins,
        ))
        .with_state(listener.clone());

    let stopping = shutdown.clone();
    let accepting = Arc::clone(&listener.accepting);
    // Answers are small and often the last thing sent before the client waits; without
    // TCP_NODELAY, Nagle's algorithm would hold them until the client's delayed ACK (~40 ms).
    let socket = socket.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!("failed to set TCP_NODELAY: {err}");
        }
    });
    // A client that never finishes its upgrade request is dropped (slow-loris).
    let socket = HeadDeadline {
        inner: socket,
        deadline: HEAD_DEADLINE,
    };
    axum::serve(socket, app)
        .with_graceful_shutdown(async move {
            stopping.cancelled().await;
            accepting.store(false, Ordering::SeqCst);
        })
        .await
        .context("the WebSocket listener failed")?;

    // Each connection sees the same shutdown token, finishes what it accepted and says goodbye.
    listener.connections.close();
    listener.connections.wait().await;
    Ok(())
}

#[expect(
    clippy::print_stderr,
    reason = "the address is for the person or program that started the server, and clients \
              that bind port 0 read it from here"
)]
fn announce(address: SocketAddr, authenticated: bool, allowed_origins: &AllowedOrigins) {
    eprintln!("codex app-server (WebSockets)");
    eprintln!("  listening on: ws://{address}");
    if address.ip().is_loopback() {
        eprintln!("  note: binds localhost only (use SSH port-forwarding for remote access)");
    } else if authenticated {
        eprintln!("  note: clients must send `Authorization: Bearer <token>`");
    }
    if !allowed_origins.is_empty() {
        eprintln!(
            "  note: web pages may connect from: {}",
            allowed_origins.as_slice().join(", ")
        );
    }
}

/// Any request from a web page carries `Origin`; only those from an allowed origin may reach the
/// server.
async fn refuse_other_origins(
    State(listener): State<Listener>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN)
        && !listener.allowed_origins.allows(origin)
    {
        return (
            StatusCode::FORBIDDEN,
            "cross-origin requests are not allowed\n",
        )
            .into_response();
    }
    next.run(request).await
}

async fn readyz(State(listener): State<Listener>) -> Response {
    if listener.accepting.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response()
    }
}

async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

async fn upgrade(
    State(listener): State<Listener>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(auth) = &listener.auth
        && !auth.accepts(headers.get(header::AUTHORIZATION))
    {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "missing or wrong capability token\n",
        )
            .into_response();
    }
    let connections = listener.connections.clone();
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            connections.track_future(async move {
                let (sink, stream) = socket.split();
                let close = CloseReason::default();
                serve_connection(
                    listener.state,
                    WebSocketSource(stream, Arc::clone(&close)),
                    WebSocketSink(sink, close),
                    SlowReader::Disconnect,
                    listener.shutdown,
                )
                .await;
            })
        })
}

struct WebSocketSource(SplitStream<WebSocket>, CloseReason);

impl FrameSource for WebSocketSource {
    async fn next_frame(&mut self) -> Option<InboundFrame> {
        loop {
            match self.0.next().await? {
                Ok(Message::Text(text)) => return Some(InboundFrame::Text(text.to_string())),
                Ok(Message::Binary(bytes)) => {
                    tracing::debug!(
                        "closing a connection that sent a binary frame of {} bytes",
                        bytes.len()
                    );
                    *codex_utils_lock::lock(&self.1) = Some(CloseFrame {
                        code: close_code::UNSUPPORTED,
                        reason: BINARY_REFUSED.into(),
                    });
                    return None;
                }
                // Pings are answered by the websocket layer itself.
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(Message::Close(_)) => return None,
                Err(err) => {
                    tracing::debug!("websocket read failed: {err}");
                    return None;
                }
            }
        }
    }
}

struct WebSocketSink(SplitSink<WebSocket, Message>, CloseReason);

impl FrameSink for WebSocketSink {
    async fn write_batch(&mut self, frames: &[Frame]) -> io::Result<()> {
        for frame in frames {
            self.0
                .feed(Message::text(frame.to_string()))
                .await
                .map_err(io::Error::other)?;
        }
        self.0.flush().await.map_err(io::Error::other)
    }

    async fn finish(mut self) {
        let reason = codex_utils_lock::lock(&self.1).take();
        let _ = self.0.send(Message::Close(reason)).await;
        let _ = self.0.close().await;
    }
}
