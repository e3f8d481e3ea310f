//! Where credentials are kept, as `cli_auth_credentials_store` says: `auth.json`, the system
//! keyring, the keyring with the file as fallback, or this process's memory.
//!
//! The keyring and the memory store key an entry by the `CODEX_HOME` it belongs to
//! ([`store_key`]), so two homes never share credentials.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::LazyLock;
use std::sync::Mutex;

pub use codex_protocol::config_types::AuthCredentialsStoreMode;
use sha2::Digest;
use sha2::Sha256;

use crate::auth_json::AuthDotJson;
use crate::auth_json::StorageError;
use crate::auth_json::read_auth_json;
use crate::auth_json::remove_auth_json;
use crate::auth_json::write_auth_json;
use crate::keyring_store::Keyring;
use crate::keyring_store::SystemKeyring;

/// The keyring service the credentials are filed under, as the reference names it.
pub const KEYRING_SERVICE: &str = "Codex Auth";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    File(#[from] StorageError),
    /// A keyring failure, worded as the reference words it (the save message says "OAuth
    /// tokens" whatever is saved; clients see it).
    #[error("{0}")]
    Keyring(String),
}

/// The credentials of every `CODEX_HOME` kept in memory by this process.
static MEMORY: LazyLock<Mutex<HashMap<String, AuthDotJson>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn memory() -> std::sync::MutexGuard<'static, HashMap<String, AuthDotJson>> {
    // The map holds plain data; a panic elsewhere cannot leave it half-changed.
    MEMORY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The account name of a home's entry: `cli|` and the first 16 hex digits of the SHA-256 of the
/// canonical path (the path as given when it cannot be canonicalised).
pub fn store_key(codex_home: &Path) -> String {
    let canonical = codex_home
        .canonicalize()
        .unwrap_or_else(|_| codex_home.to_path_buf());
    let digest = Sha256::digest(canonical.to_string_lossy().as_bytes());
    let hex: String = digest
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("cli|{hex}")
}

/// One store of one `CODEX_HOME`.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    codex_home: PathBuf,
    mode: AuthCredentialsStoreMode,
    keyring: Arc<dyn Keyring>,
}

impl CredentialStore {
    /// The store `mode` names, with the system keyring.
    pub fn new(codex_home: PathBuf, mode: AuthCredentialsStoreMode) -> Self {
        Self::with_keyring(codex_home, mode, Arc::new(SystemKeyring))
    }

    pub fn with_keyring(
        codex_home: PathBuf,
        mode: AuthCredentialsStoreMode,
        keyring: Arc<dyn Keyring>,
    ) -> Self {
        Self {
            codex_home,
            mode,
            keyring,
        }
    }

    pub fn mode(&self) -> AuthCredentialsStoreMode {
        self.mode
    }

    pub fn codex_home(&self) -> &Path {
        &self.codex_home
    }

    /// The same home's memory store.
    pub fn ephemeral(&self) -> Self {
        Self {
            codex_home: self.codex_home.clone(),
            mode: AuthCredentialsStoreMode::Ephemeral,
            keyring: Arc::clone(&self.keyring),
        }
    }

    pub fn load(&self) -> Result<Option<AuthDotJson>, StoreError> {
        match self.mode {
            AuthCredentialsStoreMode::File => Ok(read_auth_json(&self.codex_home)?),
            AuthCredentialsStoreMode::Keyring => self.load_keyring(),
            AuthCredentialsStoreMode::Auto => match self.load_keyring() {
                Ok(Some(stored)) => Ok(Some(stored)),
                Ok(None) => Ok(read_auth_json(&self.codex_home)?),
                Err(err) => {
                    tracing::warn!("{err}; reading {} instead", crate::AUTH_JSON);
                    Ok(read_auth_json(&self.codex_home)?)
                }
            },
            AuthCredentialsStoreMode::Ephemeral => {
                Ok(memory().get(&store_key(&self.codex_home)).cloned())
            }
        }
    }

    pub fn save(&self, stored: &AuthDotJson) -> Result<(), StoreError> {
        match self.mode {
            AuthCredentialsStoreMode::File => Ok(write_auth_json(&self.codex_home, stored)?),
            AuthCredentialsStoreMode::Keyring => self.save_keyring(stored),
            AuthCredentialsStoreMode::Auto => match self.save_keyring(stored) {
                Ok(()) => Ok(()),
                Err(err) => {
                    tracing::warn!("{err}; writing {} instead", crate::AUTH_JSON);
                    Ok(write_auth_json(&self.codex_home, stored)?)
                }
            },
            AuthCredentialsStoreMode::Ephemeral => {
                memory().insert(store_key(&self.codex_home), stored.clone());
                Ok(())
            }
        }
    }

