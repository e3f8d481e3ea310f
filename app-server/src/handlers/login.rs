//! ChatGPT sign-in through the browser: v2 `account/login/start {type: "chatgpt"}` and
//! `account/login/cancel`, v1 `loginChatGpt` and `cancelLoginChatGpt`.
//!
//! Starting binds the login server (`codex_login::browser`) and answers with the URL the
//! client opens; a watcher task then waits for the sign-in to end (the browser's callback,
//! `/cancel`, a cancel request, another sign-in, a logout or API-key login through
//! [`cancel_active_login`], or the time limit) and tells every client, after the answer:
//! `account/login/completed` then, on success, `account/updated` (v1: `loginChatGptComplete`
//! then `authStatusChange`).

use std::sync::Arc;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v1 as wire_v1;
use codex_app_server_protocol::v2;
use codex_login::browser::CLIENT_ID;
use codex_login::browser::LoginServer;
use codex_login::browser::PersistCredentials;
use codex_login::browser::ServerOptions;
use codex_login::browser::start_login_server;
use codex_protocol::config_types::ForcedLoginMethod;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::error;
use crate::login_flow::ActiveLogin;
use crate::login_flow::LoginSettings;
use crate::responder::RequestContext;
use crate::state::ServerState;

/// Which API started a sign-in, which decides the notifications of its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

/// `account/login/start` with `type: "chatgpt"`.
pub(crate) async fn start_v2(context: RequestContext) {
    start(context, Api::V2).await;
}

/// v1 `loginChatGpt`.
pub(crate) async fn start_v1(context: RequestContext) {
    start(context, Api::V1).await;
}

/// Binding may wait for an earlier login server to let go of the port (seconds), so the work
/// runs in a task of its own and the connection's next request is not held up.
async fn start(context: RequestContext, api: Api) {
    let originator = context.connection.client_name().unwrap_or_default();
    tokio::spawn(async move {
        let state = Arc::clone(&context.state);
        let answered = CancellationToken::new();
        // Dropped at the end of this task, whatever happens: the watcher then announces.
        let _answered = answered.clone().drop_guard();
        match begin(&state, originator, api, answered).await {
            Ok((login_id, auth_url)) => {
                let login_id = login_id.to_string();
                match api {
                    Api::V2 => {
                        let answer = v2::LoginAccountResponse::Chatgpt { login_id, auth_url };
                        context.responder.respond(Ok(answer)).await;
                    }
                    Api::V1 => {
                        let answer = wire_v1::LoginChatGptResponse { login_id, auth_url };
                        context.responder.respond(Ok(answer)).await;
                    }
                }
            }
            Err(error) => context.responder.fail(error).await,
        }
    });
}

/// Starts the login server, ends the sign-in it replaces and registers the new one. Returns
/// its id and authorize URL.
async fn begin(
    state: &Arc<ServerState>,
    originator: String,
    api: Api,
    answered: CancellationToken,
) -> Result<(Uuid, String), JSONRPCErrorError> {
    let start_error = |err: &dyn std::fmt::Display| {
        error::internal_error(format!("failed to start login server: {err}"))
    };
    if state.auth.is_external_auth_active() {
        return Err(error::invalid_request(super::account::EXTERNAL_AUTH_ACTIVE));
    }
    let settings = LoginSettings::from_env().map_err(|err| start_error(&err))?;
    let forced_workspace = super::config::blocking(&state.config.service, |service| {
        let config = service
            .load(None)
            .resolve()
            .map(|resolved| resolved.config)
            .map_err(|err| error::internal_error(format!("cannot load the config: {err}")))?;
        if config.forced_login_method == Some(ForcedLoginMethod::Api) {
            return Err(error::invalid_request(
                "ChatGPT login is disabled. Use API key login instead.",
            ));
        }
        Ok(config.forced_chatgpt_workspace_id)
    })
    .await??;

    let mut slot = state.logins.lock().await;
    let options = ServerOptions {
        issuer: settings.issuer,
        client_id: CLIENT_ID.to_owned(),
        port: settings.port,
        originator,
        forced_chatgpt_workspace_id: forced_workspace,
        persist: persist_to_stores(state),
    };
    // An earlier sign-in on the same port is asked to stop by the new server (`GET /cancel`)
    // before this returns; one on another port is ended below.
    let server = start_login_server(options)
        .await
        .map_err(|err| start_error(&err))?;
    if let Some(earlier) = slot.take() {
        earlier.end().await;
    }
    let login_id = Uuid::new_v4();
    let auth_url = server.auth_url.clone();
    let announced = CancellationToken::new();
    *slot = Some(ActiveLogin::new(
        login_id,
        server.cancel_handle(),
        announced.clone(),
    ));
    drop(slot);
    tokio::spawn(watch(
        Arc::clone(state),
        server,
        Watch {
            login_id,
            api,
            timeout: settings.timeout,
            answered,
            announced,
        },
    ));
    Ok((login_id, auth_url))
}

/// Where the sign-in stores the account: the configured credentials store, through the
/// server's auth manager, so model requests use the new tokens at once.
fn persist_to_stores(state: &Arc<ServerState>) -> PersistCredentials {
    let auth = Arc::clone(&state.auth);
    Arc::new(move |credentials| {
        auth.save_credentials(credentials)
            .map_err(|err| Box::new(err) as _)
    })
}

