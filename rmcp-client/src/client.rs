//! One connection to one MCP server, on rmcp: the handshake as the reference does it, and the
//! requests the agent makes, each bounded by a timeout and cancelled on the server when the
//! caller stops waiting.
//!
//! rmcp's types stay in here; callers see `codex_protocol::mcp` types and `serde_json` values.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use anyhow::anyhow;
use codex_config::McpServerConfig;
use codex_config::McpServerTransportConfig;
use codex_protocol::mcp::CallToolResult;
use codex_protocol::mcp::RequestId;
use codex_protocol::mcp::Resource;
use codex_protocol::mcp::ResourceTemplate;
use codex_protocol::mcp::Tool;
use futures::future::BoxFuture;
use rmcp::ClientHandler;
use rmcp::RoleClient;
use rmcp::model::CallToolRequestParams;
use rmcp::model::ClientCapabilities;
use rmcp::model::ClientConfig;
use rmcp::model::ElicitRequestParams;
use rmcp::model::ElicitResult;
use rmcp::model::ElicitationCapability;
use rmcp::model::FormElicitationCapability;
use rmcp::model::Implementation;
use rmcp::model::NumberOrString;
use rmcp::model::PaginatedRequestParams;
use rmcp::model::ProtocolVersion;
use rmcp::model::ReadResourceRequestParams;
use rmcp::service::RequestContext;
use rmcp::service::RunningService;
use rmcp::service::ServiceError;
use rmcp::service::serve_client;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::io::BufReader;
use tokio::process::Child;

use crate::fresh_bearer::FreshBearerClient;
use crate::launch;
use crate::launch::ProcessGroup;
use crate::launch::ServerCommand;

/// The version the reference reports in `clientInfo`.
const CLIENT_VERSION: &str = "0.101.0";

/// A server's request for input from the user (`elicitation/create`).
#[derive(Debug, Clone, PartialEq)]
pub struct ElicitationRequest {
    pub server: String,
    pub id: RequestId,
    pub message: String,
    /// The form's JSON schema; `null` for a URL elicitation.
    pub requested_schema: serde_json::Value,
}

/// The user's answer to an [`ElicitationRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ElicitationResponse {
    pub action: ElicitationAction,
    pub content: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElicitationAction {
    Accept,
    Decline,
    Cancel,
}

impl ElicitationResponse {
    pub fn decline() -> Self {
        Self {
            action: ElicitationAction::Decline,
            content: None,
        }
    }
}

/// Asks the user to answer a server's elicitation; the connection declines it when no answer
/// comes within the server's tool timeout.
pub type ElicitationHandler =
    Arc<dyn Fn(ElicitationRequest) -> BoxFuture<'static, ElicitationResponse> + Send + Sync>;

/// Where a streamable HTTP server's bearer token comes from when `bearer_token_env_var` is not
/// set (the OAuth credentials store). It is asked before every request, so it should be cheap
/// when nothing changed.
pub trait BearerSource: Send + Sync {
    fn bearer_token<'a>(&'a self, server: &'a str, url: &'a str) -> BoxFuture<'a, Option<String>>;
}

/// What a connection needs besides the server's config.
#[derive(Clone)]
pub struct ConnectOptions {
    /// The `codex` executable, which launches stdio servers (`codex mcp-launch`).
    pub codex_exe: PathBuf,
    /// The thread's cwd: a stdio server's `cwd` is resolved against it, or it is the cwd.
    pub cwd: PathBuf,
    pub bearer: Option<Arc<dyn BearerSource>>,
    pub elicitation: Option<ElicitationHandler>,
}

/// A running connection. Dropping it closes the connection and kills a stdio server's whole
/// process group.
pub struct McpClient {
    service: RunningService<RoleClient, CodexClientHandler>,
    tool_timeout: Duration,
    // Kept for their Drop too: the group is killed, and tokio reaps the launcher.
    process: Option<(Child, ProcessGroup)>,
}

