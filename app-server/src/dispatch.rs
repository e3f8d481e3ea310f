//! From a decoded request to exactly one answer: the handshake rules, the experimental gate,
//! typed params, the handler, and the guarantee that a failing handler still answers.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::ParseError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::experimental_feature_used;
use futures::FutureExt;

use crate::connection::Connection;
use crate::error;
use crate::handlers;
use crate::responder::RequestContext;
use crate::responder::Responder;
use crate::state::ServerState;

/// A request taken off the wire, waiting in the connection's ingress queue.
#[derive(Debug)]
pub(crate) struct PendingRequest {
    pub id: RequestId,
    pub method: String,
    pub params: Option<serde_json::Value>,
}

/// Handles one request to completion (or until its handler hands the responder to a task of its
/// own). Never panics: a panicking handler is answered with an internal error.
pub(crate) async fn dispatch(
    state: &Arc<ServerState>,
    connection: &Arc<Connection>,
    request: PendingRequest,
) {
    answer(state, connection, request).await;
    // What the request took (a page of threads, a history read) is not kept once answered.
    (state.release_memory)();
}

async fn answer(state: &Arc<ServerState>, connection: &Arc<Connection>, request: PendingRequest) {
    let PendingRequest { id, method, params } = request;
    let responder = Responder::new(Arc::clone(connection), id.clone(), method.clone());

    let is_initialize = method == "initialize";
    match connection.handshake() {
        None if !is_initialize => return responder.fail(error::not_initialized()).await,
        Some(_) if is_initialize => return responder.fail(error::already_initialized()).await,
        Some(handshake) if !handshake.experimental_api => {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::sync::atomic::Ordering;

    use pretty_assertions::assert_eq;

    use super::*;
    use crate::outbound::SlowReader;

    static RELEASED: AtomicUsize = AtomicUsize::new(0);

    #[tokio::test]
    async fn memory_is_released_once_a_request_is_answered() {
        let root = tempfile::tempdir().unwrap();
        let mut state = ServerState::new(root.path());
        state.release_memory = || {
            RELEASED.fetch_add(1, Ordering::SeqCst);
        };
        let state = Arc::new(state);
        let connection = state.registry.open(SlowReader::Disconnect);
        let request = PendingRequest {
            id: RequestId::Integer(1),
            method: "thread/list".into(),
            params: None,
        };
        dispatch(&state, &connection, request).await;
        assert_eq!(RELEASED.load(Ordering::SeqCst), 1);
        connection.outbound.close();
        let mut answers = Vec::new();
        while connection.outbound.next_batch(&mut answers).await {}
        assert_eq!(answers.len(), 1);
    }
}
