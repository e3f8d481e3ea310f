//! Conversions from the core's domain types to their wire spellings. Plain functions, one per
//! type, so the wire can stay put while the core changes.

use codex_app_server_protocol::v2;
use codex_protocol::protocol as core;
use codex_protocol::user_input::TextElement;

pub(crate) fn session_source(source: &core::SessionSource) -> v2::SessionSource {
    match source {
        core::SessionSource::Cli => v2::SessionSource::Cli,
        core::SessionSource::Vscode => v2::SessionSource::Vscode,
        core::SessionSource::Exec => v2::SessionSource::Exec,
        // The reference writes `mcp` for threads of the app server and shows it as `appServer`.
        core::SessionSource::Mcp => v2::SessionSource::AppServer,
        core::SessionSource::Subagent(source) => v2::SessionSource::SubAgent(source.clone()),
        core::SessionSource::Unknown => v2::SessionSource::Unknown,
    }
}

pub(crate) fn git_info(git: &codex_rollout::GitInfo) -> v2::GitInfo {
    v2::GitInfo {
        sha: git.commit_hash.clone(),
        branch: git.branch.clone(),
        origin_url: git.repository_url.clone(),
    }
}

pub(crate) fn text_elements(elements: &[TextElement]) -> Vec<v2::TextElement> {
    elements
        .iter()
        .map(|element| v2::TextElement {
            byte_range: v2::ByteRange {
                start: element.byte_range.start,
                end: element.byte_range.end,
            },
            placeholder: element.placeholder.clone(),
        })
        .collect()
}

/// What a user message event shows of the user's input: its text (unless blank), then its
/// images, then its local images.
pub(crate) fn user_message_content(event: &core::UserMessageEvent) -> Vec<v2::UserInput> {
    let mut content = Vec::new();
    if !event.message.trim().is_empty() {
        content.push(v2::UserInput::Text {
            text: event.message.clone(),
            text_elements: text_elements(&event.text_elements),
        });
    }
    for url in event.images.iter().flatten() {
        content.push(v2::UserInput::Image { url: url.clone() });
    }
    for path in &event.local_images {
        content.push(v2::UserInput::LocalImage { path: path.clone() });
    }
    content
}

pub(crate) fn error_info(info: &core::CodexErrorInfo) -> v2::CodexErrorInfo {
    use core::CodexErrorInfo as C;
    match info {
        C::ContextWindowExceeded => v2::CodexErrorInfo::ContextWindowExceeded,
        C::UsageLimitExceeded => v2::CodexErrorInfo::UsageLimitExceeded,
        C::ServerOverloaded => v2::CodexErrorInfo::ServerOverloaded,
        C::HttpConnectionFailed { http_status_code } => v2::CodexErrorInfo::HttpConnectionFailed {
            http_status_code: *http_status_code,
        },
        C::ResponseStreamConnectionFailed { http_status_code } => {
            v2::CodexErrorInfo::ResponseStreamConnectionFailed {
                http_status_code: *http_status_code,
            }
        }
        C::InternalServerError => v2::CodexErrorInfo::InternalServerError,
        C::Unauthorized => v2::CodexErrorInfo::Unauthorized,
        C::BadRequest => v2::CodexErrorInfo::BadRequest,
        C::SandboxError => v2::CodexErrorInfo::SandboxError,
        C::ResponseStreamDisconnected { http_status_code } => {
            v2::CodexErrorInfo::ResponseStreamDisconnected {
                http_status_code: *http_status_code,
            }
        }
        C::ResponseTooManyFailedAttempts { http_status_code } => {
            v2::CodexErrorInfo::ResponseTooManyFailedAttempts {
                http_status_code: *http_status_code,
            }
        }
        C::ThreadRollbackFailed => v2::CodexErrorInfo::ThreadRollbackFailed,
        C::Other => v2::CodexErrorInfo::Other,
    }
}

pub(crate) fn turn_error(event: &core::ErrorEvent) -> v2::TurnError {
    v2::TurnError {
        message: event.message.clone(),
        codex_error_info: event.codex_error_info.as_ref().map(error_info),
        additional_details: None,
    }
}
