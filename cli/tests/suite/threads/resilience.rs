//! Turns when things go wrong: a provider that is down, refuses or rate-limits, a stream that
//! breaks off, a server killed mid-turn, a torn rollout line, a lost or stale index; and the
//! reference's own rollouts and a Chat Completions provider, end to end.

use std::io::Write;
use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::chat;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::install_samples;
use super::live::Live;
use super::live::Provider;
use super::live::next_notification;
use super::live::thread_id;
use super::live::turn;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// The `error` notification among `seen`.
fn error_notification<'a>(client: &Client, seen: &'a [Value]) -> &'a Value {
    seen.iter()
        .find(|message| message["method"] == "error")
        .map(|message| &message["params"])
        .unwrap_or_else(|| panic!("no error notification\n{}", client.report()))
}

/// Checks that the turn `seen` ended failed, with the error the `error` notification carried
/// (`willRetry: false`), and returns that error.
fn failed_turn(client: &Client, seen: &[Value], turn_id: &str) -> Value {
    let error = error_notification(client, seen);
    assert_eq!(error["willRetry"], false, "{}", client.report());
    let completed = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(
        (&completed["id"], &completed["status"], &completed["error"]),
        (&json!(turn_id), &json!("failed"), &error["error"]),
        "{}",
        client.report()
    );
    error["error"].clone()
}

/// The text of the last agentMessage item completed among `seen`.
fn agent_text(client: &Client, seen: &[Value]) -> String {
    seen.iter()
        .rev()
        .find(|message| {
            message["method"] == "item/completed"
                && message["params"]["item"]["type"] == "agentMessage"
        })
        .and_then(|message| message["params"]["item"]["text"].as_str())
        .unwrap_or_else(|| panic!("no agentMessage item\n{}", client.report()))
        .to_owned()
}

/// What the user typed, in the `input` of a Responses API request body, in order: the user
/// messages without the context ones (`<environment_context>`, AGENTS.md).
fn user_texts(body: &Value) -> Vec<String> {
    message_texts(body, "user")
        .into_iter()
        .filter(|text| !text.starts_with('<') && !text.starts_with("# AGENTS.md instructions"))
        .collect()
}

/// The texts of the messages with `role` in the `input` of a Responses API request body.
fn message_texts(body: &Value, role: &str) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap_or_else(|| panic!("no input in {body}"))
        .iter()
        .filter(|item| item["type"] == "message" && item["role"] == role)
        .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
        .filter_map(|part| part["text"].as_str().map(str::to_owned))
        .collect()
}

/// The body of the mock's last request.
fn last_request(live: &Live) -> Value {
    let requests = live.model.requests();
    let last = requests.last().expect("the model was asked");
    last.json.clone().expect("a JSON body")
}

/// Stops a stdio server by closing its input, and waits for it to exit cleanly.
async fn stop(server: Server, mut client: Client) {
    client.close_input().await;
    let (status, stderr) = server.exit().await;
    assert_eq!(status, Some(0), "{stderr}");
}

/// `thread/read` with its turns.
async fn read(client: &mut Client, id: u64, thread: &str) -> Value {
    let answer = client
        .request(&json!({"id": id, "method": "thread/read", "params": {"threadId": thread, "includeTurns": true}}))
        .await;
    assert!(
        answer["result"].is_object(),
        "{answer}\n{}",
        client.report()
    );
    answer["result"]["thread"].clone()
}

/// The ids `thread/list` answers with, newest first.
async fn list(client: &mut Client, id: u64) -> Vec<String> {
    let answer = client
        .request(&json!({"id": id, "method": "thread/list", "params": {}}))
        .await;
    answer["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {answer}\n{}", client.report()))
        .iter()
        .map(|thread| thread["id"].as_str().unwrap().to_owned())
        .collect()
}

