//! The tools of the user's MCP servers, and the three resource tools.
//!
//! The tools reach the servers through [`McpServers`], a trait of this crate that the agent
//! implements over its connections (as it implements [`crate::EventSink`]): this crate never
//! sees a connection, a transport or the MCP SDK's types. A thread without servers uses
//! [`NoMcpServers`].
//!
//! The turn loop lists the servers' tools once per turn ([`McpServers::tools`]) and puts them in
//! the offer and the [`crate::ToolContext`]; a call to one of them (`mcp__<server>__<tool>`)
//! goes to its server, announced by `McpToolCallBegin`/`End` events, and its result reaches
//! the model as the reference frames it. `list_mcp_resources`, `list_mcp_resource_templates` and
//! `read_mcp_resource` answer from the same servers and announce themselves the same way.

mod call;
mod resources;
mod schema;

use std::collections::BTreeMap;
use std::time::Instant;

use codex_protocol::mcp::CallToolResult;
use codex_protocol::mcp::Resource;
use codex_protocol::mcp::ResourceTemplate;
use codex_protocol::mcp::Tool;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::McpInvocation;
use codex_protocol::protocol::McpToolCallBeginEvent;
use codex_protocol::protocol::McpToolCallEndEvent;
use futures::future::BoxFuture;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

use crate::context::ToolContext;

pub(crate) use call::call;
pub(crate) use resources::ResourceTool;
pub(crate) use resources::resource_tool;
pub(crate) use schema::tool_spec;

/// A tool one of the thread's MCP servers offers.
#[derive(Debug, Clone, PartialEq)]
pub struct McpTool {
    /// The name the model calls it by: `mcp__<server>__<tool>`, sanitised and shortened as the
    /// connections decided.
    pub qualified_name: String,
    /// The server's name in the config.
    pub server: String,
    /// The tool as its server described it; `tool.name` is the name the server knows.
    pub tool: Tool,
}

/// One page of a server's list, and the cursor of the next page, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// One of the contents of a read resource: text, or binary data in base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ResourceContents {
    Text {
        uri: String,
        #[serde(rename = "mimeType", default, skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        text: String,
        #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
        meta: Option<Value>,
    },
    Blob {
        uri: String,
        #[serde(rename = "mimeType", default, skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        blob: String,
        #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
        meta: Option<Value>,
    },
}

/// A thread's MCP servers, as the tools use them. Errors are the text the model and the
/// client read after the tool's own prefix (`tool call error: `, `resources/list failed: `, …),
/// spelled as the reference spells its error chains: for `call_tool` as anyhow's `{:?}`
/// prints them (``tool call failed for `s/t` `` then `Caused by:` and the causes, one per
/// line), for the resource methods as `{:#}` prints them (the causes joined by `: `). An
/// unknown server is ``unknown MCP server 'NAME'``.
///
/// Dropping a returned future abandons the request: an interrupted turn drops its calls, and
/// the implementation tells the server.
pub trait McpServers: Send + Sync {
    /// The tools of every server, once each has started or failed (up to its startup timeout).
    fn tools(&self) -> BoxFuture<'_, Vec<McpTool>>;

    /// Calls `tool` (the server's name for it) on `server`, within the server's tool timeout.
    fn call_tool<'a>(
        &'a self,
        server: &'a str,
        tool: &'a str,
        arguments: Option<Value>,
    ) -> BoxFuture<'a, Result<CallToolResult, String>>;

    /// One page of `server`'s resources.
    fn list_resources<'a>(
        &'a self,
        server: &'a str,
        cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<Resource>, String>>;

    /// Every resource of every server that answers, all pages, by server; servers that fail
    /// are left out.
    fn list_all_resources(&self) -> BoxFuture<'_, BTreeMap<String, Vec<Resource>>>;

    /// One page of `server`'s resource templates.
    fn list_resource_templates<'a>(
        &'a self,
        server: &'a str,
        cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<ResourceTemplate>, String>>;

    /// Every resource template of every server that answers, by server.
    fn list_all_resource_templates(&self)
    -> BoxFuture<'_, BTreeMap<String, Vec<ResourceTemplate>>>;

    /// The contents of the resource `uri` of `server`.
    fn read_resource<'a>(
        &'a self,
        server: &'a str,
        uri: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ResourceContents>, String>>;
}

/// Runs `work`, the call `invocation` describes, between its `McpToolCallBegin` and
/// `McpToolCallEnd` events; `result` says what the end event reports of `work`'s output.
async fn announced<T>(
    context: &ToolContext,
    call_id: &str,
    invocation: McpInvocation,
    work: impl Future<Output = T>,
    result: impl FnOnce(&T) -> Result<CallToolResult, String>,
) -> T {
    context
        .emit(EventMsg::McpToolCallBegin(McpToolCallBeginEvent {
            call_id: call_id.to_owned(),
            invocation: invocation.clone(),
        }))
        .await;
    let started = Instant::now();
    let output = work.await;
    context
        .emit(EventMsg::McpToolCallEnd(McpToolCallEndEvent {
            call_id: call_id.to_owned(),
            invocation,
            duration: started.elapsed(),
            result: result(&output),
        }))
        .await;
    output
}

/// The servers of a thread that has none: nothing to list, and any server named is unknown.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoMcpServers;

fn unknown_server(server: &str) -> String {
    format!("unknown MCP server '{server}'")
}

impl McpServers for NoMcpServers {
    fn tools(&self) -> BoxFuture<'_, Vec<McpTool>> {
        Box::pin(async { Vec::new() })
    }

    fn call_tool<'a>(
        &'a self,
        server: &'a str,
        _tool: &'a str,
        _arguments: Option<Value>,
    ) -> BoxFuture<'a, Result<CallToolResult, String>> {
        Box::pin(async move { Err(unknown_server(server)) })
    }

    fn list_resources<'a>(
        &'a self,
        server: &'a str,
        _cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<Resource>, String>> {
        Box::pin(async move { Err(unknown_server(server)) })
    }

    fn list_all_resources(&self) -> BoxFuture<'_, BTreeMap<String, Vec<Resource>>> {
        Box::pin(async { BTreeMap::new() })
    }

    fn list_resource_templates<'a>(
        &'a self,
        server: &'a str,
        _cursor: Option<String>,
    ) -> BoxFuture<'a, Result<Page<ResourceTemplate>, String>> {
        Box::pin(async move { Err(unknown_server(server)) })
    }

    fn list_all_resource_templates(
        &self,
    ) -> BoxFuture<'_, BTreeMap<String, Vec<ResourceTemplate>>> {
        Box::pin(async { BTreeMap::new() })
    }

    fn read_resource<'a>(
        &'a self,
        server: &'a str,
        _uri: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ResourceContents>, String>> {
        Box::pin(async move { Err(unknown_server(server)) })
    }
}
