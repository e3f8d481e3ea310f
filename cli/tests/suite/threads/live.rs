//! Running threads: thread/start, turns against the mock model, interrupts, model errors,
//! resume after a crash, fork, rollback, compaction, ephemeral threads and the loaded list.

use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// A CODEX_HOME whose config points the model at a mock, and the mock.
pub(crate) struct Live {
    pub(crate) folders: Folders,
    pub(crate) model: MockModelServer,
    pub(crate) work: String,
}

/// The `[model_providers.mock]` settings a test may change.
pub(crate) struct Provider<'a> {
    /// Where the model is; the mock's `base_url()` unless a test wants a dead address.
    pub(crate) base_url: &'a str,
    /// `responses` or `chat`.
    pub(crate) wire_api: &'a str,
    pub(crate) request_max_retries: u32,
    pub(crate) stream_max_retries: u32,
}

impl Live {
    /// The mock provider speaking the Responses API, with no retries.
    pub(crate) async fn new() -> Self {
        let model = MockModelServer::start().await.expect("the mock starts");
        let folders = Folders::new();
        let work = folders.home().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let live = Self {
            folders,
            model,
            work: work.display().to_string(),
        };
        live.configure(&Provider {
            base_url: &live.model.base_url(),
            wire_api: "responses",
            request_max_retries: 0,
            stream_max_retries: 0,
        });
        live
    }

    /// Rewrites config.toml with the mock provider set up as `provider` says.
    pub(crate) fn configure(&self, provider: &Provider<'_>) {
        let Provider {
            base_url,
            wire_api,
            request_max_retries,
            stream_max_retries,
        } = provider;
        self.folders.write_user_config(&format!(
            "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
             sandbox_mode = \"danger-full-access\"\n\n[model_providers.mock]\nname = \"mock\"\n\
             base_url = \"{base_url}\"\nwire_api = \"{wire_api}\"\n\
             request_max_retries = {request_max_retries}\nstream_max_retries = {stream_max_retries}\n",
        ));
    }

    /// A server on this home and its client, initialized without opting out of anything.
    pub(crate) async fn serve(&self) -> (Server, Client) {
        self.serve_with(&[]).await
    }

    /// [`Live::serve`] with `extra` variables in the server's environment.
    pub(crate) async fn serve_with(&self, extra: &[(&str, &str)]) -> (Server, Client) {
        self.serve_initialized(
            extra,
            json!({"clientInfo": {"name": "live", "version": "1"}}),
        )
        .await
    }

    /// [`Live::serve`] for a client of the experimental API.
    pub(crate) async fn serve_experimental(&self) -> (Server, Client) {
        let params = json!({
            "clientInfo": {"name": "live", "version": "1"},
            "capabilities": {"experimentalApi": true},
        });
        self.serve_initialized(&[], params).await
    }

    async fn serve_initialized(&self, extra: &[(&str, &str)], params: Value) -> (Server, Client) {
        let env = self.folders.env();
        let mut env: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.extend_from_slice(extra);
        let (server, mut client) = Server::stdio(&env);
        let answer = client
            .request(&json!({"id": 0, "method": "initialize", "params": params}))
            .await;
        assert!(answer.get("result").is_some(), "{}", client.report());
        client.send(&json!({"method": "initialized"})).await;
        (server, client)
    }

    /// Starts a thread and returns its `thread/start` result once its MCP servers have
    /// settled: every thread reports `codex/event/mcp_startup_complete` after
    /// `thread/started`, servers or not, as the reference does, and the notifications before it
    /// are skipped.
    pub(crate) async fn start_thread(&self, client: &mut Client, id: u64, extra: Value) -> Value {
        let result = self.start_thread_early(client, id, extra).await;
        until_notification(client, |message| {
            message["method"] == "codex/event/mcp_startup_complete"
        })
        .await;
        result
    }

    /// Starts a thread and returns its `thread/start` result as soon as it is announced, before
    /// its MCP startup events.
    pub(crate) async fn start_thread_early(
        &self,
        client: &mut Client,
        id: u64,
        extra: Value,
    ) -> Value {
        let mut params = json!({"cwd": self.work});
        if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
            params.extend(extra.clone());
        }
        let answer = client
            .request(&json!({"id": id, "method": "thread/start", "params": params}))
            .await;
        let result = answer["result"].clone();
        assert!(result.is_object(), "{answer}\n{}", client.report());
        let started = next_notification(client).await;
        assert_eq!(started["method"], "thread/started", "{}", client.report());
        assert_eq!(started["params"]["thread"], result["thread"]);
        result
    }
}

