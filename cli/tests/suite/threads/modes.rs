//! What a turn's settings tell the model and the client: plan mode (its instructions, and the
//! plan the model proposes shown as a plan item), a collaboration mode's own model and effort,
//! the personality, and a switch of model mid-thread.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::thread_id;
use super::live::turn;
use super::live::until_turn_completed;
use crate::suite::serve::Client;

/// The texts of the developer messages in the model request `index`.
fn developer_texts(live: &Live, index: usize) -> Vec<String> {
    let body = live.model.requests()[index].json.clone().unwrap();
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["role"] == "developer")
        .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_owned))
        .collect()
}

fn request_body(live: &Live, index: usize) -> Value {
    live.model.requests()[index].json.clone().unwrap()
}

/// Starts a turn with extra `turn/start` params and returns its id and notifications.
async fn turn_with(
    client: &mut Client,
    id: u64,
    thread: &str,
    text: &str,
    extra: Value,
) -> (String, Vec<Value>) {
    let mut params = json!({"threadId": thread, "input": [{"type": "text", "text": text}]});
    if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
        params.extend(extra.clone());
    }
    let answer = client
        .request(&json!({"id": id, "method": "turn/start", "params": params}))
        .await;
    let turn_id = answer["result"]["turn"]["id"].as_str();
    let turn_id = turn_id
        .unwrap_or_else(|| panic!("{answer}\n{}", client.report()))
        .to_owned();
    (turn_id, until_turn_completed(client).await)
}

const PLAN_ANSWER: &str = "Here is my plan.\n<proposed_plan>\n1. Read the code\n2. Fix the bug\n</proposed_plan>\nShall I go ahead?";

#[tokio::test]
async fn plan_mode_sends_its_instructions_and_shows_the_proposed_plan_as_a_plan_item() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", PLAN_ANSWER)),
        Reply::sse(sse::text_turn(
            "resp-2",
            "<proposed_plan>\n- only a plan\n</proposed_plan>",
        )),
    ]);
    let (_server, mut client) = live.serve_experimental().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let plan_mode = json!({"collaborationMode": {"mode": "plan", "settings": {
        "model": "gpt-5.2-codex", "reasoning_effort": "high", "developer_instructions": null,
    }}});
    let (turn_id, seen) = turn_with(&mut client, 2, &thread, "plan it", plan_mode.clone()).await;

    // The mode's model and effort win, and its preset instructions come in their tags.
    let body = request_body(&live, 0);
    assert_eq!(body["model"], "gpt-5.2-codex");
    assert_eq!(body["reasoning"]["effort"], "high");
    let developer = developer_texts(&live, 0);
    let mode = developer
        .iter()
        .find(|text| text.starts_with("<collaboration_mode>"))
        .unwrap_or_else(|| panic!("{developer:#?}"));
    assert!(mode.ends_with("</collaboration_mode>"), "{mode}");
    assert!(mode.contains("<proposed_plan>"), "{mode}");

    // The plan streams as a plan item with the turn's id; the message keeps the rest.
    let plan_id = format!("{turn_id}-plan");
    let of = |method: &str| -> Vec<&Value> {
        seen.iter()
            .filter(|message| message["method"] == method)
            .collect()
    };
    let deltas: String = of("item/plan/delta")
        .iter()
        .map(|message| {
            assert_eq!(message["params"]["itemId"], plan_id.as_str());
            message["params"]["delta"].as_str().unwrap()
        })
        .collect();
    assert_eq!(deltas, "1. Read the code\n2. Fix the bug\n");
    let completed: Vec<&Value> = of("item/completed")
        .into_iter()
        .map(|message| &message["params"]["item"])
        .collect();
    assert!(
        completed.contains(
            &&json!({"type": "plan", "id": plan_id, "text": "1. Read the code\n2. Fix the bug\n"})
        ),
        "{completed:#?}"
    );
    let message = completed
        .iter()
        .find(|item| item["type"] == "agentMessage")
        .unwrap();
    assert_eq!(message["text"], "Here is my plan.\nShall I go ahead?");
    let message_deltas: String = of("item/agentMessage/delta")
        .iter()
        .map(|message| message["params"]["delta"].as_str().unwrap())
        .collect();
    assert_eq!(message_deltas, "Here is my plan.\nShall I go ahead?");
    // The plan item starts before its first delta.
    let first_plan_event = seen
        .iter()
        .position(|message| {
            message["method"] == "item/started" && message["params"]["item"]["type"] == "plan"
        })
        .unwrap();
    let first_delta = seen
        .iter()
        .position(|message| message["method"] == "item/plan/delta")
        .unwrap();
    assert!(first_plan_event < first_delta);

    // An answer that is all plan shows no message at all.
    let (_, seen) = turn_with(&mut client, 3, &thread, "again", plan_mode).await;
    let kinds: Vec<&str> = seen
        .iter()
        .filter(|message| message["method"] == "item/started")
        .filter_map(|message| message["params"]["item"]["type"].as_str())
        .collect();
    assert!(!kinds.contains(&"agentMessage"), "{kinds:?}");
    assert!(kinds.contains(&"plan"), "{kinds:?}");
    // The instructions were given once: the mode did not change.
    let modes = developer_texts(&live, 1)
        .into_iter()
        .filter(|text| text.starts_with("<collaboration_mode>"))
        .count();
    assert_eq!(modes, 1);

    // Reading the thread shows the plans again, from the rollout.
    let read = client
        .request(&json!({"id": 4, "method": "thread/read", "params": {"threadId": thread, "includeTurns": true}}))
        .await;
    let turns = read["result"]["thread"]["turns"]
        .as_array()
        .unwrap()
        .clone();
    let kinds: Vec<Vec<String>> = turns
        .iter()
        .map(|turn| {
            turn["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["type"].as_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            // The plan completes as the message ends, before the message itself.
            vec!["userMessage", "plan", "agentMessage"],
            vec!["userMessage", "plan"],
        ],
        "{read}"
    );
    assert_eq!(
        turns[0]["items"][2]["text"],
        "Here is my plan.\nShall I go ahead?"
    );
    assert_eq!(turns[1]["items"][1]["text"], "- only a plan\n");
}

