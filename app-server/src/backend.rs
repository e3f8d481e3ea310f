//! What the ChatGPT backend calls share: the account's credentials and the user agent.
//!
//! [`stored_credentials`] is the one place the backend calls (rate limits, the model catalogue,
//! cloud requirements) learn who is signed in and, for a ChatGPT account, its token.

use std::path::Path;

use codex_backend_client::ChatGptCredentials;
use codex_login::AuthMode;
use codex_protocol::account::PlanType;
use codex_utils_user_agent::Platform;

/// Who is signed in, as the backend calls need to know it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Credentials {
    None,
    ApiKey,
    ChatGpt(ChatGptAccount),
}

/// A ChatGPT account: what it presents to the backend, and what its id token says.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChatGptAccount {
    pub(crate) credentials: ChatGptCredentials,
    pub(crate) plan_type: Option<PlanType>,
    pub(crate) user_id: Option<String>,
}

/// The credentials stored under `codex_home`, read from `auth.json` on every call so a login by
/// another process is seen at once. A ChatGPT login without tokens counts as none.
///
/// The one place backend calls get credentials; a credentials manager that refreshes tokens
/// replaces its body.
pub(crate) fn stored_credentials(
    codex_home: &Path,
) -> Result<Credentials, codex_login::StorageError> {
    let Some(stored) = codex_login::read_auth_json(codex_home)? else {
        return Ok(Credentials::None);
    };
    Ok(match stored.mode() {
        AuthMode::ApiKey => Credentials::ApiKey,
        AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens => match stored.tokens {
            None => Credentials::None,
            Some(tokens) => {
                let claims = codex_login::parse_claims(&tokens.id_token).ok();
                let claim = |pick: fn(codex_login::TokenClaims) -> Option<String>| {
                    claims.clone().and_then(pick)
                };
                Credentials::ChatGpt(ChatGptAccount {
                    plan_type: claim(|claims| claims.chatgpt_plan_type)
                        .map(|plan| codex_login::plan_type_from_claim(&plan)),
                    user_id: claim(|claims| claims.chatgpt_user_id),
                    credentials: ChatGptCredentials {
                        access_token: tokens.access_token,
                        account_id: tokens
                            .account_id
                            .or_else(|| claim(|claims| claims.chatgpt_account_id)),
                    },
                })
            }
        },
    })
}

/// The user agent for backend calls made for no connection in particular (at startup): the
/// reference's `codex_cli_rs/<version> (<os> <os version>; <arch>) <terminal>`.
pub(crate) fn server_user_agent(platform: &Platform) -> String {
    let Platform {
        os,
        os_version,
        arch,
        terminal,
    } = platform;
    let version = env!("CARGO_PKG_VERSION");
    format!("codex_cli_rs/{version} ({os} {os_version}; {arch}) {terminal}")
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '_'
            }
        })
        .collect()
}
