//! The legacy v1 conversation methods over the spawned binary and the mock model: events reach
//! listeners as `codex/event/*` and no one else; turns, interrupts, summaries, list, resume,
//! fork and archive.

use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::next_notification;
use crate::suite::serve::Client;
use crate::suite::serve::LOOPBACK;
use crate::suite::serve::Server;

/// Opens a conversation, checks its answer and `sessionConfigured`; returns its result.
async fn new_conversation(live: &Live, client: &mut Client, id: u64) -> Value {
    let answer = client
        .request(&json!({"id": id, "method": "newConversation", "params": {"cwd": live.work}}))
        .await;
    let result = answer["result"].clone();
    assert_eq!(result["model"], "gpt-5.1-codex", "{}", client.report());
    assert!(
        result["rolloutPath"]
            .as_str()
            .is_some_and(|path| !path.is_empty())
    );
    let configured = next_notification(client).await;
    assert_eq!(configured["method"], "sessionConfigured");
    assert_eq!(configured["params"]["sessionId"], result["conversationId"]);
    result
}

async fn listen(client: &mut Client, id: u64, conversation: &Value) -> String {
    let answer = client
        .request(
            &json!({"id": id, "method": "addConversationListener", "params": {
                "conversationId": conversation,
            }}),
        )
        .await;
    answer["result"]["subscriptionId"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}\n{}", client.report()))
        .to_owned()
}

fn text(text: &str) -> Value {
    json!([{"type": "text", "data": {"text": text}}])
}

/// The notifications up to `codex/event/<last>`.
async fn until_event(client: &mut Client, last: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = next_notification(client).await;
        let done = message["method"] == format!("codex/event/{last}");
        seen.push(message);
        if done {
            return seen;
        }
    }
}

/// The types of the legacy events among `seen` (listeners hear the v2 notifications too),
/// each checked to be of `conversation`.
fn event_types<'a>(seen: &'a [Value], conversation: &Value) -> Vec<&'a str> {
    seen.iter()
        .filter_map(|message| {
            let method = message["method"].as_str().unwrap_or_default();
            let kind = method.strip_prefix("codex/event/")?;
            assert_eq!(message["params"]["conversationId"], *conversation);
            assert_eq!(message["params"]["msg"]["type"], kind);
            Some(kind)
        })
        .collect()
}

/// The next message is the answer to a fresh request: nothing was sent before it.
async fn nothing_pending(client: &mut Client, id: u64) {
    client
        .send(&json!({"id": id, "method": "getUserAgent"}))
        .await;
    let next = client.next().await;
    assert_eq!(next["id"], id, "{}", client.report());
}

#[tokio::test]
async fn listeners_hear_legacy_events_and_v2_notifications_and_no_one_else_does() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", "second reply")),
        Reply::sse(sse::text_turn("resp-3", "unheard reply")),
    ]);
    let env = live.folders.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Server::websocket(LOOPBACK, &[], &env).await;
    let mut v1 = server.connect().await;
    v1.initialize(false).await;
    let mut v2 = server.connect().await;
    v2.initialize(false).await;

    let conversation = new_conversation(&live, &mut v1, 1).await["conversationId"].clone();
    let subscription = listen(&mut v1, 2, &conversation).await;
    v1.check(
        json!({"id": 3, "method": "sendUserMessage", "params": {
            "conversationId": conversation, "items": text("hello"),
        }}),
        json!({"id": 3, "result": {}}),
    )
    .await;
    let seen = until_event(&mut v1, "task_complete").await;
    let kinds = event_types(&seen, &conversation);
    // The listener joined right after `newConversation`, so the thread's MCP startup report
    // may reach it before the turn does.
    let turn: Vec<&str> = kinds
        .iter()
        .copied()
        .filter(|kind| !kind.starts_with("mcp_startup_"))
        .collect();
    assert_eq!(turn[0], "task_started", "{kinds:?}");
    assert!(kinds.contains(&"user_message"), "{kinds:?}");
    assert!(kinds.contains(&"agent_message_delta"), "{kinds:?}");
    assert!(kinds.contains(&"agent_message"), "{kinds:?}");
    // As in the reference, a listener hears the thread's v2 notifications too.
    assert!(
        seen.iter()
            .any(|message| message["method"] == "item/completed"),
        "{}",
        v1.report()
    );
    // The v2 connection follows nothing and heard nothing.
    nothing_pending(&mut v2, 10).await;

    v1.check(
        json!({"id": 4, "method": "sendUserTurn", "params": {
            "conversationId": conversation, "items": text("again"), "cwd": live.work,
            "approvalPolicy": "never", "sandboxPolicy": {"type": "danger-full-access"},
            "model": "gpt-5.1-codex", "summary": "auto",
        }}),
        json!({"id": 4, "result": {}}),
    )
    .await;
    let seen = until_event(&mut v1, "task_complete").await;
    let kinds = event_types(&seen, &conversation);
    assert_eq!(kinds[0], "task_started", "{kinds:?}");
    let requests = live.model.requests();
    assert_eq!(requests.len(), 2);

    v1.check(
        json!({"id": 5, "method": "removeConversationListener", "params": {
            "subscriptionId": subscription,
        }}),
        json!({"id": 5, "result": {}}),
    )
    .await;
    v1.check(
        json!({"id": 6, "method": "sendUserMessage", "params": {
            "conversationId": conversation, "items": text("unheard"),
        }}),
        json!({"id": 6, "result": {}}),
    )
    .await;
    for _ in 0..200 {
        if live.model.requests().len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    nothing_pending(&mut v1, 7).await;
    nothing_pending(&mut v2, 11).await;
    let again = v1
        .request(
            &json!({"id": 8, "method": "removeConversationListener", "params": {
                "subscriptionId": subscription,
            }}),
        )
        .await;
    assert_eq!(
        again["error"]["message"],
        format!("subscription not found: {subscription}")
    );
}

