//! The MCP servers of one thread: started in the background when the thread loads, their tools
//! offered under qualified names, calls and resource requests routed to the right server.
//!
//! [`McpConnectionManager::start`] returns at once; each enabled server starts in a task of its
//! own, and the reference's startup events (`McpStartupUpdate` starting / ready / failed, then
//! one `McpStartupComplete`) go to the [`McpEventSink`]. Whoever needs a server (the first
//! turn's tool list, a call) waits for its startup, which its startup timeout bounds. A failed
//! server leaves the others working. Dropping the manager (or [`McpConnectionManager::shutdown`])
//! kills every server it started.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use anyhow::anyhow;
use codex_config::McpServerConfig;
use codex_config::mcp::DEFAULT_STARTUP_TIMEOUT;
use codex_config::mcp::validate_server_name;
use codex_protocol::approvals::ElicitationRequestEvent;
use codex_protocol::mcp::CallToolResult;
use codex_protocol::mcp::RequestId;
use codex_protocol::mcp::Resource;
use codex_protocol::mcp::ResourceTemplate;
use codex_protocol::mcp::Tool;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::McpStartupCompleteEvent;
use codex_protocol::protocol::McpStartupFailure;
use codex_protocol::protocol::McpStartupStatus;
use codex_protocol::protocol::McpStartupUpdateEvent;
use futures::FutureExt;
use futures::StreamExt;
use futures::future::BoxFuture;
use futures::future::Shared;
use futures::stream::FuturesUnordered;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::client::BearerSource;
use crate::client::ConnectOptions;
use crate::client::ElicitationHandler;
use crate::client::ElicitationRequest;
use crate::client::ElicitationResponse;
use crate::client::McpClient;
use crate::naming;
use crate::pool::McpServerPool;

/// Where a manager's events go (the thread's event stream).
pub trait McpEventSink: Send + Sync {
    fn emit(&self, msg: EventMsg) -> BoxFuture<'_, ()>;
}

/// What starting servers needs besides their configs.
#[derive(Clone)]
pub struct McpStartOptions {
    cwd: PathBuf,
    codex_exe: PathBuf,
    bearer: Option<Arc<dyn BearerSource>>,
    pool: Option<Arc<McpServerPool>>,
    connector: Connector,
}

/// Opens a connection; tests replace the real one with in-memory servers.
pub(crate) type Connector = Arc<
    dyn Fn(String, McpServerConfig, ConnectOptions) -> BoxFuture<'static, anyhow::Result<McpClient>>
        + Send
        + Sync,
>;

impl McpStartOptions {
    /// `cwd` is the thread's cwd (stdio servers run there, or in their `cwd` resolved against
    /// it); `codex_exe` is the `codex` executable that launches them
    /// (`std::env::current_exe()`).
    pub fn new(cwd: PathBuf, codex_exe: PathBuf) -> Self {
        Self {
            cwd,
            codex_exe,
            bearer: None,
            pool: None,
            connector: Arc::new(|name, config, options| {
                async move { McpClient::connect(&name, &config, &options).await }.boxed()
            }),
        }
    }

    /// Where streamable HTTP servers without `bearer_token_env_var` get a bearer token.
    pub fn with_bearer(mut self, bearer: Arc<dyn BearerSource>) -> Self {
        self.bearer = Some(bearer);
        self
    }

    /// The process-wide pool the running connections are registered with, for
    /// `mcpServerStatus/list`.
    pub fn with_pool(mut self, pool: Arc<McpServerPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    #[cfg(test)]
    pub(crate) fn with_connector(mut self, connector: Connector) -> Self {
        self.connector = connector;
        self
    }

    pub(crate) fn connector(&self) -> &Connector {
        &self.connector
    }

    pub(crate) fn connect_options(
        &self,
        elicitation: Option<ElicitationHandler>,
    ) -> ConnectOptions {
        ConnectOptions {
            codex_exe: self.codex_exe.clone(),
            cwd: self.cwd.clone(),
            bearer: self.bearer.clone(),
            elicitation,
        }
    }
}

/// A tool as the model sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct McpToolInfo {
    /// `mcp__<server>__<tool>`, sanitised and shortened as the reference does.
    pub qualified_name: String,
    pub server: String,
    pub tool: Tool,
}

