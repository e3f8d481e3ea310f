//! Reconnecting over WebSocket (experimental): a client that drops mid-turn and another that
//! resumes with `afterSeq` see every notification once, in `seq` order; a pending approval is
//! sent again to the client that resumes; an `afterSeq` the journal no longer holds is refused;
//! several clients on one thread see the same thread; and a small soak of many drops.

use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use crate::suite::serve::Client;
use crate::suite::serve::LOOPBACK;
use crate::suite::serve::Server;

/// Forty words, streamed one delta each.
fn long_text() -> String {
    (1..=40)
        .map(|word| format!("word{word}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A reply streaming `text` word by word, `delay` between events.
fn slow_text(response: &str, text: &str, delay: Duration) -> Reply {
    Reply::sse(sse::text_turn(response, text)).delay_between_events(delay)
}

/// A WebSocket server on the live home, with `args` (such as `-c` settings).
async fn websocket(live: &Live, args: &[&str]) -> Server {
    let env = live.folders.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Server::websocket(LOOPBACK, args, &env).await
}

/// A new connection, initialized (experimental or not), hearing everything.
async fn join(server: &Server, experimental: bool) -> Client {
    let mut client = server.connect().await;
    let answer = client
        .request(&json!({"id": 0, "method": "initialize", "params": {
            "clientInfo": {"name": "reconnect", "version": "1"},
            "capabilities": {"experimentalApi": experimental},
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    client.send(&json!({"method": "initialized"})).await;
    client
}

fn is_notification(message: &Value) -> bool {
    message.get("method").is_some() && message.get("id").is_none()
}

/// The next `count` notifications.
async fn notifications(client: &mut Client, count: usize) -> Vec<Value> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let message = client.next().await;
        if is_notification(&message) {
            seen.push(message);
        }
    }
    seen
}

/// Every notification and server request up to the end of a turn: `turn/completed`, then the
/// legacy `codex/event/task_complete` that follows it.
async fn until_completed(client: &mut Client) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut completed = false;
    loop {
        let message = client.next().await;
        if message.get("method").is_none() {
            continue;
        }
        completed |= message["method"] == "turn/completed";
        let done = completed && message["method"] == "codex/event/task_complete";
        seen.push(message);
        if done {
            return seen;
        }
    }
}

/// The `seq`s of the notifications among `messages`.
fn seqs(messages: &[Value]) -> Vec<u64> {
    messages
        .iter()
        .filter(|message| is_notification(message))
        .map(|message| message["params"]["seq"].as_u64().unwrap_or(0))
        .collect()
}

fn deltas(notifications: &[Value]) -> String {
    notifications
        .iter()
        .filter(|message| message["method"] == "item/agentMessage/delta")
        .filter_map(|message| message["params"]["delta"].as_str())
        .collect()
}

/// Starts a thread (`extra` added to the params); returns its id and journal id.
async fn start_thread(live: &Live, client: &mut Client, extra: Value) -> (String, String) {
    let mut params = json!({"cwd": live.work});
    if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
        params.extend(extra.clone());
    }
    let answer = client
        .request(&json!({"id": 1, "method": "thread/start", "params": params}))
        .await;
    let result = &answer["result"];
    let thread = result["thread"]["id"].as_str().unwrap().to_owned();
    let journal = result["journalId"].as_str().unwrap_or_default().to_owned();
    (thread, journal)
}

async fn start_turn(client: &mut Client, id: u64, thread: &str, text: &str) -> Value {
    let answer = client
        .request(&json!({"id": id, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": text}],
        }}))
        .await;
    assert!(
        answer.get("result").is_some(),
        "{answer}\n{}",
        client.report()
    );
    answer
}

/// Sends `thread/resume` and returns the very next message, which must be its answer.
async fn resume(client: &mut Client, id: u64, params: Value) -> Value {
    client
        .send(&json!({"id": id, "method": "thread/resume", "params": params}))
        .await;
    let answer = client.next().await;
    assert_eq!(
        answer["id"],
        id,
        "the answer comes first\n{}",
        client.report()
    );
    answer
}

#[tokio::test]
async fn a_client_that_resumes_after_seq_gets_the_rest_of_the_turn_once() {
    let live = Live::new().await;
    let text = long_text();
    live.model
        .enqueue(slow_text("resp-1", &text, Duration::from_millis(25)));
    let server = websocket(&live, &[]).await;
    let mut first = join(&server, true).await;
    let (thread, journal) = start_thread(&live, &mut first, json!({})).await;
    assert!(!journal.is_empty(), "{}", first.report());
    start_turn(&mut first, 2, &thread, "go").await;
    // Drop in the middle of the message.
    let mut before = Vec::new();
    while deltas(&before).split(' ').count() < 5 {
        before.extend(notifications(&mut first, 1).await);
    }
    drop(first);

    let last = *seqs(&before).last().unwrap();
    let mut second = join(&server, true).await;
    let answer = resume(
        &mut second,
        1,
        json!({"threadId": thread, "afterSeq": last, "journalId": journal}),
    )
    .await;
    assert_eq!(answer["result"]["journalId"], journal.as_str());
    let after = until_completed(&mut second).await;

    let all: Vec<u64> = seqs(&before).into_iter().chain(seqs(&after)).collect();
    let expected: Vec<u64> = (1..=all.len() as u64).collect();
    assert_eq!(all, expected, "{}", second.report());
    let mut both = before;
    both.extend(after);
    assert_eq!(deltas(&both), text);
}

/// A thread whose turn waits on an approval (to touch `approved.txt`) asked of a client that
/// then went away: the live home, the server, the thread's id and the request as it was sent.
async fn approval_left_pending(experimental: bool) -> (Live, Server, String, Value) {
    let live = Live::new().await;
    let arguments = json!({"cmd": "touch approved.txt && echo approved", "yield_time_ms": 30_000});
    live.model.enqueue_all([
        Reply::sse(sse::function_call_turn(
            "resp-1",
            "call_1",
            "exec_command",
            &arguments.to_string(),
        )),
        Reply::sse(sse::text_turn("resp-2", "Done.")),
    ]);
    let server = websocket(&live, &[]).await;
    let mut first = join(&server, experimental).await;
    let (thread, _) = start_thread(&live, &mut first, json!({"approvalPolicy": "untrusted"})).await;
    start_turn(&mut first, 2, &thread, "go").await;
    let asked = loop {
        let message = first.next().await;
        if message["method"] == "item/commandExecution/requestApproval" {
            break message;
        }
    };
    drop(first);
    (live, server, thread, asked)
}

#[tokio::test]
async fn a_pending_approval_is_sent_again_to_the_client_that_resumes() {
    let (live, server, thread, asked) = approval_left_pending(true).await;

    // A client of any kind resuming the thread is asked the same question, with the same id.
    let mut second = join(&server, false).await;
    let answer = resume(&mut second, 1, json!({"threadId": thread})).await;
    assert!(answer.get("result").is_some(), "{}", second.report());
    let again = loop {
        let message = second.next().await;
        if message.get("id").is_some() && message.get("method").is_some() {
            break message;
        }
    };
    assert_eq!(again, asked);
    second
        .respond(&asked["id"], json!({"decision": "accept"}))
        .await;
    let seen = until_completed(&mut second).await;
    let completed = seen
        .iter()
        .find(|message| message["method"] == "turn/completed")
        .unwrap();
    assert_eq!(
        completed["params"]["turn"]["status"],
        "completed",
        "{}",
        second.report()
    );
    assert!(
        std::path::Path::new(&live.work)
            .join("approved.txt")
            .exists()
    );
    // Neither `seq` nor the experimental notifications reach a stable client.
    assert!(
        seen.iter()
            .all(|message| message["params"].get("seq").is_none())
    );
    assert!(
        seen.iter()
            .all(|message| message["method"] != "serverRequest/resolved")
    );
}

#[tokio::test]
async fn a_pending_approval_is_sent_again_to_a_v1_client_that_resumes_the_conversation() {
    let (live, server, thread, asked) = approval_left_pending(false).await;

    // The v1 client hears the question after its answer and `sessionConfigured`, and listening
    // to the conversation afterwards does not ask it twice.
    let mut second = join(&server, false).await;
    second
        .send(&json!({"id": 1, "method": "resumeConversation", "params": {
            "conversationId": thread,
        }}))
        .await;
    let answer = second.next().await;
    assert_eq!(answer["id"], 1, "{}", second.report());
    assert_eq!(answer["result"]["conversationId"], thread.as_str());
    assert_eq!(second.next().await["method"], "sessionConfigured");
    assert_eq!(second.next().await, asked);
    let listening = second
        .request(
            &json!({"id": 2, "method": "addConversationListener", "params": {
                "conversationId": thread,
            }}),
        )
        .await;
    assert!(listening.get("result").is_some(), "{}", second.report());
    second
        .respond(&asked["id"], json!({"decision": "accept"}))
        .await;
    loop {
        let message = second.next().await;
        assert!(
            message.get("id").is_none() || message.get("method").is_none(),
            "asked again: {message}"
        );
        if message["method"] == "codex/event/task_complete" {
            break;
        }
    }
    assert!(
        std::path::Path::new(&live.work)
            .join("approved.txt")
            .exists()
    );
}

#[tokio::test]
async fn an_after_seq_the_journal_no_longer_holds_is_refused() {
    let live = Live::new().await;
    live.model
        .enqueue(slow_text("resp-1", &long_text(), Duration::ZERO));
    let server = websocket(&live, &["-c", "app_server.event_replay_capacity=5"]).await;
    let mut first = join(&server, true).await;
    let (thread, journal) = start_thread(&live, &mut first, json!({})).await;
    start_turn(&mut first, 2, &thread, "go").await;
    let seen = until_completed(&mut first).await;
    let last = *seqs(&seen).last().unwrap();

    let mut second = join(&server, true).await;
    let refused = resume(&mut second, 1, json!({"threadId": thread, "afterSeq": 1})).await;
    assert_eq!(
        refused,
        json!({"id": 1, "error": {
            "code": -32600,
            "message": "events after seq 1 are no longer held; read the thread instead",
            "data": {"oldestSeq": last - 4},
        }})
    );
    let other = resume(
        &mut second,
        2,
        json!({"threadId": thread, "afterSeq": last, "journalId": "another-load"}),
    )
    .await;
    assert_eq!(other["error"]["data"], json!({"oldestSeq": last - 4}));
    // The last five are still there.
    let answer = resume(
        &mut second,
        3,
        json!({"threadId": thread, "afterSeq": last - 5, "journalId": journal}),
    )
    .await;
    assert!(answer.get("result").is_some(), "{}", second.report());
    let replayed = notifications(&mut second, 5).await;
    assert_eq!(seqs(&replayed), ((last - 4)..=last).collect::<Vec<_>>());
    assert_eq!(replayed, seen[seen.len() - 5..]);

    // A stable client may not ask at all.
    let mut stable = join(&server, false).await;
    let answer = resume(
        &mut stable,
        1,
        json!({"threadId": thread, "afterSeq": last}),
    )
    .await;
    assert_eq!(answer["error"]["code"], -32600, "{}", stable.report());
}

#[tokio::test]
async fn two_clients_on_one_thread_see_the_turns_either_starts() {
    let live = Live::new().await;
    live.model.enqueue_all([
        slow_text("resp-1", "first turn", Duration::ZERO),
        slow_text("resp-2", "second turn", Duration::ZERO),
    ]);
    let server = websocket(&live, &[]).await;
    let mut a = join(&server, true).await;
    let (thread, _) = start_thread(&live, &mut a, json!({})).await;
    let mut b = join(&server, true).await;
    resume(&mut b, 1, json!({"threadId": thread})).await;

    start_turn(&mut a, 2, &thread, "one").await;
    let (seen_a, seen_b) = (until_completed(&mut a).await, until_completed(&mut b).await);
    // `a` also heard what came before `b` joined.
    assert_eq!(seen_a[seen_a.len() - seen_b.len()..], seen_b[..]);
    assert_eq!(deltas(&seen_b), "first turn");

    start_turn(&mut b, 2, &thread, "two").await;
    let (seen_a, seen_b) = (until_completed(&mut a).await, until_completed(&mut b).await);
    assert_eq!(seen_a, seen_b);
    assert_eq!(deltas(&seen_a), "second turn");
}

#[tokio::test]
async fn the_client_that_did_not_answer_hears_the_request_resolved() {
    let live = Live::new().await;
    let arguments = json!({"cmd": "touch resolved.txt", "yield_time_ms": 30_000});
    live.model.enqueue_all([
        Reply::sse(sse::function_call_turn(
            "resp-1",
            "call_1",
            "exec_command",
            &arguments.to_string(),
        )),
        Reply::sse(sse::text_turn("resp-2", "Done.")),
    ]);
    let server = websocket(&live, &[]).await;
    let mut a = join(&server, true).await;
    let (thread, _) = start_thread(&live, &mut a, json!({"approvalPolicy": "untrusted"})).await;
    let mut b = join(&server, true).await;
    resume(&mut b, 1, json!({"threadId": thread})).await;
    start_turn(&mut a, 2, &thread, "go").await;
    let asked = loop {
        let message = a.next().await;
        if message["method"] == "item/commandExecution/requestApproval" {
            break message;
        }
    };
    a.respond(&asked["id"], json!({"decision": "accept"})).await;
    let seen_b = until_completed(&mut b).await;
    let resolved: Vec<&Value> = seen_b
        .iter()
        .filter(|message| message["method"] == "serverRequest/resolved")
        .collect();
    assert_eq!(resolved.len(), 1, "{}", b.report());
    assert_eq!(
        resolved[0]["params"],
        json!({"threadId": thread, "requestId": asked["id"], "seq": resolved[0]["params"]["seq"]})
    );
    // `b` was never asked.
    assert!(seen_b.iter().all(is_notification), "{}", b.report());
    // And it followed what the thread was doing.
    let statuses: Vec<&Value> = seen_b
        .iter()
        .filter(|message| message["method"] == "thread/status/changed")
        .map(|message| &message["params"]["status"])
        .collect();
    assert_eq!(
        statuses,
        [
            &json!({"type": "active", "activeFlags": []}),
            &json!({"type": "active", "activeFlags": ["waitingOnApproval"]}),
            &json!({"type": "active", "activeFlags": []}),
            &json!({"type": "idle"}),
        ],
        "{}",
        b.report()
    );
}

#[tokio::test]
async fn the_last_client_to_unsubscribe_closes_the_thread() {
    let live = Live::new().await;
    let server = websocket(&live, &[]).await;
    let mut a = join(&server, true).await;
    let (thread, _) = start_thread(&live, &mut a, json!({})).await;
    let mut b = join(&server, true).await;
    resume(&mut b, 1, json!({"threadId": thread})).await;
    let unsubscribe =
        |id: u64| json!({"id": id, "method": "thread/unsubscribe", "params": {"threadId": thread}});

    let answer = b.request(&unsubscribe(2)).await;
    assert_eq!(answer["result"], json!({"status": "unsubscribed"}));
    let answer = b.request(&unsubscribe(3)).await;
    assert_eq!(answer["result"], json!({"status": "notSubscribed"}));
    let answer = a.request(&unsubscribe(4)).await;
    assert_eq!(answer["result"], json!({"status": "unsubscribed"}));
    let closed = loop {
        let message = a.next().await;
        if message["method"] == "thread/closed" {
            break message;
        }
    };
    assert_eq!(closed["params"], json!({"threadId": thread}));
    let answer = a.request(&unsubscribe(5)).await;
    assert_eq!(answer["result"], json!({"status": "notLoaded"}));

    // A stable client may not call it.
    let mut stable = join(&server, false).await;
    let answer = stable.request(&unsubscribe(1)).await;
    assert_eq!(answer["error"]["code"], -32600, "{}", stable.report());
}

/// A few clients, each on a thread of its own, dropping and resuming several times during long
/// turns: every client ends up with every `seq` once and every turn's whole text (the benchmark
/// `reconnect_soak` runs the same with many more).
#[tokio::test]
async fn a_small_soak_loses_nothing() {
    const CLIENTS: usize = 3;
    const DROPS: usize = 4;
    let live = Live::new().await;
    let text = long_text();
    for response in 0..CLIENTS * DROPS {
        live.model.enqueue(slow_text(
            &format!("resp-{response}"),
            &text,
            Duration::from_millis(5),
        ));
    }
    let server = websocket(&live, &[]).await;
    let mut runs = Vec::new();
    for client in 0..CLIENTS {
        runs.push(soak_client(&live, &server, client, DROPS));
    }
    for (turns, texts) in futures::future::join_all(runs).await {
        assert!(turns >= 1);
        assert!(
            texts.iter().all(|turn_text| *turn_text == text),
            "{texts:?}"
        );
    }
}

/// One soak client: starts a thread, then `drops` times reads a few notifications of a running
/// turn and drops, resuming after the last `seq` it saw; checks the `seq`s it saw run without
/// a gap. Returns the turns it saw complete and their texts.
async fn soak_client(
    live: &Live,
    server: &Server,
    index: usize,
    drops: usize,
) -> (usize, Vec<String>) {
    let mut client = join(server, true).await;
    let (thread, journal) = start_thread(live, &mut client, json!({})).await;
    let mut seen: Vec<Value> = Vec::new();
    let mut running = false;
    let mut request = 10;
    for round in 0..=drops {
        if round > 0 {
            client = join(server, true).await;
            let last = seqs(&seen).last().copied().unwrap_or(0);
            let answer = resume(
                &mut client,
                1,
                json!({"threadId": thread, "afterSeq": last, "journalId": journal}),
            )
            .await;
            assert!(answer.get("result").is_some(), "{}", client.report());
        }
        if !running && round < drops {
            request += 1;
            start_turn(&mut client, request, &thread, "go").await;
            running = true;
        }
        let budget = if round == drops {
            usize::MAX
        } else {
            6 + (index + round) % 5
        };
        let mut read = 0;
        while running && read < budget {
            let message = notifications(&mut client, 1).await.remove(0);
            running = message["method"] != "turn/completed";
            seen.push(message);
            read += 1;
        }
    }
    let expected: Vec<u64> = (1..=seen.len() as u64).collect();
    assert_eq!(seqs(&seen), expected, "{}", client.report());
    let mut texts = Vec::new();
    let mut current = String::new();
    for message in &seen {
        if message["method"] == "item/agentMessage/delta" {
            current.push_str(message["params"]["delta"].as_str().unwrap_or_default());
        }
        if message["method"] == "turn/completed" {
            texts.push(std::mem::take(&mut current));
        }
    }
    (texts.len(), texts)
}