pub(crate) async fn next_notification(client: &mut Client) -> Value {
    loop {
        let message = client.next().await;
        if message.get("method").is_some() && message.get("id").is_none() {
            return message;
        }
    }
}

/// The next notification that is not of the legacy `codex/event/*` stream, which every
/// follower of a thread also gets (threads::v1 and `v2_followers_hear_the_legacy_stream_too`
/// check it).
pub(crate) async fn next_v2_notification(client: &mut Client) -> Value {
    loop {
        let message = next_notification(client).await;
        let legacy = message["method"]
            .as_str()
            .is_some_and(|method| method.starts_with("codex/event/"));
        if !legacy {
            return message;
        }
    }
}

/// Starts a turn with `text`; returns its id and the notifications up to `turn/completed`.
pub(crate) async fn turn(
    client: &mut Client,
    id: u64,
    thread: &str,
    text: &str,
) -> (String, Vec<Value>) {
    let turn_id = start_turn(client, id, thread, text).await;
    (turn_id, until_turn_completed(client).await)
}

/// Starts a turn with `text` and returns its id once it is accepted, without waiting for it.
pub(crate) async fn start_turn(client: &mut Client, id: u64, thread: &str, text: &str) -> String {
    let answer = client
        .request(&json!({"id": id, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": text}],
        }}))
        .await;
    let turn = &answer["result"]["turn"];
    assert_eq!(turn["status"], "inProgress", "{}", client.report());
    assert_eq!(turn["items"], json!([]));
    turn["id"].as_str().unwrap().to_owned()
}

/// Every notification up to `turn/completed`, the legacy `codex/event/*` stream included.
pub(crate) async fn all_until_turn_completed(client: &mut Client) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = next_notification(client).await;
        let done = message["method"] == "turn/completed";
        seen.push(message);
        if done {
            return seen;
        }
    }
}

/// The notifications up to `turn/completed`, without the legacy stream.
pub(crate) async fn until_turn_completed(client: &mut Client) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let message = next_v2_notification(client).await;
        let done = message["method"] == "turn/completed";
        seen.push(message);
        if done {
            return seen;
        }
    }
}

/// Skips notifications up to the first that `wanted` picks, and returns it.
pub(crate) async fn until_notification(
    client: &mut Client,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    loop {
        let message = next_notification(client).await;
        if wanted(&message) {
            return message;
        }
    }
}

/// Interrupts the running turn `turn_id` and returns the notifications up to its
/// `turn/completed`, which says it was interrupted.
pub(crate) async fn interrupt(
    client: &mut Client,
    id: u64,
    thread: &str,
    turn_id: &str,
) -> Vec<Value> {
    client
        .check(
            json!({"id": id, "method": "turn/interrupt", "params": {"threadId": thread, "turnId": turn_id}}),
            json!({"id": id, "result": {}}),
        )
        .await;
    let seen = until_turn_completed(client).await;
    assert_eq!(
        seen[seen.len() - 1]["params"]["turn"],
        json!({"id": turn_id, "items": [], "status": "interrupted", "error": null}),
        "{}",
        client.report()
    );
    seen
}

pub(crate) fn methods(notifications: &[Value]) -> Vec<&str> {
    notifications
        .iter()
        .map(|message| message["method"].as_str().unwrap())
        .collect()
}

