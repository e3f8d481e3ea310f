//! A scripted MCP server for the tests, speaking raw JSON-RPC over an in-memory pipe so that
//! the tests see exactly what the client sends.
//!
//! Tools: `echo` (answers `echo: TEXT`), `fail` (a JSON-RPC error), `sleep` (never answers),
//! `elicit` (asks the client with `elicitation/create` and answers with the action it got).
//! Tools, resources and resource templates come in pages of the given sizes.

use std::sync::Arc;
use std::sync::Mutex;

use serde_json::Value;
use serde_json::json;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::io::DuplexStream;
use tokio::io::ReadHalf;
use tokio::io::WriteHalf;
use tokio::sync::Notify;

use crate::client::ElicitationHandler;
use crate::client::McpClient;

/// What the fake server offers.
#[derive(Clone)]
pub(crate) struct Script {
    pub tool_pages: Vec<Vec<&'static str>>,
    pub resource_pages: Vec<Vec<&'static str>>,
    /// Never answer `initialize`.
    pub hang: bool,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            tool_pages: vec![vec!["echo", "fail"], vec!["sleep", "elicit"]],
            resource_pages: vec![vec!["file:///a"], vec!["file:///b"]],
            hang: false,
        }
    }
}

/// Every message the client sent, in order, and a signal for each new one.
#[derive(Clone, Default)]
pub(crate) struct Received {
    messages: Arc<Mutex<Vec<Value>>>,
    notify: Arc<Notify>,
}

impl Received {
    pub fn all(&self) -> Vec<Value> {
        self.messages.lock().unwrap().clone()
    }

    fn push(&self, message: Value) {
        self.messages.lock().unwrap().push(message);
        self.notify.notify_waiters();
    }

    /// Waits until a message with `method` has arrived, and returns it.
    pub async fn wait_for(&self, method: &str) -> Value {
        loop {
            let notified = self.notify.notified();
            if let Some(found) = self.all().into_iter().find(|m| m["method"] == method) {
                return found;
            }
            notified.await;
        }
    }
}

/// One of our requests to the client, waiting for its answer.
type Waiting = (i64, tokio::sync::oneshot::Sender<Value>);

type ClientSide = (ReadHalf<DuplexStream>, WriteHalf<DuplexStream>);

/// Starts the fake server and returns the client's ends of the pipe.
pub(crate) fn start(script: Script) -> (ClientSide, Received) {
    let (client, server) = tokio::io::duplex(1 << 16);
    let received = Received::default();
    tokio::spawn(serve(server, script, received.clone()));
    (tokio::io::split(client), received)
}

/// Starts the fake server and connects a client to it with `config`.
pub(crate) async fn connect(
    script: Script,
    config: &codex_config::McpServerConfig,
    elicitation: Option<ElicitationHandler>,
) -> (McpClient, Received) {
    let ((reader, writer), received) = start(script);
    let client = McpClient::connect_io("fake", reader, writer, config, elicitation)
        .await
        .unwrap();
    (client, received)
}

async fn serve(stream: DuplexStream, script: Script, received: Received) {
    let (reader, writer) = tokio::io::split(stream);
    let writer = Arc::new(tokio::sync::Mutex::new(writer));
    let pending: Arc<Mutex<Vec<Waiting>>> = Arc::default();
    let mut lines = BufReader::new(reader).lines();
    let mut next_server_id = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(message) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        received.push(message.clone());
        let Some(method) = message["method"].as_str().map(str::to_owned) else {
            // The client's answer to one of our requests.
            let mut waiting = pending.lock().unwrap();
            if let Some(index) = waiting.iter().position(|(id, _)| message["id"] == *id) {
                let (_, sender) = waiting.remove(index);
                let _ = sender.send(message);
            }
            continue;
        };
        let Some(id) = message.get("id").cloned() else {
            continue;
        };
        let params = message["params"].clone();
        let answer = match method.as_str() {
            "initialize" if script.hang => continue,
            "initialize" => Ok(json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}, "resources": {}},
                "serverInfo": {"name": "fake", "version": "1.0.0"},
            })),
            "tools/list" => Ok(page(
                &script.tool_pages,
                &params,
                "tools",
                |name| json!({"name": name, "inputSchema": {"type": "object"}}),
            )),
            "resources/list" => Ok(page(
                &script.resource_pages,
                &params,
                "resources",
                |uri| json!({"uri": uri, "name": uri}),
            )),
            "resources/templates/list" => Ok(page(
                &script.resource_pages,
                &params,
                "resourceTemplates",
                |uri| json!({"uriTemplate": format!("{uri}/{{x}}"), "name": uri}),
            )),
            "resources/read" => Ok(json!({
                "contents": [{"uri": params["uri"], "text": "hello"}],
            })),
            "tools/call" => match params["name"].as_str() {
                Some("echo") => Ok(text(&format!(
                    "echo: {}",
                    params["arguments"]["text"].as_str().unwrap_or_default()
                ))),
                Some("fail") => Err(json!({"code": -32000, "message": "kaboom"})),
                Some("sleep") => continue,
                Some("elicit") => {
                    next_server_id += 1;
                    let (sender, answer) = tokio::sync::oneshot::channel();
                    pending.lock().unwrap().push((next_server_id, sender));
                    let request = json!({
                        "jsonrpc": "2.0",
                        "id": next_server_id,
                        "method": "elicitation/create",
                        "params": {
                            "message": "your name?",
                            "requestedSchema": {"type": "object", "properties": {}},
                        },
                    });
                    write(&writer, &request).await;
                    let writer = writer.clone();
                    // Answered from a task: the client's answer arrives on this same loop.
                    tokio::spawn(async move {
                        let answer = answer.await.unwrap_or(Value::Null);
                        let action = answer["result"]["action"].as_str().unwrap_or("none");
                        let reply = json!({"jsonrpc": "2.0", "id": id, "result": text(action)});
                        write(&writer, &reply).await;
                    });
                    continue;
                }
                _ => Err(json!({"code": -32602, "message": "unknown tool"})),
            },
            "ping" => Ok(json!({})),
            _ => Err(json!({"code": -32601, "message": "method not found"})),
        };
        let reply = match answer {
            Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
            Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
        };
        write(&writer, &reply).await;
    }
}

