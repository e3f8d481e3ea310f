//! Server-sent events, and builders for the events of the OpenAI Responses API.
//!
//! The shapes are the ones the reference app-server was fed when the parity transcripts were
//! recorded (`tools/parity/mock_responses.py`): the fields the client reads, and nothing it
//! ignores. [`Turn`] assembles a whole response from items, the way the model streams it.

use std::fmt::Write as _;

use serde_json::Value;
use serde_json::json;

/// One server-sent event: an optional `event:` name and its `data:`.
///
/// Responses API events are named after their `type` member; Chat Completions chunks carry data
/// only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    name: Option<String>,
    data: String,
}

impl SseEvent {
    /// An event named by the `type` member of `value` (unnamed when it has none), whose data is
    /// `value` as compact JSON.
    pub fn json(value: &Value) -> Self {
        Self {
            name: value.get("type").and_then(Value::as_str).map(str::to_owned),
            data: value.to_string(),
        }
    }

    /// An event with an explicit name.
    pub fn named(name: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            data: data.into(),
        }
    }

    /// An event with data and no name, as Chat Completions streams send them.
    pub fn data_only(data: impl Into<String>) -> Self {
        Self {
            name: None,
            data: data.into(),
        }
    }

    /// The `event:` name, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The `data:` payload.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// The payload parsed as JSON, when it is JSON (`[DONE]` is not).
    pub fn data_json(&self) -> Option<Value> {
        serde_json::from_str(&self.data).ok()
    }

    /// The event as it travels: `event: <name>\ndata: <data>\n\n`.
    ///
    /// Data spanning several lines becomes several `data:` lines, which a client joins back with
    /// newlines.
    pub fn encode(&self) -> String {
        let mut frame = String::new();
        if let Some(name) = &self.name {
            let _ = writeln!(frame, "event: {name}");
        }
        for line in self.data.split('\n') {
            let _ = writeln!(frame, "data: {line}");
        }
        frame.push('\n');
        frame
    }
}

/// Token counts reported by `response.completed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// `usage.input_tokens`.
    pub input_tokens: u64,
    /// `usage.input_tokens_details.cached_tokens`.
    pub cached_input_tokens: u64,
    /// `usage.output_tokens`.
    pub output_tokens: u64,
    /// `usage.output_tokens_details.reasoning_tokens`.
    pub reasoning_output_tokens: u64,
    /// `usage.total_tokens`.
    pub total_tokens: u64,
}

impl Default for Usage {
    /// The counts the reference transcripts were recorded with: 10 in, 5 out.
    fn default() -> Self {
        Self {
            input_tokens: 10,
            cached_input_tokens: 0,
            output_tokens: 5,
            reasoning_output_tokens: 0,
            total_tokens: 15,
        }
    }
}

impl Usage {
    /// The `usage` object of `response.completed`.
    pub fn to_json(&self) -> Value {
        json!({
            "input_tokens": self.input_tokens,
            "input_tokens_details": { "cached_tokens": self.cached_input_tokens },
            "output_tokens": self.output_tokens,
            "output_tokens_details": { "reasoning_tokens": self.reasoning_output_tokens },
            "total_tokens": self.total_tokens,
        })
    }
}

/// `response.created`.
pub fn created(response_id: &str) -> SseEvent {
    event(json!({ "type": "response.created", "response": { "id": response_id } }))
}

/// `response.completed` with the default [`Usage`].
pub fn completed(response_id: &str) -> SseEvent {
    completed_with_usage(response_id, &Usage::default())
}

/// `response.completed` with the given token counts.
pub fn completed_with_usage(response_id: &str, usage: &Usage) -> SseEvent {
    event(json!({
        "type": "response.completed",
        "response": { "id": response_id, "usage": usage.to_json() },
    }))
}

