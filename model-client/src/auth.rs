//! The bearer token a model request carries.
//!
//! The token is chosen as the reference chooses it, first match wins: the provider's `env_key`
//! variable (which, once named, must be set), its `experimental_bearer_token`, the account's
//! credentials (an API key, or a ChatGPT access token with its account id), else nothing.
//! `OPENAI_API_KEY` in the environment is not consulted. The account's credentials are read
//! from the process's [`AuthManager`] for every request, so a login, logout or token refresh
//! applies to threads already running.

use std::sync::Arc;

use codex_login::AuthManager;
use codex_login::UnauthorizedRecovery;

use crate::provider::ModelProviderInfo;

/// What a model request carries to authenticate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestAuth {
    /// Sent as `Authorization: Bearer …`; none sends no `Authorization` header.
    pub bearer_token: Option<String>,
    /// Sent as `ChatGPT-Account-ID` with ChatGPT tokens.
    pub chatgpt_account_id: Option<String>,
}

/// Where a client's requests get their [`RequestAuth`].
#[derive(Debug, Clone)]
pub enum RequestCredentials {
    /// Fixed by the provider's settings (or none at all).
    Fixed(RequestAuth),
    /// The account's, asked of the manager per request; a 401 may renew them.
    Account(Arc<AuthManager>),
}

impl From<RequestAuth> for RequestCredentials {
    fn from(auth: RequestAuth) -> Self {
        Self::Fixed(auth)
    }
}

impl RequestCredentials {
    /// The credentials for requests to `provider`, from the process environment and the
    /// account `auth` manages.
    pub fn resolve(
        provider: &ModelProviderInfo,
        auth: &Arc<AuthManager>,
    ) -> Result<Self, AuthError> {
        resolve_with_env(provider, auth, |name| std::env::var(name).ok())
    }

    /// What the next request carries (the account's tokens renewed first when old).
    pub(crate) async fn current(&self) -> RequestAuth {
        match self {
            Self::Fixed(auth) => auth.clone(),
            Self::Account(manager) => match manager.auth().await {
                Some(auth) => RequestAuth {
                    bearer_token: auth.bearer_token(),
                    chatgpt_account_id: auth.account_id(),
                },
                None => RequestAuth::default(),
            },
        }
    }

    /// The way out of a 401, for the account's credentials.
    pub(crate) fn unauthorized_recovery(&self) -> Option<UnauthorizedRecovery> {
        match self {
            Self::Fixed(_) => None,
            Self::Account(manager) => Some(manager.unauthorized_recovery()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The provider names an `env_key` that is unset or blank. The text is the reference's.
    #[error("Missing environment variable: `{var}`.{}", instructions.as_ref().map(|text| format!(" {text}")).unwrap_or_default())]
    MissingEnvVar {
        var: String,
        instructions: Option<String>,
    },
}

fn resolve_with_env(
    provider: &ModelProviderInfo,
    auth: &Arc<AuthManager>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<RequestCredentials, AuthError> {
    if let Some(var) = &provider.env_key {
        // Once a provider names its variable, there is no fallback: a silent switch to other
        // credentials would send the wrong key to the wrong place.
        return match env(var).filter(|value| !value.trim().is_empty()) {
            Some(key) => Ok(RequestCredentials::Fixed(RequestAuth {
                bearer_token: Some(key),
                chatgpt_account_id: None,
            })),
            None => Err(AuthError::MissingEnvVar {
                var: var.clone(),
                instructions: provider.env_key_instructions.clone(),
            }),
        };
    }
    if let Some(token) = &provider.experimental_bearer_token {
        return Ok(RequestCredentials::Fixed(RequestAuth {
            bearer_token: Some(token.clone()),
            chatgpt_account_id: None,
        }));
    }
    Ok(RequestCredentials::Account(Arc::clone(auth)))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use codex_login::AUTH_JSON;
    use codex_login::AuthCredentialsStoreMode;
    use codex_login::AuthDotJson;
    use codex_login::AuthMode;

    use std::path::Path;

    use super::*;

    fn provider(env_key: Option<&str>, token: Option<&str>) -> ModelProviderInfo {
        let mut provider = ModelProviderInfo::from_toml("test", &Default::default());
        provider.env_key = env_key.map(str::to_owned);
        provider.experimental_bearer_token = token.map(str::to_owned);
        provider
    }

    fn manager(home: &Path) -> Arc<AuthManager> {
        AuthManager::new(home.to_path_buf(), AuthCredentialsStoreMode::File)
    }

    fn bearer(
        provider: &ModelProviderInfo,
        home: &Path,
        env: &[(&str, &str)],
    ) -> Result<Option<String>, String> {
        let credentials = resolve_with_env(provider, &manager(home), |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .map_err(|error| error.to_string())?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        Ok(runtime.block_on(credentials.current()).bearer_token)
    }

    #[test]
    fn bearer_precedence() {
        let home = tempfile::tempdir().unwrap();
        let stored = AuthDotJson {
            auth_mode: Some(AuthMode::ApiKey),
            openai_api_key: Some("sk-stored".into()),
            tokens: None,
            last_refresh: None,
        };
        std::fs::write(
            home.path().join(AUTH_JSON),
            stored.to_file_contents().unwrap(),
        )
        .unwrap();
        let env = [("MY_KEY", "sk-env"), ("BLANK", "  ")];
        let home = home.path();

        assert_eq!(
            bearer(&provider(Some("MY_KEY"), Some("tok")), home, &env),
            Ok(Some("sk-env".into()))
        );
        assert_eq!(
            bearer(&provider(Some("NOPE"), Some("tok")), home, &env),
            Err("Missing environment variable: `NOPE`.".into())
        );
        let mut with_help = provider(Some("BLANK"), None);
        with_help.env_key_instructions = Some("Create a key at https://example.com.".into());
        assert_eq!(
            bearer(&with_help, home, &env),
            Err(
                "Missing environment variable: `BLANK`. Create a key at https://example.com."
                    .into()
            )
        );
        assert_eq!(
            bearer(&provider(None, Some("tok")), home, &env),
            Ok(Some("tok".into()))
        );
        assert_eq!(
            bearer(&provider(None, None), home, &env),
            Ok(Some("sk-stored".into()))
        );
        let empty = tempfile::tempdir().unwrap();
        assert_eq!(bearer(&provider(None, None), empty.path(), &env), Ok(None));
    }

    #[test]
    fn chatgpt_tokens_carry_the_account_id() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(AUTH_JSON),
            r#"{"OPENAI_API_KEY": null, "tokens": {"id_token": "i", "access_token": "a", "refresh_token": "r", "account_id": "acc"}}"#,
        )
        .unwrap();
        let credentials =
            resolve_with_env(&provider(None, None), &manager(home.path()), |_| None).unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(
            runtime.block_on(credentials.current()),
            RequestAuth {
                bearer_token: Some("a".into()),
                chatgpt_account_id: Some("acc".into())
            }
        );
    }
}
