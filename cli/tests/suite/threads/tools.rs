//! The agent's tools through a running server: commands with streamed output, patches written
//! to disk, plans, approvals answered by the client, the real sandbox, and interrupts.

use std::path::Path;
use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use crate::suite::serve::Client;

/// Notifications and server requests of a turn, up to `turn/completed`; each server request is
/// answered with `answer(request)`.
async fn turn_answering(
    client: &mut Client,
    id: u64,
    thread: &str,
    text: &str,
    answer: impl Fn(&Value) -> Value,
) -> Vec<Value> {
    let response = client
        .request(&json!({"id": id, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": text}],
        }}))
        .await;
    assert!(response.get("result").is_some(), "{}", client.report());
    until_completed(client, answer).await
}

pub(super) async fn until_completed(
    client: &mut Client,
    answer: impl Fn(&Value) -> Value,
) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = client.next().await;
        if message.get("method").is_none() {
            continue;
        }
        if message.get("id").is_some() {
            let result = answer(&message);
            client.respond(&message["id"], result).await;
        }
        let done = message["method"] == "turn/completed";
        seen.push(message);
        if done {
            return seen;
        }
    }
}

/// The messages with `method`.
pub(crate) fn with_method<'a>(seen: &'a [Value], method: &str) -> Vec<&'a Value> {
    seen.iter().filter(|m| m["method"] == method).collect()
}

/// The `item/started` and `item/completed` items of `kind`, in order, as (method, item).
pub(crate) fn items<'a>(seen: &'a [Value], kind: &str) -> Vec<(&'a str, &'a Value)> {
    seen.iter()
        .filter(|m| m["method"] == "item/started" || m["method"] == "item/completed")
        .filter(|m| m["params"]["item"]["type"] == kind)
        .map(|m| (m["method"].as_str().unwrap(), &m["params"]["item"]))
        .collect()
}

fn exec(call_id: &str, response: &str, cmd: &str) -> Reply {
    let arguments = json!({"cmd": cmd, "yield_time_ms": 30_000}).to_string();
    Reply::sse(sse::function_call_turn(
        response,
        call_id,
        "exec_command",
        &arguments,
    ))
}

pub(crate) fn text(response: &str, text: &str) -> Reply {
    Reply::sse(sse::text_turn(response, text))
}

