//! The credentials file the reference shares: `$CODEX_HOME/.credentials.json`, one compact JSON
//! object mapping a server key to its tokens, mode 0600, replaced atomically and removed when its
//! last entry goes.
//!
//! A file that does not parse is never overwritten: reads treat it as holding nothing (and log
//! it), writes refuse with an error naming it, so a hand-edited file with other servers' tokens
//! is not lost.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Mutex;

use codex_utils_lock::lock;
use codex_utils_private_file::write_private_file;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;

use super::OAuthCredentialsStoreMode;
use super::OAuthError;

const CREDENTIALS_FILE: &str = ".credentials.json";

/// One server's tokens as the reference stores them; the field order is the file's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredOAuthTokens {
    pub server_name: String,
    pub server_url: String,
    pub client_id: String,
    pub access_token: String,
    /// When the access token expires, in milliseconds since the epoch; `None` when the
    /// authorization server did not say.
    pub expires_at: Option<u64>,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
}

/// Serialises read-modify-write cycles on the file within this process, so a login and a
/// refresh finishing together do not drop each other's entry.
static FILE_LOCK: Mutex<()> = Mutex::new(());

/// The map key the reference uses: the server name and the first 16 hex digits of the SHA-256
/// of a JSON description of the server whose key order is fixed (`type`, `url`, `headers`).
pub(crate) fn store_key(server_name: &str, server_url: &str) -> String {
    #[derive(Serialize)]
    struct KeyPayload<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        url: &'a str,
        headers: BTreeMap<String, String>,
    }
    let payload = KeyPayload {
        kind: "http",
        url: server_url,
        headers: BTreeMap::new(),
    };
    // Serialising a struct of strings and an empty map cannot fail.
    let json = serde_json::to_string(&payload).unwrap_or_default();
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{server_name}|{}", &hex[..16])
}

pub(crate) fn credentials_path(codex_home: &Path) -> PathBuf {
    codex_home.join(CREDENTIALS_FILE)
}

/// Fails for the stores this build cannot use yet.
pub(crate) fn check_store_mode(mode: OAuthCredentialsStoreMode) -> Result<(), OAuthError> {
    match mode {
        // Until the keyring of the accounts work exists, `auto` is the file.
        OAuthCredentialsStoreMode::Auto | OAuthCredentialsStoreMode::File => Ok(()),
        OAuthCredentialsStoreMode::Keyring => Err(OAuthError::KeyringUnsupported),
    }
}

/// The stored tokens for one server, if any. A missing file holds nothing; a broken one is
/// reported as an error for the caller to log or show.
pub(crate) fn load_tokens(
    codex_home: &Path,
    mode: OAuthCredentialsStoreMode,
    server_name: &str,
    server_url: &str,
) -> Result<Option<StoredOAuthTokens>, OAuthError> {
    check_store_mode(mode)?;
    let _guard = lock(&FILE_LOCK);
    let entries = read_entries(&credentials_path(codex_home))?;
    Ok(entries.get(&store_key(server_name, server_url)).cloned())
}

/// The stored tokens for one server, a store that cannot be read counting as empty: a broken
/// file or a store this build lacks must not stop the servers that never logged in. Why is
/// logged (for the keyring, a login says it).
pub(crate) fn stored_tokens_or_none(
    codex_home: &Path,
    mode: OAuthCredentialsStoreMode,
    server_name: &str,
    server_url: &str,
) -> Option<StoredOAuthTokens> {
    match load_tokens(codex_home, mode, server_name, server_url) {
        Ok(tokens) => tokens,
        Err(OAuthError::KeyringUnsupported) => None,
        Err(err) => {
            tracing::warn!("cannot read OAuth credentials for MCP server `{server_name}`: {err}");
            None
        }
    }
}

/// Adds or replaces the entry for `tokens`' server.
pub(crate) fn save_tokens(
    codex_home: &Path,
    mode: OAuthCredentialsStoreMode,
    tokens: &StoredOAuthTokens,
) -> Result<(), OAuthError> {
    check_store_mode(mode)?;
    let _guard = lock(&FILE_LOCK);
    let path = credentials_path(codex_home);
    let mut entries = read_entries(&path)?;
    entries.insert(
        store_key(&tokens.server_name, &tokens.server_url),
        tokens.clone(),
    );
    write_entries(&path, &entries)
}

/// Removes a server's stored tokens (a logout), and the file with its last entry. Answers whether
/// there were any.
pub fn delete_tokens(
    codex_home: &Path,
    mode: OAuthCredentialsStoreMode,
    server_name: &str,
    server_url: &str,
) -> Result<bool, OAuthError> {
    check_store_mode(mode)?;
    let _guard = lock(&FILE_LOCK);
    let path = credentials_path(codex_home);
    let mut entries = read_entries(&path)?;
    if entries
        .remove(&store_key(server_name, server_url))
        .is_none()
    {
        return Ok(false);
    }
    write_entries(&path, &entries)?;
    Ok(true)
}

