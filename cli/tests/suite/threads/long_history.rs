//! Resuming a thread whose history is longer than the model's context window: the history is
//! sent whole, as the reference sends it (nothing is trimmed), and its turns read back whole.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::thread_id;
use super::live::turn;

/// Waits until the rollout at `path` holds `needle` (the recorder writes in the background).
async fn written(path: &str, needle: &str) {
    for _ in 0..200 {
        if std::fs::read_to_string(path).is_ok_and(|text| text.contains(needle)) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{path} never held {needle:?}");
}

/// The lines of one turn as the reference records it: its start, the user's message, the
/// answer, its end.
fn turn_lines(k: usize, filler: &str) -> String {
    let turn = format!("0190a000-0000-7000-9000-{k:012x}");
    let at = "2024-01-01T00:00:00.000Z";
    let user = format!("question {k}");
    let answer = format!("answer {k}: {filler}");
    let lines = [
        json!({"timestamp": at, "type": "event_msg", "payload": {"type": "task_started", "turn_id": turn, "model_context_window": 2000}}),
        json!({"timestamp": at, "type": "response_item", "payload": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": user}]}}),
        json!({"timestamp": at, "type": "event_msg", "payload": {"type": "user_message", "message": user, "images": []}}),
        json!({"timestamp": at, "type": "response_item", "payload": {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": answer}]}}),
        json!({"timestamp": at, "type": "event_msg", "payload": {"type": "agent_message", "message": answer}}),
        json!({"timestamp": at, "type": "event_msg", "payload": {"type": "task_complete", "turn_id": turn, "last_agent_message": answer}}),
    ];
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// The texts of the messages a request's input carries, in order.
fn texts(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "message")
        .filter_map(|item| item["content"][0]["text"].as_str())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_history_longer_than_the_context_window_is_resumed_and_sent_whole() {
    let live = Live::new().await;
    let config = live.folders.read_user_config();
    live.folders
        .write_user_config(&format!("model_context_window = 2000\n{config}"));
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", "last reply")),
    ]);
    let (server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = thread_id(&started);
    let path = started["thread"]["path"].as_str().unwrap().to_owned();
    turn(&mut client, 2, &thread, "first").await;
    written(&path, "first reply").await;
    drop((client, server));

    // 60 more turns of about 1 KB each: some 15,000 tokens against a window of 2,000.
    let filler = "lorem ipsum dolor sit amet ".repeat(40);
    let more: String = (0..60).map(|k| turn_lines(k, &filler)).collect();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut file, more.as_bytes()).unwrap();
    drop(file);

    let (_server, mut client) = live.serve().await;
    let resumed = client
        .request(&json!({"id": 1, "method": "thread/resume", "params": {"threadId": thread}}))
        .await;
    let turns = resumed["result"]["thread"]["turns"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", client.report()));
    assert_eq!(turns.len(), 61, "{}", client.report());
    assert_eq!(
        turns[60]["items"][1]["text"],
        format!("answer 59: {filler}")
    );
    let read = client
        .request(&json!({"id": 2, "method": "thread/read", "params": {"threadId": thread, "includeTurns": true}}))
        .await;
    assert_eq!(
        read["result"]["thread"]["turns"],
        resumed["result"]["thread"]["turns"],
        "{}",
        client.report()
    );

    turn(&mut client, 3, &thread, "last").await;
    let bodies: Vec<Value> = live
        .model
        .requests()
        .iter()
        .filter(|request| request.path.ends_with("/responses"))
        .map(|request| request.json.clone().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    // Everything the first request carried, the first turn's answer, every stored turn, the
    // context again (the reference adds it on resume) and the new message.
    let sent = texts(&bodies[1]);
    let first = texts(&bodies[0]);
    assert_eq!(sent[..first.len()], first[..]);
    let mut rest = sent[first.len()..].iter();
    assert_eq!(rest.next().map(String::as_str), Some("first reply"));
    for k in 0..60 {
        assert_eq!(rest.next(), Some(&format!("question {k}")));
        assert_eq!(rest.next(), Some(&format!("answer {k}: {filler}")));
    }
    assert_eq!(sent.last().map(String::as_str), Some("last"));
}

/// A resumed thread leaves its tool calls, their outputs and its reasoning in the rollout
/// until a request needs them: what it then sends is what the running thread sent, item for
/// item.
#[tokio::test]
async fn a_resumed_thread_sends_the_tool_items_the_running_thread_sent() {
    let live = Live::new().await;
    let arguments =
        json!({"cmd": "printf 'out\\nput \"quoted\" \\303\\274'", "yield_time_ms": 30_000})
            .to_string();
    live.model.enqueue_all([
        Reply::sse(
            sse::Turn::new("resp-1")
                .reasoning(&["looking"])
                .function_call("call-1", "exec_command", &arguments)
                .events(),
        ),
        Reply::sse(sse::text_turn("resp-2", "ran it")),
        Reply::sse(sse::text_turn("resp-3", "again")),
    ]);
    let (server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = thread_id(&started);
    let path = started["thread"]["path"].as_str().unwrap().to_owned();
    turn(&mut client, 2, &thread, "run it").await;
    written(&path, "ran it").await;
    drop((client, server));

    let (_server, mut client) = live.serve().await;
    let resumed = client
        .request(&json!({"id": 1, "method": "thread/resume", "params": {"threadId": thread}}))
        .await;
    assert_eq!(
        resumed["result"]["thread"]["turns"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "{}",
        client.report()
    );
    turn(&mut client, 2, &thread, "again").await;

    let inputs: Vec<Vec<Value>> = live
        .model
        .requests()
        .iter()
        .filter(|request| request.path.ends_with("/responses"))
        .map(|request| {
            request.json.clone().unwrap()["input"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(inputs.len(), 3);
    let (running, resumed) = (&inputs[1], &inputs[2]);
    let kinds: Vec<&str> = running
        .iter()
        .filter_map(|item| item["type"].as_str())
        .collect();
    for kind in ["reasoning", "function_call", "function_call_output"] {
        assert!(kinds.contains(&kind), "no {kind} in {kinds:?}");
    }
    // The running thread's last request, then its answer, then what the resume added.
    assert_eq!(resumed[..running.len()], running[..]);
    assert_eq!(resumed[running.len()]["content"][0]["text"], "ran it");
}
