//! `codex mcp-server`: the agent offered to MCP hosts (desktop assistants, editors, other
//! agents) as two tools over stdio, `codex` to start a thread with a prompt and `codex-reply`
//! to continue one, on the same agent core and configuration as the app server.
//!
//! `server` answers the MCP requests (on rmcp), `call` runs a tool call's turn and forwards its
//! events as `codex/event` notifications, `approval` asks the host before commands and patches
//! through `elicitation/create`, `tools` holds the tools' definitions and arguments,
//! `transport` adds the reference's user agent to the `initialize` answer and hands
//! cancellations of running calls to `cancel`, so that those calls are still answered.
//!
//! Unlike the reference, every call ends: approvals time out as denied, and a cancelled call
//! is answered once its turn has stopped.

mod approval;
mod call;
mod cancel;
mod server;
mod tools;
mod transport;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use codex_config::ConfigPaths;
use codex_config::ConfigService;
use codex_config::SessionFlags;
use codex_core::McpRuntime;
use codex_core::thread::ThreadManager;
use codex_core::thread::ThreadManagerOptions;
use codex_core::thread::configured_model_clients;
use codex_protocol::protocol::SessionSource;
use codex_rollout::RolloutStore;
use codex_tools::CodexTools;
use codex_tools::ToolsConfig;
use codex_utils_absolute_path::AbsolutePathBuf;
use codex_utils_user_agent::Platform;
use rmcp::ServiceExt;

use crate::cancel::CallCancellations;
use crate::server::CodexMcpServer;
use crate::server::Gate;
use crate::transport::HostTransport;

/// How to run the server.
#[derive(Debug)]
pub struct McpServerOptions {
    /// Session flags: `-c key=value` overrides and feature toggles, as dotted keys with TOML
    /// values, later ones winning.
    pub config_overrides: Vec<(String, toml::Value)>,
    /// Hands the memory the allocator keeps for reuse back to the system; called when a tool
    /// call's turn ends, before the host gets the result. The binary supplies it because only
    /// the binary knows its allocator.
    pub release_memory: fn(),
}

/// How long the server waits at exit for its threads to stop and write their rollouts.
const THREAD_SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);

/// Serves one host on stdin and stdout until stdin closes or SIGTERM/SIGINT arrives; then
/// interrupts the running turns and waits (briefly) for their rollouts to be written.
pub async fn run(options: McpServerOptions) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let cwd = AbsolutePathBuf::from_absolute_path(&cwd)
        .context("failed to read the current directory")?;
    let paths = ConfigPaths::from_env(&cwd)?;
    Platform::start_detecting(paths.codex_home.as_path());
    let flags = SessionFlags::new(options.config_overrides, &cwd)?;
    let config = ConfigService::new(paths, flags)?;
    let codex_home = config.paths().codex_home.to_path_buf();
    let approval_timeout = approval_timeout(&config, &cwd).await;
    let manager = start_agent(codex_home, config).await?;

    let calls = Arc::new(CallCancellations::default());
    let server = CodexMcpServer::new(
        Arc::clone(&manager),
        cwd.to_path_buf(),
        approval_timeout,
        Arc::clone(&calls),
        options.release_memory,
    );
    let transport = HostTransport::new(
        rmcp::transport::async_rw::AsyncRwTransport::new_server(
            tokio::io::stdin(),
            tokio::io::stdout(),
        ),
        Platform::current().clone(),
        calls,
    );
    let served = match Gate(server).serve(transport).await {
        Ok(service) => {
            let stop = service.cancellation_token();
            let waiting = service.waiting();
            tokio::pin!(waiting);
            tokio::select! {
                quit = &mut waiting => quit.map(drop).context("the MCP service failed"),
                () = terminated() => {
                    stop.cancel();
                    waiting.await.map(drop).context("the MCP service failed")
                }
            }
        }
        // A host that leaves before `initialize` ends the server as stdin's end does.
        Err(err) => {
            tracing::info!("no MCP session: {err}");
            Ok(())
        }
    };
    let unload_all = async {
        for id in manager.loaded() {
            if let Err(err) = manager.unload(id).await {
                tracing::warn!(thread = %id, "cannot shut the thread down: {err}");
            }
        }
    };
    if tokio::time::timeout(THREAD_SHUTDOWN_LIMIT, unload_all)
        .await
        .is_err()
    {
        tracing::warn!("threads still running at exit");
    }
    served
}

