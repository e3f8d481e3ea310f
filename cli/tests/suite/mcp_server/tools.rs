//! The `codex` and `codex-reply` tools: a turn against the mock model and the `codex/event`
//! notifications that come with it, continuing a thread, bad arguments, model errors, and a call
//! the client cancels.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::Connection;
use super::conversation;
use super::model_requests;
use super::replied;
use super::text_of;
use super::thread_of;
use crate::suite::serve::TIMEOUT;
use crate::suite::threads::live::Live;
use crate::suite::threads::tools::text;

/// The `msg.type` of each event.
fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|event| event["msg"]["type"].as_str().unwrap_or_default())
        .collect()
}

/// The input of the model's request number `index`.
fn model_input(live: &Live, index: usize) -> Value {
    let requests = model_requests(live);
    let request = requests
        .get(index)
        .unwrap_or_else(|| panic!("the model got {} requests", requests.len()));
    request["input"].clone()
}

/// Checks that `said` holds `expected` in this order, other messages around them.
fn says_in_order(said: &[(String, String)], expected: &[(&str, &str)]) {
    let mut rest = said.iter();
    for (role, text) in expected {
        let found = rest.any(|(r, t)| r == role && t == text);
        assert!(found, "no {role} saying {text:?} in order in {said:#?}");
    }
}

#[tokio::test]
async fn codex_runs_a_turn_and_streams_its_events() {
    let live = Live::new().await;
    live.model.enqueue(text("resp-1", "first"));
    let connection = Connection::start(&live).await;
    let call = connection
        .start_call("codex", json!({"prompt": "hello"}))
        .await;
    let id = call.id();
    let turn = call.turn_id();
    let result = connection.finish(call).await;
    let thread = thread_of(&result);
    assert_eq!(result, replied(&thread, "first"), "{}", connection.report());

    let (answered_at, _) = connection.answer_to(&id).await;
    let events = connection.events_of(&id, answered_at);
    let meta = json!({"requestId": id, "threadId": thread});
    for event in &events {
        assert_eq!(event["_meta"], meta, "{event}");
    }
    let kinds = kinds(&events);
    assert_eq!(kinds.first(), Some(&"session_configured"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"task_complete"), "{kinds:?}");
    let configured = &events[0];
    assert_eq!(configured["id"], "");
    assert_eq!(configured["msg"]["session_id"], thread.as_str());
    let started = events
        .iter()
        .find(|event| event["msg"]["type"] == "task_started")
        .unwrap_or_else(|| panic!("no task_started in {kinds:?}"));
    assert_eq!(started["id"], turn.as_str());
    assert_eq!(started["msg"]["turn_id"], turn.as_str());
    let complete = &events[events.len() - 1];
    assert_eq!(complete["id"], turn.as_str());
    assert_eq!(complete["msg"]["last_agent_message"], "first");
    says_in_order(&conversation(&model_input(&live, 0)), &[("user", "hello")]);
}

#[tokio::test]
async fn codex_reply_continues_the_thread_by_thread_id_or_conversation_id() {
    let live = Live::new().await;
    live.model.enqueue_all([
        text("resp-1", "first"),
        text("resp-2", "second"),
        text("resp-3", "third"),
    ]);
    let connection = Connection::start(&live).await;
    let (_, result) = connection.call("codex", json!({"prompt": "hello"})).await;
    let thread = thread_of(&result);
    assert_eq!(result, replied(&thread, "first"), "{}", connection.report());

    let (_, result) = connection
        .call(
            "codex-reply",
            json!({"prompt": "again", "threadId": thread}),
        )
        .await;
    assert_eq!(
        result,
        replied(&thread, "second"),
        "{}",
        connection.report()
    );
    says_in_order(
        &conversation(&model_input(&live, 1)),
        &[("user", "hello"), ("assistant", "first"), ("user", "again")],
    );

    // The deprecated name of the argument still works.
    let (_, result) = connection
        .call(
            "codex-reply",
            json!({"prompt": "once more", "conversationId": thread}),
        )
        .await;
    assert_eq!(result, replied(&thread, "third"), "{}", connection.report());
    says_in_order(
        &conversation(&model_input(&live, 2)),
        &[
            ("user", "hello"),
            ("assistant", "first"),
            ("user", "again"),
            ("assistant", "second"),
            ("user", "once more"),
        ],
    );
}

