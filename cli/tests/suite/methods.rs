//! Every client method of the 0.101 protocol is served, and the methods that were the last to
//! come: `collaborationMode/list`, `feedback/upload`, `gitDiffToRemote`,
//! `thread/backgroundTerminals/clean` and `skills/remote/read|write`, each checked against the
//! reference's answers.

use std::collections::BTreeSet;
use std::path::Path;

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::RequestId;
use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::serve::Client;
use crate::suite::serve::Server;
use crate::suite::threads::live::Live;
use crate::suite::threads::tools::text;
use crate::suite::threads::tools::tool_output;

/// Methods that may still answer -32601 while other work lands; each entry says whose work it
/// waits for. The lead shrinks this list as that work is merged; it must end up empty.
const STILL_MISSING: &[&str] = &[];

/// A loopback address where nothing listens: connections to it are refused at once, so every
/// request that would go to a backend fails fast instead of reaching the network.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("an address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// A server on `folders` (plus `extra` environment) whose client asked for the experimental
/// API.
async fn experimental_server(folders: &Folders, extra: &[(&str, &str)]) -> (Server, Client) {
    let env = folders.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.extend_from_slice(extra);
    let (server, mut client) = Server::stdio(&env);
    client.initialize(true).await;
    (server, client)
}

/// Starts a thread in `cwd` and returns its id.
async fn start_thread(client: &mut Client, id: u64, cwd: &str) -> String {
    let answer = client
        .request(&json!({"id": id, "method": "thread/start", "params": {"cwd": cwd}}))
        .await;
    answer["result"]["thread"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no thread in {answer}\n{}", client.report()))
        .to_owned()
}

/// Valid params for every client method, in the order they are sent: the ones that sign out
/// or archive the thread come last, so the others still find it. `None`: sent without params.
fn every_request(thread: &str, work: &str) -> Vec<(&'static str, Option<Value>)> {
    let nil = "00000000-0000-0000-0000-000000000000";
    let text = json!([{"type": "text", "text": "hello"}]);
    let v1_text = json!([{"type": "text", "data": {"text": "hello"}}]);
    vec![
        (
            "initialize",
            Some(json!({"clientInfo": {"name": "t", "version": "1"}})),
        ),
        ("getUserAgent", None),
        ("mock/experimentalMethod", Some(json!({"value": "x"}))),
        ("config/read", Some(json!({}))),
        (
            "config/value/write",
            Some(json!({"keyPath": "model", "value": "gpt-5.1-codex",
                        "mergeStrategy": "replace"})),
        ),
        (
            "config/batchWrite",
            Some(
                json!({"edits": [{"keyPath": "model", "value": "gpt-5.1-codex",
                                   "mergeStrategy": "replace"}]}),
            ),
        ),
        ("configRequirements/read", None),
        ("experimentalFeature/list", Some(json!({}))),
        ("collaborationMode/list", Some(json!({}))),
        ("model/list", Some(json!({}))),
        ("getUserSavedConfig", None),
        ("setDefaultModel", Some(json!({"model": "gpt-5.1-codex"}))),
        ("account/read", Some(json!({}))),
        ("getAuthStatus", Some(json!({}))),
        ("userInfo", None),
        ("account/rateLimits/read", None),
        ("thread/list", Some(json!({}))),
        ("thread/loaded/list", Some(json!({}))),
        ("thread/read", Some(json!({"threadId": thread}))),
        (
            "thread/name/set",
            Some(json!({"threadId": thread, "name": "named"})),
        ),
        ("thread/resume", Some(json!({"threadId": thread}))),
        ("thread/fork", Some(json!({"threadId": thread}))),
        ("thread/start", Some(json!({"cwd": work}))),
        (
            "thread/backgroundTerminals/clean",
            Some(json!({"threadId": thread})),
        ),
        (
            "turn/start",
            Some(json!({"threadId": thread, "input": text})),
        ),
        (
            "turn/steer",
            Some(json!({"threadId": thread, "input": text, "expectedTurnId": "t"})),
        ),
        (
            "turn/interrupt",
            Some(json!({"threadId": thread, "turnId": "t"})),
        ),
        (
            "thread/rollback",
            Some(json!({"threadId": thread, "numTurns": 1})),
        ),
        ("thread/compact/start", Some(json!({"threadId": thread}))),
        (
            "review/start",
            Some(json!({"threadId": thread, "target": {"type": "uncommittedChanges"}})),
        ),
        ("skills/list", Some(json!({"cwds": [work]}))),
        (
            "skills/config/write",
            Some(json!({"path": format!("{work}/SKILL.md"), "enabled": false})),
        ),
        ("skills/remote/read", Some(json!({}))),
        (
            "skills/remote/write",
            Some(json!({"hazelnutId": "h", "isPreload": false})),
        ),
        ("app/list", Some(json!({}))),
        ("mcpServerStatus/list", Some(json!({}))),
        ("config/mcpServer/reload", None),
        ("mcpServer/oauth/login", Some(json!({"name": "absent"}))),
        ("command/exec", Some(json!({"command": ["true"]}))),
        ("execOneOffCommand", Some(json!({"command": ["true"]}))),
        (
            "fuzzyFileSearch",
            Some(json!({"query": "x", "roots": [work]})),
        ),
        ("gitDiffToRemote", Some(json!({"cwd": work}))),
        (
            "feedback/upload",
            Some(json!({"classification": "bug", "includeLogs": false})),
        ),
        ("newConversation", Some(json!({"cwd": work}))),
        (
            "getConversationSummary",
            Some(json!({"conversationId": thread})),
        ),
        ("listConversations", Some(json!({}))),
        (
            "resumeConversation",
            Some(json!({"conversationId": thread})),
        ),
        ("forkConversation", Some(json!({"conversationId": thread}))),
        (
            "addConversationListener",
            Some(json!({"conversationId": thread})),
        ),
        (
            "removeConversationListener",
            Some(json!({"subscriptionId": nil})),
        ),
        (
            "sendUserMessage",
            Some(json!({"conversationId": thread, "items": v1_text})),
        ),
        (
            "sendUserTurn",
            Some(
                json!({"conversationId": thread, "items": v1_text, "cwd": work,
                        "approvalPolicy": "never",
                        "sandboxPolicy": {"type": "danger-full-access"},
                        "model": "gpt-5.1-codex", "summary": "auto"}),
            ),
        ),
        (
            "interruptConversation",
            Some(json!({"conversationId": thread})),
        ),
        (
            "account/login/start",
            Some(json!({"type": "apiKey", "apiKey": "sk-test"})),
        ),
        ("account/login/cancel", Some(json!({"loginId": nil}))),
        ("loginApiKey", Some(json!({"apiKey": "sk-test"}))),
        ("loginChatGpt", None),
        ("cancelLoginChatGpt", Some(json!({"loginId": nil}))),
        ("thread/unsubscribe", Some(json!({"threadId": thread}))),
        ("account/logout", None),
        ("logoutChatGpt", None),
        ("thread/archive", Some(json!({"threadId": thread}))),
        ("thread/unarchive", Some(json!({"threadId": thread}))),
        (
            "archiveConversation",
            Some(json!({"conversationId": thread, "rolloutPath": "/nonexistent.jsonl"})),
        ),
    ]
}

#[tokio::test]
async fn every_client_method_of_the_schema_is_served() {
    let live = Live::new().await;
    let config = std::fs::read_to_string(live.folders.user_config()).unwrap();
    let dead = dead_url();
    live.folders.write_user_config(&format!(
        "chatgpt_base_url = \"{dead}/backend-api/\"\n{config}"
    ));
    let env = [
        ("CODEX_APP_SERVER_LOGIN_ISSUER", dead.as_str()),
        ("CODEX_APP_SERVER_LOGIN_PORT", "0"),
    ];
    let (_server, mut client) = experimental_server(&live.folders, &env).await;
    let thread = start_thread(&mut client, 1, &live.work).await;
    let requests = every_request(&thread, &live.work);

    // The list covers the schema's methods exactly, and each request parses as its method's
    // params: a method added to the table fails here until it is added above.
    let listed: BTreeSet<&str> = requests.iter().map(|(method, _)| *method).collect();
    let schema: BTreeSet<&str> = ClientRequest::METHODS
        .iter()
        .map(|info| info.method)
        .collect();
    assert_eq!(listed, schema);
    assert_eq!(listed.len(), requests.len(), "a method is listed twice");
    for (method, params) in &requests {
        if let Err(err) = ClientRequest::from_parts(RequestId::Integer(0), method, params.clone()) {
            panic!("the params of {method} do not parse: {err:?}");
        }
    }

    let mut unserved = Vec::new();
    for (index, (method, params)) in requests.into_iter().enumerate() {
        let id = 100 + index as u64;
        let mut request = json!({"id": id, "method": method});
        if let Some(params) = params {
            request["params"] = params;
        }
        let answer = client.request(&request).await;
        let code = answer["error"]["code"].as_i64();
        // -32602 would mean the params did not parse, which hides whether the method exists.
        if code == Some(-32602) {
            panic!("{method}: params refused: {answer}\n{}", client.report());
        }
        if code == Some(-32601) && !STILL_MISSING.contains(&method) {
            unserved.push(format!("{method}: {answer}"));
        }
    }
    assert!(
        unserved.is_empty(),
        "methods not served:\n{}\n{}",
        unserved.join("\n"),
        client.report()
    );
}

#[tokio::test]
async fn collaboration_modes_are_listed_in_the_reference_shape() {
    let folders = Folders::new();
    let (_server, mut client) = folders.stdio().await;
    client
        .check(
            json!({"id": 1, "method": "collaborationMode/list", "params": {}}),
            json!({"id": 1, "error": {"code": -32600,
                   "message": "collaborationMode/list requires experimentalApi capability"}}),
        )
        .await;

    let (_server, mut client) = experimental_server(&folders, &[]).await;
    let answer = client
        .request(&json!({"id": 1, "method": "collaborationMode/list", "params": {}}))
        .await;
    let mut data = answer["result"]["data"].clone();
    // The instructions are our own words; their first lines are the reference's headings.
    let mut headings = Vec::new();
    for mode in data.as_array_mut().expect("a list") {
        let text = mode["developer_instructions"].take();
        let text = text.as_str().expect("instructions");
        headings.push(text.lines().next().unwrap_or_default().to_owned());
    }
    assert_eq!(
        data,
        json!([
            {"name": "Plan", "mode": "plan", "model": null, "reasoning_effort": "medium",
             "developer_instructions": null},
            {"name": "Default", "mode": "default", "model": null, "reasoning_effort": null,
             "developer_instructions": null},
        ]),
        "{}",
        client.report()
    );
    assert_eq!(
        headings,
        [
            "# Plan Mode (Conversational)",
            "# Collaboration Mode: Default"
        ]
    );
}

/// The reports in `$CODEX_HOME/feedback`, parsed.
fn feedback_reports(folders: &Folders) -> Vec<Value> {
    let Ok(entries) = std::fs::read_dir(folders.home().join("feedback")) else {
        return Vec::new();
    };
    entries
        .map(|entry| {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            serde_json::from_str(&text).unwrap()
        })
        .collect()
}

#[tokio::test]
async fn feedback_is_filed_locally_and_refused_when_disabled() {
    let folders = Folders::new();
    let (_server, mut client) = folders.stdio().await;
    let answer = client
        .request(&json!({"id": 1, "method": "feedback/upload",
                         "params": {"classification": "bug", "reason": "it broke",
                                    "includeLogs": false}}))
        .await;
    let thread_id = answer["result"]["threadId"].as_str().unwrap_or_default();
    let uuid = thread_id
        .strip_prefix("no-active-thread-")
        .unwrap_or_else(|| panic!("not the reference's placeholder id: {answer}"));
    assert_eq!(uuid.len(), 36, "{answer}");
    let reports = feedback_reports(&folders);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["threadId"], thread_id);
    assert_eq!(reports[0]["classification"], "bug");
    assert_eq!(reports[0]["reason"], "it broke");

    // A thread id is echoed back; one that is not a UUID is refused in the reference's words.
    let thread = "0199a213-81c0-7800-8aa1-bbab2a035a53";
    client
        .check(
            json!({"id": 2, "method": "feedback/upload",
                   "params": {"classification": "good", "threadId": thread,
                              "includeLogs": true}}),
            json!({"id": 2, "result": {"threadId": thread}}),
        )
        .await;
    client
        .check(
            json!({"id": 3, "method": "feedback/upload",
                   "params": {"classification": "bug", "threadId": "nope",
                              "includeLogs": true}}),
            json!({"id": 3, "error": {"code": -32600, "message":
                "invalid thread id: invalid character: expected an optional prefix of \
                 `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1"}}),
        )
        .await;

    folders.write_user_config("[feedback]\nenabled = false\n");
    client
        .check(
            json!({"id": 4, "method": "feedback/upload",
                   "params": {"classification": "bug", "includeLogs": false}}),
            json!({"id": 4, "error": {"code": -32600,
                   "message": "sending feedback is disabled by configuration"}}),
        )
        .await;
    assert_eq!(feedback_reports(&folders).len(), 2);
}

