//! `mcpServerStatus/list`, `config/mcpServer/reload` and `mcpServer/oauth/login`.
//!
//! The status list reads the servers of the config at the server's cwd and asks the process's
//! MCP pool about the requested page only: running connections (a loaded thread's, or one kept
//! from an earlier list) are reused, and only the rest are started.

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v2;
use codex_config::ConfigToml;
use codex_config::mcp::McpServerConfig;
use codex_config::mcp::McpServerTransportConfig;
use codex_config::mcp::mcp_server_configs;

use crate::error;
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
    let servers = mcp_server_configs(&config.mcp_servers);
    let total = servers.len();
    let (start, end) = page_bounds(total, params.cursor.as_deref(), params.limit)?;
    let page: codex_core::McpServerSet =
        servers.into_iter().skip(start).take(end - start).collect();
    let runtime = context.state.threads.mcp();
    let options = runtime.start_options(context.state.config.cwd.to_path_buf());
    let snapshots = match &runtime.pool {
        Some(pool) => pool.snapshot(&page, &options).await,
        None => Vec::new(),
    };
    let data = snapshots
        .into_iter()
        .map(|snapshot| {
            let auth_status = page
                .get(&snapshot.name)
                .and_then(|config| config.as_ref().ok())
                .map_or(v2::McpAuthStatus::Unsupported, auth_status);
            v2::McpServerStatus {
                name: snapshot.name,
                tools: snapshot.tools,
                resources: snapshot.resources,
                resource_templates: snapshot.resource_templates,
                auth_status,
            }
        })
        .collect();
    Ok(v2::ListMcpServerStatusResponse {
        data,
        next_cursor: (end < total).then(|| end.to_string()),
    })
}

/// The page `[start, end)` of `total` servers that `cursor` (a decimal index) and `limit`
/// (at least 1; all when absent) select, with the reference's errors.
fn page_bounds(
    total: usize,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<(usize, usize), JSONRPCErrorError> {
    let limit = limit.map_or(total, |limit| limit as usize).max(1);
    let start = match cursor {
        Some(cursor) => cursor
            .parse::<usize>()
            .map_err(|_| error::invalid_request(format!("invalid cursor: {cursor}")))?,
        None => 0,
    };
    if start > total {
        return Err(error::invalid_request(format!(
            "cursor {start} exceeds total MCP servers {total}"
        )));
    }
    Ok((start, start.saturating_add(limit).min(total)))
}

/// How an HTTP server authenticates, as far as the config tells; stdio servers have no auth.
fn auth_status(config: &McpServerConfig) -> v2::McpAuthStatus {
    match &config.transport {
        McpServerTransportConfig::Stdio { .. } => v2::McpAuthStatus::Unsupported,
        McpServerTransportConfig::StreamableHttp {
            bearer_token_env_var: Some(_),
            ..
        } => v2::McpAuthStatus::BearerToken,
        McpServerTransportConfig::StreamableHttp { .. } => v2::McpAuthStatus::Unsupported,
    }
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

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::page_bounds;

    #[test]
    fn pages_follow_the_cursor_and_limit() {
        assert_eq!(page_bounds(5, None, None).unwrap(), (0, 5));
        assert_eq!(page_bounds(5, None, Some(2)).unwrap(), (0, 2));
        assert_eq!(page_bounds(5, Some("4"), Some(2)).unwrap(), (4, 5));
        assert_eq!(page_bounds(5, Some("5"), None).unwrap(), (5, 5));
        // A zero limit counts as one, as in the reference.
        assert_eq!(page_bounds(5, Some("1"), Some(0)).unwrap(), (1, 2));
        assert_eq!(page_bounds(0, None, None).unwrap(), (0, 0));
    }

    #[test]
    fn bad_cursors_are_refused_with_the_reference_texts() {
        let error = page_bounds(5, Some("abc"), None).unwrap_err();
        assert_eq!(
            (error.code, error.message),
            (-32600, "invalid cursor: abc".to_owned())
        );
        let error = page_bounds(5, Some("9"), None).unwrap_err();
        assert_eq!(
            (error.code, error.message),
            (-32600, "cursor 9 exceeds total MCP servers 5".to_owned())
        );
    }
}
