//! The queue of serialised messages waiting to be written to one connection.
//!
//! Producers of two kinds share it. The connection's own request handling waits for room
//! ([`OutboundQueue::push_waiting`]), so a client that reads slowly slows down only its own
//! requests and, through the bounded ingress queue, gets "overloaded" errors instead of growing
//! our memory. Everything else (notifications fanned out from threads, server requests, overload
//! errors) is pushed without waiting ([`OutboundQueue::push`]). Nothing queued is ever dropped
//! while the connection lives. What happens to a client that stops reading depends on its
//! transport ([`SlowReader`]): one of many WebSocket clients must not hold up the producers that
//! serve the others, so a queue that stays at capacity past [`STALL_LIMIT`], or grows past a
//! hard limit, closes its connection; the stdio client owns the server, so its threads and its
//! reader wait for it instead ([`OutboundQueue::wait_for_room`],
//! [`OutboundQueue::wait_below_hard_limit`]). Capacity and limit count bytes as well as
//! messages, since one answer may be megabytes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_utils_lock::lock;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Messages a connection may have queued before request handling waits for the writer.
pub(crate) const OUTBOUND_CAPACITY: usize = 256;

/// Messages a connection may have queued at all; past this the client is not keeping up with
/// what it asked for and the connection is closed rather than buffering without end.
const HARD_LIMIT: usize = 64 * OUTBOUND_CAPACITY;

/// Bytes a connection may have queued before request handling waits for the writer: a few
/// large answers (`command/exec` output) fill the queue as surely as many small messages.
pub(crate) const OUTBOUND_BYTE_CAPACITY: usize = 8 << 20;

/// Bytes a connection may have queued at all; past this the connection is closed.
const BYTE_HARD_LIMIT: usize = 64 << 20;

/// How long the queue may stay full before the connection is given up on.
pub(crate) const STALL_LIMIT: Duration = Duration::from_secs(30);

/// One serialised JSON-RPC message. Shared, so a notification sent to many connections is
/// serialised once.
pub(crate) type Frame = Arc<str>;

/// What a connection does about a client that stops reading its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlowReader {
    /// Close the connection once its queue has stayed full for [`STALL_LIMIT`] or passes the
    /// hard limit: a WebSocket client is one of many, and the server outlives it.
    Disconnect,
    /// Wait for the client for as long as it takes: its threads hold their events while the
    /// queue is full, and its input is not read while the queue is past the hard limit. The
    /// stdio client is the process that started the server (an IDE paused in a debugger, say);
    /// dropping it would end the server and every running turn.
    Wait,
}

/// The connection is closed; the message was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

#[derive(Debug)]
pub(crate) struct OutboundQueue {
    state: Mutex<State>,
    /// Wakes the writer when a frame arrives or the queue closes.
    readable: Notify,
    /// Wakes producers waiting for room when the writer takes frames or the queue closes.
    writable: Notify,
    capacity: usize,
    hard_limit: usize,
    byte_capacity: usize,
    byte_hard_limit: usize,
    slow_reader: SlowReader,
}

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Frame>,
    /// The bytes of `frames`.
    bytes: usize,
    closed: bool,
    /// When the queue last reached capacity, while it stays there.
    full_since: Option<Instant>,
}

impl OutboundQueue {
    pub(crate) fn new(slow_reader: SlowReader) -> Self {
        Self::with_byte_limits(
            OUTBOUND_CAPACITY,
            HARD_LIMIT,
            OUTBOUND_BYTE_CAPACITY,
            BYTE_HARD_LIMIT,
            slow_reader,
        )
    }

    #[cfg(test)]
    pub(crate) fn with_limits(capacity: usize, hard_limit: usize) -> Self {
        Self::with_byte_limits(
            capacity,
            hard_limit,
            OUTBOUND_BYTE_CAPACITY,
            BYTE_HARD_LIMIT,
            SlowReader::Disconnect,
        )
    }

