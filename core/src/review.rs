//! Code review: what a review asks of the model and what comes back.
//!
//! A review runs as a turn of its own (`turn::review` runs it): a reviewer with its own rubric
//! (`review/rubric.md`) and a fresh history reads the changes a [`ReviewTarget`] names and
//! answers with a JSON [`ReviewOutputEvent`]. This module holds the pure parts: the text a
//! client shows for a target ([`user_facing_hint`]), the prompt the reviewer gets
//! ([`review_prompt`]), reading the reviewer's answer ([`parse_review_output`]) and writing it
//! out for people ([`render_review_output`]).
//!
//! The texts the model reads (the rubric, the prompts, the messages that close a review) follow
//! the reference's structure in our own words; what clients see (hints, the rendered findings,
//! the fallback messages) is the reference's exactly.

use std::path::Path;
use std::time::Duration;

use codex_protocol::protocol::ReviewFinding;
use codex_protocol::protocol::ReviewOutputEvent;
use codex_protocol::protocol::ReviewTarget;
use tokio::process::Command;

/// The reviewer's instructions, in place of the thread's base instructions.
pub const REVIEW_RUBRIC: &str = include_str!("review/rubric.md");

const UNCOMMITTED_PROMPT: &str = include_str!("review/uncommitted.md");
const BASE_BRANCH_PROMPT: &str = include_str!("review/base_branch.md");
const BASE_BRANCH_UNRESOLVED_PROMPT: &str = include_str!("review/base_branch_unresolved.md");
const COMMIT_PROMPT: &str = include_str!("review/commit.md");
const COMMIT_WITH_TITLE_PROMPT: &str = include_str!("review/commit_with_title.md");

/// The user message a finished review leaves in the thread's history, `{results}` being the
/// explanation and the findings.
const EXIT_SUCCESS_MESSAGE: &str = include_str!("review/exit_success.xml");
/// The user message a review that did not finish leaves in the history.
pub(crate) const EXIT_INTERRUPTED_MESSAGE: &str = include_str!("review/exit_interrupted.xml");

/// What a client shows when the reviewer produced nothing usable.
pub const REVIEW_FALLBACK_MESSAGE: &str = "Reviewer failed to output a response.";
/// The assistant message of a review that did not finish.
pub const REVIEW_INTERRUPTED_MESSAGE: &str =
    "Review was interrupted. Please re-run /review and wait for it to complete.";

/// How long the git commands that find a merge base may take.
const GIT_TIMEOUT: Duration = Duration::from_secs(5);

/// The short text a client shows for a review of `target`.
pub fn user_facing_hint(target: &ReviewTarget) -> String {
    match target {
        ReviewTarget::UncommittedChanges => "current changes".to_owned(),
        ReviewTarget::BaseBranch { branch } => format!("changes against '{branch}'"),
        ReviewTarget::Commit { sha, title } => {
            let short: String = sha.chars().take(7).collect();
            match title {
                Some(title) => format!("commit {short}: {title}"),
                None => format!("commit {short}"),
            }
        }
        ReviewTarget::Custom { instructions } => instructions.trim().to_owned(),
    }
}

/// The user message that starts the reviewer on `target`. A base branch is compared from its
/// merge base with `HEAD` (the branch's upstream when that is ahead), found with git in `cwd`;
/// when there is none (no repository, no such branch), the reviewer is told how to find it.
pub async fn review_prompt(target: &ReviewTarget, cwd: &Path) -> String {
    match target {
        ReviewTarget::UncommittedChanges => UNCOMMITTED_PROMPT.to_owned(),
        ReviewTarget::BaseBranch { branch } => match merge_base_with_head(cwd, branch).await {
            Some(merge_base) => BASE_BRANCH_PROMPT
                .replace("{branch}", branch)
                .replace("{merge_base}", &merge_base),
            None => BASE_BRANCH_UNRESOLVED_PROMPT.replace("{branch}", branch),
        },
        ReviewTarget::Commit { sha, title } => match title {
            Some(title) => COMMIT_WITH_TITLE_PROMPT
                .replace("{sha}", sha)
                .replace("{title}", title),
            None => COMMIT_PROMPT.replace("{sha}", sha),
        },
        ReviewTarget::Custom { instructions } => instructions.trim().to_owned(),
    }
}

/// The reviewer's answer read as a review: the whole text as JSON, else the outermost `{…}` in
/// it, else the text itself as the explanation, with no findings.
pub fn parse_review_output(text: &str) -> ReviewOutputEvent {
    if let Ok(output) = serde_json::from_str(text) {
        return output;
    }
    if let (Some(start), Some(end)) = (text.find('{'), text.rfind('}'))
        && start < end
        && let Ok(output) = serde_json::from_str(&text[start..=end])
    {
        return output;
    }
    ReviewOutputEvent {
        findings: Vec::new(),
        overall_correctness: String::new(),
        overall_explanation: text.to_owned(),
        overall_confidence_score: 0.0,
    }
}