/// The `[mcp_server] elicitation_timeout_sec` of the config the server starts with.
async fn approval_timeout(config: &ConfigService, cwd: &AbsolutePathBuf) -> Duration {
    let config = config.clone();
    let cwd = cwd.clone();
    let seconds = tokio::task::spawn_blocking(move || {
        let stack = config.load(Some(&cwd));
        for warning in stack.warnings() {
            tracing::warn!("{}", warning.summary);
        }
        stack
            .resolve()
            .ok()
            .and_then(|resolved| resolved.config.mcp_server)
            .and_then(|section| section.elicitation_timeout_sec)
    })
    .await
    .ok()
    .flatten();
    match seconds.and_then(|seconds| Duration::try_from_secs_f64(seconds).ok()) {
        Some(timeout) => timeout,
        None => {
            if let Some(seconds) = seconds {
                tracing::warn!(
                    "mcp_server.elicitation_timeout_sec = {seconds} is not a duration; using {} s",
                    approval::DEFAULT_TIMEOUT.as_secs()
                );
            }
            approval::DEFAULT_TIMEOUT
        }
    }
}

/// The agent runtime, as the app server builds it, its threads recorded as the reference's
/// MCP server records them (source `mcp`, originator `codex_cli_rs`).
async fn start_agent(
    codex_home: PathBuf,
    config: ConfigService,
) -> anyhow::Result<Arc<ThreadManager>> {
    let codex_exe = match std::env::current_exe() {
        Ok(path) => Some(path),
        Err(err) => {
            tracing::warn!(
                "cannot find the running executable; sandboxed commands are refused: {err}"
            );
            None
        }
    };
    let home = codex_home.clone();
    let store = tokio::task::spawn_blocking(move || RolloutStore::open_in_background(&home))
        .await
        .context("the thread store task failed")?
        .with_context(|| format!("cannot open the thread store in {}", codex_home.display()))?;
    let auth = {
        let config = config.clone();
        let codex_home = codex_home.clone();
        tokio::task::spawn_blocking(move || {
            let resolved = config.load(None).resolve().ok();
            let mode = resolved
                .and_then(|resolved| resolved.config.cli_auth_credentials_store)
                .unwrap_or_default();
            codex_login::AuthManager::new(codex_home, mode)
        })
        .await
        .context("the credentials task failed")?
    };
    let options = ThreadManagerOptions {
        models: configured_model_clients(Arc::clone(&auth)),
        codex_home: codex_home.clone(),
        store,
        config,
        tools: Arc::new(CodexTools::new(ToolsConfig {
            sandbox_launcher: codex_exe.clone(),
        })),
        originator: "codex_cli_rs".to_owned(),
        cli_version: env!("CARGO_PKG_VERSION").to_owned(),
        source: SessionSource::Mcp,
        mcp: McpRuntime {
            codex_exe,
            pool: None,
            oauth_home: Some(codex_home),
            auth: Some(auth),
        },
    };
    // Building installs the bundled skills on disk.
    tokio::task::spawn_blocking(move || Arc::new(ThreadManager::new(options)))
        .await
        .context("the thread manager task failed")
}

/// Resolves on SIGTERM or SIGINT.
async fn terminated() {
    use tokio::signal::unix::SignalKind;
    use tokio::signal::unix::signal;
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot watch for SIGTERM and SIGINT");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