/// `thread/resume`, checked to have answered with the thread.
async fn resume(client: &mut Client, id: u64, thread: &str) -> Value {
    let answer = client
        .request(&json!({"id": id, "method": "thread/resume", "params": {"threadId": thread}}))
        .await;
    assert_eq!(
        answer["result"]["thread"]["id"],
        thread,
        "{answer}\n{}",
        client.report()
    );
    answer["result"].clone()
}

#[tokio::test]
async fn a_provider_that_is_down_fails_the_turn() {
    let live = Live::new().await;
    // A port nobody listens on: bind one, then let it go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base_url = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);
    live.configure(&Provider {
        base_url: &base_url,
        wire_api: "responses",
        request_max_retries: 1,
        stream_max_retries: 0,
    });
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (turn_id, seen) = turn(&mut client, 2, &thread, "anyone there?").await;
    let error = failed_turn(&client, &seen, &turn_id);
    assert_eq!(
        error["codexErrorInfo"],
        json!({"httpConnectionFailed": {"httpStatusCode": null}}),
        "{}",
        client.report()
    );
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{}",
        client.report()
    );
}

#[tokio::test]
async fn unauthorized_fails_the_turn_in_the_reference_words() {
    let live = Live::new().await;
    live.model.enqueue(Reply::status(401));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (turn_id, seen) = turn(&mut client, 2, &thread, "who am I?").await;
    let error = failed_turn(&client, &seen, &turn_id);
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("unexpected status 401 Unauthorized: "),
        "{message}\n{}",
        client.report()
    );
    assert_eq!(live.model.requests().len(), 1);
}

#[tokio::test]
async fn a_rate_limited_request_is_sent_again_after_retry_after() {
    let live = Live::new().await;
    live.configure(&Provider {
        base_url: &live.model.base_url(),
        wire_api: "responses",
        request_max_retries: 1,
        stream_max_retries: 0,
    });
    live.model.enqueue_all([
        Reply::status(429).retry_after(Duration::from_secs(1)),
        Reply::sse(sse::text_turn("resp-1", "worth the wait")),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let started = std::time::Instant::now();
    let (_, seen) = turn(&mut client, 2, &thread, "busy?").await;
    let completed = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed["status"], "completed", "{}", client.report());
    assert_eq!(agent_text(&client, &seen), "worth the wait");
    assert_eq!(live.model.requests().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "Retry-After was not honoured: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_broken_stream_is_resent_when_retries_are_left() {
    let live = Live::new().await;
    live.configure(&Provider {
        base_url: &live.model.base_url(),
        wire_api: "responses",
        request_max_retries: 0,
        stream_max_retries: 1,
    });
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "this answer breaks off")).cut_after(3),
        Reply::sse(sse::text_turn("resp-2", "the whole answer")),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (_, seen) = turn(&mut client, 2, &thread, "tell me").await;
    let error = error_notification(&client, &seen);
    assert_eq!(error["willRetry"], true, "{}", client.report());
    assert_eq!(error["error"]["message"], "Reconnecting... 1/1");
    let completed = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed["status"], "completed", "{}", client.report());
    assert_eq!(agent_text(&client, &seen), "the whole answer");
    assert_eq!(live.model.requests().len(), 2);
}

#[tokio::test]
async fn a_broken_stream_fails_the_turn_without_retries() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "this answer breaks off")).cut_after(3));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (turn_id, seen) = turn(&mut client, 2, &thread, "tell me").await;
    failed_turn(&client, &seen, &turn_id);
    assert!(
        seen.iter()
            .all(|message| message["method"] != "error" || message["params"]["willRetry"] == false),
        "{}",
        client.report()
    );
    assert_eq!(live.model.requests().len(), 1);
}

