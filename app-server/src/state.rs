//! What every handler can reach: the server-wide state.

use std::collections::HashMap;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_config::ConfigService;
use codex_core::McpRuntime;
use codex_core::thread::ThreadManager;
use codex_core::thread::ThreadManagerOptions;
use codex_core::thread::configured_model_clients;
use codex_login::AuthManager;
use codex_protocol::ThreadId;
use codex_protocol::protocol::SessionSource;
use codex_rmcp_client::McpServerPool;
use codex_rollout::RolloutStore;
use codex_tools::CodexTools;
use codex_tools::ToolsConfig;
use codex_utils_absolute_path::AbsolutePathBuf;
use codex_utils_elapsed::format_duration;
use codex_utils_lock::lock;
use tokio::sync::OnceCell;
use tokio::sync::OwnedMutexGuard;

use crate::config_warnings::WarningLedger;
use crate::connection::ConnectionId;
use crate::error;
use crate::handlers::DefaultProviderCache;
use crate::journal::ReplaySettings;
use crate::login_flow::ActiveLogins;
use crate::model_catalogue::RemoteCatalogue;
use crate::model_catalogue::watching_models_etag;
use crate::registry::Registry;
use crate::thread_requests::ThreadRequests;
use codex_utils_user_agent::Platform;

#[derive(Debug)]
pub(crate) struct ServerState {
    pub registry: Registry,
    /// Server requests about threads, which outlive the connection they were sent on.
    pub requests: ThreadRequests,
    /// The account's credentials: the one cache every handler and model request reads.
    pub auth: Arc<AuthManager>,
    pub platform: Platform,
    pub config: ConfigState,
    pub threads: ThreadsState,
    /// The ChatGPT apps `app/list` loaded lately.
    pub apps: codex_apps::Catalog,
    /// The pending ChatGPT sign-in.
    pub logins: ActiveLogins,
    /// See [`crate::ServerOptions::release_memory`]; does nothing unless the binary says how.
    pub release_memory: fn(),
}

/// The configuration the server was started with, and what clients know of its problems.
#[derive(Debug)]
pub(crate) struct ConfigState {
    pub service: Arc<ConfigService>,
    /// The server's working directory: where relative paths in requests point.
    pub cwd: AbsolutePathBuf,
    pub warnings: WarningLedger,
    /// What is kept for clients that reconnect (`[app_server]`), read at startup.
    pub replay: ReplaySettings,
    /// The provider `thread/list` lists by default, kept between pages.
    pub default_provider: DefaultProviderCache,
}

impl ServerState {
    pub(crate) fn with_config(
        platform: Platform,
        config: ConfigState,
        threads: ThreadsState,
    ) -> Self {
        Self {
            registry: Registry::new(config.replay),
            requests: ThreadRequests::new(config.replay.request_grace),
            auth: Arc::clone(&threads.auth),
            platform,
            config,
            threads,
            apps: codex_apps::Catalog::default(),
            logins: ActiveLogins::default(),
            release_memory: || {},
        }
    }

    /// Starts opening the rollout store in the background, once the first `initialize` is
    /// answered, so that the first stored-thread method finds it open.
    pub(crate) fn open_store_soon(self: &Arc<Self>) {
        if self.threads.store.initialized() {
            return;
        }
        let state = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(err) = state.threads.store().await {
                tracing::warn!("{}", err.message);
            }
        });
    }

    /// A server on a made-up platform whose config folders, under `root`, do not exist, for
    /// tests that do not read config; its threads are stored in `root/home`.
    #[cfg(test)]
    pub(crate) fn new(root: &std::path::Path) -> Self {
        let platform = Platform {
            os: "TestOS".into(),
            os_version: "1".into(),
            arch: "x86_64".into(),
            terminal: "dumb".into(),
        };
        let dir = |name: &str| AbsolutePathBuf::from_absolute_path(root.join(name)).unwrap();
        let paths = codex_config::ConfigPaths {
            codex_home: dir("home"),
            system_dir: dir("system"),
        };
        let service = ConfigService::new(paths, codex_config::SessionFlags::default()).unwrap();
        let service_for_threads = service.clone();
        let store = RolloutStore::open(root.join("home")).unwrap();
        Self::with_config(
            platform,
            ConfigState {
                service: Arc::new(service),
                cwd: dir("cwd"),
                warnings: WarningLedger::default(),
                replay: ReplaySettings::default(),
                default_provider: DefaultProviderCache::default(),
            },
            ThreadsState::new(
                root.join("home"),
                service_for_threads,
                Some(store),
                AuthManager::new(
                    root.join("home"),
                    codex_login::AuthCredentialsStoreMode::File,
                ),
            ),
        )
    }
}