/// A review for people: the explanation, then the findings, separated by a blank line; the
/// fallback message when both are empty.
pub fn render_review_output(output: &ReviewOutputEvent) -> String {
    let mut sections = Vec::new();
    let explanation = output.overall_explanation.trim();
    if !explanation.is_empty() {
        sections.push(explanation.to_owned());
    }
    if !output.findings.is_empty() {
        sections.push(findings_block(&output.findings).trim().to_owned());
    }
    if sections.is_empty() {
        REVIEW_FALLBACK_MESSAGE.to_owned()
    } else {
        sections.join("\n\n")
    }
}

/// The findings as plain text: a heading, then per finding `- title — path:start-end` and its
/// body indented by two spaces. Starts with an empty line.
fn findings_block(findings: &[ReviewFinding]) -> String {
    let heading = if findings.len() > 1 {
        "Full review comments:"
    } else {
        "Review comment:"
    };
    let mut lines = vec![String::new(), heading.to_owned()];
    for finding in findings {
        let location = &finding.code_location;
        lines.push(String::new());
        lines.push(format!(
            "- {} — {}:{}-{}",
            finding.title,
            location.absolute_file_path,
            location.line_range.start,
            location.line_range.end
        ));
        lines.extend(finding.body.lines().map(|line| format!("  {line}")));
    }
    lines.join("\n")
}

/// The user message a finished review leaves in the history: its explanation and findings.
pub(crate) fn exit_success_message(output: &ReviewOutputEvent) -> String {
    let mut results = output.overall_explanation.trim().to_owned();
    if !output.findings.is_empty() {
        results.push('\n');
        results.push_str(&findings_block(&output.findings));
    }
    EXIT_SUCCESS_MESSAGE.replace("{results}", &results)
}

/// The commit where `HEAD` and `branch` diverged, taking `branch`'s upstream instead when the
/// upstream has commits the local branch lacks. `None` when git cannot tell.
async fn merge_base_with_head(cwd: &Path, branch: &str) -> Option<String> {
    let head = git(cwd, &["rev-parse", "--verify", "HEAD"]).await?;
    let local = git(cwd, &["rev-parse", "--verify", branch]).await?;
    let upstream_name = format!("{branch}@{{upstream}}");
    let upstream = match git(
        cwd,
        &[
            "rev-parse",
            "--abbrev-ref",
            "--symbolic-full-name",
            &upstream_name,
        ],
    )
    .await
    {
        Some(upstream) => {
            let range = format!("{branch}..{upstream}");
            let ahead = git(cwd, &["rev-list", "--count", &range]).await;
            match ahead.and_then(|count| count.parse::<u64>().ok()) {
                Some(count) if count > 0 => git(cwd, &["rev-parse", "--verify", &upstream]).await,
                _ => None,
            }
        }
        None => None,
    };
    let base = upstream.unwrap_or(local);
    git(cwd, &["merge-base", &head, &base]).await
}

