//! `command/exec` (v2) and `execOneOffCommand` (v1): one command run outside any thread, under
//! the request's sandbox policy or else the configured one (`sandbox_mode` with its
//! `sandbox_workspace_write` table; read-only when nothing is configured).
//!
//! The command runs in a task of its own that holds the responder, so the connection's next
//! requests are not held up while it runs.

use std::path::PathBuf;
use std::sync::Arc;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v1 as wire_v1;
use codex_app_server_protocol::v2;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::protocol::SandboxPolicy;
use codex_tools::DEFAULT_ONE_OFF_TIMEOUT;
use codex_tools::OneOffCommand;
use codex_tools::OneOffOutput;
use codex_tools::run_one_off;

use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;
use crate::state::sandbox_launcher;
use crate::wire::command;
use crate::wire::command::CommandRequest;

pub(crate) async fn exec(context: RequestContext, params: v2::CommandExecParams) {
    answer_in_background(context, command::v2_request(params), command::v2_response);
}

pub(crate) async fn exec_one_off(
    context: RequestContext,
    params: wire_v1::ExecOneOffCommandParams,
) {
    answer_in_background(context, command::v1_request(params), command::v1_response);
}

/// Runs the command in a task of its own, so the connection's next request is not held up,
/// and answers with its output in the method's response type.
fn answer_in_background<R: serde::Serialize + Send + 'static>(
    context: RequestContext,
    request: CommandRequest,
    response: fn(OneOffOutput) -> R,
) {
    let RequestContext {
        state, responder, ..
    } = context;
    tokio::spawn(async move {
        let result = run(&state, request).await.map(response);
        responder.respond(result).await;
    });
}

async fn run(
    state: &Arc<ServerState>,
    request: CommandRequest,
) -> Result<OneOffOutput, JSONRPCErrorError> {
    if request.command.is_empty() {
        return Err(error::invalid_request("command must not be empty"));
    }
    let base = state.config.cwd.as_path();
    let cwd = match &request.cwd {
        Some(cwd) => base.join(cwd),
        None => base.to_path_buf(),
    };
    let sandbox_policy = match request.sandbox_policy {
        Some(policy) => policy,
        None => configured_policy(state, cwd.clone()).await?,
    };
    run_one_off(OneOffCommand {
        argv: request.command,
        cwd,
        sandbox_policy,
        timeout: request.timeout.unwrap_or(DEFAULT_ONE_OFF_TIMEOUT),
        sandbox_launcher: sandbox_launcher(),
    })
    .await
    .map_err(|err| error::internal_error(format!("exec failed: {err}")))
}

/// The sandbox policy the config gives commands run in `cwd`.
async fn configured_policy(
    state: &Arc<ServerState>,
    cwd: PathBuf,
) -> Result<SandboxPolicy, JSONRPCErrorError> {
    let service = state.config.service.clone();
    tokio::task::spawn_blocking(move || {
        let cwd = codex_utils_absolute_path::AbsolutePathBuf::from_absolute_path(&cwd).ok();
        let resolved = service
            .load(cwd.as_ref())
            .resolve()
            .map_err(|err| error::internal_error(format!("cannot read the config: {err}")))?;
        let mode = resolved.sandbox_mode.unwrap_or(SandboxMode::ReadOnly);
        Ok(codex_core::thread::sandbox_policy(mode, &resolved.config))
    })
    .await
    .map_err(|err| error::internal_error(format!("config task failed: {err}")))?
}
