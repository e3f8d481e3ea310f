//! A thread's MCP servers: the connection manager of `codex-rmcp-client`, started in the
//! background when the thread loads, replaced at the start of the next turn after
//! `config/mcpServer/reload`, stopped with the thread, and offered to the tools through their
//! [`McpServers`] trait.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use codex_config::ConfigToml;
use codex_config::McpServerConfig;
use codex_config::features;
use codex_config::mcp::mcp_server_configs;
use codex_login::AuthManager;
use codex_protocol::mcp::CallToolResult;
use codex_protocol::mcp::Resource;
use codex_protocol::mcp::ResourceTemplate;
use codex_protocol::protocol::EventMsg;
use codex_rmcp_client::McpConnectionManager;
use codex_rmcp_client::McpEventSink;
use codex_rmcp_client::McpServerPool;
use codex_rmcp_client::McpStartOptions;
use codex_rmcp_client::oauth::OAuthCredentialsStoreMode;
use codex_rmcp_client::oauth::StoredBearer;
use codex_tools::McpServers;
use codex_tools::McpTool;
use codex_tools::Page;
use codex_tools::ResourceContents;
use futures::future::BoxFuture;
use serde_json::Value;

use crate::session::output::ThreadOutput;

/// The MCP servers a config names, each checked (an entry whose config is wrong fails at
/// startup), and where their OAuth tokens are kept.
#[derive(Debug, Clone, Default)]
pub struct McpServerSet {
    pub servers: BTreeMap<String, Result<McpServerConfig, String>>,
    pub oauth_store: OAuthCredentialsStoreMode,
}

impl McpServerSet {
    pub fn from_config(config: &ConfigToml) -> Self {
        Self {
            servers: mcp_server_configs(&config.mcp_servers),
            oauth_store: config.mcp_oauth_credentials_store.unwrap_or_default(),
        }
    }
}

/// What every thread's servers share: how stdio servers are launched, the pool
/// `mcpServerStatus/list` reuses, and the folder OAuth tokens are stored in.
#[derive(Clone, Default)]
pub struct McpRuntime {
    /// The `codex` executable (`codex mcp-launch` starts stdio servers). Without it, stdio
    /// servers fail to start.
    pub codex_exe: Option<PathBuf>,
    pub pool: Option<Arc<McpServerPool>>,
    /// `$CODEX_HOME`, whose stored OAuth tokens authorize streamable HTTP servers; without
    /// it they get none.
    pub oauth_home: Option<PathBuf>,
    /// The account the ChatGPT apps gateway (`codex_apps`) is reached as, when a thread's
    /// config turns the `apps` feature on; without it the gateway gets no token.
    pub auth: Option<Arc<AuthManager>>,
}

impl McpRuntime {
    /// The servers `config` names and, with the `apps` feature on, the ChatGPT apps gateway as
    /// `codex_apps`, reached with the account's token as it is now (as in the reference, whose
    /// gateway entry carries the token in its headers).
    pub fn servers_for(&self, config: &ConfigToml) -> McpServerSet {
        let mut set = McpServerSet::from_config(config);
        if features::is_enabled(&config.features, "apps") {
            let account = self
                .auth
                .as_ref()
                .and_then(|auth| auth.cached())
                .and_then(|auth| codex_apps::Account::of(&auth));
            let base_url = config
                .chatgpt_base_url
                .as_deref()
                .unwrap_or(codex_apps::DEFAULT_CHATGPT_BASE_URL);
            set.servers.insert(
                codex_apps::CODEX_APPS_SERVER.to_owned(),
                Ok(codex_apps::gateway_config(base_url, account.as_ref())),
            );
        }
        set
    }

    /// How servers for a thread (or a status list) in `cwd` are started, their OAuth tokens
    /// read from `oauth_store`.
    pub fn start_options(
        &self,
        cwd: PathBuf,
        oauth_store: OAuthCredentialsStoreMode,
    ) -> McpStartOptions {
        // A launcher path that cannot exist makes each stdio server fail with a clear error.
        let exe = self
            .codex_exe
            .clone()
            .unwrap_or_else(|| PathBuf::from("codex-executable-unknown"));
        let mut options = McpStartOptions::new(cwd, exe);
        if let Some(pool) = &self.pool {
            options = options.with_pool(pool.clone());
        }
        if let Some(home) = &self.oauth_home {
            options = options.with_bearer(Arc::new(StoredBearer::new(home.clone(), oauth_store)));
        }
        options
    }
}

/// Startup and elicitation events of the servers, sent as events of no turn (the reference
/// sends them with the empty id).
struct StartupEvents(Arc<ThreadOutput>);

impl McpEventSink for StartupEvents {
    fn emit(&self, msg: EventMsg) -> BoxFuture<'_, ()> {
        Box::pin(async move { self.0.emit("", msg).await })
    }
}

