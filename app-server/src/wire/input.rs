//! User input between the wire and the core: what clients send (v2 `UserInput`, v1
//! `InputItem`) in, and what user-message events and items show of it out.

use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use codex_protocol::protocol as core;
use codex_protocol::user_input::ByteRange;
use codex_protocol::user_input::TextElement;
use codex_protocol::user_input::UserInput;

/// The input of a v2 `turn/start` or `turn/steer`, in core's terms.
pub(crate) fn input_to_core(input: Vec<v2::UserInput>) -> Vec<UserInput> {
    input.into_iter().map(one_input_to_core).collect()
}

fn one_input_to_core(input: v2::UserInput) -> UserInput {
    match input {
        v2::UserInput::Text {
            text,
            text_elements,
        } => UserInput::Text {
            text,
            text_elements: text_elements
                .into_iter()
                .map(|element| TextElement {
                    byte_range: ByteRange {
                        start: element.byte_range.start,
                        end: element.byte_range.end,
                    },
                    placeholder: element.placeholder,
                })
                .collect(),
        },
        v2::UserInput::Image { url } => UserInput::Image { image_url: url },
        v2::UserInput::LocalImage { path } => UserInput::LocalImage { path },
        v2::UserInput::Skill { name, path } => UserInput::Skill { name, path },
        v2::UserInput::Mention { name, path } => UserInput::Mention { name, path },
    }
}

/// A v1 input item in v2 terms: the same kinds, older names.
fn v1_input_to_v2(item: v1::InputItem) -> v2::UserInput {
    match item {
        v1::InputItem::Text {
            text,
            text_elements,
        } => v2::UserInput::Text {
            text,
            text_elements: text_elements
                .into_iter()
                .map(|element| v2::TextElement {
                    byte_range: v2::ByteRange {
                        start: element.byte_range.start,
                        end: element.byte_range.end,
                    },
                    placeholder: element.placeholder,
                })
                .collect(),
        },
        v1::InputItem::Image { image_url } => v2::UserInput::Image { url: image_url },
        v1::InputItem::LocalImage { path } => v2::UserInput::LocalImage { path },
    }
}

/// The input of a v1 `sendUserMessage` or `sendUserTurn`, in core's terms.
pub(crate) fn v1_input_to_core(items: Vec<v1::InputItem>) -> Vec<UserInput> {
    items
        .into_iter()
        .map(|item| one_input_to_core(v1_input_to_v2(item)))
        .collect()
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

pub(crate) fn user_input(input: &codex_protocol::user_input::UserInput) -> v2::UserInput {
    use codex_protocol::user_input::UserInput as C;
    match input {
        C::Text {
            text,
            text_elements: elements,
        } => v2::UserInput::Text {
            text: text.clone(),
            text_elements: text_elements(elements),
        },
        C::Image { image_url } => v2::UserInput::Image {
            url: image_url.clone(),
        },
        C::LocalImage { path } => v2::UserInput::LocalImage { path: path.clone() },
        C::Skill { name, path } => v2::UserInput::Skill {
            name: name.clone(),
            path: path.clone(),
        },
        C::Mention { name, path } => v2::UserInput::Mention {
            name: name.clone(),
            path: path.clone(),
        },
    }
}
