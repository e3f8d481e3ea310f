//! Hosted web search through a running server: the `web_search` tool offered as the config's
//! mode and the turn's sandbox say, and the model's `web_search_call` items turned into
//! `webSearch` items (with the legacy begin and end events), recorded, and sent back to the
//! model with later requests, as the reference does.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::all_until_turn_completed;
use super::live::start_turn;
use super::live::until_notification;
use super::tools::text;

/// The hosted tools of the `index`th model request (everything but function tools).
fn hosted_tools(live: &Live, index: usize) -> Vec<Value> {
    let requests = live.model.requests();
    let body = requests[index].json.clone().expect("a JSON request");
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|tool| tool["type"] == "web_search")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_web_search_call_becomes_a_web_search_item_and_goes_back_to_the_model() {
    let live = Live::new().await;
    let search =
        json!({"type": "search", "query": "rust async", "queries": ["rust async", "tokio"]});
    let open = json!({"type": "open_page", "url": "https://example.com"});
    let find = json!({"type": "find_in_page", "url": "https://example.com", "pattern": "foo"});
    live.model.enqueue_all([
        Reply::sse(
            sse::Turn::new("resp-1")
                .web_search(search.clone(), "completed")
                .web_search_done("ws_open", open.clone(), "completed")
                .web_search_done("ws_find", find.clone(), "failed")
                .message("Found it."),
        ),
        text("resp-2", "Second."),
    ]);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = started["thread"]["id"].as_str().unwrap().to_owned();
    start_turn(&mut client, 2, &thread, "search").await;
    let seen = all_until_turn_completed(&mut client).await;

    // The searches as a client sees them: the v2 items and the legacy begin/end events.
    let searches: Vec<Value> = seen
        .iter()
        .filter_map(|message| {
            let method = message["method"].as_str()?;
            match method {
                "item/started" | "item/completed"
                    if message["params"]["item"]["type"] == "webSearch" =>
                {
                    Some(json!([method, message["params"]["item"]]))
                }
                "codex/event/web_search_begin" | "codex/event/web_search_end" => {
                    let mut msg = message["params"]["msg"].clone();
                    msg.as_object_mut()?.remove("type");
                    Some(json!([method, msg]))
                }
                _ => None,
            }
        })
        .collect();
    let id = "ws_resp-1_0";
    let expected = vec![
        json!(["item/started", {"type": "webSearch", "id": id, "query": "", "action": {"type": "other"}}]),
        json!(["codex/event/web_search_begin", {"call_id": id}]),
        json!(["item/completed", {"type": "webSearch", "id": id, "query": "rust async",
            "action": {"type": "search", "query": "rust async", "queries": ["rust async", "tokio"]}}]),
        json!(["codex/event/web_search_end", {"call_id": id, "query": "rust async", "action": search}]),
        json!(["item/started", {"type": "webSearch", "id": "ws_open", "query": "https://example.com",
            "action": {"type": "openPage", "url": "https://example.com"}}]),
        json!(["codex/event/web_search_begin", {"call_id": "ws_open"}]),
        json!(["item/completed", {"type": "webSearch", "id": "ws_open", "query": "https://example.com",
            "action": {"type": "openPage", "url": "https://example.com"}}]),
        json!(["codex/event/web_search_end", {"call_id": "ws_open", "query": "https://example.com",
            "action": open}]),
        json!(["item/started", {"type": "webSearch", "id": "ws_find",
            "query": "'foo' in https://example.com",
            "action": {"type": "findInPage", "url": "https://example.com", "pattern": "foo"}}]),
        json!(["codex/event/web_search_begin", {"call_id": "ws_find"}]),
        json!(["item/completed", {"type": "webSearch", "id": "ws_find",
            "query": "'foo' in https://example.com",
            "action": {"type": "findInPage", "url": "https://example.com", "pattern": "foo"}}]),
        json!(["codex/event/web_search_end", {"call_id": "ws_find",
            "query": "'foo' in https://example.com", "action": find}]),
    ];
    assert_eq!(searches, expected, "{}", client.report());

    // The next request carries the calls back, without their ids, as the reference sends them.
    start_turn(&mut client, 3, &thread, "again").await;
    all_until_turn_completed(&mut client).await;
    let requests = live.model.requests();
    assert_eq!(requests.len(), 2);
    let input = requests[1].json.clone().unwrap()["input"].clone();
    let sent: Vec<&Value> = input
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "web_search_call")
        .collect();
    assert_eq!(
        sent,
        [
            &json!({"type": "web_search_call", "status": "completed", "action": search}),
            &json!({"type": "web_search_call", "status": "completed", "action": open}),
            &json!({"type": "web_search_call", "status": "failed", "action": find}),
        ]
    );
    // A thread in danger-full-access searches live pages.
    assert_eq!(
        hosted_tools(&live, 0),
        [json!({"type": "web_search", "external_web_access": true})]
    );

    // Stored history keeps no search items, as the reference's `thread/read` shows.
    let read = client
        .request(&json!({"id": 4, "method": "thread/read", "params": {
            "threadId": thread, "includeTurns": true,
        }}))
        .await;
    let kinds: Vec<Vec<&str>> = read["result"]["thread"]["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|turn| {
            turn["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["type"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ["userMessage", "agentMessage"],
            ["userMessage", "agentMessage"]
        ],
        "{read}"
    );
}

#[tokio::test]
async fn the_web_search_tool_follows_the_config_mode_and_the_sandbox() {
    let live = Live::new().await;
    let cases = [
        ("workspace-write", json!({}), Some(false)),
        ("read-only", json!({}), Some(false)),
        ("danger-full-access", json!({}), Some(true)),
        (
            "danger-full-access",
            json!({"web_search": "cached"}),
            Some(true),
        ),
        (
            "danger-full-access",
            json!({"web_search": "disabled"}),
            None,
        ),
        ("workspace-write", json!({"web_search": "live"}), Some(true)),
        (
            "workspace-write",
            json!({"tools.web_search": true}),
            Some(true),
        ),
        (
            "workspace-write",
            json!({"features.web_search_request": true}),
            Some(true),
        ),
        (
            "workspace-write",
            json!({"features.web_search_request": true, "features.web_search_cached": true}),
            Some(false),
        ),
    ];
    live.model
        .enqueue_all((0..cases.len()).map(|index| text(&format!("resp-{index}"), "Hello.")));
    let (_server, mut client) = live.serve().await;
    for (index, (sandbox, config, expected)) in cases.iter().enumerate() {
        let id = 10 * index as u64 + 1;
        let started = live
            .start_thread(
                &mut client,
                id,
                json!({"sandbox": sandbox, "config": config}),
            )
            .await;
        let thread = started["thread"]["id"].as_str().unwrap().to_owned();
        start_turn(&mut client, id + 1, &thread, "hi").await;
        all_until_turn_completed(&mut client).await;
        // The legacy stream ends the turn after `turn/completed`.
        until_notification(&mut client, |message| {
            message["method"] == "codex/event/task_complete"
        })
        .await;
        let expected: Vec<Value> = expected
            .iter()
            .map(|live| json!({"type": "web_search", "external_web_access": live}))
            .collect();
        assert_eq!(hosted_tools(&live, index), expected, "{sandbox} {config}");
    }
}
