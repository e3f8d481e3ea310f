//! Approvals: the server asks the client with `elicitation/create` before it runs a command or
//! applies a patch, and acts on the answer, in the reference's shape (`{"decision": ...}`) or the
//! MCP spec's (`{"action": ...}`); an answer that never comes counts as a denial, and two calls
//! at once each get their own.

use std::path::Path;
use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::Connection;
use super::Elicitation;
use super::model_requests;
use super::replied;
use super::shell_join;
use crate::suite::threads::live::Live;
use crate::suite::threads::tools::text;
use crate::suite::threads::tools::tool_output;

/// The arguments of a `codex` call that asks before anything leaves the sandbox.
fn asking(prompt: &str) -> Value {
    json!({"prompt": prompt, "approval-policy": "on-request", "sandbox": "read-only"})
}

/// The model's reply running `touch made.txt` outside the sandbox, as call `call_id`.
fn touch(response: &str, call_id: &str) -> Reply {
    let arguments = json!({
        "cmd": "touch made.txt",
        "sandbox_permissions": "require_escalated",
        "justification": "need it",
    });
    Reply::sse(sse::function_call_turn(
        response,
        call_id,
        "exec_command",
        &arguments.to_string(),
    ))
}

/// Checks the params of an exec approval's elicitation, all but `_meta`, which
/// [`elicitations_carry_no_meta`] checks on its own.
fn check_exec_elicitation(
    elicitation: &Elicitation,
    thread: &str,
    call: &Value,
    turn: &str,
    cwd: &str,
) {
    let mut params = elicitation.params.clone();
    if let Some(params) = params.as_object_mut() {
        params.remove("_meta");
    }
    let command: Vec<&str> = params["codex_command"]
        .as_array()
        .unwrap_or_else(|| panic!("no codex_command in {params}"))
        .iter()
        .map(|word| word.as_str().expect("a word"))
        .collect();
    assert_eq!(command.last(), Some(&"touch made.txt"), "{params}");
    let expected = json!({
        "message": format!("Allow Codex to run `{}` in `{cwd}`?", shell_join(&command)),
        "requestedSchema": {"type": "object", "properties": {}},
        "threadId": thread,
        "codex_elicitation": "exec-approval",
        "codex_mcp_tool_call_id": call.to_string(),
        "codex_event_id": turn,
        "codex_call_id": "call-1",
        "codex_command": command,
        "codex_cwd": cwd,
        "codex_parsed_cmd": [{"type": "unknown", "cmd": "touch made.txt"}],
    });
    assert_eq!(params, expected);
}

/// What an answer to an exec approval leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The command runs and the turn goes on.
    Runs,
    /// The command does not run and the turn goes on.
    Skipped,
    /// The turn ends there, and the call with it.
    Aborted,
}

/// Runs a `codex` call whose model asks to run `touch made.txt`, answers the approval with
/// `answer`, and checks that `outcome` followed.
async fn answer_exec_approval(answer: Value, outcome: Outcome) {
    let live = Live::new().await;
    live.model
        .enqueue_all([touch("resp-1", "call-1"), text("resp-2", "done")]);
    let mut connection = Connection::start(&live).await;
    let call = connection.start_call("codex", asking("make a file")).await;
    let id = call.id();
    let turn = call.turn_id();
    let elicitation = connection.next_elicitation().await;
    let thread = elicitation.params["threadId"]
        .as_str()
        .unwrap_or_else(|| panic!("no threadId in {}", elicitation.params))
        .to_owned();
    check_exec_elicitation(&elicitation, &thread, &id, &turn, &live.work);
    elicitation.answer(answer.clone());
    let result = connection.finish(call).await;

    let made = Path::new(&live.work).join("made.txt");
    match outcome {
        Outcome::Runs | Outcome::Skipped => {
            assert_eq!(result, replied(&thread, "done"), "{}", connection.report());
            assert_eq!(
                made.exists(),
                outcome == Outcome::Runs,
                "made.txt after {answer}; the model was told {:?}",
                tool_output(&live, "call-1")
            );
        }
        Outcome::Aborted => {
            assert_eq!(result["isError"], true, "{}", connection.report());
            assert!(!made.exists(), "made.txt exists after {answer}");
            assert_eq!(model_requests(&live).len(), 1, "the model was asked again");
        }
    }
}

