//! `codex mcp-server`: the agent as an MCP server on stdin and stdout, for MCP hosts.

use anyhow::Context;
use clap::Args;
use codex_mcp_server::McpServerOptions;
use codex_utils_cli::CliConfigOverrides;
use codex_utils_cli::FeatureToggles;

#[derive(Debug, Args)]
pub struct McpServerCommand {
    #[command(flatten)]
    config_overrides: CliConfigOverrides,

    #[command(flatten)]
    features: FeatureToggles,
}

pub fn run(command: McpServerCommand) -> anyhow::Result<()> {
    let McpServerCommand {
        config_overrides,
        features,
    } = command;
    let mut overrides = config_overrides
        .parse_overrides()
        .context("failed to parse -c/--config overrides")?;
    overrides.extend(features.to_overrides());

    crate::serve::serve(codex_mcp_server::run(McpServerOptions {
        config_overrides: overrides,
        release_memory: crate::allocator::release_memory,
    }))
}
