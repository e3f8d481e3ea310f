//! The process-wide pool behind `mcpServerStatus/list`.
//!
//! The reference cold-starts every configured server on every status request. Here thread
//! managers register their running connections (weakly: the thread owns them), and
//! [`McpServerPool::snapshot`] reuses a running connection with the same server name, resolved
//! config and cwd, starting only what is not running (bounded by its startup timeout).
//! Connections started for a snapshot are kept for the next one and stop after a minute unused.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::Weak;
use std::time::Duration;

use codex_config::McpServerConfig;
use codex_config::McpServerTransportConfig;
use codex_protocol::mcp::Resource;
use codex_protocol::mcp::ResourceTemplate;
use codex_protocol::mcp::Tool;
use tokio::time::Instant;

use crate::client::ConnectOptions;
use crate::manager::McpStartOptions;
use crate::manager::StartedServer;
use crate::manager::start_server;

/// How long a connection started only for a snapshot is kept unused.
const IDLE_LIFETIME: Duration = Duration::from_secs(60);

/// One configured server as `mcpServerStatus/list` shows it. Disabled, failing and badly named
/// servers have no tools, resources or templates.
#[derive(Debug, Clone, PartialEq)]
pub struct McpServerSnapshot {
    pub name: String,
    /// Keyed by the tool's own name, after the `enabled_tools`/`disabled_tools` filters.
    pub tools: BTreeMap<String, Tool>,
    pub resources: Vec<Resource>,
    pub resource_templates: Vec<ResourceTemplate>,
}

/// What makes two connections interchangeable: the same server, config and working folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    name: String,
    config: McpServerConfig,
    /// The folder a stdio server runs in; none for streamable HTTP.
    cwd: Option<PathBuf>,
}

impl PoolKey {
    fn new(name: &str, config: &McpServerConfig, thread_cwd: &Path) -> Self {
        let cwd = match &config.transport {
            McpServerTransportConfig::Stdio { cwd, .. } => Some(
                cwd.as_ref()
                    .map_or_else(|| thread_cwd.to_path_buf(), |cwd| thread_cwd.join(cwd)),
            ),
            McpServerTransportConfig::StreamableHttp { .. } => None,
        };
        Self {
            name: name.to_owned(),
            config: config.clone(),
            cwd,
        }
    }
}

/// A connection the pool started and keeps until it has been unused for a while.
struct Kept {
    server: Arc<StartedServer>,
    last_used: Instant,
}

#[derive(Default)]
struct PoolState {
    /// Connections the threads own.
    registered: HashMap<PoolKey, Weak<StartedServer>>,
    /// Connections started for snapshots.
    kept: HashMap<PoolKey, Kept>,
}

/// Running MCP connections, shared by the threads and `mcpServerStatus/list`.
#[derive(Default)]
pub struct McpServerPool {
    state: Mutex<PoolState>,
}

impl McpServerPool {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Records a thread's running connection, so a snapshot can use it while it lives.
    pub(crate) fn register(&self, name: &str, server: &Arc<StartedServer>, thread_cwd: &Path) {
        let key = PoolKey::new(name, &server.config, thread_cwd);
        if let Ok(mut state) = self.state.lock() {
            state.registered.retain(|_, weak| weak.strong_count() > 0);
            state.registered.insert(key, Arc::downgrade(server));
        }
    }

    /// Every configured server, sorted by name, with its tools, resources and templates.
    /// Running connections are reused; the others are started here (each bounded by its
    /// startup timeout, all at once) and kept for a minute.
    pub async fn snapshot(
        self: &Arc<Self>,
        servers: &BTreeMap<String, Result<McpServerConfig, String>>,
        options: &McpStartOptions,
    ) -> Vec<McpServerSnapshot> {
        let connect = options.connect_options(None);
        let snapshots = servers.iter().map(|(name, config)| {
            let connect = &connect;
            async move {
                let mut snapshot = McpServerSnapshot {
                    name: name.clone(),
                    tools: BTreeMap::new(),
                    resources: Vec::new(),
                    resource_templates: Vec::new(),
                };
                let Ok(config) = config else {
                    return snapshot;
                };
                if !config.enabled {
                    return snapshot;
                }
                let Some(server) = self.connection(options, name, config, connect).await else {
                    return snapshot;
                };
                snapshot.tools = server
                    .allowed_tools()
                    .map(|tool| (tool.name.clone(), tool.clone()))
                    .collect();
                let (resources, templates) = tokio::join!(
                    server.client.list_all_resources(),
                    server.client.list_all_resource_templates()
                );
                snapshot.resources = resources.unwrap_or_default();
                snapshot.resource_templates = templates.unwrap_or_default();
                snapshot
            }
        });
        futures::future::join_all(snapshots).await
    }

    /// A running connection for `name`, reused or started.
    async fn connection(
        self: &Arc<Self>,
        options: &McpStartOptions,
        name: &str,
        config: &McpServerConfig,
        connect: &ConnectOptions,
    ) -> Option<Arc<StartedServer>> {
        let key = PoolKey::new(name, config, &connect.cwd);
        if let Some(server) = self.find(&key) {
            return Some(server);
        }
        match start_server(options.connector(), name, config, connect).await {
            Ok(server) => {
                let server = Arc::new(server);
                self.keep(key, &server);
                Some(server)
            }
            Err(error) => {
                tracing::info!("MCP server '{name}' did not start for the status list: {error}");
                None
            }
        }
    }

    /// A live connection for `key`: one the pool keeps (now used again), else a thread's.
    fn find(&self, key: &PoolKey) -> Option<Arc<StartedServer>> {
        let mut state = self.state.lock().ok()?;
        if let Some(kept) = state.kept.get_mut(key)
            && !kept.server.client.is_closed()
        {
            kept.last_used = Instant::now();
            return Some(kept.server.clone());
        }
        state
            .registered
            .get(key)
            .and_then(Weak::upgrade)
            .filter(|server| !server.client.is_closed())
    }

