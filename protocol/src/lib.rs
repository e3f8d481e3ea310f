//! Domain types shared by the agent core and the app-server protocol: ids, conversation items,
//! model-facing items, sandbox and approval policies, and the legacy event stream.
//!
//! Everything here is plain data with serde, ts-rs and schemars derives; the crate does no IO.

pub mod account;
pub mod approvals;
pub mod config_types;
pub mod custom_prompts;
pub mod dynamic_tools;
pub mod items;
pub mod mcp;
pub mod models;
pub mod openai_models;
pub mod parse_command;
pub mod plan_tool;
pub mod protocol;
pub mod request_user_input;
mod thread_id;
pub mod user_input;
pub mod writable_roots;

pub use thread_id::ThreadId;