/// A server whose startup succeeded: its connection and the tools it listed then.
pub(crate) struct StartedServer {
    pub client: McpClient,
    pub tools: Vec<Tool>,
    pub config: McpServerConfig,
}

impl StartedServer {
    /// The startup tools that the config's filters let through.
    pub fn allowed_tools(&self) -> impl Iterator<Item = &Tool> {
        self.tools
            .iter()
            .filter(|tool| self.config.allows_tool(&tool.name))
    }
}

/// Why a server is not available.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum StartupError {
    #[error("MCP startup failed: {0}")]
    Failed(String),
    #[error("MCP startup cancelled")]
    Cancelled,
}

type Startup = Shared<BoxFuture<'static, Result<Arc<StartedServer>, StartupError>>>;

type PendingElicitations =
    Arc<Mutex<HashMap<(String, RequestId), oneshot::Sender<ElicitationResponse>>>>;

/// The MCP servers of one thread.
pub struct McpConnectionManager {
    /// Enabled servers by name, each with its (shared) startup.
    servers: BTreeMap<String, Startup>,
    cancel: CancellationToken,
    elicitations: PendingElicitations,
}

impl McpConnectionManager {
    /// Starts every enabled server in the background and returns at once (call it inside a
    /// tokio runtime). An entry whose config is an error is reported as a failed server.
    pub fn start(
        servers: BTreeMap<String, Result<McpServerConfig, String>>,
        options: McpStartOptions,
        events: Arc<dyn McpEventSink>,
    ) -> Arc<Self> {
        let cancel = CancellationToken::new();
        let elicitations = PendingElicitations::default();
        let mut startups = BTreeMap::new();
        let mut reported = Vec::new();
        for (name, config) in servers {
            if config.as_ref().is_ok_and(|config| !config.enabled) {
                continue;
            }
            let connect = options.connect_options(Some(elicitation_handler(
                name.clone(),
                events.clone(),
                elicitations.clone(),
            )));
            let connector = options.connector.clone();
            let startup_timeout = config
                .as_ref()
                .map_or(DEFAULT_STARTUP_TIMEOUT, |config| config.startup_timeout);
            let pool = options.pool.clone();
            let task_name = name.clone();
            let cancelled = cancel.clone();
            // A task of its own, so the server starts now even if nobody waits for it yet.
            // It is an async task on purpose: the launcher's parent-death signal follows the
            // thread that spawned it, and tokio's worker threads live as long as the runtime.
            let task = tokio::spawn(async move {
                let config = config.map_err(StartupError::Failed)?;
                let started = tokio::select! {
                    started = start_server(&connector, &task_name, &config, &connect) => started,
                    () = cancelled.cancelled() => return Err(StartupError::Cancelled),
                };
                let started = Arc::new(started.map_err(StartupError::Failed)?);
                if let Some(pool) = pool {
                    pool.register(&task_name, &started, &connect.cwd);
                }
                Ok(started)
            });
            let startup = task
                .map(|joined| {
                    joined.unwrap_or_else(|error| Err(StartupError::Failed(error.to_string())))
                })
                .boxed()
                .shared();
            reported.push((name.clone(), startup.clone(), startup_timeout));
            startups.insert(name, startup);
        }
        tokio::spawn(report_startup(reported, events));
        Arc::new(Self {
            servers: startups,
            cancel,
            elicitations,
        })
    }

    /// The tools of every server that started, waiting for each startup (bounded by its
    /// timeout), after the `enabled_tools`/`disabled_tools` filters, under qualified names.
    pub async fn tools(&self) -> Vec<McpToolInfo> {
        let mut offered = Vec::new();
        for (name, startup) in &self.servers {
            if let Ok(started) = startup.clone().await {
                offered.extend(
                    started
                        .allowed_tools()
                        .map(|tool| (name.clone(), tool.clone())),
                );
            }
        }
        let pairs = offered
            .iter()
            .map(|(server, tool)| (server.as_str(), tool.name.as_str()));
        naming::qualify(pairs)
            .into_iter()
            .map(|(qualified_name, index)| {
                let (server, tool) = offered[index].clone();
                McpToolInfo {
                    qualified_name,
                    server,
                    tool,
                }
            })
            .collect()
    }

