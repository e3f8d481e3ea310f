//! Drives one connection over any transport: a reader, a dispatcher and a writer, joined by
//! bounded queues.
//!
//! The reader decodes frames and never waits on the client's output: requests go into a bounded
//! ingress queue (overflow is answered with -32001 at once), answers to our own requests settle
//! their waiters, and malformed messages are answered. The dispatcher handles requests one at a
//! time, in order, so a client may pipeline `thread/start` and `turn/start`. The writer drains
//! the outbound queue into the transport and gives up on a client whose queue stays full.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::JSONRPCErrorError;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio_util::sync::CancellationToken;

use crate::codec;
use crate::codec::Incoming;
use crate::connection::ClientReply;
use crate::connection::Connection;
use crate::dispatch::PendingRequest;
use crate::dispatch::dispatch;
use crate::error;
use crate::outbound::Frame;
use crate::outbound::STALL_LIMIT;
use crate::outbound::SlowReader;
use crate::state::ServerState;

/// Requests a connection may have waiting for the dispatcher before new ones are refused.
pub(crate) const INGRESS_CAPACITY: usize = 128;

/// How long a closing connection may take to answer the requests it already accepted and write
/// what is queued.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// How often a writer blocked on its transport checks whether the client has stalled.
const STALL_CHECK: Duration = Duration::from_secs(1);

/// One frame from a transport.
#[derive(Debug)]
pub(crate) enum InboundFrame {
    Text(String),
    /// A frame that cannot be a message (not UTF-8, too long); answered with this error.
    Unreadable(JSONRPCErrorError),
}

/// Where a connection's frames come from. `None` means the client is gone.
pub(crate) trait FrameSource: Send {
    fn next_frame(&mut self) -> impl Future<Output = Option<InboundFrame>> + Send;
}

/// Where a connection's frames go.
pub(crate) trait FrameSink: Send + 'static {
    /// Writes the frames in order, as one message each, and flushes them.
    fn write_batch(&mut self, frames: &[Frame]) -> impl Future<Output = io::Result<()>> + Send;

    /// Ends the output side politely (a websocket close frame, say).
    fn finish(self) -> impl Future<Output = ()> + Send;
}

/// Serves one client until it goes away or the server shuts down, then finishes what it
/// accepted and returns.
pub(crate) async fn serve_connection(
    state: Arc<ServerState>,
    mut source: impl FrameSource,
    sink: impl FrameSink,
    slow_reader: SlowReader,
    shutdown: CancellationToken,
) {
    let connection = state.registry.open(slow_reader);
    tracing::debug!(connection = connection.id.0, "connection opened");

    let (ingress, requests) = mpsc::channel(INGRESS_CAPACITY);
    let dispatcher = tokio::spawn(run_dispatcher(
        Arc::clone(&state),
        Arc::clone(&connection),
        requests,
    ));
    let writer = tokio::spawn(run_writer(Arc::clone(&connection), sink));

    loop {
        // A client that waits to be read is itself not read past the hard limit: answers to
        // its input could otherwise grow without bound.
        let next = async {
            connection.outbound.wait_below_hard_limit().await;
            source.next_frame().await
        };
        let frame = tokio::select! {
            frame = next => frame,
            () = shutdown.cancelled() => break,
            () = connection.closed() => break,
        };
        let Some(frame) = frame else { break };
        if !on_frame(&state, &connection, &ingress, frame) {
            break;
        }
    }

    // The client can no longer answer anything we ask it; requests about threads wait for
    // another client to resume them.
    connection.cancel_server_requests();
    state.requests.orphan(&state.registry, connection.id);
    drop(ingress);
    // One deadline for handling and writing together, so a client that stopped reading holds
    // up the end of its connection (and of the server) for the drain limit, not twice that.
    let deadline = tokio::time::Instant::now() + DRAIN_LIMIT;
    let dispatcher_abort = dispatcher.abort_handle();
    if tokio::time::timeout_at(deadline, dispatcher).await.is_err() {
        tracing::warn!(
            connection = connection.id.0,
            "requests still running at close were abandoned"
        );
        dispatcher_abort.abort();
    }
    connection.outbound.close();
    let writer_abort = writer.abort_handle();
    if tokio::time::timeout_at(deadline, writer).await.is_err() {
        writer_abort.abort();
    }
    state.registry.remove(connection.id);
    tracing::debug!(connection = connection.id.0, "connection closed");
}

