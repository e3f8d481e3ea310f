//! The seam between the turn loop and the tools: the loop hands every tool call the model makes
//! to a [`ToolRouter`] and sends the outputs back to the model in the next request.
//!
//! [`CodexTools`] is the real router: commands (`exec_command`/`write_stdin`, or `shell_command`
//! /`shell`), `apply_patch`, `update_plan` and the rest, offered per model family. [`NoTools`]
//! offers none and answers any call with an error output, so a model that calls a tool anyway
//! learns that it cannot and can still answer.
//!
//! A thread's tools keep state across calls and turns ([`ThreadToolState`]): pending approvals,
//! what the user approved for the session, the processes that outlive a call, and the baseline
//! of the running turn's diff.

mod apply_patch;
mod approval;
mod client;
mod exec;
mod one_off;
mod plan;
mod router;
mod safe_commands;
mod shell;
mod spec;
mod truncate;
mod unified_exec;

use std::path::PathBuf;
use std::sync::Arc;

use codex_protocol::ThreadId;
use codex_protocol::config_types::ModeKind;
use codex_protocol::models::FunctionCallOutputBody;
use codex_protocol::models::FunctionCallOutputPayload;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::SandboxPolicy;
use futures::future::BoxFuture;

use crate::model_family::ModelFamily;
use crate::thread::Event;
use crate::thread::EventSender;
use crate::thread::ThreadSettings;

pub use client::DynamicTool;
pub use client::DynamicToolOutput;
pub use client::UserInputAnswers;
pub use one_off::DEFAULT_ONE_OFF_TIMEOUT;
pub use one_off::OneOffCommand;
pub use one_off::OneOffError;
pub use one_off::OneOffOutput;
pub use one_off::run_one_off;
pub use router::CodexTools;
pub use router::ToolsConfig;

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
    pub fn output(&self, text: String, success: bool) -> ResponseItem {
        self.output_body(FunctionCallOutputBody::String(text), success)
    }

    /// The output item answering this call with `body` (content items reach a custom tool's
    /// output as their text).
    pub fn output_body(&self, body: FunctionCallOutputBody, success: bool) -> ResponseItem {
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

/// What a tool may know about and do in the turn it runs in.
#[derive(Clone)]
pub struct ToolContext {
    pub thread_id: ThreadId,
    pub turn_id: String,
    pub cwd: PathBuf,
    pub approval_policy: AskForApproval,
    pub sandbox_policy: SandboxPolicy,
    /// The turn's collaboration mode: `request_user_input` works in plan mode only.
    pub collaboration_mode: ModeKind,
    /// The tools the client declared for the thread; it runs them.
    pub dynamic_tools: Vec<DynamicTool>,
    /// The turn's model family: how long outputs are cut, how command output is framed.
    pub(crate) family: crate::model_family::ModelFamily,
    pub(crate) events: EventSender,
    pub(crate) state: Arc<ThreadToolState>,
}

/// What a thread's tools remember between calls. One per thread, dropped with it (which kills
/// the processes it still runs).
#[derive(Default)]
pub struct ThreadToolState {
    pub(crate) approvals: approval::Approvals,
    pub(crate) processes: unified_exec::Processes,
    pub(crate) diff: apply_patch::TurnDiffTracker,
    pub(crate) client: client::ClientCalls,
    /// Input a tool adds to the conversation (an image it was asked to look at), sent after
    /// the tool outputs with the next model request.
    pub(crate) attached: std::sync::Mutex<Vec<codex_protocol::user_input::UserInput>>,
}

impl ThreadToolState {
    /// Takes the input tools attached since the last model request.
    pub(crate) fn take_attached(&self) -> Vec<codex_protocol::user_input::UserInput> {
        std::mem::take(&mut *codex_utils_lock::lock(&self.attached))
    }

    /// Delivers the client's decision on approval request `id`. Returns whether a request was
    /// waiting for it.
    pub(crate) fn resolve_approval(&self, id: &str, decision: ReviewDecision) -> bool {
        self.approvals.resolve(id, decision)
    }

    /// Delivers the client's answer to dynamic tool call `id`; whether a call was waiting.
    pub(crate) fn resolve_dynamic_tool(&self, id: &str, output: DynamicToolOutput) -> bool {
        self.client.resolve_dynamic(id, output)
    }

    /// Delivers the user's answers (`None`: none came) to `request_user_input` call `id`.
    pub(crate) fn resolve_user_input(&self, id: &str, answers: Option<UserInputAnswers>) -> bool {
        self.client.resolve_user_input(id, answers)
    }
}

impl ToolContext {
    /// Sends an event of the running turn (a command's begin and end, say) to the client.
    pub async fn emit(&self, msg: EventMsg) {
        self.events
            .send(Event {
                id: self.turn_id.clone(),
                msg,
            })
            .await;
    }
}

/// The tools of a thread.
pub trait ToolRouter: Send + Sync {
    /// The tool definitions to offer `family`, as the Responses API takes them.
    fn specs(&self, family: &ModelFamily) -> Vec<serde_json::Value>;

    /// The tool definitions for a turn of a thread with `settings`; routers whose offer depends
    /// on the thread's features (`unified_exec`) override this.
    fn specs_for(&self, family: &ModelFamily, settings: &ThreadSettings) -> Vec<serde_json::Value> {
        let _ = settings;
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
