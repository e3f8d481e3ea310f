//! One client connection: what it negotiated at `initialize`, its outbound queue, and the
//! requests we sent it that are waiting for an answer.
//!
//! A connection is transport-agnostic; `connection_loop` drives it from a transport's frames.

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicI64;
use std::sync::atomic::Ordering;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequestPayload;
use codex_utils_lock::lock;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::codec;
use crate::outbound::Closed;
use crate::outbound::Frame;
use crate::outbound::OutboundQueue;
use crate::outbound::SlowReader;

/// Identifies a connection for the life of the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ConnectionId(pub u64);

/// What the client told us about itself at `initialize`.
#[derive(Debug)]
pub(crate) struct Handshake {
    pub user_agent: String,
    /// `clientInfo.name`: recorded as the originator of the threads this client starts.
    pub client_name: String,
    pub experimental_api: bool,
    /// Notification methods this client asked never to receive.
    pub opted_out: HashSet<String>,
}

/// How the client answered a request we sent it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClientReply {
    Result(Value),
    Error(JSONRPCErrorError),
}

/// The client went away before answering; the request is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cancelled;

/// Ids of server requests are unique across connections, which keeps logs unambiguous; the
/// first is 0, as in the reference.
static NEXT_SERVER_REQUEST_ID: AtomicI64 = AtomicI64::new(0);

/// The id of a new server request.
pub(crate) fn next_request_id() -> RequestId {
    RequestId::Integer(NEXT_SERVER_REQUEST_ID.fetch_add(1, Ordering::Relaxed))
}

#[derive(Debug)]
pub(crate) struct Connection {
    pub id: ConnectionId,
    pub outbound: OutboundQueue,
    handshake: OnceLock<Handshake>,
    pending: Mutex<PendingRequests>,
    /// Cancelled when the connection ends, for any reason.
    closed: CancellationToken,
    /// The cancellation flags of this client's `fuzzyFileSearch`es in flight, by token.
    searches: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

#[derive(Debug, Default)]
struct PendingRequests {
    waiting: HashMap<RequestId, oneshot::Sender<ClientReply>>,
    /// Set once the connection ends, so no request can start waiting afterwards.
    closed: bool,
}

impl Connection {
    pub(crate) fn new(id: ConnectionId, slow_reader: SlowReader) -> Self {
        Self {
            id,
            outbound: OutboundQueue::new(slow_reader),
            handshake: OnceLock::new(),
            pending: Mutex::new(PendingRequests::default()),
            closed: CancellationToken::new(),
            searches: Mutex::new(HashMap::new()),
        }
    }

    /// Registers a search named by `token`, cancelling this client's earlier search with the
    /// same token. Returns the new search's flag, set if a later one cancels it in turn.
    pub(crate) fn start_search(&self, token: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        if let Some(earlier) = lock(&self.searches).insert(token.to_owned(), Arc::clone(&flag)) {
            earlier.store(true, Ordering::Relaxed);
        }
        flag
    }

    /// Forgets a finished search, unless a later one with its token took its place.
    pub(crate) fn end_search(&self, token: &str, flag: &Arc<AtomicBool>) {
        let mut searches = lock(&self.searches);
        if searches
            .get(token)
            .is_some_and(|current| Arc::ptr_eq(current, flag))
        {
            searches.remove(token);
        }
    }

    pub(crate) fn handshake(&self) -> Option<&Handshake> {
        self.handshake.get()
    }

    /// The client's `clientInfo.name`, once it has initialized.
    pub(crate) fn client_name(&self) -> Option<String> {
        self.handshake()
            .map(|handshake| handshake.client_name.clone())
    }

    /// Whether the client opted into the experimental API at `initialize`.
    pub(crate) fn is_experimental(&self) -> bool {
        self.handshake()
            .is_some_and(|handshake| handshake.experimental_api)
    }

    /// Whether the connection is ending: the client can answer nothing more.
    pub(crate) fn is_closing(&self) -> bool {
        lock(&self.pending).closed
    }

    /// Records the handshake; fails if it already happened.
    pub(crate) fn initialize(&self, handshake: Handshake) -> Result<(), Handshake> {
        self.handshake.set(handshake)
    }

    /// Queues a notification unless the client has not finished the handshake or opted out of
    /// this method. `frame` is the notification already serialised, so a broadcast serialises
    /// once.
    pub(crate) fn notify_frame(&self, method: &str, frame: &Frame) {
        if !self.wants(method, ServerNotification::is_experimental_method(method)) {
            return;
        }
        // A closed queue means the connection is on its way out; nothing is left to tell.
        let _ = self.outbound.push(Frame::clone(frame));
    }

    /// Whether the client hears notifications of `method` (`experimental` says whether the
    /// method is, so a batch looks it up once): not before the handshake, not a method it
    /// opted out of, not an experimental one unless it opted in.
    pub(crate) fn wants(&self, method: &str, experimental: bool) -> bool {
        let Some(handshake) = self.handshake() else {
            return false;
        };
        if !handshake.opted_out.is_empty() && handshake.opted_out.contains(method) {
            return false;
        }
        !experimental || handshake.experimental_api
    }

