//! The tools without a thread: calls dispatched straight to `CodexTools`, their events caught by
//! a test `EventSink`, their waiting requests answered through `ThreadToolState`.

use std::time::Duration;

use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_tools::CodexTools;
use codex_tools::ToolRouter;
use codex_tools::ToolsConfig;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::support::call;
use super::support::context;
use super::support::drain;

/// The text and success flag of a function call's output.
fn output(item: ResponseItem) -> (String, Option<bool>) {
    match item {
        ResponseItem::FunctionCallOutput { call_id, output } => {
            assert_eq!(call_id, "call-1");
            match output.body {
                FunctionCallOutputBody::String(text) => (text, output.success),
                FunctionCallOutputBody::List(items) => panic!("unexpected content items {items:?}"),
            }
        }
        other => panic!("not a function call output: {other:?}"),
    }
}

#[tokio::test]
async fn update_plan_reaches_the_sink_with_the_turn_id() {
    let cwd = tempfile::tempdir().unwrap();
    let (context, mut received) = context(cwd.path(), AskForApproval::Never);
    let plan = json!({"explanation": "why", "plan": [{"step": "read", "status": "completed"}]});
    let item = CodexTools::default()
        .dispatch(call("update_plan", plan), &context)
        .await;
    assert_eq!(output(item), ("Plan updated".to_owned(), Some(true)));
    let events = drain(&mut received);
    assert_eq!(events.len(), 1, "{events:?}");
    let (turn_id, EventMsg::PlanUpdate(update)) = &events[0] else {
        panic!("not a plan update: {events:?}");
    };
    assert_eq!(turn_id, "turn-1");
    assert_eq!(update.explanation.as_deref(), Some("why"));
    assert_eq!(update.plan.len(), 1);
}

#[tokio::test]
async fn a_command_reports_begin_output_and_end_through_the_sink() {
    let cwd = tempfile::tempdir().unwrap();
    let (context, mut received) = context(cwd.path(), AskForApproval::Never);
    let arguments = json!({"cmd": "printf hello", "login": false, "yield_time_ms": 10000});
    let item = CodexTools::new(ToolsConfig::default())
        .dispatch(call("exec_command", arguments), &context)
        .await;
    let (text, success) = output(item);
    assert_eq!(success, Some(true));
    assert!(text.contains("Process exited with code 0"), "{text}");
    let events = drain(&mut received);
    assert!(
        events.iter().all(|(turn_id, _)| turn_id == "turn-1"),
        "{events:?}"
    );
    assert!(
        matches!(events.first(), Some((_, EventMsg::ExecCommandBegin(_)))),
        "{events:?}"
    );
    let Some((_, EventMsg::ExecCommandEnd(end))) = events.last() else {
        panic!("the last event is not the end: {events:?}");
    };
    assert_eq!(end.exit_code, 0);
    let streamed: String = events
        .iter()
        .filter_map(|(_, msg)| match msg {
            EventMsg::ExecCommandOutputDelta(delta) => Some(delta.chunk.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(streamed, "hello");
}

#[tokio::test]
async fn an_approval_request_waits_for_the_answer_the_agent_delivers() {
    let cwd = tempfile::tempdir().unwrap();
    let (context, mut received) = context(cwd.path(), AskForApproval::Untrusted);
    let state = context.state.clone();
    let arguments = json!({"cmd": "touch made.txt", "login": false});
    let tools = CodexTools::default();
    let dispatch = tools.dispatch(call("exec_command", arguments), &context);
    let answer = async {
        let (turn_id, msg) = received.recv().await.unwrap();
        assert_eq!(turn_id, "turn-1");
        let EventMsg::ExecApprovalRequest(request) = msg else {
            panic!("not an approval request: {msg:?}");
        };
        assert_eq!(request.call_id, "call-1");
        assert!(state.resolve_approval("call-1", ReviewDecision::Denied));
    };
    // Neither side may wait forever: a request that never reaches the sink fails the test.
    let (item, ()) = tokio::time::timeout(Duration::from_secs(30), async {
        tokio::join!(dispatch, answer)
    })
    .await
    .expect("the approval round trip timed out");
    assert_eq!(
        output(item),
        (
            r#"exec_command failed: CreateProcess { message: "Rejected(\"rejected by user\")" }"#
                .to_owned(),
            Some(false)
        )
    );
    assert!(!cwd.path().join("made.txt").exists());
    // Nothing ran, so nothing more was said; and the answered request is no longer pending.
    assert_eq!(drain(&mut received), Vec::new());
    assert!(!state.resolve_approval("call-1", ReviewDecision::Approved));
}

#[tokio::test]
async fn cleaning_background_terminals_forgets_and_stops_the_running_processes() {
    let cwd = tempfile::tempdir().unwrap();
    let (context, mut received) = context(cwd.path(), AskForApproval::Never);
    let tools = CodexTools::new(ToolsConfig::default());
    // Still running when the call yields, so it stays behind as a background terminal.
    let arguments = json!({"cmd": "sleep 30", "login": false, "yield_time_ms": 250});
    let (text, _) = output(
        tools
            .dispatch(call("exec_command", arguments), &context)
            .await,
    );
    let session_id: i64 = text
        .split("Process running with session ID ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no session id in {text}"));

    context.state.close_background_processes();

    // Its end is reported as a terminated session: exit code -1, as the reference says.
    let end = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match received.recv().await {
                Some((_, EventMsg::ExecCommandEnd(end))) => return end,
                Some(_) => {}
                None => panic!("the sink closed before the command ended"),
            }
        }
    })
    .await
    .expect("the killed command ends");
    assert_eq!(end.exit_code, -1);

    let poll = json!({"session_id": session_id, "chars": "", "yield_time_ms": 250});
    let (text, _) = output(tools.dispatch(call("write_stdin", poll), &context).await);
    assert_eq!(
        text,
        format!("write_stdin failed: Unknown process id {session_id}")
    );
}
