//! From the core's legacy event stream (`codex_protocol::protocol::EventMsg`) to the v2 wire:
//! `convert` spells single values, `history` rebuilds a stored thread's turns and items, `live` maps a running thread's events
//! to notifications, `tools` spells the items of commands, patches and plans.

pub(crate) mod convert;
pub(crate) mod history;
pub(crate) mod tools;
