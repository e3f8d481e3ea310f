//! `review/start`: the wire's review targets checked and turned into the core's review
//! request, the turn a review answers with, and the review-mode items.

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v2;
use codex_core::review;
use codex_protocol::protocol::ReviewOutputEvent;
use codex_protocol::protocol::ReviewRequest;
use codex_protocol::protocol::ReviewTarget;

use crate::error;

/// The core's review request for `target`, its fields trimmed, and the hint a client shows
/// for it. An empty branch, sha or instructions is refused with the reference's message.
pub(crate) fn review_request(target: v2::ReviewTarget) -> Result<ReviewRequest, JSONRPCErrorError> {
    let not_empty = |value: String, message: &str| {
        let value = value.trim().to_owned();
        if value.is_empty() {
            Err(error::invalid_request(message))
        } else {
            Ok(value)
        }
    };
    let target = match target {
        v2::ReviewTarget::UncommittedChanges => ReviewTarget::UncommittedChanges,
        v2::ReviewTarget::BaseBranch { branch } => ReviewTarget::BaseBranch {
            branch: not_empty(branch, "branch must not be empty")?,
        },
        v2::ReviewTarget::Commit { sha, title } => ReviewTarget::Commit {
            sha: not_empty(sha, "sha must not be empty")?,
            title: title
                .map(|title| title.trim().to_owned())
                .filter(|title| !title.is_empty()),
        },
        v2::ReviewTarget::Custom { instructions } => ReviewTarget::Custom {
            instructions: not_empty(instructions, "instructions must not be empty")?,
        },
    };
    let hint = review::user_facing_hint(&target);
    Ok(ReviewRequest {
        target,
        user_facing_hint: Some(hint),
    })
}

/// The hint a client shows for `request`.
pub(crate) fn hint(request: &ReviewRequest) -> String {
    request
        .user_facing_hint
        .clone()
        .unwrap_or_else(|| review::user_facing_hint(&request.target))
}

/// A review turn as `review/start` answers and `turn/started` announces it: running, with the
/// hint as a user message whose id is the turn's.
pub(crate) fn review_turn(turn_id: String, hint: &str) -> v2::Turn {
    let items = if hint.is_empty() {
        Vec::new()
    } else {
        vec![v2::ThreadItem::UserMessage {
            id: turn_id.clone(),
            content: vec![v2::UserInput::Text {
                text: hint.to_owned(),
                text_elements: Vec::new(),
            }],
        }]
    };
    v2::Turn {
        id: turn_id,
        items,
        status: v2::TurnStatus::InProgress,
        error: None,
    }
}

/// The item that opens review mode in turn `turn_id`.
pub(crate) fn entered_item(turn_id: &str, request: &ReviewRequest) -> v2::ThreadItem {
    v2::ThreadItem::EnteredReviewMode {
        id: turn_id.to_owned(),
        review: hint(request),
    }
}

/// The item that closes review mode in turn `turn_id`: the review as text, or the reference's
/// fallback when the reviewer gave none.
pub(crate) fn exited_item(turn_id: &str, output: Option<&ReviewOutputEvent>) -> v2::ThreadItem {
    let review = match output {
        Some(output) => review::render_review_output(output),
        None => review::REVIEW_FALLBACK_MESSAGE.to_owned(),
    };
    v2::ThreadItem::ExitedReviewMode {
        id: turn_id.to_owned(),
        review,
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn targets_are_trimmed_and_empty_ones_refused() {
        let refused = |target: v2::ReviewTarget| review_request(target).unwrap_err().message;
        assert_eq!(
            refused(v2::ReviewTarget::BaseBranch {
                branch: "  ".into()
            }),
            "branch must not be empty"
        );
        assert_eq!(
            refused(v2::ReviewTarget::Commit {
                sha: String::new(),
                title: None
            }),
            "sha must not be empty"
        );
        assert_eq!(
            refused(v2::ReviewTarget::Custom {
                instructions: " \n".into()
            }),
            "instructions must not be empty"
        );
        let commit = review_request(v2::ReviewTarget::Commit {
            sha: " 0123456789 ".into(),
            title: Some("  ".into()),
        })
        .unwrap();
        assert_eq!(
            commit,
            ReviewRequest {
                target: ReviewTarget::Commit {
                    sha: "0123456789".into(),
                    title: None
                },
                user_facing_hint: Some("commit 0123456".into()),
            }
        );
        let branch = review_request(v2::ReviewTarget::BaseBranch {
            branch: " main ".into(),
        })
        .unwrap();
        assert_eq!(hint(&branch), "changes against 'main'");
    }

    #[test]
    fn the_review_turn_shows_the_hint_as_its_user_message() {
        let turn = serde_json::to_value(review_turn("t-1".into(), "current changes")).unwrap();
        assert_eq!(
            turn,
            serde_json::json!({
                "id": "t-1",
                "items": [{"type": "userMessage", "id": "t-1", "content": [
                    {"type": "text", "text": "current changes", "text_elements": []}
                ]}],
                "status": "inProgress",
                "error": null,
            })
        );
    }
}
