//! The user's input as the model sees it (a user message; local images become data URLs) and
//! as clients see it (a `userMessage` item and the legacy `UserMessage` event).

use std::path::Path;

use codex_protocol::items::TurnItem;
use codex_protocol::items::UserMessageItem;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::UserMessageEvent;
use codex_protocol::user_input::UserInput;

use super::Turn;
use super::emit_item_completed;
use super::emit_item_started;
use crate::instructions::text_message;
use crate::thread::new_id;
use crate::thread::session::Session;

/// Records the input in the history and tells the client about it.
pub(crate) async fn record_user_input(session: &Session, turn: &Turn, input: Vec<UserInput>) {
    let item = TurnItem::UserMessage(UserMessageItem {
        id: new_id(),
        content: input.clone(),
    });
    emit_item_started(session, turn, item.clone()).await;
    emit_item_completed(session, turn, item).await;
    let mut items = vec![to_response_item(&input, &turn.settings.cwd)];
    items.extend(input.iter().filter_map(attached_skill));
    session.record_items(items);
    session
        .emit(&turn.id, EventMsg::UserMessage(legacy_event(&input)))
        .await;
}

fn to_response_item(input: &[UserInput], cwd: &Path) -> ResponseItem {
    let content = input
        .iter()
        .filter_map(|part| match part {
            UserInput::Text { text, .. } => Some(ContentItem::InputText { text: text.clone() }),
            UserInput::Image { image_url } => Some(ContentItem::InputImage {
                image_url: image_url.clone(),
            }),
            UserInput::LocalImage { path } => Some(local_image(&cwd.join(path))),
            // Skills and mentions name files the model reads through its tools; the text
            // that refers to them is already in the message.
            UserInput::Skill { .. } | UserInput::Mention { .. } => None,
        })
        .collect();
    ResponseItem::Message {
        id: None,
        role: "user".to_owned(),
        content,
        end_turn: None,
        phase: None,
    }
}

/// A skill the user attached to the turn, handed to the model whole as a message of its own.
/// Only `SKILL.md` files are read: the input names a skill, not any file.
fn attached_skill(part: &UserInput) -> Option<ResponseItem> {
    let UserInput::Skill { name, path } = part else {
        return None;
    };
    if Path::new(path).file_name() != Some(std::ffi::OsStr::new(codex_skills::SKILL_FILE)) {
        tracing::warn!("ignoring skill {name}: {path} is not a SKILL.md");
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(contents) => Some(text_message(
            "user",
            codex_skills::skill_message(name, path, &contents),
        )),
        Err(err) => {
            tracing::warn!("ignoring skill {name}: cannot read {path}: {err}");
            None
        }
    }
}

fn local_image(path: &Path) -> ContentItem {
    match image_data_url(path) {
        Ok(image_url) => ContentItem::InputImage { image_url },
        Err(err) => ContentItem::InputText {
            text: format!("[the image {} could not be read: {err}]", path.display()),
        },
    }
}

/// A local image as a `data:` URL, its type taken from the file's extension (PNG otherwise).
pub(crate) fn image_data_url(path: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(path)?;
    let mime = match path
        .extension()
        .and_then(|ext| ext.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        _ => "image/png",
    };
    Ok(format!("data:{mime};base64,{}", base64(&bytes)))
}

fn legacy_event(input: &[UserInput]) -> UserMessageEvent {
    let mut message = String::new();
    let mut images = Vec::new();
    let mut local_images = Vec::new();
    let mut text_elements = Vec::new();
    for part in input {
        match part {
            UserInput::Text {
                text,
                text_elements: elements,
            } => {
                if !message.is_empty() {
                    message.push('\n');
                }
                message.push_str(text);
                text_elements.extend(elements.iter().cloned());
            }
            UserInput::Image { image_url } => images.push(image_url.clone()),
            UserInput::LocalImage { path } => local_images.push(path.clone()),
            UserInput::Skill { .. } | UserInput::Mention { .. } => {}
        }
    }
    UserMessageEvent {
        message,
        images: Some(images),
        local_images,
        text_elements,
    }
}

/// Standard base64 with padding, for image data URLs.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (index, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if index <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn base64_matches_the_standard() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
        ];
        for (input, expected) in cases {
            assert_eq!(base64(input.as_bytes()), expected);
        }
    }
}
