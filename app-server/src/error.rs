//! The JSON-RPC errors the server answers with, and their codes.
//!
//! Codes follow JSON-RPC 2.0 where it has one (the reference answers -32600 for everything);
//! messages for the reference's domain errors keep its wording, since clients show them to users.

use codex_app_server_protocol::JSONRPCErrorError;

pub(crate) const PARSE_ERROR: i64 = -32700;
pub(crate) const INVALID_REQUEST: i64 = -32600;
pub(crate) const METHOD_NOT_FOUND: i64 = -32601;
pub(crate) const INVALID_PARAMS: i64 = -32602;
pub(crate) const INTERNAL_ERROR: i64 = -32603;
/// Not in JSON-RPC 2.0 itself; in its range for server errors.
pub(crate) const OVERLOADED: i64 = -32001;

fn error(code: i64, message: impl Into<String>) -> JSONRPCErrorError {
    JSONRPCErrorError {
        code,
        data: None,
        message: message.into(),
    }
}

pub(crate) fn parse_error(detail: impl std::fmt::Display) -> JSONRPCErrorError {
    error(PARSE_ERROR, format!("Parse error: {detail}"))
}

pub(crate) fn invalid_request(message: impl Into<String>) -> JSONRPCErrorError {
    error(INVALID_REQUEST, message)
}

pub(crate) fn not_initialized() -> JSONRPCErrorError {
    invalid_request("Not initialized")
}

pub(crate) fn already_initialized() -> JSONRPCErrorError {
    invalid_request("Already initialized")
}

pub(crate) fn experimental_required(feature: &str) -> JSONRPCErrorError {
    invalid_request(format!("{feature} requires experimentalApi capability"))
}

pub(crate) fn method_not_found(method: &str) -> JSONRPCErrorError {
    error(METHOD_NOT_FOUND, format!("Method not found: {method}"))
}

pub(crate) fn invalid_params(detail: impl std::fmt::Display) -> JSONRPCErrorError {
    error(INVALID_PARAMS, format!("Invalid params: {detail}"))
}

pub(crate) fn internal_error(message: impl Into<String>) -> JSONRPCErrorError {
    error(INTERNAL_ERROR, message)
}

pub(crate) fn overloaded() -> JSONRPCErrorError {
    error(OVERLOADED, "Server overloaded; retry later.")
}

/// A thread id that is not a UUID.
pub(crate) fn invalid_thread_id(detail: impl std::fmt::Display) -> JSONRPCErrorError {
    invalid_request(format!("invalid thread id: {detail}"))
}

/// A thread that is neither running nor stored (`thread/read`).
pub(crate) fn thread_not_loaded(id: impl std::fmt::Display) -> JSONRPCErrorError {
    invalid_request(format!("thread not loaded: {id}"))
}

/// A thread that is not running (`turn/start` and other methods on a loaded thread).
pub(crate) fn thread_not_found(id: impl std::fmt::Display) -> JSONRPCErrorError {
    invalid_request(format!("thread not found: {id}"))
}

/// A thread with no rollout in the store (`thread/resume`, `thread/archive`).
pub(crate) fn no_rollout(id: impl std::fmt::Display) -> JSONRPCErrorError {
    invalid_request(format!("no rollout found for thread id {id}"))
}

/// A thread with no archived rollout (`thread/unarchive`).
pub(crate) fn no_archived_rollout(id: impl std::fmt::Display) -> JSONRPCErrorError {
    invalid_request(format!("no archived rollout found for thread id {id}"))
}