/// The threads: those stored in `$CODEX_HOME`, and those running in this server.
pub(crate) struct ThreadsState {
    codex_home: PathBuf,
    config: ConfigService,
    /// The rollouts on disk, opened after the first `initialize` answer (or by the first method
    /// that needs them), so that creating the index file, with its fsyncs, does not delay the
    /// answer. The stored-thread methods read it directly and never build the agent runtime.
    store: OnceCell<RolloutStore>,
    /// The agent runtime (model clients, tools, loaded threads), built by the first method that
    /// loads a thread.
    manager: OnceCell<Arc<ThreadManager>>,
    /// The gate of each loaded thread, by id.
    gates: Mutex<HashMap<ThreadId, Arc<ThreadGate>>>,
    /// What the threads' MCP servers share, the pool `mcpServerStatus/list` reuses among it.
    mcp: McpRuntime,
    /// The account's credentials, which the model clients read per request.
    auth: Arc<AuthManager>,
    /// The ChatGPT account's model catalogue, which the threads' model clients refresh when an
    /// answer names a new version of it.
    pub(crate) models: Arc<RemoteCatalogue>,
}

impl std::fmt::Debug for ThreadsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadsState")
            .field("codex_home", &self.codex_home)
            .field("loaded", &self.loaded_ids())
            .finish_non_exhaustive()
    }
}

/// The per-thread gate: what the server keeps beside each loaded thread so that a request's
/// answer goes out before the notifications it caused.
#[derive(Debug, Default)]
pub(crate) struct ThreadGate {
    /// Held by a request that must answer before the thread's next notifications go out
    /// (`turn/start`, `thread/compact/start`), and by the event pump for each event.
    held: Arc<tokio::sync::Mutex<GatedTurns>>,
    /// The connection that started the latest turn: the one asked for approvals.
    pub turn_owner: Mutex<Option<ConnectionId>>,
}

impl ThreadGate {
    /// Closes the gate until the guard is dropped.
    pub(crate) async fn hold(&self) -> OwnedMutexGuard<GatedTurns> {
        Arc::clone(&self.held).lock_owned().await
    }

    /// Closes the gate at once if it is open.
    pub(crate) fn try_hold(&self) -> Option<OwnedMutexGuard<GatedTurns>> {
        Arc::clone(&self.held).try_lock_owned().ok()
    }
}

/// What the pump must know about turns the requests started.
#[derive(Debug, Default)]
pub(crate) struct GatedTurns {
    /// Turns that compact the history: the reference announces no `turn/started` for them.
    pub compactions: HashSet<String>,
}

/// The running `codex` binary: its `sandbox linux` subcommand confines the agent's commands.
pub(crate) fn sandbox_launcher() -> Option<PathBuf> {
    match std::env::current_exe() {
        Ok(path) => Some(path),
        Err(err) => {
            tracing::warn!(
                "cannot find the running executable; sandboxed commands are refused: {err}"
            );
            None
        }
    }
}

impl ThreadsState {
    /// The threads of `codex_home`; `store` is the rollout store when it is already open, else
    /// [`ThreadsState::store`] opens it when first asked.
    pub(crate) fn new(
        codex_home: PathBuf,
        config: ConfigService,
        store: Option<RolloutStore>,
        auth: Arc<AuthManager>,
    ) -> Self {
        let mcp = McpRuntime {
            codex_exe: sandbox_launcher(),
            pool: Some(McpServerPool::new()),
            oauth_home: Some(codex_home.clone()),
            auth: Some(Arc::clone(&auth)),
        };
        Self {
            models: Arc::new(RemoteCatalogue::new(codex_home.clone())),
            codex_home,
            config,
            store: OnceCell::new_with(store),
            manager: OnceCell::new(),
            gates: Mutex::new(HashMap::new()),
            mcp,
            auth,
        }
    }

    /// What the threads' MCP servers share; `mcpServerStatus/list` starts its own connections
    /// with it too.
    pub(crate) fn mcp(&self) -> &McpRuntime {
        &self.mcp
    }

    /// The thread manager, the agent runtime, built (on the blocking pool) by the first
    /// caller: only the methods that load or drive a thread build it.
    pub(crate) async fn manager(&self) -> Result<Arc<ThreadManager>, JSONRPCErrorError> {
        let manager = self
            .manager
            .get_or_try_init(|| {
                async move {
                    let store = self.store().await?;
                    let options = ThreadManagerOptions {
                        models: watching_models_etag(
                            configured_model_clients(Arc::clone(&self.auth)),
                            Arc::clone(&self.models),
                            crate::backend::server_user_agent(Platform::current()),
                        ),
                        codex_home: self.codex_home.clone(),
                        store,
                        config: self.config.clone(),
                        tools: Arc::new(CodexTools::new(ToolsConfig {
                            sandbox_launcher: sandbox_launcher(),
                        })),
                        originator: ORIGINATOR.to_owned(),
                        cli_version: env!("CARGO_PKG_VERSION").to_owned(),
                        source: SessionSource::Vscode,
                        mcp: self.mcp.clone(),
                    };
                    // Building installs the bundled skills on disk.
                    tokio::task::spawn_blocking(move || Arc::new(ThreadManager::new(options)))
                        .await
                        .map_err(|err| {
                            error::internal_error(format!("thread manager task failed: {err}"))
                        })
                }
            })
            .await?;
        Ok(Arc::clone(manager))
    }

