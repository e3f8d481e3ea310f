//! `codex mcp-server`: the agent offered as an MCP server over stdio, driven by rmcp's own client
//! while the mock model answers. The handshake and the methods around the tools (`handshake`),
//! the `codex` and `codex-reply` tools and their events (`tools`), and the approvals the server
//! asks the client for with `elicitation/create` (`approvals`).
//!
//! rmcp parses what it reads into typed values and drops the fields it does not know, so a tap
//! sits between the child's stdout and rmcp and records every line as it was sent; another
//! records what rmcp writes to the child's stdin. The tests assert exact wire params on those
//! records, and use rmcp's client for everything it does: the handshake, requests and their
//! ids, answering the server's requests and receiving its notifications.

mod approvals;
mod handshake;
mod tools;

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequest;
use rmcp::model::CallToolRequestParams;
use rmcp::model::ClientCapabilities;
use rmcp::model::ClientConfig;
use rmcp::model::ClientRequest;
use rmcp::model::ClientResult;
use rmcp::model::CustomResult;
use rmcp::model::ElicitationCapability;
use rmcp::model::ErrorData;
use rmcp::model::Implementation;
use rmcp::model::ProtocolVersion;
use rmcp::model::ServerNotification;
use rmcp::model::ServerRequest;
use rmcp::service::NotificationContext;
use rmcp::service::PeerRequestOptions;
use rmcp::service::RequestContext;
use rmcp::service::RequestHandle;
use rmcp::service::RoleClient;
use rmcp::service::RunningService;
use rmcp::service::Service;
use serde_json::Value;
use serde_json::json;
use tempfile::TempDir;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::process::Child;
use tokio::process::Command;
use tokio::sync::mpsc;
use tokio::sync::oneshot;
use tokio::sync::watch;
use tokio::time::timeout;

use crate::suite::codex_bin;
use crate::suite::serve::TIMEOUT;
use crate::suite::threads::live::Live;

/// The protocol version the tests ask for, the one the reference's clients speak.
const PROTOCOL_VERSION: &str = "2025-06-18";

/// How much the pipes between rmcp and the taps hold before a writer waits.
const PIPE_CAPACITY: usize = 1 << 20;

/// One line that crossed the child's stdin or stdout, parsed; a line that is not JSON is kept as
/// a JSON string so that a report still shows it.
#[derive(Clone, Debug)]
struct Line {
    sent: bool,
    message: Value,
}

/// Everything that crossed the wire so far, in order.
type Record = watch::Sender<Vec<Line>>;

fn parse_line(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|_| Value::String(line.to_owned()))
}

/// What the client is handed: the `codex/event` notifications and the server's elicitation
/// requests.
struct Client {
    events: mpsc::UnboundedSender<Value>,
    elicitations: mpsc::UnboundedSender<Elicitation>,
    info: ClientConfig,
}

/// An `elicitation/create` the server sent, waiting for the test to answer it.
pub(super) struct Elicitation {
    /// The request's JSON-RPC id.
    pub(super) id: Value,
    /// The request's params as they were on the wire; filled in by [`Connection`].
    pub(super) params: Value,
    answer: oneshot::Sender<Value>,
}

impl Elicitation {
    /// Answers with `result`, whatever JSON it is.
    pub(super) fn answer(self, result: Value) {
        self.answer
            .send(result)
            .unwrap_or_else(|result| panic!("the client no longer waits to answer with {result}"));
    }

    /// Never answers: dropping the sender leaves the client's handler waiting for good.
    pub(super) fn leave_unanswered(self) {}
}