/// The text of the tool output the model got back for `call_id` in its last request.
pub(crate) fn tool_output(live: &Live, call_id: &str) -> String {
    let requests = live.model.requests();
    let last = requests.last().expect("the model was asked");
    let body = last.json.clone().expect("a JSON request");
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| {
            item["call_id"] == call_id && item["type"].as_str().unwrap().ends_with("_output")
        })
        .map(|item| match &item["output"] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_command_streams_its_output_as_a_command_execution_item() {
    let live = Live::new().await;
    let script = "for i in 1 2 3; do echo line$i; sleep 0.2; done";
    live.model.enqueue_all([
        exec("call_1", "resp-1", script),
        text("resp-2", "Streamed."),
    ]);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = started["thread"]["id"].as_str().unwrap();
    let seen = turn_answering(&mut client, 2, thread, "stream", |_| json!({})).await;

    let command = format!("/bin/bash -lc '{script}'");
    let commands = items(&seen, "commandExecution");
    assert_eq!(commands.len(), 2, "{}", client.report());
    let (_, begun) = commands[0];
    assert_eq!(begun["id"], "call_1");
    assert_eq!(begun["command"], command);
    assert_eq!(begun["cwd"], live.work);
    assert_eq!(begun["status"], "inProgress");
    assert_eq!(
        begun["commandActions"],
        json!([{"type": "unknown", "command": script}])
    );
    assert_eq!(begun["aggregatedOutput"], Value::Null);
    assert!(begun["processId"].is_string(), "{begun}");

    let deltas = with_method(&seen, "item/commandExecution/outputDelta");
    assert!(deltas.len() >= 3, "every chunk is sent: {deltas:?}");
    let streamed: String = deltas
        .iter()
        .map(|delta| {
            assert_eq!(delta["params"]["itemId"], "call_1");
            delta["params"]["delta"].as_str().unwrap()
        })
        .collect();
    assert_eq!(streamed, "line1\nline2\nline3\n");

    let (method, done) = commands[1];
    assert_eq!(method, "item/completed");
    assert_eq!(done["status"], "completed");
    assert_eq!(done["exitCode"], 0);
    assert_eq!(done["aggregatedOutput"], "line1\nline2\nline3\n");
    assert!(done["durationMs"].as_i64().unwrap() >= 400, "{done}");
    assert!(tool_output(&live, "call_1").contains("line1\nline2\nline3\n"));
}

#[tokio::test]
async fn command_items_say_which_commands_read_list_or_search() {
    let live = Live::new().await;
    std::fs::create_dir_all(Path::new(&live.work).join("notes")).unwrap();
    std::fs::write(
        Path::new(&live.work).join("notes/hello.txt"),
        "hello\nworld\n",
    )
    .unwrap();
    let scripts = [
        "cd notes && sed -n '1,2p' hello.txt",
        "grep -rn hello . | head -n 5",
        "ls -la notes",
        "pwd && cat notes/hello.txt | wc -l",
    ];
    let mut replies: Vec<Reply> = scripts
        .iter()
        .enumerate()
        .map(|(i, script)| exec(&format!("call_{i}"), &format!("resp-{i}"), script))
        .collect();
    replies.push(text("resp-last", "Looked."));
    live.model.enqueue_all(replies);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = started["thread"]["id"].as_str().unwrap();
    let seen = turn_answering(&mut client, 2, thread, "look around", |_| json!({})).await;

    let actions: Vec<(&str, &Value)> = items(&seen, "commandExecution")
        .into_iter()
        .map(|(method, item)| (method, &item["commandActions"]))
        .collect();
    let read = json!([{"type": "read", "command": "sed -n '1,2p' hello.txt",
        "name": "hello.txt", "path": "notes/hello.txt"}]);
    let search = json!([{"type": "search", "command": "grep -rn hello .",
        "query": "hello", "path": "."}]);
    let list = json!([{"type": "listFiles", "command": "ls -la notes", "path": "notes"}]);
    let several = json!([{"type": "unknown", "command": "pwd"},
        {"type": "read", "command": "cat notes/hello.txt", "name": "hello.txt",
            "path": "notes/hello.txt"}]);
    assert_eq!(
        actions,
        [
            ("item/started", &read),
            ("item/completed", &read),
            ("item/started", &search),
            ("item/completed", &search),
            ("item/started", &list),
            ("item/completed", &list),
            ("item/started", &several),
            ("item/completed", &several),
        ],
        "{}",
        client.report()
    );
}

const PATCH_ADD: &str = "*** Begin Patch\n*** Add File: notes/hello.txt\n+Hello from apply_patch\n+second line\n*** End Patch\n";
const PATCH_UPDATE: &str = "*** Begin Patch\n*** Update File: notes/hello.txt\n@@\n-second line\n+2nd line\n*** End Patch\n";

fn patch(call_id: &str, response: &str, input: &str) -> Reply {
    Reply::sse(sse::custom_tool_call_turn(
        response,
        call_id,
        "apply_patch",
        input,
    ))
}

#[tokio::test]
async fn apply_patch_writes_files_and_reports_file_changes_and_the_turn_diff() {
    let live = Live::new().await;
    live.model.enqueue_all([
        patch("call_add", "resp-1", PATCH_ADD),
        patch("call_update", "resp-2", PATCH_UPDATE),
        text("resp-3", "Patched."),
    ]);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = started["thread"]["id"].as_str().unwrap();
    let seen = turn_answering(&mut client, 2, thread, "patch", |_| json!({})).await;

    let file = Path::new(&live.work).join("notes/hello.txt");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "Hello from apply_patch\n2nd line\n"
    );
    let path = file.display().to_string();
    let changes = items(&seen, "fileChange");
    assert_eq!(
        changes,
        [
            (
                "item/started",
                &json!({"type": "fileChange", "id": "call_add", "status": "inProgress",
                "changes": [{"path": path, "kind": {"type": "add"}, "diff": "Hello from apply_patch\nsecond line\n"}]})
            ),
            (
                "item/completed",
                &json!({"type": "fileChange", "id": "call_add", "status": "completed",
                "changes": [{"path": path, "kind": {"type": "add"}, "diff": "Hello from apply_patch\nsecond line\n"}]})
            ),
            (
                "item/started",
                &json!({"type": "fileChange", "id": "call_update", "status": "inProgress",
                "changes": [{"path": path, "kind": {"type": "update", "move_path": null}, "diff": "@@ -1,2 +1,2 @@\n Hello from apply_patch\n-second line\n+2nd line\n"}]})
            ),
            (
                "item/completed",
                &json!({"type": "fileChange", "id": "call_update", "status": "completed",
                "changes": [{"path": path, "kind": {"type": "update", "move_path": null}, "diff": "@@ -1,2 +1,2 @@\n Hello from apply_patch\n-second line\n+2nd line\n"}]})
            ),
        ],
        "{}",
        client.report()
    );
    let outputs: Vec<&str> = with_method(&seen, "item/fileChange/outputDelta")
        .iter()
        .map(|delta| delta["params"]["delta"].as_str().unwrap())
        .collect();
    assert_eq!(
        outputs,
        [
            "Success. Updated the following files:\nA notes/hello.txt\n",
            "Success. Updated the following files:\nM notes/hello.txt\n"
        ]
    );
    let diffs = with_method(&seen, "turn/diff/updated");
    assert_eq!(diffs.len(), 5, "twice per patch and once at the end");
    let last = diffs.last().unwrap()["params"]["diff"].as_str().unwrap();
    assert!(last.contains("new file mode 100644"), "{last}");
    assert!(
        last.contains("+Hello from apply_patch\n+2nd line\n"),
        "{last}"
    );
    let completed = seen.last().unwrap();
    assert_eq!(completed["params"]["turn"]["status"], "completed");
    // The end-of-turn diff comes just before turn/completed.
    assert_eq!(seen[seen.len() - 2]["method"], "turn/diff/updated");
}

