//! One-off commands (`command/exec`, v1 `execOneOffCommand`) between the wire and the tools.

use std::time::Duration;

use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use codex_protocol::protocol::SandboxPolicy;
use codex_tools::OneOffOutput;

use super::policy::sandbox_to_core;

/// What either method asks for, in the tools' terms; what is missing comes from the config.
pub(crate) struct CommandRequest {
    pub command: Vec<String>,
    pub timeout: Option<Duration>,
    /// Relative to the server's working directory.
    pub cwd: Option<String>,
    pub sandbox_policy: Option<SandboxPolicy>,
}

pub(crate) fn v2_request(params: v2::CommandExecParams) -> CommandRequest {
    CommandRequest {
        command: params.command,
        // A negative timeout counts as none given (the default applies), as in the reference.
        timeout: params
            .timeout_ms
            .and_then(|ms| u64::try_from(ms).ok())
            .map(Duration::from_millis),
        cwd: params.cwd,
        sandbox_policy: params.sandbox_policy.map(sandbox_to_core),
    }
}

pub(crate) fn v1_request(params: v1::ExecOneOffCommandParams) -> CommandRequest {
    CommandRequest {
        command: params.command,
        timeout: params.timeout_ms.map(Duration::from_millis),
        cwd: params.cwd,
        sandbox_policy: params.sandbox_policy,
    }
}

pub(crate) fn v2_response(output: OneOffOutput) -> v2::CommandExecResponse {
    v2::CommandExecResponse {
        exit_code: output.exit_code,
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

pub(crate) fn v1_response(output: OneOffOutput) -> v1::ExecOneOffCommandResponse {
    v1::ExecOneOffCommandResponse {
        exit_code: output.exit_code,
        stdout: output.stdout,
        stderr: output.stderr,
    }
}
