//! The agent's tools through the turn loop, with real processes and files in temp dirs and a
//! scripted model: commands (streamed output, sessions continued with write_stdin, with and
//! without a terminal), shell_command, patches (tool and heredoc), approvals, interrupts, and
//! the plan.

use std::sync::Arc;
use std::time::Duration;

use codex_core::thread::CodexThread;
use codex_core::thread::Event;
use codex_core::thread::NewThread;
use codex_core::thread::Op;
use codex_model_client::model::ResponseEvent;
use codex_protocol::models::ContentItem;
use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_tools::CodexTools;
use codex_tools::ToolsConfig;
use codex_tools::model_family::ModelFamily;
use codex_tools::model_family::ToolName;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::threads::Harness;
use super::threads::Script;
use super::threads::Step;
use super::threads::completed;
use super::threads::harness_with;
use super::threads::next;
use super::threads::text_answer;
use super::threads::until_turn_end;

fn config(approval: &str, sandbox: &str, extra: &str) -> String {
    format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"{approval}\"\nsandbox_mode = \"{sandbox}\"\n{extra}"
    )
}

fn tools_harness(approval: &str) -> Harness {
    harness_with(
        &config(approval, "danger-full-access", ""),
        Arc::new(CodexTools::new(ToolsConfig::default())),
    )
}

fn function_call(call_id: &str, name: &str, arguments: Value) -> Vec<Step> {
    vec![
        Step::Send(ResponseEvent::Created),
        Step::Send(ResponseEvent::OutputItemDone(ResponseItem::FunctionCall {
            id: None,
            name: name.to_owned(),
            arguments: arguments.to_string(),
            call_id: call_id.to_owned(),
        })),
        completed(),
    ]
}

fn custom_call(call_id: &str, name: &str, input: &str) -> Vec<Step> {
    vec![
        Step::Send(ResponseEvent::Created),
        Step::Send(ResponseEvent::OutputItemDone(
            ResponseItem::CustomToolCall {
                id: None,
                status: None,
                call_id: call_id.to_owned(),
                name: name.to_owned(),
                input: input.to_owned(),
            },
        )),
        completed(),
    ]
}

/// The model calls each tool in turn, then answers "done".
fn script_calls(h: &Harness, calls: Vec<Vec<Step>>) {
    for call in calls {
        h.model.push(Script::Stream(call));
    }
    h.model.push(Script::Stream(text_answer(&["done"])));
}

async fn start_turn(thread: &CodexThread) -> String {
    thread
        .submit(Op::UserTurn {
            input: super::threads::text("go"),
            overrides: Default::default(),
            output_schema: None,
        })
        .await
        .unwrap()
}

