//! MCP servers inside the agent, end to end: `codex app-server` with `[mcp_servers]` pointing at
//! the workspace's `test-mcp-server` (over stdio, or over streamable HTTP) while the mock model
//! calls their tools. Tool calls and their items (`tool_calls`), servers that never start
//! (`startup`), the resource tools (`resources`), `mcpServerStatus/list` and reload (`status`),
//! no MCP process outliving codex (`processes`), the launcher itself (`launch`), and the OAuth
//! login with the test server's mock authorization server (`oauth`).
//!
//! The test server writes what reached it to a `--log` file in the test's CODEX_HOME, which
//! the tests read to see the handshake, the calls and the cancellations.

mod launch;
mod oauth;
mod processes;
mod resources;
mod startup;
mod status;
mod tool_calls;

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::sse;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::BufReader;
use tokio::process::Child;
use tokio::process::ChildStdout;
use tokio::process::Command;
use tokio::time::Instant;
use tokio::time::timeout;

use crate::suite::serve::TIMEOUT;
use crate::suite::threads::live::Live;
use crate::suite::threads::tools::items;

/// How often a test looks again at a log file or `/proc` while it waits.
const POLL: Duration = Duration::from_millis(20);

/// The built `test-mcp-server`.
fn test_server() -> &'static Path {
    static SERVER: OnceLock<PathBuf> = OnceLock::new();
    SERVER.get_or_init(|| {
        codex_utils_cargo_bin::cargo_bin("test-mcp-server")
            .unwrap_or_else(|error| panic!("{error}"))
    })
}

/// `text` as a TOML string.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// Appends `text` to the config.toml of `live`.
fn add_config(live: &Live, text: &str) {
    let config = live.folders.read_user_config();
    live.folders.write_user_config(&format!("{config}{text}"));
}

/// `[mcp_servers.NAME]` running the test server over stdio, logging to `log`, with `args`
/// after its own and `settings` (TOML lines) below.
fn stdio_server(name: &str, log: &ServerLog, args: &[&str], settings: &str) -> String {
    let mut argv = vec!["--log".to_owned(), log.path.display().to_string()];
    argv.extend(args.iter().map(|arg| (*arg).to_owned()));
    let argv = toml::Value::Array(argv.into_iter().map(toml::Value::String).collect());
    format!(
        "\n[mcp_servers.{name}]\ncommand = {}\nargs = {argv}\n{settings}",
        toml_string(&test_server().display().to_string()),
    )
}

/// The model's reply calling `tool` with `arguments`.
fn call(call_id: &str, response: &str, tool: &str, arguments: Value) -> Reply {
    Reply::sse(sse::function_call_turn(
        response,
        call_id,
        tool,
        &arguments.to_string(),
    ))
}

/// The `mcpToolCall` items of a turn's notifications, as (method, item).
fn mcp_items(seen: &[Value]) -> Vec<(&str, &Value)> {
    items(seen, "mcpToolCall")
}

/// The `item/completed` item of the call `call_id`.
fn completed<'a>(seen: &'a [Value], call_id: &str) -> &'a Value {
    mcp_items(seen)
        .into_iter()
        .find(|(method, item)| *method == "item/completed" && item["id"] == call_id)
        .map(|(_, item)| item)
        .unwrap_or_else(|| panic!("no completed mcpToolCall {call_id} in {seen:#?}"))
}

/// The names of the tools the model was offered in its request number `index`.
pub(crate) fn offered_tools(live: &Live, index: usize) -> Vec<String> {
    let requests = live.model.requests();
    let body = requests[index].json.clone().expect("a JSON request");
    body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .filter_map(|tool| tool["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The `codex/event/<kind>` notifications among `seen`, as their `msg`.
fn legacy_events<'a>(seen: &'a [Value], kind: &str) -> Vec<&'a Value> {
    let method = format!("codex/event/{kind}");
    seen.iter()
        .filter(|message| message["method"] == method.as_str())
        .map(|message| &message["params"]["msg"])
        .collect()
}

/// Polls `done` until it holds, failing the test after [`TIMEOUT`].
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(POLL).await;
    }
}

/// The `--log` file of one test server.
pub(crate) struct ServerLog {
    pub(crate) path: PathBuf,
}

impl ServerLog {
    /// A log named after `name` in the CODEX_HOME of `live`.
    fn new(live: &Live, name: &str) -> Self {
        Self {
            path: live.folders.home().join(format!("mcp-{name}.jsonl")),
        }
    }

    /// Every event logged so far; none before the server starts.
    pub(crate) fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("a bad log line ({error}): {line}"))
            })
            .collect()
    }

    /// The events named `event` logged so far.
    pub(crate) fn named(&self, event: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|logged| logged["event"] == event)
            .collect()
    }

    /// The first event named `event`, once it is logged.
    async fn wait_for(&self, event: &str) -> Value {
        let mut found = None;
        eventually(&format!("`{event}` in {}", self.path.display()), || {
            found = self.named(event).into_iter().next();
            found.is_some()
        })
        .await;
        found.unwrap_or_default()
    }
}

/// A test server serving streamable HTTP, killed when dropped.
pub(crate) struct HttpServer {
    pub(crate) url: String,
    _child: Child,
    /// Held open so that the server never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl HttpServer {
    /// Starts the server on a free loopback port with `args`, logging to `log`, and reads its
    /// URL from the line it prints once bound.
    pub(crate) async fn start(log: &ServerLog, args: &[&str]) -> Self {
        let mut child = Command::new(test_server())
            .args(["--http", "127.0.0.1:0", "--log"])
            .arg(&log.path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("could not start the test server: {error}"));
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut line = String::new();
        let read = timeout(TIMEOUT, stdout.read_line(&mut line)).await;
        assert!(
            matches!(read, Ok(Ok(read)) if read > 0),
            "no address from the test server: {read:?}"
        );
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("an unexpected first line: {line:?}"))
            .to_owned();
        Self {
            url,
            _child: child,
            _stdout: stdout,
        }
    }
}