#[tokio::test]
async fn an_approved_command_runs() {
    answer_exec_approval(json!({"decision": "approved"}), Outcome::Runs).await;
}

#[tokio::test]
async fn an_accepted_command_runs() {
    answer_exec_approval(json!({"action": "accept"}), Outcome::Runs).await;
}

#[tokio::test]
async fn a_denied_command_does_not_run() {
    answer_exec_approval(json!({"decision": "denied"}), Outcome::Skipped).await;
}

#[tokio::test]
async fn a_declined_command_does_not_run() {
    answer_exec_approval(json!({"action": "decline"}), Outcome::Skipped).await;
}

#[tokio::test]
async fn an_aborted_approval_ends_the_call() {
    answer_exec_approval(json!({"decision": "abort"}), Outcome::Aborted).await;
}

#[tokio::test]
async fn a_cancelled_elicitation_ends_the_call() {
    answer_exec_approval(json!({"action": "cancel"}), Outcome::Aborted).await;
}

#[tokio::test]
async fn elicitations_carry_no_meta() {
    let live = Live::new().await;
    live.model
        .enqueue_all([touch("resp-1", "call-1"), text("resp-2", "done")]);
    let mut connection = Connection::start(&live).await;
    let call = connection.start_call("codex", asking("make a file")).await;
    let elicitation = connection.next_elicitation().await;
    let meta = elicitation.params.get("_meta").cloned();
    elicitation.answer(json!({"decision": "denied"}));
    connection.finish(call).await;
    // The reference sends the params above and nothing else: a progress token would promise
    // progress notifications that never come.
    assert_eq!(meta, None, "{}", connection.report());
}

const PATCH: &str = "*** Begin Patch\n*** Add File: new.txt\n+hi\n*** End Patch\n";

/// Runs a `codex` call whose model applies a patch adding `new.txt`, answers the approval with
/// `answer`, and checks whether the file was written.
async fn answer_patch_approval(answer: Value, applied: bool) {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::custom_tool_call_turn(
            "resp-1",
            "call-1",
            "apply_patch",
            PATCH,
        )),
        text("resp-2", "done"),
    ]);
    let mut connection = Connection::start(&live).await;
    let call = connection.start_call("codex", asking("add a file")).await;
    let id = call.id();
    let turn = call.turn_id();
    let elicitation = connection.next_elicitation().await;
    let params = elicitation.params.clone();
    let thread = params["threadId"].as_str().unwrap_or_default().to_owned();
    let path = Path::new(&live.work).join("new.txt");
    let message = match params["codex_reason"].as_str() {
        Some(reason) => format!("{reason}\nAllow Codex to apply proposed code changes?"),
        None => "Allow Codex to apply proposed code changes?".to_owned(),
    };
    assert_eq!(params["message"], message.as_str(), "{params}");
    assert_eq!(
        params["requestedSchema"],
        json!({"type": "object", "properties": {}})
    );
    assert_eq!(params["codex_elicitation"], "patch-approval");
    assert_eq!(params["codex_mcp_tool_call_id"], id.to_string());
    assert_eq!(params["codex_event_id"], turn.as_str());
    assert_eq!(params["codex_call_id"], "call-1");
    assert_eq!(
        params["codex_changes"],
        json!({path.display().to_string(): {"type": "add", "content": "hi\n"}})
    );
    elicitation.answer(answer.clone());
    let result = connection.finish(call).await;
    assert_eq!(result, replied(&thread, "done"), "{}", connection.report());
    assert_eq!(
        path.exists(),
        applied,
        "new.txt after {answer}; the model was told {:?}",
        tool_output(&live, "call-1")
    );
    if applied {
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hi\n");
    }
}

