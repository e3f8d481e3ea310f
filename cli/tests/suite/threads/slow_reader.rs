//! A stdio client that stops reading: the IDE that started the server, paused in a debugger.
//! It is never dropped; its turns wait for it, and once it reads again it gets everything.
//! (The wait far past the 30 s after which a WebSocket client is dropped is checked in
//! `connection_loop`'s unit tests, on paused time.)

use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::live::Live;
use super::live::start_turn;
use super::live::thread_id;
use super::live::until_turn_completed;

#[tokio::test]
async fn a_stdio_client_that_stops_reading_holds_its_turn_then_gets_everything() {
    let live = Live::new().await;
    // Far more than the stdout pipe and the outbound queue hold: several notifications each.
    let text: String = (0..3000).map(|n| format!("word{n} ")).collect();
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", &text)));
    let (mut server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = thread_id(&started);
    let rollout = started["thread"]["path"].as_str().unwrap().to_owned();
    start_turn(&mut client, 2, &thread, "talk a lot").await;

    // The client stops reading. The model has sent the whole answer, but the turn waits for
    // the client: it is not over, and the server is still there.
    live.model
        .wait_for_requests(1, Duration::from_secs(30))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let saved = std::fs::read_to_string(&rollout).unwrap_or_default();
    assert!(
        !saved.contains("\"task_complete\""),
        "the turn ran on while its client was not reading"
    );
    assert!(server.is_running(), "{}", client.report());

    // Reading again: every delta, in order, then the turn's end.
    let seen = until_turn_completed(&mut client).await;
    let streamed: String = seen
        .iter()
        .filter(|message| message["method"] == "item/agentMessage/delta")
        .map(|message| message["params"]["delta"].as_str().unwrap())
        .collect();
    assert!(
        streamed == text,
        "the streamed text differs from the answer"
    );
    let completed = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed["status"], "completed", "{}", client.report());
}