impl McpClient {
    /// Starts `config`'s server and completes the MCP handshake within its startup timeout.
    /// Errors read as the reference's startup failures (e.g. `No such file or directory (os
    /// error 2)`, `timed out handshaking with MCP server after 10s`).
    pub async fn connect(
        server: &str,
        config: &McpServerConfig,
        options: &ConnectOptions,
    ) -> anyhow::Result<Self> {
        let handler = CodexClientHandler::new(server, config.tool_timeout, options);
        match &config.transport {
            McpServerTransportConfig::Stdio {
                command,
                args,
                env,
                env_vars,
                cwd,
            } => {
                let command = ServerCommand {
                    program: command.clone(),
                    args: args.clone(),
                    env: env.clone(),
                    env_vars: env_vars.clone(),
                    cwd: cwd
                        .as_ref()
                        .map_or_else(|| options.cwd.clone(), |cwd| options.cwd.join(cwd)),
                };
                let (mut child, group) = launch::spawn_server(&options.codex_exe, &command)?;
                if let Some(stderr) = child.stderr.take() {
                    tokio::spawn(log_stderr(server.to_owned(), stderr));
                }
                let (Some(stdout), Some(stdin)) = (child.stdout.take(), child.stdin.take()) else {
                    return Err(anyhow!("the MCP server's stdio was not piped"));
                };
                let service = handshake(handler, (stdout, stdin), config.startup_timeout).await?;
                Ok(Self {
                    service,
                    tool_timeout: config.tool_timeout,
                    process: Some((child, group)),
                })
            }
            McpServerTransportConfig::StreamableHttp {
                url,
                bearer_token_env_var,
                http_headers,
                env_http_headers,
            } => {
                let token = match bearer_token_env_var {
                    Some(var) => Some(bearer_from_env(server, var)?),
                    None => None,
                };
                codex_utils_rustls_provider::ensure_rustls_crypto_provider();
                let http = reqwest::Client::builder()
                    .default_headers(header_map(http_headers, env_http_headers))
                    .build()?;
                let mut transport_config =
                    StreamableHttpClientTransportConfig::with_uri(url.as_str());
                let service = match (token, &options.bearer) {
                    (Some(token), _) => {
                        transport_config = transport_config.auth_header(token);
                        let transport =
                            StreamableHttpClientTransport::with_client(http, transport_config);
                        handshake(handler, transport, config.startup_timeout).await?
                    }
                    // Stored OAuth tokens are asked for on every request, so one refreshed
                    // while the connection is open is the one sent.
                    (None, Some(source)) => {
                        let http = FreshBearerClient::new(http, server, url, source.clone());
                        let transport =
                            StreamableHttpClientTransport::with_client(http, transport_config);
                        handshake(handler, transport, config.startup_timeout).await?
                    }
                    (None, None) => {
                        let transport =
                            StreamableHttpClientTransport::with_client(http, transport_config);
                        handshake(handler, transport, config.startup_timeout).await?
                    }
                };
                Ok(Self {
                    service,
                    tool_timeout: config.tool_timeout,
                    process: None,
                })
            }
        }
    }

    /// Completes the handshake over an already open byte stream (a test's in-process server).
    pub async fn connect_io<R, W>(
        server: &str,
        reader: R,
        writer: W,
        config: &McpServerConfig,
        elicitation: Option<ElicitationHandler>,
    ) -> anyhow::Result<Self>
    where
        R: AsyncRead + Send + Unpin + 'static,
        W: AsyncWrite + Send + Unpin + 'static,
    {
        let handler = CodexClientHandler {
            server: server.to_owned(),
            elicitation,
            elicitation_timeout: config.tool_timeout,
        };
        let service = handshake(handler, (reader, writer), config.startup_timeout).await?;
        Ok(Self {
            service,
            tool_timeout: config.tool_timeout,
            process: None,
        })
    }

    /// Every tool, following `nextCursor`, within `timeout`.
    pub async fn list_all_tools(&self, timeout: Duration) -> anyhow::Result<Vec<Tool>> {
        let peer = self.service.peer();
        let all = all_pages("tools/list", |cursor| async move {
            let page = peer.list_tools(page_params(cursor)).await?;
            let tools = page
                .tools
                .iter()
                .map(convert)
                .collect::<anyhow::Result<_>>()?;
            Ok((tools, page.next_cursor))
        });
        with_timeout("tools/list", timeout, all).await
    }

