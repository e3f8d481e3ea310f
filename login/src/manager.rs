//! [`AuthManager`]: the process's one view of the account's credentials.
//!
//! It loads the credentials once (the memory store first, where a client's external tokens
//! live, then the configured store), hands out snapshots ([`Auth`]), renews ChatGPT tokens
//! when they are old or refused, and is the only writer of the stores, so its cache stays
//! right after a login or logout. A change made on disk by another process is seen after
//! [`AuthManager::reload`].

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::RwLock;

use codex_protocol::account::PlanType;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::auth_json::AuthDotJson;
use crate::auth_json::AuthMode;
use crate::auth_json::TokenData;
use crate::refresh::RefreshError;
use crate::refresh::RefreshFailure;
use crate::refresh::refresh_token_url;
use crate::refresh::request_refresh;
use crate::store::AuthCredentialsStoreMode;
use crate::store::CredentialStore;
use crate::store::StoreError;
use crate::token_claims::ClaimsError;
use crate::token_claims::parse_claims;
use crate::token_claims::plan_type_from_claim;

/// ChatGPT tokens older than this are renewed before use.
const REFRESH_AFTER: time::Duration = time::Duration::days(8);

/// A snapshot of the credentials in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    stored: AuthDotJson,
    /// The plan a client named with its external tokens, which the tokens may not carry.
    external_plan: Option<String>,
}

impl Auth {
    pub fn stored(&self) -> &AuthDotJson {
        &self.stored
    }

    pub fn mode(&self) -> AuthMode {
        self.stored.mode()
    }

    /// ChatGPT tokens, managed here or handed over by a client.
    pub fn is_chatgpt(&self) -> bool {
        matches!(self.mode(), AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens)
    }

    /// What a request sends as `Authorization: Bearer`: the API key, or the access token.
    pub fn bearer_token(&self) -> Option<String> {
        match self.mode() {
            AuthMode::ApiKey => self.stored.openai_api_key.clone(),
            AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens => self
                .stored
                .tokens
                .as_ref()
                .map(|tokens| tokens.access_token.clone()),
        }
    }

    /// The ChatGPT account (workspace) the tokens are for.
    pub fn account_id(&self) -> Option<String> {
        if !self.is_chatgpt() {
            return None;
        }
        self.stored.tokens.as_ref()?.account_id.clone()
    }

    /// The email the id token claims (not verified).
    pub fn email(&self) -> Option<String> {
        if !self.is_chatgpt() {
            return None;
        }
        let tokens = self.stored.tokens.as_ref()?;
        parse_claims(&tokens.id_token).ok()?.email
    }

    /// The ChatGPT plan: the one a client named, else the token's claim.
    pub fn plan_type(&self) -> Option<PlanType> {
        if !self.is_chatgpt() {
            return None;
        }
        if let Some(plan) = &self.external_plan {
            return Some(plan_type_from_claim(plan));
        }
        let tokens = self.stored.tokens.as_ref()?;
        let claims = parse_claims(&tokens.id_token).ok()?;
        claims
            .chatgpt_plan_type
            .as_deref()
            .map(plan_type_from_claim)
    }
}

/// What a ChatGPT backend request needs (rate limits, remote models, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatGptCredentials {
    pub access_token: String,
    pub account_id: Option<String>,
}

/// Tokens a client hands over (`account/login/start` with `chatgptAuthTokens`, or its answer
/// to `account/chatgptAuthTokens/refresh`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalTokens {
    pub access_token: String,
    pub chatgpt_account_id: String,
    pub chatgpt_plan_type: Option<String>,
}

/// Asks the client that owns external tokens for fresh ones. `previous_account_id` is the
/// account of the tokens that were refused.
pub trait ExternalAuthRefresher: Send + Sync {
    fn refresh(
        &self,
        previous_account_id: Option<String>,
    ) -> BoxFuture<'static, Result<ExternalTokens, String>>;
}