#[tokio::test]
async fn an_approved_patch_is_applied() {
    answer_patch_approval(json!({"decision": "approved"}), true).await;
}

#[tokio::test]
async fn a_denied_patch_is_not_applied() {
    answer_patch_approval(json!({"decision": "denied"}), false).await;
}

#[tokio::test]
async fn an_unanswered_approval_counts_as_denied_after_the_timeout() {
    let live = Live::new().await;
    live.model
        .enqueue_all([touch("resp-1", "call-1"), text("resp-2", "done")]);
    let mut connection =
        Connection::start_with(&live, &["-c", "mcp_server.elicitation_timeout_sec=1"]).await;
    let call = connection.start_call("codex", asking("make a file")).await;
    let elicitation = connection.next_elicitation().await;
    let asked = tokio::time::Instant::now();
    let thread = elicitation.params["threadId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let elicitation_id = elicitation.id.clone();
    elicitation.leave_unanswered();

    let result = connection.finish(call).await;
    let waited = asked.elapsed();
    assert_eq!(result, replied(&thread, "done"), "{}", connection.report());
    assert!(
        waited >= Duration::from_millis(900),
        "the call ended {waited:?} after the elicitation"
    );
    assert!(!Path::new(&live.work).join("made.txt").exists());
    // The server withdrew its request.
    let (_, cancelled) = connection
        .wait_for_received("notifications/cancelled", |message| {
            message["method"] == "notifications/cancelled"
        })
        .await;
    assert_eq!(
        cancelled["params"]["requestId"],
        elicitation_id,
        "{}",
        connection.report()
    );
}

#[tokio::test]
async fn two_calls_at_once_get_their_own_approvals() {
    let live = Live::new().await;
    // Each thread asks the model twice, first for the command, then for the last word; the
    // second requests only come once the approvals are answered, after both first ones.
    live.model.enqueue_all([
        touch("resp-1", "call-1"),
        touch("resp-2", "call-1"),
        text("resp-3", "done"),
        text("resp-4", "done"),
    ]);
    let folders = [
        Path::new(&live.work).join("approved"),
        Path::new(&live.work).join("denied"),
    ];
    for folder in &folders {
        std::fs::create_dir_all(folder).unwrap();
    }
    let [approved_cwd, denied_cwd] = folders.map(|folder| folder.display().to_string());
    let mut connection = Connection::start(&live).await;
    let mut arguments = asking("make a file");
    arguments["cwd"] = json!(approved_cwd);
    let approved_call = connection.start_call("codex", arguments.clone()).await;
    arguments["cwd"] = json!(denied_cwd);
    let denied_call = connection.start_call("codex", arguments).await;

    let first = connection.next_elicitation().await;
    let second = connection.next_elicitation().await;
    let (approved, denied) = if first.params["codex_cwd"] == approved_cwd.as_str() {
        (first, second)
    } else {
        (second, first)
    };
    let approved_thread = approved.params["threadId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let denied_thread = denied.params["threadId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(approved_thread, denied_thread, "{}", connection.report());
    check_exec_elicitation(
        &approved,
        &approved_thread,
        &approved_call.id(),
        &approved_call.turn_id(),
        &approved_cwd,
    );
    check_exec_elicitation(
        &denied,
        &denied_thread,
        &denied_call.id(),
        &denied_call.turn_id(),
        &denied_cwd,
    );

    // Denied first, so that the approved call cannot be answered by accident of order.
    denied.answer(json!({"decision": "denied"}));
    approved.answer(json!({"decision": "approved"}));
    let denied_result = connection.finish(denied_call).await;
    let approved_result = connection.finish(approved_call).await;
    assert_eq!(denied_result, replied(&denied_thread, "done"));
    assert_eq!(approved_result, replied(&approved_thread, "done"));
    assert!(Path::new(&approved_cwd).join("made.txt").exists());
    assert!(!Path::new(&denied_cwd).join("made.txt").exists());
}
