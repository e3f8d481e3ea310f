//! Threads and the turn loop against a scripted model client: event sequences, interrupts,
//! steering, errors and retries, rollouts, resume, fork, rollback, compaction, ephemeral
//! threads.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use codex_config::ConfigPaths;
use codex_config::ConfigService;
use codex_config::ConfigToml;
use codex_config::SessionFlags;
use codex_core::thread::CodexThread;
use codex_core::thread::Event;
use codex_core::thread::EventStream;
use codex_core::thread::NewThread;
use codex_core::thread::Op;
use codex_core::thread::StartThread;
use codex_core::thread::ThreadError;
use codex_core::thread::ThreadManager;
use codex_core::thread::ThreadManagerOptions;
use codex_core::thread::ThreadSettings;
use codex_core::thread::TurnOverrides;
use codex_model_client::model::ModelClient;
use codex_model_client::model::ModelError;
use codex_model_client::model::Prompt;
use codex_model_client::model::ResponseEvent;
use codex_model_client::model::ResponseStream;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::items::AgentMessageContent;
use codex_protocol::items::TurnItem;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ReasoningItemReasoningSummary;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::CodexErrorInfo;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SessionSource;
use codex_protocol::protocol::TokenUsage;
use codex_protocol::protocol::TurnAbortReason;
use codex_protocol::user_input::UserInput;
use codex_tools::NoTools;
use codex_tools::ToolRouter;
use codex_utils_absolute_path::AbsolutePathBuf;
use futures::future::BoxFuture;
use pretty_assertions::assert_eq;
use serde_json::Value;
use tokio::sync::Notify;

/// One step of a scripted model answer.
pub(super) enum Step {
    Send(ResponseEvent),
    Fail(ModelError),
    /// Waits until the test notifies.
    Wait(Arc<Notify>),
    /// Never ends (until the stream is dropped).
    Hang,
    /// Continues with the steps the test sends once it knows them (say, a session id).
    Later(tokio::sync::oneshot::Receiver<Vec<Step>>),
}

pub(super) enum Script {
    Stream(Vec<Step>),
    Refuse(ModelError),
}

#[derive(Default)]
pub(super) struct FakeModel {
    scripts: Mutex<VecDeque<Script>>,
    prompts: Mutex<Vec<Prompt>>,
}

impl FakeModel {
    pub(super) fn push(&self, script: Script) {
        self.scripts.lock().unwrap().push_back(script);
    }

    pub(super) fn prompts(&self) -> Vec<Prompt> {
        self.prompts.lock().unwrap().clone()
    }
}

impl ModelClient for FakeModel {
    fn stream<'a>(
        &'a self,
        prompt: &'a Prompt,
    ) -> BoxFuture<'a, Result<ResponseStream, ModelError>> {
        self.prompts.lock().unwrap().push(prompt.clone());
        let script = self.scripts.lock().unwrap().pop_front();
        Box::pin(async move {
            let steps = match script {
                Some(Script::Stream(steps)) => steps,
                Some(Script::Refuse(error)) => return Err(error),
                None => panic!("the model was asked more than the test scripted"),
            };
            let steps: VecDeque<Step> = steps.into();
            let stream = futures::stream::unfold(steps, |mut steps| async move {
                loop {
                    match steps.pop_front()? {
                        Step::Send(event) => return Some((Ok(event), steps)),
                        Step::Fail(error) => return Some((Err(error), steps)),
                        Step::Wait(notify) => notify.notified().await,
                        Step::Hang => futures::future::pending::<()>().await,
                        Step::Later(rest) => {
                            for step in rest.await.ok()?.into_iter().rev() {
                                steps.push_front(step);
                            }
                        }
                    }
                }
            });
            let stream: ResponseStream = Box::pin(stream);
            Ok(stream)
        })
    }

    fn stream_max_retries(&self) -> u64 {
        2
    }
}

fn usage(input: i64, output: i64) -> TokenUsage {
    TokenUsage {
        input_tokens: input,
        cached_input_tokens: 0,
        output_tokens: output,
        reasoning_output_tokens: 0,
        total_tokens: input + output,
    }
}

