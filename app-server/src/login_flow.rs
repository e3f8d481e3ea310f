//! The ChatGPT sign-in this server runs: at most one at a time, whoever started it.
//!
//! [`ActiveLogins`] holds the pending sign-in (its id, how to cancel it, and when its end has
//! been announced); `handlers/login.rs` starts, cancels and ends sign-ins through it.
//! [`LoginSettings`] says where the sign-in goes: the reference's issuer, port and ten-minute
//! limit, which three environment variables move for tests.

use std::time::Duration;

use codex_login::browser::CancelHandle;
use codex_login::browser::DEFAULT_ISSUER;
use codex_login::browser::DEFAULT_PORT;
use tokio::sync::Mutex;
use tokio::sync::MutexGuard;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Moves the issuer (authorize page and token endpoint), e.g. to a mock. Upstream Codex reads
/// the same variable in its debug builds.
pub(crate) const ISSUER_ENV: &str = "CODEX_APP_SERVER_LOGIN_ISSUER";
/// Moves the login server's port (`0`: any free one).
pub(crate) const PORT_ENV: &str = "CODEX_APP_SERVER_LOGIN_PORT";
/// Shortens (or lengthens) how long a sign-in may take, in seconds.
pub(crate) const TIMEOUT_ENV: &str = "CODEX_APP_SERVER_LOGIN_TIMEOUT_SECS";

/// How long a sign-in may take before it is abandoned.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Where a sign-in goes and how long it may take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoginSettings {
    pub issuer: String,
    pub port: u16,
    pub timeout: Duration,
}

impl LoginSettings {
    /// The reference's settings, unless the environment moves them.
    pub(crate) fn from_env() -> Result<Self, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let issuer = var(ISSUER_ENV)
            .map(|issuer| issuer.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| DEFAULT_ISSUER.to_owned());
        let port = match var(PORT_ENV) {
            Some(port) => port
                .trim()
                .parse()
                .map_err(|_| format!("{PORT_ENV} is not a port number: {port:?}"))?,
            None => DEFAULT_PORT,
        };
        let timeout = match var(TIMEOUT_ENV) {
            Some(seconds) => seconds
                .trim()
                .parse()
                .map(Duration::from_secs)
                .map_err(|_| format!("{TIMEOUT_ENV} is not a number of seconds: {seconds:?}"))?,
            None => LOGIN_TIMEOUT,
        };
        Ok(Self {
            issuer,
            port,
            timeout,
        })
    }
}

/// The pending sign-in, if any. The slot is locked while a sign-in starts, so two starts (from
/// two connections) take turns, and the later one ends the earlier.
#[derive(Debug, Default)]
pub(crate) struct ActiveLogins {
    slot: Mutex<Option<ActiveLogin>>,
}

impl ActiveLogins {
    pub(crate) async fn lock(&self) -> MutexGuard<'_, Option<ActiveLogin>> {
        self.slot.lock().await
    }
}

/// A pending sign-in.
#[derive(Debug)]
pub(crate) struct ActiveLogin {
    pub id: Uuid,
    cancel: CancelHandle,
    /// Cancelled once clients have been told how the sign-in ended.
    announced: CancellationToken,
}

impl ActiveLogin {
    pub(crate) fn new(id: Uuid, cancel: CancelHandle, announced: CancellationToken) -> Self {
        Self {
            id,
            cancel,
            announced,
        }
    }

    /// Asks the sign-in to stop; it ends as not completed unless it already ended.
    pub(crate) fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Stops the sign-in and waits until its end has been announced, so that clients hear of
    /// it before whatever ended it.
    pub(crate) async fn end(self) {
        self.cancel();
        self.announced.cancelled().await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use pretty_assertions::assert_eq;

    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<LoginSettings, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        LoginSettings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn the_reference_settings_unless_the_environment_moves_them() {
        assert_eq!(
            settings(&[]),
            Ok(LoginSettings {
                issuer: "https://auth.openai.com".into(),
                port: 1455,
                timeout: Duration::from_secs(600),
            })
        );
        assert_eq!(
            settings(&[
                (ISSUER_ENV, "http://127.0.0.1:9/"),
                (PORT_ENV, "0"),
                (TIMEOUT_ENV, "2"),
            ]),
            Ok(LoginSettings {
                issuer: "http://127.0.0.1:9".into(),
                port: 0,
                timeout: Duration::from_secs(2),
            })
        );
        assert_eq!(settings(&[(PORT_ENV, "")]).map(|s| s.port), Ok(1455));
        assert_eq!(
            settings(&[(PORT_ENV, "http")]),
            Err("CODEX_APP_SERVER_LOGIN_PORT is not a port number: \"http\"".into())
        );
        assert!(settings(&[(TIMEOUT_ENV, "-1")]).is_err());
    }
}