fn git(cwd: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn git_diff_to_remote_answers_the_pushed_base_and_the_local_changes() {
    let folders = Folders::new();
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "--bare", "-b", "main", "origin.git"]);
    let origin = dir.path().join("origin.git");
    git(dir.path(), &["clone", origin.to_str().unwrap(), "work"]);
    let work = dir.path().join("work");
    std::fs::write(work.join("kept.txt"), "one\n").unwrap();
    git(&work, &["add", "kept.txt"]);
    git(&work, &["commit", "-m", "first"]);
    git(&work, &["push", "origin", "HEAD:main"]);
    let pushed = git(&work, &["rev-parse", "HEAD"]);
    std::fs::write(work.join("kept.txt"), "one\ntwo\n").unwrap();
    std::fs::write(work.join("new.txt"), "fresh\n").unwrap();

    let (_server, mut client) = folders.stdio().await;
    let answer = client
        .request(&json!({"id": 1, "method": "gitDiffToRemote",
                         "params": {"cwd": work.display().to_string()}}))
        .await;
    assert_eq!(answer["result"]["sha"], pushed, "{}", client.report());
    let diff = answer["result"]["diff"].as_str().unwrap_or_default();
    assert!(diff.contains("diff --git a/kept.txt b/kept.txt"), "{diff}");
    assert!(diff.contains("+two"), "{diff}");
    assert!(diff.contains("new file mode"), "{diff}");
    assert!(diff.contains("+fresh"), "{diff}");

    // Outside a repository: the reference's error, with the cwd as the client gave it.
    let plain = dir.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let cwd = plain.display().to_string();
    client
        .check(
            json!({"id": 2, "method": "gitDiffToRemote", "params": {"cwd": cwd}}),
            json!({"id": 2, "error": {"code": -32600,
                   "message": format!("failed to compute git diff to remote for cwd: {cwd:?}")}}),
        )
        .await;
}

