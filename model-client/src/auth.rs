//! Credentials for model requests: the stored `$CODEX_HOME/auth.json` and the bearer token a
//! request carries.
//!
//! The token is chosen as the reference chooses it, first match wins: the provider's `env_key`
//! variable (which, once named, must be set), its `experimental_bearer_token`, the stored
//! credentials (an API key, or a ChatGPT access token with its account id), else nothing.
//! `OPENAI_API_KEY` in the environment is not consulted.

use std::io;
use std::path::Path;
use std::path::PathBuf;

use codex_utils_private_file::write_private_file;
use serde::Deserialize;
use serde::Serialize;

use crate::provider::ModelProviderInfo;

/// The file under `CODEX_HOME` holding the stored credentials.
pub(crate) const AUTH_JSON: &str = "auth.json";

/// How the stored credentials were obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthMode {
    #[serde(rename = "apikey")]
    ApiKey,
    #[serde(rename = "chatgpt")]
    ChatGpt,
    /// ChatGPT tokens handed over by a client rather than obtained by a login flow.
    #[serde(rename = "chatgptAuthTokens")]
    ChatGptAuthTokens,
}

/// The contents of `auth.json`, in the reference's format. Written as pretty JSON (two-space
/// indent, no trailing newline, see [`AuthDotJson::to_file_contents`]) with mode 0600.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthDotJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_mode: Option<AuthMode>,
    /// Always written, `null` when there is no key.
    #[serde(rename = "OPENAI_API_KEY", default)]
    pub openai_api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokenData>,
    /// RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_refresh: Option<String>,
}

/// ChatGPT login tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenData {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: String,
    #[serde(default)]
    pub account_id: Option<String>,
}

impl AuthDotJson {
    /// Stored credentials for an API key, as an API-key login writes them.
    pub fn api_key(key: impl Into<String>) -> Self {
        Self {
            auth_mode: Some(AuthMode::ApiKey),
            openai_api_key: Some(key.into()),
            tokens: None,
            last_refresh: None,
        }
    }

    /// The file's text, byte for byte as the reference writes it.
    pub fn to_file_contents(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// How these credentials were obtained. Files written before `auth_mode` existed hold an
    /// API key, or else ChatGPT tokens.
    pub fn mode(&self) -> AuthMode {
        self.auth_mode.unwrap_or(if self.openai_api_key.is_some() {
            AuthMode::ApiKey
        } else {
            AuthMode::ChatGpt
        })
    }
}

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
    #[error("could not read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not parse {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("could not write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not remove {}: {source}", path.display())]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Reads `$CODEX_HOME/auth.json`; `None` when there is none.
pub fn read_auth_json(codex_home: &Path) -> Result<Option<AuthDotJson>, AuthError> {
    let path = codex_home.join(AUTH_JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(AuthError::Read { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| AuthError::Parse { path, source })
}

/// Replaces `$CODEX_HOME/auth.json` with `stored`, creating `codex_home` if needed. The file
/// is readable by its owner only (0600) and appears whole or not at all: the text goes to a
/// fresh file beside it, which is then renamed over it.
pub fn write_auth_json(codex_home: &Path, stored: &AuthDotJson) -> Result<(), AuthError> {
    let path = codex_home.join(AUTH_JSON);
    let text = stored
        .to_file_contents()
        .map_err(|source| AuthError::Write {
            path: path.clone(),
            source: io::Error::other(source),
        })?;
    write_private_file(&path, text.as_bytes()).map_err(|source| AuthError::Write { path, source })
}

/// Deletes `$CODEX_HOME/auth.json`. Returns whether there was one.
pub fn remove_auth_json(codex_home: &Path) -> Result<bool, AuthError> {
    let path = codex_home.join(AUTH_JSON);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(AuthError::Remove { path, source }),
    }
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

    #[test]
    fn auth_json_is_written_as_the_reference_writes_it() {
        let stored = AuthDotJson {
            auth_mode: Some(AuthMode::ApiKey),
            openai_api_key: Some("sk-1".into()),
            tokens: None,
            last_refresh: None,
        };
        assert_eq!(
            stored.to_file_contents().unwrap(),
            "{\n  \"auth_mode\": \"apikey\",\n  \"OPENAI_API_KEY\": \"sk-1\"\n}"
        );
    }

    #[test]
    fn writing_auth_json_replaces_it_with_an_owner_only_file() {
        let home = tempfile::tempdir().unwrap();
        let codex_home = home.path().join("codex");
        write_auth_json(&codex_home, &AuthDotJson::api_key("sk-first")).unwrap();
        write_auth_json(&codex_home, &AuthDotJson::api_key("sk-second")).unwrap();

        let path = codex_home.join(AUTH_JSON);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\n  \"auth_mode\": \"apikey\",\n  \"OPENAI_API_KEY\": \"sk-second\"\n}"
        );
        assert_eq!(
            read_auth_json(&codex_home).unwrap(),
            Some(AuthDotJson::api_key("sk-second"))
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let names: Vec<_> = std::fs::read_dir(&codex_home)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(AUTH_JSON)]);
    }

    #[test]
    fn removing_auth_json_reports_whether_there_was_one() {
        let home = tempfile::tempdir().unwrap();
        write_auth_json(home.path(), &AuthDotJson::api_key("sk-1")).unwrap();
        assert!(remove_auth_json(home.path()).unwrap());
        assert_eq!(read_auth_json(home.path()).unwrap(), None);
        assert!(!remove_auth_json(home.path()).unwrap());
    }

    #[test]
    fn the_mode_of_files_without_one_follows_their_contents() {
        let mut stored = AuthDotJson::api_key("sk-1");
        stored.auth_mode = None;
        assert_eq!(stored.mode(), AuthMode::ApiKey);
        stored.openai_api_key = None;
        assert_eq!(stored.mode(), AuthMode::ChatGpt);
    }
}