#[tokio::test]
async fn a_personality_chosen_on_a_turn_is_given_to_the_model_and_a_new_model_gets_its_instructions()
 {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "one")),
        Reply::sse(sse::text_turn("resp-2", "two")),
        Reply::sse(sse::text_turn("resp-3", "three")),
        Reply::sse(sse::text_turn("resp-4", "four")),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(
        &live
            .start_thread(&mut client, 1, json!({"model": "gpt-5.2-codex"}))
            .await,
    );
    turn(&mut client, 2, &thread, "first").await;
    // A thread is pragmatic by default, and these instructions carry it.
    let first = request_body(&live, 0);
    let instructions = first["instructions"].as_str().unwrap().to_owned();
    assert!(instructions.contains("## Personality"), "{instructions}");
    assert!(
        !developer_texts(&live, 0)
            .iter()
            .any(|text| text.contains("<personality_spec>"))
    );

    turn_with(
        &mut client,
        3,
        &thread,
        "second",
        json!({"personality": "friendly"}),
    )
    .await;
    let developer = developer_texts(&live, 1);
    let spec: Vec<&String> = developer
        .iter()
        .filter(|text| text.starts_with("<personality_spec>"))
        .collect();
    assert_eq!(spec.len(), 1, "{developer:#?}");
    assert!(spec[0].ends_with("</personality_spec>"));
    assert!(spec[0].contains("warm"), "{}", spec[0]);
    // The instructions themselves stay those the thread began with.
    assert_eq!(
        request_body(&live, 1)["instructions"],
        instructions.as_str()
    );

    turn_with(
        &mut client,
        4,
        &thread,
        "third",
        json!({"model": "gpt-5.1-codex"}),
    )
    .await;
    assert_eq!(request_body(&live, 2)["model"], "gpt-5.1-codex");
    let switches: Vec<String> = developer_texts(&live, 2)
        .into_iter()
        .filter(|text| text.starts_with("<model_switch>"))
        .collect();
    assert_eq!(switches.len(), 1);
    assert!(switches[0].ends_with("</model_switch>"));
    assert!(switches[0].contains("You are Codex"), "{}", switches[0]);

    // Nothing changed for the fourth turn: nothing more is said.
    turn(&mut client, 5, &thread, "fourth").await;
    let count = |index: usize| developer_texts(&live, index).len();
    assert_eq!(count(3), count(2));

    // The rollout keeps each turn's personality and mode, as the reference's does.
    let read = client
        .request(&json!({"id": 6, "method": "thread/read", "params": {"threadId": thread}}))
        .await;
    let path = read["result"]["thread"]["path"]
        .as_str()
        .unwrap()
        .to_owned();
    let contexts: Vec<Value> = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|line| line["type"] == "turn_context")
        .map(|line| line["payload"].clone())
        .collect();
    assert_eq!(contexts[0]["personality"], "pragmatic");
    assert_eq!(contexts[1]["personality"], "friendly");
    assert_eq!(
        contexts[0]["collaboration_mode"],
        json!({"mode": "default", "settings": {
            "model": "gpt-5.2-codex", "reasoning_effort": null, "developer_instructions": null,
        }})
    );
}