#[tokio::test]
async fn background_terminals_clean_needs_a_loaded_thread() {
    let live = Live::new().await;
    let (_server, mut client) = experimental_server(&live.folders, &[]).await;
    let absent = "00000000-0000-7000-8000-000000000000";
    client
        .check(
            json!({"id": 1, "method": "thread/backgroundTerminals/clean",
                   "params": {"threadId": absent}}),
            json!({"id": 1, "error": {"code": -32600,
                   "message": format!("thread not found: {absent}")}}),
        )
        .await;
    let thread = start_thread(&mut client, 2, &live.work).await;
    client
        .check(
            json!({"id": 3, "method": "thread/backgroundTerminals/clean",
                   "params": {"threadId": thread}}),
            json!({"id": 3, "result": {}}),
        )
        .await;
}

/// Starts a turn and reads up to its `turn/completed`.
async fn run_turn(client: &mut Client, id: u64, thread: &str) {
    let answer = client
        .request(&json!({"id": id, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "go"}]}}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    while client.next().await["method"] != "turn/completed" {}
}

#[tokio::test]
async fn cleaning_background_terminals_ends_the_sessions_commands_left_running() {
    let live = Live::new().await;
    let (_server, mut client) = experimental_server(&live.folders, &[]).await;
    let thread = start_thread(&mut client, 1, &live.work).await;
    // The command outlives its call (250 ms), so it stays behind as a background session.
    let started = json!({"cmd": "sleep 60", "yield_time_ms": 250}).to_string();
    live.model.enqueue_all([
        Reply::sse(sse::function_call_turn(
            "r1",
            "call-1",
            "exec_command",
            &started,
        )),
        text("r2", "started"),
    ]);
    run_turn(&mut client, 2, &thread).await;
    let output = tool_output(&live, "call-1");
    let session: i64 = output
        .split("Process running with session ID ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no background session in {output}\n{}", client.report()));

    client
        .check(
            json!({"id": 3, "method": "thread/backgroundTerminals/clean",
                   "params": {"threadId": thread}}),
            json!({"id": 3, "result": {}}),
        )
        .await;

    // The command's item completes then, as the reference reports a terminated session.
    let completed = loop {
        let message = client.next().await;
        if message["method"] == "item/completed"
            && message["params"]["item"]["type"] == "commandExecution"
        {
            break message["params"]["item"].clone();
        }
    };
    assert_eq!(
        (
            &completed["id"],
            &completed["status"],
            &completed["exitCode"]
        ),
        (&json!("call-1"), &json!("failed"), &json!(-1)),
        "{}",
        client.report()
    );

    // The model polls the session: it is gone.
    let poll = json!({"session_id": session, "chars": "", "yield_time_ms": 250}).to_string();
    live.model.enqueue_all([
        Reply::sse(sse::function_call_turn(
            "r3",
            "call-2",
            "write_stdin",
            &poll,
        )),
        text("r4", "done"),
    ]);
    run_turn(&mut client, 4, &thread).await;
    assert_eq!(
        tool_output(&live, "call-2"),
        format!("write_stdin failed: Unknown process id {session}"),
        "{}",
        client.report()
    );
}

