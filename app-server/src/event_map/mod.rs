//! From the core's legacy event stream (`codex_protocol::protocol::EventMsg`) to the v2 wire:
//! `convert` spells single values, `history` rebuilds a stored thread's turns and items.

pub(crate) mod convert;
pub(crate) mod history;