    /// One page of resources.
    pub async fn list_resources(
        &self,
        cursor: Option<String>,
    ) -> anyhow::Result<(Vec<Resource>, Option<String>)> {
        let peer = self.service.peer();
        let page = with_timeout("resources/list", self.tool_timeout, async {
            Ok(peer.list_resources(page_params(cursor)).await?)
        })
        .await?;
        let resources = page
            .resources
            .iter()
            .map(convert)
            .collect::<anyhow::Result<_>>()?;
        Ok((resources, page.next_cursor))
    }

    /// One page of resource templates.
    pub async fn list_resource_templates(
        &self,
        cursor: Option<String>,
    ) -> anyhow::Result<(Vec<ResourceTemplate>, Option<String>)> {
        let peer = self.service.peer();
        let page = with_timeout("resources/templates/list", self.tool_timeout, async {
            Ok(peer.list_resource_templates(page_params(cursor)).await?)
        })
        .await?;
        let templates = page
            .resource_templates
            .iter()
            .map(convert)
            .collect::<anyhow::Result<_>>()?;
        Ok((templates, page.next_cursor))
    }

    /// Every resource, following `nextCursor`.
    pub async fn list_all_resources(&self) -> anyhow::Result<Vec<Resource>> {
        all_pages("resources/list", |cursor| self.list_resources(cursor)).await
    }

    /// Every resource template, following `nextCursor`.
    pub async fn list_all_resource_templates(&self) -> anyhow::Result<Vec<ResourceTemplate>> {
        all_pages("resources/templates/list", |cursor| {
            self.list_resource_templates(cursor)
        })
        .await
    }

    /// Reads a resource: `{"contents": [...]}` as the server sent them.
    pub async fn read_resource(&self, uri: &str) -> anyhow::Result<serde_json::Value> {
        let peer = self.service.peer();
        let result = with_timeout("resources/read", self.tool_timeout, async {
            Ok(peer
                .read_resource(ReadResourceRequestParams::new(uri.to_owned()))
                .await?)
        })
        .await?;
        let contents = serde_json::to_value(&result.contents)?;
        Ok(serde_json::json!({ "contents": contents }))
    }

    /// Calls a tool within the server's tool timeout. Dropping the future before it finishes
    /// (an interrupted turn), or the timeout expiring, sends `notifications/cancelled` for the
    /// request.
    pub async fn call_tool(
        &self,
        tool: &str,
        arguments: Option<serde_json::Value>,
    ) -> anyhow::Result<CallToolResult> {
        let arguments = match arguments {
            None => None,
            Some(serde_json::Value::Object(map)) => Some(map),
            Some(_) => return Err(anyhow!("MCP tool arguments must be a JSON object")),
        };
        let mut params = CallToolRequestParams::new(tool.to_owned());
        params.arguments = arguments;
        let peer = self.service.peer();
        // rmcp sends `notifications/cancelled` when this request's future is dropped.
        let result = with_timeout("tools/call", self.tool_timeout, async {
            Ok(peer.call_tool(params).await?)
        })
        .await?;
        let mut value = serde_json::to_value(&result)?;
        if let Some(object) = value.as_object_mut()
            && object.get("content").is_none_or(serde_json::Value::is_null)
        {
            object.insert("content".to_owned(), serde_json::Value::Array(Vec::new()));
        }
        serde_json::from_value(value).context("failed to convert call tool result")
    }

    /// Whether the connection has ended (the server exited or closed it).
    pub fn is_closed(&self) -> bool {
        self.service.is_transport_closed()
    }

    /// Ends the connection now, killing a stdio server's process group.
    pub fn kill(&self) {
        self.service.cancellation_token().cancel();
        if let Some((_, group)) = &self.process {
            group.kill();
        }
    }
}

