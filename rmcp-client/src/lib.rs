//! The agent's MCP client, on rmcp: the user's `[mcp_servers]` started per thread, their tools
//! offered to the model, their resources read, and OAuth logins for streamable HTTP servers.
//!
//! - [`manager::McpConnectionManager`]: one thread's servers, started in the background.
//! - [`pool::McpServerPool`]: the running connections `mcpServerStatus/list` reuses.
//! - [`client::McpClient`]: one connection to one server.
//! - [`launch`]: how stdio servers are started so that none outlives codex.
//! - [`naming`]: the `mcp__<server>__<tool>` names the model sees.
//! - [`oauth`]: OAuth logins and tokens for streamable HTTP servers.

pub mod client;
#[cfg(test)]
mod fake_server;
mod fresh_bearer;
pub mod launch;
pub mod manager;
pub mod naming;
pub mod oauth;
pub mod pool;

pub use client::BearerSource;
pub use client::ConnectOptions;
pub use client::ElicitationAction;
pub use client::ElicitationHandler;
pub use client::ElicitationRequest;
pub use client::ElicitationResponse;
pub use client::McpClient;
pub use codex_config::McpServerConfig;
pub use codex_config::McpServerTransportConfig;
pub use manager::McpConnectionManager;
pub use manager::McpEventSink;
pub use manager::McpStartOptions;
pub use manager::McpToolInfo;
pub use pool::McpServerPool;
pub use pool::McpServerSnapshot;
