//! A ChatGPT account's calls to the ChatGPT backend, against `MockChatGptBackend`: rate limits,
//! the remote model list and cloud requirements.
//!
//! Each test writes an `auth.json` holding a ChatGPT login with fake tokens, points the server
//! at the mock (`chatgpt_base_url`, `OPENAI_BASE_URL`) and looks at both what the client is
//! told and what the backend was sent.

mod cloud_requirements;
mod models;
mod rate_limit_headers;
mod rate_limits;

use codex_test_support::chatgpt::MockChatGptBackend;
use codex_test_support::jwt::chatgpt_claims;
use codex_test_support::jwt::fake_jwt;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// The access token the stored login holds.
pub const ACCESS_TOKEN: &str = "access-token-1";
/// The account the stored login names.
pub const ACCOUNT_ID: &str = "acct-1";

/// Stores a ChatGPT login on `plan` in the folders' `auth.json`.
pub fn store_chatgpt_login(folders: &Folders, plan: &str) {
    let id_token = fake_jwt(&chatgpt_claims("user@example.com", plan, ACCOUNT_ID));
    let auth = json!({
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": null,
        "tokens": {
            "id_token": id_token,
            "access_token": ACCESS_TOKEN,
            "refresh_token": "refresh-1",
            "account_id": ACCOUNT_ID,
        },
        "last_refresh": "2099-01-01T00:00:00Z",
    });
    std::fs::write(folders.home().join("auth.json"), auth.to_string()).unwrap();
}

/// A stdio server on `folders` with `OPENAI_BASE_URL` pointing at the backend's catalogue.
pub async fn serve(folders: &Folders, backend: &MockChatGptBackend) -> (Server, Client) {
    let mut env = folders.env();
    env.push(("OPENAI_BASE_URL".to_owned(), backend.models_base_url()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (server, mut client) = Server::stdio(&env);
    client.initialize(false).await;
    (server, client)
}