fn assistant(text: &str) -> ResponseItem {
    ResponseItem::Message {
        id: Some("msg_1".to_owned()),
        role: "assistant".to_owned(),
        content: vec![ContentItem::OutputText {
            text: text.to_owned(),
        }],
        end_turn: None,
        phase: None,
    }
}

pub(super) fn completed() -> Step {
    Step::Send(ResponseEvent::Completed {
        response_id: "resp_1".to_owned(),
        token_usage: Some(usage(10, 5)),
    })
}

/// A text answer streamed as deltas, then completed.
pub(super) fn text_answer(deltas: &[&str]) -> Vec<Step> {
    let mut steps = vec![
        Step::Send(ResponseEvent::Created),
        Step::Send(ResponseEvent::OutputItemAdded(assistant(""))),
    ];
    steps.extend(
        deltas
            .iter()
            .map(|delta| Step::Send(ResponseEvent::OutputTextDelta((*delta).to_owned()))),
    );
    steps.push(Step::Send(ResponseEvent::OutputItemDone(assistant(
        &deltas.concat(),
    ))));
    steps.push(completed());
    steps
}

pub(super) struct Harness {
    _home: tempfile::TempDir,
    home: std::path::PathBuf,
    pub(super) cwd: tempfile::TempDir,
    pub(super) model: Arc<FakeModel>,
    pub(super) manager: ThreadManager,
    /// The rollouts the manager writes, read back by the tests.
    store: codex_rollout::RolloutStore,
}

fn harness() -> Harness {
    harness_with(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\nsandbox_mode = \"danger-full-access\"\n",
        Arc::new(NoTools),
    )
}

/// A harness whose `config.toml` is `config` and whose threads use `tools`.
pub(super) fn harness_with(config: &str, tools: Arc<dyn ToolRouter>) -> Harness {
    let home_dir = tempfile::tempdir().unwrap();
    let home = home_dir.path().canonicalize().unwrap();
    std::fs::write(home.join("config.toml"), config).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let paths = ConfigPaths {
        codex_home: AbsolutePathBuf::from_absolute_path(&home).unwrap(),
        system_dir: AbsolutePathBuf::from_absolute_path(home.join("no-system")).unwrap(),
    };
    let config = ConfigService::new(paths, SessionFlags::default()).unwrap();
    let model = Arc::new(FakeModel::default());
    let factory_model = model.clone();
    let factory = move |_: &ConfigToml, _: &ThreadSettings| {
        let client: Arc<dyn ModelClient> = factory_model.clone();
        Ok(client)
    };
    let store = codex_rollout::RolloutStore::open(&home).unwrap();
    let manager = ThreadManager::new(ThreadManagerOptions {
        codex_home: home.clone(),
        store: store.clone(),
        config,
        models: Arc::new(factory),
        tools,
        originator: "parity".to_owned(),
        cli_version: "0.101.0".to_owned(),
        source: SessionSource::Vscode,
        mcp: codex_core::McpRuntime::default(),
    });
    Harness {
        _home: home_dir,
        home,
        cwd,
        model,
        manager,
        store,
    }
}

impl Harness {
    pub(super) fn start_params(&self) -> StartThread {
        StartThread {
            cwd: Some(self.cwd.path().canonicalize().unwrap()),
            ..StartThread::default()
        }
    }

    pub(super) async fn start(&self) -> NewThread {
        self.manager
            .start_thread(self.start_params())
            .await
            .unwrap()
    }
}

pub(super) fn text(text: &str) -> Vec<UserInput> {
    vec![UserInput::Text {
        text: text.to_owned(),
        text_elements: Vec::new(),
    }]
}

async fn turn(thread: &CodexThread, input: &str) -> String {
    thread
        .submit(Op::UserTurn {
            input: text(input),
            overrides: TurnOverrides::default(),
            output_schema: None,
        })
        .await
        .unwrap()
}

pub(super) async fn next(events: &mut EventStream) -> Event {
    tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("no event within 10 s")
        .expect("the event stream closed")
}

/// Events until (and with) the end of the current turn, without the thread's MCP startup
/// report (sent once per load, with no turn's id, even when no server is configured).
pub(super) async fn until_turn_end(events: &mut EventStream) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        let event = next(events).await;
        if matches!(
            event.msg,
            EventMsg::McpStartupUpdate(_) | EventMsg::McpStartupComplete(_)
        ) {
            continue;
        }
        let end = matches!(
            event.msg,
            EventMsg::TaskComplete(_) | EventMsg::TurnAborted(_)
        );
        seen.push(event);
        if end {
            return seen;
        }
    }
}

