//! Where the config files live.

use std::path::Path;

use codex_utils_absolute_path::AbsolutePathBuf;

use crate::ConfigError;

/// The name of a config file, in every folder that has one.
pub const CONFIG_TOML: &str = "config.toml";
/// The admin's requirements, in the system folder.
pub const REQUIREMENTS_TOML: &str = "requirements.toml";
/// The legacy managed config, in the system folder: a layer above everything and a source of
/// requirements.
pub const MANAGED_CONFIG_TOML: &str = "managed_config.toml";
/// The environment variable naming the user's Codex folder; `~/.codex` when unset.
pub const CODEX_HOME_ENV: &str = "CODEX_HOME";
/// The environment variable that moves the system folder (`/etc/codex`) elsewhere, for tests
/// and for installations that keep admin files somewhere else.
pub const SYSTEM_CONFIG_DIR_ENV: &str = "CODEX_SYSTEM_CONFIG_DIR";

const DEFAULT_SYSTEM_CONFIG_DIR: &str = "/etc/codex";

/// The user's Codex folder and the system folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPaths {
    pub codex_home: AbsolutePathBuf,
    pub system_dir: AbsolutePathBuf,
}

impl ConfigPaths {
    /// Reads `CODEX_HOME` and `CODEX_SYSTEM_CONFIG_DIR`, resolving relative values against
    /// `cwd`.
    pub fn from_env(cwd: &Path) -> Result<Self, ConfigError> {
        let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let codex_home = match var(CODEX_HOME_ENV) {
            Some(home) => AbsolutePathBuf::resolve_path_against_base(home, cwd),
            None => {
                let home = std::env::home_dir().ok_or(ConfigError::NoHomeDirectory)?;
                AbsolutePathBuf::resolve_path_against_base(".codex", home)
            }
        }
        .map_err(|source| ConfigError::Path {
            what: CODEX_HOME_ENV,
            source,
        })?;
        let system_dir = AbsolutePathBuf::resolve_path_against_base(
            var(SYSTEM_CONFIG_DIR_ENV).unwrap_or_else(|| DEFAULT_SYSTEM_CONFIG_DIR.into()),
            cwd,
        )
        .map_err(|source| ConfigError::Path {
            what: SYSTEM_CONFIG_DIR_ENV,
            source,
        })?;
        Ok(Self {
            codex_home,
            system_dir,
        })
    }

    pub fn user_config(&self) -> AbsolutePathBuf {
        join(&self.codex_home, CONFIG_TOML)
    }

    pub fn system_config(&self) -> AbsolutePathBuf {
        join(&self.system_dir, CONFIG_TOML)
    }

    pub fn requirements(&self) -> AbsolutePathBuf {
        join(&self.system_dir, REQUIREMENTS_TOML)
    }

    pub fn managed_config(&self) -> AbsolutePathBuf {
        join(&self.system_dir, MANAGED_CONFIG_TOML)
    }
}

/// Joins a plain file name onto an absolute folder, which cannot fail.
pub(crate) fn join(dir: &AbsolutePathBuf, name: &str) -> AbsolutePathBuf {
    dir.join(name).unwrap_or_else(|_| dir.clone())
}
