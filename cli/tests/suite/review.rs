//! `review/start` over the spawned binary: inline and detached reviews of every target, what
//! the client sees of the reviewer's work and answer, what the reviewer is asked, what the
//! thread's history keeps afterwards, and the reference's refusals.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use crate::suite::serve::Client;
use crate::suite::threads::live::Live;
use crate::suite::threads::live::methods;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::until_turn_completed;

/// The reviewer's answer: one finding, as the rubric asks for it.
fn review_json() -> String {
    json!({
        "findings": [{
            "title": "[P1] Off by one",
            "body": "Loop runs\ntoo far.",
            "confidence_score": 0.8,
            "priority": 1,
            "code_location": {"absolute_file_path": "/w/a.rs", "line_range": {"start": 3, "end": 5}},
        }],
        "overall_correctness": "patch is incorrect",
        "overall_explanation": "One bug.",
        "overall_confidence_score": 0.7,
    })
    .to_string()
}

const RENDERED: &str =
    "One bug.\n\nReview comment:\n\n- [P1] Off by one — /w/a.rs:3-5\n  Loop runs\n  too far.";

fn reply(id: &str, text: &str) -> Reply {
    Reply::sse(sse::text_turn(id, text))
}

/// Writes the config Live writes, plus `extra` lines at the top level.
fn configure(live: &Live, extra: &str) {
    let url = live.model.base_url();
    live.folders.write_user_config(&format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\n{extra}\n[model_providers.mock]\nname = \"mock\"\n\
         base_url = \"{url}\"\nwire_api = \"responses\"\nrequest_max_retries = 0\n\
         stream_max_retries = 0\n",
    ));
}

/// Starts a review and returns its answer.
async fn review(client: &mut Client, id: u64, params: Value) -> Value {
    client
        .request(&json!({"id": id, "method": "review/start", "params": params}))
        .await
}

fn turn_of(answer: &Value) -> String {
    answer["result"]["turn"]["id"].as_str().unwrap().to_owned()
}

fn hint_turn(turn_id: &str, hint: &str) -> Value {
    json!({
        "id": turn_id,
        "items": [{"type": "userMessage", "id": turn_id, "content": [
            {"type": "text", "text": hint, "text_elements": []}
        ]}],
        "status": "inProgress",
        "error": null,
    })
}

fn item(seen: &[Value], method: &str, kind: &str) -> Value {
    seen.iter()
        .find(|message| message["method"] == method && message["params"]["item"]["type"] == kind)
        .unwrap_or_else(|| panic!("no {method} {kind} in {seen:#?}"))["params"]["item"]
        .clone()
}

