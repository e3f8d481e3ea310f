//! The account methods: v2 `account/read`, `account/login/start` and `account/logout`
//! (`account/rateLimits/read` is in `rate_limits.rs`), and their v1 forebears `loginApiKey`,
//! `logoutChatGpt`, `getAuthStatus` and `userInfo`.
//!
//! Every one reads and writes through the server's `codex_login::AuthManager`, so the cache
//! the model requests use stays right after a login or logout. The reading methods reload it
//! first, so a login or logout by another process is seen at once.

use std::sync::Arc;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v1 as wire_v1;
use codex_app_server_protocol::v1::AuthMode as WireAuthMode;
use codex_app_server_protocol::v2;
use codex_config::ConfigService;
use codex_config::ConfigToml;
use codex_login::Auth;
use codex_login::AuthDotJson;
use codex_login::AuthManager;
use codex_login::AuthMode;
use codex_login::ExternalTokens;
use codex_protocol::config_types::ForcedLoginMethod;

use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;

/// Why other logins are refused while a client's tokens are in use.
pub(crate) const EXTERNAL_AUTH_ACTIVE: &str = "External auth is active. Use account/login/start (chatgptAuthTokens) to update it or account/logout to clear it.";

/// `account/read`: the account, shown only when the configured provider authenticates with
/// OpenAI credentials (the reference's rule; other providers bring their own keys).
pub(crate) async fn read(context: RequestContext, params: v2::GetAccountParams) {
    let state = Arc::clone(&context.state);
    let result = async {
        reload(&state.auth).await?;
        refresh_if_asked(&state.auth, params.refresh_token).await;
        let config = config(&state).await?;
        if !requires_openai_auth(&config)? {
            return Ok(v2::GetAccountResponse {
                account: None,
                requires_openai_auth: false,
            });
        }
        let account = match state.auth.cached() {
            None => None,
            Some(auth) => account_of(&auth)?,
        };
        Ok(v2::GetAccountResponse {
            account,
            requires_openai_auth: true,
        })
    }
    .await;
    context.responder.respond(result).await;
}

fn account_of(auth: &Auth) -> Result<Option<v2::Account>, JSONRPCErrorError> {
    match auth.mode() {
        AuthMode::ApiKey => Ok(auth
            .stored()
            .openai_api_key
            .as_ref()
            .map(|_| v2::Account::ApiKey)),
        AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens => match (auth.email(), auth.plan_type()) {
            (Some(email), Some(plan_type)) => Ok(Some(v2::Account::Chatgpt { email, plan_type })),
            _ => Err(error::invalid_request(
                "email and plan type are required for chatgpt authentication",
            )),
        },
    }
}

/// `account/login/start`. An API key is stored at once and announced with
/// `account/login/completed` and `account/updated`, after the answer; so are tokens a client
/// hands over (kept in memory only).
pub(crate) async fn login_start(context: RequestContext, params: v2::LoginAccountParams) {
    match params {
        v2::LoginAccountParams::ApiKey { api_key } => {
            let result = login_api_key(&context.state, api_key)
                .await
                .map(|()| v2::LoginAccountResponse::ApiKey);
            super::answer_then_announce(context, result, |state| {
                announce_login_completed(state);
                announce_account(state);
            })
            .await;
        }
        // Refused while external tokens are active, like the other logins (`login.rs`).
        v2::LoginAccountParams::Chatgpt => super::login::start_v2(context).await,
        v2::LoginAccountParams::ChatgptAuthTokens {
            access_token,
            chatgpt_account_id,
            chatgpt_plan_type,
        } => {
            let tokens = ExternalTokens {
                access_token,
                chatgpt_account_id,
                chatgpt_plan_type,
            };
            let result = login_external(&context.state, tokens)
                .await
                .map(|()| v2::LoginAccountResponse::ChatgptAuthTokens);
            super::answer_then_announce(context, result, |state| {
                announce_login_completed(state);
                announce_account(state);
            })
            .await;
        }
    }
}

