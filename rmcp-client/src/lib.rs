//! The agent's MCP client, on rmcp: the user's `[mcp_servers]` started per thread, their tools
//! offered to the model, their resources read, and OAuth logins for streamable HTTP servers.

pub mod oauth;
