//! The ChatGPT backend as a ChatGPT account's client sees it: the Codex usage (rate limits),
//! the workspace's managed requirements (and their cache), and the model catalogue offered to
//! the account (and its cache).
//!
//! Every call takes the account's [`ChatGptCredentials`] as a value; where they come from (the
//! stored login, refreshed) is the caller's business. Requests carry `Authorization: Bearer`,
//! `ChatGPT-Account-Id` and the codex user agent, and are bounded in time.
//!
//! ```
//! use codex_backend_client::BackendClient;
//! use codex_backend_client::ChatGptCredentials;
//!
//! let credentials = ChatGptCredentials {
//!     access_token: "token".to_owned(),
//!     account_id: Some("acct".to_owned()),
//! };
//! let client = BackendClient::new(Some("https://chatgpt.com"), credentials, "ua").unwrap();
//! assert_eq!(client.usage_url(), "https://chatgpt.com/backend-api/wham/usage");
//! ```

mod client;
pub mod models;
pub mod requirements_cache;
pub mod usage;

pub use client::BackendClient;
pub use client::BackendError;
pub use client::ChatGptCredentials;
pub use client::DEFAULT_CHATGPT_BASE_URL;
pub use client::normalize_base_url;

/// The client version this server presents itself as to the backend (`client_version`,
/// `version`): the one whose wire protocol it speaks, so the backend offers the models and
/// features that version understands.
pub const CLIENT_VERSION: &str = "0.101.0";