/// Acts on one frame. Returns `false` when the connection should stop reading.
fn on_frame(
    state: &ServerState,
    connection: &Arc<Connection>,
    ingress: &mpsc::Sender<PendingRequest>,
    frame: InboundFrame,
) -> bool {
    let text = match frame {
        InboundFrame::Text(text) => text,
        InboundFrame::Unreadable(error) => {
            return answer_now(connection, None, &error);
        }
    };
    match codec::decode(&text) {
        Ok(Incoming::Request { id, method, params }) => {
            match ingress.try_send(PendingRequest { id, method, params }) {
                Ok(()) => true,
                Err(TrySendError::Full(request)) => {
                    answer_now(connection, Some(&request.id), &error::overloaded())
                }
                Err(TrySendError::Closed(_)) => false,
            }
        }
        Ok(Incoming::Notification { method, .. }) => {
            match method.as_str() {
                "initialized" => tracing::debug!(connection = connection.id.0, "handshake done"),
                other => tracing::debug!(method = other, "ignoring an unknown notification"),
            }
            true
        }
        Ok(Incoming::Response { id, result }) => {
            let reply = ClientReply::Result(result);
            if !connection.settle(&id, reply.clone())
                && !state.requests.settle(connection.id, &id, reply)
            {
                // Debug, not warn: a client must not be able to fill our stderr at will.
                tracing::debug!(%id, "ignoring a response to no pending request");
            }
            true
        }
        Ok(Incoming::Error { id, error }) => {
            let reply = ClientReply::Error(error);
            if !connection.settle(&id, reply.clone())
                && !state.requests.settle(connection.id, &id, reply)
            {
                tracing::debug!(%id, "ignoring an error response to no pending request");
            }
            true
        }
        Err(rejected) => answer_now(connection, rejected.id.as_ref(), &rejected.error),
    }
}

/// Answers from the reader without waiting for room: the reader must keep reading.
fn answer_now(
    connection: &Connection,
    id: Option<&codex_app_server_protocol::RequestId>,
    error: &JSONRPCErrorError,
) -> bool {
    connection
        .outbound
        .push(codec::error_response(id, error))
        .is_ok()
}

async fn run_dispatcher(
    state: Arc<ServerState>,
    connection: Arc<Connection>,
    mut requests: mpsc::Receiver<PendingRequest>,
) {
    while let Some(request) = requests.recv().await {
        dispatch(&state, &connection, request).await;
    }
}

async fn run_writer(connection: Arc<Connection>, mut sink: impl FrameSink) {
    let mut batch = Vec::new();
    while connection.outbound.next_batch(&mut batch).await {
        let written = write_watching_for_stall(&connection, &mut sink, &batch).await;
        batch.clear();
        if let Err(err) = written {
            tracing::debug!(connection = connection.id.0, "write failed: {err}");
            connection.outbound.abandon();
            connection.close();
            return;
        }
    }
    sink.finish().await;
}

