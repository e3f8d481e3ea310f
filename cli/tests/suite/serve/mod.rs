//! `codex app-server` serving real clients over stdio and WebSocket, and the test client the
//! tests share.
//!
//! Every test starts the built binary in a temporary home with an otherwise empty environment
//! and talks to it as an editor would. A failing assertion prints what the client sent, what
//! came back and what the server wrote on stderr.

mod backpressure;
mod lifecycle;
mod logging;
mod stdio;
mod websocket;

use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use futures::SinkExt;
use futures::StreamExt;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;
use tempfile::TempDir;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio::process::Child;
use tokio::process::ChildStdin;
use tokio::process::ChildStdout;
use tokio::process::Command;
use tokio::sync::watch;
use tokio::time::timeout;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderName;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::codex_bin;

/// The longest any one wait may take. Generous for slow CI machines; a passing test never
/// spends it.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The listen address every WebSocket test uses unless it tests the address itself.
pub const LOOPBACK: &str = "ws://127.0.0.1:0";

/// The requests a connection may have waiting to be handled before new ones are refused
/// (`INGRESS_CAPACITY` in app-server/src/session.rs). The first this many requests a client
/// pipelines are always accepted; past them, whether a request is refused depends on how fast
/// the server handles them, so tests that pipeline more accept either answer.
pub const INGRESS_CAPACITY: u64 = 128;

/// The answer to a request that found the ingress queue full.
pub fn overloaded(id: u64) -> Value {
    json!({"id": id, "error": {"code": -32001, "message": "Server overloaded; retry later."}})
}

/// A `mock/experimentalMethod` request, which answers with the value it was given.
pub fn echo(id: u64, value: &str) -> Value {
    json!({"id": id, "method": "mock/experimentalMethod", "params": {"value": value}})
}

/// The answer to [`echo`].
pub fn echoed(id: u64, value: &str) -> Value {
    json!({"id": id, "result": {"echoed": value}})
}

/// The value request `id` of a flood asks to have echoed: about 1 KiB, so that the answers
/// fill the stdout pipe long before the requests run out.
pub fn flood_value(id: u64) -> String {
    format!("{id}:{}", "x".repeat(1024))
}

/// How the requests of a pipelined burst were answered.
#[derive(Debug, PartialEq, Eq)]
pub struct Tally {
    pub served: u64,
    pub refused: u64,
}

/// Checks that `answers` hold exactly one answer to each of `echo(id, &value(id))` for ids
/// `1..=count`, in any order, each either its echo or refused as overloaded.
pub fn tally(
    client: &Client,
    answers: Vec<Value>,
    count: u64,
    value: impl Fn(u64) -> String,
) -> Tally {
    let mut by_id = BTreeMap::new();
    for answer in answers {
        let id = answer["id"].as_u64().filter(|id| (1..=count).contains(id));
        let Some(id) = id else {
            panic!("an answer to no request: {answer}\n{}", client.report());
        };
        if let Some(first) = by_id.insert(id, answer) {
            panic!(
                "request {id} answered twice, first {first}\n{}",
                client.report()
            );
        }
    }
    let unanswered: Vec<u64> = (1..=count).filter(|id| !by_id.contains_key(id)).collect();
    assert_eq!(unanswered, Vec::<u64>::new(), "{}", client.report());
    let mut tally = Tally {
        served: 0,
        refused: 0,
    };
    let mut wrong = Vec::new();
    for (id, answer) in by_id {
        if answer == echoed(id, &value(id)) {
            tally.served += 1;
        } else if answer == overloaded(id) {
            tally.refused += 1;
        } else {
            wrong.push(answer);
        }
    }
    assert_eq!(wrong, Vec::<Value>::new(), "{}", client.report());
    tally
}