    /// Sends a request to the client and waits for its answer, for as long as the connection
    /// lives: a person may take minutes to approve a command.
    pub(crate) async fn request(
        &self,
        payload: ServerRequestPayload,
    ) -> Result<ClientReply, Cancelled> {
        let id = next_request_id();
        let (sender, receiver) = oneshot::channel();
        {
            let mut pending = lock(&self.pending);
            if pending.closed {
                return Err(Cancelled);
            }
            pending.waiting.insert(id.clone(), sender);
        }
        let frame = codec::message(&payload.into_request(id.clone()));
        if self.outbound.push(frame) == Err(Closed) {
            lock(&self.pending).waiting.remove(&id);
            return Err(Cancelled);
        }
        // The sender is dropped, and the wait ends, when the connection closes.
        receiver.await.map_err(|_| Cancelled)
    }

    /// Hands the client's answer to the request waiting for it. Returns `false` for an id that
    /// nothing is waiting on.
    pub(crate) fn settle(&self, id: &RequestId, reply: ClientReply) -> bool {
        let sender = lock(&self.pending).waiting.remove(id);
        match sender {
            Some(sender) => {
                // The waiter may have given up (its turn was interrupted); that is fine.
                let _ = sender.send(reply);
                true
            }
            None => false,
        }
    }

    /// Resolves every request waiting on the client as cancelled, and refuses new ones: the
    /// client can no longer answer.
    pub(crate) fn cancel_server_requests(&self) {
        let mut pending = lock(&self.pending);
        pending.closed = true;
        pending.waiting.clear();
    }

    /// Ends the connection: requests waiting on the client resolve as cancelled, and the
    /// outbound queue stops taking messages (what it holds is still written).
    pub(crate) fn close(&self) {
        self.cancel_server_requests();
        self.outbound.close();
        self.closed.cancel();
    }

    /// Resolves when the connection has been closed.
    pub(crate) async fn closed(&self) {
        self.closed.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use codex_app_server_protocol::v2::ChatgptAuthTokensRefreshParams;
    use codex_app_server_protocol::v2::ChatgptAuthTokensRefreshReason;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_search_is_cancelled_by_the_next_with_its_token_and_forgotten_when_done() {
        let connection = Connection::new(ConnectionId(0), SlowReader::Disconnect);
        let first = connection.start_search("t");
        let other = connection.start_search("u");
        let second = connection.start_search("t");
        assert!(first.load(Ordering::Relaxed));
        assert!(!second.load(Ordering::Relaxed));
        assert!(!other.load(Ordering::Relaxed));
        // The cancelled search ending does not forget its successor.
        connection.end_search("t", &first);
        assert_eq!(lock(&connection.searches).len(), 2);
        connection.end_search("t", &second);
        connection.end_search("u", &other);
        assert!(lock(&connection.searches).is_empty());
    }

    fn initialized(opted_out: &[&str]) -> Connection {
        let connection = Connection::new(ConnectionId(1), SlowReader::Disconnect);
        connection
            .initialize(Handshake {
                user_agent: "test".into(),
                client_name: "test".into(),
                experimental_api: false,
                opted_out: opted_out.iter().map(|method| method.to_string()).collect(),
            })
            .unwrap();
        connection
    }

    async fn written(connection: &Connection) -> Vec<Value> {
        let mut batch = Vec::new();
        connection.outbound.next_batch(&mut batch).await;
        batch
            .iter()
            .map(|frame| serde_json::from_str(frame).unwrap())
            .collect()
    }

    fn refresh() -> ServerRequestPayload {
        ServerRequestPayload::ChatgptAuthTokensRefresh(ChatgptAuthTokensRefreshParams {
            reason: ChatgptAuthTokensRefreshReason::Unauthorized,
            previous_account_id: None,
        })
    }

    #[tokio::test]
    async fn a_server_request_is_answered_by_the_reply_with_its_id() {
        let connection = Arc::new(initialized(&[]));
        let waiting = tokio::spawn({
            let connection = Arc::clone(&connection);
            async move { connection.request(refresh()).await }
        });
        let sent = written(&connection).await;
        assert_eq!(sent[0]["method"], "account/chatgptAuthTokens/refresh");
        let id: RequestId = serde_json::from_value(sent[0]["id"].clone()).unwrap();
        assert!(!connection.settle(
            &RequestId::String("other".into()),
            ClientReply::Result(json!({}))
        ));
        assert!(connection.settle(&id, ClientReply::Result(json!({"ok": 1}))));
        assert_eq!(
            waiting.await.unwrap(),
            Ok(ClientReply::Result(json!({"ok": 1})))
        );
    }

    #[tokio::test]
    async fn closing_cancels_waiting_server_requests_and_refuses_new_ones() {
        let connection = Arc::new(initialized(&[]));
        let waiting = tokio::spawn({
            let connection = Arc::clone(&connection);
            async move { connection.request(refresh()).await }
        });
        written(&connection).await;
        connection.close();
        assert_eq!(waiting.await.unwrap(), Err(Cancelled));
        assert_eq!(connection.request(refresh()).await, Err(Cancelled));
    }

    #[tokio::test]
    async fn notifications_respect_the_handshake_and_opt_outs() {
        let fresh = Connection::new(ConnectionId(2), SlowReader::Disconnect);
        fresh.notify_frame("thread/started", &Frame::from("{}"));
        fresh.outbound.close();
        let mut batch = Vec::new();
        assert!(
            !fresh.outbound.next_batch(&mut batch).await,
            "nothing before initialize"
        );

        let connection = initialized(&["item/agentMessage/delta"]);
        connection.notify_frame("item/agentMessage/delta", &Frame::from(r#"{"a":1}"#));
        connection.notify_frame("turn/started", &Frame::from(r#"{"b":2}"#));
        assert_eq!(written(&connection).await, [json!({"b": 2})]);
    }
}
