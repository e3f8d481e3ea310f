//! The execution policy through a running server: a command approval accepted with an
//! amendment writes `prefix_rule(...)` to `$CODEX_HOME/rules/default.rules`, and the prefix then
//! runs without asking in the same thread, in new threads and after a restart; rules written by
//! hand forbid or prompt, as the reference's do.

use std::path::Path;

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::next_notification;
use super::live::start_turn;
use super::live::until_notification;
use super::tools::text;
use super::tools::tool_output;
use super::tools::until_completed;
use crate::suite::serve::Client;

/// A model turn calling `exec_command` with `cmd`, and `prefix_rule` when given.
fn exec(call_id: &str, response: &str, cmd: &str, prefix_rule: Option<&[&str]>) -> Reply {
    let mut arguments = json!({"cmd": cmd, "yield_time_ms": 30_000});
    if let Some(prefix) = prefix_rule {
        arguments["prefix_rule"] = json!(prefix);
    }
    Reply::sse(sse::function_call_turn(
        response,
        call_id,
        "exec_command",
        &arguments.to_string(),
    ))
}

async fn untrusted_thread(live: &Live, client: &mut Client, id: u64) -> String {
    let started = live
        .start_thread(client, id, json!({"approvalPolicy": "untrusted"}))
        .await;
    started["thread"]["id"].as_str().unwrap().to_owned()
}

/// Runs a turn and returns the server requests it made, answering each with `answer`.
async fn turn_requests(
    client: &mut Client,
    id: u64,
    thread: &str,
    answer: impl Fn(&Value) -> Value,
) -> Vec<Value> {
    start_turn(client, id, thread, "go").await;
    let asked = until_completed(client, answer)
        .await
        .into_iter()
        .filter(|message| message.get("id").is_some())
        .collect();
    // The legacy stream ends the turn after `turn/completed`.
    until_notification(client, |message| {
        message["method"] == "codex/event/task_complete"
    })
    .await;
    asked
}

fn never_asked(request: &Value) -> Value {
    panic!("no approval should be asked: {request}")
}

#[tokio::test]
async fn an_accepted_amendment_is_saved_and_holds_in_new_threads_and_after_a_restart() {
    let live = Live::new().await;
    let work = Path::new(&live.work).to_path_buf();
    live.model.enqueue_all([
        exec(
            "call_1",
            "resp-1",
            "touch one.txt && echo hi",
            Some(&["touch"]),
        ),
        text("resp-2", "Done."),
        exec("call_2", "resp-3", "touch two.txt", None),
        text("resp-4", "Done."),
        exec("call_3", "resp-5", "touch three.txt", None),
        text("resp-6", "Done."),
    ]);
    let (server, mut client) = live.serve().await;
    let thread = untrusted_thread(&live, &mut client, 1).await;
    let asked = turn_requests(&mut client, 2, &thread, |request| {
        json!({"decision": {"acceptWithExecpolicyAmendment": {
            "execpolicy_amendment": request["params"]["proposedExecpolicyAmendment"],
        }}})
    })
    .await;
    assert_eq!(asked.len(), 1, "{}", client.report());
    assert_eq!(asked[0]["method"], "item/commandExecution/requestApproval");
    assert_eq!(
        asked[0]["params"]["proposedExecpolicyAmendment"],
        json!(["touch"])
    );
    assert!(work.join("one.txt").exists());

    let rules = live.folders.home().join("rules").join("default.rules");
    assert_eq!(
        std::fs::read_to_string(&rules).unwrap(),
        "prefix_rule(pattern=[\"touch\"], decision=\"allow\")\n"
    );
    // The model hears of the saved rule just before the command's output.
    let requests = live.model.requests();
    let input = requests[1].json.clone().unwrap()["input"].clone();
    let input = input.as_array().unwrap();
    let output_at = input
        .iter()
        .position(|item| item["type"] == "function_call_output" && item["call_id"] == "call_1")
        .unwrap();
    assert_eq!(
        input[output_at - 1],
        json!({"type": "message", "role": "developer", "content": [
            {"type": "input_text", "text": "Approved command prefix saved:\n- [\"touch\"]"},
        ]})
    );

    // The same thread runs the prefix without asking.
    let asked = turn_requests(&mut client, 3, &thread, never_asked).await;
    assert_eq!(asked, Vec::<Value>::new());
    assert!(
        work.join("two.txt").exists(),
        "{}",
        tool_output(&live, "call_2")
    );

    // So does a new thread.
    let second = untrusted_thread(&live, &mut client, 4).await;
    let asked = turn_requests(&mut client, 5, &second, never_asked).await;
    assert_eq!(asked, Vec::<Value>::new());
    assert!(
        work.join("three.txt").exists(),
        "{}",
        tool_output(&live, "call_3")
    );

    // And a thread of a restarted server; other commands still ask.
    drop(client);
    drop(server);
    live.model.enqueue_all([
        exec("call_4", "resp-7", "touch four.txt", None),
        text("resp-8", "Done."),
        exec("call_5", "resp-9", "mkdir five", None),
        text("resp-10", "Not done."),
    ]);
    let (_server, mut client) = live.serve().await;
    let third = untrusted_thread(&live, &mut client, 1).await;
    let asked = turn_requests(&mut client, 2, &third, never_asked).await;
    assert_eq!(asked, Vec::<Value>::new());
    assert!(
        work.join("four.txt").exists(),
        "{}",
        tool_output(&live, "call_4")
    );
    let asked = turn_requests(&mut client, 3, &third, |_| json!({"decision": "decline"})).await;
    assert_eq!(asked.len(), 1, "{}", client.report());
    assert_eq!(
        asked[0]["params"]["proposedExecpolicyAmendment"],
        json!(["mkdir", "five"])
    );
    assert!(!work.join("five").exists());
}

