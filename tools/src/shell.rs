//! Running a command the model asked for, whichever tool it used (`exec_command`,
//! `shell_command`, `shell`): patches hidden in commands go to `apply_patch`, the approval
//! policy is applied (ask, refuse, or run; under `on-failure`, ask to rerun outside the sandbox
//! when the sandbox seems to be what failed), then the command runs.

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::Instant;

use codex_apply_patch::PatchCommand;
use codex_protocol::approvals::ExecApprovalRequestEvent;
use codex_protocol::approvals::ExecPolicyAmendment;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ExecCommandSource;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::SandboxPolicy;
use codex_protocol::protocol::WarningEvent;
use codex_utils_lock::lock;

use crate::apply_patch;
use crate::approval;
use crate::approval::Escalation;
use crate::approval::ExecPlan;
use crate::approval::PolicyView;
use crate::approval::plan_exec;
use crate::context::ToolContext;
use crate::exec::ExecRequest;
use crate::exec::SpawnError;
use crate::exec::looks_sandbox_denied;
use crate::exec::spawn;
use crate::exec_policy::render_prefix;
use crate::framing::frame_exec_output;
use crate::framing::frame_exec_output_json;
use crate::parse_command::parse_command;
use crate::process::KillGuard;
use crate::unified_exec;
use crate::unified_exec::ExecCommandArgs;

/// The default time limit of `shell_command` and `shell`.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// The exit code reported for a command stopped at its time limit.
const TIMEOUT_EXIT_CODE: i32 = 124;

/// How the command runs and reports.
pub(crate) enum Mode<'a> {
    /// Run to the end (or the time limit) and report the exit code, wall time and output:
    /// as text (`Exit code: …`), or as the JSON object `shell` answers models without a
    /// freeform `apply_patch`.
    Shell {
        timeout_ms: Option<u64>,
        framing: ShellFraming,
    },
    /// Run until the yield time and report the unified exec framing.
    Unified(&'a ExecCommandArgs),
}

/// How a finished command is reported to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShellFraming {
    /// `Exit code: 0\nWall time: 0.1 seconds\nOutput:\n…`
    Text,
    /// `{"output":"…","metadata":{"exit_code":0,"duration_seconds":0.1}}`
    Json,
}

/// One command call.
pub(crate) struct CommandCall<'a> {
    pub(crate) call_id: &'a str,
    pub(crate) argv: Vec<String>,
    pub(crate) cwd: PathBuf,
    pub(crate) escalation: Escalation,
    pub(crate) mode: Mode<'a>,
}

struct Outcome {
    text: String,
    success: bool,
    exit_code: Option<i32>,
}

