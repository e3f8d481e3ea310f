//! What every handler can reach: the server-wide state.

use std::sync::Arc;

use codex_config::ConfigService;
use codex_utils_absolute_path::AbsolutePathBuf;

use crate::config_api::WarningLedger;
use crate::registry::Registry;
use crate::user_agent::Platform;

#[derive(Debug)]
pub(crate) struct ServerState {
    pub registry: Registry,
    pub platform: Platform,
    pub config: ConfigState,
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
    pub(crate) fn with_config(platform: Platform, config: ConfigState) -> Self {
        Self {
            registry: Registry::default(),
            platform,
            config,
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
        )
    }
}
