//! What every handler can reach: the server-wide state.

use std::sync::Arc;

use std::path::PathBuf;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_config::ConfigService;
use codex_protocol::ThreadId;
use codex_rollout::RolloutStore;
use codex_utils_absolute_path::AbsolutePathBuf;
use tokio::sync::OnceCell;

use crate::config_api::WarningLedger;
use crate::error;
use crate::registry::Registry;
use crate::user_agent::Platform;

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
        Self::with_config(
            platform,
            ConfigState {
                service: Arc::new(service),
                cwd: dir("cwd"),
                warnings: WarningLedger::default(),
            },
            ThreadsState::new(root.join("home")),
        )
    }
}

/// The threads: those stored in `$CODEX_HOME`, and (with the core) those running.
#[derive(Debug)]
pub(crate) struct ThreadsState {
    codex_home: PathBuf,
    /// Opened on first use: opening scans the rollouts, which should not delay startup.
    store: OnceCell<RolloutStore>,
}

impl ThreadsState {
    pub(crate) fn new(codex_home: PathBuf) -> Self {
        Self {
            codex_home,
            store: OnceCell::new(),
        }
    }

    /// The rollout store, opened (on the blocking pool) by the first caller. A failed open is
    /// tried again by the next caller.
    pub(crate) async fn store(&self) -> Result<RolloutStore, JSONRPCErrorError> {
        let store = self
            .store
            .get_or_try_init(|| {
                let codex_home = self.codex_home.clone();
                async move {
                    tokio::task::spawn_blocking(move || RolloutStore::open(codex_home))
                        .await
                        .map_err(|err| {
                            error::internal_error(format!("thread store task failed: {err}"))
                        })?
                        .map_err(|err| {
                            tracing::error!("cannot open the thread store: {err:#}");
                            error::internal_error(format!("cannot open the thread store: {err}"))
                        })
                }
            })
            .await?;
        Ok(store.clone())
    }

    /// The threads running in this server, in no particular order.
    pub(crate) fn loaded_ids(&self) -> Vec<ThreadId> {
        Vec::new()
    }
}
