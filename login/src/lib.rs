//! Accounts and sign-in: the credentials a user stores for the agent, where they are kept,
//! and how they stay fresh.

mod auth_json;
pub mod browser;
mod keyring_store;
mod manager;
mod pkce;
mod refresh;
mod store;
mod token_claims;

pub use auth_json::AUTH_JSON;
pub use auth_json::AuthDotJson;
pub use auth_json::AuthMode;
pub use auth_json::StorageError;
pub use auth_json::TokenData;
pub use auth_json::read_auth_json;
pub use auth_json::remove_auth_json;
pub use auth_json::write_auth_json;
pub use keyring_store::Keyring;
pub use keyring_store::KeyringError;
pub use keyring_store::SystemKeyring;
pub use manager::Auth;
pub use manager::AuthManager;
pub use manager::ChatGptCredentials;
pub use manager::ExternalAuthError;
pub use manager::ExternalAuthRefresher;
pub use manager::ExternalTokens;
pub use manager::UnauthorizedRecovery;
pub use refresh::CLIENT_ID;
pub use refresh::REFRESH_TOKEN_URL;
pub use refresh::REFRESH_TOKEN_URL_OVERRIDE_ENV_VAR;
pub use refresh::RefreshError;
pub use refresh::RefreshFailure;
pub use refresh::refresh_token_url;
pub use store::AuthCredentialsStoreMode;
pub use store::CredentialStore;
pub use store::KEYRING_SERVICE;
pub use store::StoreError;
pub use store::store_key;
pub use token_claims::ClaimsError;
pub use token_claims::TokenClaims;
pub use token_claims::parse_claims;
pub use token_claims::plan_type_from_claim;