/// Writes a batch, giving up if the outbound queue stays full past the stall limit meanwhile,
/// unless the connection waits for its client however long it takes.
async fn write_watching_for_stall(
    connection: &Connection,
    sink: &mut impl FrameSink,
    batch: &[Frame],
) -> io::Result<()> {
    let write = sink.write_batch(batch);
    if connection.outbound.slow_reader() == SlowReader::Wait {
        return write.await;
    }
    tokio::pin!(write);
    loop {
        tokio::select! {
            written = &mut write => return written,
            () = tokio::time::sleep(STALL_CHECK) => {
                if connection.outbound.stalled_for(STALL_LIMIT) {
                    tracing::warn!(
                        connection = connection.id.0,
                        "closing a connection whose client stopped reading"
                    );
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "client stalled"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The connection pipeline over an in-memory transport: no processes, no sockets.

    use pretty_assertions::assert_eq;
    use serde_json::Value;
    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;
    use codex_protocol::ThreadId;

    use crate::handlers::tests::PANIC;

    struct ChannelSource(mpsc::UnboundedReceiver<String>);

    impl FrameSource for ChannelSource {
        async fn next_frame(&mut self) -> Option<InboundFrame> {
            self.0.recv().await.map(InboundFrame::Text)
        }
    }

    /// A sink that collects frames, or while `paused` is set does not finish a write: a client
    /// that has stopped reading.
    #[derive(Clone)]
    struct ChannelSink {
        out: mpsc::UnboundedSender<Value>,
        paused: tokio::sync::watch::Receiver<bool>,
    }

    impl FrameSink for ChannelSink {
        async fn write_batch(&mut self, frames: &[Frame]) -> io::Result<()> {
            let _ = self.paused.wait_for(|paused| !paused).await;
            for frame in frames {
                let _ = self.out.send(serde_json::from_str(frame).unwrap());
            }
            Ok(())
        }

        async fn finish(self) {}
    }

    struct Client {
        input: mpsc::UnboundedSender<String>,
        output: mpsc::UnboundedReceiver<Value>,
        served: tokio::task::JoinHandle<()>,
        /// Set to stop the client reading, cleared to let it read again.
        paused: tokio::sync::watch::Sender<bool>,
        state: Arc<ServerState>,
        /// The server's config folders and `$CODEX_HOME` (`home`).
        root: tempfile::TempDir,
    }

    impl Client {
        fn start(paused: bool) -> Self {
            Self::start_in(tempfile::tempdir().unwrap(), paused, SlowReader::Disconnect)
        }

        fn start_in(root: tempfile::TempDir, paused: bool, slow_reader: SlowReader) -> Self {
            let state = Arc::new(ServerState::new(root.path()));
            let (input, source) = mpsc::unbounded_channel();
            let (out, output) = mpsc::unbounded_channel();
            let (paused, paused_rx) = tokio::sync::watch::channel(paused);
            let sink = ChannelSink {
                out,
                paused: paused_rx,
            };
            let served = tokio::spawn(serve_connection(
                Arc::clone(&state),
                ChannelSource(source),
                sink,
                slow_reader,
                CancellationToken::new(),
            ));
            Self {
                input,
                output,
                served,
                paused,
                state,
                root,
            }
        }

        fn send(&self, message: Value) {
            self.input.send(message.to_string()).unwrap();
        }

        fn send_text(&self, text: &str) {
            self.input.send(text.to_string()).unwrap();
        }

        async fn recv(&mut self) -> Value {
            self.output.recv().await.expect("the connection closed")
        }

        async fn initialize(&mut self, experimental: bool) {
            self.send(json!({"id": 0, "method": "initialize", "params": {
                "clientInfo": {"name": "t", "version": "1"},
                "capabilities": {"experimentalApi": experimental},
            }}));
            let answer = self.recv().await;
            assert_eq!(answer["id"], 0, "{answer}");
            assert!(answer["result"]["userAgent"].is_string(), "{answer}");
            self.send(json!({"method": "initialized"}));
        }
    }

    #[tokio::test]
    async fn answers_each_request_once_in_order() {
        let mut client = Client::start(false);
        client.send(json!({"id": 1, "method": "thread/list"}));
        assert_eq!(
            client.recv().await,
            json!({"id": 1, "error": {"code": -32600, "message": "Not initialized"}})
        );
        client.initialize(true).await;
        client.send_text("{oops");
        client
            .send(json!({"id": 2, "method": "mock/experimentalMethod", "params": {"value": "x"}}));
        client.send(json!({"id": 3, "method": "no/such"}));
        client.send(json!({"id": 4, "method": "thread/list", "params": {"limit": "ten"}}));
        client.send(json!({"id": 5, "method": "model/list", "params": {"cursor": "x"}}));
        client.send(json!({"id": 6, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}}}));
        assert_eq!(
            client.recv().await,
            json!({"id": null, "error": {"code": -32700, "message": "Parse error: key must be a string at line 1 column 2"}})
        );
        assert_eq!(
            client.recv().await,
            json!({"id": 2, "result": {"echoed": "x"}})
        );
        assert_eq!(
            client.recv().await,
            json!({"id": 3, "error": {"code": -32601, "message": "Method not found: no/such"}})
        );
        assert_eq!(
            client.recv().await,
            json!({"id": 4, "error": {"code": -32602, "message": "Invalid params: invalid type: string \"ten\", expected u32"}})
        );
        assert_eq!(
            client.recv().await,
            json!({"id": 5, "error": {"code": -32600, "message": "invalid cursor: x"}})
        );
        assert_eq!(
            client.recv().await,
            json!({"id": 6, "error": {"code": -32600, "message": "Already initialized"}})
        );
    }

    #[tokio::test]
    async fn experimental_methods_need_the_capability() {
        let mut client = Client::start(false);
        client.initialize(false).await;
        client.send(json!({"id": 1, "method": "mock/experimentalMethod", "params": {}}));
        assert_eq!(
            client.recv().await,
            json!({"id": 1, "error": {"code": -32600, "message": "mock/experimentalMethod requires experimentalApi capability"}})
        );
    }

    #[tokio::test]
    async fn a_panicking_handler_is_answered_and_the_connection_lives_on() {
        let mut client = Client::start(false);
        client.initialize(true).await;
        client.send(
            json!({"id": 1, "method": "mock/experimentalMethod", "params": {"value": PANIC}}),
        );
        client.send(
            json!({"id": 2, "method": "mock/experimentalMethod", "params": {"value": "after"}}),
        );
        assert_eq!(
            client.recv().await,
            json!({"id": 1, "error": {"code": -32603, "message": "internal error: mock/experimentalMethod failed before answering"}})
        );
        assert_eq!(
            client.recv().await,
            json!({"id": 2, "result": {"echoed": "after"}})
        );
    }

    #[tokio::test]
    async fn the_end_of_input_finishes_accepted_requests_before_closing() {
        let mut client = Client::start(false);
        client.initialize(true).await;
        for id in 1..=50 {
            client.send(
                json!({"id": id, "method": "mock/experimentalMethod", "params": {"value": "v"}}),
            );
        }
        let Client {
            input,
            mut output,
            served,
            ..
        } = client;
        drop(input);
        for id in 1..=50 {
            assert_eq!(output.recv().await.unwrap()["id"], id);
        }
        served.await.unwrap();
        assert!(output.recv().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_stops_reading_is_refused_then_closed() {
        let mut client = Client::start(true);
        client.send(json!({"id": 0, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}, "capabilities": {"experimentalApi": true}}}));
        let total = 10 * INGRESS_CAPACITY;
        for id in 1..=total {
            client.send(json!({"id": id, "method": "mock/experimentalMethod", "params": {}}));
        }
        // Nothing is written while the sink is stuck; after the stall limit the connection
        // is closed and serving ends without waiting for anything else.
        tokio::time::sleep(STALL_LIMIT + STALL_CHECK * 2).await;
        client.served.await.unwrap();
        assert!(client.output.recv().await.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_waits_to_be_read_is_waited_for_however_long_it_takes() {
        let mut client = Client::start_in(tempfile::tempdir().unwrap(), true, SlowReader::Wait);
        client.send(json!({"id": 0, "method": "initialize", "params": {"clientInfo": {"name": "t", "version": "1"}, "capabilities": {"experimentalApi": true}}}));
        let total = 10 * INGRESS_CAPACITY;
        for id in 1..=total {
            client.send(
                json!({"id": id, "method": "mock/experimentalMethod", "params": {"value": "v"}}),
            );
        }
        // Far past the limit after which a WebSocket client is dropped: still served.
        tokio::time::sleep(STALL_LIMIT * 10).await;
        assert!(!client.served.is_finished(), "the connection was closed");
        client.paused.send(false).unwrap();
        let mut answered = std::collections::BTreeSet::new();
        for _ in 0..=total {
            let answer = client.recv().await;
            let id = answer["id"].as_u64().expect("an answer with an id");
            let overloaded = answer["error"]["code"] == error::OVERLOADED;
            assert!(
                id == 0 || answer["result"]["echoed"] == "v" || overloaded,
                "{answer}"
            );
            assert!(answered.insert(id), "{id} was answered twice");
        }
        assert_eq!(answered.len(), total + 1, "every request is answered once");
        // And the connection carries on.
        client.send(
            json!({"id": "after", "method": "mock/experimentalMethod", "params": {"value": "w"}}),
        );
        assert_eq!(
            client.recv().await,
            json!({"id": "after", "result": {"echoed": "w"}})
        );
    }

    /// Writes a stored thread of `home` as another program would: a rollout with its
    /// `session_meta` and one user message.
    fn store_thread(home: &std::path::Path, id: ThreadId) {
        let store = codex_rollout::RolloutStore::open(home).unwrap();
        let meta = codex_rollout::SessionMeta {
            id,
            forked_from_id: None,
            timestamp: "2025-01-02T03:04:05.000Z".into(),
            cwd: home.to_path_buf(),
            originator: "test".into(),
            cli_version: "0.101.0".into(),
            source: codex_protocol::protocol::SessionSource::Vscode,
            model_provider: Some("openai".into()),
            base_instructions: None,
            dynamic_tools: None,
            git: None,
            extra: serde_json::Map::new(),
        };
        let start = time::macros::datetime!(2025-01-02 03:04:05 UTC);
        let mut writer = store.create(meta, start).unwrap();
        writer
            .append(codex_rollout::RolloutItem::EventMsg(
                codex_protocol::protocol::EventMsg::UserMessage(
                    codex_protocol::protocol::UserMessageEvent {
                        message: "hello".into(),
                        images: None,
                        local_images: Vec::new(),
                        text_elements: Vec::new(),
                    },
                ),
            ))
            .unwrap();
        writer.sync().unwrap();
    }

    #[tokio::test]
    async fn stored_thread_methods_never_build_the_agent_runtime() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let id = ThreadId::new();
        store_thread(&home, id);
        // A model provider that cannot be built: the stored-thread methods must not care.
        std::fs::write(home.join("config.toml"), "model_provider = \"nowhere\"\n").unwrap();
        let mut client = Client::start_in(root, false, SlowReader::Disconnect);
        client.initialize(false).await;

        let requests = [
            json!({"method": "thread/list", "params": {"modelProviders": []}}),
            json!({"method": "thread/read", "params": {"threadId": id, "includeTurns": true}}),
            json!({"method": "thread/name/set", "params": {"threadId": id, "name": "named"}}),
            json!({"method": "getConversationSummary", "params": {"conversationId": id}}),
            json!({"method": "listConversations", "params": {}}),
            json!({"method": "thread/archive", "params": {"threadId": id}}),
            json!({"method": "thread/unarchive", "params": {"threadId": id}}),
            json!({"method": "thread/loaded/list", "params": {}}),
        ];
        for (request_id, mut request) in requests.into_iter().enumerate() {
            request["id"] = json!(request_id + 1);
            client.send(request.clone());
            let mut answer = client.recv().await;
            // `thread/name/set` announces the new name after its answer.
            while answer.get("id").is_none() {
                answer = client.recv().await;
            }
            assert_eq!(answer["id"], request["id"], "{answer}");
            assert!(answer.get("result").is_some(), "{request} -> {answer}");
        }
        assert!(
            client.state.threads.running().is_none(),
            "a stored-thread method built the thread manager"
        );
        let skills = codex_skills::system_skills_dir(&client.root.path().join("home"));
        assert!(
            !skills.exists(),
            "the agent runtime installed {}",
            skills.display()
        );
    }
}