async fn login_api_key(state: &ServerState, api_key: String) -> Result<(), JSONRPCErrorError> {
    if state.auth.is_external_auth_active() {
        return Err(error::invalid_request(EXTERNAL_AUTH_ACTIVE));
    }
    let config = config(state).await?;
    if config.forced_login_method == Some(ForcedLoginMethod::Chatgpt) {
        return Err(error::invalid_request(
            "API key login is disabled. Use ChatGPT login instead.",
        ));
    }
    // An API key ends a pending ChatGPT sign-in, as in the reference.
    super::login::cancel_active_login(state).await;
    let auth = Arc::clone(&state.auth);
    blocking(move || {
        auth.save_credentials(&AuthDotJson::api_key(api_key))
            .map_err(|err| error::internal_error(format!("failed to save api key: {err}")))
    })
    .await
}

async fn login_external(
    state: &ServerState,
    tokens: ExternalTokens,
) -> Result<(), JSONRPCErrorError> {
    let config = config(state).await?;
    if config.forced_login_method == Some(ForcedLoginMethod::Api) {
        return Err(error::invalid_request(
            "External ChatGPT auth is disabled. Use API key login instead.",
        ));
    }
    if let Some(expected) = config.forced_chatgpt_workspace_id.as_deref()
        && tokens.chatgpt_account_id != expected
    {
        return Err(error::invalid_request(format!(
            "External auth must use workspace {expected}, but received {:?}.",
            tokens.chatgpt_account_id
        )));
    }
    state
        .auth
        .set_forced_chatgpt_workspace_id(config.forced_chatgpt_workspace_id.clone());
    let auth = Arc::clone(&state.auth);
    blocking(move || {
        auth.login_external(tokens)
            .map_err(|err| error::internal_error(format!("failed to set external auth: {err}")))
    })
    .await
}

/// `account/logout`: forgets the credentials in every store (having none is not an error)
/// and tells every client with `account/updated`.
pub(crate) async fn logout(context: RequestContext) {
    let result = logout_all(&context.state)
        .await
        .map(|()| v2::LogoutAccountResponse {});
    super::answer_then_announce(context, result, announce_account).await;
}

async fn logout_all(state: &ServerState) -> Result<(), JSONRPCErrorError> {
    super::login::cancel_active_login(state).await;
    let auth = Arc::clone(&state.auth);
    blocking(move || {
        auth.logout()
            .map(|_had_credentials| ())
            .map_err(|err| error::internal_error(format!("logout failed: {err}")))
    })
    .await
}

/// v1 `loginApiKey`: as `account/login/start` with an API key, announced the v1 way, with
/// `authStatusChange`.
pub(crate) async fn login_api_key_v1(context: RequestContext, params: wire_v1::LoginApiKeyParams) {
    let result = login_api_key(&context.state, params.api_key)
        .await
        .map(|()| wire_v1::LoginApiKeyResponse {});
    super::answer_then_announce(context, result, announce_auth_status).await;
}

/// v1 `logoutChatGpt`: as `account/logout`, announced with `authStatusChange`.
pub(crate) async fn logout_v1(context: RequestContext) {
    let result = logout_all(&context.state)
        .await
        .map(|()| wire_v1::LogoutChatGptResponse {});
    super::answer_then_announce(context, result, announce_auth_status).await;
}