/// The `type` of each event, as written on disk, with the item type for item events.
fn kinds(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|event| {
            let value = serde_json::to_value(&event.msg).unwrap();
            let kind = value["type"].as_str().unwrap().to_owned();
            match &event.msg {
                EventMsg::ItemStarted(_) | EventMsg::ItemCompleted(_) => {
                    format!("{kind}:{}", value["item"]["type"])
                }
                _ => kind,
            }
        })
        .collect()
}

#[tokio::test]
async fn a_text_turn_streams_items_in_the_reference_order() {
    let h = harness();
    h.model.push(Script::Stream(text_answer(&[
        "Hello",
        " from",
        " the mock",
    ])));
    let NewThread { thread, mut events } = h.start().await;
    let turn_id = turn(&thread, "say hello").await;
    let seen = until_turn_end(&mut events).await;
    assert!(seen.iter().all(|event| event.id == turn_id));
    assert_eq!(
        kinds(&seen),
        vec![
            "task_started",
            "item_started:\"UserMessage\"",
            "item_completed:\"UserMessage\"",
            "user_message",
            "item_started:\"AgentMessage\"",
            "agent_message_content_delta",
            "agent_message_delta",
            "agent_message_content_delta",
            "agent_message_delta",
            "agent_message_content_delta",
            "agent_message_delta",
            "item_completed:\"AgentMessage\"",
            "agent_message",
            "token_count",
            "task_complete",
        ]
    );
    let Some(EventMsg::TaskComplete(done)) = seen.last().map(|event| &event.msg) else {
        panic!("no task_complete");
    };
    assert_eq!(
        done.last_agent_message.as_deref(),
        Some("Hello from the mock")
    );
    let Some(EventMsg::TokenCount(count)) = seen.iter().rev().nth(1).map(|event| &event.msg) else {
        panic!("no token_count");
    };
    let info = count.info.clone().unwrap();
    assert_eq!(info.total_token_usage, usage(10, 5));
    assert_eq!(info.model_context_window, Some(258_400));

    // The request: our instructions, the model family's settings, the thread id as cache key,
    // no tools, and the context messages before the prompt.
    let prompts = h.model.prompts();
    assert_eq!(prompts.len(), 1);
    let prompt = &prompts[0];
    assert_eq!(prompt.model, "gpt-5.1-codex");
    assert!(prompt.instructions.starts_with("You are Codex"));
    assert_eq!(prompt.tools, Vec::<Value>::new());
    assert_eq!(prompt.cache_key, Some(thread.id().to_string()));
    assert!(prompt.reasoning.is_some());
    let roles: Vec<String> = prompt
        .input
        .iter()
        .map(|item| match item {
            ResponseItem::Message { role, .. } => role.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    // Permissions; the skills list (the bundled skills, as "AGENTS.md instructions");
    // the environment; the prompt.
    assert_eq!(roles, vec!["developer", "user", "user", "user"]);
}

#[tokio::test]
async fn reasoning_streams_summary_parts_and_deltas() {
    let h = harness();
    let reasoning = |summary: &[&str]| ResponseItem::Reasoning {
        id: "rs_1".to_owned(),
        summary: summary
            .iter()
            .map(|text| ReasoningItemReasoningSummary::SummaryText {
                text: (*text).to_owned(),
            })
            .collect(),
        content: None,
        encrypted_content: None,
    };
    let mut steps = vec![
        Step::Send(ResponseEvent::OutputItemAdded(reasoning(&[]))),
        Step::Send(ResponseEvent::ReasoningSummaryPartAdded { summary_index: 0 }),
        Step::Send(ResponseEvent::ReasoningSummaryDelta {
            delta: "Thinking".to_owned(),
            summary_index: 0,
        }),
        Step::Send(ResponseEvent::OutputItemDone(reasoning(&["Thinking"]))),
    ];
    steps.extend(text_answer(&["Forty-two."]));
    h.model.push(Script::Stream(steps));
    let NewThread { thread, mut events } = h.start().await;
    turn(&thread, "what is the answer?").await;
    let seen = until_turn_end(&mut events).await;
    let kinds = kinds(&seen);
    assert_eq!(
        kinds[4..10].to_vec(),
        vec![
            "item_started:\"Reasoning\"",
            "agent_reasoning_section_break",
            "reasoning_content_delta",
            "agent_reasoning_delta",
            "item_completed:\"Reasoning\"",
            "agent_reasoning",
        ]
    );
    let completed = seen.iter().find_map(|event| match &event.msg {
        EventMsg::ItemCompleted(done) => match &done.item {
            codex_protocol::items::TurnItem::Reasoning(item) => Some(item.clone()),
            _ => None,
        },
        _ => None,
    });
    assert_eq!(
        completed.map(|item| (item.id, item.summary_text)),
        Some(("rs_1".to_owned(), vec!["Thinking".to_owned()]))
    );
}

#[tokio::test]
async fn interrupt_stops_a_hanging_stream_at_once() {
    let h = harness();
    h.model.push(Script::Stream(vec![
        Step::Send(ResponseEvent::OutputItemAdded(assistant(""))),
        Step::Send(ResponseEvent::OutputTextDelta("Starting".to_owned())),
        Step::Send(ResponseEvent::OutputItemDone(assistant("Starting"))),
        Step::Hang,
    ]));
    let NewThread { thread, mut events } = h.start().await;
    let turn_id = turn(&thread, "long answer please").await;
    loop {
        if matches!(next(&mut events).await.msg, EventMsg::AgentMessage(_)) {
            break;
        }
    }
    let interrupted = tokio::time::timeout(Duration::from_secs(5), thread.submit(Op::Interrupt))
        .await
        .expect("interrupt did not return")
        .unwrap();
    assert_eq!(interrupted, turn_id);
    let seen = until_turn_end(&mut events).await;
    let Some(EventMsg::TurnAborted(aborted)) = seen.last().map(|event| &event.msg) else {
        panic!("no turn_aborted: {seen:?}");
    };
    assert_eq!(aborted.reason, TurnAbortReason::Interrupted);
    assert_eq!(aborted.turn_id.as_deref(), Some(turn_id.as_str()));
    assert_eq!(thread.active_turn_id(), None);
    assert!(matches!(
        thread.submit(Op::Interrupt).await,
        Err(ThreadError::NoActiveTurn)
    ));

    thread.flush().await;
    let lines = rollout_lines(&thread.rollout_path().unwrap());
    let tail: Vec<String> = lines.iter().rev().take(2).map(line_kind).collect();
    assert_eq!(
        tail,
        vec!["event_msg:turn_aborted", "response_item:message"]
    );
    let notice = &lines[lines.len() - 2]["payload"]["content"][0]["text"];
    assert!(notice.as_str().unwrap().starts_with("<turn_aborted>"));
}

#[tokio::test]
async fn steer_adds_input_to_the_running_turn() {
    let h = harness();
    let gate = Arc::new(Notify::new());
    h.model.push(Script::Stream(vec![
        Step::Send(ResponseEvent::OutputItemAdded(assistant(""))),
        Step::Send(ResponseEvent::OutputTextDelta("Working".to_owned())),
        Step::Wait(gate.clone()),
        Step::Send(ResponseEvent::OutputItemDone(assistant("Working"))),
        completed(),
    ]));
    h.model
        .push(Script::Stream(text_answer(&["Done with both"])));
    let NewThread { thread, mut events } = h.start().await;

    let no_turn = thread
        .submit(Op::Steer {
            input: text("too early"),
            expected_turn_id: None,
        })
        .await;
    assert_eq!(
        no_turn.map_err(|err| err.to_string()),
        Err("no active turn to steer".to_owned())
    );

    let turn_id = turn(&thread, "first").await;
    loop {
        if matches!(next(&mut events).await.msg, EventMsg::AgentMessageDelta(_)) {
            break;
        }
    }
    let steered = thread
        .submit(Op::Steer {
            input: text("and also this"),
            expected_turn_id: Some(turn_id.clone()),
        })
        .await
        .unwrap();
    assert_eq!(steered, turn_id);
    gate.notify_one();
    let seen = until_turn_end(&mut events).await;
    let user_messages: Vec<String> = seen
        .iter()
        .filter_map(|event| match &event.msg {
            EventMsg::UserMessage(message) => Some(message.message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(user_messages, vec!["and also this"]);
    let prompts = h.model.prompts();
    assert_eq!(prompts.len(), 2);
    let last_input = prompts[1].input.last().unwrap();
    assert_eq!(
        last_input,
        &ResponseItem::Message {
            id: None,
            role: "user".to_owned(),
            content: vec![ContentItem::InputText {
                text: "and also this".to_owned()
            }],
            end_turn: None,
            phase: None,
        }
    );
}

#[tokio::test]
async fn a_model_error_fails_the_turn() {
    let h = harness();
    h.model.push(Script::Refuse(ModelError {
        message: "We're currently experiencing high demand, which may cause temporary errors."
            .to_owned(),
        info: CodexErrorInfo::InternalServerError,
        retryable: false,
    }));
    let NewThread { thread, mut events } = h.start().await;
    turn(&thread, "trigger an error").await;
    let seen = until_turn_end(&mut events).await;
    assert_eq!(
        kinds(&seen),
        vec![
            "task_started",
            "item_started:\"UserMessage\"",
            "item_completed:\"UserMessage\"",
            "user_message",
            "error",
            "task_complete",
        ]
    );
    let EventMsg::Error(error) = &seen[4].msg else {
        panic!("no error");
    };
    assert_eq!(
        error.codex_error_info,
        Some(CodexErrorInfo::InternalServerError)
    );
}

#[tokio::test]
async fn a_cut_stream_is_resent() {
    let h = harness();
    h.model.push(Script::Stream(vec![
        Step::Send(ResponseEvent::Created),
        Step::Send(ResponseEvent::OutputItemAdded(assistant(""))),
        Step::Send(ResponseEvent::OutputTextDelta("Hel".to_owned())),
    ]));
    h.model.push(Script::Stream(vec![Step::Fail(ModelError {
        message: "connection reset".to_owned(),
        info: CodexErrorInfo::ResponseStreamDisconnected {
            http_status_code: None,
        },
        retryable: true,
    })]));
    h.model.push(Script::Stream(text_answer(&["Hello"])));
    let NewThread { thread, mut events } = h.start().await;
    turn(&thread, "hi").await;
    let seen = until_turn_end(&mut events).await;
    let retries: Vec<String> = seen
        .iter()
        .filter_map(|event| match &event.msg {
            EventMsg::StreamError(error) => Some(error.message.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(retries, vec!["Reconnecting... 1/2", "Reconnecting... 2/2"]);
    assert!(matches!(
        seen.last().map(|event| &event.msg),
        Some(EventMsg::TaskComplete(done)) if done.last_agent_message.as_deref() == Some("Hello")
    ));
    assert_eq!(h.model.prompts().len(), 3);

    // Every agent message that started also completed: the cut one with what it had.
    let agent_items = |completed: bool| -> Vec<(String, String)> {
        seen.iter()
            .filter_map(|event| match (&event.msg, completed) {
                (EventMsg::ItemStarted(started), false) => Some(&started.item),
                (EventMsg::ItemCompleted(done), true) => Some(&done.item),
                _ => None,
            })
            .filter_map(|item| match item {
                TurnItem::AgentMessage(message) => Some((
                    message.id.clone(),
                    message
                        .content
                        .iter()
                        .map(|AgentMessageContent::Text { text }| text.as_str())
                        .collect(),
                )),
                _ => None,
            })
            .collect()
    };
    let started: Vec<String> = agent_items(false).into_iter().map(|(id, _)| id).collect();
    let completed = agent_items(true);
    assert_eq!(
        completed
            .iter()
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>(),
        started
    );
    let texts: Vec<&str> = completed.iter().map(|(_, text)| text.as_str()).collect();
    assert_eq!(texts, ["Hel", "Hello"]);
    // The history keeps only the whole answer.
    let agent_events = seen
        .iter()
        .filter(|event| matches!(event.msg, EventMsg::AgentMessage(_)))
        .count();
    assert_eq!(agent_events, 1);
}

fn rollout_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

fn line_kind(line: &Value) -> String {
    let kind = line["type"].as_str().unwrap_or_default();
    match line["payload"]["type"].as_str() {
        Some(sub) if kind != "session_meta" => format!("{kind}:{sub}"),
        _ => kind.to_owned(),
    }
}

fn key_set(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

#[tokio::test]
async fn the_rollout_has_the_reference_lines() {
    let h = harness();
    h.model
        .push(Script::Stream(text_answer(&["Hello from the mock model"])));
    // The reference's sample has a user-instructions message (its skills list); ours comes
    // from an AGENTS.md.
    std::fs::write(h.cwd.path().join("AGENTS.md"), "be kind").unwrap();
    let NewThread { thread, mut events } = h.start().await;
    let path = thread.rollout_path().unwrap();
    assert!(path.starts_with(h.home.join("sessions")));
    turn(&thread, "say hello").await;
    until_turn_end(&mut events).await;
    thread.flush().await;

    let ours = rollout_lines(&path);
    let sample = codex_test_support::reference_dir().join("rollouts/text-turn.jsonl");
    let reference = rollout_lines(&sample);
    // The reference sends a rate-limit token count before the answer; our fake model sends
    // no rate limits, so that line is absent here.
    let without_rate_limits = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .filter(|line| {
                !(line_kind(line) == "event_msg:token_count" && line["payload"]["info"].is_null())
            })
            .map(line_kind)
            .collect()
    };
    assert_eq!(without_rate_limits(&ours), without_rate_limits(&reference));
    for (mine, theirs) in ours.iter().zip(reference.iter()) {
        if line_kind(mine) != line_kind(theirs) {
            continue;
        }
        assert_eq!(key_set(mine), key_set(theirs));
        let (mine, theirs) = (&mine["payload"], &theirs["payload"]);
        if line_kind(&json_line(mine)) == "session_meta" {
            continue;
        }
        let mut mine_keys = key_set(mine);
        let mut their_keys = key_set(theirs);
        // The reference's personality setting is not modelled yet.
        their_keys.retain(|key| key != "personality");
        mine_keys.retain(|key| key != "personality");
        assert_eq!(mine_keys, their_keys, "payload keys of {mine}");
    }
    let meta_keys = key_set(&ours[0]["payload"]);
    assert_eq!(
        meta_keys,
        vec![
            "base_instructions",
            "cli_version",
            "cwd",
            "id",
            "model_provider",
            "originator",
            "source",
            "timestamp",
        ]
    );
}

fn json_line(payload: &Value) -> Value {
    serde_json::json!({"type": "x", "payload": payload})
}

fn user_texts(history: &[ResponseItem]) -> Vec<String> {
    history
        .iter()
        .filter_map(|item| match item {
            ResponseItem::Message { role, content, .. } => match content.first() {
                Some(ContentItem::InputText { text } | ContentItem::OutputText { text })
                    if !text.starts_with('<') && !text.starts_with('#') =>
                {
                    Some(format!("{role}: {text}"))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn resume_after_a_crash_continues_the_history() {
    let h = harness();
    h.model.push(Script::Stream(text_answer(&["one reply"])));
    let NewThread { thread, mut events } = h.start().await;
    let id = thread.id();
    turn(&thread, "one").await;
    until_turn_end(&mut events).await;
    thread.flush().await;
    let path = thread.rollout_path().unwrap();
    h.manager.unload(id).await.unwrap();
    // A crash mid-write leaves a torn last line.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(br#"{"timestamp":"2026-01-01T00:00:00.000Z","type":"respo"#);
    std::fs::write(&path, bytes).unwrap();

    h.model.push(Script::Stream(text_answer(&["two reply"])));
    let NewThread { thread, mut events } = h
        .manager
        .resume_thread(id, StartThread::default())
        .await
        .unwrap();
    assert_eq!(
        user_texts(&thread.history().unwrap()),
        vec!["user: one", "assistant: one reply"]
    );
    assert_eq!(thread.settings().cwd, h.cwd.path().canonicalize().unwrap());
    turn(&thread, "two").await;
    until_turn_end(&mut events).await;
    let prompts = h.model.prompts();
    assert_eq!(
        user_texts(&prompts[1].input),
        vec!["user: one", "assistant: one reply", "user: two"]
    );
    thread.flush().await;
    let rollout = h.store.read(id).unwrap();
    assert_eq!(rollout.skipped, 1);
    assert_eq!(thread.rollout_path(), Some(path));

    let missing = codex_protocol::ThreadId::new();
    let error = h
        .manager
        .resume_thread(missing, StartThread::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("no rollout found for thread id {missing}")
    );
}

#[tokio::test]
async fn fork_copies_the_history_into_a_new_thread() {
    let h = harness();
    h.model.push(Script::Stream(text_answer(&["one reply"])));
    let NewThread { thread, mut events } = h.start().await;
    turn(&thread, "one").await;
    until_turn_end(&mut events).await;

    let NewThread { thread: fork, .. } = h
        .manager
        .fork_thread(thread.id(), StartThread::default())
        .await
        .unwrap();
    assert_ne!(fork.id(), thread.id());
    // The copied history, then the context again (permissions, instructions, environment).
    // The copy is read from the rollout, as the reference forks, so it is what the model was
    // sent (item ids are never sent, nor written).
    let original_history = thread.history().unwrap();
    let fork_history = fork.history().unwrap();
    let sent =
        |items: &[codex_protocol::models::ResponseItem]| serde_json::to_value(items).unwrap();
    assert_eq!(
        sent(&fork_history[..original_history.len()]),
        sent(&original_history)
    );
    assert_eq!(fork_history.len(), original_history.len() + 3);
    fork.flush().await;
    let copy = h.store.read(fork.id()).unwrap();
    let original = h.store.read(thread.id()).unwrap();
    assert_eq!(copy.lines.len(), original.lines.len() + 3);
    let mut loaded = h.manager.loaded();
    loaded.sort();
    let mut expected = vec![thread.id(), fork.id()];
    expected.sort();
    assert_eq!(loaded, expected);
}

#[tokio::test]
async fn rollback_drops_turns_now_and_after_resume() {
    let h = harness();
    h.model.push(Script::Stream(text_answer(&["one reply"])));
    h.model.push(Script::Stream(text_answer(&["two reply"])));
    let NewThread { thread, mut events } = h.start().await;
    turn(&thread, "one").await;
    until_turn_end(&mut events).await;
    turn(&thread, "two").await;
    until_turn_end(&mut events).await;

    assert!(matches!(
        thread.submit(Op::Rollback { num_turns: 0 }).await,
        Err(ThreadError::InvalidRollback)
    ));
    thread.submit(Op::Rollback { num_turns: 1 }).await.unwrap();
    // First how full the context now is (an estimate, as the last usage), then the rollback.
    assert!(matches!(
        next(&mut events).await.msg,
        EventMsg::TokenCount(ref count) if count
            .info
            .as_ref()
            .is_some_and(|info| info.last_token_usage.total_tokens > 0)
    ));
    assert!(matches!(
        next(&mut events).await.msg,
        EventMsg::ThreadRolledBack(ref rolled) if rolled.num_turns == 1
    ));
    let expected = vec!["user: one", "assistant: one reply"];
    assert_eq!(user_texts(&thread.history().unwrap()), expected);

    let id = thread.id();
    h.manager.unload(id).await.unwrap();
    let NewThread { thread, .. } = h
        .manager
        .resume_thread(id, StartThread::default())
        .await
        .unwrap();
    assert_eq!(user_texts(&thread.history().unwrap()), expected);
}

#[tokio::test]
async fn compact_replaces_the_history_with_a_summary() {
    let h = harness();
    h.model
        .push(Script::Stream(text_answer(&["long history reply"])));
    h.model.push(Script::Stream(vec![
        Step::Send(ResponseEvent::OutputItemDone(assistant(
            "SUMMARY: user said hello",
        ))),
        completed(),
    ]));
    let NewThread { thread, mut events } = h.start().await;
    turn(&thread, "hello").await;
    until_turn_end(&mut events).await;
    thread.submit(Op::Compact).await.unwrap();
    let seen = until_turn_end(&mut events).await;
    assert_eq!(
        kinds(&seen),
        vec![
            "task_started",
            "item_started:\"ContextCompaction\"",
            "token_count",
            // The estimate of the compacted context.
            "token_count",
            "item_completed:\"ContextCompaction\"",
            "context_compacted",
            "task_complete",
        ]
    );
    let history = thread.history().unwrap();
    let last = user_texts(&history);
    assert_eq!(last.first().map(String::as_str), Some("user: hello"));
    let summary = last.last().unwrap();
    assert!(summary.ends_with("SUMMARY: user said hello"), "{summary}");
    assert!(!last.iter().any(|text| text.starts_with("assistant")));

    thread.flush().await;
    let id = thread.id();
    h.manager.unload(id).await.unwrap();
    let NewThread {
        thread: resumed, ..
    } = h
        .manager
        .resume_thread(id, StartThread::default())
        .await
        .unwrap();
    // The history as it was, then the context again.
    assert_eq!(resumed.history().unwrap()[..history.len()], history[..]);
    let kinds_on_disk: Vec<String> = rollout_lines(&resumed.rollout_path().unwrap())
        .iter()
        .map(line_kind)
        .filter(|kind| kind == "compacted" || kind == "event_msg:context_compacted")
        .collect();
    assert_eq!(
        kinds_on_disk,
        vec!["compacted", "event_msg:context_compacted"]
    );
}

#[tokio::test]
async fn ephemeral_threads_write_nothing() {
    let h = harness();
    h.model.push(Script::Stream(text_answer(&["hi"])));
    let NewThread { thread, mut events } = h
        .manager
        .start_thread(StartThread {
            ephemeral: true,
            ..h.start_params()
        })
        .await
        .unwrap();
    turn(&thread, "hello").await;
    until_turn_end(&mut events).await;
    thread.flush().await;
    assert_eq!(thread.rollout_path(), None);
    assert!(!h.home.join("sessions").exists());
    assert!(!thread.recorded_items().is_empty());
}

#[tokio::test]
async fn start_overrides_and_agents_md_reach_the_model() {
    let h = harness();
    let cwd = h.cwd.path().canonicalize().unwrap();
    std::fs::create_dir(cwd.join(".git")).unwrap();
    std::fs::write(cwd.join("AGENTS.md"), "root rules").unwrap();
    let sub = cwd.join("crates/app");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(cwd.join("crates/AGENTS.md"), "crate rules").unwrap();
    std::fs::write(sub.join("AGENTS.md"), "shared app rules").unwrap();
    std::fs::write(sub.join("AGENTS.override.md"), "local app rules").unwrap();
    h.model.push(Script::Stream(text_answer(&["ok"])));
    let NewThread { thread, mut events } = h
        .manager
        .start_thread(StartThread {
            cwd: Some(sub.clone()),
            model: Some("my-local-model".to_owned()),
            approval_policy: Some(AskForApproval::OnRequest),
            sandbox: Some(SandboxMode::ReadOnly),
            developer_instructions: Some("be brief".to_owned()),
            base_instructions: Some("custom base".to_owned()),
            ..StartThread::default()
        })
        .await
        .unwrap();
    let settings = thread.settings();
    let user_instructions = settings.user_instructions.as_deref().unwrap();
    assert!(
        user_instructions
            .starts_with("root rules\n\ncrate rules\n\nlocal app rules\n\n## Skills\n"),
        "{user_instructions}"
    );
    turn(&thread, "go").await;
    until_turn_end(&mut events).await;
    let prompt = h.model.prompts().remove(0);
    assert_eq!(prompt.model, "my-local-model");
    assert_eq!(prompt.instructions, "custom base");
    assert_eq!(prompt.reasoning, None);
    let texts: Vec<String> = prompt
        .input
        .iter()
        .filter_map(|item| match item {
            ResponseItem::Message { role, content, .. } => match content.first() {
                Some(ContentItem::InputText { text }) => Some(format!("{role}: {text}")),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert!(texts[0].starts_with("developer: <permissions instructions>"));
    assert!(texts[0].contains("read-only"));
    assert_eq!(texts[1], "developer: be brief");
    assert!(texts[2].starts_with(&format!(
        "user: # AGENTS.md instructions for {}",
        sub.display()
    )));
    assert!(texts[3].starts_with("user: <environment_context>"));
    assert_eq!(texts[4], "user: go");
}
