//! `apply_patch`, from the tool or found in a command (`apply_patch <<'EOF'` …): parse and plan
//! with `codex-apply-patch` (nothing is written unless the whole patch applies), ask when the
//! policies say so, write, and report `PatchApplyBegin`/`PatchApplyEnd` and the turn's diff.

use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;
use std::time::Instant;

use codex_apply_patch::ChangeKind;
use codex_apply_patch::PlannedPatch;
use codex_protocol::approvals::ApplyPatchApprovalRequestEvent;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::FileChange;
use codex_protocol::protocol::PatchApplyBeginEvent;
use codex_protocol::protocol::PatchApplyEndEvent;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::SandboxPolicy;
use codex_protocol::protocol::TurnDiffEvent;
use codex_utils_absolute_path::AbsolutePathBuf;

use crate::approval;
use crate::context::ToolContext;
use crate::framing::frame_exec_output;

/// Applies `patch` relative to `cwd` for call `call_id`. Returns the model's text and success.
pub(crate) async fn apply(
    context: &ToolContext,
    call_id: &str,
    patch: &str,
    cwd: &Path,
) -> (String, bool) {
    let started = Instant::now();
    let planned = match codex_apply_patch::parse_patch(patch)
        .map_err(codex_apply_patch::ApplyError::from)
        .and_then(|parsed| codex_apply_patch::plan_patch(&parsed, cwd))
    {
        Ok(planned) => planned,
        Err(err) => return (format!("apply_patch verification failed: {err}"), false),
    };
    let changes = protocol_changes(&planned);
    let auto_approved = match patch_decision(context, &planned, cwd) {
        PatchDecision::Apply => true,
        PatchDecision::Refuse(message) => return (message, false),
        PatchDecision::Ask => {
            let request = EventMsg::ApplyPatchApprovalRequest(ApplyPatchApprovalRequestEvent {
                call_id: call_id.to_owned(),
                turn_id: context.turn_id.clone(),
                changes: changes.clone(),
                reason: None,
                grant_root: None,
            });
            match approval::request(context, call_id, request).await {
                ReviewDecision::Approved
                | ReviewDecision::ApprovedForSession
                | ReviewDecision::ApprovedExecpolicyAmendment { .. } => false,
                ReviewDecision::Denied => {
                    return ("patch rejected by user".to_owned(), false);
                }
                ReviewDecision::Abort => {
                    context.turn_cancel.cancel();
                    return ("patch rejected by user".to_owned(), false);
                }
            }
        }
    };
    let touched = touched_paths(&planned);
    context.state.diff.remember(&context.turn_id, &touched);
    context
        .emit(EventMsg::PatchApplyBegin(PatchApplyBeginEvent {
            call_id: call_id.to_owned(),
            turn_id: context.turn_id.clone(),
            auto_approved,
            changes: changes.clone(),
        }))
        .await;
    let result = planned.commit();
    let (stdout, stderr, success) = match &result {
        Ok(applied) => (applied.summary.clone(), String::new(), true),
        Err(err) => (String::new(), err.to_string(), false),
    };
    context
        .emit(EventMsg::PatchApplyEnd(PatchApplyEndEvent {
            call_id: call_id.to_owned(),
            turn_id: context.turn_id.clone(),
            stdout: stdout.clone(),
            stderr: stderr.clone(),
            success,
            changes,
        }))
        .await;
    let unified_diff = context.state.diff.diff(&context.cwd);
    context
        .emit(EventMsg::TurnDiff(TurnDiffEvent { unified_diff }))
        .await;
    let (code, text) = if success { (0, stdout) } else { (1, stderr) };
    let policy = context.family.truncation;
    (
        frame_exec_output(code, started.elapsed(), &text, policy),
        success,
    )
}

enum PatchDecision {
    Apply,
    Ask,
    Refuse(String),
}

/// The reference's rule: ask under `untrusted`; apply what stays inside the writable roots;
/// otherwise ask, unless asking is not allowed.
fn patch_decision(context: &ToolContext, planned: &PlannedPatch, cwd: &Path) -> PatchDecision {
    if matches!(context.approval_policy, AskForApproval::Untrusted) {
        return PatchDecision::Ask;
    }
    let writable = match &context.sandbox_policy {
        SandboxPolicy::DangerFullAccess | SandboxPolicy::ExternalSandbox { .. } => true,
        SandboxPolicy::ReadOnly { .. } => false,
        SandboxPolicy::WorkspaceWrite { .. } => {
            let roots = AbsolutePathBuf::from_absolute_path(cwd)
                .ok()
                .and_then(|cwd| {
                    let tmpdir = std::env::var_os("TMPDIR");
                    codex_linux_sandbox::restrictions(
                        &context.sandbox_policy,
                        &cwd,
                        tmpdir.as_deref(),
                    )
                    .ok()
                })
                .and_then(|restrictions| restrictions.writable_roots);
            match roots {
                Some(roots) => touched_paths(planned).iter().all(|path| {
                    roots.iter().any(|root| {
                        path.starts_with(root.root.as_path())
                            && !root
                                .read_only_subpaths
                                .iter()
                                .any(|sub| path.starts_with(sub.as_path()))
                    })
                }),
                None => false,
            }
        }
    };
    match (writable, context.approval_policy) {
        (true, _) => PatchDecision::Apply,
        (false, AskForApproval::Never) => PatchDecision::Refuse(
            "writing outside of the project; rejected by user approval settings".to_owned(),
        ),
        (false, _) => PatchDecision::Ask,
    }
}

fn touched_paths(planned: &PlannedPatch) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for change in planned.changes() {
        paths.push(change.path.clone());
        if let ChangeKind::Update {
            move_path: Some(dest),
            ..
        } = &change.kind
        {
            paths.push(dest.clone());
        }
    }
    paths
}

fn protocol_changes(planned: &PlannedPatch) -> BTreeMap<String, FileChange> {
    planned
        .changes()
        .iter()
        .map(|change| {
            let file_change = match &change.kind {
                ChangeKind::Add { content } => FileChange::Add {
                    content: content.clone(),
                },
                ChangeKind::Delete { content } => FileChange::Delete {
                    content: content.clone(),
                },
                ChangeKind::Update {
                    unified_diff,
                    move_path,
                    ..
                } => FileChange::Update {
                    unified_diff: unified_diff.clone(),
                    move_path: move_path.as_ref().map(|path| path.display().to_string()),
                },
            };
            (change.path.display().to_string(), file_change)
        })
        .collect()
}