/// `response.failed` with an error `code` (`context_length_exceeded`, `rate_limit_exceeded`,
/// `server_error`, ...) and message. A failed response has no `response.completed`.
pub fn failed(response_id: &str, code: &str, message: &str) -> SseEvent {
    event(json!({
        "type": "response.failed",
        "response": {
            "id": response_id,
            "status": "failed",
            "error": { "code": code, "message": message },
        },
    }))
}

/// `response.output_item.added`: the model starts the item at `output_index`. See [`item`] for
/// the items.
pub fn item_added(output_index: usize, item: Value) -> SseEvent {
    event(
        json!({ "type": "response.output_item.added", "output_index": output_index, "item": item }),
    )
}

/// `response.output_item.done`: the item at `output_index` is complete.
pub fn item_done(output_index: usize, item: Value) -> SseEvent {
    event(
        json!({ "type": "response.output_item.done", "output_index": output_index, "item": item }),
    )
}

/// `response.output_text.delta`: more text for the message `item_id`.
pub fn text_delta(item_id: &str, output_index: usize, delta: &str) -> SseEvent {
    event(json!({
        "type": "response.output_text.delta",
        "item_id": item_id,
        "output_index": output_index,
        "content_index": 0,
        "delta": delta,
    }))
}

/// `response.reasoning_summary_part.added`: a new, empty summary part of reasoning `item_id`.
pub fn reasoning_summary_part_added(
    item_id: &str,
    output_index: usize,
    summary_index: usize,
) -> SseEvent {
    event(json!({
        "type": "response.reasoning_summary_part.added",
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
        "part": { "type": "summary_text", "text": "" },
    }))
}

/// `response.reasoning_summary_text.delta`: more text for a summary part.
pub fn reasoning_summary_delta(
    item_id: &str,
    output_index: usize,
    summary_index: usize,
    delta: &str,
) -> SseEvent {
    event(json!({
        "type": "response.reasoning_summary_text.delta",
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
        "delta": delta,
    }))
}

/// `response.reasoning_summary_text.done`: a summary part's whole text.
pub fn reasoning_summary_done(
    item_id: &str,
    output_index: usize,
    summary_index: usize,
    text: &str,
) -> SseEvent {
    event(json!({
        "type": "response.reasoning_summary_text.done",
        "item_id": item_id,
        "output_index": output_index,
        "summary_index": summary_index,
        "text": text,
    }))
}

/// `response.reasoning_text.delta`: more raw reasoning text (models that expose it).
pub fn reasoning_text_delta(
    item_id: &str,
    output_index: usize,
    content_index: usize,
    delta: &str,
) -> SseEvent {
    event(json!({
        "type": "response.reasoning_text.delta",
        "item_id": item_id,
        "output_index": output_index,
        "content_index": content_index,
        "delta": delta,
    }))
}

/// Any event given as JSON; it is named by its `type` member.
pub fn event(value: Value) -> SseEvent {
    SseEvent::json(&value)
}

/// The output items carried by `response.output_item.added` and `.done`.
pub mod item {
    use serde_json::Value;
    use serde_json::json;

    /// A finished assistant message with one `output_text` part.
    pub fn message(id: &str, text: &str) -> Value {
        json!({
            "type": "message",
            "role": "assistant",
            "id": id,
            "content": [{ "type": "output_text", "text": text }],
        })
    }

    /// An assistant message as it is announced, before any text.
    pub fn message_started(id: &str) -> Value {
        json!({ "type": "message", "role": "assistant", "id": id, "content": [] })
    }

    /// A finished reasoning item: its summary parts and, when `text` is not empty, its raw
    /// `reasoning_text` content.
    pub fn reasoning(id: &str, summary: &[&str], text: &[&str]) -> Value {
        let summary: Vec<Value> = summary
            .iter()
            .map(|part| json!({ "type": "summary_text", "text": part }))
            .collect();
        let mut item = json!({
            "type": "reasoning",
            "id": id,
            "encrypted_content": null,
            "summary": summary,
        });
        if !text.is_empty() {
            item["content"] = text
                .iter()
                .map(|part| json!({ "type": "reasoning_text", "text": part }))
                .collect();
        }
        item
    }

