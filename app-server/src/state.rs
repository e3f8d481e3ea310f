//! What every handler can reach: the server-wide state.

use std::collections::HashMap;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_config::ConfigService;
use codex_config::ConfigToml;
use codex_core::thread::ModelClientFactory;
use codex_core::thread::ThreadManager;
use codex_core::thread::ThreadManagerOptions;
use codex_core::thread::ThreadSettings;
use codex_model_client::auth::RequestAuth;
use codex_model_client::client::model_client;
use codex_model_client::model::ModelClient;
use codex_model_client::provider::resolve_provider;
use codex_protocol::ThreadId;
use codex_protocol::protocol::SessionSource;
use codex_rollout::RolloutStore;
use codex_tools::CodexTools;
use codex_tools::ToolsConfig;
use codex_utils_absolute_path::AbsolutePathBuf;
use tokio::sync::OnceCell;

use crate::config_api::WarningLedger;
use crate::connection::ConnectionId;
use crate::error;
use crate::registry::Registry;
use crate::user_agent::Platform;
use codex_utils_lock::lock;

#[derive(Debug)]
pub(crate) struct ServerState {
    pub registry: Registry,
    pub platform: Platform,
    pub config: ConfigState,
    pub threads: ThreadsState,
}

/// The configuration the server was started with, and what clients know of its problems.
#[derive(Debug)]
pub(crate) struct ConfigState {
    pub service: Arc<ConfigService>,
    /// The server's working directory: where relative paths in requests point.
    pub cwd: AbsolutePathBuf,
    pub warnings: WarningLedger,
}

impl ServerState {
    pub(crate) fn with_config(
        platform: Platform,
        config: ConfigState,
        threads: ThreadsState,
    ) -> Self {
        Self {
            registry: Registry::default(),
            platform,
            config,
            threads,
        }
    }

    /// A server whose config folders do not exist, for tests that do not read config.
    #[cfg(test)]
    pub(crate) fn new(platform: Platform) -> Self {
        let root = std::env::temp_dir().join("codex-app-server-tests-without-config");
        let dir = |name: &str| AbsolutePathBuf::from_absolute_path(root.join(name)).unwrap();
        let paths = codex_config::ConfigPaths {
            codex_home: dir("home"),
            system_dir: dir("system"),
        };
        let service = ConfigService::new(paths, codex_config::SessionFlags::default()).unwrap();
        let service_for_threads = service.clone();
        Self::with_config(
            platform,
            ConfigState {
                service: Arc::new(service),
                cwd: dir("cwd"),
                warnings: WarningLedger::default(),
            },
            ThreadsState::new(root.join("home"), service_for_threads),
        )
    }
}

/// The threads: those stored in `$CODEX_HOME`, and those running in this server.
pub(crate) struct ThreadsState {
    codex_home: PathBuf,
    config: ConfigService,
    /// Opened on first use: opening scans the rollouts, which should not delay startup.
    manager: OnceCell<Arc<ThreadManager>>,
    /// What the server keeps beside each loaded thread, by id.
    live: Mutex<HashMap<ThreadId, Arc<LiveThread>>>,
}

impl std::fmt::Debug for ThreadsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadsState")
            .field("codex_home", &self.codex_home)
            .field("loaded", &self.loaded_ids())
            .finish_non_exhaustive()
    }
}

/// The server's side of a loaded thread.
#[derive(Debug, Default)]
pub(crate) struct LiveThread {
    /// Held by a request that must answer before the thread's next notifications go out
    /// (`turn/start`, `thread/compact/start`), and by the event pump for each event.
    pub gate: tokio::sync::Mutex<Gate>,
    /// The connection that started the latest turn: the one asked for approvals.
    pub turn_owner: Mutex<Option<ConnectionId>>,
}

/// What the pump must know about turns the requests started.
#[derive(Debug, Default)]
pub(crate) struct Gate {
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
    pub(crate) fn new(codex_home: PathBuf, config: ConfigService) -> Self {
        Self {
            codex_home,
            config,
            manager: OnceCell::new(),
            live: Mutex::new(HashMap::new()),
        }
    }

    /// The thread manager, created (on the blocking pool) by the first caller. A failed
    /// creation is tried again by the next caller.
    pub(crate) async fn manager(&self) -> Result<Arc<ThreadManager>, JSONRPCErrorError> {
        let manager = self
            .manager
            .get_or_try_init(|| {
                let codex_home = self.codex_home.clone();
                let config = self.config.clone();
                async move {
                    tokio::task::spawn_blocking(move || {
                        ThreadManager::new(ThreadManagerOptions {
                            models: model_clients(codex_home.clone()),
                            codex_home,
                            config,
                            tools: Arc::new(CodexTools::new(ToolsConfig {
                                sandbox_launcher: sandbox_launcher(),
                            })),
                            originator: ORIGINATOR.to_owned(),
                            cli_version: env!("CARGO_PKG_VERSION").to_owned(),
                            source: SessionSource::Vscode,
                        })
                    })
                    .await
                    .map_err(|err| {
                        error::internal_error(format!("thread store task failed: {err}"))
                    })?
                    .map(Arc::new)
                    .map_err(|err| {
                        tracing::error!("cannot open the thread store: {err:#}");
                        error::internal_error(format!("cannot open the thread store: {err}"))
                    })
                }
            })
            .await?;
        Ok(Arc::clone(manager))
    }

    /// The rollout store, shared with the thread manager.
    pub(crate) async fn store(&self) -> Result<RolloutStore, JSONRPCErrorError> {
        Ok(self.manager().await?.store().clone())
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
            tracing::warn!("threads still running at exit after {limit:?}");
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

    /// Starts keeping server-side state for a thread just loaded.
    pub(crate) fn add_live(&self, id: ThreadId) -> Arc<LiveThread> {
        let live = Arc::new(LiveThread::default());
        lock(&self.live).insert(id, Arc::clone(&live));
        live
    }

    pub(crate) fn live(&self, id: ThreadId) -> Option<Arc<LiveThread>> {
        lock(&self.live).get(&id).cloned()
    }

    pub(crate) fn remove_live(&self, id: ThreadId) {
        lock(&self.live).remove(&id);
    }
}

/// Written to each new rollout's `session_meta.originator`. The reference writes the name of
/// the client that started the thread; the thread manager takes one originator for all.
const ORIGINATOR: &str = "codex_app_server";

/// Builds each thread's model client from its config: the provider, then its credentials.
fn model_clients(codex_home: PathBuf) -> Arc<dyn ModelClientFactory> {
    Arc::new(
        move |config: &ConfigToml,
              settings: &ThreadSettings|
              -> Result<Arc<dyn ModelClient>, String> {
            let mut config = config.clone();
            config.model_provider = Some(settings.model_provider.clone());
            let provider = resolve_provider(&config).map_err(|err| err.to_string())?;
            let auth =
                RequestAuth::resolve(&provider, &codex_home).map_err(|err| err.to_string())?;
            model_client(provider, auth).map_err(|err| err.to_string())
        },
    )
}