    /// The thread manager if it was built, that is when a thread was loaded at some point.
    /// For methods that only look at loaded threads: without a manager there are none.
    pub(crate) fn running(&self) -> Option<Arc<ThreadManager>> {
        self.manager.get().cloned()
    }

    /// The rollout store, which the thread manager shares, opened (on the blocking pool:
    /// opening checks or creates the index file; the index catches up with the rollouts in the
    /// background) by the first caller.
    pub(crate) async fn store(&self) -> Result<RolloutStore, JSONRPCErrorError> {
        let store = self
            .store
            .get_or_try_init(|| {
                let home = self.codex_home.clone();
                async move {
                    tokio::task::spawn_blocking(move || {
                        RolloutStore::open_in_background(&home).map_err(|err| {
                            error::internal_error(format!(
                                "cannot open the thread store in {}: {err}",
                                home.display()
                            ))
                        })
                    })
                    .await
                    .map_err(|err| {
                        error::internal_error(format!("the thread store task failed: {err}"))
                    })?
                }
            })
            .await?;
        Ok(store.clone())
    }

    /// The rollout store if something opened it.
    pub(crate) fn opened_store(&self) -> Option<RolloutStore> {
        self.store.get().cloned()
    }

    /// The threads running in this server, in no particular order.
    pub(crate) fn loaded_ids(&self) -> Vec<ThreadId> {
        self.manager
            .get()
            .map(|manager| manager.loaded())
            .unwrap_or_default()
    }

    /// Shuts every loaded thread down (interrupting running turns) so that their rollouts are
    /// complete on disk before the server exits; gives up after `limit`.
    pub(crate) async fn shutdown(&self, limit: std::time::Duration) {
        let Some(manager) = self.manager.get() else {
            return;
        };
        let unload_all = async {
            for id in manager.loaded() {
                if let Err(err) = manager.unload(id).await {
                    tracing::warn!(thread = %id, "cannot shut the thread down: {err}");
                }
            }
        };
        if tokio::time::timeout(limit, unload_all).await.is_err() {
            tracing::warn!(
                "threads still running at exit after {}",
                format_duration(limit)
            );
        }
    }

    /// Waits until what the loaded threads recorded so far is on disk, so that a thread a
    /// client saw change is listed and read as it saw it.
    pub(crate) async fn flush_loaded(&self) {
        let Some(manager) = self.manager.get() else {
            return;
        };
        for id in manager.loaded() {
            if let Ok(thread) = manager.get(id) {
                thread.flush().await;
            }
        }
    }

    /// Opens the gate of a thread just loaded.
    pub(crate) fn add_gate(&self, id: ThreadId) -> Arc<ThreadGate> {
        let gate = Arc::new(ThreadGate::default());
        lock(&self.gates).insert(id, Arc::clone(&gate));
        gate
    }

    pub(crate) fn gate(&self, id: ThreadId) -> Option<Arc<ThreadGate>> {
        lock(&self.gates).get(&id).cloned()
    }

    /// Closes a loaded thread's gate until the guard is dropped; `None` when the thread has
    /// none (it is no longer loaded).
    pub(crate) async fn hold_gate(&self, id: ThreadId) -> Option<OwnedMutexGuard<GatedTurns>> {
        let gate = self.gate(id)?;
        Some(gate.hold().await)
    }

    pub(crate) fn remove_gate(&self, id: ThreadId) {
        lock(&self.gates).remove(&id);
    }
}

/// Written to each new rollout's `session_meta.originator`. The reference writes the name of
/// the client that started the thread; the thread manager takes one originator for all.
const ORIGINATOR: &str = "codex_app_server";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_rollout_store_is_opened_by_its_first_user_and_kept() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let paths = codex_config::ConfigPaths {
            codex_home: AbsolutePathBuf::from_absolute_path(&home).unwrap(),
            system_dir: AbsolutePathBuf::from_absolute_path(root.path().join("system")).unwrap(),
        };
        let service = ConfigService::new(paths, codex_config::SessionFlags::default()).unwrap();
        let auth = AuthManager::new(home.clone(), codex_login::AuthCredentialsStoreMode::File);
        let threads = ThreadsState::new(home.clone(), service, None, auth);
        assert!(!threads.store.initialized());
        assert!(
            !home.exists(),
            "nothing is written before the store is asked for"
        );

        let store = threads.store().await.unwrap();
        assert!(threads.store.initialized());
        assert!(
            !home.exists(),
            "the thread index waits for a list or a lookup"
        );
        store.list(&codex_rollout::ListQuery::default()).unwrap();
        // The list opened it, on a background thread.
        store.wait_for_index().unwrap();
        assert!(home.join(codex_rollout::INDEX_FILE_NAME).exists());
        threads.store().await.unwrap();
    }
}