    /// Deletes the credentials; returns whether there were any. The keyring stores also
    /// delete `auth.json`, which may be left from before the keyring was chosen.
    pub fn delete(&self) -> Result<bool, StoreError> {
        match self.mode {
            AuthCredentialsStoreMode::File => Ok(remove_auth_json(&self.codex_home)?),
            AuthCredentialsStoreMode::Keyring | AuthCredentialsStoreMode::Auto => {
                let in_keyring = self
                    .keyring
                    .delete(KEYRING_SERVICE, &store_key(&self.codex_home))
                    .map_err(|err| {
                        StoreError::Keyring(format!("failed to delete auth from keyring: {err}"))
                    })?;
                let in_file = remove_auth_json(&self.codex_home)?;
                Ok(in_keyring || in_file)
            }
            AuthCredentialsStoreMode::Ephemeral => {
                Ok(memory().remove(&store_key(&self.codex_home)).is_some())
            }
        }
    }

    fn load_keyring(&self) -> Result<Option<AuthDotJson>, StoreError> {
        let secret = self
            .keyring
            .load(KEYRING_SERVICE, &store_key(&self.codex_home))
            .map_err(|err| {
                StoreError::Keyring(format!("failed to load CLI auth from keyring: {err}"))
            })?;
        secret
            .map(|text| {
                serde_json::from_str(&text).map_err(|err| {
                    StoreError::Keyring(format!(
                        "failed to deserialize CLI auth from keyring: {err}"
                    ))
                })
            })
            .transpose()
    }