#[tokio::test]
async fn remote_skills_are_asked_of_the_backend_and_failures_are_clear() {
    let backend = MockModelServer::start().await.expect("the mock starts");
    let folders = Folders::new();
    folders.write_user_config(&format!(
        "chatgpt_base_url = \"{}/backend-api/\"\n",
        backend.url()
    ));
    let (_server, mut client) = folders.stdio().await;
    let answer = client
        .request(&json!({"id": 1, "method": "skills/remote/read", "params": {}}))
        .await;
    let url = format!("{}/public-api/hazelnuts/", backend.url());
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert!(
        message.starts_with(&format!(
            "failed to read remote skills: Request failed with status 404 Not Found from {url}: "
        )),
        "{answer}"
    );
    let requests = backend.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/public-api/hazelnuts/");
    assert_eq!(requests[0].query.as_deref(), Some("product_surface=codex"));
    // No credentials go to the public API.
    assert_eq!(requests[0].header("authorization"), None);

    // An unreachable backend is an error at once, not a wait.
    let dead = dead_url();
    folders.write_user_config(&format!("chatgpt_base_url = \"{dead}/backend-api/\"\n"));
    client
        .check(
            json!({"id": 2, "method": "skills/remote/write",
                   "params": {"hazelnutId": "h1", "isPreload": false}}),
            json!({"id": 2, "error": {"code": -32603, "message": format!(
                "failed to download remote skill: Failed to send request to \
                 {dead}/public-api/hazelnuts/")}}),
        )
        .await;
}