/// What the model is told when the user declines a command: the reference's words for each
/// tool (the unified-exec one is its error chain, which models know as is).
fn rejected_message(mode: &Mode<'_>) -> &'static str {
    match mode {
        Mode::Unified(_) => {
            "exec_command failed: CreateProcess { message: \"Rejected(\\\"rejected by user\\\")\" }"
        }
        Mode::Shell { .. } => "exec command rejected by user",
    }
}

/// Runs `call` under the turn's policies. Returns the model's text and success.
pub(crate) async fn run(
    context: &ToolContext,
    launcher: Option<&Path>,
    call: CommandCall<'_>,
) -> (String, bool) {
    match codex_apply_patch::parse_patch_command(&call.argv) {
        PatchCommand::ApplyPatch { patch, workdir } => {
            let cwd = match workdir {
                Some(dir) => call.cwd.join(dir),
                None => call.cwd.clone(),
            };
            return apply_patch::apply(context, call.call_id, &patch, &cwd).await;
        }
        PatchCommand::ImplicitPatch => {
            return (
                "patch detected without explicit call to apply_patch. Rerun as \
                 [\"apply_patch\", \"<patch>\"]"
                    .to_owned(),
                false,
            );
        }
        PatchCommand::NotApplyPatch => {}
    }
    let view = PolicyView::of(context, &call.argv);
    let sandboxed = match plan_exec(context, &call.argv, &call.escalation, &view) {
        ExecPlan::Refuse(message) => return (message, false),
        ExecPlan::Reject(reason) => return (rejected_by_policy(&call.mode, &reason), false),
        ExecPlan::Run { sandboxed } => sandboxed,
        ExecPlan::Ask {
            sandboxed,
            reason,
            amendment,
        } => {
            if !ask(context, &call, reason, amendment).await {
                return (rejected_message(&call.mode).to_owned(), false);
            }
            sandboxed
        }
    };
    let outcome = run_once(context, launcher, &call, sandboxed).await;
    let sandbox_applies = !matches!(
        context.sandbox_policy,
        SandboxPolicy::DangerFullAccess | SandboxPolicy::ExternalSandbox { .. }
    );
    let retry = sandboxed
        && sandbox_applies
        && matches!(context.approval_policy, AskForApproval::OnFailure)
        && outcome
            .exit_code
            .is_some_and(|code| looks_sandbox_denied(code, &outcome.text));
    if retry {
        let reason = Some("command failed; retry without sandbox?".to_owned());
        if ask(context, &call, reason, view.retry_amendment()).await {
            let outcome = run_once(context, launcher, &call, false).await;
            return (outcome.text, outcome.success);
        }
    }
    (outcome.text, outcome.success)
}

/// What the model is told when the execution policy refuses a command: the reason itself, or
/// for `exec_command` the reference's error chain around it.
fn rejected_by_policy(mode: &Mode<'_>, reason: &str) -> String {
    match mode {
        Mode::Unified(_) => {
            let rejected = format!("Rejected({reason:?})");
            format!("exec_command failed: CreateProcess {{ message: {rejected:?} }}")
        }
        Mode::Shell { .. } => reason.to_owned(),
    }
}

/// Asks the user about `call`, offering `amendment` as the prefix to allow from now on;
/// returns whether it may run. An accepted amendment is saved to the rules file (and put in
/// force) before the command runs; if saving fails the command still runs, with a warning.
async fn ask(
    context: &ToolContext,
    call: &CommandCall<'_>,
    reason: Option<String>,
    amendment: Option<Vec<String>>,
) -> bool {
    let request = EventMsg::ExecApprovalRequest(ExecApprovalRequestEvent {
        call_id: call.call_id.to_owned(),
        turn_id: context.turn_id.clone(),
        command: call.argv.clone(),
        cwd: call.cwd.display().to_string(),
        reason,
        proposed_execpolicy_amendment: amendment.map(ExecPolicyAmendment),
        parsed_cmd: parse_command(&call.argv),
    });
    let decision = approval::request(context, call.call_id, request).await;
    match decision {
        ReviewDecision::Approved => true,
        ReviewDecision::ApprovedExecpolicyAmendment {
            proposed_execpolicy_amendment,
        } => {
            save_amendment(context, &proposed_execpolicy_amendment.0).await;
            true
        }
        ReviewDecision::ApprovedForSession => {
            context
                .state
                .approvals
                .approve_for_session(&call.argv, call.escalation.prefix_rule.as_deref());
            true
        }
        ReviewDecision::Denied => false,
        ReviewDecision::Abort => {
            context.turn_cancel.cancel();
            false
        }
    }
}

/// Saves an approved prefix and tells the model, or warns that it could not be saved.
async fn save_amendment(context: &ToolContext, prefix: &[String]) {
    match context.state.exec_policy.allow_prefix(prefix).await {
        Ok(()) => {
            let text = format!(
                "Approved command prefix saved:\n- {}",
                render_prefix(prefix)
            );
            lock(&context.state.notes).push(ResponseItem::Message {
                id: None,
                role: "developer".to_owned(),
                content: vec![ContentItem::InputText { text }],
                end_turn: None,
                phase: None,
            });
        }
        Err(err) => {
            let message = format!("Failed to apply execpolicy amendment: {err}");
            tracing::warn!("{message}");
            context
                .emit(EventMsg::Warning(WarningEvent { message }))
                .await;
        }
    }
}

async fn run_once(
    context: &ToolContext,
    launcher: Option<&Path>,
    call: &CommandCall<'_>,
    sandboxed: bool,
) -> Outcome {
    let started = Instant::now();
    match &call.mode {
        Mode::Unified(args) => {
            let session_id = context.state.processes.new_id();
            let request = ExecRequest {
                call_id: call.call_id.to_owned(),
                argv: call.argv.clone(),
                cwd: call.cwd.clone(),
                tty: args.tty,
                sandboxed,
                source: unified_exec::SOURCE,
                process_id: Some(session_id.to_string()),
            };
            match spawn(request, context, launcher).await {
                Ok(process) => {
                    let text = unified_exec::collect_started(
                        context,
                        process.clone(),
                        session_id,
                        started,
                        args,
                    )
                    .await;
                    Outcome {
                        text,
                        success: true,
                        exit_code: process.exit_code(),
                    }
                }
                Err(err) => Outcome {
                    text: err.to_string(),
                    success: false,
                    exit_code: None,
                },
            }
        }
        Mode::Shell {
            timeout_ms,
            framing,
        } => {
            let request = ExecRequest {
                call_id: call.call_id.to_owned(),
                argv: call.argv.clone(),
                cwd: call.cwd.clone(),
                tty: false,
                sandboxed,
                source: ExecCommandSource::Agent,
                process_id: None,
            };
            let process = match spawn(request, context, launcher).await {
                Ok(process) => process,
                Err(err) => {
                    return Outcome {
                        text: shell_spawn_error(&err),
                        success: false,
                        exit_code: None,
                    };
                }
            };
            let guard = KillGuard::new(process.clone());
            let timeout = timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
            let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout);
            let exit = process.wait_until(deadline).await;
            let (code, timed_out) = match exit {
                Some(code) => (code, false),
                None => {
                    process.kill();
                    // The finisher reports the end once the killed group's output is read.
                    let grace = tokio::time::Instant::now() + Duration::from_secs(2);
                    process.wait_until(grace).await;
                    (TIMEOUT_EXIT_CODE, true)
                }
            };
            guard.disarm();
            let duration = started.elapsed();
            let mut output = String::from_utf8_lossy(&process.take_unread()).into_owned();
            if timed_out {
                let millis = duration.as_millis();
                output = format!("command timed out after {millis} milliseconds\n{output}");
            }
            let policy = context.family.truncation;
            Outcome {
                text: match framing {
                    ShellFraming::Text => frame_exec_output(code, duration, &output, policy),
                    ShellFraming::Json => frame_exec_output_json(code, duration, &output, policy),
                },
                success: code == 0,
                exit_code: Some(code),
            }
        }
    }
}