    fn save_keyring(&self, stored: &AuthDotJson) -> Result<(), StoreError> {
        let text = serde_json::to_string(stored)
            .map_err(|err| StoreError::Keyring(format!("failed to serialize CLI auth: {err}")))?;
        self.keyring
            .save(KEYRING_SERVICE, &store_key(&self.codex_home), &text)
            .map_err(|err| {
                StoreError::Keyring(format!("failed to write OAuth tokens to keyring: {err}"))
            })?;
        // The keyring now holds the credentials; a file beside them would be stale.
        if let Err(err) = remove_auth_json(&self.codex_home) {
            tracing::warn!("could not remove the auth.json the keyring replaces: {err}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::AUTH_JSON;
    use crate::keyring_store::KeyringError;

    /// A keyring in memory, or one that is unreachable like a machine without D-Bus.
    #[derive(Debug, Default)]
    struct FakeKeyring {
        unreachable: bool,
        entries: Mutex<HashMap<(String, String), String>>,
    }

    impl FakeKeyring {
        fn unreachable() -> Arc<Self> {
            Arc::new(Self {
                unreachable: true,
                ..Self::default()
            })
        }

        fn check(&self) -> Result<(), KeyringError> {
            if self.unreachable {
                return Err(KeyringError(
                    "Platform secure storage failure: no session bus".into(),
                ));
            }
            Ok(())
        }
    }

    impl Keyring for FakeKeyring {
        fn load(&self, service: &str, account: &str) -> Result<Option<String>, KeyringError> {
            self.check()?;
            let key = (service.to_owned(), account.to_owned());
            Ok(self.entries.lock().unwrap().get(&key).cloned())
        }

        fn save(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError> {
            self.check()?;
            let key = (service.to_owned(), account.to_owned());
            self.entries.lock().unwrap().insert(key, secret.to_owned());
            Ok(())
        }

        fn delete(&self, service: &str, account: &str) -> Result<bool, KeyringError> {
            self.check()?;
            let key = (service.to_owned(), account.to_owned());
            Ok(self.entries.lock().unwrap().remove(&key).is_some())
        }
    }

    fn store(
        home: &Path,
        mode: AuthCredentialsStoreMode,
        keyring: Arc<FakeKeyring>,
    ) -> CredentialStore {
        CredentialStore::with_keyring(home.to_path_buf(), mode, keyring)
    }

    #[test]
    fn the_store_key_is_the_hashed_canonical_home() {
        let home = tempfile::tempdir().unwrap();
        let key = store_key(home.path());
        assert!(key.starts_with("cli|"), "{key}");
        assert_eq!(key.len(), "cli|".len() + 16);
        // A path naming the same folder differently gets the same key.
        let dotted = home.path().join(".");
        assert_eq!(store_key(&dotted), key);
        let other = tempfile::tempdir().unwrap();
        assert_ne!(store_key(other.path()), key);
    }

    #[test]
    fn the_file_store_is_auth_json() {
        let home = tempfile::tempdir().unwrap();
        let file = store(home.path(), AuthCredentialsStoreMode::File, Arc::default());
        file.save(&AuthDotJson::api_key("sk-1")).unwrap();
        assert_eq!(
            read_auth_json(home.path()).unwrap(),
            Some(AuthDotJson::api_key("sk-1"))
        );
        assert_eq!(file.load().unwrap(), Some(AuthDotJson::api_key("sk-1")));
        assert!(file.delete().unwrap());
        assert!(!home.path().join(AUTH_JSON).exists());
    }

    #[test]
    fn a_keyring_save_replaces_auth_json() {
        let home = tempfile::tempdir().unwrap();
        write_auth_json(home.path(), &AuthDotJson::api_key("sk-old")).unwrap();
        let keyring = Arc::new(FakeKeyring::default());
        let store = store(
            home.path(),
            AuthCredentialsStoreMode::Keyring,
            Arc::clone(&keyring),
        );
        store.save(&AuthDotJson::api_key("sk-new")).unwrap();
        assert!(!home.path().join(AUTH_JSON).exists());
        let entries = keyring.entries.lock().unwrap().clone();
        let key = (KEYRING_SERVICE.to_owned(), store_key(home.path()));
        assert_eq!(
            entries.get(&key).map(String::as_str),
            Some(r#"{"auth_mode":"apikey","OPENAI_API_KEY":"sk-new"}"#)
        );
        assert_eq!(store.load().unwrap(), Some(AuthDotJson::api_key("sk-new")));
        assert!(store.delete().unwrap());
        assert_eq!(store.load().unwrap(), None);
    }

    #[test]
    fn an_unreachable_keyring_fails_the_keyring_store_with_the_reference_text() {
        let home = tempfile::tempdir().unwrap();
        let store = store(
            home.path(),
            AuthCredentialsStoreMode::Keyring,
            FakeKeyring::unreachable(),
        );
        let err = store.save(&AuthDotJson::api_key("sk-1")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "failed to write OAuth tokens to keyring: Platform secure storage failure: no session bus"
        );
        assert!(!home.path().join(AUTH_JSON).exists());
        assert!(store.load().is_err());
    }

    #[test]
    fn auto_falls_back_to_the_file_when_the_keyring_is_unreachable() {
        let home = tempfile::tempdir().unwrap();
        let store = store(
            home.path(),
            AuthCredentialsStoreMode::Auto,
            FakeKeyring::unreachable(),
        );
        store.save(&AuthDotJson::api_key("sk-1")).unwrap();
        assert_eq!(
            read_auth_json(home.path()).unwrap(),
            Some(AuthDotJson::api_key("sk-1"))
        );
        assert_eq!(store.load().unwrap(), Some(AuthDotJson::api_key("sk-1")));
    }

    #[test]
    fn auto_prefers_the_keyring_when_it_works() {
        let home = tempfile::tempdir().unwrap();
        let store = store(home.path(), AuthCredentialsStoreMode::Auto, Arc::default());
        write_auth_json(home.path(), &AuthDotJson::api_key("sk-file")).unwrap();
        assert_eq!(store.load().unwrap(), Some(AuthDotJson::api_key("sk-file")));
        store.save(&AuthDotJson::api_key("sk-ring")).unwrap();
        assert!(!home.path().join(AUTH_JSON).exists());
        assert_eq!(store.load().unwrap(), Some(AuthDotJson::api_key("sk-ring")));
    }

    #[test]
    fn the_ephemeral_store_lives_in_memory_per_home() {
        let home = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let one = store(
            home.path(),
            AuthCredentialsStoreMode::Ephemeral,
            Arc::default(),
        );
        let two = store(
            other.path(),
            AuthCredentialsStoreMode::Ephemeral,
            Arc::default(),
        );
        one.save(&AuthDotJson::api_key("sk-1")).unwrap();
        assert!(!home.path().join(AUTH_JSON).exists());
        assert_eq!(two.load().unwrap(), None);
        // Another handle on the same home sees it: the map is the process's.
        let again = CredentialStore::new(
            home.path().to_path_buf(),
            AuthCredentialsStoreMode::Ephemeral,
        );
        assert_eq!(again.load().unwrap(), Some(AuthDotJson::api_key("sk-1")));
        assert!(one.delete().unwrap());
        assert_eq!(again.load().unwrap(), None);
        assert!(!one.delete().unwrap());
    }
}
