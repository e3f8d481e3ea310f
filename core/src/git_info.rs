//! The git state of a thread's working directory (commit, branch, origin URL), for its
//! `session_meta` line. Each git command runs under a short time bound, so a slow or hung git
//! never holds anything up; whatever did not answer in time is left out.

use std::path::Path;
use std::time::Duration;

use codex_rollout::GitInfo;
use tokio::process::Command;

/// How long each git command may take.
const GIT_COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The git state of `cwd`, or `None` outside a repository (or without git).
pub async fn collect_git_info(cwd: &Path) -> Option<GitInfo> {
    // Asking for the commit first tells us whether this is a repository at all.
    let inside = run_git(cwd, &["rev-parse", "--is-inside-work-tree"]).await?;
    if inside != "true" {
        return None;
    }
    let (commit_hash, branch, repository_url) = tokio::join!(
        run_git(cwd, &["rev-parse", "HEAD"]),
        run_git(cwd, &["rev-parse", "--abbrev-ref", "HEAD"]),
        run_git(cwd, &["remote", "get-url", "origin"]),
    );
    Some(GitInfo {
        commit_hash,
        branch: branch.filter(|branch| branch != "HEAD"),
        repository_url,
    })
}

async fn run_git(cwd: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(GIT_COMMAND_TIMEOUT, output)
        .await
        .ok()?
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    (!text.is_empty()).then_some(text)
}