/// The reference's words for a shell command that could not start: the `Debug` form of its
/// error, as in `execution error: Io(Os { code: 2, kind: NotFound, message: "No such file or
/// directory" })`.
fn shell_spawn_error(err: &SpawnError) -> String {
    match err {
        SpawnError::Io(io) => format!("execution error: Io({io:?})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn policy_rejections_read_like_the_reference_for_each_tool() {
        let reason =
            "`/bin/bash -lc 'rm -rf zz'` rejected: policy forbids commands starting with `rm`";
        let args: ExecCommandArgs =
            serde_json::from_value(serde_json::json!({"cmd": "rm -rf zz"})).unwrap();
        assert_eq!(
            rejected_by_policy(&Mode::Unified(&args), reason),
            r#"exec_command failed: CreateProcess { message: "Rejected(\"`/bin/bash -lc 'rm -rf zz'` rejected: policy forbids commands starting with `rm`\")" }"#
        );
        let shell = Mode::Shell {
            timeout_ms: None,
            framing: ShellFraming::Text,
        };
        assert_eq!(rejected_by_policy(&shell, reason), reason);
    }

    #[test]
    fn spawn_errors_read_like_the_reference() {
        let err = SpawnError::Io(std::io::Error::from_raw_os_error(2));
        assert_eq!(
            shell_spawn_error(&err),
            r#"execution error: Io(Os { code: 2, kind: NotFound, message: "No such file or directory" })"#
        );
    }
}
