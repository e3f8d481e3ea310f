//! `model/list` through a running server: the built-in models, whole and in pages, and the
//! reference's errors for a bad cursor.

use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;

const CODEX_EFFORTS: &[&str] = &["low", "medium", "high", "xhigh"];

/// One entry as the server lists it; the descriptions are ours.
fn model(id: &str, description: &str, efforts: &[&str], personality: bool, default: bool) -> Value {
    let effort = |effort: &&str| {
        let description = match *effort {
            "low" => "Quicker answers with less thinking",
            "medium" => "A balance of speed and depth for everyday work",
            "high" => "More thinking for harder problems",
            _ => "The most thinking, for the hardest problems",
        };
        json!({"reasoningEffort": effort, "description": description})
    };
    json!({
        "id": id,
        "model": id,
        "upgrade": "gpt-5.3-codex",
        "displayName": id,
        "description": description,
        "supportedReasoningEfforts": efforts.iter().map(effort).collect::<Vec<_>>(),
        "defaultReasoningEffort": "medium",
        "inputModalities": ["text", "image"],
        "supportsPersonality": personality,
        "isDefault": default,
    })
}

/// Every built-in model, in the reference's order.
fn all_models() -> Vec<Value> {
    vec![
        model(
            "gpt-5.2-codex",
            "The newest Codex model, built for agentic coding.",
            CODEX_EFFORTS,
            true,
            true,
        ),
        model(
            "gpt-5.1-codex-max",
            "Codex model for long, deep coding sessions.",
            CODEX_EFFORTS,
            false,
            false,
        ),
        model(
            "gpt-5.2",
            "General-purpose model, strong at knowledge, reasoning and code.",
            CODEX_EFFORTS,
            false,
            false,
        ),
        model(
            "gpt-5.1-codex-mini",
            "A smaller Codex model: cheaper and faster, less capable.",
            &["medium", "high"],
            false,
            false,
        ),
    ]
}

fn list(id: u64, params: Value) -> Value {
    json!({"id": id, "method": "model/list", "params": params})
}

#[tokio::test]
async fn the_whole_list_and_its_pages() {
    let folders = Folders::new();
    let (_server, mut client) = folders.stdio().await;
    let models = all_models();

    client
        .check(
            list(1, json!({})),
            json!({"id": 1, "result": {"data": models, "nextCursor": null}}),
        )
        .await;
    client
        .check(
            list(2, json!({"limit": 2})),
            json!({"id": 2, "result": {"data": models[..2], "nextCursor": "2"}}),
        )
        .await;
    // The last page ends the list; the default model stays the one on the first page.
    client
        .check(
            list(3, json!({"limit": 2, "cursor": "2"})),
            json!({"id": 3, "result": {"data": models[2..], "nextCursor": null}}),
        )
        .await;
    // A zero limit counts as one.
    client
        .check(
            list(4, json!({"limit": 0, "cursor": "1"})),
            json!({"id": 4, "result": {"data": models[1..2], "nextCursor": "2"}}),
        )
        .await;
    // A cursor at the end is an empty last page.
    client
        .check(
            list(5, json!({"cursor": "4"})),
            json!({"id": 5, "result": {"data": [], "nextCursor": null}}),
        )
        .await;
}

#[tokio::test]
async fn bad_cursors_are_refused_in_the_reference_words() {
    let folders = Folders::new();
    let (_server, mut client) = folders.stdio().await;
    client
        .check(
            list(1, json!({"cursor": "x"})),
            json!({"id": 1, "error": {"code": -32600, "message": "invalid cursor: x"}}),
        )
        .await;
    client
        .check(
            list(2, json!({"cursor": "5", "limit": 1})),
            json!({"id": 2, "error": {"code": -32600,
                   "message": "cursor 5 exceeds total models 4"}}),
        )
        .await;
}