impl Service<RoleClient> for Client {
    async fn handle_request(
        &self,
        request: ServerRequest,
        context: RequestContext<RoleClient>,
    ) -> Result<ClientResult, ErrorData> {
        let is_elicitation = match &request {
            ServerRequest::ElicitRequest(_) => true,
            ServerRequest::CustomRequest(custom) => custom.method == "elicitation/create",
            ServerRequest::PingRequest(_) => return Ok(ClientResult::empty(())),
            _ => false,
        };
        if !is_elicitation {
            return Err(ErrorData::invalid_request(
                format!("the test client does not handle {request:?}"),
                None,
            ));
        }
        let (answer, answered) = oneshot::channel();
        let elicitation = Elicitation {
            id: serde_json::to_value(&context.id).expect("an id is JSON"),
            params: Value::Null,
            answer,
        };
        if self.elicitations.send(elicitation).is_err() {
            return Err(ErrorData::internal_error("the test is over", None));
        }
        match answered.await {
            Ok(result) => Ok(ClientResult::CustomResult(CustomResult(result))),
            // The test chose never to answer.
            Err(_) => std::future::pending().await,
        }
    }

    async fn handle_notification(
        &self,
        notification: ServerNotification,
        _context: NotificationContext<RoleClient>,
    ) -> Result<(), ErrorData> {
        if let ServerNotification::CustomNotification(custom) = notification
            && custom.method == "codex/event"
        {
            // The receiver is gone once the test has finished with the connection.
            let _ = self.events.send(custom.params.unwrap_or_default());
        }
        Ok(())
    }

    fn get_info(&self) -> ClientConfig {
        self.info.clone()
    }
}

/// A running `codex mcp-server` and the rmcp client connected to it through the taps. The child
/// is killed when this is dropped.
pub(super) struct Connection {
    service: RunningService<RoleClient, Client>,
    child: Child,
    record: Arc<Record>,
    stderr: watch::Receiver<String>,
    events: mpsc::UnboundedReceiver<Value>,
    elicitations: mpsc::UnboundedReceiver<Elicitation>,
    _home: TempDir,
}

/// A `tools/call` sent and not yet answered.
pub(super) struct PendingCall {
    handle: RequestHandle<RoleClient>,
}

impl PendingCall {
    /// The request's JSON-RPC id.
    pub(super) fn id(&self) -> Value {
        serde_json::to_value(&self.handle.id).expect("an id is JSON")
    }

    /// The id as the server's events name the turn: `"2"` for the number 2.
    pub(super) fn turn_id(&self) -> String {
        self.handle.id.to_string()
    }
}

impl Connection {
    /// Starts `codex mcp-server` on the home of `live` and initializes it.
    pub(super) async fn start(live: &Live) -> Self {
        Self::start_with(live, &[]).await
    }

    /// [`Connection::start`] with `args` after `mcp-server`.
    pub(super) async fn start_with(live: &Live, args: &[&str]) -> Self {
        let home = tempfile::tempdir().expect("a temp dir");
        let mut child = Command::new(codex_bin())
            .arg("mcp-server")
            .args(args)
            .current_dir(&live.work)
            .env_clear()
            .env("HOME", home.path())
            .envs(live.folders.env())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("could not start codex mcp-server {args:?}: {error}"));
        let record = Arc::new(Record::new(Vec::new()));
        let stderr = capture_stderr(&mut child);

        // stdout -> tap -> rmcp
        let (rmcp_read, mut to_rmcp) = tokio::io::duplex(PIPE_CAPACITY);
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let received = Arc::clone(&record);
        tokio::spawn(async move {
            let mut forwarding = true;
            while let Ok(Some(line)) = stdout.next_line().await {
                received.send_modify(|lines| {
                    lines.push(Line {
                        sent: false,
                        message: parse_line(&line),
                    });
                });
                // Once rmcp is gone the lines are still recorded, and the child never blocks.
                forwarding = forwarding
                    && to_rmcp
                        .write_all(format!("{line}\n").as_bytes())
                        .await
                        .is_ok();
            }
        });