    /// Calls `tool` on `server` within the server's tool timeout. Dropping the future cancels
    /// the call on the server. The error's chain is the reference's (`tool call failed for
    /// \`server/tool\``, caused by what went wrong).
    pub async fn call_tool(
        &self,
        server: &str,
        tool: &str,
        arguments: Option<serde_json::Value>,
    ) -> anyhow::Result<CallToolResult> {
        let started = self.started(server).await?;
        if !started.config.allows_tool(tool) {
            return Err(anyhow!(
                "tool '{tool}' is disabled for MCP server '{server}'"
            ));
        }
        started
            .client
            .call_tool(tool, arguments)
            .await
            .with_context(|| format!("tool call failed for `{server}/{tool}`"))
    }

    /// One page of `server`'s resources.
    pub async fn list_resources(
        &self,
        server: &str,
        cursor: Option<String>,
    ) -> anyhow::Result<(Vec<Resource>, Option<String>)> {
        let started = self.started(server).await?;
        started
            .client
            .list_resources(cursor)
            .await
            .with_context(|| format!("resources/list failed for `{server}`"))
    }

    /// One page of `server`'s resource templates.
    pub async fn list_resource_templates(
        &self,
        server: &str,
        cursor: Option<String>,
    ) -> anyhow::Result<(Vec<ResourceTemplate>, Option<String>)> {
        let started = self.started(server).await?;
        started
            .client
            .list_resource_templates(cursor)
            .await
            .with_context(|| format!("resources/templates/list failed for `{server}`"))
    }

    /// Every resource of every server that started; a server whose listing fails is left
    /// out (and logged), as the reference does.
    pub async fn list_all_resources(&self) -> BTreeMap<String, Vec<Resource>> {
        self.list_on_every_server("resources", |started| {
            async move { started.client.list_all_resources().await }.boxed()
        })
        .await
    }

    /// Every resource template of every server that started.
    pub async fn list_all_resource_templates(&self) -> BTreeMap<String, Vec<ResourceTemplate>> {
        self.list_on_every_server("resource templates", |started| {
            async move { started.client.list_all_resource_templates().await }.boxed()
        })
        .await
    }

    /// Reads `uri` from `server`: `{"contents": [...]}`.
    pub async fn read_resource(
        &self,
        server: &str,
        uri: &str,
    ) -> anyhow::Result<serde_json::Value> {
        let started = self.started(server).await?;
        started
            .client
            .read_resource(uri)
            .await
            .with_context(|| format!("resources/read failed for `{server}` ({uri})"))
    }

    /// Answers a server's elicitation that was surfaced as `ElicitationRequest`.
    pub fn resolve_elicitation(
        &self,
        server: &str,
        id: RequestId,
        response: ElicitationResponse,
    ) -> anyhow::Result<()> {
        let sender = self
            .elicitations
            .lock()
            .map_err(|_| anyhow!("elicitation requests are unavailable"))?
            .remove(&(server.to_owned(), id))
            .ok_or_else(|| anyhow!("elicitation request not found"))?;
        sender
            .send(response)
            .map_err(|_| anyhow!("the elicitation is no longer waiting"))
    }

    /// Stops every server: startups still running are cancelled and started servers killed.
    pub fn shutdown(&self) {
        self.cancel.cancel();
        for startup in self.servers.values() {
            if let Some(Ok(started)) = startup.peek() {
                started.client.kill();
            }
        }
    }

    async fn started(&self, server: &str) -> anyhow::Result<Arc<StartedServer>> {
        let startup = self
            .servers
            .get(server)
            .ok_or_else(|| anyhow!("unknown MCP server '{server}'"))?;
        startup
            .clone()
            .await
            .map_err(anyhow::Error::new)
            .context("failed to get client")
    }

    async fn list_on_every_server<T>(
        &self,
        what: &str,
        list: impl Fn(Arc<StartedServer>) -> BoxFuture<'static, anyhow::Result<Vec<T>>>,
    ) -> BTreeMap<String, Vec<T>> {
        let mut listings = FuturesUnordered::new();
        for (name, startup) in &self.servers {
            let startup = startup.clone();
            let list = &list;
            listings.push(async move {
                let started = startup.await.ok()?;
                match list(started).await {
                    Ok(items) => Some((name.clone(), items)),
                    Err(error) => {
                        tracing::warn!("Failed to list {what} for MCP server '{name}': {error:#}");
                        None
                    }
                }
            });
        }
        let mut all = BTreeMap::new();
        while let Some(listed) = listings.next().await {
            if let Some((name, items)) = listed {
                all.insert(name, items);
            }
        }
        all
    }
}

