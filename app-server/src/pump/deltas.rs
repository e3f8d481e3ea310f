//! The frames of a streamed answer's deltas, assembled around strings escaped once.
//!
//! A streaming answer is almost all `AgentMessageContentDelta` + `AgentMessageDelta` pairs,
//! three frames each: `item/agentMessage/delta` and the two `codex/event/*` copies. Serialised
//! through serde, each pair escaped the thread, turn and item ids eight times, cloned them
//! into a notification and checked every frame for UTF-8 again. Here each id is escaped when it
//! changes, each delta once, and the frames are written from pieces that are already text. The
//! tests hold the frames to what serde writes.

use codex_protocol::protocol::AgentMessageContentDeltaEvent;

use crate::outbound::Frame;

/// The methods of the three frames.
pub(super) const V2_METHOD: &str = "item/agentMessage/delta";
pub(super) const CONTENT_METHOD: &str = "codex/event/agent_message_content_delta";
pub(super) const LEGACY_METHOD: &str = "codex/event/agent_message_delta";

#[derive(Default)]
pub(super) struct DeltaFrames {
    /// The last strings of each kind and their escaped forms.
    event_id: Escaped,
    event_thread: Escaped,
    turn: Escaped,
    item: Escaped,
    delta: Escaped,
    /// Where a frame is assembled before it is copied into its own allocation.
    text: String,
}

impl DeltaFrames {
    /// The `item/agentMessage/delta` notification of a content delta and its
    /// `codex/event/agent_message_content_delta` copy, `event_id` being the event's id and
    /// `thread` the thread's id as a JSON string (v2's `threadId`, the copy's `conversationId`).
    pub(super) fn content(
        &mut self,
        event_id: &str,
        delta: &AgentMessageContentDeltaEvent,
        thread: &str,
    ) -> (Frame, Frame) {
        self.event_id.set(event_id);
        self.event_thread.set(&delta.thread_id);
        self.turn.set(&delta.turn_id);
        self.item.set(&delta.item_id);
        self.delta.set(&delta.delta);
        let v2 = assemble(
            &mut self.text,
            &[
                r#"{"method":""#,
                V2_METHOD,
                r#"","params":{"threadId":"#,
                thread,
                r#","turnId":"#,
                &self.turn.json,
                r#","itemId":"#,
                &self.item.json,
                r#","delta":"#,
                &self.delta.json,
                "}}",
            ],
        );
        let copy = legacy_copy(
            &mut self.text,
            CONTENT_METHOD,
            &self.event_id.json,
            &[
                r#""agent_message_content_delta","thread_id":"#,
                &self.event_thread.json,
                r#","turn_id":"#,
                &self.turn.json,
                r#","item_id":"#,
                &self.item.json,
                r#","delta":"#,
                &self.delta.json,
            ],
            thread,
        );
        (v2, copy)
    }

    /// The `codex/event/agent_message_delta` copy of a legacy delta: the text of the content
    /// delta before it again, as the core sends them, so its escaped form is at hand.
    pub(super) fn legacy(&mut self, event_id: &str, delta: &str, thread: &str) -> Frame {
        self.event_id.set(event_id);
        self.delta.set(delta);
        legacy_copy(
            &mut self.text,
            LEGACY_METHOD,
            &self.event_id.json,
            &[r#""agent_message_delta","delta":"#, &self.delta.json],
            thread,
        )
    }
}

/// A `codex/event/*` frame: `msg` is the event from its `type`'s value on, the other
/// arguments JSON already.
fn legacy_copy(text: &mut String, method: &str, id: &str, msg: &[&str], thread: &str) -> Frame {
    text.clear();
    for part in [
        r#"{"method":""#,
        method,
        r#"","params":{"id":"#,
        id,
        r#","msg":{"type":"#,
    ] {
        text.push_str(part);
    }
    for part in msg {
        text.push_str(part);
    }
    for part in [r#"},"conversationId":"#, thread, "}}"] {
        text.push_str(part);
    }
    Frame::from(text.as_str())
}

fn assemble(text: &mut String, parts: &[&str]) -> Frame {
    text.clear();
    for part in parts {
        text.push_str(part);
    }
    Frame::from(text.as_str())
}

/// A string and its JSON form, escaped again only when the string changes.
struct Escaped {
    raw: String,
    json: String,
}

impl Default for Escaped {
    fn default() -> Self {
        Self {
            raw: String::new(),
            json: "\"\"".to_owned(),
        }
    }
}

impl Escaped {
    fn set(&mut self, raw: &str) {
        if self.raw != raw {
            self.raw.clear();
            self.raw.push_str(raw);
            self.json.clear();
            escape(raw, &mut self.json);
        }
    }
}

/// Writes `raw` as a JSON string the way serde_json does: quotes, backslashes and control
/// characters escaped (the usual short forms, else `\u00xx`), everything else as it is.
fn escape(raw: &str, json: &mut String) {
    json.reserve(raw.len() + 2);
    json.push('"');
    let mut plain = 0;
    for (at, byte) in raw.bytes().enumerate() {
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        json.push_str(&raw[plain..at]);
        plain = at + 1;
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            json.push_str("\\u00");
            json.push(char::from(HEX[usize::from(byte >> 4)]));
            json.push(char::from(HEX[usize::from(byte & 0xf)]));
        } else {
            json.push_str(short);
        }
    }
    json.push_str(&raw[plain..]);
    json.push('"');
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_escapes_them() {
        let mut every_ascii: String = (0u8..128).map(char::from).collect();
        every_ascii.push_str("caf\u{e9} \u{2028} \u{1f600} \u{7f}");
        for raw in ["", "w", "plain words", "\"quoted\"", "\\", &every_ascii] {
            let mut json = String::new();
            escape(raw, &mut json);
            assert_eq!(json, serde_json::to_string(raw).unwrap());
        }
    }
}