#[derive(Debug, thiserror::Error)]
pub enum ExternalAuthError {
    /// The access token is not a readable JWT.
    #[error(transparent)]
    Token(#[from] ClaimsError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct AuthManager {
    store: CredentialStore,
    refresh_url: String,
    /// Built on the first refresh: building a client reads the system's root certificates,
    /// which costs milliseconds at a start-up that may never need it.
    http: OnceLock<reqwest::Client>,
    cached: RwLock<Option<Auth>>,
    external_plan: Mutex<Option<String>>,
    external_refresher: RwLock<Option<Arc<dyn ExternalAuthRefresher>>>,
    forced_workspace_id: RwLock<Option<String>>,
    /// One refresh at a time: two would spend the same refresh token.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AuthManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthManager")
            .field("codex_home", &self.store.codex_home())
            .field("mode", &self.store.mode())
            .finish_non_exhaustive()
    }
}

fn read<T: Clone>(lock: &RwLock<T>) -> T {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

fn write<T>(lock: &RwLock<T>, value: T) -> T {
    std::mem::replace(
        &mut *lock
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        value,
    )
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

impl AuthManager {
    /// The manager of `codex_home`'s credentials kept in the `mode` store, refreshing tokens
    /// at the issuer (or where `CODEX_REFRESH_TOKEN_URL_OVERRIDE` points).
    pub fn new(codex_home: PathBuf, mode: AuthCredentialsStoreMode) -> Arc<Self> {
        Self::with_store(CredentialStore::new(codex_home, mode), refresh_token_url())
    }

    pub fn with_store(store: CredentialStore, refresh_url: String) -> Arc<Self> {
        codex_utils_rustls_provider::ensure_rustls_crypto_provider();
        let manager = Arc::new(Self {
            store,
            refresh_url,
            http: OnceLock::new(),
            cached: RwLock::new(None),
            external_plan: Mutex::new(None),
            external_refresher: RwLock::new(None),
            forced_workspace_id: RwLock::new(None),
            refreshing: tokio::sync::Mutex::new(()),
        });
        manager.reload();
        manager
    }

    pub fn store_mode(&self) -> AuthCredentialsStoreMode {
        self.store.mode()
    }

    /// The credentials as last loaded, without renewing anything.
    pub fn cached(&self) -> Option<Auth> {
        read(&self.cached)
    }

    /// The credentials, first renewing ChatGPT tokens last refreshed more than eight days ago
    /// (a failed renewal is logged, and the old tokens are returned).
    pub async fn auth(&self) -> Option<Auth> {
        let auth = self.cached()?;
        if is_stale(&auth)
            && let Err(err) = self.refresh_managed().await
        {
            tracing::error!("failed to refresh token: {err}");
        }
        self.cached()
    }

    /// Reads the stores again; returns whether the credentials changed.
    pub fn reload(&self) -> bool {
        let loaded = self.load();
        let previous = write(&self.cached, loaded.clone());
        previous != loaded
    }

    fn load(&self) -> Option<Auth> {
        let ephemeral = self.store.ephemeral();
        let stored = match ephemeral.load() {
            Ok(Some(stored)) => Some(stored),
            Ok(None) if self.store.mode() == AuthCredentialsStoreMode::Ephemeral => None,
            Ok(None) => self.store.load().unwrap_or_else(|err| {
                tracing::warn!("could not load the stored credentials: {err}");
                None
            }),
            Err(err) => {
                tracing::warn!("could not load the credentials kept in memory: {err}");
                None
            }
        }?;
        let external_plan = match stored.mode() {
            AuthMode::ChatGptAuthTokens => self
                .external_plan
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            AuthMode::ApiKey | AuthMode::ChatGpt => None,
        };
        Some(Auth {
            stored,
            external_plan,
        })
    }

    /// Stores credentials a login obtained in the configured store (external tokens in
    /// memory only) and makes them current.
    pub fn save_credentials(&self, stored: &AuthDotJson) -> Result<(), StoreError> {
        match stored.mode() {
            AuthMode::ChatGptAuthTokens => self.store.ephemeral().save(stored)?,
            AuthMode::ApiKey | AuthMode::ChatGpt => self.store.save(stored)?,
        }
        self.reload();
        Ok(())
    }

    /// Forgets the credentials in every store; returns whether there were any.
    pub fn logout(&self) -> Result<bool, StoreError> {
        let in_memory = self.store.ephemeral().delete()?;
        let stored = match self.store.mode() {
            AuthCredentialsStoreMode::Ephemeral => false,
            AuthCredentialsStoreMode::File
            | AuthCredentialsStoreMode::Keyring
            | AuthCredentialsStoreMode::Auto => self.store.delete()?,
        };
        self.reload();
        Ok(in_memory || stored)
    }

    /// The ChatGPT access token and account for a backend request, renewed first if old;
    /// `None` without ChatGPT credentials.
    pub async fn chatgpt_credentials(&self) -> Option<ChatGptCredentials> {
        let auth = self.auth().await?;
        if !auth.is_chatgpt() {
            return None;
        }
        Some(ChatGptCredentials {
            access_token: auth.bearer_token()?,
            account_id: auth.account_id(),
        })
    }

    /// Renews the tokens now: managed ChatGPT tokens at the token endpoint, external ones by
    /// asking the client. Nothing to do for an API key or no credentials.
    pub async fn refresh(&self) -> Result<(), RefreshError> {
        let Some(auth) = self.cached() else {
            return Ok(());
        };
        match auth.mode() {
            AuthMode::ApiKey => Ok(()),
            AuthMode::ChatGpt => self.refresh_managed().await,
            AuthMode::ChatGptAuthTokens => self.refresh_external().await,
        }
    }

    async fn refresh_managed(&self) -> Result<(), RefreshError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let transient = || RefreshError::Transient("Token data is not available.".into());
        let refresh_token = self
            .cached()
            .and_then(|auth| auth.stored.tokens)
            .ok_or_else(transient)?
            .refresh_token;
        let refreshed = request_refresh(
            self.http.get_or_init(reqwest::Client::new),
            &self.refresh_url,
            &refresh_token,
        )
        .await?;
        // The store is read again (another process may have written it since) and written
        // off the async workers: a keyring answers over D-Bus.
        let store = self.store.clone();
        let mut stored = on_blocking_pool(move || store.load())
            .await??
            .ok_or_else(transient)?;
        let tokens = stored.tokens.get_or_insert_with(|| TokenData {
            id_token: String::new(),
            access_token: String::new(),
            refresh_token: String::new(),
            account_id: None,
        });
        if let Some(id_token) = refreshed.id_token {
            parse_claims(&id_token)
                .map_err(|err| RefreshError::Transient(format!("invalid id token: {err}")))?;
            tokens.id_token = id_token;
        }
        if let Some(access_token) = refreshed.access_token {
            tokens.access_token = access_token;
        }
        if let Some(refresh_token) = refreshed.refresh_token {
            tokens.refresh_token = refresh_token;
        }
        stored.last_refresh = Some(now_rfc3339());
        let store = self.store.clone();
        let saved = stored.clone();
        on_blocking_pool(move || store.save(&saved)).await??;
        write(
            &self.cached,
            Some(Auth {
                stored,
                external_plan: None,
            }),
        );
        Ok(())
    }

    /// Takes tokens a client hands over, kept in memory only, and makes them current.
    pub fn login_external(&self, tokens: ExternalTokens) -> Result<(), ExternalAuthError> {
        let claims = parse_claims(&tokens.access_token)?;
        let plan = tokens
            .chatgpt_plan_type
            .or(claims.chatgpt_plan_type)
            .unwrap_or_else(|| "unknown".to_owned());
        let stored = AuthDotJson {
            auth_mode: Some(AuthMode::ChatGptAuthTokens),
            openai_api_key: None,
            tokens: Some(TokenData {
                // The client gives no id token; the access token carries the same claims.
                id_token: tokens.access_token.clone(),
                access_token: tokens.access_token,
                refresh_token: String::new(),
                account_id: Some(tokens.chatgpt_account_id),
            }),
            last_refresh: Some(now_rfc3339()),
        };
        *self
            .external_plan
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(plan);
        self.store.ephemeral().save(&stored)?;
        self.reload();
        Ok(())
    }

    pub fn is_external_auth_active(&self) -> bool {
        self.cached()
            .is_some_and(|auth| auth.mode() == AuthMode::ChatGptAuthTokens)
    }

    pub fn set_external_auth_refresher(&self, refresher: Arc<dyn ExternalAuthRefresher>) {
        write(&self.external_refresher, Some(refresher));
    }

    fn has_external_auth_refresher(&self) -> bool {
        read(&self.external_refresher).is_some()
    }

    /// The workspace external tokens must belong to (`forced_chatgpt_workspace_id`).
    pub fn set_forced_chatgpt_workspace_id(&self, workspace_id: Option<String>) {
        write(&self.forced_workspace_id, workspace_id);
    }

    async fn refresh_external(&self) -> Result<(), RefreshError> {
        let refresher = read(&self.external_refresher).ok_or_else(|| {
            RefreshError::Transient("external auth refresher is not configured".into())
        })?;
        let previous_account_id = self.cached().and_then(|auth| auth.account_id());
        let tokens = refresher
            .refresh(previous_account_id)
            .await
            .map_err(RefreshError::Transient)?;
        if let Some(expected) = read(&self.forced_workspace_id)
            && tokens.chatgpt_account_id != expected
        {
            return Err(RefreshError::Transient(format!(
                "external auth refresh returned workspace {:?}, expected {expected:?}",
                tokens.chatgpt_account_id
            )));
        }
        self.login_external(tokens).map_err(|err| match err {
            ExternalAuthError::Token(err) => RefreshError::Transient(err.to_string()),
            ExternalAuthError::Store(err) => RefreshError::from(err),
        })
    }

    /// The steps to take when the model answers 401, one per retry.
    pub fn unauthorized_recovery(self: &Arc<Self>) -> UnauthorizedRecovery {
        let cached = self.cached();
        let external = cached
            .as_ref()
            .is_some_and(|auth| auth.mode() == AuthMode::ChatGptAuthTokens);
        UnauthorizedRecovery {
            manager: Arc::clone(self),
            expected_account_id: cached.as_ref().and_then(Auth::account_id),
            step: if external {
                RecoveryStep::AskClient
            } else {
                RecoveryStep::Reload
            },
        }
    }

    /// Reloads only when the stored credentials are still for `expected` (another process
    /// may have refreshed them); a different account is not ours to switch to.
    fn reload_same_account(&self, expected: Option<&str>) -> bool {
        let Some(expected) = expected else {
            return false;
        };
        let loaded = self.load();
        if loaded.as_ref().and_then(Auth::account_id).as_deref() != Some(expected) {
            tracing::info!("not reloading credentials: the stored account is another");
            return false;
        }
        write(&self.cached, loaded);
        true
    }
}

async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RefreshError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| RefreshError::Transient(format!("the credentials task failed: {err}")))
}