/// A stand-in for the backend's public skills API on a loopback port: the listing (one skill,
/// `h1` named `lint`, with two files) and that skill's archive. Answers every connection until
/// dropped.
struct HazelnutBackend {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HazelnutBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HazelnutBackend {
    async fn start() -> Self {
        let hex = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/remote-skill.zip.hex"),
        )
        .expect("the archive fixture");
        let hex = hex.trim();
        let archive: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex"))
            .collect();
        let listing = json!({"hazelnuts": [{"id": "h1", "name": "lint", "description": "Lints",
            "base_sediment_id": "s", "files": {"SKILL.md": {"start": 0, "length": 1},
            "scripts/run.sh": {"start": 0, "length": 1}}}]})
        .to_string();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let archive = archive.clone();
                let listing = listing.clone();
                tokio::spawn(answer_one(stream, listing, archive));
            }
        });
        Self { url, task }
    }
}

/// Reads one request's head and answers it by path; the connection is then closed.
async fn answer_one(mut stream: tokio::net::TcpStream, listing: String, archive: Vec<u8>) {
    use tokio::io::AsyncReadExt;
    use tokio::io::AsyncWriteExt;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split(' ').nth(1).unwrap_or_default();
    let (status, body) = match path {
        "/public-api/hazelnuts/?product_surface=codex" => ("200 OK", listing.into_bytes()),
        "/public-api/hazelnuts/h1/export" => ("200 OK", archive),
        _ => ("404 Not Found", b"no such thing".to_vec()),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

#[tokio::test]
async fn a_remote_skill_is_listed_and_unpacked_into_codex_home() {
    let backend = HazelnutBackend::start().await;
    let folders = Folders::new();
    folders.write_user_config(&format!(
        "chatgpt_base_url = \"{}/backend-api/\"\n",
        backend.url
    ));
    let (_server, mut client) = folders.stdio().await;
    client
        .check(
            json!({"id": 1, "method": "skills/remote/read", "params": {}}),
            json!({"id": 1, "result": {"data": [
                {"id": "h1", "name": "lint", "description": "Lints"}]}}),
        )
        .await;
    let target = folders
        .home()
        .join("skills")
        .join("downloaded")
        .join("lint");
    client
        .check(
            json!({"id": 2, "method": "skills/remote/write",
                   "params": {"hazelnutId": "h1", "isPreload": false}}),
            json!({"id": 2, "result": {"id": "h1", "name": "lint",
                   "path": target.display().to_string()}}),
        )
        .await;
    // The listed files, without the archive's folder; an entry the listing omits is left out.
    assert_eq!(
        std::fs::read_to_string(target.join("scripts/run.sh")).unwrap(),
        "#!/bin/sh\necho lint\n"
    );
    assert!(target.join("SKILL.md").is_file());
    assert!(!target.join("extra.txt").exists());
    client
        .check(
            json!({"id": 3, "method": "skills/remote/write",
                   "params": {"hazelnutId": "zz", "isPreload": true}}),
            json!({"id": 3, "error": {"code": -32603,
                   "message": "failed to download remote skill: Remote skill zz not found"}}),
        )
        .await;
}