    /// A reasoning item as it is announced, before any summary.
    pub fn reasoning_started(id: &str) -> Value {
        json!({ "type": "reasoning", "id": id, "summary": [] })
    }

    /// A call of the function tool `name`; `arguments` is the JSON text the model wrote.
    pub fn function_call(call_id: &str, name: &str, arguments: &str) -> Value {
        json!({ "type": "function_call", "name": name, "call_id": call_id, "arguments": arguments })
    }

    /// A hosted web search the model ran: `status` is `in_progress` when it is announced
    /// (usually without an action), then `completed` or `failed`; `action` is the
    /// `{"type": "search" | "open_page" | "find_in_page", ...}` object, if any.
    pub fn web_search_call(id: &str, status: &str, action: Option<Value>) -> Value {
        let mut item = json!({ "type": "web_search_call", "id": id, "status": status });
        if let Some(action) = action {
            item["action"] = action;
        }
        item
    }

    /// A call of the freeform tool `name` (`apply_patch`), with its raw `input`.
    pub fn custom_tool_call(call_id: &str, name: &str, input: &str) -> Value {
        json!({ "type": "custom_tool_call", "name": name, "call_id": call_id, "input": input })
    }
}

/// A whole streamed response, built item by item: `response.created`, each item's events in
/// order, then `response.completed` (or `response.failed`).
///
/// Text is streamed a word at a time, like the model does, so clients see several deltas. Item
/// ids are derived from the response id and the item's position, so they are unique as long as
/// response ids are.
///
/// ```
/// use codex_test_support::sse::Turn;
///
/// let events: Vec<_> = Turn::new("resp-1")
///     .reasoning(&["Looking at the files"])
///     .function_call("call-1", "shell", r#"{"command":["ls"]}"#)
///     .into_iter()
///     .collect();
/// assert_eq!(events.first().and_then(|e| e.name()), Some("response.created"));
/// assert_eq!(events.last().and_then(|e| e.name()), Some("response.completed"));
/// ```
#[derive(Debug, Clone)]
pub struct Turn {
    response_id: String,
    items: usize,
    events: Vec<SseEvent>,
    end: TurnEnd,
}

#[derive(Debug, Clone)]
enum TurnEnd {
    Completed(Usage),
    Failed { code: String, message: String },
}

impl Turn {
    /// A response with the id `response_id` and no items yet.
    pub fn new(response_id: &str) -> Self {
        Self {
            response_id: response_id.to_owned(),
            items: 0,
            events: vec![created(response_id)],
            end: TurnEnd::Completed(Usage::default()),
        }
    }

    /// An assistant message: added, its text word by word, done.
    pub fn message(mut self, text: &str) -> Self {
        let index = self.next_index();
        let id = self.item_id("msg", index);
        self.events
            .push(item_added(index, item::message_started(&id)));
        for word in words(text) {
            self.events.push(text_delta(&id, index, word));
        }
        self.events.push(item_done(index, item::message(&id, text)));
        self
    }

    /// A reasoning item with the given summary parts, each streamed word by word.
    pub fn reasoning(self, summary: &[&str]) -> Self {
        self.reasoning_with_text(summary, &[])
    }

    /// A reasoning item with summary parts and raw reasoning text (`response.reasoning_text.delta`
    /// events, and `content` in the finished item).
    pub fn reasoning_with_text(mut self, summary: &[&str], text: &[&str]) -> Self {
        let index = self.next_index();
        let id = self.item_id("rs", index);
        self.events
            .push(item_added(index, item::reasoning_started(&id)));
        for (summary_index, part) in summary.iter().enumerate() {
            self.events
                .push(reasoning_summary_part_added(&id, index, summary_index));
            for word in words(part) {
                self.events
                    .push(reasoning_summary_delta(&id, index, summary_index, word));
            }
            self.events
                .push(reasoning_summary_done(&id, index, summary_index, part));
        }
        for (content_index, part) in text.iter().enumerate() {
            for word in words(part) {
                self.events
                    .push(reasoning_text_delta(&id, index, content_index, word));
            }
        }
        self.events
            .push(item_done(index, item::reasoning(&id, summary, text)));
        self
    }