/// v1 `getAuthStatus`: how the server authenticates, and the token itself when asked.
pub(crate) async fn auth_status(context: RequestContext, params: wire_v1::GetAuthStatusParams) {
    let state = Arc::clone(&context.state);
    let result = async {
        reload(&state.auth).await?;
        refresh_if_asked(&state.auth, params.refresh_token.unwrap_or(false)).await;
        let config = config(&state).await?;
        if !requires_openai_auth(&config)? {
            return Ok(wire_v1::GetAuthStatusResponse {
                auth_method: None,
                auth_token: None,
                requires_openai_auth: Some(false),
            });
        }
        let (auth_method, auth_token) = match state.auth.auth().await {
            Some(auth) => match auth.bearer_token().filter(|token| !token.is_empty()) {
                Some(token) => (
                    Some(wire_auth_mode(auth.mode())),
                    params.include_token.unwrap_or(false).then_some(token),
                ),
                None => (None, None),
            },
            None => (None, None),
        };
        Ok(wire_v1::GetAuthStatusResponse {
            auth_method,
            auth_token,
            requires_openai_auth: Some(true),
        })
    }
    .await;
    context.responder.respond(result).await;
}

/// v1 `userInfo`: the email the account's token claims (not verified).
pub(crate) async fn user_info(context: RequestContext) {
    let state = Arc::clone(&context.state);
    let result = async {
        reload(&state.auth).await?;
        Ok(wire_v1::UserInfoResponse {
            alleged_user_email: state.auth.cached().and_then(|auth| auth.email()),
        })
    }
    .await;
    context.responder.respond(result).await;
}

/// `refreshToken: true` renews managed tokens now; a client's own tokens are its business,
/// and a failure is only logged (the answer still goes out).
async fn refresh_if_asked(auth: &AuthManager, asked: bool) {
    if !asked || auth.is_external_auth_active() {
        return;
    }
    if let Err(err) = auth.refresh().await {
        tracing::warn!("failed to refresh token while reading the account: {err}");
    }
}

fn wire_auth_mode(mode: AuthMode) -> WireAuthMode {
    match mode {
        AuthMode::ApiKey => WireAuthMode::Apikey,
        AuthMode::ChatGpt => WireAuthMode::Chatgpt,
        AuthMode::ChatGptAuthTokens => WireAuthMode::ChatgptAuthTokens,
    }
}

fn current_auth_mode(state: &ServerState) -> Option<WireAuthMode> {
    state.auth.cached().map(|auth| wire_auth_mode(auth.mode()))
}

fn announce_login_completed(state: &ServerState) {
    state
        .registry
        .notify_all(&ServerNotification::AccountLoginCompleted(
            v2::AccountLoginCompletedNotification {
                login_id: None,
                success: true,
                error: None,
            },
        ));
}

fn announce_account(state: &ServerState) {
    state
        .registry
        .notify_all(&ServerNotification::AccountUpdated(
            v2::AccountUpdatedNotification {
                auth_mode: current_auth_mode(state),
            },
        ));
}

fn announce_auth_status(state: &ServerState) {
    state
        .registry
        .notify_all(&ServerNotification::AuthStatusChange(
            wire_v1::AuthStatusChangeNotification {
                auth_method: current_auth_mode(state),
            },
        ));
}

fn requires_openai_auth(config: &ConfigToml) -> Result<bool, JSONRPCErrorError> {
    codex_model_client::provider::resolve_provider(config)
        .map(|provider| provider.requires_openai_auth)
        .map_err(|err| error::internal_error(format!("cannot resolve the provider: {err}")))
}

/// Reads the stores again, off the async workers (a keyring answers over D-Bus).
async fn reload(auth: &Arc<AuthManager>) -> Result<(), JSONRPCErrorError> {
    let auth = Arc::clone(auth);
    blocking(move || {
        auth.reload();
        Ok(())
    })
    .await
}

async fn config(state: &ServerState) -> Result<ConfigToml, JSONRPCErrorError> {
    super::config::blocking(&state.config.service, load_config).await?
}

fn load_config(service: &ConfigService) -> Result<ConfigToml, JSONRPCErrorError> {
    service
        .load(None)
        .resolve()
        .map(|resolved| resolved.config)
        .map_err(|err| error::internal_error(format!("cannot load the config: {err}")))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, JSONRPCErrorError> + Send + 'static,
) -> Result<T, JSONRPCErrorError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| error::internal_error(format!("account task failed: {err}")))?
}
