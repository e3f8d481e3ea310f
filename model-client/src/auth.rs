//! The bearer token a model request carries.
//!
//! The token is chosen as the reference chooses it, first match wins: the provider's `env_key`
//! variable (which, once named, must be set), its `experimental_bearer_token`, the stored
//! credentials (an API key, or a ChatGPT access token with its account id), else nothing.
//! `OPENAI_API_KEY` in the environment is not consulted.

use std::path::Path;

use codex_login::AuthMode;
use codex_login::StorageError;
use codex_login::read_auth_json;

use crate::provider::ModelProviderInfo;

/// What a model request carries to authenticate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestAuth {
    /// Sent as `Authorization: Bearer …`; none sends no `Authorization` header.
    pub bearer_token: Option<String>,
    /// Sent as `ChatGPT-Account-ID` with ChatGPT tokens.
    pub chatgpt_account_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The provider names an `env_key` that is unset or blank. The text is the reference's.
    #[error("Missing environment variable: `{var}`.{}", instructions.as_ref().map(|text| format!(" {text}")).unwrap_or_default())]
    MissingEnvVar {
        var: String,
        instructions: Option<String>,
    },
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl RequestAuth {
    /// The credentials for requests to `provider`, from the process environment and the
    /// credentials stored under `codex_home`.
    pub fn resolve(provider: &ModelProviderInfo, codex_home: &Path) -> Result<Self, AuthError> {
        resolve_with_env(provider, codex_home, |name| std::env::var(name).ok())
    }
}

fn resolve_with_env(
    provider: &ModelProviderInfo,
    codex_home: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<RequestAuth, AuthError> {
    if let Some(var) = &provider.env_key {
        // Once a provider names its variable, there is no fallback: a silent switch to other
        // credentials would send the wrong key to the wrong place.
        return match env(var).filter(|value| !value.trim().is_empty()) {
            Some(key) => Ok(RequestAuth {
                bearer_token: Some(key),
                chatgpt_account_id: None,
            }),
            None => Err(AuthError::MissingEnvVar {
                var: var.clone(),
                instructions: provider.env_key_instructions.clone(),
            }),
        };
    }
    if let Some(token) = &provider.experimental_bearer_token {
        return Ok(RequestAuth {
            bearer_token: Some(token.clone()),
            chatgpt_account_id: None,
        });
    }
    let Some(stored) = read_auth_json(codex_home)? else {
        return Ok(RequestAuth::default());
    };
    Ok(match stored.mode() {
        AuthMode::ApiKey => RequestAuth {
            bearer_token: stored.openai_api_key,
            chatgpt_account_id: None,
        },
        AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens => match stored.tokens {
            Some(tokens) => RequestAuth {
                bearer_token: Some(tokens.access_token),
                chatgpt_account_id: tokens.account_id,
            },
            None => RequestAuth::default(),
        },
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use codex_login::AUTH_JSON;
    use codex_login::AuthDotJson;

    use super::*;

    fn provider(env_key: Option<&str>, token: Option<&str>) -> ModelProviderInfo {
        let mut provider = ModelProviderInfo::from_toml("test", &Default::default());
        provider.env_key = env_key.map(str::to_owned);
        provider.experimental_bearer_token = token.map(str::to_owned);
        provider
    }

    fn bearer(
        provider: &ModelProviderInfo,
        home: &Path,
        env: &[(&str, &str)],
    ) -> Result<Option<String>, String> {
        resolve_with_env(provider, home, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
        .map(|auth| auth.bearer_token)
        .map_err(|error| error.to_string())
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
        let auth = resolve_with_env(&provider(None, None), home.path(), |_| None).unwrap();
        assert_eq!(
            auth,
            RequestAuth {
                bearer_token: Some("a".into()),
                chatgpt_account_id: Some("acc".into())
            }
        );
    }
}
