//! The transports a client can reach the server over. Each turns its own framing into the
//! frame source and sink that `session` drives.

mod head_deadline;
pub(crate) mod stdio;
pub(crate) mod websocket;