#[tokio::test]
async fn interrupt_conversation_answers_once_the_turn_stops() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "Starting the long answer")).hang_after(3));
    let (_server, mut client) = live.serve().await;
    let conversation = new_conversation(&live, &mut client, 1).await["conversationId"].clone();
    listen(&mut client, 2, &conversation).await;
    client
        .check(
            json!({"id": 3, "method": "sendUserMessage", "params": {
                "conversationId": conversation, "items": text("long answer please"),
            }}),
            json!({"id": 3, "result": {}}),
        )
        .await;
    until_event(&mut client, "agent_message_delta").await;
    client
        .check(
            json!({"id": 4, "method": "interruptConversation", "params": {
                "conversationId": conversation,
            }}),
            json!({"id": 4, "result": {"abortReason": "interrupted"}}),
        )
        .await;
    let seen = until_event(&mut client, "turn_aborted").await;
    let last = &seen[seen.len() - 1];
    assert_eq!(last["params"]["msg"]["reason"], "interrupted");
    let unknown = client
        .request(
            &json!({"id": 5, "method": "addConversationListener", "params": {
                "conversationId": "67e55044-10b1-426f-9247-bb680e5fe0c8",
            }}),
        )
        .await;
    assert_eq!(
        unknown["error"]["message"],
        "conversation not found: 67e55044-10b1-426f-9247-bb680e5fe0c8"
    );
}

#[tokio::test]
async fn finished_conversations_are_listed_summarised_resumed_forked_and_archived() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "stored reply")));
    let (_server, mut client) = live.serve().await;
    let started = new_conversation(&live, &mut client, 1).await;
    let conversation = started["conversationId"].clone();
    let rollout_path = started["rolloutPath"].clone();
    listen(&mut client, 2, &conversation).await;
    client
        .check(
            json!({"id": 3, "method": "sendUserMessage", "params": {
                "conversationId": conversation, "items": text("remember me"),
            }}),
            json!({"id": 3, "result": {}}),
        )
        .await;
    until_event(&mut client, "task_complete").await;

    let listed = client
        .request(&json!({"id": 4, "method": "listConversations", "params": {}}))
        .await;
    let items = listed["result"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 1, "{listed}");
    let summary = &items[0];
    assert_eq!(summary["conversationId"], conversation);
    assert_eq!(summary["path"], rollout_path);
    assert_eq!(summary["preview"], "remember me");
    assert_eq!(summary["modelProvider"], "mock");
    assert_eq!(summary["cwd"], live.work);
    assert_eq!(listed["result"]["nextCursor"], Value::Null);

    for (id, params) in [
        (5, json!({"conversationId": conversation})),
        (6, json!({"rolloutPath": rollout_path})),
    ] {
        let answer = client
            .request(&json!({"id": id, "method": "getConversationSummary", "params": params}))
            .await;
        let got = &answer["result"]["summary"];
        assert_eq!(got["conversationId"], conversation, "{answer}");
        assert_eq!(got["path"], rollout_path);
        assert_eq!(got["preview"], "remember me");
        assert_eq!(got["source"], summary["source"]);
    }

    let forked = client
        .request(&json!({"id": 7, "method": "forkConversation", "params": {
            "conversationId": conversation,
        }}))
        .await;
    let fork = &forked["result"];
    assert!(fork["conversationId"].is_string(), "{forked}");
    assert_ne!(fork["conversationId"], conversation);
    let messages = fork["initialMessages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        messages.iter().any(|msg| msg["type"] == "user_message"),
        "{forked}"
    );
    let configured = next_notification(&mut client).await;
    assert_eq!(configured["method"], "sessionConfigured");
    assert_eq!(configured["params"]["sessionId"], fork["conversationId"]);

    let resumed = client
        .request(&json!({"id": 8, "method": "resumeConversation", "params": {
            "path": rollout_path,
        }}))
        .await;
    assert_eq!(
        resumed["result"]["conversationId"], conversation,
        "{resumed}"
    );
    assert_eq!(resumed["result"]["rolloutPath"], rollout_path);
    next_notification(&mut client).await;

    client
        .check(
            json!({"id": 9, "method": "archiveConversation", "params": {
                "conversationId": conversation, "rolloutPath": rollout_path,
            }}),
            json!({"id": 9, "result": {}}),
        )
        .await;
    let listed = client
        .request(&json!({"id": 10, "method": "listConversations", "params": {}}))
        .await;
    let ids: Vec<&Value> = listed["result"]["items"]
        .as_array()
        .map(|items| items.iter().map(|item| &item["conversationId"]).collect())
        .unwrap_or_default();
    assert!(!ids.contains(&&conversation), "{listed}");
}