        // rmcp -> tap -> stdin
        let (rmcp_write, from_rmcp) = tokio::io::duplex(PIPE_CAPACITY);
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let sent = Arc::clone(&record);
        tokio::spawn(async move {
            let mut lines = BufReader::new(from_rmcp).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sent.send_modify(|lines| {
                    lines.push(Line {
                        sent: true,
                        message: parse_line(&line),
                    });
                });
                if stdin
                    .write_all(format!("{line}\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
            }
            // rmcp closed its end: close the child's stdin by dropping it.
        });

        let (events_sender, events) = mpsc::unbounded_channel();
        let (elicitations_sender, elicitations) = mpsc::unbounded_channel();
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(ElicitationCapability::new());
        let info = ClientConfig::new(capabilities, Implementation::new("mcp-server-tests", "1"))
            .with_protocol_version(ProtocolVersion::V_2025_06_18);
        let client = Client {
            events: events_sender,
            elicitations: elicitations_sender,
            info,
        };
        let started = timeout(TIMEOUT, client.serve((rmcp_read, rmcp_write))).await;
        let service = match started {
            Ok(Ok(service)) => service,
            Ok(Err(error)) => panic!(
                "the handshake failed: {error}\n{}",
                report(&record, &stderr)
            ),
            Err(_) => panic!(
                "no handshake within {TIMEOUT:?}\n{}",
                report(&record, &stderr)
            ),
        };
        Self {
            service,
            child,
            record,
            stderr,
            events,
            elicitations,
            _home: home,
        }
    }

    /// What crossed the wire and what the server wrote on stderr, for failure messages.
    pub(super) fn report(&self) -> String {
        report(&self.record, &self.stderr)
    }

    /// Every message the server sent so far, in order.
    pub(super) fn received(&self) -> Vec<Value> {
        self.record
            .borrow()
            .iter()
            .filter(|line| !line.sent)
            .map(|line| line.message.clone())
            .collect()
    }

    /// Waits until the server has sent a message that `wanted` picks, and returns it with its
    /// index among [`Connection::received`].
    pub(super) async fn wait_for_received(
        &self,
        what: &str,
        wanted: impl Fn(&Value) -> bool,
    ) -> (usize, Value) {
        self.wait_for_line(false, what, wanted).await
    }

    /// Waits until the client has sent a message that `wanted` picks, and returns it with its
    /// index among [`Connection::sent`].
    pub(super) async fn wait_for_sent(
        &self,
        what: &str,
        wanted: impl Fn(&Value) -> bool,
    ) -> (usize, Value) {
        self.wait_for_line(true, what, wanted).await
    }

    async fn wait_for_line(
        &self,
        sent: bool,
        what: &str,
        wanted: impl Fn(&Value) -> bool,
    ) -> (usize, Value) {
        let find = |lines: &[Line]| {
            lines
                .iter()
                .filter(|line| line.sent == sent)
                .enumerate()
                .find(|(_, line)| wanted(&line.message))
                .map(|(index, line)| (index, line.message.clone()))
        };
        let mut record = self.record.subscribe();
        let waited = timeout(TIMEOUT, record.wait_for(|lines| find(lines).is_some())).await;
        match waited {
            Ok(Ok(_)) => find(&self.record.borrow()).expect("it was just found"),
            Ok(Err(_)) => panic!("the tap stopped before {what}\n{}", self.report()),
            Err(_) => panic!("no {what} within {TIMEOUT:?}\n{}", self.report()),
        }
    }

    /// The server's answer to the request `id`, as it was on the wire, and its index among
    /// [`Connection::received`].
    pub(super) async fn answer_to(&self, id: &Value) -> (usize, Value) {
        self.wait_for_received(&format!("the answer to request {id}"), |message| {
            message.get("method").is_none() && message.get("id") == Some(id)
        })
        .await
    }

    /// Sends `request` and returns the server's answer as it was on the wire: the whole
    /// message, `result` or `error`.
    pub(super) async fn request(&self, request: ClientRequest) -> Value {
        let handle = self
            .service
            .send_cancellable_request(request, PeerRequestOptions::no_options())
            .await
            .unwrap_or_else(|error| panic!("could not send: {error}\n{}", self.report()));
        let id = serde_json::to_value(&handle.id).expect("an id is JSON");
        // rmcp's own reading of the answer is not the test's business; the tap's is.
        let _ = timeout(TIMEOUT, handle.await_response()).await;
        self.answer_to(&id).await.1
    }