/// The servers of one thread.
pub(crate) struct ThreadMcp {
    runtime: McpRuntime,
    cwd: PathBuf,
    events: Arc<dyn McpEventSink>,
    current: Mutex<Arc<McpConnectionManager>>,
    /// A server set from `config/mcpServer/reload`, applied when the next turn starts.
    pending: Mutex<Option<McpServerSet>>,
}

impl ThreadMcp {
    /// Starts `servers` in the background; returns at once.
    pub(crate) fn start(
        runtime: McpRuntime,
        cwd: PathBuf,
        servers: McpServerSet,
        output: Arc<ThreadOutput>,
    ) -> ThreadMcp {
        let events: Arc<dyn McpEventSink> = Arc::new(StartupEvents(output));
        let manager = McpConnectionManager::start(
            servers.servers,
            runtime.start_options(cwd.clone(), servers.oauth_store),
            events.clone(),
        );
        ThreadMcp {
            runtime,
            cwd,
            events,
            current: Mutex::new(manager),
            pending: Mutex::new(None),
        }
    }

    /// Queues `servers` to replace the running set when the next turn starts.
    pub(crate) fn queue_reload(&self, servers: McpServerSet) {
        *codex_utils_lock::lock(&self.pending) = Some(servers);
    }

    /// Replaces the running servers with the queued set, if there is one: the old ones stop.
    pub(crate) fn apply_reload(&self) {
        let Some(servers) = codex_utils_lock::lock(&self.pending).take() else {
            return;
        };
        let manager = McpConnectionManager::start(
            servers.servers,
            self.runtime
                .start_options(self.cwd.clone(), servers.oauth_store),
            self.events.clone(),
        );
        let old = std::mem::replace(&mut *codex_utils_lock::lock(&self.current), manager);
        old.shutdown();
    }

    /// Stops every server of the thread.
    pub(crate) fn shutdown(&self) {
        self.manager().shutdown();
    }

    fn manager(&self) -> Arc<McpConnectionManager> {
        codex_utils_lock::lock(&self.current).clone()
    }
}

impl Drop for ThreadMcp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The reference's text for a failed tool call: the error and its causes on lines of their
/// own, as anyhow's `Debug` prints them.
fn describe_call(error: impl std::fmt::Debug) -> String {
    format!("{error:?}")
}

/// The reference's text for a failed resource request: the error and its causes on one line,
/// as anyhow's alternate `Display` prints them.
fn describe_resources(error: impl std::fmt::Display) -> String {
    format!("{error:#}")
}

impl McpServers for ThreadMcp {
    fn tools(&self) -> BoxFuture<'_, Vec<McpTool>> {
        let manager = self.manager();
        Box::pin(async move {
            manager
                .tools()
                .await
                .into_iter()
                .map(|info| McpTool {
                    qualified_name: info.qualified_name,
                    server: info.server,
                    tool: info.tool,
                })
                .collect()
        })
    }

    fn call_tool<'a>(
        &'a self,
        server: &'a str,
        tool: &'a str,
        arguments: Option<Value>,
    ) -> BoxFuture<'a, Result<CallToolResult, String>> {
        let manager = self.manager();
        Box::pin(async move {
            manager
                .call_tool(server, tool, arguments)
                .await
                .map_err(describe_call)
        })
    }

    fn list_resources<'a>(
        &'a self,
        server: &'a str,
        cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<Resource>, String>> {
        let manager = self.manager();
        Box::pin(async move {
            let (items, next_cursor) = manager
                .list_resources(server, cursor)
                .await
                .map_err(describe_resources)?;
            Ok(Page { items, next_cursor })
        })
    }

    fn list_all_resources(&self) -> BoxFuture<'_, BTreeMap<String, Vec<Resource>>> {
        let manager = self.manager();
        Box::pin(async move { manager.list_all_resources().await })
    }

    fn list_resource_templates<'a>(
        &'a self,
        server: &'a str,
        cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<ResourceTemplate>, String>> {
        let manager = self.manager();
        Box::pin(async move {
            let (items, next_cursor) = manager
                .list_resource_templates(server, cursor)
                .await
                .map_err(describe_resources)?;
            Ok(Page { items, next_cursor })
        })
    }

    fn list_all_resource_templates(
        &self,
    ) -> BoxFuture<'_, BTreeMap<String, Vec<ResourceTemplate>>> {
        let manager = self.manager();
        Box::pin(async move { manager.list_all_resource_templates().await })
    }

    fn read_resource<'a>(
        &'a self,
        server: &'a str,
        uri: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ResourceContents>, String>> {
        let manager = self.manager();
        Box::pin(async move {
            let read = manager
                .read_resource(server, uri)
                .await
                .map_err(describe_resources)?;
            let contents = read.get("contents").cloned().unwrap_or(Value::Null);
            serde_json::from_value(contents)
                .map_err(|err| format!("resources/read answered unreadable contents: {err}"))
        })
    }
}
