//! Configuration: loading `config.toml` in layers, and editing the user's file without
//! disturbing what the user wrote.
//!
//! Layers, lowest precedence first:
//!
//! 1. system: `/etc/codex/config.toml` (the folder moves with `CODEX_SYSTEM_CONFIG_DIR`);
//! 2. user: `$CODEX_HOME/config.toml` (`~/.codex` by default);
//! 3. project: each `.codex/config.toml` from the repository root down to the working
//!    directory, for trusted projects only (an untrusted one is listed with the reason);
//! 4. session flags: `-c key=value`, `--enable`/`--disable`, and a thread's overrides;
//! 5. the legacy `managed_config.toml` of the system folder.
//!
//! Admin requirements (`requirements.toml` in the system folder) restrict approval policies,
//! sandbox modes and web search modes, on every layer and every write.
//!
//! Loading never fails: a broken file becomes a disabled layer and a [`ConfigWarning`].
//!
//! ```
//! use codex_config::{ConfigPaths, ConfigService, SessionFlags};
//! use codex_utils_absolute_path::AbsolutePathBuf;
//!
//! let home = std::env::temp_dir().join(format!("codex-config-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&home).unwrap();
//! std::fs::write(home.join("config.toml"), "# mine\nmodel = 'o3'\n").unwrap();
//! let paths = ConfigPaths {
//!     codex_home: AbsolutePathBuf::from_absolute_path(&home).unwrap(),
//!     system_dir: AbsolutePathBuf::from_absolute_path(home.join("no-system")).unwrap(),
//! };
//! let flags = SessionFlags::new([("model_verbosity".to_owned(), "low".into())], &home).unwrap();
//! let service = ConfigService::new(paths, flags).unwrap();
//!
//! let effective = service.load(None).effective();
//! assert_eq!(effective["model"].as_str(), Some("o3"));
//! assert_eq!(effective["model_verbosity"].as_str(), Some("low"));
//! # std::fs::remove_dir_all(&home).unwrap();
//! ```

mod diagnostics;
mod edit;
pub mod features;
mod layer;
mod loader;
pub mod mcp;
mod paths;
mod requirements;
mod service;
mod session;
mod stack;
mod tree;
mod types;

pub use diagnostics::ConfigWarning;
pub use diagnostics::TextPosition;
pub use diagnostics::TextRange;
pub use layer::ConfigLayer;
pub use layer::LayerMetadata;
pub use layer::LayerSource;
pub use layer::version_of;
pub use mcp::McpServerConfig;
pub use mcp::McpServerTransportConfig;
pub use paths::CODEX_HOME_ENV;
pub use paths::CONFIG_TOML;
pub use paths::ConfigPaths;
pub use paths::MANAGED_CONFIG_TOML;
pub use paths::REQUIREMENTS_TOML;
pub use paths::SYSTEM_CONFIG_DIR_ENV;
pub use requirements::CloudRequirements;
pub use requirements::RequirementSource;
pub use requirements::Requirements;
pub use requirements::ResidencyRequirement;
pub use requirements::SandboxModeRequirement;
pub use requirements::Sourced;
pub use requirements::Violation;
pub use service::ConfigEdit;
pub use service::ConfigService;
pub use service::MergeStrategy;
pub use service::Overridden;
pub use service::WriteError;
pub use service::WriteErrorCode;
pub use service::WriteOutcome;
pub use service::WriteRequest;
pub use session::SessionFlags;
pub use stack::ConfigLayerStack;
pub use stack::ResolvedConfig;
pub use tree::KeyPathError;
pub use tree::MAX_KEY_PATH_PARTS;
pub use types::*;

/// Why configuration could not be set up, or a thread's overrides were refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot find the home directory for the default CODEX_HOME; set CODEX_HOME")]
    NoHomeDirectory,
    #[error("invalid {what}: {source}")]
    Path {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config override: {0}")]
    InvalidOverride(String),
    #[error("override not allowed by the requirements: {0}")]
    OverrideNotAllowed(String),
    #[error("config profile `{0}` not found")]
    ProfileNotFound(String),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}
