//! Streamed replies on the wire: framing, slow streams, cuts and hangs.

use std::time::Duration;
use std::time::Instant;

use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::chat;
use codex_test_support::sse;
use pretty_assertions::assert_eq;

use super::Exchange;
use super::PATIENCE;
use super::event_names;
use super::request;
use super::sse_frames;

const RESPONSES: &str = "/v1/responses";

async fn post(server: &MockModelServer, path: &str) -> super::HttpResponse {
    request(
        server.addr(),
        "POST",
        path,
        &[("content-type", "application/json")],
        "{}",
    )
    .await
}

fn encoded(events: &[codex_test_support::SseEvent]) -> String {
    events
        .iter()
        .map(codex_test_support::SseEvent::encode)
        .collect()
}

#[tokio::test]
async fn a_responses_stream_is_framed_as_named_sse_events() {
    let server = MockModelServer::start().await.unwrap();
    let events = sse::text_turn("resp-1", "Hello");
    server.enqueue(Reply::sse(events.clone()));

    let response = post(&server, RESPONSES).await;

    assert_eq!(response.status, 200, "{response}");
    assert_eq!(response.header("content-type"), Some("text/event-stream"));
    assert!(response.complete, "{response}");
    assert!(
        response.body.starts_with(
            "event: response.created\ndata: {\"response\":{\"id\":\"resp-1\"},\"type\":\"response.created\"}\n\n"
        ),
        "{response}"
    );
    assert_eq!(response.body, encoded(&events));
    assert_eq!(
        event_names(&response.body),
        [
            "response.created",
            "response.output_item.added",
            "response.output_text.delta",
            "response.output_item.done",
            "response.completed",
        ]
    );
    for (name, data) in sse_frames(&response.body) {
        let data: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(Some(data["type"].as_str().unwrap()), name.as_deref());
    }
}

#[tokio::test]
async fn a_chat_stream_is_unnamed_data_ending_in_done() {
    let server = MockModelServer::start().await.unwrap();
    let events = chat::text_completion("chat-1", "Hi there");
    server.enqueue(Reply::sse(events.clone()));

    let response = post(&server, "/v1/chat/completions").await;

    assert_eq!(response.status, 200, "{response}");
    assert!(response.complete, "{response}");
    assert_eq!(response.body, encoded(&events));
    let frames = sse_frames(&response.body);
    assert!(frames.iter().all(|(name, _)| name.is_none()), "{response}");
    assert_eq!(frames.last().unwrap().1, "[DONE]");
}

#[tokio::test]
async fn a_slow_stream_waits_between_events_and_keeps_their_order() {
    let server = MockModelServer::start().await.unwrap();
    let delay = Duration::from_millis(50);
    let events = sse::text_turn("resp-1", "one two three");
    server.enqueue(Reply::sse(events.clone()).delay_between_events(delay));

    let started = Instant::now();
    let response = post(&server, RESPONSES).await;
    let elapsed = started.elapsed();

    assert!(response.complete, "{response}");
    assert_eq!(response.body, encoded(&events));
    // Sleeps never end early, so this bound holds however loaded the machine is.
    let gaps = u32::try_from(events.len() - 1).unwrap();
    assert!(
        elapsed >= delay * gaps,
        "{elapsed:?} for {gaps} gaps of {delay:?}"
    );
}

#[tokio::test]
async fn a_cut_stream_breaks_off_after_its_events_without_completing() {
    let server = MockModelServer::start().await.unwrap();
    let events = sse::text_turn("resp-1", "Hello world");
    server.enqueue(Reply::sse(events.clone()).cut_after(3));

    let response = post(&server, RESPONSES).await;

    assert_eq!(response.status, 200, "{response}");
    assert!(!response.complete, "the body ended properly:\n{response}");
    assert_eq!(response.body, encoded(&events[..3]));
    assert!(!response.body.contains("response.completed"), "{response}");
}

#[tokio::test]
async fn a_slow_cut_stream_still_delivers_every_event_before_the_break() {
    let server = MockModelServer::start().await.unwrap();
    let events = sse::text_turn("resp-1", "a b c");
    server.enqueue(
        Reply::sse(events.clone())
            .delay_between_events(Duration::from_millis(10))
            .cut_after(4),
    );

    let response = post(&server, RESPONSES).await;

    assert!(!response.complete, "{response}");
    assert_eq!(response.body, encoded(&events[..4]));
}

#[tokio::test]
async fn a_hanging_stream_sends_its_events_then_waits_until_the_client_leaves() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hello")).hang_after(2));

    let mut exchange = Exchange::send(server.addr(), "POST", RESPONSES, &[], "{}").await;
    // The events arrive while the stream is still open: they are flushed as they are sent.
    exchange
        .read_until("event: response.output_item.added\n")
        .await;
    assert!(!exchange.closes_within(Duration::from_millis(100)).await);
    assert!(!exchange.text().contains("response.output_text.delta"));
    assert_eq!(server.active_streams(), 1);

    drop(exchange);
    wait_until(|| server.active_streams() == 0).await;
}

#[tokio::test]
async fn dropping_the_server_ends_a_hanging_stream_without_completing_it() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hello")).hang_after(1));

    let mut exchange = Exchange::send(server.addr(), "POST", RESPONSES, &[], "{}").await;
    exchange.read_until("event: response.created\n").await;
    drop(server);

    let response = exchange.finish().await;
    assert!(!response.complete, "{response}");
    assert_eq!(event_names(&response.body), ["response.created"]);
}

async fn wait_until(condition: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "the condition never held");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
