//! `$CODEX_HOME/auth.json`: the stored credentials in the reference's format, read and
//! replaced whole.

use std::io;
use std::path::Path;
use std::path::PathBuf;

use codex_utils_private_file::write_private_file;
use serde::Deserialize;
use serde::Serialize;

/// The file under `CODEX_HOME` holding the stored credentials.
pub const AUTH_JSON: &str = "auth.json";

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

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
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
pub fn read_auth_json(codex_home: &Path) -> Result<Option<AuthDotJson>, StorageError> {
    let path = codex_home.join(AUTH_JSON);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StorageError::Read { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| StorageError::Parse { path, source })
}

/// Replaces `$CODEX_HOME/auth.json` with `stored`, creating `codex_home` if needed. The file
/// is readable by its owner only (0600) and appears whole or not at all: the text goes to a
/// fresh file beside it, which is then renamed over it.
pub fn write_auth_json(codex_home: &Path, stored: &AuthDotJson) -> Result<(), StorageError> {
    let path = codex_home.join(AUTH_JSON);
    let text = stored
        .to_file_contents()
        .map_err(|source| StorageError::Write {
            path: path.clone(),
            source: io::Error::other(source),
        })?;
    write_private_file(&path, text.as_bytes())
        .map_err(|source| StorageError::Write { path, source })
}

/// Deletes `$CODEX_HOME/auth.json`. Returns whether there was one.
pub fn remove_auth_json(codex_home: &Path) -> Result<bool, StorageError> {
    let path = codex_home.join(AUTH_JSON);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(StorageError::Remove { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

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