/// Collects every page of a paged list, refusing a server that repeats a cursor.
async fn all_pages<T, F, Fut>(label: &str, mut page: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = anyhow::Result<(Vec<T>, Option<String>)>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let (mut more, next) = page(cursor.clone()).await?;
        items.append(&mut more);
        match next {
            Some(next) if cursor.as_ref() == Some(&next) => {
                return Err(anyhow!("{label} returned duplicate cursor"));
            }
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

async fn handshake<T, E, A>(
    handler: CodexClientHandler,
    transport: T,
    timeout: Duration,
) -> anyhow::Result<RunningService<RoleClient, CodexClientHandler>>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(timeout, serve_client(handler, transport)).await {
        Ok(Ok(service)) => Ok(service),
        Ok(Err(error)) => Err(anyhow!("handshaking with MCP server failed: {error}")),
        Err(_) => Err(anyhow!(
            "timed out handshaking with MCP server after {timeout:?}"
        )),
    }
}

/// Runs one request with the reference's error texts: `timed out awaiting LABEL after D` and
/// `LABEL failed: ERROR`.
async fn with_timeout<T>(
    label: &str,
    timeout: Duration,
    request: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    match tokio::time::timeout(timeout, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => match error.downcast::<ServiceError>() {
            Ok(service_error) => Err(anyhow!("{label} failed: {service_error}")),
            Err(other) => Err(other),
        },
        Err(_) => Err(anyhow!("timed out awaiting {label} after {timeout:?}")),
    }
}

fn page_params(cursor: Option<String>) -> Option<PaginatedRequestParams> {
    cursor.map(|cursor| {
        let mut params = PaginatedRequestParams::default();
        params.cursor = Some(cursor);
        params
    })
}

/// rmcp's type to ours, through their common JSON form.
fn convert<T: Serialize, U: DeserializeOwned>(value: &T) -> anyhow::Result<U> {
    Ok(serde_json::from_value(serde_json::to_value(value)?)?)
}

fn bearer_from_env(server: &str, var: &str) -> anyhow::Result<String> {
    match std::env::var(var) {
        Ok(value) if value.is_empty() => Err(anyhow!(
            "Environment variable {var} for MCP server '{server}' is empty"
        )),
        Ok(value) => Ok(value),
        Err(std::env::VarError::NotPresent) => Err(anyhow!(
            "Environment variable {var} for MCP server '{server}' is not set"
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(anyhow!(
            "Environment variable {var} for MCP server '{server}' contains invalid Unicode"
        )),
    }
}

/// `http_headers`, then `env_http_headers` whose variable is set and not empty. Headers that
/// are not valid HTTP are left out with a warning, as the reference does.
fn header_map(
    http_headers: &BTreeMap<String, String>,
    env_http_headers: &BTreeMap<String, String>,
) -> reqwest::header::HeaderMap {
    let from_env = env_http_headers.iter().filter_map(|(name, var)| {
        let value = std::env::var(var)
            .ok()
            .filter(|value| !value.trim().is_empty())?;
        Some((name.clone(), value))
    });
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in http_headers.clone().into_iter().chain(from_env) {
        match (
            reqwest::header::HeaderName::try_from(name.as_str()),
            reqwest::header::HeaderValue::try_from(value.as_str()),
        ) {
            (Ok(name), Ok(value)) => {
                headers.insert(name, value);
            }
            _ => tracing::warn!("ignoring invalid MCP HTTP header `{name}`"),
        }
    }
    headers
}

async fn log_stderr(server: String, stderr: tokio::process::ChildStderr) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(server = %server, "MCP server stderr: {line}");
    }
}

/// Our side of the session: the reference's `initialize` parameters, and elicitations handed
/// to the caller and declined after the tool timeout.
struct CodexClientHandler {
    server: String,
    elicitation: Option<ElicitationHandler>,
    elicitation_timeout: Duration,
}

impl CodexClientHandler {
    fn new(server: &str, tool_timeout: Duration, options: &ConnectOptions) -> Self {
        Self {
            server: server.to_owned(),
            elicitation: options.elicitation.clone(),
            elicitation_timeout: tool_timeout,
        }
    }
}

/// `initialize` as the reference sends it.
fn client_config() -> ClientConfig {
    let mut capabilities = ClientCapabilities::default();
    capabilities.elicitation =
        Some(ElicitationCapability::new().with_form(FormElicitationCapability::new()));
    let mut config = ClientConfig::new(
        capabilities,
        Implementation::new("codex-mcp-client", CLIENT_VERSION).with_title("Codex"),
    );
    config.protocol_version = ProtocolVersion::V_2025_06_18;
    config
}

impl ClientHandler for CodexClientHandler {
    fn get_info(&self) -> ClientConfig {
        client_config()
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, rmcp::ErrorData> {
        let (message, requested_schema) = match request {
            ElicitRequestParams::FormElicitationParams {
                message,
                requested_schema,
                ..
            } => (
                message,
                serde_json::to_value(requested_schema).unwrap_or(serde_json::Value::Null),
            ),
            ElicitRequestParams::UrlElicitationParams { message, .. } => {
                (message, serde_json::Value::Null)
            }
            // A kind this client does not know cannot be shown to the user.
            _ => return Ok(ElicitResult::new(rmcp::model::ElicitationAction::Decline)),
        };
        let response = match &self.elicitation {
            None => ElicitationResponse::decline(),
            Some(handler) => {
                let request = ElicitationRequest {
                    server: self.server.clone(),
                    id: match context.id {
                        NumberOrString::Number(number) => RequestId::Integer(number),
                        NumberOrString::String(text) => RequestId::String(text.to_string()),
                    },
                    message,
                    requested_schema,
                };
                tokio::time::timeout(self.elicitation_timeout, handler(request))
                    .await
                    .unwrap_or_else(|_| ElicitationResponse::decline())
            }
        };
        let action = match response.action {
            ElicitationAction::Accept => rmcp::model::ElicitationAction::Accept,
            ElicitationAction::Decline => rmcp::model::ElicitationAction::Decline,
            ElicitationAction::Cancel => rmcp::model::ElicitationAction::Cancel,
        };
        let mut result = ElicitResult::new(action);
        result.content = response.content;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use codex_config::McpServerConfig;
    use codex_config::McpServerToml;
    use futures::FutureExt;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::fake_server;
    use crate::fake_server::Script;

    fn config(tool_timeout: Duration) -> McpServerConfig {
        let toml = McpServerToml {
            command: Some("unused".to_owned()),
            ..McpServerToml::default()
        };
        let mut config = McpServerConfig::from_toml(&toml).unwrap();
        config.tool_timeout = tool_timeout;
        config
    }

    #[tokio::test]
    async fn handshake_is_the_references() {
        let (_client, received) =
            fake_server::connect(Script::default(), &config(Duration::from_secs(5)), None).await;
        received.wait_for("notifications/initialized").await;
        let initialize = received.wait_for("initialize").await;
        assert_eq!(
            initialize["params"],
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {"elicitation": {"form": {}}},
                "clientInfo": {"name": "codex-mcp-client", "title": "Codex", "version": "0.101.0"},
            })
        );
    }

    #[tokio::test]
    async fn tools_follow_the_cursor_and_resources_come_a_page_at_a_time() {
        let (client, _) =
            fake_server::connect(Script::default(), &config(Duration::from_secs(5)), None).await;
        let tools = client.list_all_tools(Duration::from_secs(5)).await.unwrap();
        let names: Vec<_> = tools.iter().map(|tool| tool.name.as_str()).collect();
        assert_eq!(names, ["echo", "fail", "sleep", "elicit"]);

        let (first, cursor) = client.list_resources(None).await.unwrap();
        assert_eq!(first[0].uri, "file:///a");
        assert_eq!(cursor.as_deref(), Some("1"));
        let (second, cursor) = client.list_resources(cursor).await.unwrap();
        assert_eq!((second[0].uri.as_str(), cursor), ("file:///b", None));
        let (templates, _) = client.list_resource_templates(None).await.unwrap();
        assert_eq!(templates[0].uri_template, "file:///a/{x}");
        assert_eq!(
            client.read_resource("file:///a").await.unwrap(),
            json!({"contents": [{"uri": "file:///a", "text": "hello"}]})
        );
    }

    #[tokio::test]
    async fn tool_calls_answer_fail_and_refuse_non_objects() {
        let (client, _) =
            fake_server::connect(Script::default(), &config(Duration::from_secs(5)), None).await;
        let result = client
            .call_tool("echo", Some(json!({"text": "ping"})))
            .await
            .unwrap();
        assert_eq!(
            result.content,
            [json!({"type": "text", "text": "echo: ping"})]
        );
        let error = client.call_tool("fail", None).await.unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "tools/call failed: Mcp error: -32000: kaboom"
        );
        let error = client
            .call_tool("echo", Some(json!([1])))
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "MCP tool arguments must be a JSON object"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_call_times_out_and_is_cancelled_on_the_server() {
        let (client, received) =
            fake_server::connect(Script::default(), &config(Duration::from_secs(1)), None).await;
        let error = client.call_tool("sleep", None).await.unwrap_err();
        assert_eq!(error.to_string(), "timed out awaiting tools/call after 1s");
        let call = received.wait_for("tools/call").await;
        let cancelled = received.wait_for("notifications/cancelled").await;
        assert_eq!(cancelled["params"]["requestId"], call["id"]);
    }

    #[tokio::test]
    async fn dropping_a_call_cancels_it_on_the_server() {
        let (client, received) =
            fake_server::connect(Script::default(), &config(Duration::from_secs(60)), None).await;
        let call = client.call_tool("sleep", None);
        tokio::select! {
            _ = call => panic!("the sleeping tool answered"),
            _ = received.wait_for("tools/call") => {}
        }
        let request = received.wait_for("tools/call").await;
        let cancelled = received.wait_for("notifications/cancelled").await;
        assert_eq!(cancelled["params"]["requestId"], request["id"]);
    }

    #[tokio::test]
    async fn elicitations_reach_the_handler() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let handler: ElicitationHandler = {
            let seen = seen.clone();
            Arc::new(move |request| {
                seen.lock().unwrap().push(request);
                async {
                    ElicitationResponse {
                        action: ElicitationAction::Accept,
                        content: Some(json!({})),
                    }
                }
                .boxed()
            })
        };
        let (client, _) = fake_server::connect(
            Script::default(),
            &config(Duration::from_secs(5)),
            Some(handler),
        )
        .await;
        let result = client.call_tool("elicit", None).await.unwrap();
        assert_eq!(result.content, [json!({"type": "text", "text": "accept"})]);
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            [ElicitationRequest {
                server: "fake".to_owned(),
                id: RequestId::Integer(1),
                message: "your name?".to_owned(),
                requested_schema: json!({"type": "object", "properties": {}}),
            }]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unanswered_elicitation_is_declined_after_the_tool_timeout() {
        let handler: ElicitationHandler =
            Arc::new(|_| futures::future::pending::<ElicitationResponse>().boxed());
        let (client, _) = fake_server::connect(
            Script::default(),
            &config(Duration::from_secs(2)),
            Some(handler),
        )
        .await;
        // Called without our own timeout, so only the elicitation's wait can end it.
        let result = client
            .service
            .peer()
            .call_tool(CallToolRequestParams::new("elicit"))
            .await
            .unwrap();
        let text = result.content[0].as_text().map(|text| text.text.clone());
        assert_eq!(text.as_deref(), Some("decline"));
    }

    #[test]
    fn missing_bearer_variables_are_the_references_errors() {
        let error = bearer_from_env("remote", "CODEX_TEST_SURELY_UNSET_VAR").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Environment variable CODEX_TEST_SURELY_UNSET_VAR for MCP server 'remote' is not set"
        );
    }
}