fn is_stale(auth: &Auth) -> bool {
    if auth.mode() != AuthMode::ChatGpt || auth.stored.tokens.is_none() {
        return false;
    }
    let Some(last) = auth.stored.last_refresh.as_deref() else {
        return false;
    };
    match OffsetDateTime::parse(last, &Rfc3339) {
        Ok(last) => last < OffsetDateTime::now_utc() - REFRESH_AFTER,
        Err(err) => {
            tracing::warn!("unreadable last_refresh {last:?}: {err}");
            false
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RecoveryStep {
    Reload,
    Refresh,
    AskClient,
    Done,
}

/// What to do about a 401 from the model, as the reference does it: for managed ChatGPT
/// tokens, reload them if the stored account is unchanged (another process may have renewed
/// them), else or then refresh them, then give up; for external tokens, ask the client once.
/// API keys have no recovery.
pub struct UnauthorizedRecovery {
    manager: Arc<AuthManager>,
    expected_account_id: Option<String>,
    step: RecoveryStep,
}

impl UnauthorizedRecovery {
    pub fn has_next(&self) -> bool {
        if !self.manager.cached().is_some_and(|auth| auth.is_chatgpt()) {
            return false;
        }
        match self.step {
            RecoveryStep::Done => false,
            RecoveryStep::AskClient => self.manager.has_external_auth_refresher(),
            RecoveryStep::Reload | RecoveryStep::Refresh => true,
        }
    }

    /// Takes the next step; the request is then worth sending again.
    pub async fn next(&mut self) -> Result<(), RefreshError> {
        if !self.has_next() {
            return Err(RefreshError::Permanent {
                reason: RefreshFailure::Other,
                message: "No more recovery steps available.".into(),
            });
        }
        match self.step {
            RecoveryStep::Reload => {
                if self
                    .manager
                    .reload_same_account(self.expected_account_id.as_deref())
                {
                    self.step = RecoveryStep::Refresh;
                } else {
                    self.step = RecoveryStep::Done;
                    self.manager.refresh().await?;
                }
            }
            RecoveryStep::Refresh => {
                self.step = RecoveryStep::Done;
                self.manager.refresh().await?;
            }
            RecoveryStep::AskClient => {
                self.step = RecoveryStep::Done;
                self.manager.refresh_external().await?;
            }
            RecoveryStep::Done => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use codex_test_support::MockTokenEndpoint;
    use codex_test_support::jwt::chatgpt_claims;
    use codex_test_support::jwt::fake_jwt;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;
    use crate::auth_json::read_auth_json;
    use crate::auth_json::write_auth_json;

    fn chatgpt(email: &str, plan: &str, account: &str, last_refresh: &str) -> AuthDotJson {
        AuthDotJson {
            auth_mode: Some(AuthMode::ChatGpt),
            openai_api_key: None,
            tokens: Some(TokenData {
                id_token: fake_jwt(&chatgpt_claims(email, plan, account)),
                access_token: "access-1".into(),
                refresh_token: "refresh-1".into(),
                account_id: Some(account.into()),
            }),
            last_refresh: Some(last_refresh.into()),
        }
    }

    fn manager(home: &std::path::Path, url: &str) -> Arc<AuthManager> {
        AuthManager::with_store(
            CredentialStore::new(home.to_path_buf(), AuthCredentialsStoreMode::File),
            url.to_owned(),
        )
    }

    #[tokio::test]
    async fn old_tokens_are_refreshed_before_use_and_saved() {
        let endpoint = MockTokenEndpoint::start().await.unwrap();
        let home = tempfile::tempdir().unwrap();
        write_auth_json(
            home.path(),
            &chatgpt("a@example.com", "plus", "acc-1", "2020-01-01T00:00:00Z"),
        )
        .unwrap();
        endpoint.enqueue_tokens(None, Some("access-2"), Some("refresh-2"));
        let manager = manager(home.path(), &endpoint.url());

        let auth = manager.auth().await.unwrap();
        assert_eq!(auth.bearer_token().as_deref(), Some("access-2"));
        assert_eq!(
            endpoint.requests(),
            vec![json!({
                "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
                "grant_type": "refresh_token",
                "refresh_token": "refresh-1",
                "scope": "openid profile email",
            })]
        );
        let saved = read_auth_json(home.path()).unwrap().unwrap();
        let tokens = saved.tokens.unwrap();
        assert_eq!(
            (tokens.access_token.as_str(), tokens.refresh_token.as_str()),
            ("access-2", "refresh-2")
        );
        // The id token was not in the answer, so it is kept.
        assert_eq!(auth.email().as_deref(), Some("a@example.com"));
        let last = OffsetDateTime::parse(&saved.last_refresh.unwrap(), &Rfc3339).unwrap();
        assert!(OffsetDateTime::now_utc() - last < time::Duration::minutes(1));

        // Fresh now: no second request.
        manager.auth().await.unwrap();
        assert_eq!(endpoint.requests().len(), 1);
    }

    #[tokio::test]
    async fn recent_tokens_are_not_refreshed() {
        let endpoint = MockTokenEndpoint::start().await.unwrap();
        let home = tempfile::tempdir().unwrap();
        write_auth_json(
            home.path(),
            &chatgpt("a@example.com", "pro", "acc-1", &now_rfc3339()),
        )
        .unwrap();
        let manager = manager(home.path(), &endpoint.url());
        let auth = manager.auth().await.unwrap();
        assert_eq!(auth.bearer_token().as_deref(), Some("access-1"));
        assert_eq!(auth.plan_type(), Some(PlanType::Pro));
        assert_eq!(endpoint.requests(), Vec::<serde_json::Value>::new());
    }

    #[tokio::test]
    async fn a_refused_refresh_token_is_a_permanent_failure() {
        let endpoint = MockTokenEndpoint::start().await.unwrap();
        let home = tempfile::tempdir().unwrap();
        write_auth_json(
            home.path(),
            &chatgpt("a@example.com", "pro", "acc-1", &now_rfc3339()),
        )
        .unwrap();
        endpoint.enqueue(401, json!({"error": {"code": "refresh_token_reused"}}));
        endpoint.enqueue(503, json!({"error": {"message": "try later"}}));
        let manager = manager(home.path(), &endpoint.url());
        let err = manager.refresh().await.unwrap_err();
        assert!(
            matches!(
                err,
                RefreshError::Permanent {
                    reason: RefreshFailure::Reused,
                    ..
                }
            ),
            "{err:?}"
        );
        let err = manager.refresh().await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "Failed to refresh token: 503 Service Unavailable: try later"
        );
    }

    #[tokio::test]
    async fn a_401_reloads_the_same_account_then_refreshes_then_gives_up() {
        let endpoint = MockTokenEndpoint::start().await.unwrap();
        let home = tempfile::tempdir().unwrap();
        write_auth_json(
            home.path(),
            &chatgpt("a@example.com", "pro", "acc-1", &now_rfc3339()),
        )
        .unwrap();
        let manager = manager(home.path(), &endpoint.url());
        // Another process renewed the tokens of the same account.
        let mut renewed = chatgpt("a@example.com", "pro", "acc-1", &now_rfc3339());
        renewed.tokens.as_mut().unwrap().access_token = "access-other".into();
        write_auth_json(home.path(), &renewed).unwrap();

        let mut recovery = manager.unauthorized_recovery();
        assert!(recovery.has_next());
        recovery.next().await.unwrap();
        assert_eq!(
            manager.cached().unwrap().bearer_token().as_deref(),
            Some("access-other")
        );
        assert_eq!(endpoint.requests().len(), 0);

        endpoint.enqueue_tokens(None, Some("access-3"), None);
        recovery.next().await.unwrap();
        assert_eq!(
            manager.cached().unwrap().bearer_token().as_deref(),
            Some("access-3")
        );
        assert!(!recovery.has_next());
        assert!(recovery.next().await.is_err());
    }

    #[tokio::test]
    async fn a_401_with_another_account_stored_refreshes_ours() {
        let endpoint = MockTokenEndpoint::start().await.unwrap();
        let home = tempfile::tempdir().unwrap();
        write_auth_json(
            home.path(),
            &chatgpt("a@example.com", "pro", "acc-1", &now_rfc3339()),
        )
        .unwrap();
        let manager = manager(home.path(), &endpoint.url());
        write_auth_json(
            home.path(),
            &chatgpt("b@example.com", "pro", "acc-2", &now_rfc3339()),
        )
        .unwrap();
        endpoint.enqueue_tokens(None, Some("access-3"), None);
        let mut recovery = manager.unauthorized_recovery();
        recovery.next().await.unwrap();
        assert!(!recovery.has_next());
        assert_eq!(endpoint.requests()[0]["refresh_token"], "refresh-1");
    }

    #[tokio::test]
    async fn api_keys_have_no_recovery() {
        let home = tempfile::tempdir().unwrap();
        write_auth_json(home.path(), &AuthDotJson::api_key("sk-1")).unwrap();
        let manager = manager(home.path(), "http://127.0.0.1:9/unused");
        assert!(!manager.unauthorized_recovery().has_next());
        assert_eq!(
            manager.cached().unwrap().bearer_token().as_deref(),
            Some("sk-1")
        );
        assert_eq!(manager.chatgpt_credentials().await, None);
    }

    struct Answering(ExternalTokens);

    impl ExternalAuthRefresher for Answering {
        fn refresh(
            &self,
            previous_account_id: Option<String>,
        ) -> BoxFuture<'static, Result<ExternalTokens, String>> {
            let tokens = self.0.clone();
            Box::pin(async move {
                assert_eq!(previous_account_id.as_deref(), Some("ws-1"));
                Ok(tokens)
            })
        }
    }

    #[tokio::test]
    async fn external_tokens_live_in_memory_and_win_over_the_stored_ones() {
        let home = tempfile::tempdir().unwrap();
        write_auth_json(home.path(), &AuthDotJson::api_key("sk-1")).unwrap();
        let manager = manager(home.path(), "http://127.0.0.1:9/unused");
        let access = fake_jwt(&json!({"email": "ext@example.com"}));
        manager
            .login_external(ExternalTokens {
                access_token: access.clone(),
                chatgpt_account_id: "ws-1".into(),
                chatgpt_plan_type: None,
            })
            .unwrap();
        let auth = manager.cached().unwrap();
        assert_eq!(auth.mode(), AuthMode::ChatGptAuthTokens);
        assert_eq!(auth.email().as_deref(), Some("ext@example.com"));
        assert_eq!(auth.plan_type(), Some(PlanType::Unknown));
        assert_eq!(auth.account_id().as_deref(), Some("ws-1"));
        assert!(manager.is_external_auth_active());
        // Nothing of them on disk.
        assert_eq!(
            read_auth_json(home.path()).unwrap(),
            Some(AuthDotJson::api_key("sk-1"))
        );

        assert!(!manager.unauthorized_recovery().has_next());
        let renewed = fake_jwt(&chatgpt_claims("new@example.com", "team", "ws-2"));
        manager.set_external_auth_refresher(Arc::new(Answering(ExternalTokens {
            access_token: renewed.clone(),
            chatgpt_account_id: "ws-2".into(),
            chatgpt_plan_type: Some("business".into()),
        })));
        let mut recovery = manager.unauthorized_recovery();
        recovery.next().await.unwrap();
        assert!(!recovery.has_next());
        let auth = manager.cached().unwrap();
        assert_eq!(auth.bearer_token(), Some(renewed));
        assert_eq!(auth.plan_type(), Some(PlanType::Business));

        assert!(matches!(
            manager.login_external(ExternalTokens {
                access_token: "x.y.z".into(),
                chatgpt_account_id: "ws".into(),
                chatgpt_plan_type: None,
            }),
            Err(ExternalAuthError::Token(_))
        ));

        assert!(manager.logout().unwrap());
        assert_eq!(manager.cached(), None);
        assert_eq!(read_auth_json(home.path()).unwrap(), None);
    }
}
