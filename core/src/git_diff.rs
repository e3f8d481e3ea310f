//! `gitDiffToRemote`: the commit nearest to `HEAD` that a remote also has, and the diff from it
//! to the working tree (untracked files included, as new files).
//!
//! The candidates are the current branch, the default branch, and every remote branch that
//! contains `HEAD`; each is looked up on the remotes in order (`origin` first), and the one
//! `HEAD` is fewest commits ahead of wins. Every git command runs under a time bound; one that
//! fails or runs out of time leaves its candidate out (or, for the diff itself, the answer).

use std::collections::HashSet;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use tokio::process::Command;

/// How long each git command may take.
const GIT_COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

/// The commit and the diff from it to the working tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffToRemote {
    pub sha: String,
    pub diff: String,
}

/// The diff of `cwd`'s working tree against the nearest commit a remote has, or `None` when
/// `cwd` is not in a repository, no remote has an ancestor of `HEAD`, or git failed.
pub async fn git_diff_to_remote(cwd: &Path) -> Option<DiffToRemote> {
    let inside = git_text(cwd, &["rev-parse", "--is-inside-work-tree"]).await?;
    if inside.trim() != "true" {
        return None;
    }
    let remotes = remotes(cwd).await?;
    let branches = candidate_branches(cwd, &remotes).await;
    let sha = nearest_remote_commit(cwd, &branches, &remotes).await?;
    let diff = diff_from(cwd, &sha).await?;
    Some(DiffToRemote { sha, diff })
}

async fn git(cwd: &Path, args: &[&str]) -> Option<Output> {
    let output = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(GIT_COMMAND_TIMEOUT, output)
        .await
        .ok()?
        .ok()
}