#[tokio::test]
async fn a_thread_resumes_after_its_server_was_killed_mid_turn() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", "an answer cut short by a crash")).hang_after(3),
        Reply::sse(sse::text_turn("resp-3", "after the crash")),
    ]);
    let (server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = thread_id(&started);
    let path = started["thread"]["path"].as_str().unwrap().to_owned();
    turn(&mut client, 2, &thread, "before the crash").await;
    client
        .request(&json!({"id": 3, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "during the crash"}],
        }}))
        .await;
    loop {
        let message = next_notification(&mut client).await;
        if message["method"] == "item/agentMessage/delta" {
            break;
        }
    }
    // The rollout is written in the background: the turn's input can reach the disk a few
    // milliseconds after the model's first delta reached the client (as in the reference, whose
    // writer is a task too). Kill once it is there, so that the test is about what survives.
    let waiting = std::time::Instant::now();
    while !std::fs::read_to_string(&path)
        .unwrap()
        .contains("during the crash")
    {
        assert!(
            waiting.elapsed() < Duration::from_secs(5),
            "the turn's input never reached the rollout\n{}",
            client.report()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    client.note("SIGKILL");
    server.signal("KILL");
    drop((server, client));

    let (_server, mut client) = live.serve().await;
    let resumed = resume(&mut client, 1, &thread).await;
    let rollout = resumed["thread"]["path"].as_str().unwrap_or_default();
    let rollout = || std::fs::read_to_string(rollout).unwrap_or_default();
    let turns = resumed["thread"]["turns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !turns.is_empty() && turns[0]["items"][1]["text"] == "first reply",
        "{resumed}\n{}\n--- rollout ---\n{}",
        client.report(),
        rollout()
    );
    // The turn the crash cut off is over: it shows as interrupted, not as running forever.
    assert_eq!(turns.len(), 2, "{resumed}");
    assert_eq!(turns[0]["status"], "completed");
    assert_eq!(turns[1]["status"], "interrupted", "{resumed}");
    let (_, seen) = turn(&mut client, 2, &thread, "after the crash").await;
    assert_eq!(agent_text(&client, &seen), "after the crash");
    let body = last_request(&live);
    assert_eq!(
        user_texts(&body),
        ["before the crash", "during the crash", "after the crash"],
        "{body}\n{}\n--- rollout ---\n{}",
        client.report(),
        rollout()
    );
    assert_eq!(message_texts(&body, "assistant"), ["first reply"], "{body}");
    let read = read(&mut client, 3, &thread).await;
    let texts: Vec<&Value> = read["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|turn| &turn["items"][0]["content"][0]["text"])
        .collect();
    assert_eq!(
        texts,
        [
            &json!("before the crash"),
            &json!("during the crash"),
            &json!("after the crash")
        ],
        "{read}\n{}",
        client.report()
    );
}

#[tokio::test]
async fn a_torn_rollout_line_is_skipped_and_appended_after() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "before the tear")),
        Reply::sse(sse::text_turn("resp-2", "after the tear")),
    ]);
    let (server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    turn(&mut client, 2, &thread, "first").await;
    let path = read(&mut client, 3, &thread).await["path"]
        .as_str()
        .unwrap()
        .to_owned();
    stop(server, client).await;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    file.write_all(br#"{"timestamp":"2025-01-01T00:00:00.000Z","type":"response_item","payl"#)
        .unwrap();
    drop(file);

    let (_server, mut client) = live.serve().await;
    assert_eq!(
        list(&mut client, 1).await,
        [thread.as_str()],
        "{}",
        client.report()
    );
    let before = read(&mut client, 2, &thread).await;
    assert_eq!(
        before["turns"][0]["items"][1]["text"], "before the tear",
        "{before}"
    );
    resume(&mut client, 3, &thread).await;
    let (_, seen) = turn(&mut client, 4, &thread, "second").await;
    assert_eq!(agent_text(&client, &seen), "after the tear");
    assert_eq!(user_texts(&last_request(&live)), ["first", "second"]);
    let after = read(&mut client, 5, &thread).await;
    assert_eq!(
        after["turns"].as_array().map(Vec::len),
        Some(2),
        "{after}\n{}",
        client.report()
    );
    // Every line but the torn one is whole JSON, the new ones included.
    let text = std::fs::read_to_string(&path).unwrap();
    let broken: Vec<&str> = text
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).is_err())
        .collect();
    assert_eq!(broken.len(), 1, "{text}");
    assert!(text.ends_with('\n'));
}