/// The trimmed output of a git command that succeeded in time.
async fn git(cwd: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(GIT_TIMEOUT, output).await.ok()?.ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use codex_protocol::protocol::ReviewCodeLocation;
    use codex_protocol::protocol::ReviewLineRange;
    use pretty_assertions::assert_eq;

    use super::*;

    fn finding(title: &str, body: &str, start: u32, end: u32) -> ReviewFinding {
        ReviewFinding {
            title: title.to_owned(),
            body: body.to_owned(),
            confidence_score: 0.5,
            priority: 1,
            code_location: ReviewCodeLocation {
                absolute_file_path: "/w/a.rs".to_owned(),
                line_range: ReviewLineRange { start, end },
            },
        }
    }

    fn output(explanation: &str, findings: Vec<ReviewFinding>) -> ReviewOutputEvent {
        ReviewOutputEvent {
            findings,
            overall_correctness: "patch is incorrect".to_owned(),
            overall_explanation: explanation.to_owned(),
            overall_confidence_score: 0.7,
        }
    }

    #[test]
    fn hints_name_the_target_as_the_reference_does() {
        let check = |target: ReviewTarget, expected: &str| {
            assert_eq!(user_facing_hint(&target), expected);
        };
        check(ReviewTarget::UncommittedChanges, "current changes");
        check(
            ReviewTarget::BaseBranch {
                branch: "main".into(),
            },
            "changes against 'main'",
        );
        check(
            ReviewTarget::Commit {
                sha: "0123456789abcdef".into(),
                title: Some("Fix it".into()),
            },
            "commit 0123456: Fix it",
        );
        check(
            ReviewTarget::Commit {
                sha: "abc".into(),
                title: None,
            },
            "commit abc",
        );
        check(
            ReviewTarget::Custom {
                instructions: "  Look at the parser \n".into(),
            },
            "Look at the parser",
        );
    }

    #[test]
    fn output_is_read_whole_embedded_or_as_plain_text() {
        let json = r#"{"findings":[],"overall_correctness":"patch is correct","overall_explanation":"Fine.","overall_confidence_score":0.9}"#;
        assert_eq!(parse_review_output(json).overall_explanation, "Fine.");
        let embedded = format!("Here it is:\n{json}\nDone.");
        assert_eq!(parse_review_output(&embedded).overall_explanation, "Fine.");
        // Missing fields are no review: the text stays as it was, as in the reference.
        assert_eq!(parse_review_output("{}"), output_text("{}"));
        assert_eq!(
            parse_review_output("no json here"),
            output_text("no json here")
        );
    }

    fn output_text(text: &str) -> ReviewOutputEvent {
        ReviewOutputEvent {
            findings: Vec::new(),
            overall_correctness: String::new(),
            overall_explanation: text.to_owned(),
            overall_confidence_score: 0.0,
        }
    }

    #[test]
    fn rendering_joins_explanation_and_findings() {
        let one = output(
            "One bug.",
            vec![finding("[P1] Off by one", "Loop runs\ntoo far.", 3, 5)],
        );
        assert_eq!(
            render_review_output(&one),
            "One bug.\n\nReview comment:\n\n- [P1] Off by one — /w/a.rs:3-5\n  Loop runs\n  too far."
        );
        let two = output("", vec![finding("A", "x", 1, 1), finding("B", "y", 2, 4)]);
        assert_eq!(
            render_review_output(&two),
            "Full review comments:\n\n- A — /w/a.rs:1-1\n  x\n\n- B — /w/a.rs:2-4\n  y"
        );
        assert_eq!(
            render_review_output(&output("  ", Vec::new())),
            REVIEW_FALLBACK_MESSAGE
        );
    }

    #[test]
    fn the_history_message_carries_the_results() {
        let one = output("One bug.", vec![finding("[P1] Off by one", "Body.", 3, 5)]);
        let message = exit_success_message(&one);
        assert!(message.starts_with("<user_action>\n"), "{message}");
        assert!(
            message.contains(
                "<results>\n  One bug.\n\nReview comment:\n\n- [P1] Off by one — /w/a.rs:3-5\n  Body.\n  </results>"
            ),
            "{message}"
        );
    }

    fn git_in(dir: &Path, args: &[&str]) {
        let status = std::process::Command::new("git")
            .args(["-c", "user.email=t@t", "-c", "user.name=t"])
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    #[tokio::test]
    async fn prompts_name_the_target_and_a_base_branch_its_merge_base() {
        let repo = tempfile::tempdir().unwrap();
        let dir = repo.path();
        git_in(dir, &["init", "-q", "-b", "main"]);
        git_in(dir, &["commit", "-q", "--allow-empty", "-m", "first"]);
        git_in(dir, &["checkout", "-q", "-b", "feature"]);
        git_in(dir, &["commit", "-q", "--allow-empty", "-m", "second"]);
        let base = std::process::Command::new("git")
            .args(["rev-parse", "main"])
            .current_dir(dir)
            .output()
            .unwrap();
        let base = String::from_utf8(base.stdout).unwrap().trim().to_owned();

        let prompt = review_prompt(
            &ReviewTarget::BaseBranch {
                branch: "main".into(),
            },
            dir,
        )
        .await;
        assert!(prompt.contains(&format!("`git diff {base}`")), "{prompt}");
        assert!(prompt.contains("'main'"), "{prompt}");

        let unknown = review_prompt(
            &ReviewTarget::BaseBranch {
                branch: "nosuch".into(),
            },
            dir,
        )
        .await;
        assert!(unknown.contains("nosuch@{upstream}"), "{unknown}");

        let commit = review_prompt(
            &ReviewTarget::Commit {
                sha: "abc123".into(),
                title: Some("Fix it".into()),
            },
            dir,
        )
        .await;
        assert!(commit.contains("abc123 (\"Fix it\")"), "{commit}");
        let custom = review_prompt(
            &ReviewTarget::Custom {
                instructions: " Check the parser ".into(),
            },
            dir,
        )
        .await;
        assert_eq!(custom, "Check the parser");
        let uncommitted = review_prompt(&ReviewTarget::UncommittedChanges, dir).await;
        assert!(uncommitted.contains("untracked"), "{uncommitted}");
    }
}
