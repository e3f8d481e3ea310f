//! `mcpServerStatus/list`, `config/mcpServer/reload` and `mcpServer/oauth/login`.
//!
//! The status list reads the servers of the config at the server's cwd and asks the process's
//! MCP pool about the requested page only: running connections (a loaded thread's, or one kept
//! from an earlier list) are reused, and only the rest are started.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_config::ConfigToml;
use codex_config::mcp::McpServerConfig;
use codex_config::mcp::McpServerTransportConfig;
use codex_core::McpServerSet;
use codex_protocol::protocol::McpAuthStatus;
use codex_rmcp_client::oauth;
use codex_rmcp_client::oauth::AuthTransport;
use codex_rmcp_client::oauth::OAuthCredentialsStoreMode;
use codex_rmcp_client::oauth::OAuthServer;

use crate::error;
use crate::paging;
use crate::paging::Page;
use crate::responder::RequestContext;

pub(crate) async fn status_list(context: RequestContext, params: v2::ListMcpServerStatusParams) {
    let result = status_page(&context, params).await;
    context.responder.respond(result).await;
}

async fn status_page(
    context: &RequestContext,
    params: v2::ListMcpServerStatusParams,
) -> Result<v2::ListMcpServerStatusResponse, JSONRPCErrorError> {
    let config = server_config(context).await?;
    let McpServerSet {
        servers,
        oauth_store,
    } = McpServerSet::from_config(&config);
    let Page { range, next_cursor } = paging::page(
        servers.len(),
        params.cursor.as_deref(),
        params.limit,
        "MCP servers",
    )?;
    let page: BTreeMap<_, _> = servers
        .into_iter()
        .skip(range.start)
        .take(range.len())
        .collect();
    let runtime = context.state.threads.mcp();
    let options = runtime.start_options(context.state.config.cwd.to_path_buf(), oauth_store);
    let snapshots = match &runtime.pool {
        Some(pool) => pool.snapshot(&page, &options).await,
        None => Vec::new(),
    };
    let codex_home = context
        .state
        .config
        .service
        .paths()
        .codex_home
        .to_path_buf();
    let statuses = futures::future::join_all(snapshots.iter().map(|snapshot| {
        let config = page
            .get(&snapshot.name)
            .and_then(|config| config.as_ref().ok());
        auth_status(&snapshot.name, config, &codex_home, oauth_store)
    }))
    .await;
    let data = snapshots
        .into_iter()
        .zip(statuses)
        .map(|(snapshot, auth_status)| v2::McpServerStatus {
            name: snapshot.name,
            tools: snapshot.tools,
            resources: snapshot.resources,
            resource_templates: snapshot.resource_templates,
            auth_status,
        })
        .collect();
    Ok(v2::ListMcpServerStatusResponse { data, next_cursor })
}

/// How a server authenticates, decided as the reference does (a bad config entry: unsupported).
async fn auth_status(
    name: &str,
    config: Option<&McpServerConfig>,
    codex_home: &Path,
    store: OAuthCredentialsStoreMode,
) -> v2::McpAuthStatus {
    let status = match config.map(|config| &config.transport) {
        None | Some(McpServerTransportConfig::Stdio { .. }) => McpAuthStatus::Unsupported,
        Some(
            transport @ McpServerTransportConfig::StreamableHttp {
                bearer_token_env_var,
                ..
            },
        ) => {
            let Some(server) = oauth_server(name, transport) else {
                return v2::McpAuthStatus::Unsupported;
            };
            let transport = AuthTransport::StreamableHttp {
                server: &server,
                bearer_token_env_var: bearer_token_env_var.as_deref(),
            };
            oauth::auth_status(transport, codex_home, store).await
        }
    };
    match status {
        McpAuthStatus::Unsupported => v2::McpAuthStatus::Unsupported,
        McpAuthStatus::NotLoggedIn => v2::McpAuthStatus::NotLoggedIn,
        McpAuthStatus::BearerToken => v2::McpAuthStatus::BearerToken,
        McpAuthStatus::OAuth => v2::McpAuthStatus::OAuth,
    }
}