pub(crate) fn thread_id(result: &Value) -> String {
    result["thread"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_thread_with_no_model_configured_gets_the_listed_default() {
    let live = Live::new().await;
    let config = live.folders.read_user_config();
    let without_model: String = config
        .lines()
        .filter(|line| !line.starts_with("model ="))
        .map(|line| format!("{line}\n"))
        .collect();
    live.folders.write_user_config(&without_model);
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    let listed = client
        .request(&json!({"id": 2, "method": "model/list", "params": {}}))
        .await;
    let default = listed["result"]["data"]
        .as_array()
        .and_then(|models| models.iter().find(|model| model["isDefault"] == true))
        .map(|model| model["model"].clone());
    assert_eq!(Some(started["model"].clone()), default);
    assert_eq!(started["model"], "gpt-5.2-codex");
}

#[tokio::test]
async fn a_text_turn_streams_its_items_in_order() {
    let live = Live::new().await;
    live.model.enqueue(Reply::sse(sse::text_turn(
        "resp-1",
        "Hello from the mock model",
    )));
    let (_server, mut client) = live.serve().await;
    let started = live.start_thread(&mut client, 1, json!({})).await;
    assert_eq!(started["model"], "gpt-5.1-codex");
    assert_eq!(started["modelProvider"], "mock");
    assert_eq!(started["approvalPolicy"], "never");
    assert_eq!(started["sandbox"], json!({"type": "dangerFullAccess"}));
    assert_eq!(started["reasoningEffort"], Value::Null);
    assert_eq!(started["cwd"], live.work.as_str());
    assert_eq!(started["thread"]["source"], "vscode");
    assert!(
        started["thread"]["path"]
            .as_str()
            .is_some_and(|path| path.contains("/sessions/")),
        "{started}"
    );
    let thread = thread_id(&started);

    let (turn_id, seen) = turn(&mut client, 2, &thread, "say hello").await;
    let mut expected = vec![
        "turn/started",
        "item/started",
        "item/completed",
        "account/rateLimits/updated",
        "item/started",
    ];
    let deltas = seen
        .iter()
        .filter(|message| message["method"] == "item/agentMessage/delta")
        .count();
    assert!(deltas > 0, "{}", client.report());
    expected.extend(std::iter::repeat_n("item/agentMessage/delta", deltas));
    expected.extend([
        "item/completed",
        "thread/tokenUsage/updated",
        "account/rateLimits/updated",
        "turn/completed",
    ]);
    assert_eq!(methods(&seen), expected, "{}", client.report());
    let user = &seen[1]["params"];
    assert_eq!(user["item"]["type"], "userMessage");
    assert_eq!(user["item"]["content"][0]["text"], "say hello");
    assert_eq!(user["turnId"], turn_id.as_str());
    let text: String = seen
        .iter()
        .filter(|message| message["method"] == "item/agentMessage/delta")
        .map(|message| message["params"]["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "Hello from the mock model");
    let agent = &seen[seen.len() - 4]["params"]["item"];
    assert_eq!(agent["type"], "agentMessage");
    assert_eq!(agent["text"], "Hello from the mock model");
    let completed = &seen[seen.len() - 1]["params"];
    assert_eq!(
        completed["turn"],
        json!({"id": turn_id, "items": [], "status": "completed", "error": null})
    );

    // The rollout names the client that started the thread, as the reference's do.
    let path = started["thread"]["path"].as_str().unwrap().to_owned();
    let mut meta = Value::Null;
    for _ in 0..100 {
        if let Some(line) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| text.lines().next().map(str::to_owned))
        {
            meta = serde_json::from_str(&line).unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(meta["payload"]["originator"], "live", "{meta}");
    assert_eq!(live.model.requests().len(), 1);
}

#[tokio::test]
async fn a_model_error_fails_the_turn() {
    let live = Live::new().await;
    live.model.enqueue(Reply::status(500));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let (turn_id, seen) = turn(&mut client, 2, &thread, "trigger an error").await;
    let error = seen
        .iter()
        .find(|message| message["method"] == "error")
        .unwrap_or_else(|| panic!("no error notification\n{}", client.report()));
    assert_eq!(error["params"]["willRetry"], false);
    assert_eq!(
        error["params"]["error"]["codexErrorInfo"],
        "internalServerError"
    );
    let completed = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed["id"], turn_id.as_str());
    assert_eq!(completed["status"], "failed");
    assert_eq!(completed["error"], error["params"]["error"]);
}

#[tokio::test]
async fn an_interrupt_stops_a_hanging_stream() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "Starting the long answer")).hang_after(3));
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let turn_id = start_turn(&mut client, 2, &thread, "long answer please").await;
    // Wait until the stream is under way.
    until_notification(&mut client, |message| {
        message["method"] == "item/agentMessage/delta"
    })
    .await;
    interrupt(&mut client, 3, &thread, &turn_id).await;
    // Nothing runs now: unlike the reference, which never answers, we say so.
    let again = client
        .request(&json!({"id": 4, "method": "turn/interrupt", "params": {"threadId": thread, "turnId": turn_id}}))
        .await;
    assert_eq!(again["error"]["message"], "no active turn to interrupt");
}

#[tokio::test]
async fn ephemeral_threads_are_loaded_but_never_listed() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "ephemeral reply")));
    let (_server, mut client) = live.serve().await;
    client
        .check(
            json!({"id": 1, "method": "thread/loaded/list", "params": {}}),
            json!({"id": 1, "result": {"data": [], "nextCursor": null}}),
        )
        .await;
    let started = live
        .start_thread(&mut client, 2, json!({"ephemeral": true}))
        .await;
    assert_eq!(started["thread"]["path"], Value::Null);
    let thread = thread_id(&started);
    turn(&mut client, 3, &thread, "ephemeral turn").await;
    client
        .check(
            json!({"id": 4, "method": "thread/loaded/list", "params": {}}),
            json!({"id": 4, "result": {"data": [thread], "nextCursor": null}}),
        )
        .await;
    let listed = client
        .request(&json!({"id": 5, "method": "thread/list", "params": {}}))
        .await;
    assert_eq!(listed["result"]["data"], json!([]), "{}", client.report());
    let read = client
        .request(&json!({"id": 6, "method": "thread/read", "params": {"threadId": thread, "includeTurns": true}}))
        .await;
    let turns = &read["result"]["thread"]["turns"];
    assert_eq!(turns[0]["items"][1]["text"], "ephemeral reply", "{read}");
    assert!(
        !live.folders.home().join("sessions").exists(),
        "an ephemeral thread wrote a rollout"
    );
}