/// Ours: the reference knows only the threads of its own process.
#[tokio::test]
async fn codex_reply_continues_a_thread_an_earlier_server_stored() {
    let live = Live::new().await;
    live.model
        .enqueue_all([text("resp-1", "first"), text("resp-2", "second")]);
    let connection = Connection::start(&live).await;
    let (_, result) = connection.call("codex", json!({"prompt": "hello"})).await;
    let thread = thread_of(&result);
    let (status, _) = connection.close().await;
    assert_eq!(status, Some(0));

    let connection = Connection::start(&live).await;
    let (_, result) = connection
        .call(
            "codex-reply",
            json!({"prompt": "again", "threadId": thread}),
        )
        .await;
    assert_eq!(
        result,
        replied(&thread, "second"),
        "{}",
        connection.report()
    );
    says_in_order(
        &conversation(&model_input(&live, 1)),
        &[("user", "hello"), ("assistant", "first"), ("user", "again")],
    );
}

/// The result of a call refused with `text`.
fn refused(text: &str) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": true})
}

#[tokio::test]
async fn bad_calls_are_answered_as_tool_errors_in_the_reference_words() {
    let live = Live::new().await;
    let connection = Connection::start(&live).await;
    let unknown = "01a20b3d-99df-7283-adbf-ba337026147a";
    let not_found = format!("Session not found for thread_id: {unknown}");
    let mut unknown_thread = refused(&not_found);
    unknown_thread["structuredContent"] = json!({"threadId": unknown, "content": not_found});
    let cases = [
        (
            "codex",
            json!({}),
            refused("Failed to parse configuration for Codex tool: missing field `prompt`"),
        ),
        ("x", json!({}), refused("Unknown tool 'x'")),
        (
            "codex-reply",
            json!({"prompt": "x"}),
            refused(
                "Failed to parse thread_id: either threadId or conversationId must be provided",
            ),
        ),
        (
            "codex-reply",
            json!({"prompt": "x", "threadId": "nope"}),
            refused(
                "Failed to parse thread_id: invalid character: expected an optional prefix of \
                 `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1",
            ),
        ),
        (
            "codex-reply",
            json!({"prompt": "x", "threadId": unknown}),
            unknown_thread,
        ),
    ];
    // All cases first, then one comparison, so that a failure shows every wrong answer.
    let mut answers = Vec::new();
    let mut expected = Vec::new();
    for (tool, arguments, result) in cases {
        let (_, answer) = connection.call(tool, arguments.clone()).await;
        answers.push(json!({"call": [tool, arguments.clone()], "result": answer}));
        expected.push(json!({"call": [tool, arguments], "result": result}));
    }
    assert_eq!(answers, expected, "{}", connection.report());
    assert_eq!(model_requests(&live).len(), 0);
}

#[tokio::test]
async fn a_model_error_ends_the_call_as_a_tool_error() {
    let live = Live::new().await;
    let body = json!({"error": {
        "message": "the mock refuses this request",
        "type": "invalid_request_error",
        "param": null,
        "code": "invalid_value",
    }});
    live.model.enqueue(Reply::status(400).json_body(body));
    let connection = Connection::start(&live).await;
    let call = connection
        .start_call("codex", json!({"prompt": "hello"}))
        .await;
    let id = call.id();
    let result = connection.finish(call).await;
    let thread = thread_of(&result);
    let (answered_at, _) = connection.answer_to(&id).await;
    let events = connection.events_of(&id, answered_at);
    let error = events
        .iter()
        .find(|event| event["msg"]["type"] == "error")
        .unwrap_or_else(|| panic!("no error event\n{}", connection.report()));
    let message = error["msg"]["message"].as_str().expect("an error message");
    assert!(
        message.contains("the mock refuses this request"),
        "{message}"
    );
    assert_eq!(
        result,
        json!({
            "content": [{"type": "text", "text": message}],
            "isError": true,
            "structuredContent": {"threadId": thread, "content": message},
        }),
        "{}",
        connection.report()
    );
}

#[tokio::test]
async fn a_cancelled_call_aborts_its_turn_and_is_answered_at_once() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "Starting the long answer")).hang_after(3));
    let mut connection = Connection::start(&live).await;
    let call = connection
        .start_call("codex", json!({"prompt": "long answer please"}))
        .await;
    let id = call.id();
    connection
        .until_event(|event| event["msg"]["type"] == "task_started")
        .await;
    // The model's answer is under way, and hangs.
    live.model
        .wait_for_requests(1, TIMEOUT)
        .await
        .unwrap_or_else(|error| panic!("{error}\n{}", connection.report()));

    let cancelled = tokio::time::Instant::now();
    connection.cancel(&call).await;
    let (answered_at, answer) = connection.answer_to(&id).await;
    let took = cancelled.elapsed();
    assert!(
        took < std::time::Duration::from_secs(5),
        "answered {took:?} after the cancellation"
    );
    let result = &answer["result"];
    assert_eq!(result["isError"], true, "{}", connection.report());
    assert!(
        text_of(result).contains("cancelled"),
        "{}",
        connection.report()
    );
    let events = connection.events_of(&id, answered_at);
    assert!(
        kinds(&events).contains(&"turn_aborted"),
        "no turn_aborted before the answer\n{}",
        connection.report()
    );
}