    /// A function tool call, sent whole in one `response.output_item.done`.
    pub fn function_call(mut self, call_id: &str, name: &str, arguments: &str) -> Self {
        let index = self.next_index();
        self.events.push(item_done(
            index,
            item::function_call(call_id, name, arguments),
        ));
        self
    }

    /// A hosted web search: announced in progress without an action, then done with
    /// `action` and `status`. The id is `ws_<response>_<index>`.
    pub fn web_search(mut self, action: Value, status: &str) -> Self {
        let index = self.next_index();
        let id = self.item_id("ws", index);
        self.events.push(item_added(
            index,
            item::web_search_call(&id, "in_progress", None),
        ));
        self.events.push(item_done(
            index,
            item::web_search_call(&id, status, Some(action)),
        ));
        self
    }

    /// A hosted web search announced only when done (`response.output_item.done` alone), as
    /// the API sends some of them.
    pub fn web_search_done(mut self, id: &str, action: Value, status: &str) -> Self {
        let index = self.next_index();
        self.events.push(item_done(
            index,
            item::web_search_call(id, status, Some(action)),
        ));
        self
    }

    /// A freeform (custom) tool call, sent whole in one `response.output_item.done`.
    pub fn custom_tool_call(mut self, call_id: &str, name: &str, input: &str) -> Self {
        let index = self.next_index();
        self.events.push(item_done(
            index,
            item::custom_tool_call(call_id, name, input),
        ));
        self
    }

    /// Any event, inserted as is at this point of the stream.
    pub fn event(mut self, event: SseEvent) -> Self {
        self.events.push(event);
        self
    }

    /// Ends with `response.completed` reporting these counts instead of the default ones.
    pub fn usage(mut self, usage: Usage) -> Self {
        self.end = TurnEnd::Completed(usage);
        self
    }

    /// Ends with `response.failed` instead of `response.completed`.
    pub fn fail(mut self, code: &str, message: &str) -> Self {
        self.end = TurnEnd::Failed {
            code: code.to_owned(),
            message: message.to_owned(),
        };
        self
    }

    /// The events, in the order they are streamed.
    pub fn events(self) -> Vec<SseEvent> {
        let Self {
            response_id,
            mut events,
            end,
            ..
        } = self;
        events.push(match end {
            TurnEnd::Completed(usage) => completed_with_usage(&response_id, &usage),
            TurnEnd::Failed { code, message } => failed(&response_id, &code, &message),
        });
        events
    }

    fn next_index(&mut self) -> usize {
        self.items += 1;
        self.items - 1
    }

    fn item_id(&self, kind: &str, index: usize) -> String {
        format!("{kind}_{}_{index}", self.response_id)
    }
}

impl IntoIterator for Turn {
    type Item = SseEvent;
    type IntoIter = std::vec::IntoIter<SseEvent>;

    fn into_iter(self) -> Self::IntoIter {
        self.events().into_iter()
    }
}

/// A response holding one assistant message.
pub fn text_turn(response_id: &str, text: &str) -> Vec<SseEvent> {
    Turn::new(response_id).message(text).events()
}

/// A response holding one function tool call.
pub fn function_call_turn(
    response_id: &str,
    call_id: &str,
    name: &str,
    arguments: &str,
) -> Vec<SseEvent> {
    Turn::new(response_id)
        .function_call(call_id, name, arguments)
        .events()
}

/// A response holding one freeform tool call.
pub fn custom_tool_call_turn(
    response_id: &str,
    call_id: &str,
    name: &str,
    input: &str,
) -> Vec<SseEvent> {
    Turn::new(response_id)
        .custom_tool_call(call_id, name, input)
        .events()
}

