//! Cancelling tool calls so that they are still answered.
//!
//! rmcp follows the MCP specification: once a host cancels a request, its handler is told and
//! its response is dropped. Hosts that wait for an answer anyway then wait forever, as they do
//! with the reference. So the transport keeps `notifications/cancelled` for running
//! `tools/call`s from rmcp and cancels the call's own token here instead: the call stops its
//! turn and answers, and rmcp sends the answer like any other.

use std::collections::HashMap;
use std::sync::Mutex;

use codex_utils_lock::lock;
use rmcp::model::RequestId;
use tokio_util::sync::CancellationToken;

/// The running `tools/call`s, by request id, with the token each one watches.
#[derive(Debug, Default)]
pub(crate) struct CallCancellations {
    calls: Mutex<HashMap<RequestId, CancellationToken>>,
}

impl CallCancellations {
    /// A `tools/call` arrived: it can be cancelled from now on (before its handler runs).
    pub(crate) fn arrived(&self, id: RequestId) {
        lock(&self.calls).insert(id, CancellationToken::new());
    }

    /// The call answered; a late cancellation finds nothing.
    pub(crate) fn answered(&self, id: &RequestId) {
        lock(&self.calls).remove(id);
    }

    /// Cancels the call `id`; false when no such call runs (the cancellation is rmcp's to
    /// handle then).
    pub(crate) fn cancel(&self, id: &RequestId) -> bool {
        match lock(&self.calls).get(id) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// The token the call `id` watches.
    pub(crate) fn token(&self, id: &RequestId) -> CancellationToken {
        lock(&self.calls).entry(id.clone()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::NumberOrString;

    use super::*;

    #[test]
    fn a_cancellation_reaches_the_call_it_names_until_the_call_answers() {
        let calls = CallCancellations::default();
        let id = NumberOrString::Number(2);
        assert!(!calls.cancel(&id));
        calls.arrived(id.clone());
        let token = calls.token(&id);
        assert!(!token.is_cancelled());
        assert!(calls.cancel(&id));
        assert!(token.is_cancelled());
        calls.answered(&id);
        assert!(!calls.cancel(&id));
    }
}
