//! The v2 account methods: `account/read`, `account/login/start` and `account/logout`
//! (`account/rateLimits/read` is in `rate_limits.rs`).
//!
//! Credentials live in `$CODEX_HOME/auth.json` (see `codex_login`), which is read on every
//! call, so a login or logout by another process is seen at once. Only API keys can be stored
//! through this server; ChatGPT sign-in is answered with an error naming what is missing.

use std::path::Path;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v1::AuthMode as WireAuthMode;
use codex_app_server_protocol::v2;
use codex_config::ConfigService;
use codex_config::ConfigToml;
use codex_login::AuthDotJson;
use codex_login::AuthMode;
use codex_protocol::config_types::ForcedLoginMethod;

use crate::error;
use crate::responder::RequestContext;
use crate::state::ServerState;

/// `account/read`: the stored account, shown only when the configured provider authenticates
/// with OpenAI credentials (the reference's rule; other providers bring their own keys).
pub(crate) async fn read(context: RequestContext, _params: v2::GetAccountParams) {
    let result = on_config(&context.state, |service| {
        let config = load_config(service)?;
        let provider = codex_model_client::provider::resolve_provider(&config)
            .map_err(|err| error::internal_error(format!("cannot resolve the provider: {err}")))?;
        if !provider.requires_openai_auth {
            return Ok(v2::GetAccountResponse {
                account: None,
                requires_openai_auth: false,
            });
        }
        let account = match read_stored(service.paths().codex_home.as_path())? {
            None => None,
            Some(stored) => match stored.mode() {
                AuthMode::ApiKey => stored.openai_api_key.map(|_| v2::Account::ApiKey),
                AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens => {
                    return Err(error::not_implemented("account/read for a ChatGPT account"));
                }
            },
        };
        Ok(v2::GetAccountResponse {
            account,
            requires_openai_auth: true,
        })
    })
    .await;
    context.responder.respond(result).await;
}

/// `account/login/start`. An API key is stored at once and announced with
/// `account/login/completed` and `account/updated`, after the answer.
pub(crate) async fn login_start(context: RequestContext, params: v2::LoginAccountParams) {
    let api_key = match params {
        v2::LoginAccountParams::ApiKey { api_key } => api_key,
        v2::LoginAccountParams::Chatgpt => {
            return context
                .responder
                .fail(error::not_implemented(
                    "account/login/start with type chatgpt",
                ))
                .await;
        }
        v2::LoginAccountParams::ChatgptAuthTokens { .. } => {
            return context
                .responder
                .fail(error::not_implemented(
                    "account/login/start with type chatgptAuthTokens",
                ))
                .await;
        }
    };
    let result = on_config(&context.state, move |service| {
        let config = load_config(service)?;
        if config.forced_login_method == Some(ForcedLoginMethod::Chatgpt) {
            return Err(error::invalid_request(
                "API key login is disabled. Use ChatGPT login instead.",
            ));
        }
        codex_login::write_auth_json(
            service.paths().codex_home.as_path(),
            &AuthDotJson::api_key(api_key),
        )
        .map_err(|err| error::internal_error(format!("failed to save api key: {err}")))
    })
    .await
    .map(|()| v2::LoginAccountResponse::ApiKey);
    super::answer_then_announce(context, result, |state| {
        state
            .registry
            .notify_all(&ServerNotification::AccountLoginCompleted(
                v2::AccountLoginCompletedNotification {
                    login_id: None,
                    success: true,
                    error: None,
                },
            ));
        announce_auth_mode(state, Some(WireAuthMode::Apikey));
    })
    .await;
}

/// `account/logout`: forgets the stored credentials (having none is not an error) and tells
/// every client with `account/updated`.
pub(crate) async fn logout(context: RequestContext) {
    let result = on_config(&context.state, |service| {
        codex_login::remove_auth_json(service.paths().codex_home.as_path())
            .map_err(|err| error::internal_error(format!("logout failed: {err}")))
    })
    .await
    .map(|_had_credentials| v2::LogoutAccountResponse {});
    super::answer_then_announce(context, result, |state| announce_auth_mode(state, None)).await;
}

fn announce_auth_mode(state: &ServerState, auth_mode: Option<WireAuthMode>) {
    state
        .registry
        .notify_all(&ServerNotification::AccountUpdated(
            v2::AccountUpdatedNotification { auth_mode },
        ));
}

fn load_config(service: &ConfigService) -> Result<ConfigToml, JSONRPCErrorError> {
    service
        .load(None)
        .resolve()
        .map(|resolved| resolved.config)
        .map_err(|err| error::internal_error(format!("cannot load the config: {err}")))
}

fn read_stored(codex_home: &Path) -> Result<Option<AuthDotJson>, JSONRPCErrorError> {
    codex_login::read_auth_json(codex_home).map_err(|err| error::internal_error(err.to_string()))
}

/// Runs file work off the async workers.
async fn on_config<T: Send + 'static>(
    state: &ServerState,
    work: impl FnOnce(&ConfigService) -> Result<T, JSONRPCErrorError> + Send + 'static,
) -> Result<T, JSONRPCErrorError> {
    super::config::blocking(&state.config.service, work).await?
}