/// A running `codex app-server` (or, for the parent-death test, the shell that started one),
/// killed when dropped so that a failing test leaves nothing behind.
pub struct Server {
    child: Child,
    /// What the process wrote on stderr so far; the sender goes away at end of file.
    stderr: watch::Receiver<String>,
    /// The address announced in the banner, for WebSocket servers.
    announced: Option<SocketAddr>,
    /// HOME and CODEX_HOME of the process.
    _home: TempDir,
}

impl Server {
    /// Starts `program` with only `HOME` and `CODEX_HOME` (a fresh temporary directory) and
    /// `env` in its environment, all three standard streams piped.
    pub fn spawn(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let home = tempfile::tempdir().expect("no temp dir");
        let mut child = Command::new(program)
            .args(args)
            .current_dir(home.path())
            .env_clear()
            .env("HOME", home.path())
            .env("CODEX_HOME", home.path())
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("could not start {program:?} {args:?}: {error}"));
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
        Self {
            child,
            stderr,
            announced: None,
            _home: home,
        }
    }

    /// `codex app-server` with these arguments.
    pub fn codex(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut all = vec!["app-server"];
        all.extend_from_slice(args);
        Self::spawn(codex_bin(), &all, env)
    }

    /// A stdio server and the client on its stdin and stdout.
    pub fn stdio(env: &[(&str, &str)]) -> (Self, Client) {
        Self::codex(&[], env).with_stdio_client()
    }

    /// The client on a started server's stdin and stdout.
    pub fn with_stdio_client(mut self) -> (Self, Client) {
        let stdin = self.child.stdin.take().expect("stdin is piped");
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let client = Client::new(
            "stdio",
            Wire::Stdio {
                stdin: Some(stdin),
                stdout: BufReader::new(stdout),
            },
            self.stderr.clone(),
        );
        (self, client)
    }

    /// A WebSocket server listening on `listen`, once it has printed its banner.
    pub async fn websocket(listen: &str, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut all = vec!["--listen", listen];
        all.extend_from_slice(args);
        let mut server = Self::codex(&all, env);
        let prefix = "  listening on: ws://";
        // The banner ends with a note on who may connect.
        let banner = server
            .wait_for_stderr(|text| text.lines().any(|line| line.starts_with("  note: ")))
            .await;
        let address = banner
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no address in the banner:\n{banner}"));
        server.announced = Some(address);
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("the server is running")
    }

    /// Everything the process wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.borrow().clone()
    }

    /// Waits until stderr satisfies `done`, and returns it; fails if the process closes stderr
    /// (exits) first.
    pub async fn wait_for_stderr(&mut self, done: impl Fn(&str) -> bool) -> String {
        let mut stderr = self.stderr.clone();
        let waited = timeout(TIMEOUT, async {
            stderr.wait_for(|text| done(text)).await.is_ok()
        });
        match waited.await {
            Ok(true) => self.stderr(),
            Ok(false) => panic!(
                "stderr ended (exit status {:?}) before what the test waits for:\n{}",
                self.child.try_wait(),
                self.stderr()
            ),
            Err(_) => panic!(
                "stderr did not show what the test waits for within {TIMEOUT:?}:\n{}",
                self.stderr()
            ),
        }
    }

    /// Waits for the end of stderr, which comes when every process holding it has exited.
    pub async fn stderr_closed(&self) -> String {
        let mut stderr = self.stderr.clone();
        let closed = timeout(TIMEOUT, async { while stderr.changed().await.is_ok() {} });
        if closed.await.is_err() {
            panic!("stderr still open after {TIMEOUT:?}:\n{}", self.stderr());
        }
        self.stderr()
    }

    /// Waits for the process to exit and returns its exit code and complete stderr.
    pub async fn exit(mut self) -> (Option<i32>, String) {
        let status = match timeout(TIMEOUT, self.child.wait()).await {
            Ok(status) => status.expect("waiting for the server failed"),
            Err(_) => panic!(
                "the server did not exit within {TIMEOUT:?}; stderr:\n{}",
                self.stderr()
            ),
        };
        let stderr = self.stderr_closed().await;
        (status.code(), stderr)
    }

    /// Whether the process has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal (`TERM`, `KILL`) with the `kill` command.
    pub fn signal(&self, name: &str) {
        send_signal(self.pid(), name);
    }

    /// Where a client connects to reach the announced address.
    pub fn address(&self) -> SocketAddr {
        let mut address = self.announced.expect("a WebSocket server");
        if address.ip().is_unspecified() {
            address.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        address
    }

    /// The announced address as it appears in the banner.
    pub fn announced(&self) -> SocketAddr {
        self.announced.expect("a WebSocket server")
    }

    /// Opens a WebSocket connection, failing the test if the handshake is refused.
    pub async fn connect(&self) -> Client {
        match self.connect_with(&[]).await {
            Ok((client, _)) => client,
            Err(error) => panic!(
                "the handshake failed: {error}\nserver stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Opens a WebSocket connection whose handshake carries `headers`, and returns the
    /// handshake's response headers with it.
    pub async fn connect_with(
        &self,
        headers: &[(&str, &str)],
    ) -> Result<(Client, tungstenite::http::HeaderMap), tungstenite::Error> {
        let mut request = format!("ws://{}/", self.address()).into_client_request()?;
        for (name, value) in headers {
            request.headers_mut().insert(
                HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        // Without Nagle's algorithm, small pipelined frames are not held back for an ACK.
        let connecting = tokio_tungstenite::connect_async_with_config(request, None, true);
        let (stream, response) = timeout(TIMEOUT, connecting)
            .await
            .unwrap_or_else(|_| panic!("no handshake within {TIMEOUT:?}:\n{}", self.stderr()))?;
        let client = Client::new(
            "websocket",
            Wire::WebSocket(Box::new(stream)),
            self.stderr.clone(),
        );
        Ok((client, response.headers().clone()))
    }

    /// The status and body of a refused handshake carrying `headers`.
    pub async fn refused(&self, headers: &[(&str, &str)]) -> (u16, String) {
        match self.connect_with(headers).await {
            Err(tungstenite::Error::Http(response)) => {
                let body = response.body().as_deref().unwrap_or_default();
                (
                    response.status().as_u16(),
                    String::from_utf8_lossy(body).into_owned(),
                )
            }
            Err(error) => panic!(
                "the handshake with {headers:?} failed without an HTTP answer: {error}\n\
                 server stderr:\n{}",
                self.stderr()
            ),
            Ok(_) => panic!(
                "the handshake with {headers:?} was accepted\nserver stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Sends a plain HTTP/1.1 `GET path` with `headers` and returns the status and body.
    pub async fn http_get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
        let address = self.address();
        let mut request =
            format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        let exchange = async {
            let mut stream = TcpStream::connect(address).await?;
            stream.write_all(request.as_bytes()).await?;
            let mut response = String::new();
            stream.read_to_string(&mut response).await?;
            Ok::<_, std::io::Error>(response)
        };
        let response = match timeout(TIMEOUT, exchange).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => panic!("GET {path} failed: {error}\nstderr:\n{}", self.stderr()),
            Err(_) => panic!(
                "GET {path} took over {TIMEOUT:?}\nstderr:\n{}",
                self.stderr()
            ),
        };
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or_else(|| panic!("no status line in:\n{response}"));
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

/// Sends a signal (`TERM`, `KILL`) to a process with the `kill` command.
pub fn send_signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .args(["-s", name, &pid.to_string()])
        .status()
        .unwrap_or_else(|error| panic!("could not run kill: {error}"));
    assert!(status.success(), "kill -s {name} {pid} failed: {status}");
}

enum Wire {
    Stdio {
        /// `None` once the input is closed or handed to the test.
        stdin: Option<ChildStdin>,
        stdout: BufReader<ChildStdout>,
    },
    WebSocket(Box<WebSocketStream<MaybeTlsStream<TcpStream>>>),
}

/// One client connection that speaks JSON values and keeps a transcript for failure messages.
pub struct Client {
    name: &'static str,
    wire: Wire,
    /// Messages read while looking for another one, in order of arrival.
    unclaimed: VecDeque<Value>,
    /// `> sent`, `< received` and `# notes`, each cut to a readable length.
    transcript: Vec<String>,
    stderr: watch::Receiver<String>,
}

impl Client {
    fn new(name: &'static str, wire: Wire, stderr: watch::Receiver<String>) -> Self {
        Self {
            name,
            wire,
            unclaimed: VecDeque::new(),
            transcript: Vec::new(),
            stderr,
        }
    }

    /// What this client sent and received, and the server's stderr.
    pub fn report(&self) -> String {
        const HEAD: usize = 20;
        const TAIL: usize = 60;
        let mut lines: Vec<&str> = self.transcript.iter().map(String::as_str).collect();
        let skipped = lines.len().saturating_sub(HEAD + TAIL);
        let note = format!("... {skipped} more ...");
        if skipped > 0 {
            lines.splice(HEAD..HEAD + skipped, [note.as_str()]);
        }
        format!(
            "--- {} client: sent (>) and received (<) ---\n{}\n--- server stderr ---\n{}",
            self.name,
            lines.join("\n"),
            *self.stderr.borrow()
        )
    }

    /// Adds a line to the transcript, for what the test does beside sending and receiving.
    pub fn note(&mut self, note: &str) {
        self.transcript.push(format!("# {note}"));
    }

    fn record(&mut self, direction: char, text: &str) {
        const LONGEST: usize = 300;
        let shown = match text.char_indices().nth(LONGEST) {
            Some((end, _)) => format!("{}... ({} bytes)", &text[..end], text.len()),
            None => text.to_owned(),
        };
        self.transcript.push(format!("{direction} {shown}"));
    }

    pub async fn send(&mut self, message: &Value) {
        self.send_text(&message.to_string()).await;
    }

    /// Sends one message's text: a line on stdio, a text frame on WebSocket.
    pub async fn send_text(&mut self, text: &str) {
        self.record('>', text);
        let sent = match &mut self.wire {
            Wire::Stdio { stdin, .. } => {
                let stdin = stdin.as_mut().expect("stdin is still open");
                let line = format!("{text}\n");
                timeout(TIMEOUT, async {
                    stdin.write_all(line.as_bytes()).await?;
                    stdin.flush().await
                })
                .await
                .map(|written| written.map_err(|error| error.to_string()))
            }
            Wire::WebSocket(stream) => timeout(TIMEOUT, stream.send(Message::text(text)))
                .await
                .map(|sent| sent.map_err(|error| error.to_string())),
        };
        match sent {
            Ok(Ok(())) => {}
            Ok(Err(error)) => panic!("sending failed: {error}\n{}", self.report()),
            Err(_) => panic!("sending took over {TIMEOUT:?}\n{}", self.report()),
        }
    }

    /// Reads the next message off the wire; `None` when the server closed the connection.
    async fn read(&mut self) -> Option<Value> {
        let text = match &mut self.wire {
            Wire::Stdio { stdout, .. } => {
                let mut line = String::new();
                match stdout.read_line(&mut line).await {
                    Ok(0) => return None,
                    Ok(_) => line,
                    Err(error) => panic!("reading stdout failed: {error}\n{}", self.report()),
                }
            }
            Wire::WebSocket(stream) => loop {
                match stream.next().await {
                    Some(Ok(Message::Text(text))) => break text.to_string(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => return None,
                    Some(Ok(other)) => panic!("unexpected frame {other:?}\n{}", self.report()),
                    Some(Err(error)) => panic!("reading failed: {error}\n{}", self.report()),
                }
            },
        };
        self.record('<', text.trim_end());
        match serde_json::from_str(&text) {
            Ok(value) => Some(value),
            Err(error) => panic!("not a JSON message ({error}): {text:?}\n{}", self.report()),
        }
    }

    /// The next message, whatever it is.
    pub async fn next(&mut self) -> Value {
        if let Some(message) = self.unclaimed.pop_front() {
            return message;
        }
        match timeout(TIMEOUT, self.read()).await {
            Ok(Some(message)) => message,
            Ok(None) => panic!("the connection closed\n{}", self.report()),
            Err(_) => panic!("nothing arrived within {TIMEOUT:?}\n{}", self.report()),
        }
    }

    /// The answer to the request with `id`; other messages that arrive first are kept for
    /// later calls.
    pub async fn answer(&mut self, id: &Value) -> Value {
        let is_answer = |message: &Value| message.get("method").is_none() && message["id"] == *id;
        if let Some(index) = self.unclaimed.iter().position(is_answer) {
            return self.unclaimed.remove(index).expect("the index is in range");
        }
        loop {
            match timeout(TIMEOUT, self.read()).await {
                Ok(Some(message)) if is_answer(&message) => return message,
                Ok(Some(message)) => self.unclaimed.push_back(message),
                Ok(None) => panic!("closed before answering {id}\n{}", self.report()),
                Err(_) => panic!("no answer to {id} within {TIMEOUT:?}\n{}", self.report()),
            }
        }
    }

    /// Sends a request and returns its answer.
    pub async fn request(&mut self, request: &Value) -> Value {
        self.send(request).await;
        self.answer(&request["id"]).await
    }

    /// Answers a request the server sent (an approval, say) with `result`.
    pub async fn respond(&mut self, id: &Value, result: Value) {
        self.send(&json!({"id": id, "result": result})).await;
    }

    /// Sends a request and checks its whole answer.
    pub async fn check(&mut self, request: Value, expected: Value) {
        let answer = self.request(&request).await;
        assert_eq!(answer, expected, "{}", self.report());
    }

    /// Performs the handshake as client `t` version `1` (request id 0) and returns the user
    /// agent the server announced.
    pub async fn initialize(&mut self, experimental: bool) -> String {
        let answer = self
            .request(&json!({"id": 0, "method": "initialize", "params": {
                "clientInfo": {"name": "t", "version": "1"},
                "capabilities": {
                    "experimentalApi": experimental,
                    "optOutNotificationMethods": ["thread/started", "item/agentMessage/delta"],
                },
            }}))
            .await;
        let user_agent = answer["result"]["userAgent"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // `t/<server version> (<os> <os version>; <arch>) <terminal> (t; 1)`; the server has
        // no TERM in its environment.
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            user_agent.starts_with(&format!("t/{version} ("))
                && user_agent.ends_with(") unknown (t; 1)")
                && user_agent.contains("; "),
            "an unexpected user agent\n{}",
            self.report()
        );
        assert_eq!(
            answer,
            json!({"id": 0, "result": {"userAgent": user_agent}}),
            "{}",
            self.report()
        );
        self.send(&json!({"method": "initialized"})).await;
        user_agent
    }

    /// Writes `echo(id, &value(id))` for ids `1..=count` to stdin without reading anything,
    /// and returns once the server has read them all.
    ///
    /// The writing happens in another task, so a server that stopped reading would fail the
    /// test rather than deadlock it. After the requests comes a blank line longer than any
    /// pipe buffer, which the server skips: once it is written, the server has read
    /// everything before it.
    pub async fn write_burst(&mut self, count: u64, value: impl Fn(u64) -> String) {
        let Wire::Stdio { stdin, .. } = &mut self.wire else {
            panic!("only a stdio client writes bursts");
        };
        let mut pipe = stdin.take().expect("stdin is still open");
        let mut text: String = (1..=count)
            .map(|id| format!("{}\n", echo(id, &value(id))))
            .collect();
        text.push_str(&" ".repeat(1 << 20));
        text.push('\n');
        self.note(&format!(
            "{count} echo requests with ids 1..={count} written at once by another task"
        ));
        let writer = tokio::spawn(async move {
            pipe.write_all(text.as_bytes()).await?;
            pipe.flush().await?;
            Ok::<_, std::io::Error>(pipe)
        });
        match timeout(TIMEOUT, writer).await {
            Ok(Ok(Ok(pipe))) => {
                if let Wire::Stdio { stdin, .. } = &mut self.wire {
                    *stdin = Some(pipe);
                }
            }
            Ok(Ok(Err(error))) => panic!("writing the burst failed: {error}\n{}", self.report()),
            Ok(Err(error)) => panic!("the writing task failed: {error}\n{}", self.report()),
            Err(_) => panic!("writing took over {TIMEOUT:?}\n{}", self.report()),
        }
    }

    /// Ends the input: closes stdin, or sends a close frame.
    pub async fn close_input(&mut self) {
        self.note("closing the input");
        match &mut self.wire {
            Wire::Stdio { stdin, .. } => drop(stdin.take()),
            Wire::WebSocket(stream) => {
                let closing = timeout(TIMEOUT, WebSocketStream::close(stream, None)).await;
                assert!(
                    matches!(closing, Ok(Ok(()))),
                    "closing failed: {closing:?}\n{}",
                    self.report()
                );
            }
        }
    }

    /// Every message until the server closes the connection.
    pub async fn rest(&mut self) -> Vec<Value> {
        let mut messages: Vec<Value> = self.unclaimed.drain(..).collect();
        loop {
            match timeout(TIMEOUT, self.read()).await {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => return messages,
                Err(_) => panic!("still open after {TIMEOUT:?}\n{}", self.report()),
            }
        }
    }

    /// The raw WebSocket, for tests of frames rather than messages.
    pub fn websocket(&mut self) -> &mut WebSocketStream<MaybeTlsStream<TcpStream>> {
        match &mut self.wire {
            Wire::WebSocket(stream) => stream,
            Wire::Stdio { .. } => panic!("a stdio client has no WebSocket"),
        }
    }

    /// Reads to the end of the connection and checks that the server said goodbye with a close
    /// frame and nothing else.
    pub async fn expect_close(&mut self) {
        let mut frames = Vec::new();
        while let Some(frame) = self.next_frame().await {
            frames.push(frame);
        }
        assert!(
            matches!(frames.as_slice(), [Message::Close(_)]),
            "expected a close frame and then the end\n{}",
            self.report()
        );
    }

    /// The next frame of any kind, `None` when the connection ended.
    pub async fn next_frame(&mut self) -> Option<Message> {
        let next = timeout(TIMEOUT, self.websocket().next()).await;
        let frame = match next {
            Ok(Some(Ok(frame))) => Some(frame),
            Ok(None) => None,
            Ok(Some(Err(error))) => panic!("reading failed: {error}\n{}", self.report()),
            Err(_) => panic!("no frame within {TIMEOUT:?}\n{}", self.report()),
        };
        let shown = format!("{frame:?}");
        self.record('<', &shown);
        frame
    }
}

/// The handshake rules, the same on every transport and for every connection: nothing but
/// `initialize` before it, `initialize` only once, then requests are served.
pub async fn check_handshake(client: &mut Client) {
    let not_initialized =
        |id: u64| json!({"id": id, "error": {"code": -32600, "message": "Not initialized"}});
    client
        .check(
            json!({"id": 1, "method": "getUserAgent"}),
            not_initialized(1),
        )
        .await;
    client.check(echo(2, "early"), not_initialized(2)).await;
    let user_agent = client.initialize(true).await;
    client
        .check(
            json!({"id": 3, "method": "getUserAgent"}),
            json!({"id": 3, "result": {"userAgent": user_agent}}),
        )
        .await;
    client
        .check(
            json!({"id": 4, "method": "initialize", "params": {
                "clientInfo": {"name": "again", "version": "2"},
            }}),
            json!({"id": 4, "error": {"code": -32600, "message": "Already initialized"}}),
        )
        .await;
    client.check(echo(5, "after"), echoed(5, "after")).await;
}
