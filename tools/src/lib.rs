//! The agent's tools, and the seam between them and the turn loop: the loop hands every tool
//! call the model makes to a [`ToolRouter`] and sends the outputs back to the model in the next
//! request.
//!
//! [`CodexTools`] is the real router: commands (`exec_command`/`write_stdin`, or `shell_command`
//! /`shell`), `apply_patch`, `update_plan` and the rest, offered per model family
//! ([`model_family::ModelFamily`]), and the tools of the thread's MCP servers
//! ([`McpServers`]). [`NoTools`] offers none and answers any call with an error output, so a
//! model that calls a tool anyway learns that it cannot and can still answer.
//!
//! A thread's tools keep state across calls and turns ([`ThreadToolState`]): pending approvals,
//! what the user approved for the session, the processes that outlive a call, and the baseline
//! of the running turn's diff. They know nothing of threads: what they need of the turn comes
//! in a [`ToolContext`], and their events leave through its [`EventSink`].

mod apply_patch;
mod approval;
mod call;
mod client;
mod context;
mod events;
mod exec;
pub mod exec_policy;
mod framing;
mod image;
mod mcp;
pub mod model_family;
mod one_off;
mod parse_command;
mod pending;
mod plan;
mod process;
mod router;
mod safe_commands;
mod shell;
mod spec;
mod state;
mod truncate;
mod unified_exec;

pub use call::NoTools;
pub use call::ToolCall;
pub use call::ToolOffer;
pub use call::ToolPayload;
pub use call::ToolRouter;
pub use client::DynamicTool;
pub use context::ToolContext;
pub use events::EventSink;
pub use image::image_data_url;
pub use mcp::McpServers;
pub use mcp::McpTool;
pub use mcp::NoMcpServers;
pub use mcp::Page;
pub use mcp::ResourceContents;
pub use one_off::DEFAULT_ONE_OFF_TIMEOUT;
pub use one_off::OneOffCommand;
pub use one_off::OneOffError;
pub use one_off::OneOffOutput;
pub use one_off::run_one_off;
pub use parse_command::parse_command;
pub use router::CodexTools;
pub use router::ToolsConfig;
pub use state::DynamicToolOutput;
pub use state::ThreadToolState;
pub use state::UserInputAnswers;
