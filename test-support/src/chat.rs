//! Builders for Chat Completions streaming chunks, as local servers (Ollama, LM Studio, vLLM)
//! send them: unnamed `data:` events holding `chat.completion.chunk` objects, then
//! `data: [DONE]`.

use serde_json::Value;
use serde_json::json;

use crate::sse::SseEvent;
use crate::sse::words;

/// Token counts of the final chunk's `usage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatUsage {
    /// `usage.prompt_tokens`.
    pub prompt_tokens: u64,
    /// `usage.completion_tokens`.
    pub completion_tokens: u64,
    /// `usage.total_tokens`.
    pub total_tokens: u64,
}

/// A chunk carrying more assistant text.
pub fn text_delta(id: &str, text: &str) -> SseEvent {
    chunk(
        id,
        json!({ "role": "assistant", "content": text }),
        None,
        None,
    )
}

/// A chunk carrying more reasoning text, in the `reasoning` field Ollama and vLLM use.
pub fn reasoning_delta(id: &str, text: &str) -> SseEvent {
    chunk(
        id,
        json!({ "role": "assistant", "reasoning": text }),
        None,
        None,
    )
}

/// The chunk that opens tool call number `index`: its id and function name, no arguments yet.
pub fn tool_call_start(id: &str, index: usize, call_id: &str, name: &str) -> SseEvent {
    let call = json!({
        "index": index,
        "id": call_id,
        "type": "function",
        "function": { "name": name, "arguments": "" },
    });
    chunk(
        id,
        json!({ "role": "assistant", "tool_calls": [call] }),
        None,
        None,
    )
}

/// A chunk carrying more of the JSON arguments of tool call number `index`.
pub fn tool_call_arguments(id: &str, index: usize, fragment: &str) -> SseEvent {
    let call = json!({ "index": index, "function": { "arguments": fragment } });
    chunk(id, json!({ "tool_calls": [call] }), None, None)
}

/// The last chunk: an empty delta with `finish_reason` (`stop`, `tool_calls`, `length`), and the
/// token counts when given.
pub fn finish(id: &str, finish_reason: &str, usage: Option<ChatUsage>) -> SseEvent {
    chunk(id, json!({}), Some(finish_reason), usage)
}

/// `data: [DONE]`, which ends the stream.
pub fn done() -> SseEvent {
    SseEvent::data_only("[DONE]")
}

/// A whole streamed answer: the text word by word, `finish_reason: "stop"`, `[DONE]`.
pub fn text_completion(id: &str, text: &str) -> Vec<SseEvent> {
    let mut events: Vec<SseEvent> = words(text).map(|word| text_delta(id, word)).collect();
    events.push(finish(id, "stop", None));
    events.push(done());
    events
}

/// A whole streamed tool call: the opening chunk, the arguments in one chunk,
/// `finish_reason: "tool_calls"`, `[DONE]`.
pub fn tool_call_completion(id: &str, call_id: &str, name: &str, arguments: &str) -> Vec<SseEvent> {
    vec![
        tool_call_start(id, 0, call_id, name),
        tool_call_arguments(id, 0, arguments),
        finish(id, "tool_calls", None),
        done(),
    ]
}

fn chunk(
    id: &str,
    delta: Value,
    finish_reason: Option<&str>,
    usage: Option<ChatUsage>,
) -> SseEvent {
    let mut chunk = json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "mock-model",
        "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
    });
    if let Some(usage) = usage {
        chunk["usage"] = json!({
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
        });
    }
    SseEvent::data_only(chunk.to_string())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn data(events: &[SseEvent]) -> Vec<Value> {
        events
            .iter()
            .map(|event| {
                assert_eq!(event.name(), None, "chat chunks are unnamed");
                event.data_json().unwrap_or_else(|| json!(event.data()))
            })
            .collect()
    }

    fn chunk_with(delta: Value, finish_reason: Value) -> Value {
        json!({
            "id": "chat-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "mock-model",
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish_reason }],
        })
    }

    #[test]
    fn text_completion_streams_words_then_stop_then_done() {
        assert_eq!(
            data(&text_completion("chat-1", "Hi there")),
            vec![
                chunk_with(json!({ "role": "assistant", "content": "Hi" }), json!(null)),
                chunk_with(
                    json!({ "role": "assistant", "content": " there" }),
                    json!(null)
                ),
                chunk_with(json!({}), json!("stop")),
                json!("[DONE]"),
            ]
        );
        assert_eq!(done().encode(), "data: [DONE]\n\n");
    }

    #[test]
    fn tool_call_completion_opens_the_call_then_streams_arguments() {
        assert_eq!(
            data(&tool_call_completion(
                "chat-1",
                "call-1",
                "shell",
                "{\"command\":[\"ls\"]}"
            )),
            vec![
                chunk_with(
                    json!({
                        "role": "assistant",
                        "tool_calls": [{
                            "index": 0, "id": "call-1", "type": "function",
                            "function": { "name": "shell", "arguments": "" },
                        }],
                    }),
                    json!(null),
                ),
                chunk_with(
                    json!({
                        "tool_calls": [{ "index": 0, "function": { "arguments": "{\"command\":[\"ls\"]}" } }],
                    }),
                    json!(null),
                ),
                chunk_with(json!({}), json!("tool_calls")),
                json!("[DONE]"),
            ]
        );
    }

    #[test]
    fn finish_carries_usage_when_given() {
        let usage = ChatUsage {
            prompt_tokens: 12,
            completion_tokens: 3,
            total_tokens: 15,
        };
        let mut expected = chunk_with(json!({}), json!("stop"));
        expected["usage"] =
            json!({ "prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15 });
        assert_eq!(
            data(&[finish("chat-1", "stop", Some(usage))]),
            vec![expected]
        );
        assert_eq!(
            data(&[reasoning_delta("chat-1", "hmm")]),
            vec![chunk_with(
                json!({ "role": "assistant", "reasoning": "hmm" }),
                json!(null)
            )]
        );
    }
}
