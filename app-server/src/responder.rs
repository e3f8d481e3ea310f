//! How a handler answers: the [`Responder`] that guarantees exactly one answer per request,
//! and the [`RequestContext`] every handler receives. Kept apart from `dispatch` so that the
//! handlers the dispatcher calls never import back from it.

use std::sync::Arc;
use std::time::Instant;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::RequestId;
use codex_utils_elapsed::format_duration;
use serde::Serialize;

use crate::codec;
use crate::connection::Connection;
use crate::error;
use crate::state::ServerState;

/// Answers one request. Dropping it unanswered (a handler that returned without replying, or
/// panicked) sends an internal error, so every request gets exactly one answer.
#[derive(Debug)]
pub(crate) struct Responder {
    connection: Arc<Connection>,
    id: Option<RequestId>,
    method: String,
    /// When the request was taken off the queue, for the log line of its answer.
    received: Instant,
}

impl Responder {
    pub(crate) fn new(connection: Arc<Connection>, id: RequestId, method: String) -> Self {
        Self {
            connection,
            id: Some(id),
            method,
            received: Instant::now(),
        }
    }

    /// Sends the answer, waiting for room in the outbound queue: a client that does not read
    /// its answers slows its own requests down instead of growing the queue.
    pub(crate) async fn respond<T: Serialize>(mut self, result: Result<T, JSONRPCErrorError>) {
        let Some(id) = self.id.take() else {
            return;
        };
        tracing::debug!(
            method = %self.method,
            %id,
            ok = result.is_ok(),
            took = %format_duration(self.received.elapsed()),
            "answered"
        );
        let frame = answer_frame(&id, result);
        // A closed queue means the client is gone; there is no one left to answer.
        let _ = self.connection.outbound.push_waiting(frame).await;
    }

    /// Sends the answer without waiting for room, for an answer that must be queued before
    /// what follows it (a replay, under the thread's journal lock).
    pub(crate) fn respond_now<T: Serialize>(mut self, result: Result<T, JSONRPCErrorError>) {
        let Some(id) = self.id.take() else {
            return;
        };
        tracing::debug!(method = %self.method, %id, ok = result.is_ok(), "answered");
        let _ = self.connection.outbound.push(answer_frame(&id, result));
    }

    pub(crate) async fn fail(self, error: JSONRPCErrorError) {
        self.respond::<()>(Err(error)).await;
    }
}

/// The answer to request `id`.
fn answer_frame<T: Serialize>(
    id: &RequestId,
    result: Result<T, JSONRPCErrorError>,
) -> crate::outbound::Frame {
    match result.map(|value| codec::response(id, &value)) {
        Ok(Ok(frame)) => frame,
        Ok(Err(err)) => codec::error_response(
            Some(id),
            &error::internal_error(format!("failed to serialise the result: {err}")),
        ),
        Err(error) => codec::error_response(Some(id), &error),
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            tracing::error!(method = %self.method, %id, "request ended without an answer");
            let error = error::internal_error(format!(
                "internal error: {} failed before answering",
                self.method
            ));
            let _ = self
                .connection
                .outbound
                .push(codec::error_response(Some(&id), &error));
        }
    }
}

/// What a handler gets: the server, the connection the request came on, and the means to answer.
pub(crate) struct RequestContext {
    pub state: Arc<ServerState>,
    pub connection: Arc<Connection>,
    pub responder: Responder,
}
