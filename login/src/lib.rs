//! Accounts and sign-in: the credentials a user stores for the agent and how they get there.

mod auth_json;
pub mod browser;
mod pkce;
mod token_claims;

pub use auth_json::AUTH_JSON;
pub use auth_json::AuthDotJson;
pub use auth_json::AuthMode;
pub use auth_json::StorageError;
pub use auth_json::TokenData;
pub use auth_json::read_auth_json;
pub use auth_json::remove_auth_json;
pub use auth_json::write_auth_json;
pub use token_claims::ClaimsError;
pub use token_claims::TokenClaims;
pub use token_claims::parse_claims;
pub use token_claims::plan_type_from_claim;