    /// Sends `tools/call` of `tool` with `arguments` without waiting for its answer.
    pub(super) async fn start_call(&self, tool: &str, arguments: Value) -> PendingCall {
        let Value::Object(arguments) = arguments else {
            panic!("tool arguments are an object: {arguments}");
        };
        let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
        let request = ClientRequest::CallToolRequest(CallToolRequest::new(params));
        let handle = self
            .service
            .send_cancellable_request(request, PeerRequestOptions::no_options())
            .await
            .unwrap_or_else(|error| panic!("could not call {tool}: {error}\n{}", self.report()));
        PendingCall { handle }
    }

    /// Waits for the answer to `call` and returns its `result` as it was on the wire.
    pub(super) async fn finish(&self, call: PendingCall) -> Value {
        let id = call.id();
        let _ = timeout(TIMEOUT, call.handle.await_response()).await;
        let (_, answer) = self.answer_to(&id).await;
        match answer.get("result") {
            Some(result) => result.clone(),
            None => panic!("the call was answered with {answer}\n{}", self.report()),
        }
    }

    /// Calls `tool` with `arguments` and returns the call's id and its `result` as on the wire.
    pub(super) async fn call(&self, tool: &str, arguments: Value) -> (Value, Value) {
        let call = self.start_call(tool, arguments).await;
        let id = call.id();
        (id, self.finish(call).await)
    }

    /// Sends `notifications/cancelled` for `call` through rmcp's peer. rmcp then stops waiting
    /// for the answer itself, which the tests read on the tap instead.
    pub(super) async fn cancel(&self, call: &PendingCall) {
        let params = rmcp::model::CancelledNotificationParam::new(
            Some(call.handle.id.clone()),
            Some("the test cancels it".to_owned()),
        );
        let notification = rmcp::model::CancelledNotification::new(params);
        self.service
            .send_notification(notification.into())
            .await
            .unwrap_or_else(|error| panic!("could not cancel: {error}\n{}", self.report()));
    }

    /// The `codex/event` notifications the server sent for the request `id`, in wire order,
    /// up to the message at index `before` among [`Connection::received`].
    pub(super) fn events_of(&self, id: &Value, before: usize) -> Vec<Value> {
        self.received()
            .into_iter()
            .take(before)
            .filter(|message| {
                message["method"] == "codex/event" && message["params"]["_meta"]["requestId"] == *id
            })
            .map(|message| message["params"].clone())
            .collect()
    }

    /// Waits for a `codex/event` whose params `wanted` picks, as rmcp's client hands them over.
    /// rmcp hands each notification to a task of its own, so the order of these is not the
    /// wire's; [`Connection::events_of`] keeps it.
    pub(super) async fn until_event(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let event = match timeout(TIMEOUT, self.events.recv()).await {
                Ok(Some(event)) => event,
                Ok(None) => panic!("the client stopped\n{}", self.report()),
                Err(_) => panic!("no such codex/event within {TIMEOUT:?}\n{}", self.report()),
            };
            if wanted(&event) {
                return event;
            }
        }
    }

    /// The next `elicitation/create` the server sends, with its params as they were on the wire.
    pub(super) async fn next_elicitation(&mut self) -> Elicitation {
        let mut elicitation = match timeout(TIMEOUT, self.elicitations.recv()).await {
            Ok(Some(elicitation)) => elicitation,
            Ok(None) => panic!("the client stopped\n{}", self.report()),
            Err(_) => panic!(
                "no elicitation/create within {TIMEOUT:?}\n{}",
                self.report()
            ),
        };
        let id = elicitation.id.clone();
        let (_, request) = self
            .wait_for_received("the elicitation request", |message| {
                message["method"] == "elicitation/create" && message.get("id") == Some(&id)
            })
            .await;
        elicitation.params = request["params"].clone();
        elicitation
    }

    /// Closes the client, which closes the server's stdin, and waits for the server to exit.
    /// Returns its exit code and how long it took.
    pub(super) async fn close(mut self) -> (Option<i32>, Duration) {
        let started = tokio::time::Instant::now();
        let closed = timeout(TIMEOUT, self.service.close()).await;
        assert!(closed.is_ok(), "rmcp did not close\n{}", self.report());
        let status = match timeout(TIMEOUT, self.child.wait()).await {
            Ok(status) => status.expect("waiting for the server failed"),
            Err(_) => panic!(
                "the server did not exit within {TIMEOUT:?} of its stdin closing\n{}",
                self.report()
            ),
        };
        (status.code(), started.elapsed())
    }
}