struct Watch {
    login_id: Uuid,
    api: Api,
    timeout: std::time::Duration,
    /// Cancelled once the start request is answered; the end is announced after it.
    answered: CancellationToken,
    /// Cancelled here once the end is announced.
    announced: CancellationToken,
}

/// Waits for the sign-in to end, tells every client, and clears the slot if it still holds
/// this sign-in.
async fn watch(state: Arc<ServerState>, mut server: LoginServer, watch: Watch) {
    let outcome = match tokio::time::timeout(watch.timeout, server.wait()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(format!("Login server error: {err}")),
        Err(_elapsed) => {
            server.cancel_handle().cancel();
            let _ = server.wait().await;
            Err("Login timed out".to_owned())
        }
    };
    watch.answered.cancelled().await;
    tracing::info!(login_id = %watch.login_id, ok = outcome.is_ok(), "ChatGPT sign-in ended");
    let success = outcome.is_ok();
    announce_end(&state, watch.login_id, watch.api, outcome);
    if success {
        // A new account may belong to a workspace with requirements of its own (bounded; a
        // failure only logs), as the reference reloads them before telling of the account.
        crate::cloud_requirements::apply(&state.config.service, || {
            crate::backend::server_user_agent(&state.platform)
        })
        .await;
        announce_account(&state, watch.api);
    }
    watch.announced.cancel();
    let mut slot = state.logins.lock().await;
    if slot
        .as_ref()
        .is_some_and(|active| active.id == watch.login_id)
    {
        *slot = None;
    }
}

/// Tells every client how the sign-in ended.
fn announce_end(state: &ServerState, login_id: Uuid, api: Api, outcome: Result<(), String>) {
    let success = outcome.is_ok();
    let error = outcome.err();
    let notification = match api {
        Api::V2 => {
            ServerNotification::AccountLoginCompleted(v2::AccountLoginCompletedNotification {
                login_id: Some(login_id.to_string()),
                success,
                error,
            })
        }
        Api::V1 => {
            ServerNotification::LoginChatGptComplete(wire_v1::LoginChatGptCompleteNotification {
                login_id: login_id.to_string(),
                success,
                error,
            })
        }
    };
    state.registry.notify_all(&notification);
}

/// Tells every client that the account is now a ChatGPT one.
fn announce_account(state: &ServerState, api: Api) {
    let notification = match api {
        Api::V2 => ServerNotification::AccountUpdated(v2::AccountUpdatedNotification {
            auth_mode: Some(wire_v1::AuthMode::Chatgpt),
        }),
        Api::V1 => ServerNotification::AuthStatusChange(wire_v1::AuthStatusChangeNotification {
            auth_method: Some(wire_v1::AuthMode::Chatgpt),
        }),
    };
    state.registry.notify_all(&notification);
}

/// Takes the pending sign-in out of the slot if it is `login_id`.
async fn take_if(state: &ServerState, login_id: Uuid) -> Option<ActiveLogin> {
    let mut slot = state.logins.lock().await;
    if slot.as_ref().is_some_and(|active| active.id == login_id) {
        slot.take()
    } else {
        None
    }
}

/// `account/login/cancel`: `canceled`, or `notFound` when that sign-in is not pending. The
/// answer comes first, then the sign-in's `account/login/completed`.
pub(crate) async fn cancel_v2(context: RequestContext, params: v2::CancelLoginAccountParams) {
    let Ok(login_id) = Uuid::parse_str(&params.login_id) else {
        let message = format!("invalid login id: {}", params.login_id);
        return context
            .responder
            .fail(error::invalid_request(message))
            .await;
    };
    let cancelled = take_if(&context.state, login_id).await;
    let status = match cancelled {
        Some(_) => v2::CancelLoginAccountStatus::Canceled,
        None => v2::CancelLoginAccountStatus::NotFound,
    };
    context
        .responder
        .respond(Ok(v2::CancelLoginAccountResponse { status }))
        .await;
    if let Some(active) = cancelled {
        active.cancel();
    }
}

/// v1 `cancelLoginChatGpt`: `{}`, or -32600 `login id not found: <id>`.
pub(crate) async fn cancel_v1(context: RequestContext, params: wire_v1::CancelLoginChatGptParams) {
    let login_id = match Uuid::parse_str(&params.login_id) {
        Ok(login_id) => login_id,
        // The reference's params take a UUID; this is serde's complaint about one.
        Err(err) => {
            return context
                .responder
                .fail(error::invalid_params(format!("UUID parsing failed: {err}")))
                .await;
        }
    };
    match take_if(&context.state, login_id).await {
        Some(active) => {
            context
                .responder
                .respond(Ok(wire_v1::CancelLoginChatGptResponse {}))
                .await;
            active.cancel();
        }
        None => {
            let message = format!("login id not found: {login_id}");
            context
                .responder
                .fail(error::invalid_request(message))
                .await;
        }
    }
}

/// Ends the pending sign-in, if any, and returns once clients have heard how it ended. Called
/// by whatever replaces the account: logout, API-key login.
pub(crate) async fn cancel_active_login(state: &ServerState) {
    let active = state.logins.lock().await.take();
    if let Some(active) = active {
        active.end().await;
    }
}
