//! `codex mcp-launch`: the hidden launcher stdio MCP servers run under, so that none outlives
//! the codex process that started it (see `codex_rmcp_client::launch`).

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct McpLaunchCommand {
    /// The codex process that started the launcher; the server dies with it.
    #[arg(long)]
    parent_pid: i32,

    /// The server's command and arguments, after `--`.
    #[arg(last = true, required = true)]
    command: Vec<OsString>,
}

pub fn run(command: McpLaunchCommand) -> ExitCode {
    let Some((program, args)) = command.command.split_first() else {
        return ExitCode::FAILURE;
    };
    match codex_rmcp_client::launch::run_launcher(command.parent_pid, program, args) {
        Ok(status) => ExitCode::from(u8::try_from(status).unwrap_or(u8::MAX)),
        Err(error) => {
            crate::report(&anyhow::Error::new(error).context("mcp-launch failed"));
            ExitCode::FAILURE
        }
    }
}
