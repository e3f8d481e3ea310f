//! The agent: threads, the turn loop, and what the model is told.
//!
//! The core speaks in domain types (`codex_protocol`): it takes user input and emits
//! `EventMsg`s per thread. It knows nothing of JSON-RPC or connections; the app server maps its
//! events onto the wire.
//!
//! Entry point: [`thread::ThreadManager`] starts, resumes and forks [`thread::CodexThread`]s;
//! each takes [`thread::Op`]s and reports [`thread::Event`]s. Each thread starts its own MCP
//! servers ([`McpRuntime`] is what they share).

pub mod collaboration_modes;
mod exec_policy;
pub mod git_diff;
mod git_info;
mod history;
pub mod instructions;
mod mcp;
pub mod review;
mod session;
mod settings;
pub mod skills;
pub mod thread;
mod turn;
mod web_search;

pub use exec_policy::rules_warning;
pub use mcp::McpRuntime;
pub use mcp::McpServerSet;
pub use settings::ThreadSettings;
pub use web_search::WebSearchSettings;