/// Splits text the way the deltas stream it: the first word, then each further word with the
/// space before it, so the deltas join back into the text exactly.
pub(crate) fn words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    let mut first = true;
    std::iter::from_fn(move || {
        if rest.is_empty() && !first {
            return None;
        }
        // Past the first word, a piece starts at a space and runs to the next one.
        let skip = usize::from(!first);
        first = false;
        let end = rest[skip..].find(' ').map_or(rest.len(), |at| at + skip);
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn as_json(events: Vec<SseEvent>) -> Vec<(Option<String>, Value)> {
        events
            .into_iter()
            .map(|event| (event.name().map(str::to_owned), event.data_json().unwrap()))
            .collect()
    }

    fn named(value: Value) -> (Option<String>, Value) {
        (Some(value["type"].as_str().unwrap().to_owned()), value)
    }

    #[test]
    fn words_join_back_into_the_text() {
        for text in ["", "one", "two words", " leading", "trailing ", "a  b", " "] {
            let pieces: Vec<&str> = words(text).collect();
            assert_eq!(pieces.concat(), text, "{pieces:?}");
            assert!(!pieces.is_empty());
        }
        assert_eq!(
            words("Hello big world").collect::<Vec<_>>(),
            ["Hello", " big", " world"]
        );
    }

    #[test]
    fn encode_frames_named_and_unnamed_events() {
        assert_eq!(
            created("r").encode(),
            "event: response.created\ndata: {\"response\":{\"id\":\"r\"},\"type\":\"response.created\"}\n\n"
        );
        assert_eq!(SseEvent::data_only("[DONE]").encode(), "data: [DONE]\n\n");
        assert_eq!(
            SseEvent::named("note", "a\nb").encode(),
            "event: note\ndata: a\ndata: b\n\n"
        );
    }

    #[test]
    fn text_turn_streams_a_message() {
        assert_eq!(
            as_json(text_turn("resp-1", "Hello there")),
            vec![
                named(json!({ "type": "response.created", "response": { "id": "resp-1" } })),
                named(json!({
                    "type": "response.output_item.added",
                    "output_index": 0,
                    "item": { "type": "message", "role": "assistant", "id": "msg_resp-1_0", "content": [] },
                })),
                named(json!({
                    "type": "response.output_text.delta",
                    "item_id": "msg_resp-1_0", "output_index": 0, "content_index": 0, "delta": "Hello",
                })),
                named(json!({
                    "type": "response.output_text.delta",
                    "item_id": "msg_resp-1_0", "output_index": 0, "content_index": 0, "delta": " there",
                })),
                named(json!({
                    "type": "response.output_item.done",
                    "output_index": 0,
                    "item": {
                        "type": "message", "role": "assistant", "id": "msg_resp-1_0",
                        "content": [{ "type": "output_text", "text": "Hello there" }],
                    },
                })),
                named(json!({
                    "type": "response.completed",
                    "response": {
                        "id": "resp-1",
                        "usage": {
                            "input_tokens": 10,
                            "input_tokens_details": { "cached_tokens": 0 },
                            "output_tokens": 5,
                            "output_tokens_details": { "reasoning_tokens": 0 },
                            "total_tokens": 15,
                        },
                    },
                })),
            ]
        );
    }

    #[test]
    fn reasoning_streams_summary_parts_and_raw_text() {
        let events = Turn::new("r")
            .reasoning_with_text(&["Plan it", "Do"], &["raw"])
            .events();
        let id = "rs_r_0";
        // A summary part: announced empty, streamed word by word, then whole.
        let part = |summary_index: usize, deltas: &[&str], text: &str| {
            let mut events = vec![named(json!({
                "type": "response.reasoning_summary_part.added", "item_id": id,
                "output_index": 0, "summary_index": summary_index,
                "part": { "type": "summary_text", "text": "" },
            }))];
            events.extend(deltas.iter().map(|delta| {
                named(json!({
                    "type": "response.reasoning_summary_text.delta", "item_id": id,
                    "output_index": 0, "summary_index": summary_index, "delta": delta,
                }))
            }));
            events.push(named(json!({
                "type": "response.reasoning_summary_text.done", "item_id": id,
                "output_index": 0, "summary_index": summary_index, "text": text,
            })));
            events
        };
        let expected = [
            vec![
                named(json!({ "type": "response.created", "response": { "id": "r" } })),
                named(json!({
                    "type": "response.output_item.added", "output_index": 0,
                    "item": { "type": "reasoning", "id": id, "summary": [] },
                })),
            ],
            part(0, &["Plan", " it"], "Plan it"),
            part(1, &["Do"], "Do"),
            vec![
                named(json!({
                    "type": "response.reasoning_text.delta", "item_id": id,
                    "output_index": 0, "content_index": 0, "delta": "raw",
                })),
                named(json!({
                    "type": "response.output_item.done", "output_index": 0,
                    "item": {
                        "type": "reasoning", "id": id, "encrypted_content": null,
                        "summary": [
                            { "type": "summary_text", "text": "Plan it" },
                            { "type": "summary_text", "text": "Do" },
                        ],
                        "content": [{ "type": "reasoning_text", "text": "raw" }],
                    },
                })),
                named(completed("r").data_json().unwrap()),
            ],
        ]
        .concat();
        assert_eq!(as_json(events), expected);
    }

    #[test]
    fn tool_calls_are_single_done_events_at_their_index() {
        let events = Turn::new("r")
            .message("Hi")
            .function_call("call-1", "shell", r#"{"command":["ls"]}"#)
            .custom_tool_call("call-2", "apply_patch", "*** Begin Patch")
            .usage(Usage {
                input_tokens: 100,
                cached_input_tokens: 40,
                output_tokens: 20,
                reasoning_output_tokens: 7,
                total_tokens: 120,
            })
            .events();
        let tail: Vec<_> = as_json(events).split_off(4);
        assert_eq!(
            tail,
            vec![
                named(json!({
                    "type": "response.output_item.done", "output_index": 1,
                    "item": {
                        "type": "function_call", "name": "shell", "call_id": "call-1",
                        "arguments": "{\"command\":[\"ls\"]}",
                    },
                })),
                named(json!({
                    "type": "response.output_item.done", "output_index": 2,
                    "item": {
                        "type": "custom_tool_call", "name": "apply_patch", "call_id": "call-2",
                        "input": "*** Begin Patch",
                    },
                })),
                named(json!({
                    "type": "response.completed",
                    "response": {
                        "id": "r",
                        "usage": {
                            "input_tokens": 100,
                            "input_tokens_details": { "cached_tokens": 40 },
                            "output_tokens": 20,
                            "output_tokens_details": { "reasoning_tokens": 7 },
                            "total_tokens": 120,
                        },
                    },
                })),
            ]
        );
    }

    #[test]
    fn a_failed_turn_ends_with_response_failed_and_no_completed() {
        let events = Turn::new("r")
            .fail(
                "context_length_exceeded",
                "Your input exceeds the context window",
            )
            .events();
        assert_eq!(
            as_json(events),
            vec![
                named(json!({ "type": "response.created", "response": { "id": "r" } })),
                named(json!({
                    "type": "response.failed",
                    "response": {
                        "id": "r",
                        "status": "failed",
                        "error": {
                            "code": "context_length_exceeded",
                            "message": "Your input exceeds the context window",
                        },
                    },
                })),
            ]
        );
    }

    #[test]
    fn the_convenience_turns_match_the_builder() {
        assert_eq!(
            function_call_turn("r", "c", "shell", "{}"),
            Turn::new("r").function_call("c", "shell", "{}").events()
        );
        assert_eq!(
            custom_tool_call_turn("r", "c", "apply_patch", "x"),
            Turn::new("r")
                .custom_tool_call("c", "apply_patch", "x")
                .events()
        );
        let raw = event(json!({ "type": "response.in_progress" }));
        let events = Turn::new("r").event(raw.clone()).events();
        assert_eq!(events[1], raw);
    }
}