#[tokio::test]
async fn unknown_threads_are_refused_in_the_reference_words() {
    let live = Live::new().await;
    let (_server, mut client) = live.serve().await;
    let id = "01a20b3d-99df-7283-adbf-ba337026147a";
    let refused = |id_: u64, message: String| json!({"id": id_, "error": {"code": -32600, "message": message}});
    client
        .check(
            json!({"id": 1, "method": "turn/start", "params": {"threadId": id, "input": [{"type": "text", "text": "hi"}]}}),
            refused(1, format!("thread not found: {id}")),
        )
        .await;
    client
        .check(
            json!({"id": 2, "method": "thread/resume", "params": {"threadId": id}}),
            refused(2, format!("no rollout found for thread id {id}")),
        )
        .await;
}

#[tokio::test]
async fn rollback_drops_turns_and_fork_copies_them() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", "second reply")),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    turn(&mut client, 2, &thread, "first").await;
    turn(&mut client, 3, &thread, "second").await;
    client
        .check(
            json!({"id": 4, "method": "thread/rollback", "params": {"threadId": thread, "numTurns": 0}}),
            json!({"id": 4, "error": {"code": -32600, "message": "numTurns must be >= 1"}}),
        )
        .await;
    let rolled = client
        .request(&json!({"id": 5, "method": "thread/rollback", "params": {"threadId": thread, "numTurns": 1}}))
        .await;
    let turns = rolled["result"]["thread"]["turns"].as_array().unwrap();
    assert_eq!(turns.len(), 1, "{rolled}");
    assert_eq!(turns[0]["items"][1]["text"], "first reply");

    let forked = client
        .request(&json!({"id": 6, "method": "thread/fork", "params": {"threadId": thread}}))
        .await;
    let fork = &forked["result"]["thread"];
    assert_ne!(fork["id"], thread.as_str());
    assert_eq!(fork["preview"], "first");
    assert_eq!(fork["turns"].as_array().map(Vec::len), Some(1), "{forked}");
    let started =
        until_notification(&mut client, |message| message["method"] == "thread/started").await;
    assert_eq!(started["params"]["thread"], *fork);
}

#[tokio::test]
async fn v2_followers_hear_the_legacy_stream_too_unless_they_opt_out() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", "second reply")),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    start_turn(&mut client, 2, &thread, "hello").await;
    let seen = all_until_turn_completed(&mut client).await;
    let legacy: Vec<&Value> = seen
        .iter()
        .filter(|message| message["method"] == "codex/event/task_started")
        .collect();
    assert_eq!(legacy.len(), 1, "{}", client.report());
    assert_eq!(legacy[0]["params"]["conversationId"], thread.as_str());
    assert_eq!(legacy[0]["params"]["msg"]["type"], "task_started");
    assert!(
        seen.iter()
            .any(|message| message["method"] == "codex/event/agent_message"),
        "{}",
        client.report()
    );

    // A client that opted out of a legacy method at initialize does not get it.
    let env = live.folders.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (_quiet_server, mut quiet) = Server::stdio(&env);
    quiet
        .request(&json!({"id": 0, "method": "initialize", "params": {
            "clientInfo": {"name": "quiet", "version": "1"},
            "capabilities": {"optOutNotificationMethods": ["codex/event/task_started"]},
        }}))
        .await;
    quiet.send(&json!({"method": "initialized"})).await;
    let resumed = quiet
        .request(&json!({"id": 1, "method": "thread/resume", "params": {"threadId": thread}}))
        .await;
    assert!(resumed.get("result").is_some(), "{}", quiet.report());
    start_turn(&mut quiet, 2, &thread, "again").await;
    let methods: Vec<String> = all_until_turn_completed(&mut quiet)
        .await
        .iter()
        .map(|message| message["method"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        !methods.iter().any(|m| m == "codex/event/task_started"),
        "{methods:?}"
    );
    assert!(
        methods.iter().any(|m| m == "codex/event/agent_message"),
        "{methods:?}"
    );
}

