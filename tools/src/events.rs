//! Where a tool's events go. The tools never see a thread: the agent hands them an
//! [`EventSink`], and its implementation decides what else happens to an event (the agent
//! records some in the rollout before the client hears of them).

use codex_protocol::protocol::EventMsg;
use futures::future::BoxFuture;

/// The receiving end of the events tools emit while they run.
pub trait EventSink: Send + Sync {
    /// Sends `msg`, an event of turn `turn_id`, on its way to the client. Waits while the
    /// client is behind; an event nobody listens to any more is dropped.
    fn emit<'a>(&'a self, turn_id: &'a str, msg: EventMsg) -> BoxFuture<'a, ()>;
}