#[tokio::test]
async fn a_lost_or_stale_index_is_rebuilt() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "indexed")));
    let (server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    turn(&mut client, 2, &thread, "index me").await;
    assert_eq!(list(&mut client, 3).await, [thread.as_str()]);
    stop(server, client).await;
    let index = live.folders.home().join("threads-index.sqlite");
    assert!(index.exists(), "no index at {index:?}");

    // Stale: rollouts appear behind the server's back.
    let samples = install_samples(&live.folders.home());
    let (server, mut client) = live.serve().await;
    let stale = list(&mut client, 1).await;
    stop(server, client).await;
    let mut expected = vec![thread.clone()];
    expected.extend(
        samples
            .iter()
            .filter(|(name, _, _)| name != "archived")
            .map(|(_, id, _)| id.clone()),
    );
    let mut sorted = stale.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "listed: {stale:?}");
    assert_eq!(stale[0], thread, "the newest thread comes first");

    // Lost: the index is gone.
    std::fs::remove_file(&index).unwrap();
    let (_server, mut client) = live.serve().await;
    assert_eq!(list(&mut client, 1).await, stale, "{}", client.report());
}

#[tokio::test]
async fn reference_rollouts_are_listed_read_and_resumed() {
    let live = Live::new().await;
    let samples = install_samples(&live.folders.home());
    let sample = |name: &str| {
        samples
            .iter()
            .find(|(sample, _, _)| sample == name)
            .map(|(_, id, _)| id.clone())
            .unwrap_or_else(|| panic!("no sample {name}"))
    };
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "hello again")));
    let (_server, mut client) = live.serve().await;
    let listed = list(&mut client, 1).await;
    assert_eq!(listed.len(), samples.len() - 1, "{listed:?}");
    let text_turn = sample("text-turn");
    assert!(listed.contains(&text_turn), "{listed:?}");
    for (id, (name, thread, _)) in (2..).zip(&samples) {
        if name == "archived" {
            continue;
        }
        let read = read(&mut client, id, thread).await;
        assert!(
            read["turns"]
                .as_array()
                .is_some_and(|turns| !turns.is_empty()),
            "{name}: {read}"
        );
    }
    let resumed = resume(&mut client, 20, &text_turn).await;
    assert_eq!(resumed["thread"]["turns"].as_array().map(Vec::len), Some(1));
    let (_, seen) = turn(&mut client, 21, &text_turn, "say it again").await;
    assert_eq!(agent_text(&client, &seen), "hello again");
    let body = last_request(&live);
    assert_eq!(
        user_texts(&body)[..],
        ["say hello", "say it again"][..],
        "{body}"
    );
    let read = read(&mut client, 22, &text_turn).await;
    assert_eq!(read["turns"].as_array().map(Vec::len), Some(2), "{read}");
}

#[tokio::test]
async fn a_chat_completions_turn_streams_deltas() {
    let live = Live::new().await;
    live.configure(&Provider {
        base_url: &live.model.base_url(),
        wire_api: "chat",
        request_max_retries: 0,
        stream_max_retries: 0,
    });
    live.model.enqueue(Reply::sse(chat::text_completion(
        "chat-1",
        "Hello from chat",
    )));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (turn_id, seen) = turn(&mut client, 2, &thread, "say hello").await;
    let deltas: String = seen
        .iter()
        .filter(|message| message["method"] == "item/agentMessage/delta")
        .map(|message| message["params"]["delta"].as_str().unwrap())
        .collect();
    assert_eq!(deltas, "Hello from chat", "{}", client.report());
    assert_eq!(agent_text(&client, &seen), "Hello from chat");
    assert_eq!(
        seen[seen.len() - 1]["params"]["turn"],
        json!({"id": turn_id, "items": [], "status": "completed", "error": null}),
        "{}",
        client.report()
    );
    let requests = live.model.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].path.ends_with("/chat/completions"),
        "{}",
        requests[0]
    );
}