fn read_entries(path: &Path) -> Result<BTreeMap<String, StoredOAuthTokens>, OAuthError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(source) => {
            return Err(OAuthError::ReadCredentials {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_str(&text).map_err(|source| OAuthError::ParseCredentials {
        path: path.to_path_buf(),
        source,
    })
}

fn write_entries(
    path: &Path,
    entries: &BTreeMap<String, StoredOAuthTokens>,
) -> Result<(), OAuthError> {
    let write_error = |source| OAuthError::WriteCredentials {
        path: path.to_path_buf(),
        source,
    };
    if entries.is_empty() {
        return match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            Err(err) => Err(write_error(err)),
        };
    }
    let json = serde_json::to_vec(entries).map_err(|err| write_error(err.into()))?;
    write_private_file(path, &json).map_err(write_error)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn tokens(server_name: &str, server_url: &str) -> StoredOAuthTokens {
        StoredOAuthTokens {
            server_name: server_name.to_string(),
            server_url: server_url.to_string(),
            client_id: "client-1".to_string(),
            access_token: "access-1".to_string(),
            expires_at: Some(1_796_323_135_094),
            refresh_token: Some("refresh-1".to_string()),
            scopes: vec!["read".to_string(), "write".to_string()],
        }
    }

    #[test]
    fn the_key_is_the_name_and_a_hash_of_the_url() {
        // Written by the reference binary for this server.
        assert_eq!(
            store_key("remote", "http://127.0.0.1:32961/mcp"),
            "remote|35f35073b541565a"
        );
        // The notes' rule, computed independently of the code above.
        let payload = r#"{"type":"http","url":"https://example.com/mcp","headers":{}}"#;
        let digest = Sha256::digest(payload.as_bytes());
        let expected: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            store_key("docs", "https://example.com/mcp"),
            format!("docs|{expected}")
        );
    }

    #[test]
    fn the_file_is_compact_private_and_in_the_reference_layout() {
        let home = tempfile::tempdir().unwrap();
        let entry = tokens("remote", "http://127.0.0.1:32961/mcp");
        save_tokens(home.path(), OAuthCredentialsStoreMode::File, &entry).unwrap();

        let path = credentials_path(home.path());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            r#"{"remote|35f35073b541565a":{"server_name":"remote","server_url":"http://127.0.0.1:32961/mcp","client_id":"client-1","access_token":"access-1","expires_at":1796323135094,"refresh_token":"refresh-1","scopes":["read","write"]}}"#
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            load_tokens(
                home.path(),
                OAuthCredentialsStoreMode::Auto,
                "remote",
                "http://127.0.0.1:32961/mcp"
            )
            .unwrap(),
            Some(entry)
        );
    }

    #[test]
    fn saving_replaces_the_file_and_leaves_no_temp_file() {
        let home = tempfile::tempdir().unwrap();
        let path = credentials_path(home.path());
        let first = tokens("a", "https://a.example/mcp");
        save_tokens(home.path(), OAuthCredentialsStoreMode::File, &first).unwrap();
        // Another handle on the old file keeps seeing the old contents: the new file replaced it
        // by rename rather than being written in place.
        let old = std::fs::File::open(&path).unwrap();
        let second = tokens("b", "https://b.example/mcp");
        save_tokens(home.path(), OAuthCredentialsStoreMode::File, &second).unwrap();

        let old_text = std::io::read_to_string(old).unwrap();
        assert!(!old_text.contains("\"b|"), "{old_text}");
        let entries = read_entries(&path).unwrap();
        assert_eq!(entries.len(), 2);
        let names: Vec<String> = std::fs::read_dir(home.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![CREDENTIALS_FILE.to_string()]);
    }

    #[test]
    fn the_file_goes_with_its_last_entry() {
        let home = tempfile::tempdir().unwrap();
        let mode = OAuthCredentialsStoreMode::File;
        save_tokens(home.path(), mode, &tokens("a", "https://a.example/mcp")).unwrap();
        save_tokens(home.path(), mode, &tokens("b", "https://b.example/mcp")).unwrap();

        assert!(delete_tokens(home.path(), mode, "a", "https://a.example/mcp").unwrap());
        assert!(credentials_path(home.path()).exists());
        assert!(!delete_tokens(home.path(), mode, "a", "https://a.example/mcp").unwrap());
        assert!(delete_tokens(home.path(), mode, "b", "https://b.example/mcp").unwrap());
        assert!(!credentials_path(home.path()).exists());
    }

    #[test]
    fn a_missing_file_holds_nothing_and_a_broken_one_is_kept() {
        let home = tempfile::tempdir().unwrap();
        let mode = OAuthCredentialsStoreMode::File;
        assert_eq!(
            load_tokens(home.path(), mode, "a", "https://a.example/mcp").unwrap(),
            None
        );

        let path = credentials_path(home.path());
        std::fs::write(&path, "{not json").unwrap();
        let err = load_tokens(home.path(), mode, "a", "https://a.example/mcp").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("failed to parse credentials file at {}", path.display())
        );
        let err =
            save_tokens(home.path(), mode, &tokens("a", "https://a.example/mcp")).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("failed to parse credentials file at {}", path.display())
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{not json");
    }

    #[test]
    fn the_keyring_store_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let err = load_tokens(
            home.path(),
            OAuthCredentialsStoreMode::Keyring,
            "a",
            "https://a.example/mcp",
        )
        .unwrap_err();
        assert!(matches!(err, OAuthError::KeyringUnsupported), "{err}");
    }
}
