//! The ChatGPT apps (connectors) an account can use, as `app/list` shows them.
//!
//! Two lists are loaded for an account and merged: the backend's directory of every app
//! ([`Catalog::directory`]), and the apps the account has connected, which the `codex_apps`
//! MCP gateway exposes as tools tagged with their connector ([`Catalog::accessible`]). Each
//! list is kept for an hour per account; a caller may load them side by side and show the
//! merge of whatever has arrived ([`merge`]).

mod accessible;
mod backend;
mod cache;
mod directory;
mod merge;

use std::time::Duration;

pub use accessible::CODEX_APPS_SERVER;
pub use accessible::gateway_config;
pub use backend::Account;
pub use backend::Backend;
pub use cache::Catalog;
pub use codex_backend_client::DEFAULT_CHATGPT_BASE_URL;
pub use merge::install_url;
pub use merge::merge;

/// How long a loaded list is reused.
pub const CACHE_TTL: Duration = Duration::from_secs(3600);

/// One app, as `app/list` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub logo_url: Option<String>,
    pub logo_url_dark: Option<String>,
    pub distribution_channel: Option<String>,
    pub install_url: Option<String>,
    /// Whether the account has connected the app (it is offered through the gateway).
    pub is_accessible: bool,
}

impl App {
    fn named(id: String, name: String) -> Self {
        Self {
            id,
            name,
            description: None,
            logo_url: None,
            logo_url_dark: None,
            distribution_channel: None,
            install_url: None,
            is_accessible: false,
        }
    }
}

/// Why a list could not be loaded. The texts are what the reference answers after its
/// `failed to list apps: ` prefix.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AppsError {
    #[error("ChatGPT account ID not available, please re-run `codex login`")]
    MissingAccountId,
    #[error("Request failed with status {status}: {body}")]
    Status { status: String, body: String },
    #[error("Failed to send request: {0}")]
    Send(String),
    #[error("Failed to parse JSON response: {0}")]
    Parse(String),
}