#[tokio::test]
async fn update_plan_sends_turn_plan_updated() {
    let live = Live::new().await;
    let arguments = json!({"explanation": "Two steps", "plan": [
        {"step": "Read the code", "status": "completed"},
        {"step": "Write the fix", "status": "in_progress"},
        {"step": "Run tests", "status": "pending"},
    ]})
    .to_string();
    live.model.enqueue_all([
        Reply::sse(sse::function_call_turn(
            "resp-1",
            "call_plan",
            "update_plan",
            &arguments,
        )),
        text("resp-2", "Plan recorded."),
    ]);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = started["thread"]["id"].as_str().unwrap();
    let seen = turn_answering(&mut client, 2, thread, "plan", |_| json!({})).await;
    let plans = with_method(&seen, "turn/plan/updated");
    assert_eq!(plans.len(), 1, "{}", client.report());
    let turn_id = seen.last().unwrap()["params"]["turn"]["id"].clone();
    assert_eq!(
        plans[0]["params"],
        json!({"threadId": thread, "turnId": turn_id, "explanation": "Two steps", "plan": [
            {"step": "Read the code", "status": "completed"},
            {"step": "Write the fix", "status": "inProgress"},
            {"step": "Run tests", "status": "pending"},
        ]})
    );
    assert_eq!(tool_output(&live, "call_plan"), "Plan updated");
}

/// A thread under `approval_policy = "untrusted"`.
async fn untrusted_thread(live: &Live, client: &mut Client) -> String {
    let started = live
        .start_thread(client, 1, json!({"approvalPolicy": "untrusted"}))
        .await;
    assert_eq!(started["approvalPolicy"], "untrusted");
    started["thread"]["id"].as_str().unwrap().to_owned()
}

fn decision(decision: &'static str) -> impl Fn(&Value) -> Value {
    move |request| {
        assert_eq!(request["method"], "item/commandExecution/requestApproval");
        json!({"decision": decision})
    }
}

