//! Approvals, engine side: when a command or patch needs the user's consent (by the approval
//! policy), the request goes out as an event and the call waits for the decision that arrives
//! as an op (`Op::ExecApproval`/`Op::PatchApproval`). A request whose turn is interrupted ends
//! as [`ReviewDecision::Abort`]: the waiting future is dropped and its entry removed.

use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::SandboxPolicy;

use crate::context::ToolContext;
use crate::exec_policy::Decision;
use crate::exec_policy::RuleMatch;
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
    /// Ask first; when approved, run it as `sandboxed` says. `amendment` is the prefix the user
    /// may allow from now on.
    Ask {
        sandboxed: bool,
        reason: Option<String>,
        amendment: Option<Vec<String>>,
    },
    /// Refuse, telling the model why.
    Refuse(String),
    /// Refused by the execution policy: the reason, which each tool words its own way.
    Reject(String),
}

/// The reference's answer when the model asks for escalation that cannot be granted.
const NEVER_ESCALATE: &str = "approval policy is Never; reject command — you should not ask for \
escalated permissions if the approval policy is never";

/// The reference's reason when a rule asks for approval that the policy never gives.
const PROMPT_CONFLICT: &str = "approval required by policy, but AskForApproval is set to Never";

/// A command as the execution policy sees it: the commands it is made of (a script of plain
/// commands is split; anything else is one command) and the rules each of them matched.
pub(crate) struct PolicyView {
    commands: Vec<Vec<String>>,
    matches: Vec<Vec<RuleMatch>>,
}

impl PolicyView {
    pub(crate) fn of(context: &ToolContext, argv: &[String]) -> PolicyView {
        let policy = context.state.exec_policy.current();
        let commands = commands_for_policy(argv);
        let matches = commands
            .iter()
            .map(|command| policy.matches(command))
            .collect();
        PolicyView { commands, matches }
    }

    fn all_matches(&self) -> impl Iterator<Item = &RuleMatch> {
        self.matches.iter().flatten()
    }

    /// The commands no rule matched.
    fn unmatched(&self) -> impl Iterator<Item = &Vec<String>> {
        self.commands
            .iter()
            .zip(&self.matches)
            .filter(|(_, matches)| matches.is_empty())
            .map(|(command, _)| command)
    }

    /// The prefix offered when a command that ran in the sandbox is to be retried outside it:
    /// the first command, when no rule had a say.
    pub(crate) fn retry_amendment(&self) -> Option<Vec<String>> {
        if self.all_matches().next().is_some() {
            return None;
        }
        self.commands.first().cloned()
    }
}

/// The commands of `argv`: the plain commands of a `bash -lc` script, else `argv` itself.
fn commands_for_policy(argv: &[String]) -> Vec<Vec<String>> {
    if let [shell, flag, script] = argv
        && is_shell(shell)
        && (flag == "-lc" || flag == "-c")
        && let Some(commands) = crate::parse_command::plain_commands(script)
        && !commands.is_empty()
    {
        return commands;
    }
    vec![argv.to_vec()]
}

fn is_shell(program: &str) -> bool {
    let name = std::path::Path::new(program)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(program);
    matches!(name, "bash" | "zsh" | "sh")
}

/// Decides how `argv` may run: the rules first (a forbidding rule refuses it, a prompting one
/// asks, and commands the rules allow run outside the sandbox), then the approval policy for
/// what no rule covers.
pub(crate) fn plan_exec(
    context: &ToolContext,
    argv: &[String],
    escalation: &Escalation,
    view: &PolicyView,
) -> ExecPlan {
    let strictest = view.all_matches().map(|rule| rule.decision).max();
    match strictest {
        Some(Decision::Forbidden) => return ExecPlan::Reject(forbidden_reason(argv, view)),
        Some(Decision::Prompt) => {
            if matches!(context.approval_policy, AskForApproval::Never) {
                return ExecPlan::Reject(PROMPT_CONFLICT.to_owned());
            }
            return ExecPlan::Ask {
                sandboxed: !escalation.requested,
                reason: prompt_reason(argv, view).or_else(|| escalation.justification.clone()),
                amendment: None,
            };
        }
        Some(Decision::Allow) | None => {}
    }
    let allowed_by_rule = strictest.is_some();
    if allowed_by_rule && view.unmatched().all(|command| is_known_safe(command)) {
        return ExecPlan::Run { sandboxed: false };
    }
    match plan_by_approval_policy(context, argv, escalation) {
        ExecPlan::Run { .. } if allowed_by_rule => ExecPlan::Run { sandboxed: false },
        ExecPlan::Ask {
            sandboxed, reason, ..
        } => ExecPlan::Ask {
            sandboxed,
            reason,
            amendment: escalation
                .prefix_rule
                .clone()
                .filter(|prefix| !prefix.is_empty())
                .or_else(|| {
                    view.unmatched()
                        .find(|command| !is_known_safe(command))
                        .cloned()
                }),
        },
        other => other,
    }
}

