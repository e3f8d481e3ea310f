//! Approvals, engine side: when a command or patch needs the user's consent (by the approval
//! policy), the request goes out as an event and the call waits for the decision that arrives
//! as an op (`Op::ExecApproval`/`Op::PatchApproval`). A request whose turn is interrupted ends
//! as [`ReviewDecision::Abort`]: the waiting future is dropped and its entry removed.

use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::SandboxPolicy;

use crate::context::ToolContext;
use crate::safe_commands::is_known_safe;

/// What the model sent with a command about running it outside the sandbox.
#[derive(Debug, Clone, Default)]
pub(crate) struct Escalation {
    /// `sandbox_permissions: "require_escalated"`.
    pub(crate) requested: bool,
    pub(crate) justification: Option<String>,
    pub(crate) prefix_rule: Option<Vec<String>>,
}

/// What to do with a command before running it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExecPlan {
    /// Run it; `sandboxed: false` means outside the sandbox.
    Run { sandboxed: bool },
    /// Ask first; when approved, run it as `sandboxed` says.
    Ask {
        sandboxed: bool,
        reason: Option<String>,
    },
    /// Refuse, telling the model why.
    Refuse(String),
}

/// The reference's answer when the model asks for escalation that cannot be granted.
const NEVER_ESCALATE: &str = "approval policy is Never; reject command — you should not ask for \
escalated permissions if the approval policy is never";

/// Decides how `argv` may run under the turn's policies.
pub(crate) fn plan_exec(
    context: &ToolContext,
    argv: &[String],
    escalation: &Escalation,
) -> ExecPlan {
    let approvals = &context.state.approvals;
    let unrestricted = matches!(
        context.sandbox_policy,
        SandboxPolicy::DangerFullAccess | SandboxPolicy::ExternalSandbox { .. }
    );
    match context.approval_policy {
        AskForApproval::Never => {
            if escalation.requested && !unrestricted {
                ExecPlan::Refuse(NEVER_ESCALATE.to_owned())
            } else {
                ExecPlan::Run { sandboxed: true }
            }
        }
        AskForApproval::OnFailure => ExecPlan::Run { sandboxed: true },
        AskForApproval::Untrusted => {
            if is_known_safe(argv) || approvals.is_approved(argv) {
                ExecPlan::Run { sandboxed: true }
            } else {
                ExecPlan::Ask {
                    sandboxed: !escalation.requested,
                    reason: escalation.justification.clone(),
                }
            }
        }
        AskForApproval::OnRequest => {
            if !escalation.requested || unrestricted {
                ExecPlan::Run { sandboxed: true }
            } else if approvals.is_approved(argv) {
                ExecPlan::Run { sandboxed: false }
            } else {
                ExecPlan::Ask {
                    sandboxed: false,
                    reason: escalation.justification.clone(),
                }
            }
        }
    }
}

/// Sends `request` (an approval request event keyed by `id`) and waits for the decision; a
/// request that can no longer be answered is aborted.
pub(crate) async fn request(context: &ToolContext, id: &str, request: EventMsg) -> ReviewDecision {
    let waiter = context.state.approvals.pending.wait_for(id);
    context.emit(request).await;
    waiter.answer().await.unwrap_or(ReviewDecision::Abort)
}