    fn with_byte_limits(
        capacity: usize,
        hard_limit: usize,
        byte_capacity: usize,
        byte_hard_limit: usize,
        slow_reader: SlowReader,
    ) -> Self {
        Self {
            state: Mutex::new(State::default()),
            readable: Notify::new(),
            writable: Notify::new(),
            capacity,
            hard_limit,
            byte_capacity,
            byte_hard_limit,
            slow_reader,
        }
    }

    pub(crate) fn slow_reader(&self) -> SlowReader {
        self.slow_reader
    }

    /// Whether the queue is at capacity, by count or by bytes.
    fn is_full(&self, state: &State) -> bool {
        state.frames.len() >= self.capacity || state.bytes >= self.byte_capacity
    }

    /// Whether the queue is at its hard limit, by count or by bytes.
    fn is_past_hard_limit(&self, state: &State) -> bool {
        state.frames.len() >= self.hard_limit || state.bytes >= self.byte_hard_limit
    }

    /// Queues a frame without waiting. Past the hard limit a [`SlowReader::Disconnect`] queue
    /// closes instead; a [`SlowReader::Wait`] queue takes it, its producers being held back by
    /// [`OutboundQueue::wait_for_room`] and [`OutboundQueue::wait_below_hard_limit`].
    pub(crate) fn push(&self, frame: Frame) -> Result<(), Closed> {
        self.push_all([frame])
    }

    /// Queues several frames, in order, under one lock and with one wake-up of the writer:
    /// what [`OutboundQueue::push`] does for each, a batch of a thread's notifications at once.
    pub(crate) fn push_all(&self, frames: impl IntoIterator<Item = Frame>) -> Result<(), Closed> {
        let mut state = lock(&self.state);
        if state.closed {
            return Err(Closed);
        }
        let mut queued = false;
        for frame in frames {
            if self.slow_reader == SlowReader::Disconnect && self.is_past_hard_limit(&state) {
                tracing::warn!(
                    queued = state.frames.len(),
                    bytes = state.bytes,
                    "closing a connection whose client is not reading its messages"
                );
                drop(state);
                self.close();
                return Err(Closed);
            }
            self.append(&mut state, frame);
            queued = true;
        }
        if queued {
            self.readable.notify_one();
        }
        Ok(())
    }

    /// Queues a frame once the queue is below capacity.
    pub(crate) async fn push_waiting(&self, frame: Frame) -> Result<(), Closed> {
        let mut state = self.wait_until(|state| !self.is_full(state)).await?;
        self.enqueue(&mut state, frame);
        Ok(())
    }

    /// For a [`SlowReader::Wait`] queue, returns once it is below capacity (or closed), so a
    /// thread's events wait for the client rather than pile up; at once for any other queue.
    pub(crate) async fn wait_for_room(&self) {
        if self.slow_reader == SlowReader::Wait {
            drop(self.wait_until(|state| !self.is_full(state)).await);
        }
    }

    /// For a [`SlowReader::Wait`] queue, returns once it is below its hard limit (or closed):
    /// the connection reads no more input from a client that is not reading its answers, which
    /// bounds what answers to that input could take. At once for any other queue.
    pub(crate) async fn wait_below_hard_limit(&self) {
        if self.slow_reader == SlowReader::Wait {
            drop(
                self.wait_until(|state| !self.is_past_hard_limit(state))
                    .await,
            );
        }
    }