/// The approval policy's answer for a command no rule decided.
fn plan_by_approval_policy(
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
                    amendment: None,
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
                    amendment: None,
                }
            }
        }
    }
}

/// `argv` as one shell line, the way the reference quotes it in its reasons.
fn command_line(argv: &[String]) -> String {
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

/// The most specific rule with `decision` (the longest matched prefix; the later on a tie).
fn most_specific(view: &PolicyView, decision: Decision) -> Option<&RuleMatch> {
    view.all_matches()
        .filter(|rule| rule.decision == decision)
        .max_by_key(|rule| rule.matched_prefix.len())
}

fn forbidden_reason(argv: &[String], view: &PolicyView) -> String {
    let command = command_line(argv);
    match most_specific(view, Decision::Forbidden) {
        Some(RuleMatch {
            justification: Some(justification),
            ..
        }) => format!("`{command}` rejected: {justification}"),
        Some(rule) => format!(
            "`{command}` rejected: policy forbids commands starting with `{}`",
            command_line(&rule.matched_prefix)
        ),
        None => format!("`{command}` rejected: blocked by policy"),
    }
}

fn prompt_reason(argv: &[String], view: &PolicyView) -> Option<String> {
    let command = command_line(argv);
    most_specific(view, Decision::Prompt).map(|rule| match &rule.justification {
        Some(justification) => format!("`{command}` requires approval: {justification}"),
        None => format!("`{command}` requires approval by policy"),
    })
}

/// Sends `request` (an approval request event keyed by `id`) and waits for the decision; a
/// request that can no longer be answered is aborted.
pub(crate) async fn request(context: &ToolContext, id: &str, request: EventMsg) -> ReviewDecision {
    let waiter = context.state.approvals.pending.wait_for(id);
    context.emit(request).await;
    waiter.answer().await.unwrap_or(ReviewDecision::Abort)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::exec_policy::Policy;
    use crate::exec_policy::parse_rules;

    fn words(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    fn view(rules: &str, argv: &[String]) -> PolicyView {
        let policy = Policy::new(parse_rules(rules).unwrap());
        let commands = commands_for_policy(argv);
        let matches = commands
            .iter()
            .map(|command| policy.matches(command))
            .collect();
        PolicyView { commands, matches }
    }

    #[test]
    fn scripts_of_plain_commands_are_judged_command_by_command() {
        let script = words(&["/bin/bash", "-lc", "git status && touch a.txt | wc -l"]);
        assert_eq!(
            commands_for_policy(&script),
            vec![
                words(&["git", "status"]),
                words(&["touch", "a.txt"]),
                words(&["wc", "-l"])
            ]
        );
        let substitution = words(&["bash", "-c", "echo $(date)"]);
        assert_eq!(
            commands_for_policy(&substitution),
            vec![substitution.clone()]
        );
        let plain = words(&["ls", "-la"]);
        assert_eq!(commands_for_policy(&plain), vec![plain.clone()]);
    }

    #[test]
    fn reasons_name_the_most_specific_rule_as_the_reference_words_them() {
        let argv = words(&["/bin/bash", "-lc", "git push origin && rm -rf out"]);
        let rules = "prefix_rule(pattern=[\"rm\"], decision=\"forbidden\")\n\
                     prefix_rule(pattern=[\"git\"], decision=\"prompt\")\n\
                     prefix_rule(pattern=[\"git\", \"push\"], decision=\"prompt\", justification=\"ask first\")";
        let view = view(rules, &argv);
        assert_eq!(
            forbidden_reason(&argv, &view),
            "`/bin/bash -lc 'git push origin && rm -rf out'` rejected: policy forbids commands \
             starting with `rm`"
        );
        assert_eq!(
            prompt_reason(&argv, &view).as_deref(),
            Some("`/bin/bash -lc 'git push origin && rm -rf out'` requires approval: ask first")
        );
        assert_eq!(view.retry_amendment(), None);

        let argv = words(&["make", "all"]);
        let unmatched = super::tests::view("", &argv);
        assert_eq!(prompt_reason(&argv, &unmatched), None);
        assert_eq!(unmatched.retry_amendment(), Some(argv.clone()));
    }
}