/// The text of every input message of a model request, with its role.
fn input_messages(body: &Value) -> Vec<(String, String)> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "message")
        .map(|item| {
            let text = item["content"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|part| part["text"].as_str())
                .collect::<Vec<_>>()
                .join("");
            (item["role"].as_str().unwrap().to_owned(), text)
        })
        .collect()
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| {
            tool["name"]
                .as_str()
                .or_else(|| tool["type"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn an_inline_review_shows_its_items_and_leaves_its_results_in_the_history() {
    let live = Live::new().await;
    live.model.enqueue_all([
        reply("resp-1", &review_json()),
        reply("resp-2", "I will fix it."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);

    let answer = review(
        &mut client,
        2,
        json!({"threadId": thread, "target": {"type": "custom", "instructions": "  Review the work dir  "}}),
    )
    .await;
    let turn_id = turn_of(&answer);
    assert_eq!(
        answer["result"],
        json!({"turn": hint_turn(&turn_id, "Review the work dir"), "reviewThreadId": thread}),
        "{}",
        client.report()
    );
    let seen = until_turn_completed(&mut client).await;
    assert_eq!(
        methods(&seen),
        [
            "turn/started",
            "item/started",
            "item/completed",
            "item/started",
            "item/completed",
            "item/started",
            "item/started",
            "item/completed",
            "item/started",
            "item/completed",
            "turn/completed",
        ],
        "{}",
        client.report()
    );
    assert_eq!(
        seen[0]["params"],
        json!({"threadId": thread, "turn": hint_turn(&turn_id, "Review the work dir")})
    );
    let entered =
        json!({"type": "enteredReviewMode", "id": turn_id, "review": "Review the work dir"});
    assert_eq!(seen[1]["params"]["item"], entered);
    assert_eq!(seen[2]["params"]["item"], entered);
    // The reviewer's prompt, then its answer being written: started, never streamed.
    assert_eq!(seen[3]["params"]["item"]["type"], "userMessage");
    assert_eq!(
        seen[3]["params"]["item"]["content"][0]["text"],
        "Review the work dir"
    );
    assert_eq!(seen[5]["params"]["item"]["type"], "agentMessage");
    assert_eq!(seen[5]["params"]["item"]["text"], "");
    let exited = json!({"type": "exitedReviewMode", "id": turn_id, "review": RENDERED});
    assert_eq!(seen[6]["params"]["item"], exited);
    assert_eq!(seen[7]["params"]["item"], exited);
    let message =
        json!({"type": "agentMessage", "id": "review_rollout_assistant", "text": RENDERED});
    assert_eq!(seen[8]["params"]["item"], message);
    assert_eq!(seen[9]["params"]["item"], message);
    for notification in &seen {
        assert_eq!(notification["params"]["threadId"], thread.as_str());
    }
    assert_eq!(
        seen[10]["params"]["turn"],
        json!({"id": turn_id, "items": [], "status": "completed", "error": null})
    );

    // The reviewer has its own rubric, a fresh history and no web search.
    let requests = live.model.requests();
    let body = requests[0].json.clone().unwrap();
    assert!(
        body["instructions"]
            .as_str()
            .unwrap()
            .starts_with("# How to review"),
        "{body}"
    );
    assert!(
        !tool_names(&body).contains(&"web_search".to_owned()),
        "{body}"
    );
    assert!(
        tool_names(&body).contains(&"exec_command".to_owned()),
        "{body}"
    );
    let reviewer_input = input_messages(&body);
    assert_eq!(
        reviewer_input.last().unwrap(),
        &("user".to_owned(), "Review the work dir".to_owned())
    );
    assert!(
        reviewer_input[0].1.contains("The approval policy is never"),
        "{reviewer_input:?}"
    );

    // The next turn's model sees the results and the review, not the reviewer's work.
    let start = client
        .request(&json!({"id": 3, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "fix it"}],
        }}))
        .await;
    assert!(start.get("result").is_some(), "{}", client.report());
    until_turn_completed(&mut client).await;
    let body = live.model.requests()[1].json.clone().unwrap();
    assert!(
        tool_names(&body).contains(&"web_search".to_owned()),
        "{body}"
    );
    let messages = input_messages(&body);
    let tail: Vec<_> = messages[messages.len() - 3..].to_vec();
    assert_eq!(tail[1], ("assistant".to_owned(), RENDERED.to_owned()));
    assert_eq!(tail[2], ("user".to_owned(), "fix it".to_owned()));
    assert_eq!(tail[0].0, "user");
    assert!(tail[0].1.starts_with("<user_action>"), "{}", tail[0].1);
    assert!(tail[0].1.contains(RENDERED), "{}", tail[0].1);
    assert!(
        !messages
            .iter()
            .any(|(_, text)| text.contains("overall_correctness")),
        "{messages:?}"
    );

    // What resume shows of the review turn: the reviewer's prompt and the review.
    let read = client
        .request(&json!({"id": 4, "method": "thread/read", "params": {"threadId": thread, "includeTurns": true}}))
        .await;
    let turns = read["result"]["thread"]["turns"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(turns[0]["id"], turn_id.as_str(), "{read}");
    assert_eq!(turns[0]["status"], "completed");
    let items = turns[0]["items"].as_array().unwrap();
    assert_eq!(items[0]["type"], "userMessage", "{read}");
    assert_eq!(items.last().unwrap()["text"], RENDERED, "{read}");
}

/// A repository with `main`, and a `feature` branch one commit ahead; returns main's commit.
fn repository(dir: &str) -> String {
    let git = |args: &[&str]| {
        let output = std::process::Command::new("git")
            .args(["-c", "user.email=t@t", "-c", "user.name=t"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["commit", "-q", "--allow-empty", "-m", "first"]);
    let base = git(&["rev-parse", "HEAD"]);
    git(&["checkout", "-q", "-b", "feature"]);
    git(&["commit", "-q", "--allow-empty", "-m", "second"]);
    base
}

#[tokio::test]
async fn every_target_gets_its_hint_and_its_prompt() {
    let live = Live::new().await;
    let base = repository(&live.work);
    live.model.enqueue_all([
        reply("resp-1", "plain text, not JSON"),
        reply(
            "resp-2",
            "Here: {\"findings\":[],\"overall_correctness\":\"patch is correct\",\"overall_explanation\":\"embedded\",\"overall_confidence_score\":1} done",
        ),
        reply("resp-3", "{}"),
        reply("resp-4", ""),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let cases = [
        (
            json!({"type": "uncommittedChanges"}),
            "current changes",
            "plain text, not JSON",
        ),
        (
            json!({"type": "baseBranch", "branch": " main "}),
            "changes against 'main'",
            "embedded",
        ),
        (
            json!({"type": "commit", "sha": "0123456789abcdef", "title": " Fix it "}),
            "commit 0123456: Fix it",
            "{}",
        ),
        (
            json!({"type": "commit", "sha": "fedcba9876"}),
            "commit fedcba9",
            "Reviewer failed to output a response.",
        ),
    ];
    for (index, (target, hint, review_text)) in cases.iter().enumerate() {
        let id = 2 + index as u64;
        let answer = review(
            &mut client,
            id,
            json!({"threadId": thread, "target": target}),
        )
        .await;
        let turn_id = turn_of(&answer);
        assert_eq!(
            answer["result"]["turn"],
            hint_turn(&turn_id, hint),
            "{}",
            client.report()
        );
        let seen = until_turn_completed(&mut client).await;
        assert_eq!(
            item(&seen, "item/completed", "exitedReviewMode")["review"],
            *review_text,
            "{}",
            client.report()
        );
        let assistant = item(&seen, "item/completed", "agentMessage");
        let expected = if index == 3 {
            // An empty answer is no review at all: the review counts as stopped.
            "Review was interrupted. Please re-run /review and wait for it to complete."
        } else {
            review_text
        };
        assert_eq!(assistant["text"], expected);
        assert_eq!(
            seen.last().unwrap()["params"]["turn"]["status"],
            "completed"
        );
    }
    let prompts: Vec<String> = live
        .model
        .requests()
        .iter()
        .map(|request| {
            input_messages(request.json.as_ref().unwrap())
                .last()
                .unwrap()
                .1
                .clone()
        })
        .collect();
    assert!(prompts[0].contains("untracked"), "{prompts:?}");
    assert!(
        prompts[1].contains(&format!("git diff {base}")),
        "{prompts:?}"
    );
    assert!(prompts[1].contains("'main'"), "{prompts:?}");
    assert!(
        prompts[2].contains("0123456789abcdef (\"Fix it\")"),
        "{prompts:?}"
    );
    assert!(prompts[3].contains("fedcba9876"), "{prompts:?}");
}

#[tokio::test]
async fn a_detached_review_runs_in_a_fork_on_the_review_model() {
    let live = Live::new().await;
    configure(&live, "review_model = \"gpt-5.1-codex-mini\"\n");
    live.model.enqueue_all([
        reply("resp-1", "first answer"),
        reply("resp-2", &review_json()),
        reply("resp-3", "parent again"),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    crate::suite::threads::live::turn(&mut client, 2, &thread, "hello").await;

    client
        .send(&json!({"id": 3, "method": "review/start", "params": {
            "threadId": thread, "delivery": "detached",
            "target": {"type": "commit", "sha": "abcdef1234567", "title": "T"},
        }}))
        .await;
    // The review's thread is announced before the answer.
    let announced = loop {
        let message = client.next().await;
        if message["method"] == "thread/started" {
            break message;
        }
        assert!(
            message.get("id").is_none(),
            "answered first: {message}\n{}",
            client.report()
        );
    };
    let review_thread = announced["params"]["thread"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(review_thread, thread);
    assert_eq!(announced["params"]["thread"]["preview"], "hello");
    assert_eq!(announced["params"]["thread"]["turns"], json!([]));
    let answer = client.answer(&json!(3)).await;
    let turn_id = turn_of(&answer);
    assert_eq!(
        answer["result"],
        json!({"turn": hint_turn(&turn_id, "commit abcdef1: T"), "reviewThreadId": review_thread}),
        "{}",
        client.report()
    );
    let seen = until_turn_completed(&mut client).await;
    for notification in &seen {
        assert_eq!(notification["params"]["threadId"], review_thread.as_str());
    }
    assert_eq!(
        item(&seen, "item/completed", "exitedReviewMode")["review"],
        RENDERED
    );
    let body = live.model.requests()[1].json.clone().unwrap();
    assert_eq!(body["model"], "gpt-5.1-codex-mini", "{body}");

    let loaded = client
        .request(&json!({"id": 4, "method": "thread/loaded/list", "params": {}}))
        .await;
    let ids = loaded["result"]["data"].as_array().unwrap();
    assert!(
        ids.contains(&json!(thread)) && ids.contains(&json!(review_thread)),
        "{loaded}"
    );

    // The parent's history has none of it.
    crate::suite::threads::live::turn(&mut client, 5, &thread, "more").await;
    let body = live.model.requests()[2].json.clone().unwrap();
    assert_eq!(body["model"], "gpt-5.1-codex", "{body}");
    let messages = input_messages(&body);
    assert!(
        !messages
            .iter()
            .any(|(_, text)| text.contains("user_action") || text == RENDERED),
        "{messages:?}"
    );
}

#[tokio::test]
async fn an_inline_review_uses_the_review_model_too() {
    let live = Live::new().await;
    configure(&live, "review_model = \"gpt-5.1-codex-mini\"\n");
    live.model.enqueue(reply("resp-1", &review_json()));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    review(
        &mut client,
        2,
        json!({"threadId": thread, "target": {"type": "uncommittedChanges"}, "delivery": "inline"}),
    )
    .await;
    until_turn_completed(&mut client).await;
    let body = live.model.requests()[0].json.clone().unwrap();
    assert_eq!(body["model"], "gpt-5.1-codex-mini", "{body}");
}

#[tokio::test]
async fn an_interrupted_review_leaves_review_mode() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "partial")).hang_after(2));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let answer = review(
        &mut client,
        2,
        json!({"threadId": thread, "target": {"type": "uncommittedChanges"}}),
    )
    .await;
    let turn_id = turn_of(&answer);
    live.model
        .wait_for_requests(1, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let interrupted = client
        .request(&json!({"id": 3, "method": "turn/interrupt", "params": {"threadId": thread, "turnId": turn_id}}))
        .await;
    assert_eq!(interrupted["result"], json!({}), "{}", client.report());
    let seen = until_turn_completed(&mut client).await;
    assert_eq!(
        item(&seen, "item/completed", "exitedReviewMode")["review"],
        "Reviewer failed to output a response."
    );
    assert_eq!(
        item(&seen, "item/completed", "agentMessage"),
        json!({"type": "agentMessage", "id": "review_rollout_assistant",
               "text": "Review was interrupted. Please re-run /review and wait for it to complete."})
    );
    assert_eq!(
        seen.last().unwrap()["params"]["turn"]["status"],
        "interrupted"
    );
}

#[tokio::test]
async fn a_model_error_fails_the_review_turn() {
    let live = Live::new().await;
    live.model.enqueue(Reply::status(500));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    review(
        &mut client,
        2,
        json!({"threadId": thread, "target": {"type": "uncommittedChanges"}}),
    )
    .await;
    let seen = until_turn_completed(&mut client).await;
    assert!(methods(&seen).contains(&"error"), "{}", client.report());
    assert_eq!(
        item(&seen, "item/completed", "exitedReviewMode")["review"],
        "Reviewer failed to output a response."
    );
    let completed = &seen.last().unwrap()["params"]["turn"];
    assert_eq!(completed["status"], "failed", "{}", client.report());
}

#[tokio::test]
async fn review_start_refuses_what_the_reference_refuses() {
    let live = Live::new().await;
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let ephemeral = thread_id(
        &live
            .start_thread(&mut client, 2, json!({"ephemeral": true}))
            .await,
    );
    let cases = [
        (
            json!({"threadId": thread, "target": {"type": "baseBranch", "branch": "  "}}),
            "branch must not be empty".to_owned(),
        ),
        (
            json!({"threadId": thread, "target": {"type": "commit", "sha": ""}}),
            "sha must not be empty".to_owned(),
        ),
        (
            json!({"threadId": thread, "target": {"type": "custom", "instructions": " \n"}}),
            "instructions must not be empty".to_owned(),
        ),
        (
            json!({"threadId": "00000000-0000-0000-0000-000000000000", "target": {"type": "uncommittedChanges"}}),
            "thread not found: 00000000-0000-0000-0000-000000000000".to_owned(),
        ),
        (
            json!({"threadId": ephemeral, "target": {"type": "uncommittedChanges"}, "delivery": "detached"}),
            format!("no rollout found for thread id {ephemeral}"),
        ),
    ];
    for (index, (params, message)) in cases.into_iter().enumerate() {
        let answer = review(&mut client, 10 + index as u64, params).await;
        assert_eq!(
            answer["error"],
            json!({"code": -32600, "message": message}),
            "{}",
            client.report()
        );
    }
    assert!(live.model.requests().is_empty());
}
