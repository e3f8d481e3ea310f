//! Where the ChatGPT backend is and who is asking: the base URL, the account's token, and the
//! GET requests the directory is read with.

use std::time::Duration;

use codex_login::Auth;
use codex_protocol::account::PlanType;
use serde::de::DeserializeOwned;

use crate::AppsError;

/// The signed-in ChatGPT account the lists are loaded for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub access_token: String,
    pub account_id: Option<String>,
    pub user_id: Option<String>,
    /// A workspace plan (team, business, enterprise, edu) also has workspace apps.
    pub workspace: bool,
}

impl Account {
    /// The ChatGPT account `auth` signs in, managed or handed over by a client; `None` for an
    /// API key.
    pub fn of(auth: &Auth) -> Option<Self> {
        if !auth.is_chatgpt() {
            return None;
        }
        let tokens = auth.stored().tokens.as_ref()?;
        let claims = codex_login::parse_claims(&tokens.id_token).unwrap_or_default();
        Some(Self {
            access_token: tokens.access_token.clone(),
            account_id: auth.account_id().or(claims.chatgpt_account_id),
            user_id: claims.chatgpt_user_id,
            workspace: matches!(
                auth.plan_type(),
                Some(PlanType::Team | PlanType::Business | PlanType::Enterprise | PlanType::Edu)
            ),
        })
    }
}

/// The ChatGPT backend of one config (`chatgpt_base_url`), reached with the codex user agent.
#[derive(Debug, Clone)]
pub struct Backend {
    /// Without a trailing `/`.
    base_url: String,
    client: reqwest::Client,
}

impl Backend {
    pub fn new(base_url: &str, user_agent: &str) -> Result<Self, AppsError> {
        codex_utils_rustls_provider::ensure_rustls_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .build()
            .map_err(|err| AppsError::Send(err.to_string()))?;
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// GET `path` (with `query`) as `account`, within `timeout`, parsed as JSON.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        account: &Account,
        path: &str,
        query: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<T, AppsError> {
        let account_id = account
            .account_id
            .as_deref()
            .ok_or(AppsError::MissingAccountId)?;
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .query(query)
            .bearer_auth(&account.access_token)
            .header("chatgpt-account-id", account_id)
            .header("Content-Type", "application/json")
            .timeout(timeout)
            .send()
            .await
            .map_err(|err| AppsError::Send(err.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(AppsError::Status {
                status: status.to_string(),
                body,
            });
        }
        response
            .json()
            .await
            .map_err(|err| AppsError::Parse(err.to_string()))
    }
}
