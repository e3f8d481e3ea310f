//! ChatGPT accounts through a running server: `account/read` for ChatGPT tokens, token refresh
//! (by age, on request, after a 401 from the model) against a mock token endpoint, tokens a
//! client hands over (`chatgptAuthTokens`) and their renewal by the client, the credential
//! stores, and the v1 account methods.

mod chatgpt;
mod external;
mod stores;
mod v1;

use codex_test_support::MockModelServer;
use codex_test_support::MockTokenEndpoint;
use codex_test_support::jwt::chatgpt_claims;
use codex_test_support::jwt::fake_jwt;
use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// A home with a mock model and a mock token endpoint.
struct Setup {
    folders: Folders,
    model: MockModelServer,
    tokens: MockTokenEndpoint,
    work: String,
}

impl Setup {
    async fn new() -> Self {
        let folders = Folders::new();
        let work = folders.home().join("work");
        std::fs::create_dir_all(&work).unwrap();
        Self {
            folders,
            model: MockModelServer::start()
                .await
                .expect("the mock model starts"),
            tokens: MockTokenEndpoint::start()
                .await
                .expect("the mock token endpoint starts"),
            work: work.display().to_string(),
        }
    }

    /// Threads talk to the mock model, which takes the account's credentials (the provider
    /// names no key of its own).
    fn use_mock_model(&self, extra: &str) {
        self.folders.write_user_config(&format!(
            "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
             sandbox_mode = \"danger-full-access\"\n{extra}\n[model_providers.mock]\nname = \"mock\"\n\
             base_url = \"{}\"\nwire_api = \"responses\"\n\
             request_max_retries = 0\nstream_max_retries = 0\n",
            self.model.base_url()
        ));
    }

    /// Stores ChatGPT tokens in auth.json as a browser login does.
    fn store_chatgpt(&self, access_token: &str, last_refresh: &str) {
        let stored = json!({
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": null,
            "tokens": {
                "id_token": fake_jwt(&chatgpt_claims("user@example.com", "pro", "acc-1")),
                "access_token": access_token,
                "refresh_token": "refresh-1",
                "account_id": "acc-1",
            },
            "last_refresh": last_refresh,
        });
        std::fs::write(self.auth_json(), stored.to_string()).unwrap();
    }

    fn auth_json(&self) -> std::path::PathBuf {
        self.folders.home().join("auth.json")
    }

    fn stored(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.auth_json()).unwrap()).unwrap()
    }

    /// A server whose token refreshes go to the mock endpoint, and its client, initialized.
    async fn serve(&self, experimental: bool, extra: &[(&str, &str)]) -> (Server, Client) {
        let url = self.tokens.url();
        let env = self.folders.env();
        let mut env: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        env.push(("CODEX_REFRESH_TOKEN_URL_OVERRIDE", &url));
        env.extend_from_slice(extra);
        let (server, mut client) = Server::stdio(&env);
        client.initialize(experimental).await;
        (server, client)
    }
}

/// A timestamp long enough ago for tokens to be renewed before use.
const LONG_AGO: &str = "2020-01-01T00:00:00Z";

/// A `last_refresh` that never needs renewing (it lies in the future, which the server does
/// not mind), so a test need not compute today's date.
const FRESH: &str = "2100-01-01T00:00:00Z";

/// The next message that is a notification.
async fn next_notification(client: &mut Client) -> Value {
    let message = client.next().await;
    assert!(
        message.get("id").is_none(),
        "expected a notification, got {message}\n{}",
        client.report()
    );
    message
}

/// The bearer tokens the mock model was sent, in order.
fn bearers(model: &MockModelServer) -> Vec<String> {
    model
        .requests()
        .iter()
        .filter(|request| request.path.ends_with("/responses"))
        .map(|request| {
            request
                .header("authorization")
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}