/// Collects the child's stderr as it comes.
fn capture_stderr(child: &mut Child) -> watch::Receiver<String> {
    let mut lines = BufReader::new(child.stderr.take().expect("stderr is piped"));
    let (sender, stderr) = watch::channel(String::new());
    tokio::spawn(async move {
        let mut line = Vec::new();
        while lines
            .read_until(b'\n', &mut line)
            .await
            .is_ok_and(|read| read > 0)
        {
            sender.send_modify(|text| text.push_str(&String::from_utf8_lossy(&line)));
            line.clear();
        }
    });
    stderr
}

fn report(record: &Record, stderr: &watch::Receiver<String>) -> String {
    let mut text = String::from("--- wire ---\n");
    for line in record.borrow().iter() {
        let arrow = if line.sent { '>' } else { '<' };
        let mut shown = line.message.to_string();
        if shown.len() > 2000 {
            let cut = (0..=2000)
                .rev()
                .find(|at| shown.is_char_boundary(*at))
                .unwrap_or(0);
            shown.truncate(cut);
            shown.push_str("...");
        }
        text.push_str(&format!("{arrow} {shown}\n"));
    }
    text.push_str(&format!(
        "--- server stderr ---\n{}",
        stderr.borrow().as_str()
    ));
    text
}

/// The result of a call that ended with the model saying `text` in thread `thread`.
pub(super) fn replied(thread: &str, text: &str) -> Value {
    json!({
        "content": [{"type": "text", "text": text}],
        "structuredContent": {"threadId": thread, "content": text},
    })
}

/// The thread a call's result names.
pub(super) fn thread_of(result: &Value) -> String {
    result["structuredContent"]["threadId"]
        .as_str()
        .unwrap_or_else(|| panic!("no threadId in {result}"))
        .to_owned()
}

/// The text of a result's first content block.
pub(super) fn text_of(result: &Value) -> &str {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text content in {result}"))
}

/// The bodies of the model requests the mock got so far (`POST …/responses`), leaving out any
/// other request, such as the models list.
pub(super) fn model_requests(live: &Live) -> Vec<Value> {
    live.model
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST" && request.path.ends_with("/responses"))
        .map(|request| request.json.expect("a JSON request"))
        .collect()
}

/// The messages of one model request's input as (role, text), every text part on its own.
pub(super) fn conversation(input: &Value) -> Vec<(String, String)> {
    let mut said = Vec::new();
    for item in input.as_array().into_iter().flatten() {
        if item["type"] != "message" {
            continue;
        }
        let role = item["role"].as_str().unwrap_or_default().to_owned();
        for part in item["content"].as_array().into_iter().flatten() {
            if let Some(text) = part["text"].as_str() {
                said.push((role.clone(), text.to_owned()));
            }
        }
    }
    said
}

/// `argv` joined the way a POSIX shell reads it back: words with nothing special as they are,
/// the others in single quotes.
pub(super) fn shell_join(argv: &[&str]) -> String {
    let plain = |word: &str| {
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
    };
    argv.iter()
        .map(|word| {
            if plain(word) {
                (*word).to_owned()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
