//! Every open connection, and which of them follow which thread.
//!
//! This is where notifications are routed: a thread's events go to the connections subscribed
//! to it, global ones (account, config, app list) to every connection that finished its
//! handshake. Core code never sees connections; it names a thread, and the registry fans out.
//!
//! A thread is followed by its v2 subscribers and its v1 listeners (`addConversationListener`).
//! As in the reference, both hear everything: the v2 notifications and the legacy
//! `codex/event/*` stream. A client that does not want the legacy stream opts out of its
//! methods at `initialize`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_protocol::ThreadId;
use codex_utils_lock::lock;

use crate::codec;
use crate::connection::Connection;
use crate::connection::ConnectionId;
use crate::journal::Journal;
use crate::journal::NotHeld;
use crate::journal::ReplaySettings;
use crate::outbound::Frame;
use crate::outbound::SlowReader;

/// One notification about a thread, serialised once for all the connections it goes to.
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub method: Cow<'static, str>,
    pub frame: Frame,
    /// Whether `method` is experimental: only clients that opted in hear it.
    pub experimental: bool,
}

impl Notice {
    pub(crate) fn of(notification: &ServerNotification) -> Self {
        let method = notification.method();
        Self {
            method: Cow::Borrowed(method),
            frame: codec::message(notification),
            experimental: ServerNotification::is_experimental_method(method),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct Registry {
    next_id: AtomicU64,
    state: Mutex<State>,
    settings: ReplaySettings,
    /// The journal of each loaded thread. A thread's fan-out happens under its journal's lock,
    /// so a replay taken under the same lock neither misses nor repeats a notification. Lock
    /// order: a journal, then `state`.
    journals: Mutex<HashMap<ThreadId, Arc<Mutex<Journal>>>>,
    /// What each loaded thread is doing, for `thread/status/changed`.
    activity: Mutex<HashMap<ThreadId, Activity>>,
}

/// A thread's running turn and the server requests it waits on.
#[derive(Debug, Default)]
struct Activity {
    running: bool,
    waiting: Vec<(RequestId, v2::ThreadActiveFlag)>,
    /// The status last announced.
    announced: Option<v2::ThreadStatus>,
}

impl Activity {
    fn status(&self) -> v2::ThreadStatus {
        if !self.running && self.waiting.is_empty() {
            return v2::ThreadStatus::Idle;
        }
        let mut active_flags: Vec<v2::ThreadActiveFlag> = Vec::new();
        for (_, flag) in &self.waiting {
            if !active_flags.contains(flag) {
                active_flags.push(*flag);
            }
        }
        v2::ThreadStatus::Active { active_flags }
    }
}

/// A change in what a thread is doing.
#[derive(Debug, Clone)]
pub(crate) enum ActivityChange {
    TurnStarted,
    TurnEnded,
    Waiting(RequestId, v2::ThreadActiveFlag),
    Resolved(RequestId),
}

#[derive(Debug, Default)]
struct State {
    /// Ordered, so fan-out visits connections in the order they arrived.
    connections: BTreeMap<ConnectionId, Arc<Connection>>,
    subscribers: HashMap<ThreadId, HashSet<ConnectionId>>,
    /// Who listens to each thread's legacy `codex/event/*` stream.
    legacy_listeners: HashMap<ThreadId, HashSet<ConnectionId>>,
    /// The v1 listener subscriptions behind `legacy_listeners`, by subscription id: a
    /// connection may listen to a thread more than once, and stops when its last goes.
    legacy_subscriptions: HashMap<String, (ConnectionId, ThreadId)>,
}

impl Registry {
    pub(crate) fn new(settings: ReplaySettings) -> Self {
        Self {
            settings,
            ..Self::default()
        }
    }

    /// Starts numbering a thread just loaded, in a journal of its own. Returns the journal, for
    /// [`Registry::close_journal`].
    pub(crate) fn open_journal(&self, thread: ThreadId) -> Arc<Mutex<Journal>> {
        let journal = Arc::new(Mutex::new(Journal::new(&self.settings)));
        lock(&self.journals).insert(thread, Arc::clone(&journal));
        journal
    }

    /// Forgets a thread's journal when its load ends, unless a later load replaced it.
    pub(crate) fn close_journal(&self, thread: ThreadId, journal: &Arc<Mutex<Journal>>) {
        let mut journals = lock(&self.journals);
        if journals
            .get(&thread)
            .is_some_and(|current| Arc::ptr_eq(current, journal))
        {
            journals.remove(&thread);
            lock(&self.activity).remove(&thread);
        }
    }

    fn journal(&self, thread: ThreadId) -> Option<Arc<Mutex<Journal>>> {
        lock(&self.journals).get(&thread).cloned()
    }

    /// Records a change in what `thread` is doing and, when its status differs from the one
    /// last announced, tells its (experimental) followers with `thread/status/changed`.
    pub(crate) fn thread_activity(&self, thread: ThreadId, change: ActivityChange) {
        let status = {
            let mut activities = lock(&self.activity);
            let activity = activities.entry(thread).or_default();
            match change {
                ActivityChange::TurnStarted => activity.running = true,
                ActivityChange::TurnEnded => activity.running = false,
                ActivityChange::Waiting(id, flag) => activity.waiting.push((id, flag)),
                ActivityChange::Resolved(id) => activity.waiting.retain(|(other, _)| *other != id),
            }
            let status = activity.status();
            if activity.announced.as_ref() == Some(&status) {
                return;
            }
            activity.announced = Some(status.clone());
            status
        };
        self.notify_thread(
            thread,
            &ServerNotification::ThreadStatusChanged(v2::ThreadStatusChangedNotification {
                thread_id: thread.to_string(),
                status,
            }),
        );
    }

    /// The id of the journal of this load of `thread`, for experimental clients' answers.
    pub(crate) fn journal_id(&self, thread: ThreadId) -> Option<String> {
        self.journal(thread)
            .map(|journal| lock(&journal).id().to_owned())
    }

    /// Subscribes `connection` to `thread` and calls `answer` with the journal's id (it queues
    /// the request's answer), then queues the journaled notifications after `after` (a `seq`, and the
    /// journal it counts in), all before any later notification of the thread. When the
    /// journal no longer holds them, nothing happens and the error says what it holds.
    pub(crate) fn subscribe_and_replay(
        &self,
        connection: &Connection,
        thread: ThreadId,
        after: Option<(u64, Option<&str>)>,
        answer: impl FnOnce(Option<&str>),
    ) -> Result<(), NotHeld> {
        let Some(journal) = self.journal(thread) else {
            if after.is_some() {
                return Err(NotHeld { oldest_seq: 1 });
            }
            self.subscribe(connection.id, thread);
            answer(None);
            return Ok(());
        };
        let mut journal = lock(&journal);
        let replay: Vec<(Box<str>, Frame)> = match after {
            Some((seq, journal_id)) => journal
                .after(seq, journal_id)?
                .map(|entry| (entry.method.clone(), Frame::clone(&entry.frame)))
                .collect(),
            None => Vec::new(),
        };
        self.add(connection.id, thread, |state| &mut state.subscribers);
        if connection.is_experimental() {
            journal.keep();
        }
        answer(Some(journal.id()));
        for (method, frame) in &replay {
            connection.notify_frame(method, frame);
        }
        Ok(())
    }

    /// Creates and registers a new connection.
    pub(crate) fn open(&self, slow_reader: SlowReader) -> Arc<Connection> {
        let id = ConnectionId(self.next_id.fetch_add(1, Ordering::Relaxed));
        let connection = Arc::new(Connection::new(id, slow_reader));
        lock(&self.state)
            .connections
            .insert(id, Arc::clone(&connection));
        connection
    }

    /// Forgets a connection and its subscriptions, and closes it.
    pub(crate) fn remove(&self, id: ConnectionId) {
        let connection = {
            let mut state = lock(&self.state);
            let state = &mut *state;
            for map in [&mut state.subscribers, &mut state.legacy_listeners] {
                map.retain(|_, subscribers| {
                    subscribers.remove(&id);
                    !subscribers.is_empty()
                });
            }
            state
                .legacy_subscriptions
                .retain(|_, (connection, _)| *connection != id);
            state.connections.remove(&id)
        };
        if let Some(connection) = connection {
            connection.close();
        }
    }

    pub(crate) fn connections(&self) -> Vec<Arc<Connection>> {
        lock(&self.state).connections.values().cloned().collect()
    }

    /// Sends a thread's notifications to `connection` from now on. Subscribing twice is the
    /// same as once.
    pub(crate) fn subscribe(&self, connection: ConnectionId, thread: ThreadId) {
        self.add(connection, thread, |state| &mut state.subscribers);
        let experimental = lock(&self.state)
            .connections
            .get(&connection)
            .is_some_and(|connection| connection.is_experimental());
        if experimental && let Some(journal) = self.journal(thread) {
            lock(&journal).keep();
        }
    }

    /// Adds an open connection to one of the per-thread sets.
    fn add(
        &self,
        connection: ConnectionId,
        thread: ThreadId,
        set: fn(&mut State) -> &mut HashMap<ThreadId, HashSet<ConnectionId>>,
    ) {
        let mut state = lock(&self.state);
        if state.connections.contains_key(&connection) {
            set(&mut state)
                .entry(thread)
                .or_default()
                .insert(connection);
        }
    }

    /// The open connections in one of the per-thread sets.
    fn members(
        &self,
        thread: ThreadId,
        set: fn(&State) -> &HashMap<ThreadId, HashSet<ConnectionId>>,
    ) -> Vec<Arc<Connection>> {
        let state = lock(&self.state);
        set(&state).get(&thread).map_or_else(Vec::new, |ids| {
            ids.iter()
                .filter_map(|id| state.connections.get(id).cloned())
                .collect()
        })
    }

    /// Stops sending `thread`'s notifications to `connection`. Returns whether it was
    /// subscribed.
    pub(crate) fn unsubscribe(&self, connection: ConnectionId, thread: ThreadId) -> bool {
        let mut state = lock(&self.state);
        let Some(subscribers) = state.subscribers.get_mut(&thread) else {
            return false;
        };
        let was = subscribers.remove(&connection);
        if subscribers.is_empty() {
            state.subscribers.remove(&thread);
        }
        was
    }

    /// Whether anyone follows `thread`, as a subscriber or a legacy listener.
    pub(crate) fn is_followed(&self, thread: ThreadId) -> bool {
        let state = lock(&self.state);
        state.subscribers.contains_key(&thread) || state.legacy_listeners.contains_key(&thread)
    }

    /// Whether `connection` listens to `thread`'s legacy stream: a v1 client, asked in v1 terms.
    pub(crate) fn listens_legacy(&self, connection: ConnectionId, thread: ThreadId) -> bool {
        lock(&self.state)
            .legacy_listeners
            .get(&thread)
            .is_some_and(|listeners| listeners.contains(&connection))
    }

    /// Returns once every follower of `thread` that waits for a slow client has room in its
    /// queue: a thread's pump calls this before each event, so a stdio client that stops
    /// reading holds up its threads (and, through their bounded event channels, their turns)
    /// instead of their notifications piling up.
    pub(crate) async fn wait_for_room(&self, thread: ThreadId) {
        for connection in self.followers(thread) {
            connection.outbound.wait_for_room().await;
        }
    }

    /// Sends a notification about `thread` to everyone following it: v2 subscribers and v1
    /// listeners alike, as the reference does.
    pub(crate) fn notify_thread(&self, thread: ThreadId, notification: &ServerNotification) {
        self.notify_thread_all(thread, &[Notice::of(notification)]);
    }

    /// Numbers notifications about `thread`, in order, in its journal (when the thread is
    /// loaded) and sends them to everyone following the thread: experimental clients with
    /// their `seq`. Each connection gets its share of the batch in one push.
    pub(crate) fn notify_thread_all(&self, thread: ThreadId, notices: &[Notice]) {
        if notices.is_empty() {
            return;
        }
        let journal = self.journal(thread);
        let mut journal = journal.as_deref().map(lock);
        let followers = self.followers(thread);
        let experimental = followers.iter().any(|follower| follower.is_experimental());
        let mut shares: Vec<Vec<Frame>> = followers
            .iter()
            .map(|_| Vec::with_capacity(notices.len()))
            .collect();
        for notice in notices {
            let sequenced = journal.as_mut().and_then(|journal| {
                journal
                    .record(&notice.method, &notice.frame, experimental)
                    .1
            });
            for (connection, share) in followers.iter().zip(&mut shares) {
                if !connection.wants(&notice.method, notice.experimental) {
                    continue;
                }
                let frame = match &sequenced {
                    Some(sequenced) if connection.is_experimental() => sequenced,
                    _ => &notice.frame,
                };
                share.push(Frame::clone(frame));
            }
        }
        for (connection, share) in followers.iter().zip(shares) {
            // A closed queue means the connection is on its way out; nothing is left to tell.
            let _ = connection.outbound.push_all(share);
        }
    }

    /// The v2 subscribers of `thread`, in the order they arrived.
    pub(crate) fn subscribers(&self, thread: ThreadId) -> Vec<Arc<Connection>> {
        let mut subscribers = self.members(thread, |state| &state.subscribers);
        subscribers.sort_by_key(|connection| connection.id);
        subscribers
    }

    /// Everyone following `thread`, subscribers and legacy listeners, each once, in the order
    /// they arrived.
    pub(crate) fn followers(&self, thread: ThreadId) -> Vec<Arc<Connection>> {
        let mut followers = self.members(thread, |state| &state.subscribers);
        followers.extend(self.members(thread, |state| &state.legacy_listeners));
        followers.sort_by_key(|connection| connection.id);
        followers.dedup_by_key(|connection| connection.id);
        followers
    }

    /// Sends `thread`'s legacy events to `connection` from now on (v1 `addConversationListener`).
    /// Returns the new subscription's id, or `None` when the connection is gone.
    pub(crate) fn listen_legacy(
        &self,
        connection: ConnectionId,
        thread: ThreadId,
    ) -> Option<String> {
        let mut state = lock(&self.state);
        if !state.connections.contains_key(&connection) {
            return None;
        }
        let subscription = ThreadId::new().to_string();
        state
            .legacy_subscriptions
            .insert(subscription.clone(), (connection, thread));
        state
            .legacy_listeners
            .entry(thread)
            .or_default()
            .insert(connection);
        Some(subscription)
    }

    /// Ends a legacy subscription (v1 `removeConversationListener`); its connection stops getting
    /// the thread's legacy events unless another of its subscriptions still asks for them.
    /// Returns whether the subscription existed.
    pub(crate) fn unlisten_legacy(&self, subscription: &str) -> bool {
        let mut state = lock(&self.state);
        let Some((connection, thread)) = state.legacy_subscriptions.remove(subscription) else {
            return false;
        };
        let still_listening = state
            .legacy_subscriptions
            .values()
            .any(|other| *other == (connection, thread));
        if !still_listening && let Some(listeners) = state.legacy_listeners.get_mut(&thread) {
            listeners.remove(&connection);
            if listeners.is_empty() {
                state.legacy_listeners.remove(&thread);
            }
        }
        true
    }

    /// Sends a notification to every connection that finished its handshake.
    pub(crate) fn notify_all(&self, notification: &ServerNotification) {
        Self::fan_out(&self.connections(), notification);
    }

    fn fan_out(connections: &[Arc<Connection>], notification: &ServerNotification) {
        if connections.is_empty() {
            return;
        }
        let method = notification.method();
        let frame = codec::message(notification);
        for connection in connections {
            connection.notify_frame(method, &frame);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use codex_app_server_protocol::v2::ThreadNameUpdatedNotification;
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::connection::Handshake;

    /// Completes `connection`'s handshake, so that it hears notifications.
    pub(crate) fn handshake(connection: &Connection) {
        connection
            .initialize(Handshake {
                user_agent: "test".into(),
                client_name: "test".into(),
                experimental_api: false,
                opted_out: Default::default(),
            })
            .unwrap();
    }

    fn renamed(thread: ThreadId) -> ServerNotification {
        ServerNotification::ThreadNameUpdated(ThreadNameUpdatedNotification {
            thread_id: thread.to_string(),
            thread_name: Some("n".into()),
        })
    }

    /// Closes each connection's queue and returns how many messages it received.
    async fn received(connections: &[&Arc<Connection>]) -> Vec<usize> {
        let mut counts = Vec::new();
        for connection in connections {
            connection.outbound.close();
            let mut batch = Vec::new();
            while connection.outbound.next_batch(&mut batch).await {}
            counts.push(batch.len());
        }
        counts
    }

    #[tokio::test]
    async fn thread_notifications_reach_only_subscribers() {
        let registry = Registry::default();
        let (a, b, fresh) = (
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
        );
        handshake(&a);
        handshake(&b);
        let (one, two) = (ThreadId::new(), ThreadId::new());
        registry.subscribe(a.id, one);
        registry.subscribe(a.id, one);
        registry.subscribe(b.id, two);
        registry.subscribe(fresh.id, one);

        registry.notify_thread(one, &renamed(one));
        registry.notify_thread(two, &renamed(two));
        registry.unsubscribe(b.id, two);
        registry.notify_thread(two, &renamed(two));
        registry.notify_all(&renamed(one));

        // `fresh` never initialised, so it hears nothing, subscribed or not.
        assert_eq!(received(&[&a, &b, &fresh]).await, [2, 2, 0]);
    }

    #[tokio::test]
    async fn every_follower_hears_everything_once() {
        let registry = Registry::default();
        let (v1, v2, both, other) = (
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
        );
        for connection in [&v1, &v2, &both, &other] {
            handshake(connection);
        }
        let thread = ThreadId::new();
        registry.listen_legacy(v1.id, thread);
        registry.subscribe(v2.id, thread);
        registry.subscribe(both.id, thread);
        registry.listen_legacy(both.id, thread);
        registry.subscribe(other.id, ThreadId::new());

        let frame = Frame::from(r#"{"method":"codex/event/task_started","params":{}}"#);
        let legacy = Notice {
            method: "codex/event/task_started".into(),
            frame,
            experimental: false,
        };
        registry.notify_thread_all(thread, &[legacy]);
        registry.notify_thread(thread, &renamed(thread));

        assert_eq!(received(&[&v1, &v2, &both, &other]).await, [2, 2, 2, 0]);
    }

    #[tokio::test]
    async fn a_batch_reaches_each_follower_in_order_numbered_and_filtered() {
        let registry = Registry::default();
        let (plain, experimental, opted_out) = (
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
        );
        handshake(&plain);
        let handshake_with = |connection: &Connection, experimental_api, opted_out: &[&str]| {
            connection
                .initialize(Handshake {
                    user_agent: "test".into(),
                    client_name: "test".into(),
                    experimental_api,
                    opted_out: opted_out.iter().map(|method| method.to_string()).collect(),
                })
                .unwrap();
        };
        handshake_with(&experimental, true, &[]);
        handshake_with(&opted_out, false, &["codex/event/agent_message_delta"]);
        let thread = ThreadId::new();
        let journal = registry.open_journal(thread);
        for connection in [&plain, &experimental, &opted_out] {
            registry.subscribe(connection.id, thread);
        }
        let notice = |method: &'static str, experimental| Notice {
            method: method.into(),
            frame: Frame::from(format!(r#"{{"method":"{method}","params":{{}}}}"#)),
            experimental,
        };
        registry.notify_thread_all(
            thread,
            &[
                notice("codex/event/agent_message_delta", false),
                notice("item/agentMessage/delta", false),
                notice("thread/status/changed", true),
            ],
        );
        registry.notify_thread(thread, &renamed(thread));

        let sent = |connection: Arc<Connection>| async move {
            connection.outbound.close();
            let mut batch = Vec::new();
            while connection.outbound.next_batch(&mut batch).await {}
            batch
                .iter()
                .map(|frame| {
                    let message: serde_json::Value = serde_json::from_str(frame).unwrap();
                    format!("{} {}", message["method"], message["params"]["seq"])
                })
                .collect::<Vec<_>>()
        };
        let renamed = r#""thread/name/updated""#;
        assert_eq!(
            sent(plain).await,
            [
                r#""codex/event/agent_message_delta" null"#.to_owned(),
                r#""item/agentMessage/delta" null"#.to_owned(),
                format!("{renamed} null"),
            ]
        );
        assert_eq!(
            sent(experimental).await,
            [
                r#""codex/event/agent_message_delta" 1"#.to_owned(),
                r#""item/agentMessage/delta" 2"#.to_owned(),
                r#""thread/status/changed" 3"#.to_owned(),
                format!("{renamed} 4"),
            ]
        );
        assert_eq!(
            sent(opted_out).await,
            [
                r#""item/agentMessage/delta" null"#.to_owned(),
                format!("{renamed} null"),
            ]
        );
        registry.close_journal(thread, &journal);
    }

    #[test]
    fn subscribers_are_the_v2_followers() {
        let registry = Registry::default();
        let (v1, v2) = (
            registry.open(SlowReader::Disconnect),
            registry.open(SlowReader::Disconnect),
        );
        let thread = ThreadId::new();
        registry.listen_legacy(v1.id, thread);
        registry.subscribe(v2.id, thread);
        let ids = |connections: Vec<Arc<Connection>>| -> Vec<ConnectionId> {
            connections.iter().map(|connection| connection.id).collect()
        };
        assert_eq!(ids(registry.followers(thread)), [v1.id, v2.id]);
        assert_eq!(ids(registry.subscribers(thread)), [v2.id]);
    }

    #[tokio::test]
    async fn removing_a_connection_drops_its_subscriptions() {
        let registry = Registry::default();
        let a = registry.open(SlowReader::Disconnect);
        handshake(&a);
        let thread = ThreadId::new();
        registry.subscribe(a.id, thread);
        registry.listen_legacy(a.id, thread);
        registry.remove(a.id);
        registry.subscribe(a.id, thread);
        registry.listen_legacy(a.id, thread);
        assert!(registry.connections().is_empty());
        assert!(lock(&registry.state).subscribers.is_empty());
        assert!(lock(&registry.state).legacy_listeners.is_empty());
        assert!(a.outbound.is_closed());
    }

    #[test]
    fn legacy_subscriptions_end_one_by_one_and_with_their_connection() {
        let registry = Registry::default();
        let first = registry.open(SlowReader::Disconnect);
        let second = registry.open(SlowReader::Disconnect);
        let thread = ThreadId::new();
        let a = registry.listen_legacy(first.id, thread).unwrap();
        let b = registry.listen_legacy(first.id, thread).unwrap();
        let c = registry.listen_legacy(second.id, thread).unwrap();
        assert_ne!(a, b);

        // One of two subscriptions gone: the connection still listens.
        assert!(registry.unlisten_legacy(&a));
        assert!(!registry.unlisten_legacy(&a));
        assert!(registry.listens_legacy(first.id, thread));
        assert!(registry.unlisten_legacy(&b));
        assert!(!registry.listens_legacy(first.id, thread));

        // A closed connection's subscriptions go with it.
        registry.remove(second.id);
        assert!(!registry.listens_legacy(second.id, thread));
        assert!(!registry.unlisten_legacy(&c));
        assert!(lock(&registry.state).legacy_subscriptions.is_empty());
        assert_eq!(registry.listen_legacy(second.id, thread), None);
    }
}