#[tokio::test]
async fn an_output_schema_shapes_its_turn_only() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "{\"answer\": 42}")),
        Reply::sse(sse::text_turn("resp-2", "free text")),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    let schema = json!({
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": false,
    });
    let answer = client
        .request(&json!({"id": 2, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "the answer?"}],
            "outputSchema": schema,
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    until_turn_completed(&mut client).await;
    turn(&mut client, 3, &thread, "and now in words").await;

    let requests = live.model.requests();
    let bodies: Vec<Value> = requests
        .iter()
        .filter(|request| request.path.ends_with("/responses"))
        .map(|request| request.json.clone().unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        bodies[0]["text"]["format"],
        json!({"type": "json_schema", "strict": true, "schema": schema,
               "name": "codex_output_schema"})
    );
    assert_eq!(bodies[1]["text"].get("format"), None, "{}", bodies[1]);
}

#[tokio::test]
async fn a_rollback_and_a_full_context_window_report_the_token_usage() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", "second reply")),
        Reply::sse(vec![
            sse::created("resp-3"),
            sse::failed("resp-3", "context_length_exceeded", "too long"),
        ]),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    turn(&mut client, 2, &thread, "first").await;
    turn(&mut client, 3, &thread, "second").await;

    // A rollback tells how full the context is now: the estimate of the next request.
    let rolled = client
        .request(&json!({"id": 4, "method": "thread/rollback", "params": {"threadId": thread, "numTurns": 1}}))
        .await;
    assert!(rolled.get("result").is_some(), "{}", client.report());
    let usage = until_notification(&mut client, |message| {
        message["method"] == "thread/tokenUsage/updated"
    })
    .await;
    let info = &usage["params"]["tokenUsage"];
    assert!(info["last"]["totalTokens"].as_i64() > Some(0), "{usage}");
    assert_eq!(info["last"]["inputTokens"], 0, "{usage}");
    let window = info["modelContextWindow"].as_i64().unwrap_or_default();
    assert!(window > 0, "{usage}");

    // The model's "context window exceeded" shows the window full before the turn fails.
    let (_, seen) = turn(&mut client, 5, &thread, "third").await;
    let full = seen
        .iter()
        .rev()
        .find(|message| message["method"] == "thread/tokenUsage/updated")
        .unwrap_or_else(|| panic!("no usage update in {seen:#?}"));
    assert_eq!(
        full["params"]["tokenUsage"]["total"]["totalTokens"], window,
        "{full}"
    );
    assert_eq!(
        seen.last().unwrap()["params"]["turn"]["status"],
        "failed",
        "{}",
        client.report()
    );
}

#[tokio::test]
async fn a_turn_that_changes_the_permissions_or_the_cwd_tells_the_model_first() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "one")),
        Reply::sse(sse::text_turn("resp-2", "two")),
        Reply::sse(sse::text_turn("resp-3", "three")),
    ]);
    let (_server, mut client) = live.serve().await;
    let thread = thread_id(&live.start_thread(&mut client, 1, json!({})).await);
    turn(&mut client, 2, &thread, "first").await;
    let elsewhere = std::path::Path::new(&live.work).join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let answer = client
        .request(&json!({"id": 3, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "second"}],
            "approvalPolicy": "on-request", "sandboxPolicy": {"type": "readOnly"},
            "cwd": elsewhere,
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    until_turn_completed(&mut client).await;
    turn(&mut client, 4, &thread, "third").await;

    // Each request's developer messages about permissions, and where the last one sits.
    let permissions = |index: usize| -> Vec<String> {
        let body = live.model.requests()[index].json.clone().unwrap();
        body["input"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["role"] == "developer")
            .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_owned))
            .filter(|text| text.contains("permissions instructions"))
            .collect()
    };
    assert_eq!(permissions(0).len(), 1);
    let second = permissions(1);
    assert_eq!(second.len(), 2, "{second:#?}");
    assert!(second[1].contains("read-only"), "{}", second[1]);
    assert!(second[1].contains("on-request"), "{}", second[1]);
    // The new message comes right before the turn's input.
    let body = live.model.requests()[1].json.clone().unwrap();
    let input = body["input"].as_array().unwrap();
    let last_user = input
        .iter()
        .rposition(|item| item["role"] == "user")
        .unwrap();
    assert_eq!(input[last_user - 1]["role"], "developer");
    // And before it, the new working directory.
    let environment = input[last_user - 2]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        environment.starts_with("<environment_context>")
            && environment.contains(&format!("<cwd>{}</cwd>", elsewhere.display())),
        "{environment}"
    );
    // Nothing changed for the third turn: no further message.
    assert_eq!(permissions(2).len(), 2);
}
