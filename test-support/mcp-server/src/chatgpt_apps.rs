//! `--chatgpt-apps FILE`: the parts of the ChatGPT backend that `app/list` reads, on the HTTP
//! server's own origin under `/backend-api`: the apps directory, paged, and the workspace's
//! apps; the MCP endpoint is also served as the `codex_apps` gateway (`/backend-api/wham/apps`),
//! offering one tool per connector tagged with it in `_meta`.
//!
//! The file is JSON: `{"directory": [[app, …], …], "workspace": [app, …] | null,
//! "connectors": [{"id": …, "name": …}, …]}`. Each inner `directory` list is one page; the
//! page after page N is asked for with `token=N+1`. Without `workspace` that path answers 500.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Json;
use axum::Router;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse as _;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::Value;
use serde_json::json;

/// Where the backend's routes live on the test server's origin.
pub const BACKEND_PREFIX: &str = "/backend-api";
/// The gateway's path under the prefix, where the reference looks for it.
pub const GATEWAY_PATH: &str = "/backend-api/wham/apps";

#[derive(Debug, Clone, Deserialize)]
pub struct ChatgptApps {
    #[serde(default)]
    directory: Vec<Vec<Value>>,
    #[serde(default)]
    workspace: Option<Vec<Value>>,
    #[serde(default)]
    pub connectors: Vec<Connector>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Connector {
    pub id: String,
    pub name: String,
}

impl Connector {
    /// The name of the connector's one tool.
    pub fn tool_name(&self) -> String {
        format!("{}_search", self.id)
    }
}

impl ChatgptApps {
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
    }

    /// The directory routes.
    pub fn routes(self) -> Router {
        Router::new()
            .route(
                &format!("{BACKEND_PREFIX}/connectors/directory/list"),
                get(directory_page),
            )
            .route(
                &format!("{BACKEND_PREFIX}/connectors/directory/list_workspace"),
                get(workspace),
            )
            .with_state(Arc::new(self))
    }
}

#[derive(Deserialize)]
struct PageQuery {
    tier: Option<String>,
    token: Option<String>,
}

async fn directory_page(
    State(apps): State<Arc<ChatgptApps>>,
    Query(query): Query<PageQuery>,
) -> Response {
    if query.tier.as_deref() != Some("categorized") {
        return (StatusCode::BAD_REQUEST, "tier must be categorized").into_response();
    }
    let index = match query.token.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(index)) => index,
        Some(Err(_)) => return (StatusCode::BAD_REQUEST, "bad token").into_response(),
    };
    let page = apps.directory.get(index).cloned().unwrap_or_default();
    let next_token = (index + 1 < apps.directory.len()).then(|| (index + 1).to_string());
    Json(json!({"apps": page, "next_token": next_token})).into_response()
}

async fn workspace(State(apps): State<Arc<ChatgptApps>>) -> Response {
    match &apps.workspace {
        Some(list) => Json(json!({"apps": list})).into_response(),
        None => (StatusCode::INTERNAL_SERVER_ERROR, "no workspace apps").into_response(),
    }
}
