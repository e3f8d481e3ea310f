//! The entry point of the `jsonrpc` fuzz target in `fuzz/` (built only with the `fuzzing`
//! feature): what the server does with one frame before any handler runs, without a connection
//! around it.

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::experimental_feature_used;
use serde_json::Value;

use crate::codec;
use crate::codec::Incoming;

/// Decodes `text` as the connection reader does and, for a request, checks the experimental
/// gate and builds the typed request as the dispatcher does. Panics when an invariant the
/// server relies on breaks: every refusal is answered with a JSON object, and a typed request
/// that was accepted can be written out and read back.
pub fn decode_frame(text: &str) {
    match codec::decode(text) {
        Ok(Incoming::Request { id, method, params }) => {
            let _ = experimental_feature_used(&method, params.as_ref());
            let Ok(request) = ClientRequest::from_parts(id, &method, params) else {
                return;
            };
            let written = match serde_json::to_value(&request) {
                Ok(Value::Object(written)) => written,
                other => panic!("{method} was accepted but written as {other:?}"),
            };
            let params = written.get("params").cloned();
            if let Err(err) = ClientRequest::from_parts(request.id().clone(), &method, params) {
                panic!("{method} was accepted but its own writing is refused: {err:?}");
            }
        }
        Ok(Incoming::Notification { .. } | Incoming::Response { .. } | Incoming::Error { .. }) => {}
        Err(rejected) => {
            let answer = codec::error_response(rejected.id.as_ref(), &rejected.error);
            if !matches!(serde_json::from_str::<Value>(&answer), Ok(Value::Object(_))) {
                panic!("the refusal of {text:?} is not a JSON object: {answer}");
            }
        }
    }
}