/// The text the tools answered `call_id` with.
fn tool_output(thread: &CodexThread, call_id: &str) -> String {
    thread
        .history()
        .unwrap()
        .into_iter()
        .find_map(|item| match item {
            ResponseItem::FunctionCallOutput {
                call_id: id,
                output,
            } if id == call_id => match output.body {
                FunctionCallOutputBody::String(text) => Some(text),
                other => Some(format!("{other:?}")),
            },
            ResponseItem::CustomToolCallOutput {
                call_id: id,
                output,
            } if id == call_id => Some(output),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no output for {call_id}"))
}

fn deltas(events: &[Event], call_id: &str) -> String {
    events
        .iter()
        .filter_map(|event| match &event.msg {
            EventMsg::ExecCommandOutputDelta(delta) if delta.call_id == call_id => {
                Some(delta.chunk.clone())
            }
            _ => None,
        })
        .collect()
}

fn count(events: &[Event], kind: fn(&EventMsg) -> bool) -> usize {
    events.iter().filter(|event| kind(&event.msg)).count()
}

/// Strips the varying lines (chunk id, wall time) of the unified exec framing.
fn stable(output: &str) -> String {
    output
        .lines()
        .filter(|line| !line.starts_with("Chunk ID: ") && !line.starts_with("Wall time: "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn exec_command_streams_every_chunk_and_frames_the_output() {
    let h = tools_harness("never");
    script_calls(
        &h,
        vec![function_call(
            "call-1",
            "exec_command",
            json!({"cmd": "echo one; sleep 0.3; echo two >&2; echo three"}),
        )],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    assert_eq!(deltas(&seen, "call-1"), "one\ntwo\nthree\n");
    let end = seen
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::ExecCommandEnd(end) => Some(end.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (end.exit_code, end.aggregated_output.as_str()),
        (0, "one\ntwo\nthree\n")
    );
    let begin = seen
        .iter()
        .position(|event| matches!(event.msg, EventMsg::ExecCommandBegin(_)))
        .unwrap();
    let first_delta = seen
        .iter()
        .position(|event| matches!(event.msg, EventMsg::ExecCommandOutputDelta(_)))
        .unwrap();
    assert!(begin < first_delta);
    let output = tool_output(&thread, "call-1");
    assert!(output.starts_with("Chunk ID: "), "{output}");
    assert_eq!(
        stable(&output),
        "Process exited with code 0\nOriginal token count: 4\nOutput:\none\ntwo\nthree"
    );
    // The tools offered: the reference's list for gpt-5.1-codex.
    let names: Vec<String> = h.model.prompts()[0]
        .tools
        .iter()
        .map(|tool| {
            tool.get("name")
                .or_else(|| tool.get("type"))
                .and_then(Value::as_str)
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<&str> = ModelFamily::find("gpt-5.1-codex")
        .tools(true)
        .into_iter()
        .map(ToolName::as_str)
        .collect();
    assert_eq!(names, expected);
}

/// Starts `read line; echo got:$line` and continues it with write_stdin.
async fn session_continues_with_write_stdin(tty: bool) {
    let h = tools_harness("never");
    let (later, rest) = tokio::sync::oneshot::channel();
    h.model.push(Script::Stream(function_call(
        "call-1",
        "exec_command",
        json!({"cmd": "read line; echo got:$line", "tty": tty, "yield_time_ms": 500}),
    )));
    h.model.push(Script::Stream(vec![Step::Later(rest)]));
    h.model.push(Script::Stream(text_answer(&["done"])));
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let session_id = loop {
        if let EventMsg::ExecCommandBegin(begin) = next(&mut events).await.msg {
            break begin.process_id.unwrap();
        }
    };
    later
        .send(function_call(
            "call-2",
            "write_stdin",
            json!({"session_id": session_id.parse::<i64>().unwrap(), "chars": "hello\n", "yield_time_ms": 5000}),
        ))
        .ok()
        .unwrap();
    let seen = until_turn_end(&mut events).await;
    let first = tool_output(&thread, "call-1");
    assert!(
        first.contains(&format!("Process running with session ID {session_id}")),
        "{first}"
    );
    let second = tool_output(&thread, "call-2");
    assert!(second.contains("Process exited with code 0"), "{second}");
    assert!(second.contains("got:hello"), "{second}");
    assert_eq!(
        count(&seen, |msg| matches!(msg, EventMsg::ExecCommandEnd(_))),
        1
    );
}

#[tokio::test]
async fn a_session_continues_with_write_stdin_through_pipes() {
    session_continues_with_write_stdin(false).await;
}

#[tokio::test]
async fn a_session_continues_with_write_stdin_through_a_terminal() {
    session_continues_with_write_stdin(true).await;
}

#[tokio::test]
async fn shell_command_runs_when_unified_exec_is_off() {
    let h = harness_with(
        &config(
            "never",
            "danger-full-access",
            "[features]\nunified_exec = false\n",
        ),
        Arc::new(CodexTools::default()),
    );
    script_calls(
        &h,
        vec![function_call(
            "call-1",
            "shell_command",
            json!({"command": "echo hi; exit 3"}),
        )],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    assert_eq!(
        h.model.prompts()[0].tools[0]["name"],
        json!("shell_command")
    );
    let output = tool_output(&thread, "call-1");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[0], "Exit code: 3");
    assert!(lines[1].starts_with("Wall time: "), "{output}");
    assert_eq!(&lines[2..], ["Output:", "hi"]);
    assert_eq!(deltas(&seen, "call-1"), "hi\n");
    assert_eq!(
        count(
            &seen,
            |msg| matches!(msg, EventMsg::ExecCommandEnd(end) if end.exit_code == 3)
        ),
        1
    );
}

#[tokio::test]
async fn shell_answers_json_to_a_model_without_freeform_apply_patch() {
    let h = harness_with(
        "model = \"gpt-4.1\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n[features]\nunified_exec = false\n",
        Arc::new(CodexTools::default()),
    );
    script_calls(
        &h,
        vec![
            function_call(
                "late",
                "shell",
                json!({"command": ["sh", "-c", "echo start; sleep 5"], "timeout_ms": 300}),
            ),
            function_call(
                "long",
                "shell",
                json!({"command": ["sh", "-c", "seq 1 3000"]}),
            ),
            function_call(
                "missing",
                "shell",
                json!({"command": ["/nonexistent/binary"]}),
            ),
        ],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    until_turn_end(&mut events).await;
    assert_eq!(h.model.prompts()[0].tools[0]["name"], json!("shell"));

    // A timeout is told first, with the time it took.
    let late: Value = serde_json::from_str(&tool_output(&thread, "late")).unwrap();
    let output = late["output"].as_str().unwrap();
    assert!(output.starts_with("command timed out after "), "{late}");
    assert!(output.ends_with(" milliseconds\nstart\n"), "{late}");
    assert_eq!(late["metadata"]["exit_code"], 124);

    // The output is cut to 10,000 bytes under a line count, then the whole answer to 12,000,
    // which cuts the first marker away.
    let long = tool_output(&thread, "long");
    assert!(
        long.starts_with("{\"output\":\"Total output lines: 3000\\n\\n1\\n2\\n3\\n"),
        "{long}"
    );
    assert!(
        long.contains("\\n1178\\n…334 chars truncated…\\n2010\\n"),
        "{long}"
    );
    assert!(
        long.contains("\\n3000\\n\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":"),
        "{long}"
    );
    assert_eq!(long.matches("truncated…").count(), 1, "{long}");

    assert_eq!(
        tool_output(&thread, "missing"),
        r#"execution error: Io(Os { code: 2, kind: NotFound, message: "No such file or directory" })"#
    );
}

#[tokio::test]
async fn exec_command_cuts_long_output_under_a_line_count() {
    let h = tools_harness("never");
    script_calls(
        &h,
        vec![
            function_call(
                "call-1",
                "exec_command",
                json!({"cmd": "seq 1 3000", "max_output_tokens": 50}),
            ),
            function_call(
                "call-2",
                "write_stdin",
                json!({"session_id": 4242, "chars": ""}),
            ),
        ],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    until_turn_end(&mut events).await;
    let head: String = (1..=36).map(|n| format!("{n}\n")).collect();
    let tail: String = (2981..=3000).map(|n| format!("\n{n}")).collect();
    assert_eq!(
        stable(&tool_output(&thread, "call-1")),
        format!(
            "Process exited with code 0\nOriginal token count: 3474\nOutput:\nTotal output lines: 3000\n\n{head}3…3424 tokens truncated…{}",
            &tail[1..]
        )
    );
    assert_eq!(
        tool_output(&thread, "call-2"),
        "write_stdin failed: Unknown process id 4242"
    );
}

#[tokio::test]
async fn apply_patch_adds_updates_moves_and_deletes() {
    let h = tools_harness("never");
    let cwd = h.cwd.path().canonicalize().unwrap();
    std::fs::write(cwd.join("update.txt"), "one\ntwo\n").unwrap();
    std::fs::write(cwd.join("move.txt"), "moved\n").unwrap();
    std::fs::write(cwd.join("delete.txt"), "gone\n").unwrap();
    let patch = "*** Begin Patch\n*** Add File: add.txt\n+added\n*** Update File: update.txt\n@@\n one\n-two\n+2\n*** Update File: move.txt\n*** Move to: moved/there.txt\n@@\n-moved\n+moved!\n*** Delete File: delete.txt\n*** End Patch";
    script_calls(&h, vec![custom_call("call-1", "apply_patch", patch)]);
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    assert_eq!(
        std::fs::read_to_string(cwd.join("add.txt")).unwrap(),
        "added\n"
    );
    assert_eq!(
        std::fs::read_to_string(cwd.join("update.txt")).unwrap(),
        "one\n2\n"
    );
    assert_eq!(
        std::fs::read_to_string(cwd.join("moved/there.txt")).unwrap(),
        "moved!\n"
    );
    assert!(!cwd.join("move.txt").exists());
    assert!(!cwd.join("delete.txt").exists());
    let output = tool_output(&thread, "call-1");
    assert!(output.starts_with("Exit code: 0\n"), "{output}");
    assert!(
        output.contains("Success. Updated the following files:"),
        "{output}"
    );
    let end = seen
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::PatchApplyEnd(end) => Some(end.clone()),
            _ => None,
        })
        .unwrap();
    assert!(end.success);
    assert_eq!(end.changes.len(), 4);
    let diff = seen
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::TurnDiff(diff) => Some(diff.unified_diff.clone()),
            _ => None,
        })
        .unwrap();
    // Outside a git repository files are named by their absolute paths, as the reference does.
    let update = cwd.join("update.txt").display().to_string();
    assert!(
        diff.contains(&format!("diff --git a/{update} b/{update}")),
        "{diff}"
    );
    assert!(diff.contains("+2"), "{diff}");
    assert_eq!(
        count(&seen, |msg| matches!(msg, EventMsg::PatchApplyBegin(_))),
        1
    );
}

#[tokio::test]
async fn a_heredoc_patch_in_exec_command_is_applied_by_the_agent() {
    let h = tools_harness("never");
    let cwd = h.cwd.path().canonicalize().unwrap();
    let cmd = "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: here.txt\n+from a heredoc\n*** End Patch\nEOF\n";
    script_calls(
        &h,
        vec![function_call("call-1", "exec_command", json!({"cmd": cmd}))],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    assert_eq!(
        std::fs::read_to_string(cwd.join("here.txt")).unwrap(),
        "from a heredoc\n"
    );
    assert_eq!(
        count(
            &seen,
            |msg| matches!(msg, EventMsg::PatchApplyEnd(end) if end.success)
        ),
        1
    );
    assert_eq!(
        count(&seen, |msg| matches!(msg, EventMsg::ExecCommandBegin(_))),
        0
    );
    assert!(tool_output(&thread, "call-1").contains("A "));
}

#[tokio::test]
async fn a_malformed_patch_writes_nothing() {
    let h = tools_harness("never");
    let cwd = h.cwd.path().canonicalize().unwrap();
    std::fs::write(cwd.join("keep.txt"), "original\n").unwrap();
    // The first hunk is fine; the second does not match, so neither may be written.
    let patch = "*** Begin Patch\n*** Add File: new.txt\n+new\n*** Update File: keep.txt\n@@\n-not there\n+changed\n*** End Patch";
    script_calls(&h, vec![custom_call("call-1", "apply_patch", patch)]);
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    assert!(!cwd.join("new.txt").exists());
    assert_eq!(
        std::fs::read_to_string(cwd.join("keep.txt")).unwrap(),
        "original\n"
    );
    let output = tool_output(&thread, "call-1");
    assert!(
        output.starts_with("apply_patch verification failed: "),
        "{output}"
    );
    assert_eq!(
        count(&seen, |msg| matches!(msg, EventMsg::PatchApplyBegin(_))),
        0
    );
}

#[tokio::test]
async fn update_plan_emits_the_plan() {
    let h = tools_harness("never");
    let plan = json!({"explanation": "why", "plan": [
        {"step": "read", "status": "completed"},
        {"step": "write", "status": "in_progress"},
    ]});
    script_calls(&h, vec![function_call("call-1", "update_plan", plan)]);
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    let update = seen
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::PlanUpdate(update) => Some(update.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(update.explanation.as_deref(), Some("why"));
    assert_eq!(update.plan.len(), 2);
    assert_eq!(tool_output(&thread, "call-1"), "Plan updated");
}

#[tokio::test]
async fn request_user_input_is_refused_outside_plan_mode() {
    let h = tools_harness("never");
    script_calls(
        &h,
        vec![function_call(
            "call-1",
            "request_user_input",
            json!({"questions": []}),
        )],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    until_turn_end(&mut events).await;
    assert_eq!(
        tool_output(&thread, "call-1"),
        "request_user_input is unavailable in Default mode"
    );
}

/// Runs `touch <file>` under `untrusted` and answers the approval request with `decision`.
async fn touch_with_decision(decision: ReviewDecision) -> (Harness, Vec<Event>, String) {
    let h = tools_harness("untrusted");
    script_calls(
        &h,
        vec![function_call(
            "call-1",
            "exec_command",
            json!({"cmd": "touch made.txt"}),
        )],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let mut seen = Vec::new();
    loop {
        let event = next(&mut events).await;
        let request = matches!(event.msg, EventMsg::ExecApprovalRequest(_));
        seen.push(event);
        if request {
            break;
        }
    }
    thread
        .submit(Op::ExecApproval {
            id: "call-1".to_owned(),
            decision,
        })
        .await
        .unwrap();
    seen.extend(until_turn_end(&mut events).await);
    let output = tool_output(&thread, "call-1");
    (h, seen, output)
}

#[tokio::test]
async fn an_approved_command_runs() {
    let (h, seen, output) = touch_with_decision(ReviewDecision::Approved).await;
    assert!(h.cwd.path().join("made.txt").exists());
    assert!(output.contains("Process exited with code 0"), "{output}");
    assert_eq!(
        count(&seen, |msg| matches!(msg, EventMsg::ExecCommandEnd(_))),
        1
    );
}

#[tokio::test]
async fn declined_and_aborted_commands_do_not_run() {
    for decision in [ReviewDecision::Denied, ReviewDecision::Abort] {
        let (h, seen, output) = touch_with_decision(decision).await;
        assert!(!h.cwd.path().join("made.txt").exists());
        // The reference's wording for exec_command, its error chain included.
        assert_eq!(
            output,
            r#"exec_command failed: CreateProcess { message: "Rejected(\"rejected by user\")" }"#
        );
        assert_eq!(
            count(&seen, |msg| matches!(msg, EventMsg::ExecCommandBegin(_))),
            0
        );
        assert_eq!(
            count(&seen, |msg| matches!(msg, EventMsg::ExecCommandEnd(_))),
            0
        );
    }
}

#[tokio::test]
async fn approved_for_session_is_not_asked_again_and_safe_commands_never_are() {
    let h = tools_harness("untrusted");
    let NewThread { thread, mut events } = h.start().await;
    for round in 0..2 {
        script_calls(
            &h,
            vec![function_call(
                &format!("call-{round}"),
                "exec_command",
                json!({"cmd": "touch again.txt"}),
            )],
        );
        start_turn(&thread).await;
        let mut asked = false;
        loop {
            let event = next(&mut events).await;
            match event.msg {
                EventMsg::ExecApprovalRequest(_) => {
                    asked = true;
                    thread
                        .submit(Op::ExecApproval {
                            id: format!("call-{round}"),
                            decision: ReviewDecision::ApprovedForSession,
                        })
                        .await
                        .unwrap();
                }
                EventMsg::TaskComplete(_) => break,
                _ => {}
            }
        }
        assert_eq!(asked, round == 0, "round {round}");
    }
    script_calls(
        &h,
        vec![function_call(
            "call-ls",
            "exec_command",
            json!({"cmd": "ls && pwd"}),
        )],
    );
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    assert_eq!(
        count(&seen, |msg| matches!(msg, EventMsg::ExecApprovalRequest(_))),
        0
    );
    assert!(tool_output(&thread, "call-ls").contains("again.txt"));
}

#[tokio::test]
async fn a_sandboxed_command_without_a_launcher_is_refused() {
    let h = harness_with(
        &config("never", "read-only", ""),
        Arc::new(CodexTools::default()),
    );
    script_calls(
        &h,
        vec![function_call(
            "call-1",
            "exec_command",
            json!({"cmd": "touch x.txt"}),
        )],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    until_turn_end(&mut events).await;
    assert!(!h.cwd.path().join("x.txt").exists());
    let output = tool_output(&thread, "call-1");
    assert!(
        output.contains("no sandbox launcher is configured"),
        "{output}"
    );
}

fn alive(pid: &str) -> bool {
    let running = std::process::Command::new("kill")
        .args(["-0", pid])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    // A killed child of a killed shell may linger as a zombie until it is reaped.
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false);
    running && !zombie
}

#[tokio::test]
async fn an_interrupt_kills_the_process_group() {
    let h = tools_harness("never");
    let cwd = h.cwd.path().canonicalize().unwrap();
    h.model.push(Script::Stream(function_call(
        "call-1",
        "exec_command",
        json!({"cmd": "sleep 60 & echo $! > pid.txt; wait", "yield_time_ms": 30000}),
    )));
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let pid_file = cwd.join("pid.txt");
    let mut pid = String::new();
    for _ in 0..100 {
        pid = std::fs::read_to_string(&pid_file)
            .unwrap_or_default()
            .trim()
            .to_owned();
        if !pid.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!pid.is_empty(), "the command never wrote its pid");
    assert!(alive(&pid));
    thread.submit(Op::Interrupt).await.unwrap();
    let mut gone = false;
    for _ in 0..100 {
        if !alive(&pid) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone, "process {pid} survived the interrupt");
    let seen = until_turn_end(&mut events).await;
    assert!(matches!(
        seen.last().map(|event| &event.msg),
        Some(EventMsg::TurnAborted(_))
    ));
}

#[tokio::test]
async fn view_image_shows_the_model_the_image_after_the_tool_output() {
    let h = tools_harness("never");
    let png = [0x89, b'P', b'N', b'G', 1, 2, 3];
    std::fs::write(h.cwd.path().join("dot.png"), png).unwrap();
    script_calls(
        &h,
        vec![function_call(
            "call-1",
            "view_image",
            json!({"path": "dot.png"}),
        )],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    let seen = until_turn_end(&mut events).await;
    let view = seen
        .iter()
        .find_map(|event| match &event.msg {
            EventMsg::ViewImageToolCall(view) => Some(view.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(view.call_id, "call-1");
    assert!(view.path.ends_with("/dot.png"), "{}", view.path);
    assert_eq!(tool_output(&thread, "call-1"), "attached local image path");

    // The image comes right after the tool's output, as a user message with a data URL.
    let history = thread.history().unwrap();
    let output_at = history
        .iter()
        .position(|item| matches!(item, ResponseItem::FunctionCallOutput { call_id, .. } if call_id == "call-1"))
        .unwrap();
    let expected_url = "data:image/png;base64,iVBORwECAw==";
    assert!(
        matches!(
            &history[output_at + 1],
            ResponseItem::Message { role, content, .. }
                if role == "user"
                    && matches!(content.as_slice(), [ContentItem::InputImage { image_url }] if image_url == expected_url)
        ),
        "{:?}",
        history.get(output_at + 1)
    );
}

#[tokio::test]
async fn view_image_of_a_missing_file_says_so() {
    let h = tools_harness("never");
    script_calls(
        &h,
        vec![function_call(
            "call-1",
            "view_image",
            json!({"path": "nope.png"}),
        )],
    );
    let NewThread { thread, mut events } = h.start().await;
    start_turn(&thread).await;
    until_turn_end(&mut events).await;
    let output = tool_output(&thread, "call-1");
    assert!(output.starts_with("unable to read image at "), "{output}");
}
