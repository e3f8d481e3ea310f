//! What a tool call runs with: the turn's settings and event sink ([`ToolContext`]), and what
//! the thread's tools remember between calls ([`ThreadToolState`]).

use std::path::PathBuf;
use std::sync::Arc;

use codex_protocol::ThreadId;
use codex_protocol::config_types::ModeKind;
use codex_protocol::dynamic_tools::DynamicToolSpec;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::SandboxPolicy;
use codex_protocol::user_input::UserInput;

use crate::apply_patch::TurnDiffTracker;
use crate::approval::Approvals;
use crate::client::ClientCalls;
use crate::client::DynamicToolOutput;
use crate::client::UserInputAnswers;
use crate::events::EventSink;
use crate::model_family::ModelFamily;
use crate::unified_exec::Processes;

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
    pub dynamic_tools: Vec<DynamicToolSpec>,
    /// The turn's model family: how long outputs are cut, how command output is framed.
    pub family: ModelFamily,
    /// Where the turn's events go.
    pub events: Arc<dyn EventSink>,
    pub state: Arc<ThreadToolState>,
}

/// What a thread's tools remember between calls. One per thread, dropped with it (which kills
/// the processes it still runs).
#[derive(Default)]
pub struct ThreadToolState {
    pub(crate) approvals: Approvals,
    pub(crate) processes: Processes,
    pub(crate) diff: TurnDiffTracker,
    pub(crate) client: ClientCalls,
    /// Input a tool adds to the conversation (an image it was asked to look at), sent after
    /// the tool outputs with the next model request.
    pub(crate) attached: std::sync::Mutex<Vec<UserInput>>,
}

impl ThreadToolState {
    /// Takes the input tools attached since the last model request.
    pub fn take_attached(&self) -> Vec<UserInput> {
        std::mem::take(&mut *codex_utils_lock::lock(&self.attached))
    }

    /// Delivers the client's decision on approval request `id`. Returns whether a request was
    /// waiting for it.
    pub fn resolve_approval(&self, id: &str, decision: ReviewDecision) -> bool {
        self.approvals.resolve(id, decision)
    }

    /// Delivers the client's answer to dynamic tool call `id`; whether a call was waiting.
    pub fn resolve_dynamic_tool(&self, id: &str, output: DynamicToolOutput) -> bool {
        self.client.resolve_dynamic(id, output)
    }

    /// Delivers the user's answers (`None`: none came) to `request_user_input` call `id`.
    pub fn resolve_user_input(&self, id: &str, answers: Option<UserInputAnswers>) -> bool {
        self.client.resolve_user_input(id, answers)
    }
}

impl ToolContext {
    /// Sends an event of the running turn (a command's begin and end, say) to the client.
    pub(crate) async fn emit(&self, msg: EventMsg) {
        self.events.emit(&self.turn_id, msg).await;
    }
}
