//! `app/list`: the ChatGPT apps (connectors) of the account, behind the `apps` feature.
//!
//! With the feature off (the default) the list is empty, as in the reference. With it on, the
//! backend's directory and the apps connected through the `codex_apps` gateway load side by
//! side; after each one every client hears `app/list/updated` with the merge so far, and once
//! both are in the request is answered with a page of it. Nothing waits longer than the
//! reference's 90 seconds.

use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_apps::Account;
use codex_apps::App;
use codex_apps::AppsError;
use codex_apps::Backend;
use codex_config::ConfigToml;
use codex_config::features;
use codex_login::AuthMode;

use crate::error;
use crate::paging;
use crate::responder::RequestContext;
use crate::state::ServerState;
use crate::wire;

/// How long the two loads together may take, the reference's.
const LOAD_TIMEOUT: Duration = Duration::from_secs(90);

pub(crate) async fn list(context: RequestContext, params: v2::AppsListParams) {
    let prepared = prepare(&context, &params).await;
    let (backend, account) = match prepared {
        Ok(Some(load)) => load,
        Ok(None) => {
            let empty = v2::AppsListResponse {
                data: Vec::new(),
                next_cursor: None,
            };
            return context.responder.respond(Ok(empty)).await;
        }
        Err(err) => return context.responder.fail(err).await,
    };
    // The loads may take long; the connection goes on with its other requests meanwhile.
    tokio::spawn(async move {
        let result = load(&context.state, &backend, &account, &params).await;
        context.responder.respond(result).await;
    });
}

/// What to load from where, or `None` when the feature is off for this request.
async fn prepare(
    context: &RequestContext,
    params: &v2::AppsListParams,
) -> Result<Option<(Backend, Account)>, JSONRPCErrorError> {
    let state = &context.state;
    let config = super::config::blocking(&state.config.service, |service| {
        let stack = service.load(None);
        stack
            .resolve()
            .map(|resolved| resolved.config)
            .or_else(|_| stack.typed())
            .unwrap_or_default()
    })
    .await?;
    // A thread's own config decides for it; otherwise the config at the server's cwd.
    let enabled = match params.thread_id.as_deref() {
        Some(thread_id) => {
            let (_, thread) = super::loaded_thread::loaded(state, thread_id).await?;
            thread.settings().apps
        }
        None => features::is_enabled(&config.features, "apps"),
    };
    if !enabled {
        return Ok(None);
    }
    // The reference checks the cursor's form before loading, and its range after.
    if let Some(cursor) = params.cursor.as_deref() {
        paging::parse_cursor(cursor)?;
    }
    let account = chatgpt_account(state).await?;
    let user_agent = context
        .connection
        .handshake()
        .map(|handshake| handshake.user_agent.clone())
        .unwrap_or_default();
    let backend = Backend::new(base_url(&config), &user_agent)
        .map_err(|err| error::internal_error(format!("failed to list apps: {err}")))?;
    Ok(Some((backend, account)))
}

fn base_url(config: &ConfigToml) -> &str {
    config
        .chatgpt_base_url
        .as_deref()
        .unwrap_or(codex_apps::DEFAULT_CHATGPT_BASE_URL)
}

/// The signed-in ChatGPT account (its tokens renewed first if old), or the reference's error
/// for whoever else is signed in.
async fn chatgpt_account(state: &ServerState) -> Result<Account, JSONRPCErrorError> {
    let not_available =
        || error::internal_error("failed to list apps: ChatGPT token not available");
    let auth = crate::backend::current_auth(&state.auth)
        .await
        .ok_or_else(not_available)?;
    if auth.mode() == AuthMode::ApiKey {
        return Err(error::internal_error(
            "failed to list apps: Token data is not available.",
        ));
    }
    Account::of(&auth).ok_or_else(not_available)
}

enum Loaded {
    Directory(Result<Vec<App>, AppsError>),
    Accessible(Vec<App>),
}

async fn load(
    state: &Arc<ServerState>,
    backend: &Backend,
    account: &Account,
    params: &v2::AppsListParams,
) -> Result<v2::AppsListResponse, JSONRPCErrorError> {
    let refetch = params.force_refetch.unwrap_or(false);
    let catalog = &state.apps;
    let directory = async { Loaded::Directory(catalog.directory(backend, account, refetch).await) };
    let accessible =
        async { Loaded::Accessible(catalog.accessible(backend, account, refetch).await) };
    let mut directory = std::pin::pin!(directory);
    let mut accessible = std::pin::pin!(accessible);
    let mut listed: Option<Vec<App>> = None;
    let mut connected: Option<Vec<App>> = None;
    let deadline = tokio::time::Instant::now() + LOAD_TIMEOUT;
    while listed.is_none() || connected.is_none() {
        let loaded = tokio::select! {
            loaded = &mut directory, if listed.is_none() => loaded,
            loaded = &mut accessible, if connected.is_none() => loaded,
            () = tokio::time::sleep_until(deadline) => {
                return Err(error::internal_error(format!(
                    "timed out waiting for app lists after {} seconds",
                    LOAD_TIMEOUT.as_secs()
                )));
            }
        };
        match loaded {
            Loaded::Directory(Ok(apps)) => listed = Some(apps),
            Loaded::Directory(Err(err)) => {
                return Err(error::internal_error(format!("failed to list apps: {err}")));
            }
            Loaded::Accessible(apps) => connected = Some(apps),
        }
        let merged = codex_apps::merge(
            listed.as_deref().unwrap_or_default(),
            connected.as_deref().unwrap_or_default(),
        );
        let data = merged.into_iter().map(wire::apps::app_info).collect();
        state
            .registry
            .notify_all(&ServerNotification::AppListUpdated(
                v2::AppListUpdatedNotification { data },
            ));
    }
    let merged = codex_apps::merge(
        listed.as_deref().unwrap_or_default(),
        connected.as_deref().unwrap_or_default(),
    );
    let page = paging::page(merged.len(), params.cursor.as_deref(), params.limit, "apps")?;
    let next_cursor = page.next_cursor;
    let data = merged
        .into_iter()
        .skip(page.range.start)
        .take(page.range.len())
        .map(wire::apps::app_info)
        .collect();
    Ok(v2::AppsListResponse { data, next_cursor })
}
