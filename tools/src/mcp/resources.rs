//! `list_mcp_resources`, `list_mcp_resource_templates` and `read_mcp_resource`: the servers'
//! resources, as compact JSON for the model.
//!
//! Each call is announced like a tool call of the server it names (`codex` when it names
//! none), and its answer is a single text block. Without a server, the lists gather every
//! server's entries (all pages, sorted by server); a cursor then has no meaning and is refused.

use std::collections::BTreeMap;

use codex_protocol::mcp::CallToolResult;
use codex_protocol::mcp::Resource;
use codex_protocol::mcp::ResourceTemplate;
use codex_protocol::protocol::McpInvocation;
use serde::Deserialize;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::ResourceContents;
use crate::context::ToolContext;

/// The server named when a list covers every server.
const ALL_SERVERS: &str = "codex";

#[derive(Debug, Default, Deserialize)]
struct ListArgs {
    #[serde(default)]
    server: Option<String>,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReadArgs {
    server: String,
    uri: String,
}

/// Which resource tool runs, with its checked arguments.
enum Request {
    Resources {
        server: Option<String>,
        cursor: Option<String>,
    },
    Templates {
        server: Option<String>,
        cursor: Option<String>,
    },
    Read {
        server: String,
        uri: String,
    },
}

/// One of the three resource tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResourceTool {
    /// `list_mcp_resources`
    ListResources,
    /// `list_mcp_resource_templates`
    ListTemplates,
    /// `read_mcp_resource`
    Read,
}

impl ResourceTool {
    fn name(self) -> &'static str {
        match self {
            ResourceTool::ListResources => "list_mcp_resources",
            ResourceTool::ListTemplates => "list_mcp_resource_templates",
            ResourceTool::Read => "read_mcp_resource",
        }
    }
}

/// Runs `tool` with the model's `arguments` (JSON text) and returns the output for the model
/// and whether it succeeded.
pub(crate) async fn resource_tool(
    context: &ToolContext,
    call_id: &str,
    tool: ResourceTool,
    arguments: &str,
) -> (String, bool) {
    let (request, arguments) = match request(tool, arguments) {
        Ok(parsed) => parsed,
        Err(err) => return (err, false),
    };
    let server = match &request {
        Request::Resources { server, .. } | Request::Templates { server, .. } => {
            server.clone().unwrap_or_else(|| ALL_SERVERS.to_owned())
        }
        Request::Read { server, .. } => server.clone(),
    };
    let invocation = McpInvocation {
        server,
        tool: tool.name().to_owned(),
        arguments,
    };
    let answer = super::announced(
        context,
        call_id,
        invocation,
        answer(context, request),
        |answer| match answer {
            Ok(text) => Ok(CallToolResult {
                content: vec![serde_json::json!({"type": "text", "text": text})],
                structured_content: None,
                is_error: Some(false),
                meta: None,
            }),
            Err(err) => Err(err.clone()),
        },
    )
    .await;
    match answer {
        Ok(text) => (text, true),
        Err(err) => (err, false),
    }
}

/// The request `tool` makes with `arguments`, and the arguments as the events show them (no
/// arguments at all show as `null`).
fn request(tool: ResourceTool, arguments: &str) -> Result<(Request, Option<Value>), String> {
    let value = if arguments.trim().is_empty() {
        None
    } else {
        Some(
            serde_json::from_str::<Value>(arguments)
                .map_err(|err| format!("failed to parse function arguments: {err}"))?,
        )
    };
    let list_args = || match &value {
        Some(value) => parse::<ListArgs>(value),
        None => Ok(ListArgs::default()),
    };
    let request = match tool {
        ResourceTool::ListResources => {
            let args = list_args()?;
            Request::Resources {
                server: non_empty(args.server),
                cursor: non_empty(args.cursor),
            }
        }
        ResourceTool::ListTemplates => {
            let args = list_args()?;
            Request::Templates {
                server: non_empty(args.server),
                cursor: non_empty(args.cursor),
            }
        }
        ResourceTool::Read => {
            let args: ReadArgs = match &value {
                Some(value) => parse(value)?,
                None => return Err("failed to parse function arguments: expected value".to_owned()),
            };
            Request::Read {
                server: required("server", args.server)?,
                uri: required("uri", args.uri)?,
            }
        }
    };
    Ok((request, value))
}

fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    T::deserialize(value).map_err(|err| format!("failed to parse function arguments: {err}"))
}

