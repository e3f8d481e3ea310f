//! The `codex` command: the entry point IDEs start as `codex app-server`.
//!
//! This file holds only the top-level command line and the mapping from outcomes to exit
//! statuses; each subcommand lives in its own module.

mod allocator;
mod app_server;
mod listen;
mod logging;
mod mcp_launch;
mod mcp_server;
// `build.rs`'s linker script, tested here: a build script has no tests of its own.
#[cfg(test)]
#[path = "../build/hot_layout.rs"]
mod hot_layout;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod pow;
mod relocations;
mod sandbox;
mod serve;

use std::process::ExitCode;

use clap::Parser;
use clap::Subcommand;

use crate::app_server::AppServerCommand;
use crate::mcp_launch::McpLaunchCommand;
use crate::mcp_server::McpServerCommand;
use crate::sandbox::SandboxCommand;

/// The allocator, configured in `.cargo/config.toml`: glibc's malloc keeps freed memory in an
/// arena per thread, so a long session's transient copies of its history stayed resident.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Codex, driven from the command line.
///
/// Editors and other tools start `codex app-server` and speak JSON-RPC with it; the other
/// subcommands are for people working on those clients.
#[derive(Debug, Parser)]
#[command(
    name = "codex-cli",
    bin_name = "codex",
    version,
    subcommand_required = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the app server that editors talk to over JSON-RPC, or generate its client bindings.
    AppServer(AppServerCommand),

    /// Run the agent as an MCP server on stdin and stdout, for MCP hosts: tools `codex` and
    /// `codex-reply`.
    McpServer(McpServerCommand),

    /// Run a command inside the sandbox the agent's tools use, to see what it allows.
    Sandbox(SandboxCommand),

    /// Run an MCP server so that it dies with the codex process that started it (internal).
    #[command(hide = true)]
    McpLaunch(McpLaunchCommand),
}

fn main() -> ExitCode {
    relocations::release();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::AppServer(command) => app_server::run(command),
        Command::McpServer(command) => mcp_server::run(command),
        Command::Sandbox(command) => sandbox::run(command),
        Command::McpLaunch(command) => return mcp_launch::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::FAILURE
        }
    }
}

#[expect(
    clippy::print_stderr,
    reason = "a binary reports its fatal errors on stderr"
)]
fn report(error: &anyhow::Error) {
    // `{:#}` prints the whole context chain on one line: "what we were doing: why it failed".
    eprintln!("error: {error:#}");
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