    /// Waits until `ready` holds, returning the state still locked, or `Closed`.
    async fn wait_until(
        &self,
        ready: impl Fn(&State) -> bool,
    ) -> Result<std::sync::MutexGuard<'_, State>, Closed> {
        loop {
            // Register interest before looking, so a wake-up between the look and the wait is
            // not lost.
            let notified = self.writable.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let state = lock(&self.state);
                if state.closed {
                    return Err(Closed);
                }
                if ready(&state) {
                    return Ok(state);
                }
            }
            notified.await;
        }
    }

    fn enqueue(&self, state: &mut State, frame: Frame) {
        self.append(state, frame);
        self.readable.notify_one();
    }

    /// Adds a frame without waking the writer.
    fn append(&self, state: &mut State, frame: Frame) {
        state.bytes += frame.len();
        state.frames.push_back(frame);
        if self.is_full(state) && state.full_since.is_none() {
            state.full_since = Some(Instant::now());
        }
    }

    /// Moves every queued frame into `batch`, waiting for one if there are none. Returns `false`
    /// once the queue is closed and empty: the writer is done.
    pub(crate) async fn next_batch(&self, batch: &mut Vec<Frame>) -> bool {
        loop {
            let notified = self.readable.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = lock(&self.state);
                if !state.frames.is_empty() {
                    batch.extend(state.frames.drain(..));
                    state.bytes = 0;
                    state.full_since = None;
                    self.writable.notify_waiters();
                    return true;
                }
                if state.closed {
                    return false;
                }
            }
            notified.await;
        }
    }

    /// Whether the queue has been full for longer than `limit`. Only a
    /// [`SlowReader::Disconnect`] queue is ever asked.
    pub(crate) fn stalled_for(&self, limit: Duration) -> bool {
        lock(&self.state)
            .full_since
            .is_some_and(|since| since.elapsed() >= limit)
    }

    /// Refuses new frames. Frames already queued are still handed to the writer, so closing
    /// finishes what is in flight.
    pub(crate) fn close(&self) {
        lock(&self.state).closed = true;
        self.readable.notify_one();
        self.writable.notify_waiters();
    }

    /// Closes the queue and forgets what it holds: the peer is gone.
    pub(crate) fn abandon(&self) {
        {
            let mut state = lock(&self.state);
            state.closed = true;
            state.frames.clear();
            state.bytes = 0;
        }
        self.readable.notify_one();
        self.writable.notify_waiters();
    }

    #[cfg(test)]
    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pretty_assertions::assert_eq;

    use super::*;

    fn frame(text: &str) -> Frame {
        Arc::from(text)
    }

    async fn drain(queue: &OutboundQueue) -> Vec<String> {
        let mut batch = Vec::new();
        queue.next_batch(&mut batch).await;
        batch.iter().map(|frame| frame.to_string()).collect()
    }

    #[tokio::test]
    async fn large_frames_fill_the_queue_by_their_bytes() {
        let queue = Arc::new(OutboundQueue::with_byte_limits(
            100,
            1000,
            10,
            20,
            SlowReader::Disconnect,
        ));
        queue.push_waiting(frame("0123456789")).await.unwrap();
        // Ten bytes fill it: request handling waits for the writer now.
        let waiting = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.push_waiting(frame("next")).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        assert_eq!(drain(&queue).await, vec!["0123456789"]);
        waiting.await.unwrap().unwrap();
        // Notifications still go in, up to the hard limit in bytes, which closes it.
        queue.push(frame("abcdefghij")).unwrap();
        queue.push(frame("abcdefghij")).unwrap();
        assert_eq!(queue.push(frame("x")), Err(Closed));
        assert!(queue.is_closed());
    }

    #[tokio::test]
    async fn frames_come_out_in_order() {
        let queue = OutboundQueue::with_limits(4, 8);
        queue.push(frame("a")).unwrap();
        queue.push_waiting(frame("b")).await.unwrap();
        queue.push(frame("c")).unwrap();
        assert_eq!(drain(&queue).await, ["a", "b", "c"]);
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_push_resumes_when_the_writer_takes_frames() {
        let queue = Arc::new(OutboundQueue::with_limits(2, 8));
        queue.push(frame("a")).unwrap();
        queue.push(frame("b")).unwrap();
        let producer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.push_waiting(frame("c")).await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !producer.is_finished(),
            "a full queue must make the producer wait"
        );
        assert_eq!(drain(&queue).await, ["a", "b"]);
        producer.await.unwrap().unwrap();
        assert_eq!(drain(&queue).await, ["c"]);
    }

    #[tokio::test]
    async fn a_batch_is_queued_in_order_and_stops_at_the_hard_limit() {
        let queue = OutboundQueue::with_limits(2, 4);
        queue.push(frame("a")).unwrap();
        queue.push_all([frame("b"), frame("c")]).unwrap();
        queue.push_all([]).unwrap();
        assert_eq!(drain(&queue).await, ["a", "b", "c"]);
        // Past the hard limit in the middle of a batch, the connection closes.
        assert_eq!(
            queue.push_all(["1", "2", "3", "4", "5"].map(frame)),
            Err(Closed)
        );
        assert!(queue.is_closed());
        assert_eq!(queue.push_all([frame("x")]), Err(Closed));
    }

    #[tokio::test]
    async fn plain_push_goes_past_capacity_up_to_the_hard_limit() {
        let queue = OutboundQueue::with_limits(1, 3);
        for text in ["a", "b", "c"] {
            queue.push(frame(text)).unwrap();
        }
        assert_eq!(queue.push(frame("d")), Err(Closed));
        assert!(queue.is_closed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_queue_full_past_the_limit_counts_as_stalled() {
        let queue = OutboundQueue::with_limits(1, 8);
        queue.push(frame("a")).unwrap();
        assert!(!queue.stalled_for(STALL_LIMIT));
        tokio::time::advance(STALL_LIMIT).await;
        assert!(queue.stalled_for(STALL_LIMIT));
        drain(&queue).await;
        assert!(!queue.stalled_for(STALL_LIMIT));
    }

    #[tokio::test]
    async fn close_hands_over_what_is_queued_then_ends() {
        let queue = OutboundQueue::with_limits(4, 8);
        queue.push(frame("a")).unwrap();
        queue.close();
        assert_eq!(queue.push(frame("b")), Err(Closed));
        assert_eq!(queue.push_waiting(frame("b")).await, Err(Closed));
        assert_eq!(drain(&queue).await, ["a"]);
        let mut batch = Vec::new();
        assert!(!queue.next_batch(&mut batch).await);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_queue_never_closes_and_holds_its_producers_back() {
        let queue = Arc::new(OutboundQueue::with_byte_limits(
            2,
            3,
            1000,
            2000,
            SlowReader::Wait,
        ));
        for text in ["a", "b", "c", "d"] {
            queue.push(frame(text)).unwrap();
        }
        // Past the hard limit and stalled for ages: still open, and nothing is lost.
        tokio::time::advance(STALL_LIMIT * 100).await;
        assert!(!queue.is_closed());
        let room = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.wait_for_room().await }
        });
        let reading = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.wait_below_hard_limit().await }
        });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !room.is_finished(),
            "a thread must wait while the queue is full"
        );
        assert!(
            !reading.is_finished(),
            "input must wait past the hard limit"
        );
        assert_eq!(drain(&queue).await, ["a", "b", "c", "d"]);
        room.await.unwrap();
        reading.await.unwrap();
    }

    #[tokio::test]
    async fn a_disconnecting_queue_never_holds_its_producers_back() {
        let queue = OutboundQueue::with_limits(1, 8);
        queue.push(frame("a")).unwrap();
        queue.push(frame("b")).unwrap();
        queue.wait_for_room().await;
        queue.wait_below_hard_limit().await;
    }

    #[tokio::test]
    async fn close_releases_a_waiting_producer() {
        let queue = Arc::new(OutboundQueue::with_limits(1, 8));
        queue.push(frame("a")).unwrap();
        let producer = tokio::spawn({
            let queue = Arc::clone(&queue);
            async move { queue.push_waiting(frame("b")).await }
        });
        tokio::task::yield_now().await;
        queue.abandon();
        assert_eq!(producer.await.unwrap(), Err(Closed));
    }
}
