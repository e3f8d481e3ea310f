//! The agent: model clients, the turn loop, and threads.
//!
//! The core speaks in domain types (`codex_protocol`): it takes user input and emits
//! `EventMsg`s per thread. It knows nothing of JSON-RPC or connections; the app server maps its
//! events onto the wire.

pub mod auth;
pub mod client;
pub mod model;
pub mod provider;