    fn keep(self: &Arc<Self>, key: PoolKey, server: &Arc<StartedServer>) {
        if let Ok(mut state) = self.state.lock() {
            let kept = Kept {
                server: server.clone(),
                last_used: Instant::now(),
            };
            state.kept.insert(key.clone(), kept);
        }
        tokio::spawn(expire(Arc::downgrade(self), key));
    }

    #[cfg(test)]
    fn kept_count(&self) -> usize {
        self.state.lock().map(|state| state.kept.len()).unwrap_or(0)
    }
}

/// Drops a kept connection once it has gone unused for [`IDLE_LIFETIME`].
async fn expire(pool: Weak<McpServerPool>, key: PoolKey) {
    loop {
        let deadline = {
            let Some(pool) = pool.upgrade() else { return };
            let Ok(state) = pool.state.lock() else { return };
            let Some(kept) = state.kept.get(&key) else {
                return;
            };
            kept.last_used + IDLE_LIFETIME
        };
        tokio::time::sleep_until(deadline).await;
        let Some(pool) = pool.upgrade() else { return };
        let Ok(mut state) = pool.state.lock() else {
            return;
        };
        if state
            .kept
            .get(&key)
            .is_some_and(|kept| kept.last_used + IDLE_LIFETIME <= Instant::now())
        {
            if let Some(kept) = state.kept.remove(&key) {
                kept.server.client.kill();
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use pretty_assertions::assert_eq;

    use super::*;
    use crate::fake_server;
    use crate::fake_server::Events;
    use crate::fake_server::Script;
    use crate::fake_server::config;
    use crate::manager::McpConnectionManager;

    fn tool_names(snapshot: &McpServerSnapshot) -> Vec<&str> {
        snapshot.tools.keys().map(String::as_str).collect()
    }

    #[tokio::test]
    async fn every_configured_server_sorted_with_empty_entries_for_the_unavailable() {
        let (connector, _) = fake_server::connector(vec![
            ("on", Script::default()),
            ("off", Script::default()),
            ("bad.name", Script::default()),
        ]);
        let options = McpStartOptions::new(PathBuf::from("/"), PathBuf::from("/codex"))
            .with_connector(connector);
        let servers = BTreeMap::from([
            (
                "on".to_owned(),
                config(|t| t.disabled_tools = Some(vec!["fail".to_owned()])),
            ),
            ("off".to_owned(), config(|t| t.enabled = Some(false))),
            ("bad.name".to_owned(), config(|_| {})),
            ("missing".to_owned(), config(|_| {})),
            ("invalid".to_owned(), Err("invalid transport".to_owned())),
        ]);
        let snapshots = McpServerPool::new().snapshot(&servers, &options).await;
        let names: Vec<_> = snapshots
            .iter()
            .map(|s| {
                (
                    s.name.as_str(),
                    tool_names(s),
                    s.resources.len(),
                    s.resource_templates.len(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("bad.name", vec![], 0, 0),
                ("invalid", vec![], 0, 0),
                ("missing", vec![], 0, 0),
                ("off", vec![], 0, 0),
                ("on", vec!["echo", "elicit", "sleep"], 2, 2),
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn running_connections_are_reused_and_snapshot_ones_expire_after_a_minute() {
        let (connector, connections) = fake_server::connector(vec![
            ("threads", Script::default()),
            ("status", Script::default()),
        ]);
        let pool = McpServerPool::new();
        let options = McpStartOptions::new(PathBuf::from("/work"), PathBuf::from("/codex"))
            .with_connector(connector)
            .with_pool(pool.clone());
        let threads = BTreeMap::from([("threads".to_owned(), config(|_| {}))]);
        let manager =
            McpConnectionManager::start(threads, options.clone(), Arc::new(Events::default()));
        assert_eq!(manager.tools().await.len(), 4);
        assert_eq!(connections.load(Ordering::SeqCst), 1);

        let both = BTreeMap::from([
            ("threads".to_owned(), config(|_| {})),
            ("status".to_owned(), config(|_| {})),
        ]);
        let first = pool.snapshot(&both, &options).await;
        assert_eq!(tool_names(&first[1]), ["echo", "elicit", "fail", "sleep"]);
        // The thread's server was reused; only the other one started.
        assert_eq!(connections.load(Ordering::SeqCst), 2);
        assert_eq!(pool.kept_count(), 1);

        tokio::time::sleep(Duration::from_secs(30)).await;
        pool.snapshot(&both, &options).await;
        assert_eq!(connections.load(Ordering::SeqCst), 2);

        // A minute after its last use the kept connection is gone; the thread's lives on.
        tokio::time::sleep(Duration::from_secs(61)).await;
        assert_eq!(pool.kept_count(), 0);
        pool.snapshot(&both, &options).await;
        assert_eq!(connections.load(Ordering::SeqCst), 3);

        // Another cwd is another connection for a stdio server.
        let elsewhere = McpStartOptions::new(PathBuf::from("/other"), PathBuf::from("/codex"))
            .with_connector(options.connector().clone());
        pool.snapshot(&threads_only(), &elsewhere).await;
        assert_eq!(connections.load(Ordering::SeqCst), 4);

        // Once the thread is gone, its connection is no longer offered.
        drop(manager);
        pool.snapshot(&threads_only(), &options).await;
        assert_eq!(connections.load(Ordering::SeqCst), 5);
    }

    fn threads_only() -> BTreeMap<String, Result<McpServerConfig, String>> {
        BTreeMap::from([("threads".to_owned(), config(|_| {}))])
    }
}