#[cfg(test)]
mod http_tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use axum::http::HeaderMap;
    use axum::http::StatusCode;
    use axum::http::header::CONTENT_TYPE;
    use axum::response::IntoResponse;
    use axum::response::Response;
    use futures::FutureExt;
    use pretty_assertions::assert_eq;
    use serde_json::Value;
    use serde_json::json;

    use super::*;

    /// The headers of every POST the fake HTTP server received.
    type Seen = Arc<Mutex<Vec<HeaderMap>>>;

    /// A stateless streamable HTTP MCP server answering with plain JSON.
    async fn serve(seen: Seen) -> String {
        let app = axum::Router::new().route(
            "/mcp",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(headers);
                    answer(&body)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/mcp", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    fn answer(body: &str) -> Response {
        let request: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        let Some(id) = request.get("id").cloned() else {
            return StatusCode::ACCEPTED.into_response();
        };
        let result = match request["method"].as_str() {
            Some("initialize") => json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "http", "version": "1"},
            }),
            Some("tools/list") => {
                json!({"tools": [{"name": "echo", "inputSchema": {"type": "object"}}]})
            }
            Some("tools/call") => json!({"content": [{"type": "text", "text": "over http"}]}),
            _ => json!({}),
        };
        let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
        ([(CONTENT_TYPE, "application/json")], reply.to_string()).into_response()
    }

    struct FixedToken;

    impl BearerSource for FixedToken {
        fn bearer_token<'a>(&'a self, _: &'a str, _: &'a str) -> BoxFuture<'a, Option<String>> {
            async { Some("stored-token".to_owned()) }.boxed()
        }
    }

    fn http_config(url: &str, bearer_token_env_var: Option<&str>) -> McpServerConfig {
        McpServerConfig {
            transport: McpServerTransportConfig::StreamableHttp {
                url: url.to_owned(),
                bearer_token_env_var: bearer_token_env_var.map(str::to_owned),
                http_headers: BTreeMap::from([("X-Static".to_owned(), "a".to_owned())]),
                env_http_headers: BTreeMap::from([
                    ("X-Env".to_owned(), "CARGO_PKG_NAME".to_owned()),
                    (
                        "X-Unset".to_owned(),
                        "CODEX_TEST_SURELY_UNSET_VAR".to_owned(),
                    ),
                ]),
            },
            enabled: true,
            startup_timeout: Duration::from_secs(10),
            tool_timeout: Duration::from_secs(10),
            enabled_tools: None,
            disabled_tools: None,
            scopes: None,
        }
    }

    fn options(bearer: Option<Arc<dyn BearerSource>>) -> ConnectOptions {
        ConnectOptions {
            codex_exe: PathBuf::from("/unused"),
            cwd: PathBuf::from("/"),
            bearer,
            elicitation: None,
        }
    }

    #[tokio::test]
    async fn calls_over_streamable_http_carry_the_token_and_headers() {
        let seen = Seen::default();
        let url = serve(seen.clone()).await;
        let client = McpClient::connect(
            "remote",
            &http_config(&url, None),
            &options(Some(Arc::new(FixedToken))),
        )
        .await
        .unwrap();
        let tools = client
            .list_all_tools(Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(tools[0].name, "echo");
        let result = client.call_tool("echo", Some(json!({}))).await.unwrap();
        assert_eq!(
            result.content,
            [json!({"type": "text", "text": "over http"})]
        );

        let seen = seen.lock().unwrap();
        assert!(!seen.is_empty());
        for headers in seen.iter() {
            let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
            assert_eq!(header("authorization"), Some("Bearer stored-token"));
            assert_eq!(header("x-static"), Some("a"));
            assert_eq!(header("x-env"), Some(env!("CARGO_PKG_NAME")));
            assert_eq!(header("x-unset"), None);
        }
    }

    #[tokio::test]
    async fn a_missing_bearer_variable_fails_startup() {
        let url = serve(Seen::default()).await;
        let config = http_config(&url, Some("CODEX_TEST_SURELY_UNSET_VAR"));
        let error = McpClient::connect("remote", &config, &options(None))
            .await
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "Environment variable CODEX_TEST_SURELY_UNSET_VAR for MCP server 'remote' is not set"
        );
    }
}
