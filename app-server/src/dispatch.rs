//! From a decoded request to exactly one answer: the handshake rules, the experimental gate,
//! typed params, the handler, and the guarantee that a failing handler still answers.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ParseError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::experimental_feature_used;
use futures::FutureExt;
use serde::Serialize;

use crate::codec;
use crate::connection::Connection;
use crate::error;
use crate::handlers;
use crate::state::ServerState;

/// A request taken off the wire, waiting in the connection's ingress queue.
#[derive(Debug)]
pub(crate) struct PendingRequest {
    pub id: RequestId,
    pub method: String,
    pub params: Option<serde_json::Value>,
}

/// Answers one request. Dropping it unanswered (a handler that returned without replying, or
/// panicked) sends an internal error, so every request gets exactly one answer.
#[derive(Debug)]
pub(crate) struct Responder {
    connection: Arc<Connection>,
    id: Option<RequestId>,
    method: String,
}

impl Responder {
    fn new(connection: Arc<Connection>, id: RequestId, method: String) -> Self {
        Self {
            connection,
            id: Some(id),
            method,
        }
    }

    /// Sends the answer, waiting for room in the outbound queue: a client that does not read
    /// its answers slows its own requests down instead of growing the queue.
    pub(crate) async fn respond<T: Serialize>(mut self, result: Result<T, JSONRPCErrorError>) {
        let Some(id) = self.id.take() else {
            return;
        };
        let frame = match result.map(|value| codec::response(&id, &value)) {
            Ok(Ok(frame)) => frame,
            Ok(Err(err)) => codec::error_response(
                Some(&id),
                &error::internal_error(format!("failed to serialise the result: {err}")),
            ),
            Err(error) => codec::error_response(Some(&id), &error),
        };
        // A closed queue means the client is gone; there is no one left to answer.
        let _ = self.connection.outbound.push_waiting(frame).await;
    }

    pub(crate) async fn fail(self, error: JSONRPCErrorError) {
        self.respond::<()>(Err(error)).await;
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

/// Handles one request to completion (or until its handler hands the responder to a task of its
/// own). Never panics: a panicking handler is answered with an internal error.
pub(crate) async fn dispatch(
    state: &Arc<ServerState>,
    connection: &Arc<Connection>,
    request: PendingRequest,
) {
    let PendingRequest { id, method, params } = request;
    let responder = Responder::new(Arc::clone(connection), id.clone(), method.clone());

    let is_initialize = method == "initialize";
    match connection.session() {
        None if !is_initialize => return responder.fail(error::not_initialized()).await,
        Some(_) if is_initialize => return responder.fail(error::already_initialized()).await,
        Some(session) if !session.experimental_api => {
            if let Some(feature) = experimental_feature_used(&method, params.as_ref()) {
                return responder.fail(error::experimental_required(&feature)).await;
            }
        }
        _ => {}
    }

    let request = match ClientRequest::from_parts(id, &method, params) {
        Ok(request) => request,
        Err(ParseError::UnknownMethod(method)) => {
            return responder.fail(error::method_not_found(&method)).await;
        }
        Err(ParseError::InvalidParams(err)) => {
            return responder.fail(error::invalid_params(err)).await;
        }
    };

    let context = RequestContext {
        state: Arc::clone(state),
        connection: Arc::clone(connection),
        responder,
    };
    // The responder travels inside the future; if the handler panics, the future is dropped
    // after the unwind is caught and the responder answers for it.
    if let Err(panic) = AssertUnwindSafe(handlers::handle(context, request))
        .catch_unwind()
        .await
    {
        tracing::error!(%method, "request handler panicked: {}", panic_message(&*panic));
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}
