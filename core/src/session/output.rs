//! A thread's two outputs: events to the client and lines to the rollout.
//!
//! Every event of a thread leaves through [`ThreadOutput::emit`], which records the events the
//! reference persists before the client hears of them; the tools reach it as their
//! [`EventSink`]. The sending side of the event channel never leaves this module, so there is
//! no way to send an event that skips the recording.

use std::sync::Mutex;
use std::sync::MutexGuard;

use codex_protocol::items::TurnItem;
use codex_protocol::protocol::EventMsg;
use codex_rollout::RolloutItem;
use codex_tools::EventSink;
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::recorder::Recorder;

/// One event of a thread, tagged with the id of the turn (submission) it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub msg: EventMsg,
}

/// How many events may wait for the client before the thread waits for it.
const EVENT_CAPACITY: usize = 512;

/// A thread's events, in order. There is one stream per loaded thread.
#[derive(Debug)]
pub struct EventStream(mpsc::Receiver<Event>);

impl EventStream {
    /// The next event; `None` once the thread has shut down.
    pub async fn recv(&mut self) -> Option<Event> {
        self.0.recv().await
    }

    /// Waits for at least one event, then moves up to `limit` of those waiting into `events`.
    /// Returns how many it moved; 0 once the thread has shut down. A reader that handles
    /// events in batches wakes once per batch instead of once per event.
    pub async fn recv_many(&mut self, events: &mut Vec<Event>, limit: usize) -> usize {
        self.0.recv_many(events, limit).await
    }

    /// The next event if one is waiting.
    pub(crate) fn try_recv(&mut self) -> Option<Event> {
        self.0.try_recv().ok()
    }
}

/// Events of the legacy stream that the reference writes to the rollout.
fn is_persisted(msg: &EventMsg) -> bool {
    matches!(
        msg,
        EventMsg::TaskStarted(_)
            | EventMsg::TaskComplete(_)
            | EventMsg::UserMessage(_)
            | EventMsg::AgentMessage(_)
            | EventMsg::AgentReasoning(_)
            | EventMsg::AgentReasoningRawContent(_)
            | EventMsg::TokenCount(_)
            | EventMsg::ContextCompacted(_)
            | EventMsg::ThreadRolledBack(_)
            | EventMsg::TurnAborted(_)
            | EventMsg::EnteredReviewMode(_)
            | EventMsg::ExitedReviewMode(_)
    ) || matches!(
        // Plans exist only as items (they are cut from the model's messages), so their
        // completion is kept to show them again.
        msg,
        EventMsg::ItemCompleted(completed) if matches!(completed.item, TurnItem::Plan(_))
    )
}

/// Where a thread's events and rollout lines go.
pub(crate) struct ThreadOutput {
    /// Once the receiver is gone, events are dropped.
    events: mpsc::Sender<Event>,
    /// `None` for an ephemeral thread.
    recorder: Option<Recorder>,
    /// The rollout items recorded, in order, for an ephemeral thread (what `thread/read` and
    /// forks see of it). A thread with a rollout keeps none: they are read from the rollout,
    /// so a long session's memory does not grow with its events.
    recorded: Mutex<Vec<RolloutItem>>,
}

impl ThreadOutput {
    /// The output of a thread whose rollout already holds `recorded`, and the stream its
    /// events arrive on.
    pub(crate) fn new(
        recorder: Option<Recorder>,
        recorded: Vec<RolloutItem>,
    ) -> (ThreadOutput, EventStream) {
        let (events, stream) = mpsc::channel(EVENT_CAPACITY);
        let recorded = if recorder.is_some() {
            Vec::new()
        } else {
            recorded
        };
        let output = ThreadOutput {
            events,
            recorder,
            recorded: Mutex::new(recorded),
        };
        (output, EventStream(stream))
    }

    pub(crate) fn recorder(&self) -> Option<&Recorder> {
        self.recorder.as_ref()
    }

    /// The rollout items kept in memory (see the field). The lock is never held across an
    /// await.
    pub(crate) fn recorded(&self) -> MutexGuard<'_, Vec<RolloutItem>> {
        codex_utils_lock::lock(&self.recorded)
    }

    /// Appends lines to the rollout, or to the in-memory copy of a thread without one.
    pub(crate) fn record(&self, items: Vec<RolloutItem>) {
        if items.is_empty() {
            return;
        }
        match &self.recorder {
            Some(recorder) => recorder.record(items),
            None => self.recorded().extend(items),
        }
    }

    /// Sends an event to the client, recording it first when the reference does.
    pub(crate) async fn emit(&self, id: &str, msg: EventMsg) {
        if is_persisted(&msg) {
            self.record(vec![RolloutItem::EventMsg(msg.clone())]);
        }
        let event = Event {
            id: id.to_owned(),
            msg,
        };
        if self.events.send(event).await.is_err() {
            tracing::trace!("no one listens to this thread's events");
        }
    }

    /// Waits until everything recorded so far is written and fsynced.
    pub(crate) async fn flush(&self) {
        if let Some(recorder) = &self.recorder
            && let Err(err) = recorder.flush().await
        {
            tracing::warn!("cannot sync the rollout: {err}");
        }
    }
}

impl ThreadOutput {
    /// Waits until everything recorded so far is saved; `Err` says why some of it was not.
    pub(crate) async fn saved(&self) -> Result<(), String> {
        match &self.recorder {
            Some(recorder) => recorder.flush().await,
            None => Ok(()),
        }
    }

    /// Clears a save failure once it is reported, so the next turn writes again.
    pub(crate) async fn take_save_failure(&self) {
        if let Some(recorder) = &self.recorder
            && let Some(why) = recorder.take_failure().await
        {
            tracing::warn!("rollout lines were lost: {why}");
        }
    }
}

impl EventSink for ThreadOutput {
    fn emit<'a>(&'a self, turn_id: &'a str, msg: EventMsg) -> BoxFuture<'a, ()> {
        Box::pin(ThreadOutput::emit(self, turn_id, msg))
    }
}