#[tokio::test]
async fn rules_written_by_hand_forbid_and_prompt() {
    let live = Live::new().await;
    let dir = live.folders.home().join("rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("team.rules"),
        "# ours\nprefix_rule(\n    pattern = [\"rm\"],\n    decision = \"forbidden\",\n)\n\
         prefix_rule(pattern=[\"mkdir\"], decision=\"prompt\", justification=\"needs care\")\n",
    )
    .unwrap();
    live.model.enqueue_all([
        exec("call_1", "resp-1", "rm -rf gone", None),
        text("resp-2", "Refused."),
        exec("call_2", "resp-3", "mkdir made", Some(&["mkdir"])),
        text("resp-4", "Done."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = untrusted_thread(&live, &mut client, 1).await;
    let asked = turn_requests(&mut client, 2, &thread, never_asked).await;
    assert_eq!(asked, Vec::<Value>::new());
    assert_eq!(
        tool_output(&live, "call_1"),
        "exec_command failed: CreateProcess { message: \"Rejected(\\\"`/bin/bash -lc 'rm -rf \
         gone'` rejected: policy forbids commands starting with `rm`\\\")\" }"
    );

    let asked = turn_requests(&mut client, 3, &thread, |_| json!({"decision": "accept"})).await;
    assert_eq!(asked.len(), 1, "{}", client.report());
    let params = &asked[0]["params"];
    assert_eq!(
        params["reason"],
        "`/bin/bash -lc 'mkdir made'` requires approval: needs care"
    );
    // A prompting rule still applies after any amendment, so none is offered.
    assert_eq!(params["proposedExecpolicyAmendment"], Value::Null);
    assert!(Path::new(&live.work).join("made").exists());
}

#[tokio::test]
async fn a_rules_file_that_does_not_parse_applies_no_custom_rules() {
    let live = Live::new().await;
    let dir = live.folders.home().join("rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("default.rules"),
        "prefix_rule(pattern=[\"touch\"])\nallow_everything()\n",
    )
    .unwrap();
    live.model.enqueue_all([
        exec("call_1", "resp-1", "touch asked.txt", None),
        text("resp-2", "Done."),
    ]);
    let (_server, mut client) = live.serve().await;
    // The server says so once a client has initialized, as the reference does.
    let warning = next_notification(&mut client).await;
    let path = dir.join("default.rules").display().to_string();
    assert_eq!(
        warning,
        json!({"method": "configWarning", "params": {
            "summary": "Error parsing rules; custom rules not applied.",
            "details": format!(
                "failed to parse rules file {path}: 2:1: only prefix_rule(...) is supported, \
                 found `allow_everything`"
            ),
            "path": path,
            "range": {"start": {"line": 2, "column": 1}, "end": {"line": 2, "column": 2}},
        }}),
        "{}",
        client.report()
    );
    let thread = untrusted_thread(&live, &mut client, 1).await;
    let asked = turn_requests(&mut client, 2, &thread, |_| json!({"decision": "accept"})).await;
    assert_eq!(asked.len(), 1, "{}", client.report());
    assert_eq!(
        asked[0]["params"]["proposedExecpolicyAmendment"],
        json!(["touch", "asked.txt"])
    );
}

#[tokio::test]
async fn without_request_rule_the_model_cannot_propose_a_rule() {
    let live = Live::new().await;
    live.model.enqueue_all([
        exec("call_1", "resp-1", "touch x.txt", Some(&["touch"])),
        text("resp-2", "Done."),
    ]);
    let (_server, mut client) = live.serve().await;
    let started = live
        .start_thread(
            &mut client,
            1,
            json!({"approvalPolicy": "untrusted", "config": {"features.request_rule": false}}),
        )
        .await;
    let thread = started["thread"]["id"].as_str().unwrap().to_owned();
    let asked = turn_requests(&mut client, 2, &thread, |_| json!({"decision": "accept"})).await;
    assert_eq!(asked.len(), 1, "{}", client.report());
    // The proposal is the command itself, not the model's `["touch"]`.
    assert_eq!(
        asked[0]["params"]["proposedExecpolicyAmendment"],
        json!(["touch", "x.txt"])
    );
    let requests = live.model.requests();
    let tools = requests[0].json.clone().unwrap()["tools"].clone();
    let exec_command = tools
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "exec_command")
        .unwrap()
        .clone();
    assert_eq!(
        exec_command["parameters"]["properties"].get("prefix_rule"),
        None
    );
}
