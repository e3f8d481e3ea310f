//! Server requests about a thread (approvals, user input, client tools) that outlive the
//! connection they were sent on.
//!
//! A request waits for the client it was sent to. When that client goes away (or there was no
//! client to send it to), the request waits on, orphaned, for the reconnect grace
//! (`app_server.request_reconnect_grace_sec`): the first client to resume the thread in that
//! time gets it again, with the same id, and its answer counts. Past the grace, the request is
//! cancelled, which its asker treats as it always treated a client that went away. Whatever
//! the end, the thread's experimental followers hear `serverRequest/resolved`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::ServerRequestPayload;
use codex_app_server_protocol::v2;
use codex_protocol::ThreadId;
use codex_utils_lock::lock;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::codec;
use crate::connection::Cancelled;
use crate::connection::ClientReply;
use crate::connection::Connection;
use crate::connection::ConnectionId;
use crate::connection::next_request_id;
use crate::outbound::Frame;
use crate::registry::ActivityChange;
use crate::registry::Registry;

#[derive(Debug)]
pub(crate) struct ThreadRequests {
    waiting: Arc<Mutex<HashMap<RequestId, Waiting>>>,
    grace: Duration,
}

#[derive(Debug)]
struct Waiting {
    thread: ThreadId,
    /// The connection that may answer; `None` while orphaned.
    asked: Option<ConnectionId>,
    /// When the request was last orphaned.
    orphaned: Option<Instant>,
    /// The request as sent, for sending it again.
    frame: Frame,
    reply: oneshot::Sender<ClientReply>,
}

impl ThreadRequests {
    pub(crate) fn new(grace: Duration) -> Self {
        Self {
            waiting: Arc::new(Mutex::new(HashMap::new())),
            grace,
        }
    }

    /// Sends `payload` about `thread` to `connection` (or, with none, to the first client
    /// that resumes the thread within the grace) and waits for the answer.
    pub(crate) async fn ask(
        &self,
        registry: &Registry,
        thread: ThreadId,
        connection: Option<&Connection>,
        payload: ServerRequestPayload,
    ) -> Result<ClientReply, Cancelled> {
        let id = next_request_id();
        let flag = match &payload {
            ServerRequestPayload::CommandExecutionRequestApproval(_)
            | ServerRequestPayload::FileChangeRequestApproval(_)
            | ServerRequestPayload::ExecCommandApproval(_)
            | ServerRequestPayload::ApplyPatchApproval(_) => {
                Some(v2::ThreadActiveFlag::WaitingOnApproval)
            }
            ServerRequestPayload::ToolRequestUserInput(_) => {
                Some(v2::ThreadActiveFlag::WaitingOnUserInput)
            }
            ServerRequestPayload::DynamicToolCall(_)
            | ServerRequestPayload::ChatgptAuthTokensRefresh(_) => None,
        };
        if let Some(flag) = flag {
            registry.thread_activity(thread, ActivityChange::Waiting(id.clone(), flag));
        }
        let frame = codec::message(&payload.into_request(id.clone()));
        let (sender, receiver) = oneshot::channel();
        let delivered = {
            let mut waiting = lock(&self.waiting);
            waiting.insert(
                id.clone(),
                Waiting {
                    thread,
                    asked: connection.map(|connection| connection.id),
                    orphaned: None,
                    frame: Frame::clone(&frame),
                    reply: sender,
                },
            );
            connection.is_some_and(|connection| connection.outbound.push(frame).is_ok())
        };
        // Checked after the request is registered: a connection that closes from now on
        // orphans it itself.
        if !delivered || connection.is_some_and(Connection::is_closing) {
            self.orphan_one(&id);
        }
        let reply = receiver.await.map_err(|_| Cancelled);
        if flag.is_some() {
            registry.thread_activity(thread, ActivityChange::Resolved(id.clone()));
        }
        registry.notify_thread(
            thread,
            &ServerNotification::ServerRequestResolved(v2::ServerRequestResolvedNotification {
                thread_id: thread.to_string(),
                request_id: id,
            }),
        );
        reply
    }

    /// Hands `connection`'s answer to the request waiting for it. Returns `false` when no
    /// request with that id waits on that connection.
    pub(crate) fn settle(
        &self,
        connection: ConnectionId,
        id: &RequestId,
        reply: ClientReply,
    ) -> bool {
        let mut waiting = lock(&self.waiting);
        if waiting.get(id).and_then(|request| request.asked) != Some(connection) {
            return false;
        }
        if let Some(request) = waiting.remove(id) {
            // The asker may have stopped waiting (its turn was interrupted); that is fine.
            let _ = request.reply.send(reply);
        }
        true
    }

    /// Orphans every request waiting on a connection that went away. A thread that another
    /// client already follows (a v2 subscriber or a v1 listener) hands its requests to that
    /// client at once.
    pub(crate) fn orphan(&self, registry: &Registry, connection: ConnectionId) {
        let orphans: Vec<(RequestId, ThreadId)> = lock(&self.waiting)
            .iter()
            .filter(|(_, request)| request.asked == Some(connection))
            .map(|(id, request)| (id.clone(), request.thread))
            .collect();
        let mut threads: Vec<ThreadId> = Vec::new();
        for (id, thread) in orphans {
            self.orphan_one(&id);
            if !threads.contains(&thread) {
                threads.push(thread);
            }
        }
        for thread in threads {
            let heir = registry
                .followers(thread)
                .into_iter()
                .find(|other| other.id != connection && !other.is_closing());
            if let Some(heir) = heir {
                self.adopt(thread, &heir);
            }
        }
    }

