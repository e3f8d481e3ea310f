//! What a tool call runs with: the turn's settings, its event sink, and the thread's tool
//! state.

use std::path::PathBuf;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use codex_protocol::ThreadId;
use codex_protocol::config_types::ModeKind;
use codex_protocol::dynamic_tools::DynamicToolSpec;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SandboxPolicy;

use crate::events::EventSink;
use crate::mcp::McpServers;
use crate::mcp::McpTool;
use crate::model_family::ModelFamily;
use crate::state::ThreadToolState;

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
    /// The `request_rule` feature: a command's `prefix_rule` is read (and proposed to the
    /// user); without it the argument is ignored.
    pub request_rule: bool,
    /// The tools the client declared for the thread; it runs them.
    pub dynamic_tools: Vec<DynamicToolSpec>,
    /// The turn's model family: how long outputs are cut, how command output is framed.
    pub family: ModelFamily,
    /// The thread's MCP servers.
    pub mcp: Arc<dyn McpServers>,
    /// The servers' tools offered in this turn: a call names one by its qualified name.
    pub mcp_tools: Arc<[McpTool]>,
    /// Where the turn's events go.
    pub events: Arc<dyn EventSink>,
    pub state: Arc<ThreadToolState>,
    /// The turn's own cancellation: an approval answered `abort` stops the whole turn, as an
    /// interrupt does.
    pub turn_cancel: CancellationToken,
}

impl ToolContext {
    /// Sends an event of the running turn (a command's begin and end, say) to the client.
    pub(crate) async fn emit(&self, msg: EventMsg) {
        self.events.emit(&self.turn_id, msg).await;
    }
}
