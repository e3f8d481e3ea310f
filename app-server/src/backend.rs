//! What the ChatGPT backend calls share: the account's credentials and the user agent.
//!
//! [`credentials`] is where the request handlers (rate limits, the model list) learn who is
//! signed in and, for a ChatGPT account, its token, from the server's `AuthManager`;
//! [`stored_credentials`] reads `auth.json` for the calls made without one (cloud requirements
//! at startup, before the manager exists, and the catalogue refresh a model answer triggers).

use std::path::Path;
use std::sync::Arc;

use codex_backend_client::ChatGptCredentials;
use codex_login::Auth;
use codex_login::AuthManager;
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

/// Who is signed in, by the server's credentials as they are now ([`current_auth`]).
pub(crate) async fn credentials(auth: &Arc<AuthManager>) -> Credentials {
    match current_auth(auth).await {
        None => Credentials::None,
        Some(auth) => of_stored(auth.stored().clone(), Some(&auth)),
    }
}

/// The server's credentials as they are now: the stores read again (another process may have
/// signed in or out), ChatGPT tokens older than eight days renewed first.
pub(crate) async fn current_auth(auth: &Arc<AuthManager>) -> Option<Auth> {
    let manager = Arc::clone(auth);
    if let Err(err) = tokio::task::spawn_blocking(move || manager.reload()).await {
        tracing::warn!("reading the credentials failed: {err}");
    }
    auth.auth().await
}

/// The credentials stored in `$CODEX_HOME/auth.json`, read on every call so a login by
/// another process is seen at once. A ChatGPT login without tokens counts as none.
pub(crate) fn stored_credentials(
    codex_home: &Path,
) -> Result<Credentials, codex_login::StorageError> {
    Ok(match codex_login::read_auth_json(codex_home)? {
        None => Credentials::None,
        Some(stored) => of_stored(stored, None),
    })
}

/// `auth` (when there is one) knows a plan a client named with its external tokens.
fn of_stored(stored: codex_login::AuthDotJson, auth: Option<&Auth>) -> Credentials {
    match stored.mode() {
        AuthMode::ApiKey => Credentials::ApiKey,
        AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens => match stored.tokens {
            None => Credentials::None,
            Some(tokens) => {
                let claims = codex_login::parse_claims(&tokens.id_token).ok();
                let claim = |pick: fn(codex_login::TokenClaims) -> Option<String>| {
                    claims.clone().and_then(pick)
                };
                Credentials::ChatGpt(ChatGptAccount {
                    plan_type: auth.and_then(Auth::plan_type).or_else(|| {
                        claim(|claims| claims.chatgpt_plan_type)
                            .map(|plan| codex_login::plan_type_from_claim(&plan))
                    }),
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
    }
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