/// `value` trimmed, or `None` when nothing is left.
fn non_empty(value: Option<String>) -> Option<String> {
    value
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn required(field: &str, value: String) -> Result<String, String> {
    non_empty(Some(value)).ok_or_else(|| format!("{field} must be provided"))
}

/// The JSON text answering `request`, or the error the model reads.
async fn answer(context: &ToolContext, request: Request) -> Result<String, String> {
    let servers = &context.mcp;
    match request {
        Request::Resources {
            server: None,
            cursor: Some(_),
        }
        | Request::Templates {
            server: None,
            cursor: Some(_),
        } => Err("cursor can only be used when a server is specified".to_owned()),
        Request::Resources {
            server: Some(server),
            cursor,
        } => {
            let page = servers.list_resources(&server, cursor).await;
            let page = page.map_err(|err| format!("resources/list failed: {err}"))?;
            let resources = entries(&server, &page.items, ResourceEntry::new);
            list(Some(&server), Resources { resources }, page.next_cursor)
        }
        Request::Templates {
            server: Some(server),
            cursor,
        } => {
            let page = servers.list_resource_templates(&server, cursor).await;
            let page = page.map_err(|err| format!("resources/templates/list failed: {err}"))?;
            let resource_templates = entries(&server, &page.items, TemplateEntry::new);
            list(
                Some(&server),
                Templates { resource_templates },
                page.next_cursor,
            )
        }
        Request::Resources {
            server: None,
            cursor: None,
        } => {
            let all = servers.list_all_resources().await;
            let resources = all_entries(&all, ResourceEntry::new);
            list(None, Resources { resources }, None)
        }
        Request::Templates {
            server: None,
            cursor: None,
        } => {
            let all = servers.list_all_resource_templates().await;
            let resource_templates = all_entries(&all, TemplateEntry::new);
            list(None, Templates { resource_templates }, None)
        }
        Request::Read { server, uri } => {
            let contents = servers.read_resource(&server, &uri).await;
            let contents = contents.map_err(|err| format!("resources/read failed: {err}"))?;
            encode(&ReadResource {
                server: &server,
                uri: &uri,
                contents: &contents,
            })
        }
    }
}

/// `server`'s `items` as entries of a list answer, each naming the server.
fn entries<'a, T, E>(server: &'a str, items: &'a [T], entry: fn(&'a str, &'a T) -> E) -> Vec<E> {
    items.iter().map(|item| entry(server, item)).collect()
}

/// Every server's entries, servers in name order.
fn all_entries<'a, T, E>(
    by_server: &'a BTreeMap<String, Vec<T>>,
    entry: fn(&'a str, &'a T) -> E,
) -> Vec<E> {
    by_server
        .iter()
        .flat_map(|(server, items)| entries(server, items, entry))
        .collect()
}

/// A list answer: the server listed (none for all of them), the entries, and the cursor of the
/// next page.
fn list<E: Serialize>(
    server: Option<&str>,
    entries: E,
    next_cursor: Option<String>,
) -> Result<String, String> {
    #[derive(Serialize)]
    struct List<'a, E> {
        #[serde(skip_serializing_if = "Option::is_none")]
        server: Option<&'a str>,
        #[serde(flatten)]
        entries: E,
        #[serde(rename = "nextCursor", skip_serializing_if = "Option::is_none")]
        next_cursor: Option<String>,
    }
    encode(&List {
        server,
        entries,
        next_cursor,
    })
}

fn encode<T: Serialize>(payload: &T) -> Result<String, String> {
    serde_json::to_string(payload)
        .map_err(|err| format!("failed to serialize MCP resource response: {err}"))
}

#[derive(Serialize)]
struct Resources<'a> {
    resources: Vec<ResourceEntry<'a>>,
}

#[derive(Serialize)]
struct Templates<'a> {
    #[serde(rename = "resourceTemplates")]
    resource_templates: Vec<TemplateEntry<'a>>,
}

#[derive(Serialize)]
struct ReadResource<'a> {
    server: &'a str,
    uri: &'a str,
    contents: &'a [ResourceContents],
}

/// A resource with its server, its fields in the order the MCP schema lists them (the order
/// the reference writes).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceEntry<'a> {
    server: &'a str,
    uri: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icons: Option<&'a [Value]>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    meta: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<&'a Value>,
}

impl<'a> ResourceEntry<'a> {
    fn new(server: &'a str, resource: &'a Resource) -> Self {
        Self {
            server,
            uri: &resource.uri,
            name: &resource.name,
            title: resource.title.as_deref(),
            description: resource.description.as_deref(),
            mime_type: resource.mime_type.as_deref(),
            size: resource.size,
            icons: resource.icons.as_deref(),
            meta: resource.meta.as_ref(),
            annotations: resource.annotations.as_ref(),
        }
    }
}

/// A resource template with its server, in the reference's field order.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TemplateEntry<'a> {
    server: &'a str,
    uri_template: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mime_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotations: Option<&'a Value>,
}

impl<'a> TemplateEntry<'a> {
    fn new(server: &'a str, template: &'a ResourceTemplate) -> Self {
        Self {
            server,
            uri_template: &template.uri_template,
            name: &template.name,
            title: template.title.as_deref(),
            description: template.description.as_deref(),
            mime_type: template.mime_type.as_deref(),
            annotations: template.annotations.as_ref(),
        }
    }
}