/// What OAuth needs of a streamable HTTP server's config; `None` for stdio.
fn oauth_server(name: &str, transport: &McpServerTransportConfig) -> Option<OAuthServer> {
    match transport {
        McpServerTransportConfig::Stdio { .. } => None,
        McpServerTransportConfig::StreamableHttp {
            url,
            http_headers,
            env_http_headers,
            ..
        } => Some(OAuthServer {
            name: name.to_owned(),
            url: url.clone(),
            http_headers: http_headers.clone(),
            env_http_headers: env_http_headers.clone(),
        }),
    }
}

/// Starts an OAuth login for a streamable HTTP server: answers the authorization URL at once,
/// then reports the outcome to every client as `mcpServer/oauthLogin/completed`.
pub(crate) async fn oauth_login(context: RequestContext, params: v2::McpServerOauthLoginParams) {
    let config = match server_config(&context).await {
        Ok(config) => config,
        Err(err) => return context.responder.fail(err).await,
    };
    let set = McpServerSet::from_config(&config);
    let Some(entry) = set.servers.get(&params.name) else {
        return context
            .responder
            .fail(error::invalid_request(format!(
                "No MCP server named '{}' found.",
                params.name
            )))
            .await;
    };
    let server = entry.as_ref().ok().and_then(|server| {
        oauth_server(&params.name, &server.transport).map(|oauth| (server, oauth))
    });
    let Some((server_config, server)) = server else {
        return context
            .responder
            .fail(error::invalid_request(
                "OAuth login is only supported for streamable HTTP servers.",
            ))
            .await;
    };
    let login = oauth::LoginParams {
        server,
        scopes: params
            .scopes
            .or_else(|| server_config.scopes.clone())
            .unwrap_or_default(),
        timeout: params
            .timeout_secs
            .map_or(oauth::DEFAULT_LOGIN_TIMEOUT, |secs| {
                Duration::from_secs(secs.max(0).unsigned_abs())
            }),
        callback_port: config.mcp_oauth_callback_port,
        codex_home: context
            .state
            .config
            .service
            .paths()
            .codex_home
            .to_path_buf(),
        store: set.oauth_store,
    };
    let name = params.name;
    let pending = match oauth::start_login(login).await {
        Ok(pending) => pending,
        Err(err) => {
            return context
                .responder
                .fail(error::internal_error(format!(
                    "failed to login to MCP server '{name}': {err}"
                )))
                .await;
        }
    };
    let authorization_url = pending.authorization_url().to_owned();
    let state = Arc::clone(&context.state);
    context
        .responder
        .respond(Ok(v2::McpServerOauthLoginResponse { authorization_url }))
        .await;
    tokio::spawn(async move {
        let outcome = pending.complete().await;
        if let Err(err) = &outcome {
            tracing::warn!("OAuth login to MCP server `{name}` failed: {err}");
        }
        state
            .registry
            .notify_all(&ServerNotification::McpServerOauthLoginCompleted(
                v2::McpServerOauthLoginCompletedNotification {
                    name,
                    success: outcome.is_ok(),
                    error: outcome.err().map(|err| err.to_string()),
                },
            ));
    });
}

/// The config of the server's own cwd, read on the blocking pool.
async fn server_config(context: &RequestContext) -> Result<ConfigToml, JSONRPCErrorError> {
    let service = context.state.config.service.clone();
    let cwd = context.state.config.cwd.clone();
    tokio::task::spawn_blocking(move || service.load(Some(&cwd)).resolve())
        .await
        .map_err(|err| error::internal_error(format!("config task failed: {err}")))?
        .map(|resolved| resolved.config)
        .map_err(|err| error::internal_error(format!("failed to load configuration: {err}")))
}

/// Re-reads the config and queues each loaded thread's new servers for its next turn.
pub(crate) async fn reload(context: RequestContext) {
    if let Some(manager) = context.state.threads.running() {
        let result = tokio::task::spawn_blocking(move || manager.reload_mcp_servers()).await;
        if let Err(err) = result {
            return context
                .responder
                .fail(error::internal_error(format!("reload task failed: {err}")))
                .await;
        }
    }
    context
        .responder
        .respond(Ok(v2::McpServerRefreshResponse {}))
        .await;
}
