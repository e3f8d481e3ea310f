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
use codex_tools::image_data_url;

use super::context::Turn;
use super::context::emit_item_completed;
use super::context::emit_item_started;
use super::context::new_id;
use crate::instructions::text_message;
use crate::session::Session;

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