/// The output of a git command that succeeded.
async fn git_text(cwd: &Path, args: &[&str]) -> Option<String> {
    let output = git(cwd, args).await?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

/// The repository's remotes, `origin` first.
async fn remotes(cwd: &Path) -> Option<Vec<String>> {
    let text = git_text(cwd, &["remote"]).await?;
    let mut remotes: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(index) = remotes.iter().position(|remote| remote == "origin") {
        let origin = remotes.remove(index);
        remotes.insert(0, origin);
    }
    Some(remotes)
}

/// The default branch: what a remote's `HEAD` points at, else what `git remote show` says,
/// else a local `main` or `master`.
async fn default_branch(cwd: &Path, remotes: &[String]) -> Option<String> {
    for remote in remotes {
        let head = format!("refs/remotes/{remote}/HEAD");
        if let Some(target) = git_text(cwd, &["symbolic-ref", "--quiet", &head]).await
            && let Some((_, name)) = target.trim().rsplit_once('/')
        {
            return Some(name.to_owned());
        }
        if let Some(shown) = git_text(cwd, &["remote", "show", remote]).await {
            let named = shown.lines().find_map(|line| {
                let name = line.trim().strip_prefix("HEAD branch:")?.trim();
                (!name.is_empty()).then(|| name.to_owned())
            });
            if named.is_some() {
                return named;
            }
        }
    }
    for local in ["main", "master"] {
        let reference = format!("refs/heads/{local}");
        if git_text(cwd, &["rev-parse", "--verify", "--quiet", &reference])
            .await
            .is_some()
        {
            return Some(local.to_owned());
        }
    }
    None
}

/// The branches whose remote copy may be the base: the current one, the default one, then
/// every remote branch that already contains `HEAD`, without repeats.
async fn candidate_branches(cwd: &Path, remotes: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut branches = Vec::new();
    let mut add = |branch: String| {
        if !branch.is_empty() && seen.insert(branch.clone()) {
            branches.push(branch);
        }
    };
    // A detached HEAD has no current branch.
    if let Some(current) = git_text(cwd, &["rev-parse", "--abbrev-ref", "HEAD"]).await {
        let current = current.trim();
        if current != "HEAD" {
            add(current.to_owned());
        }
    }
    if let Some(default) = default_branch(cwd, remotes).await {
        add(default);
    }
    for remote in remotes {
        let refs = format!("refs/remotes/{remote}");
        let args = [
            "for-each-ref",
            "--format=%(refname:short)",
            "--contains=HEAD",
            refs.as_str(),
        ];
        let Some(listed) = git_text(cwd, &args).await else {
            continue;
        };
        let prefix = format!("{remote}/");
        for line in listed.lines() {
            if let Some(branch) = line.trim().strip_prefix(&prefix) {
                add(branch.to_owned());
            }
        }
    }
    branches
}

/// Of the candidates some remote has, the tip `HEAD` is fewest commits ahead of.
async fn nearest_remote_commit(
    cwd: &Path,
    branches: &[String],
    remotes: &[String],
) -> Option<String> {
    let mut nearest: Option<(String, usize)> = None;
    for branch in branches {
        let Some((sha, ahead)) = remote_tip_and_distance(cwd, branch, remotes).await else {
            continue;
        };
        if nearest.as_ref().is_none_or(|(_, best)| ahead < *best) {
            nearest = Some((sha, ahead));
        }
    }
    nearest.map(|(sha, _)| sha)
}

/// The first remote's tip of `branch`, and how many commits `HEAD` is ahead of the branch
/// (the local branch when there is one, else the remote's).
async fn remote_tip_and_distance(
    cwd: &Path,
    branch: &str,
    remotes: &[String],
) -> Option<(String, usize)> {
    let mut found = None;
    for remote in remotes {
        let reference = format!("refs/remotes/{remote}/{branch}");
        if let Some(sha) = git_text(cwd, &["rev-parse", "--verify", "--quiet", &reference]).await {
            found = Some((sha.trim().to_owned(), reference));
            break;
        }
    }
    let (sha, remote_ref) = found?;
    let ahead = match commits_ahead_of(cwd, branch).await {
        Some(ahead) => ahead,
        None => commits_ahead_of(cwd, &remote_ref).await?,
    };
    Some((sha, ahead))
}

async fn commits_ahead_of(cwd: &Path, base: &str) -> Option<usize> {
    let range = format!("{base}..HEAD");
    git_text(cwd, &["rev-list", "--count", &range])
        .await?
        .trim()
        .parse()
        .ok()
}

/// The diff from `sha` to the working tree, then each untracked file as a new file.
async fn diff_from(cwd: &Path, sha: &str) -> Option<String> {
    let output = git(cwd, &["diff", "--no-textconv", "--no-ext-diff", sha]).await?;
    // git diff exits 1 when there are differences.
    if !matches!(output.status.code(), Some(0 | 1)) {
        return None;
    }
    let mut diff = String::from_utf8(output.stdout).ok()?;
    let untracked = git_text(cwd, &["ls-files", "--others", "--exclude-standard"])
        .await
        .unwrap_or_default();
    let new_files = untracked
        .lines()
        .filter(|file| !file.is_empty())
        .map(|file| async move {
            let args = [
                "diff",
                "--no-textconv",
                "--no-ext-diff",
                "--binary",
                "--no-index",
                "--",
                "/dev/null",
                file,
            ];
            git(cwd, &args).await
        });
    for output in futures::future::join_all(new_files)
        .await
        .into_iter()
        .flatten()
    {
        if matches!(output.status.code(), Some(0 | 1))
            && let Ok(text) = String::from_utf8(output.stdout)
        {
            diff.push_str(&text);
        }
    }
    Some(diff)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use pretty_assertions::assert_eq;

    use super::*;

    fn run(cwd: &Path, args: &[&str]) {
        let output = std::process::Command::new("git")
            .args(args)
            .current_dir(cwd)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("git runs");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn head(cwd: &Path) -> String {
        let output = std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(cwd)
            .output()
            .expect("git runs");
        String::from_utf8(output.stdout)
            .expect("utf-8")
            .trim()
            .to_owned()
    }

    /// A bare "remote", and a clone of it with one pushed commit.
    fn cloned_repo() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let origin = dir.path().join("origin.git");
        let work = dir.path().join("work");
        run(dir.path(), &["init", "--bare", "-b", "main", "origin.git"]);
        run(
            dir.path(),
            &["clone", origin.to_str().expect("utf-8"), "work"],
        );
        std::fs::write(work.join("a.txt"), "one\n").expect("write");
        run(&work, &["add", "a.txt"]);
        run(&work, &["commit", "-m", "first"]);
        run(&work, &["push", "origin", "HEAD:main"]);
        (dir, work)
    }

    #[tokio::test]
    async fn diffs_local_commits_and_untracked_files_against_the_pushed_commit() {
        let (_dir, work) = cloned_repo();
        let pushed = head(&work);
        std::fs::write(work.join("a.txt"), "one\ntwo\n").expect("write");
        run(&work, &["commit", "-am", "local only"]);
        std::fs::write(work.join("new.txt"), "fresh\n").expect("write");

        let found = git_diff_to_remote(&work).await.expect("a diff");

        assert_eq!(found.sha, pushed);
        assert!(found.diff.contains("+two"), "{}", found.diff);
        assert!(found.diff.contains("new file mode"), "{}", found.diff);
        assert!(found.diff.contains("+fresh"), "{}", found.diff);
    }

    #[tokio::test]
    async fn nothing_outside_a_repository_or_without_a_remote() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(git_diff_to_remote(dir.path()).await, None);
        run(dir.path(), &["init", "-b", "main"]);
        std::fs::write(dir.path().join("a.txt"), "x\n").expect("write");
        run(dir.path(), &["add", "a.txt"]);
        run(dir.path(), &["commit", "-m", "c"]);
        assert_eq!(git_diff_to_remote(dir.path()).await, None);
    }
}