    fn orphan_one(&self, id: &RequestId) {
        let mut waiting = lock(&self.waiting);
        if self.grace.is_zero() {
            waiting.remove(id);
            return;
        }
        let Some(request) = waiting.get_mut(id) else {
            return;
        };
        request.asked = None;
        request.orphaned = Some(Instant::now());
        tracing::debug!(thread = %request.thread, %id, "server request waits for a client to resume its thread");
        let grace = self.grace;
        let shared = Arc::clone(&self.waiting);
        let id = id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let mut waiting = lock(&shared);
            let expired = waiting.get(&id).is_some_and(|request| {
                request.asked.is_none()
                    && request
                        .orphaned
                        .is_some_and(|since| since.elapsed() >= grace)
            });
            if expired {
                // Dropping the sender cancels the request.
                waiting.remove(&id);
            }
        });
    }

    /// Sends the orphaned requests of `thread` again, with their ids, to `connection`, which
    /// resumed the thread; its answers now count. Returns how many.
    pub(crate) fn adopt(&self, thread: ThreadId, connection: &Connection) -> usize {
        let mut waiting = lock(&self.waiting);
        let mut orphans: Vec<(&RequestId, &mut Waiting)> = waiting
            .iter_mut()
            .filter(|(_, request)| request.thread == thread && request.asked.is_none())
            .collect();
        // In the order they were first sent.
        orphans.sort_by_key(|(id, _)| request_order(id));
        let mut sent = 0;
        for (_, request) in orphans {
            if connection
                .outbound
                .push(Frame::clone(&request.frame))
                .is_ok()
            {
                request.asked = Some(connection.id);
                request.orphaned = None;
                sent += 1;
            }
        }
        if sent > 0 {
            tracing::debug!(%thread, sent, "server requests sent again to a client that resumed");
        }
        sent
    }
}

/// Server request ids are integers counting up; anything else sorts last.
fn request_order(id: &RequestId) -> i64 {
    match id {
        RequestId::Integer(value) => *value,
        RequestId::String(_) => i64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use codex_app_server_protocol::v2::ChatgptAuthTokensRefreshParams;
    use codex_app_server_protocol::v2::ChatgptAuthTokensRefreshReason;
    use pretty_assertions::assert_eq;
    use serde_json::Value;
    use serde_json::json;

    use super::*;
    use crate::outbound::SlowReader;
    use crate::registry::tests::handshake;

    fn payload() -> ServerRequestPayload {
        ServerRequestPayload::ChatgptAuthTokensRefresh(ChatgptAuthTokensRefreshParams {
            reason: ChatgptAuthTokensRefreshReason::Unauthorized,
            previous_account_id: None,
        })
    }

    async fn sent(connection: &Connection) -> Vec<Value> {
        let mut batch = Vec::new();
        connection.outbound.next_batch(&mut batch).await;
        batch
            .iter()
            .map(|frame| serde_json::from_str(frame).unwrap())
            .collect()
    }

    fn id_of(message: &Value) -> RequestId {
        serde_json::from_value(message["id"].clone()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn an_orphan_is_sent_again_to_the_client_that_resumes_and_its_answer_counts() {
        let registry = Arc::new(Registry::default());
        let requests = Arc::new(ThreadRequests::new(Duration::from_secs(60)));
        let (first, second) = (
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
        );
        handshake(&first);
        handshake(&second);
        let thread = ThreadId::new();
        let asking = tokio::spawn({
            let (registry, requests, first) = (
                Arc::clone(&registry),
                Arc::clone(&requests),
                Arc::clone(&first),
            );
            async move {
                requests
                    .ask(&registry, thread, Some(&first), payload())
                    .await
            }
        });
        let original = sent(&first).await;
        let id = id_of(&original[0]);

        // The first client goes; the second answers in its place, but only once it resumed.
        first.close();
        requests.orphan(&registry, first.id);
        assert!(!requests.settle(first.id, &id, ClientReply::Result(json!({}))));
        assert!(!requests.settle(second.id, &id, ClientReply::Result(json!({}))));
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(requests.adopt(thread, &second), 1);
        assert_eq!(sent(&second).await, original);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert!(requests.settle(second.id, &id, ClientReply::Result(json!({"ok": true}))));
        assert_eq!(
            asking.await.unwrap(),
            Ok(ClientReply::Result(json!({"ok": true})))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_orphan_nobody_adopts_is_cancelled_after_the_grace() {
        let registry = Registry::default();
        let requests = ThreadRequests::new(Duration::from_secs(60));
        let thread = ThreadId::new();
        let started = Instant::now();
        let answer = requests.ask(&registry, thread, None, payload()).await;
        assert_eq!(answer, Err(Cancelled));
        assert_eq!(started.elapsed(), Duration::from_secs(60));
        assert!(lock(&requests.waiting).is_empty());
    }

    #[tokio::test]
    async fn without_a_grace_a_lost_client_cancels_at_once() {
        let registry = Registry::default();
        let requests = ThreadRequests::new(Duration::ZERO);
        let answer = requests
            .ask(&registry, ThreadId::new(), None, payload())
            .await;
        assert_eq!(answer, Err(Cancelled));
    }
}