impl Drop for McpConnectionManager {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts one server: the name check, the connection with its handshake, and the tool list,
/// each within the startup timeout. The error is the reference's text for the failure.
pub(crate) async fn start_server(
    connector: &Connector,
    name: &str,
    config: &McpServerConfig,
    options: &ConnectOptions,
) -> Result<StartedServer, String> {
    validate_server_name(name)?;
    let client = connector(name.to_owned(), config.clone(), options.clone())
        .await
        .map_err(|error| error.to_string())?;
    let tools = client
        .list_all_tools(config.startup_timeout)
        .await
        .map_err(|error| error.to_string())?;
    Ok(StartedServer {
        client,
        tools,
        config: config.clone(),
    })
}

/// Emits the reference's startup events: `starting` for every server, then `ready` or
/// `failed` as each finishes, then the summary.
async fn report_startup(startups: Vec<(String, Startup, Duration)>, events: Arc<dyn McpEventSink>) {
    for (name, _, _) in &startups {
        events
            .emit(EventMsg::McpStartupUpdate(McpStartupUpdateEvent {
                server: name.clone(),
                status: McpStartupStatus::Starting,
            }))
            .await;
    }
    let mut pending: FuturesUnordered<_> = startups
        .into_iter()
        .map(|(name, startup, timeout)| async move { (name, startup.await.map(|_| ()), timeout) })
        .collect();
    let mut summary = McpStartupCompleteEvent {
        ready: Vec::new(),
        failed: Vec::new(),
        cancelled: Vec::new(),
    };
    while let Some((name, outcome, startup_timeout)) = pending.next().await {
        let status = match &outcome {
            Ok(()) => {
                summary.ready.push(name.clone());
                McpStartupStatus::Ready
            }
            Err(StartupError::Cancelled) => {
                summary.cancelled.push(name);
                continue;
            }
            Err(StartupError::Failed(error)) => {
                summary.failed.push(McpStartupFailure {
                    server: name.clone(),
                    error: error.clone(),
                });
                McpStartupStatus::Failed {
                    error: failure_display(&name, error, startup_timeout),
                }
            }
        };
        events
            .emit(EventMsg::McpStartupUpdate(McpStartupUpdateEvent {
                server: name,
                status,
            }))
            .await;
    }
    events.emit(EventMsg::McpStartupComplete(summary)).await;
}

/// How a failed startup reads in `McpStartupUpdate`, as the reference words it (the summary
/// carries the bare error).
fn failure_display(name: &str, error: &str, startup_timeout: Duration) -> String {
    if error.contains("Auth required") {
        format!("The {name} MCP server is not logged in. Run `codex mcp login {name}`.")
    } else if error.contains("request timed out")
        || error.contains("timed out handshaking with MCP server")
    {
        let secs = startup_timeout.as_secs();
        format!(
            "MCP client for `{name}` timed out after {secs} seconds. Add or adjust \
             `startup_timeout_sec` in your config.toml:\n[mcp_servers.{name}]\n\
             startup_timeout_sec = XX"
        )
    } else {
        format!(
            "MCP client for `{name}` failed to start: {}",
            StartupError::Failed(error.to_owned())
        )
    }
}

fn elicitation_handler(
    server: String,
    events: Arc<dyn McpEventSink>,
    pending: PendingElicitations,
) -> ElicitationHandler {
    Arc::new(move |request: ElicitationRequest| {
        let (answer, answered) = oneshot::channel();
        if let Ok(mut waiting) = pending.lock() {
            waiting.insert((server.clone(), request.id.clone()), answer);
        }
        let events = events.clone();
        async move {
            events
                .emit(EventMsg::ElicitationRequest(ElicitationRequestEvent {
                    server_name: request.server,
                    id: request.id,
                    message: request.message,
                }))
                .await;
            answered
                .await
                .unwrap_or_else(|_| ElicitationResponse::decline())
        }
        .boxed()
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::client::ElicitationAction;
    use crate::fake_server;
    use crate::fake_server::Events;
    use crate::fake_server::Script;
    use crate::fake_server::config as server;

    fn start(
        servers: Vec<(&str, Result<McpServerConfig, String>)>,
        scripts: Vec<(&'static str, Script)>,
    ) -> (Arc<McpConnectionManager>, Arc<Events>) {
        let (connector, _) = fake_server::connector(scripts);
        let options = McpStartOptions::new(PathBuf::from("/"), PathBuf::from("/codex"))
            .with_connector(connector);
        let events = Arc::new(Events::default());
        let servers = servers
            .into_iter()
            .map(|(name, config)| (name.to_owned(), config))
            .collect();
        let manager = McpConnectionManager::start(servers, options, events.clone());
        (manager, events)
    }

    fn is_complete(event: &EventMsg) -> bool {
        matches!(event, EventMsg::McpStartupComplete(_))
    }

    #[tokio::test(start_paused = true)]
    async fn startup_reports_every_server_as_the_reference_does() {
        let hanging = Script {
            hang: true,
            ..Script::default()
        };
        let (_manager, events) = start(
            vec![
                ("ok", server(|_| {})),
                ("bad.name", server(|_| {})),
                ("missing", server(|_| {})),
                ("slow", server(|toml| toml.startup_timeout_sec = Some(1.5))),
                ("off", server(|toml| toml.enabled = Some(false))),
            ],
            vec![
                ("ok", Script::default()),
                ("bad.name", Script::default()),
                ("slow", hanging),
                ("off", Script::default()),
            ],
        );
        events.wait_for(is_complete).await;
        let events = events.all();
        let starting: Vec<_> = events[..4].to_vec();
        let update = |server: &str, status| {
            EventMsg::McpStartupUpdate(McpStartupUpdateEvent {
                server: server.to_owned(),
                status,
            })
        };
        assert_eq!(
            starting,
            ["bad.name", "missing", "ok", "slow"]
                .map(|name| update(name, McpStartupStatus::Starting))
        );
        let failed = |error: &str| McpStartupStatus::Failed {
            error: error.to_owned(),
        };
        let name_error = "Invalid MCP server name 'bad.name': must match pattern ^[a-zA-Z0-9_-]+$";
        let mut updates = events[4..8].to_vec();
        updates.sort_by_key(|event| format!("{event:?}"));
        let mut expected = vec![
            update(
                "bad.name",
                failed(&format!(
                    "MCP client for `bad.name` failed to start: MCP startup failed: {name_error}"
                )),
            ),
            update(
                "missing",
                failed(
                    "MCP client for `missing` failed to start: MCP startup failed: No such file or directory (os error 2)",
                ),
            ),
            update("ok", McpStartupStatus::Ready),
            update(
                "slow",
                failed(
                    "MCP client for `slow` timed out after 1 seconds. Add or adjust `startup_timeout_sec` in your config.toml:\n[mcp_servers.slow]\nstartup_timeout_sec = XX",
                ),
            ),
        ];
        expected.sort_by_key(|event| format!("{event:?}"));
        assert_eq!(updates, expected);
        let EventMsg::McpStartupComplete(mut summary) = events[8].clone() else {
            panic!("no summary: {events:?}");
        };
        summary.failed.sort_by(|a, b| a.server.cmp(&b.server));
        let failure = |server: &str, error: &str| McpStartupFailure {
            server: server.to_owned(),
            error: error.to_owned(),
        };
        assert_eq!(
            summary,
            McpStartupCompleteEvent {
                ready: vec!["ok".to_owned()],
                failed: vec![
                    failure("bad.name", name_error),
                    failure("missing", "No such file or directory (os error 2)"),
                    failure("slow", "timed out handshaking with MCP server after 1.5s"),
                ],
                cancelled: Vec::new(),
            }
        );
        assert_eq!(events.len(), 9);
    }

    #[tokio::test]
    async fn tools_are_qualified_and_filtered() {
        let (manager, _) = start(
            vec![
                (
                    "a",
                    server(|toml| toml.disabled_tools = Some(vec!["fail".to_owned()])),
                ),
                (
                    "b",
                    server(|toml| toml.enabled_tools = Some(vec!["echo".to_owned()])),
                ),
                ("broken", server(|_| {})),
            ],
            vec![("a", Script::default()), ("b", Script::default())],
        );
        let names: Vec<_> = manager
            .tools()
            .await
            .into_iter()
            .map(|info| (info.qualified_name, info.server, info.tool.name))
            .collect();
        let row = |q: &str, s: &str, t: &str| (q.to_owned(), s.to_owned(), t.to_owned());
        assert_eq!(
            names,
            [
                row("mcp__a__echo", "a", "echo"),
                row("mcp__a__sleep", "a", "sleep"),
                row("mcp__a__elicit", "a", "elicit"),
                row("mcp__b__echo", "b", "echo"),
            ]
        );
    }

    #[tokio::test]
    async fn call_errors_carry_the_references_chain() {
        let (manager, _) = start(
            vec![
                (
                    "a",
                    server(|toml| toml.disabled_tools = Some(vec!["sleep".to_owned()])),
                ),
                ("broken", server(|_| {})),
            ],
            vec![("a", Script::default())],
        );
        let result = manager
            .call_tool("a", "echo", Some(json!({"text": "hi"})))
            .await
            .unwrap();
        assert_eq!(
            result.content,
            [json!({"type": "text", "text": "echo: hi"})]
        );

        let error = manager.call_tool("a", "fail", None).await.unwrap_err();
        assert!(
            format!("{error:?}").starts_with(
                "tool call failed for `a/fail`\n\nCaused by:\n    tools/call failed: Mcp error: -32000: kaboom"
            ),
            "{error:?}"
        );
        let error = manager.call_tool("a", "sleep", None).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "tool 'sleep' is disabled for MCP server 'a'"
        );
        let error = manager.call_tool("nope", "echo", None).await.unwrap_err();
        assert_eq!(error.to_string(), "unknown MCP server 'nope'");
        let error = manager.call_tool("broken", "echo", None).await.unwrap_err();
        assert_eq!(
            format!("{error:#}"),
            "failed to get client: MCP startup failed: No such file or directory (os error 2)"
        );
    }

    #[tokio::test]
    async fn resources_across_servers_and_from_one() {
        let (manager, _) = start(
            vec![("a", server(|_| {})), ("b", server(|_| {}))],
            vec![("a", Script::default()), ("b", Script::default())],
        );
        let all = manager.list_all_resources().await;
        let uris: Vec<_> = all
            .iter()
            .map(|(server, list)| {
                (
                    server.as_str(),
                    list.iter().map(|r| r.uri.as_str()).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            uris,
            [
                ("a", vec!["file:///a", "file:///b"]),
                ("b", vec!["file:///a", "file:///b"])
            ]
        );
        assert_eq!(manager.list_all_resource_templates().await.len(), 2);
        let (page, cursor) = manager.list_resources("a", None).await.unwrap();
        assert_eq!((page.len(), cursor.as_deref()), (1, Some("1")));
        let (templates, _) = manager
            .list_resource_templates("b", Some("1".to_owned()))
            .await
            .unwrap();
        assert_eq!(templates[0].uri_template, "file:///b/{x}");
        assert_eq!(
            manager.read_resource("a", "file:///x").await.unwrap(),
            json!({"contents": [{"uri": "file:///x", "text": "hello"}]})
        );
    }

    #[tokio::test]
    async fn elicitations_are_surfaced_and_resolved() {
        let (manager, events) = start(vec![("a", server(|_| {}))], vec![("a", Script::default())]);
        let call = manager.call_tool("a", "elicit", None);
        let answer = async {
            let event = events
                .wait_for(|event| matches!(event, EventMsg::ElicitationRequest(_)))
                .await;
            let EventMsg::ElicitationRequest(request) = event else {
                unreachable!()
            };
            assert_eq!(
                (request.server_name.as_str(), request.message.as_str()),
                ("a", "your name?")
            );
            manager
                .resolve_elicitation(
                    "a",
                    request.id,
                    ElicitationResponse {
                        action: ElicitationAction::Accept,
                        content: Some(json!({"name": "x"})),
                    },
                )
                .unwrap();
        };
        let (result, ()) = tokio::join!(call, answer);
        assert_eq!(
            result.unwrap().content,
            [json!({"type": "text", "text": "accept"})]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_cancels_startups_still_running() {
        let hanging = Script {
            hang: true,
            ..Script::default()
        };
        let (manager, events) = start(vec![("slow", server(|_| {}))], vec![("slow", hanging)]);
        events
            .wait_for(|event| matches!(event, EventMsg::McpStartupUpdate(_)))
            .await;
        manager.shutdown();
        let summary = events.wait_for(is_complete).await;
        assert_eq!(
            summary,
            EventMsg::McpStartupComplete(McpStartupCompleteEvent {
                ready: Vec::new(),
                failed: Vec::new(),
                cancelled: vec!["slow".to_owned()],
            })
        );
    }
}