#[tokio::test]
async fn an_accepted_command_runs() {
    let live = Live::new().await;
    live.model.enqueue_all([
        exec("call_1", "resp-1", "touch approved.txt && echo approved"),
        text("resp-2", "Done."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = untrusted_thread(&live, &mut client).await;
    let seen = turn_answering(&mut client, 2, &thread, "go", decision("accept")).await;

    let requests: Vec<&Value> = seen.iter().filter(|m| m.get("id").is_some()).collect();
    assert_eq!(requests.len(), 1, "{}", client.report());
    // The server's first request of the process is numbered 0, as in the reference.
    assert_eq!(requests[0]["id"], 0);
    let turn_id = seen.last().unwrap()["params"]["turn"]["id"].clone();
    assert_eq!(
        requests[0]["params"],
        json!({"threadId": thread, "turnId": turn_id, "itemId": "call_1", "reason": null,
            "command": "/bin/bash -lc 'touch approved.txt && echo approved'", "cwd": live.work,
            "commandActions": [{"type": "unknown", "command": "touch approved.txt"},
                {"type": "unknown", "command": "echo approved"}],
            "proposedExecpolicyAmendment": ["touch", "approved.txt"]})
    );
    let commands = items(&seen, "commandExecution");
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[1].1["status"], "completed");
    assert_eq!(commands[1].1["aggregatedOutput"], "approved\n");
    assert!(Path::new(&live.work).join("approved.txt").exists());
}

#[tokio::test]
async fn a_declined_command_does_not_run_and_its_item_says_so_once() {
    let live = Live::new().await;
    live.model.enqueue_all([
        exec("call_1", "resp-1", "touch declined.txt && echo declined"),
        text("resp-2", "OK, I will not run it."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = untrusted_thread(&live, &mut client).await;
    let seen = turn_answering(&mut client, 2, &thread, "go", decision("decline")).await;

    let commands = items(&seen, "commandExecution");
    assert_eq!(
        commands,
        [(
            "item/completed",
            &json!({"type": "commandExecution", "id": "call_1",
                "command": "/bin/bash -lc 'touch declined.txt && echo declined'", "cwd": live.work,
                "processId": null, "status": "declined",
                "commandActions": [{"type": "unknown", "command": "touch declined.txt"},
                    {"type": "unknown", "command": "echo declined"}],
                "aggregatedOutput": null, "exitCode": null, "durationMs": null})
        )],
        "{}",
        client.report()
    );
    assert!(!Path::new(&live.work).join("declined.txt").exists());
    assert_eq!(
        seen.last().unwrap()["params"]["turn"]["status"],
        "completed"
    );
    assert!(
        tool_output(&live, "call_1").contains("rejected"),
        "{}",
        tool_output(&live, "call_1")
    );
}

#[tokio::test]
async fn an_approval_request_says_what_the_command_searches() {
    let live = Live::new().await;
    std::fs::write(Path::new(&live.work).join("keep.txt"), "kept\n").unwrap();
    live.model.enqueue_all([
        exec("call_1", "resp-1", "find . -name '*.txt' -delete"),
        text("resp-2", "Left alone."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = untrusted_thread(&live, &mut client).await;
    let seen = turn_answering(&mut client, 2, &thread, "go", decision("decline")).await;

    let search = json!([{"type": "search", "command": "find . -name '*.txt' -delete",
        "query": "*.txt", "path": "."}]);
    let requests: Vec<&Value> = seen.iter().filter(|m| m.get("id").is_some()).collect();
    assert_eq!(requests.len(), 1, "{}", client.report());
    assert_eq!(requests[0]["params"]["commandActions"], search);
    let commands = items(&seen, "commandExecution");
    assert_eq!(commands.len(), 1, "{}", client.report());
    assert_eq!(commands[0].1["commandActions"], search);
    assert!(Path::new(&live.work).join("keep.txt").exists());
}

#[tokio::test]
async fn a_cancelled_approval_interrupts_the_turn() {
    let live = Live::new().await;
    live.model.enqueue_all([
        exec("call_1", "resp-1", "touch cancelled.txt"),
        text("resp-2", "This reply must never be asked for."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = untrusted_thread(&live, &mut client).await;
    let seen = turn_answering(&mut client, 2, &thread, "go", decision("cancel")).await;

    assert_eq!(
        seen.last().unwrap()["params"]["turn"]["status"],
        "interrupted",
        "{}",
        client.report()
    );
    assert!(!Path::new(&live.work).join("cancelled.txt").exists());
    // The model is not asked again after the cancel.
    assert_eq!(live.model.pending_replies(), 1);
}

#[tokio::test]
async fn a_command_accepted_for_the_session_is_not_asked_about_again() {
    let live = Live::new().await;
    live.model.enqueue_all([
        exec("call_1", "resp-1", "touch once.txt"),
        exec("call_2", "resp-2", "touch once.txt"),
        text("resp-3", "Twice."),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = untrusted_thread(&live, &mut client).await;
    let seen = turn_answering(&mut client, 2, &thread, "go", decision("acceptForSession")).await;

    let requests: Vec<&Value> = seen.iter().filter(|m| m.get("id").is_some()).collect();
    assert_eq!(requests.len(), 1, "{}", client.report());
    assert_eq!(requests[0]["params"]["itemId"], "call_1");
    let completed: Vec<&Value> = items(&seen, "commandExecution")
        .into_iter()
        .filter(|(method, _)| *method == "item/completed")
        .map(|(_, item)| item)
        .collect();
    assert_eq!(completed.len(), 2);
    assert!(completed.iter().all(|item| item["status"] == "completed"));
}

#[tokio::test]
async fn the_sandbox_refuses_a_write_outside_the_writable_roots() {
    let live = Live::new().await;
    live.folders.write_user_config(&format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"workspace-write\"\n\n[sandbox_workspace_write]\n\
         exclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n\n\
         [model_providers.mock]\nname = \"mock\"\nbase_url = \"{}\"\nwire_api = \"responses\"\n\
         request_max_retries = 0\nstream_max_retries = 0\n",
        live.model.base_url()
    ));
    let outside = live.folders.home().join("outside.txt");
    let script = format!(
        "touch inside.txt && echo inside; touch {} || echo refused",
        outside.display()
    );
    live.model
        .enqueue_all([exec("call_1", "resp-1", &script), text("resp-2", "Done.")]);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    assert_eq!(started["sandbox"]["type"], "workspaceWrite");
    let thread = started["thread"]["id"].as_str().unwrap();
    let seen = turn_answering(&mut client, 2, thread, "write", |_| json!({})).await;

    let commands = items(&seen, "commandExecution");
    assert_eq!(commands.len(), 2, "{}", client.report());
    let output = commands[1].1["aggregatedOutput"]
        .as_str()
        .unwrap_or_default();
    assert!(output.contains("inside"), "{output}\n{}", client.report());
    assert!(output.contains("refused"), "{output}\n{}", client.report());
    assert!(Path::new(&live.work).join("inside.txt").exists());
    assert!(!outside.exists(), "the sandbox let the write through");
}

#[tokio::test]
async fn an_interrupt_kills_a_long_command_and_completes_its_item() {
    let live = Live::new().await;
    // `exec` keeps the shell's pid, so pid.txt names the process to outlive nothing.
    live.model
        .enqueue_all([exec("call_1", "resp-1", "echo $$ > pid.txt; exec sleep 60")]);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let thread = started["thread"]["id"].as_str().unwrap().to_owned();
    let response = client
        .request(&json!({"id": 2, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "sleep"}],
        }}))
        .await;
    let turn_id = response["result"]["turn"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    loop {
        let message = client.next().await;
        if message["method"] == "item/started"
            && message["params"]["item"]["type"] == "commandExecution"
        {
            break;
        }
    }
    let pid_file = Path::new(&live.work).join("pid.txt");
    let mut pid = String::new();
    for _ in 0..100 {
        pid = std::fs::read_to_string(&pid_file).unwrap_or_default();
        if pid.ends_with('\n') {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let proc_dir = Path::new("/proc").join(pid.trim());
    assert!(
        !pid.trim().is_empty() && proc_dir.exists(),
        "the command runs"
    );

    client
        .send(&json!({"id": 3, "method": "turn/interrupt", "params": {"threadId": thread, "turnId": turn_id}}))
        .await;
    let seen = until_completed(&mut client, |_| json!({})).await;
    assert_eq!(
        seen.last().unwrap()["params"]["turn"]["status"],
        "interrupted"
    );
    let commands = items(&seen, "commandExecution");
    assert_eq!(commands.len(), 1, "one item/completed: {}", client.report());
    assert_eq!(commands[0].0, "item/completed");
    assert_eq!(commands[0].1["status"], "failed");

    let mut alive = true;
    for _ in 0..100 {
        let state = std::fs::read_to_string(proc_dir.join("stat")).unwrap_or_default();
        // Gone, or a zombie waiting for its parent: either way it runs no more.
        alive = !state.is_empty() && !state.contains(") Z ");
        if !alive {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive, "the command outlived the interrupt");
}
