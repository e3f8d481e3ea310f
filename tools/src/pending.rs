//! Requests that wait for an answer from outside the tools (an approval, a client tool's
//! output), keyed by call id. The agent delivers answers with [`Pending::resolve`]; a call that
//! stops waiting (answered, or dropped because the turn was interrupted) removes its entry.

use std::collections::HashMap;
use std::sync::Mutex;

use codex_utils_lock::lock;
use tokio::sync::oneshot;

/// Requests waiting for a `T`, by id.
pub(crate) struct Pending<T>(Mutex<HashMap<String, oneshot::Sender<T>>>);

impl<T> Default for Pending<T> {
    fn default() -> Pending<T> {
        Pending(Mutex::new(HashMap::new()))
    }
}

impl<T> Pending<T> {
    /// Starts waiting for the answer to `id`. Register before sending the request, so an answer
    /// that arrives at once finds its waiter.
    pub(crate) fn wait_for(&self, id: &str) -> Waiter<'_, T> {
        let (sender, receiver) = oneshot::channel();
        lock(&self.0).insert(id.to_owned(), sender);
        Waiter {
            pending: self,
            id: id.to_owned(),
            receiver,
        }
    }

    /// Delivers the answer to `id`; whether a request was waiting for it.
    pub(crate) fn resolve(&self, id: &str, answer: T) -> bool {
        match lock(&self.0).remove(id) {
            Some(sender) => sender.send(answer).is_ok(),
            None => false,
        }
    }
}

/// One waiting request; dropping it removes the entry.
pub(crate) struct Waiter<'a, T> {
    pending: &'a Pending<T>,
    id: String,
    receiver: oneshot::Receiver<T>,
}

impl<T> Waiter<'_, T> {
    /// The answer; `None` when none can come any more.
    pub(crate) async fn answer(mut self) -> Option<T> {
        (&mut self.receiver).await.ok()
    }
}

impl<T> Drop for Waiter<'_, T> {
    fn drop(&mut self) {
        lock(&self.pending.0).remove(&self.id);
    }
}
