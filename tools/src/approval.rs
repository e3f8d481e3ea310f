//! Approvals, engine side: when a command or patch needs the user's consent (by the approval
//! policy), the request goes out as an event and the call waits for the decision that arrives
//! as an op (`Op::ExecApproval`/`Op::PatchApproval`). A request whose turn is interrupted ends
//! as [`ReviewDecision::Abort`]: the waiting future is dropped and its entry removed.

use codex_utils_lock::lock;
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::Mutex;

use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::SandboxPolicy;
use tokio::sync::oneshot;

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

/// Pending requests and what the user approved for the rest of the session.
#[derive(Default)]
pub(crate) struct Approvals {
    pending: Mutex<HashMap<String, oneshot::Sender<ReviewDecision>>>,
    commands: Mutex<HashSet<Vec<String>>>,
    prefixes: Mutex<Vec<Vec<String>>>,
}

/// Removes a pending request when its waiting call ends, answered or dropped.
struct PendingGuard<'a> {
    approvals: &'a Approvals,
    id: String,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(&self.approvals.pending).remove(&self.id);
    }
}

impl Approvals {
    /// Sends `request` (an approval request event keyed by `id`) and waits for the decision.
    pub(crate) async fn request(
        &self,
        context: &ToolContext,
        id: &str,
        request: EventMsg,
    ) -> ReviewDecision {
        let (sender, receiver) = oneshot::channel();
        lock(&self.pending).insert(id.to_owned(), sender);
        let _guard = PendingGuard {
            approvals: self,
            id: id.to_owned(),
        };
        context.emit(request).await;
        receiver.await.unwrap_or(ReviewDecision::Abort)
    }

    pub(crate) fn resolve(&self, id: &str, decision: ReviewDecision) -> bool {
        match lock(&self.pending).remove(id) {
            Some(sender) => sender.send(decision).is_ok(),
            None => false,
        }
    }

    /// Remembers an approval for the session: the prefix rule when the model proposed one,
    /// else the exact command.
    pub(crate) fn approve_for_session(&self, argv: &[String], prefix_rule: Option<&[String]>) {
        match prefix_rule {
            Some(prefix) if !prefix.is_empty() => lock(&self.prefixes).push(prefix.to_vec()),
            _ => {
                lock(&self.commands).insert(argv.to_vec());
            }
        }
    }

    fn is_approved(&self, argv: &[String]) -> bool {
        if lock(&self.commands).contains(argv) {
            return true;
        }
        let words = command_words(argv);
        lock(&self.prefixes)
            .iter()
            .any(|prefix| words.starts_with(prefix))
    }
}

/// The words of a command for prefix matching: a shell script's words, else the argv.
fn command_words(argv: &[String]) -> Vec<String> {
    match argv {
        [_, flag, script] if flag == "-lc" || flag == "-c" => {
            shlex::split(script).unwrap_or_else(|| argv.to_vec())
        }
        _ => argv.to_vec(),
    }
}
