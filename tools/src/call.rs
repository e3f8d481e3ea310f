//! A tool call, its answer, and the [`ToolRouter`] that turns one into the other.

use codex_protocol::config_types::WebSearchMode;
use codex_protocol::dynamic_tools::DynamicToolSpec;
use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::FunctionCallOutputPayload;
use codex_protocol::models::ResponseItem;
use futures::future::BoxFuture;

use crate::context::ToolContext;
use crate::mcp::McpTool;
use crate::model_family::ModelFamily;

/// A tool call the model made.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub call_id: String,
    pub name: String,
    pub payload: ToolPayload,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ToolPayload {
    /// A function tool: JSON arguments as text.
    Function { arguments: String },
    /// A custom (freeform) tool: its raw input.
    Custom { input: String },
}

impl ToolCall {
    /// The call in a response item, if the item is one.
    pub fn from_item(item: &ResponseItem) -> Option<ToolCall> {
        match item {
            ResponseItem::FunctionCall {
                name,
                arguments,
                call_id,
                ..
            } => Some(ToolCall {
                call_id: call_id.clone(),
                name: name.clone(),
                payload: ToolPayload::Function {
                    arguments: arguments.clone(),
                },
            }),
            ResponseItem::CustomToolCall {
                call_id,
                name,
                input,
                ..
            } => Some(ToolCall {
                call_id: call_id.clone(),
                name: name.clone(),
                payload: ToolPayload::Custom {
                    input: input.clone(),
                },
            }),
            _ => None,
        }
    }

    /// The output item answering this call with `text`, of the kind that matches the call.
    pub(crate) fn output(&self, text: String, success: bool) -> ResponseItem {
        self.output_body(FunctionCallOutputBody::String(text), success)
    }

    /// The output item answering this call with `body` (content items reach a custom tool's
    /// output as their text).
    pub(crate) fn output_body(&self, body: FunctionCallOutputBody, success: bool) -> ResponseItem {
        match self.payload {
            ToolPayload::Function { .. } => ResponseItem::FunctionCallOutput {
                call_id: self.call_id.clone(),
                output: FunctionCallOutputPayload {
                    body,
                    success: Some(success),
                },
            },
            ToolPayload::Custom { .. } => ResponseItem::CustomToolCallOutput {
                call_id: self.call_id.clone(),
                output: match body {
                    FunctionCallOutputBody::String(text) => text,
                    FunctionCallOutputBody::List(items) => items
                        .into_iter()
                        .filter_map(|item| match item {
                            codex_protocol::models::FunctionCallOutputContentItem::InputText {
                                text,
                            } => Some(text),
                            codex_protocol::models::FunctionCallOutputContentItem::InputImage {
                                ..
                            } => None,
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                },
            },
        }
    }
}

/// What a thread's settings say about the tools a turn is offered.
#[derive(Debug, Clone, Copy)]
pub struct ToolOffer<'a> {
    /// The `unified_exec` feature: commands through `exec_command`/`write_stdin`.
    pub unified_exec: bool,
    /// The turn's hosted web search: not offered when disabled, else with live or cached
    /// results.
    pub web_search: WebSearchMode,
    /// The `request_rule` feature: the command tools take a `prefix_rule` argument.
    pub request_rule: bool,
    /// The tools the client declared for the thread; it runs them.
    pub dynamic_tools: &'a [DynamicToolSpec],
    /// The tools of the thread's MCP servers for this turn.
    pub mcp_tools: &'a [McpTool],
}

/// The tools of a thread.
pub trait ToolRouter: Send + Sync {
    /// The tool definitions to offer `family`, as the Responses API takes them.
    fn specs(&self, family: &ModelFamily) -> Vec<serde_json::Value>;

    /// The tool definitions for a turn of a thread whose settings make `offer`; routers whose
    /// offer depends on the thread's features (`unified_exec`) override this.
    fn specs_for(&self, family: &ModelFamily, offer: ToolOffer<'_>) -> Vec<serde_json::Value> {
        let _ = offer;
        self.specs(family)
    }

    /// Runs one call and returns the output item to send back to the model. Failures are
    /// outputs too: the model should hear about them. Dropping the future cancels the call
    /// (the turn was interrupted).
    fn dispatch<'a>(
        &'a self,
        call: ToolCall,
        context: &'a ToolContext,
    ) -> BoxFuture<'a, ResponseItem>;
}

/// No tools at all.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoTools;

impl ToolRouter for NoTools {
    fn specs(&self, _family: &ModelFamily) -> Vec<serde_json::Value> {
        Vec::new()
    }

    fn dispatch<'a>(
        &'a self,
        call: ToolCall,
        _context: &'a ToolContext,
    ) -> BoxFuture<'a, ResponseItem> {
        let text = format!("unsupported call: {}", call.name);
        Box::pin(async move { call.output(text, false) })
    }
}
