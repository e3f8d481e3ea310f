//! The apps the account has connected: the `codex_apps` MCP gateway of the ChatGPT backend
//! offers their tools, each tagged in `_meta` with the connector it belongs to.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use codex_config::mcp::DEFAULT_TOOL_TIMEOUT;
use codex_rmcp_client::ConnectOptions;
use codex_rmcp_client::McpClient;
use codex_rmcp_client::McpServerConfig;
use codex_rmcp_client::McpServerTransportConfig;
use serde_json::Value;

use crate::App;
use crate::backend::Account;
use crate::merge::install_url;
use crate::merge::non_blank;
use crate::merge::sort_by_name;

/// The gateway's server name, in tool names (`mcp__codex_apps__…`) and startup events.
pub const CODEX_APPS_SERVER: &str = "codex_apps";

/// Set (non-blank), the gateway is reached with this variable's token instead of the account's.
const TOKEN_VARIABLE: &str = "CODEX_CONNECTORS_TOKEN";

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The gateway as an MCP server entry for `account`, at the backend `base_url`.
pub fn gateway_config(base_url: &str, account: Option<&Account>) -> McpServerConfig {
    let token_variable = std::env::var(TOKEN_VARIABLE)
        .ok()
        .filter(|value| !value.trim().is_empty())
        .map(|_| TOKEN_VARIABLE.to_owned());
    let mut http_headers = BTreeMap::new();
    if token_variable.is_none()
        && let Some(account) = account
    {
        if let Some(token) = non_blank(Some(&account.access_token)) {
            http_headers.insert("Authorization".to_owned(), format!("Bearer {token}"));
        }
        if let Some(id) = &account.account_id {
            http_headers.insert("ChatGPT-Account-ID".to_owned(), id.clone());
        }
    }
    McpServerConfig {
        transport: McpServerTransportConfig::StreamableHttp {
            url: gateway_url(base_url),
            bearer_token_env_var: token_variable,
            http_headers,
            env_http_headers: BTreeMap::new(),
        },
        enabled: true,
        startup_timeout: STARTUP_TIMEOUT,
        tool_timeout: DEFAULT_TOOL_TIMEOUT,
        enabled_tools: None,
        disabled_tools: None,
        scopes: None,
    }
}

/// `…/backend-api/wham/apps` on ChatGPT's own backend, `…/api/codex/apps` elsewhere.
fn gateway_url(base_url: &str) -> String {
    let mut base = base_url.trim_end_matches('/').to_owned();
    let chatgpt =
        base.starts_with("https://chatgpt.com") || base.starts_with("https://chat.openai.com");
    if chatgpt && !base.contains("/backend-api") {
        base.push_str("/backend-api");
    }
    if base.contains("/backend-api") {
        format!("{base}/wham/apps")
    } else if base.contains("/api/codex") {
        format!("{base}/apps")
    } else {
        format!("{base}/api/codex/apps")
    }
}

/// What the gateway offers `account`; `None` when it could not be reached, which the
/// reference does not treat as an error (the list is then empty and not kept).
pub(crate) async fn load(base_url: &str, account: &Account) -> Option<Vec<App>> {
    let config = gateway_config(base_url, Some(account));
    let options = ConnectOptions {
        // The gateway is HTTP: nothing is launched, and no folder matters.
        codex_exe: PathBuf::new(),
        cwd: std::env::temp_dir(),
        bearer: None,
        elicitation: None,
    };
    let client = match McpClient::connect(CODEX_APPS_SERVER, &config, &options).await {
        Ok(client) => client,
        Err(err) => {
            tracing::warn!("the apps gateway did not start: {err:#}");
            return None;
        }
    };
    match client.list_all_tools(STARTUP_TIMEOUT).await {
        Ok(tools) => Some(connected_apps(
            tools
                .iter()
                .map(|tool| tool.meta.as_ref().and_then(Value::as_object)),
        )),
        Err(err) => {
            tracing::warn!("the apps gateway did not list its tools: {err:#}");
            None
        }
    }
}

/// One app per connector named in the tools' `_meta` (`connector_id`, and `connector_name` or
/// `connector_display_name`), by name then id.
fn connected_apps<'a>(
    metas: impl Iterator<Item = Option<&'a serde_json::Map<String, Value>>>,
) -> Vec<App> {
    let mut names: HashMap<String, String> = HashMap::new();
    for meta in metas.flatten() {
        let text = |key: &str| non_blank(meta.get(key).and_then(Value::as_str));
        let Some(id) = text("connector_id") else {
            continue;
        };
        let name = text("connector_name")
            .or_else(|| text("connector_display_name"))
            .unwrap_or_else(|| id.clone());
        match names.get_mut(&id) {
            // A later tool may name a connector an earlier one left unnamed.
            Some(known) if *known == id && name != id => *known = name,
            Some(_) => {}
            None => {
                names.insert(id, name);
            }
        }
    }
    let mut apps: Vec<App> = names
        .into_iter()
        .map(|(id, name)| {
            let mut app = App::named(id, name);
            app.install_url = Some(install_url(&app.name, &app.id));
            app.is_accessible = true;
            app
        })
        .collect();
    sort_by_name(&mut apps);
    apps
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn the_gateway_url_follows_the_base() {
        let cases = [
            (
                "https://chatgpt.com",
                "https://chatgpt.com/backend-api/wham/apps",
            ),
            (
                "https://chatgpt.com/backend-api/",
                "https://chatgpt.com/backend-api/wham/apps",
            ),
            (
                "http://127.0.0.1:9/api/codex",
                "http://127.0.0.1:9/api/codex/apps",
            ),
            ("http://127.0.0.1:9", "http://127.0.0.1:9/api/codex/apps"),
        ];
        for (base, url) in cases {
            assert_eq!(gateway_url(base), url, "{base}");
        }
    }

    #[test]
    fn connectors_come_from_the_tools_meta() {
        let metas = [
            json!({"connector_id": "c2"}),
            json!({"connector_id": "c2", "connector_display_name": "Drive"}),
            json!({"connector_id": " c1 ", "connector_name": "Calendar"}),
            json!({"other": 1}),
        ];
        let objects: Vec<serde_json::Map<String, Value>> = metas
            .iter()
            .map(|meta| meta.as_object().unwrap().clone())
            .collect();
        let apps = connected_apps(objects.iter().map(Some).chain([None]));
        let summary: Vec<(&str, &str, bool)> = apps
            .iter()
            .map(|app| (app.id.as_str(), app.name.as_str(), app.is_accessible))
            .collect();
        assert_eq!(
            summary,
            vec![("c1", "Calendar", true), ("c2", "Drive", true)]
        );
        assert_eq!(
            apps[1].install_url.as_deref(),
            Some("https://chatgpt.com/apps/drive/c2")
        );
    }
}