fn text(text: &str) -> Value {
    json!({"content": [{"type": "text", "text": text}]})
}

fn page(
    pages: &[Vec<&'static str>],
    params: &Value,
    key: &str,
    item: impl Fn(&str) -> Value,
) -> Value {
    let index: usize = params["cursor"]
        .as_str()
        .and_then(|cursor| cursor.parse().ok())
        .unwrap_or(0);
    let items: Vec<Value> = pages
        .get(index)
        .map(|names| names.iter().map(|name| item(name)).collect())
        .unwrap_or_default();
    let mut result = json!({ key: items });
    if index + 1 < pages.len() {
        result["nextCursor"] = json!((index + 1).to_string());
    }
    result
}

async fn write(writer: &tokio::sync::Mutex<WriteHalf<DuplexStream>>, message: &Value) {
    let mut line = message.to_string();
    line.push('\n');
    let _ = writer.lock().await.write_all(line.as_bytes()).await;
}

/// A connector that serves each named server from its script, counting connections; a name
/// without a script fails as a missing program does.
pub(crate) fn connector(
    scripts: Vec<(&'static str, Script)>,
) -> (
    crate::manager::Connector,
    Arc<std::sync::atomic::AtomicUsize>,
) {
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    let connector: crate::manager::Connector = Arc::new(move |name, config, options| {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let script = scripts
            .iter()
            .find(|(scripted, _)| *scripted == name)
            .map(|(_, script)| script.clone());
        Box::pin(async move {
            let Some(script) = script else {
                return Err(std::io::Error::from_raw_os_error(nix::libc::ENOENT).into());
            };
            let ((reader, writer), _) = start(script);
            McpClient::connect_io(&name, reader, writer, &config, options.elicitation).await
        })
    });
    (connector, count)
}

/// Collects a manager's events.
#[derive(Default)]
pub(crate) struct Events {
    events: Mutex<Vec<codex_protocol::protocol::EventMsg>>,
    notify: Notify,
}

impl Events {
    pub fn all(&self) -> Vec<codex_protocol::protocol::EventMsg> {
        self.events.lock().unwrap().clone()
    }

    /// Waits for an event `matches` accepts.
    pub async fn wait_for(
        &self,
        matches: impl Fn(&codex_protocol::protocol::EventMsg) -> bool,
    ) -> codex_protocol::protocol::EventMsg {
        loop {
            let notified = self.notify.notified();
            if let Some(found) = self.all().into_iter().find(|event| matches(event)) {
                return found;
            }
            notified.await;
        }
    }
}

impl crate::manager::McpEventSink for Events {
    fn emit(&self, msg: codex_protocol::protocol::EventMsg) -> futures::future::BoxFuture<'_, ()> {
        self.events.lock().unwrap().push(msg);
        self.notify.notify_waiters();
        Box::pin(async {})
    }
}

/// A stdio server's config (the fake connector ignores the command), edited by `edit`.
pub(crate) fn config(
    edit: impl FnOnce(&mut codex_config::McpServerToml),
) -> Result<codex_config::McpServerConfig, String> {
    let mut toml = codex_config::McpServerToml {
        command: Some("fake".to_owned()),
        ..codex_config::McpServerToml::default()
    };
    edit(&mut toml);
    codex_config::McpServerConfig::from_toml(&toml)
}
