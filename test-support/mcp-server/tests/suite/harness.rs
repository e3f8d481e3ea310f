//! Starting the server, connecting rmcp's client to it, and reading its `--log`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use rmcp::ClientHandler;
use rmcp::ErrorData;
use rmcp::ServiceExt as _;
use rmcp::model::ClientCapabilities;
use rmcp::model::ClientConfig;
use rmcp::model::ElicitRequestParams;
use rmcp::model::ElicitResult;
use rmcp::model::ElicitationAction;
use rmcp::model::Implementation;
use rmcp::model::ProtocolVersion;
use rmcp::service::ClientInitializeError;
use rmcp::service::RequestContext;
use rmcp::service::RoleClient;
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::Value;
use serde_json::json;
use tempfile::TempDir;
use tokio::io::AsyncBufReadExt as _;
use tokio::io::BufReader;
use tokio::process::Child;
use tokio::process::Command;

/// How long a test waits for something the server should do promptly.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A client that introduces itself as the reference does and answers every elicitation with
/// one fixed action.
pub struct TestClient {
    pub elicitation_answer: ElicitationAction,
}

impl TestClient {
    pub fn accepting() -> Self {
        Self {
            elicitation_answer: ElicitationAction::Accept,
        }
    }
}

impl ClientHandler for TestClient {
    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let answer = ElicitResult::new(self.elicitation_answer.clone());
        Ok(match self.elicitation_answer {
            ElicitationAction::Accept => answer.with_content(json!({"confirm": true})),
            _ => answer,
        })
    }

    fn get_info(&self) -> ClientConfig {
        let capabilities: ClientCapabilities =
            serde_json::from_value(json!({"elicitation": {"form": {}}})).unwrap();
        let mut client_info = Implementation::new("codex-mcp-client", "0.101.0");
        client_info.title = Some("Codex".to_owned());
        ClientConfig::new(capabilities, client_info)
            .with_protocol_version(ProtocolVersion::V_2025_06_18)
    }
}

pub type Client = RunningService<RoleClient, TestClient>;

/// A scratch directory holding the server's `--log` file; it doubles as the server's working
/// directory.
pub struct Scratch {
    dir: TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn dir(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("events.jsonl")
    }

    /// Every event logged so far, in order.
    pub fn events(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        text.lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|error| panic!("bad log line {line:?}: {error}"))
            })
            .collect()
    }

    /// The logged events named `event`, in order.
    pub fn events_named(&self, event: &str) -> Vec<Value> {
        self.events()
            .into_iter()
            .filter(|logged| logged["event"] == event)
            .collect()
    }

    /// Waits until an event named `event` is logged and returns the first one.
    pub async fn wait_for_event(&self, event: &str) -> Value {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = self.events_named(event).into_iter().next() {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no `{event}` event was logged; the log has: {:#?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The server command with `--log` into this directory and this directory as its working
    /// directory; `TEST_MCP_MARKER` lets a test find its own environment in the `env` tool.
    pub fn server_command(&self, args: &[&str]) -> Command {
        let binary = codex_utils_cargo_bin::cargo_bin("test-mcp-server").unwrap();
        let mut command = Command::new(binary);
        command
            .arg("--log")
            .arg(self.log_path())
            .args(args)
            .current_dir(self.dir())
            .env("TEST_MCP_MARKER", "marker-value")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        command
    }
}

/// A server over stdio with a client connected to it.
pub struct StdioServer {
    pub child: Child,
    pub client: Client,
}

pub async fn start_stdio(scratch: &Scratch, args: &[&str], client: TestClient) -> StdioServer {
    let mut child = scratch.server_command(args).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let stdin = child.stdin.take().unwrap();
    let client = client.serve((stdout, stdin)).await.unwrap();
    StdioServer { child, client }
}

/// A server over streamable HTTP; `url` is its MCP endpoint.
pub struct HttpServer {
    pub child: Child,
    pub url: String,
}

impl HttpServer {
    /// The scheme, host and port the server listens on.
    pub fn origin(&self) -> &str {
        self.url.strip_suffix("/mcp").unwrap()
    }
}

pub async fn start_http(scratch: &Scratch, args: &[&str]) -> HttpServer {
    let mut all_args = vec!["--http", "127.0.0.1:0"];
    all_args.extend_from_slice(args);
    let mut child = scratch.server_command(&all_args).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    tokio::time::timeout(PATIENCE, BufReader::new(stdout).read_line(&mut line))
        .await
        .expect("the server did not say where it listens")
        .unwrap();
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line on stdout: {line:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    HttpServer { child, url }
}

/// Starts a server over HTTP and connects a client to it without a token.
pub async fn start_http_connected(
    scratch: &Scratch,
    args: &[&str],
    client: TestClient,
) -> (HttpServer, Client) {
    let server = start_http(scratch, args).await;
    let client = connect_http(&server.url, None, client).await.unwrap();
    (server, client)
}

/// Connects rmcp's streamable HTTP client, with `Authorization: Bearer <token>` if given.
pub async fn connect_http(
    url: &str,
    token: Option<&str>,
    client: TestClient,
) -> Result<Client, ClientInitializeError> {
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    let mut config = StreamableHttpClientTransportConfig::with_uri(url);
    if let Some(token) = token {
        config = config.auth_header(token);
    }
    client
        .serve(StreamableHttpClientTransport::from_config(config))
        .await
}

/// A plain HTTP client that does not follow redirects, for the endpoints around MCP.
pub fn http_client() -> reqwest::Client {
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A raw MCP `initialize` POST with this bearer token, for the status and challenge.
pub async fn post_initialize(server: &HttpServer, token: Option<&str>) -> reqwest::Response {
    let mut request = http_client()
        .post(&server.url)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "0"},
            },
        }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}
