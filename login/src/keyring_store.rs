//! The system keyring: secrets kept by the desktop's Secret Service, reached over D-Bus.
//!
//! [`Keyring`] is the seam: the stores talk to it, [`SystemKeyring`] is the real one (the
//! `keyring` crate on zbus, so no C library is linked), and tests pass their own.

use std::fmt::Debug;

/// Why the keyring could not do what was asked; the text is the `keyring` crate's, which the
/// reference shows to clients ("Platform secure storage failure: …").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyringError(pub String);

/// A place for one secret per (service, account).
pub trait Keyring: Debug + Send + Sync {
    fn load(&self, service: &str, account: &str) -> Result<Option<String>, KeyringError>;
    fn save(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError>;
    /// Returns whether there was a secret to delete.
    fn delete(&self, service: &str, account: &str) -> Result<bool, KeyringError>;
}

/// The operating system's keyring. On Linux this is the Secret Service of the session bus;
/// without one (a server, a container), every call fails with a platform failure.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemKeyring;

/// Only the Secret Service backend is built (see the workspace's `keyring` features); where it
/// does not exist the crate would fall back to a mock that forgets everything, so the keyring is
/// refused there instead.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn entry(service: &str, account: &str) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(service, account).map_err(|err| KeyringError(err.to_string()))
}

#[cfg(not(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd")))]
fn entry(_service: &str, _account: &str) -> Result<keyring::Entry, KeyringError> {
    Err(KeyringError(
        "Platform secure storage failure: no keyring backend is built for this platform".into(),
    ))
}

impl Keyring for SystemKeyring {
    fn load(&self, service: &str, account: &str) -> Result<Option<String>, KeyringError> {
        match entry(service, account)?.get_password() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(KeyringError(err.to_string())),
        }
    }

    fn save(&self, service: &str, account: &str, secret: &str) -> Result<(), KeyringError> {
        entry(service, account)?
            .set_password(secret)
            .map_err(|err| KeyringError(err.to_string()))
    }

    fn delete(&self, service: &str, account: &str) -> Result<bool, KeyringError> {
        match entry(service, account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(err) => Err(KeyringError(err.to_string())),
        }
    }
}
