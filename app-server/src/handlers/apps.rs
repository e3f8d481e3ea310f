//! `app/list`: the ChatGPT apps (connectors) of the account, behind the `apps` feature.
//!
//! With the feature off (the default) the list is empty, as in the reference. With it on the
//! apps come from the ChatGPT backend, which needs a ChatGPT sign-in: without one the request
//! fails at once with the reference's error. Fetching the list for a ChatGPT account is not
//! built.

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v2;
use codex_config::features;
use codex_login::AuthMode;

use crate::error;
use crate::paging;
use crate::responder::RequestContext;
use crate::state::ServerState;

pub(crate) async fn list(context: RequestContext, params: v2::AppsListParams) {
    let result = list_apps(&context.state, params).await;
    context.responder.respond(result).await;
}

async fn list_apps(
    state: &ServerState,
    params: v2::AppsListParams,
) -> Result<v2::AppsListResponse, JSONRPCErrorError> {
    // A thread's own config decides for it; otherwise the config at the server's cwd.
    let enabled = match params.thread_id.as_deref() {
        Some(thread_id) => {
            let (_, thread) = super::loaded_thread::loaded(state, thread_id).await?;
            thread.settings().apps
        }
        None => {
            super::config::blocking(&state.config.service, |service| {
                let stack = service.load(None);
                let configured = stack
                    .resolve()
                    .map(|resolved| resolved.config.features)
                    .or_else(|_| stack.typed().map(|config| config.features))
                    .unwrap_or_default();
                features::is_enabled(&configured, "apps")
            })
            .await?
        }
    };
    if !enabled {
        return Ok(v2::AppsListResponse {
            data: Vec::new(),
            next_cursor: None,
        });
    }
    // The reference checks the cursor's form before loading, and its range after.
    if let Some(cursor) = params.cursor.as_deref() {
        paging::parse_cursor(cursor)?;
    }
    let stored = super::config::blocking(&state.config.service, |service| {
        codex_login::read_auth_json(service.paths().codex_home.as_path())
    })
    .await?
    .map_err(|err| error::internal_error(err.to_string()))?;
    Err(match stored.map(|stored| stored.mode()) {
        None => error::internal_error("failed to list apps: ChatGPT token not available"),
        Some(AuthMode::ApiKey) => {
            error::internal_error("failed to list apps: Token data is not available.")
        }
        Some(AuthMode::ChatGpt | AuthMode::ChatGptAuthTokens) => {
            error::not_implemented("app/list for a ChatGPT account")
        }
    })
}
