//! Replies written as JSON, for tests outside Rust (the `codex-mock-model` binary reads them).
//!
//! A script is an array with one element per model request, served in order. Each element is
//! an object:
//!
//! ```json
//! [
//!   {"items": [{"reasoning": ["Thinking it over"]}, {"message": "Hello there"}], "delayMs": 20},
//!   {"items": [{"functionCall": {"callId": "call_1", "name": "exec_command",
//!                                "arguments": {"cmd": "echo hi"}}}]},
//!   {"status": 500}
//! ]
//! ```
//!
//! `items` become one streamed response (`message` text word by word, `reasoning` summary parts,
//! `functionCall` with `arguments` given as JSON text or as a value to encode); `delayMs` spaces
//! its events out so a client sees the text arrive; `status` answers with that HTTP error
//! instead.

use std::time::Duration;

use serde_json::Value;

use crate::reply::Reply;
use crate::sse::Turn;

/// Why a script could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScriptError {
    #[error("a script is a JSON array of replies, got: {0}")]
    NotAnArray(String),
    #[error("reply {index}: {problem}")]
    Reply { index: usize, problem: String },
}

/// Reads a whole script: one [`Reply`] per element.
pub fn parse_script(script: &Value) -> Result<Vec<Reply>, ScriptError> {
    let Value::Array(elements) = script else {
        return Err(ScriptError::NotAnArray(script.to_string()));
    };
    elements
        .iter()
        .enumerate()
        .map(|(index, element)| {
            parse_reply(element, &format!("resp_{}", index + 1))
                .map_err(|problem| ScriptError::Reply { index, problem })
        })
        .collect()
}

/// Reads one reply; a streamed response gets `response_id`.
pub fn parse_reply(element: &Value, response_id: &str) -> Result<Reply, String> {
    let Value::Object(fields) = element else {
        return Err(format!("a reply is a JSON object, got: {element}"));
    };
    if let Some(unknown) = fields
        .keys()
        .find(|key| !["items", "delayMs", "status"].contains(&key.as_str()))
    {
        return Err(format!(
            "unknown member `{unknown}` (expected items, delayMs or status)"
        ));
    }
    if let Some(status) = fields.get("status") {
        let status = status
            .as_u64()
            .and_then(|status| u16::try_from(status).ok())
            .filter(|status| (100..600).contains(status))
            .ok_or_else(|| format!("`status` is an HTTP status code, got: {status}"))?;
        if fields.contains_key("items") {
            return Err("a reply has either `status` or `items`, not both".to_string());
        }
        return Ok(Reply::status(status));
    }
    let Some(Value::Array(items)) = fields.get("items") else {
        return Err("a reply needs `items` (an array) or `status`".to_string());
    };
    let mut turn = Turn::new(response_id);
    for item in items {
        turn = add_item(turn, item)?;
    }
    let mut reply = Reply::sse(turn.events());
    if let Some(delay) = fields.get("delayMs") {
        let millis = delay
            .as_u64()
            .ok_or_else(|| format!("`delayMs` is a whole number of milliseconds, got: {delay}"))?;
        reply = reply.delay_between_events(Duration::from_millis(millis));
    }
    Ok(reply)
}

fn add_item(turn: Turn, item: &Value) -> Result<Turn, String> {
    if let Some(text) = item.get("message") {
        let text = text
            .as_str()
            .ok_or_else(|| format!("`message` is a string, got: {text}"))?;
        return Ok(turn.message(text));
    }
    if let Some(parts) = item.get("reasoning") {
        let parts = parts
            .as_array()
            .and_then(|parts| parts.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
            .ok_or_else(|| format!("`reasoning` is an array of strings, got: {parts}"))?;
        return Ok(turn.reasoning(&parts));
    }
    if let Some(call) = item.get("functionCall") {
        let text = |name: &str| {
            call.get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| format!("`functionCall.{name}` is a string, in: {call}"))
        };
        let call_id = text("callId")?;
        let name = text("name")?;
        let arguments = match call.get("arguments") {
            Some(Value::String(arguments)) => arguments.clone(),
            Some(arguments) => arguments.to_string(),
            None => "{}".to_string(),
        };
        return Ok(turn.function_call(call_id, name, &arguments));
    }
    Err(format!(
        "an item is {{\"message\": …}}, {{\"reasoning\": […]}} or {{\"functionCall\": …}}, got: {item}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn problem(script: Value) -> String {
        match parse_script(&script) {
            Ok(replies) => panic!("accepted {script}: {replies:?}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn reads_every_kind_of_reply() {
        let replies = parse_script(&json!([
            {"items": [{"reasoning": ["a b"]}, {"message": "Hello there"}], "delayMs": 5},
            {"items": [{"functionCall": {"callId": "c1", "name": "exec_command", "arguments": {"cmd": "ls"}}}]},
            {"items": [{"functionCall": {"callId": "c2", "name": "f", "arguments": "{\"x\":1}"}}]},
            {"status": 503},
        ]))
        .unwrap();
        assert_eq!(replies.len(), 4);
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(
            problem(json!({"items": []})),
            "a script is a JSON array of replies, got: {\"items\":[]}"
        );
        assert_eq!(
            problem(json!([{"items": []}, {"text": "hi"}])),
            "reply 1: unknown member `text` (expected items, delayMs or status)"
        );
        assert_eq!(
            problem(json!([{"status": 99}])),
            "reply 0: `status` is an HTTP status code, got: 99"
        );
        assert_eq!(
            problem(json!([{"items": [{"message": 1}]}])),
            "reply 0: `message` is a string, got: 1"
        );
        assert_eq!(
            problem(json!([{"items": [{"functionCall": {"name": "f"}}]}])),
            "reply 0: `functionCall.callId` is a string, in: {\"name\":\"f\"}"
        );
        assert_eq!(
            problem(json!([{}])),
            "reply 0: a reply needs `items` (an array) or `status`"
        );
    }
}
