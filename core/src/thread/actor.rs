//! A loaded thread as an actor: [`CodexThread`] queues [`Op`]s, and one task per thread handles
//! them in order, starting turns (`crate::turn`) and answering the tools' waiting requests.

use std::path::PathBuf;
use std::sync::Arc;

use codex_protocol::ThreadId;
use codex_protocol::config_types::CollaborationMode;
use codex_protocol::config_types::Personality;
use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::config_types::ReasoningSummary;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::protocol::ReviewRequest;
use codex_protocol::protocol::SandboxPolicy;
use codex_protocol::protocol::ThreadRolledBackEvent;
use codex_protocol::user_input::UserInput;
use codex_rollout::RolloutItem;
use codex_tools::model_family::ModelFamily;
use tokio::sync::mpsc;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use crate::history;
use crate::session::ActiveTurn;
use crate::session::Session;
use crate::settings::ThreadSettings;
use crate::turn::TaskKind;
use crate::turn::new_id;

/// What a client asks of a thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Starts a turn with this input; while a turn runs, the input joins it instead (as a
    /// steer does).
    UserTurn {
        input: Vec<UserInput>,
        overrides: TurnOverrides,
        /// The JSON Schema the turn's final answer must follow; for this turn only.
        output_schema: Option<serde_json::Value>,
    },
    /// Adds input to the running turn; with `expected_turn_id`, only to that turn.
    Steer {
        input: Vec<UserInput>,
        expected_turn_id: Option<String>,
    },
    /// Stops the running turn at once.
    Interrupt,
    /// Replaces the history with a summary the model writes.
    Compact,
    /// Reviews the changes `request` names, as a turn of its own (a running turn stops first).
    Review { request: ReviewRequest },
    /// Drops the last `num_turns` turns from the history.
    Rollback { num_turns: u32 },
    /// Ends the thread; its event stream closes.
    Shutdown,
    /// The client's answer to `ExecApprovalRequest` `id` (its call id).
    ExecApproval {
        id: String,
        decision: ReviewDecision,
    },
    /// The client's answer to `ApplyPatchApprovalRequest` `id` (its call id).
    PatchApproval {
        id: String,
        decision: ReviewDecision,
    },
    /// The client's answer to `DynamicToolCallRequest` `id` (its call id).
    DynamicToolResponse {
        id: String,
        output: codex_tools::DynamicToolOutput,
    },
    /// The user's answers to `RequestUserInput` `id` (its call id); `None` when none came.
    UserInputAnswer {
        id: String,
        answers: Option<codex_tools::UserInputAnswers>,
    },
}

/// Settings a turn may change; they stay for the turns after it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TurnOverrides {
    pub cwd: Option<PathBuf>,
    pub approval_policy: Option<AskForApproval>,
    pub sandbox_policy: Option<SandboxPolicy>,
    pub model: Option<String>,
    pub effort: Option<ReasoningEffort>,
    pub summary: Option<ReasoningSummary>,
    /// The collaboration mode with its settings: its model and effort win over the two
    /// fields above, and its instructions are the mode's.
    pub collaboration_mode: Option<CollaborationMode>,
    pub personality: Option<Personality>,
}

/// Why an op or a thread operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ThreadError {
    #[error("no active turn to steer")]
    NoActiveTurn,
    #[error("expected active turn id {expected} but found {active}")]
    TurnMismatch { expected: String, active: String },
    #[error("a turn is running")]
    Busy,
    #[error("input must not be empty")]
    EmptyInput,
    #[error("{0}")]
    InvalidDynamicTools(String),
    #[error("numTurns must be >= 1")]
    InvalidRollback,
    #[error("thread not loaded: {0}")]
    NotLoaded(ThreadId),
    #[error("thread already loaded: {0}")]
    AlreadyLoaded(ThreadId),
    #[error("no rollout found for thread id {0}")]
    NoRollout(ThreadId),
    #[error("thread is shut down")]
    Closed,
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot create the model client: {0}")]
    ModelClient(String),
    #[error(transparent)]
    Rollout(#[from] codex_rollout::RolloutError),
}

struct Submission {
    id: String,
    op: Op,
    reply: oneshot::Sender<Result<String, ThreadError>>,
}

/// A loaded thread. Cheap to share (`Arc`); dropping every handle does not stop it: submit
/// [`Op::Shutdown`] (or unload it from the [`crate::thread::ThreadManager`]).
pub struct CodexThread {
    session: Arc<Session>,
    ops: mpsc::Sender<Submission>,
}

impl std::fmt::Debug for CodexThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodexThread")
            .field("id", &self.session.id)
            .finish_non_exhaustive()
    }
}

impl CodexThread {
    pub(crate) fn spawn(session: Session) -> Arc<CodexThread> {
        let session = Arc::new(session);
        let (ops, rx) = mpsc::channel(64);
        tokio::spawn(run_actor(session.clone(), rx));
        Arc::new(CodexThread { session, ops })
    }

    pub fn id(&self) -> ThreadId {
        self.session.id
    }

    /// Submits an op and waits until it is accepted. Returns the id of the turn concerned: the
    /// new turn for [`Op::UserTurn`], [`Op::Compact`] and [`Op::Review`], the running one for [`Op::Steer`]
    /// and [`Op::Interrupt`] (which return once the turn has stopped), empty otherwise.
    pub async fn submit(&self, op: Op) -> Result<String, ThreadError> {
        self.submit_with_id(new_id(), op).await
    }

    /// [`CodexThread::submit`] with the id a new turn gets chosen by the caller (the MCP server
    /// names a call's turn after the call's request id).
    pub async fn submit_with_id(&self, id: String, op: Op) -> Result<String, ThreadError> {
        let (reply, answer) = oneshot::channel();
        let submission = Submission { id, op, reply };
        self.ops
            .send(submission)
            .await
            .map_err(|_| ThreadError::Closed)?;
        answer.await.map_err(|_| ThreadError::Closed)?
    }

    /// Kills the processes the thread's commands left running in the background
    /// (`exec_command` sessions that outlived their call). A turn that is running goes on.
    pub fn clean_background_terminals(&self) {
        self.session.tool_state.close_background_processes();
    }

    /// Replaces the thread's MCP servers with `servers` when its next turn starts.
    pub fn queue_mcp_reload(&self, servers: crate::McpServerSet) {
        self.session.mcp.queue_reload(servers);
    }

    /// The thread's current settings.
    pub fn settings(&self) -> ThreadSettings {
        self.session.state().settings.clone()
    }

    /// The rollout file; `None` for an ephemeral thread.
    pub fn rollout_path(&self) -> Option<PathBuf> {
        self.session
            .output
            .recorder()
            .map(|recorder| recorder.path().clone())
    }

    /// The rollout items recorded so far (after the `session_meta` line) that the thread keeps
    /// in memory: all of them for an ephemeral thread, none for a thread with a rollout (read
    /// that, after [`CodexThread::flush`]).
    pub fn recorded_items(&self) -> Vec<RolloutItem> {
        self.session.output.recorded().clone()
    }

    /// Runs `read` on the rollout items kept in memory (see [`Self::recorded_items`]) without
    /// copying them. The thread's own work waits meanwhile, so `read` should be brief and must
    /// not call back into the thread.
    pub fn with_recorded_items<R>(&self, read: impl FnOnce(&[RolloutItem]) -> R) -> R {
        read(&self.session.output.recorded())
    }

    /// The history the next model request would carry, read back from the rollout where it
    /// stays there (a resumed thread's tool items).
    pub fn history(&self) -> Result<Vec<ResponseItem>, ThreadError> {
        let history = self.session.state().history.clone();
        history::materialize(&history).map_err(ThreadError::Rollout)
    }

    /// The id of the running turn, if any.
    pub fn active_turn_id(&self) -> Option<String> {
        self.session
            .state()
            .active
            .as_ref()
            .map(|active| active.id.clone())
    }

    /// Waits until everything recorded so far is on disk (written and fsynced).
    pub async fn flush(&self) {
        self.session.flush().await;
    }
}

async fn run_actor(session: Arc<Session>, mut ops: mpsc::Receiver<Submission>) {
    while let Some(Submission { id, op, reply }) = ops.recv().await {
        let shutdown = matches!(op, Op::Shutdown);
        let result = handle_op(&session, id, op).await;
        let _ = reply.send(result);
        if shutdown {
            break;
        }
    }
    session.flush().await;
}

async fn handle_op(session: &Arc<Session>, id: String, op: Op) -> Result<String, ThreadError> {
    match op {
        Op::UserTurn {
            input,
            overrides,
            output_schema,
        } => {
            if input.is_empty() {
                return Err(ThreadError::EmptyInput);
            }
            if let Some(active) = steer(session, input.clone()) {
                return Ok(active);
            }
            apply_overrides(session, overrides);
            start_task(
                session,
                id.clone(),
                TaskKind::Regular {
                    input,
                    output_schema,
                },
            );
            Ok(id)
        }
        Op::Steer {
            input,
            expected_turn_id,
        } => {
            if input.is_empty() {
                return Err(ThreadError::EmptyInput);
            }
            let state = session.state();
            let active = state.active.as_ref().ok_or(ThreadError::NoActiveTurn)?;
            if let Some(expected) = expected_turn_id
                && expected != active.id
            {
                return Err(ThreadError::TurnMismatch {
                    expected,
                    active: active.id.clone(),
                });
            }
            drop(state);
            steer(session, input).ok_or(ThreadError::NoActiveTurn)
        }
        Op::Interrupt => interrupt(session).await.ok_or(ThreadError::NoActiveTurn),
        Op::Compact => {
            if session.state().active.is_some() {
                return Err(ThreadError::Busy);
            }
            start_task(session, id.clone(), TaskKind::Compact);
            Ok(id)
        }
        Op::Review { request } => {
            // As in the reference, a review replaces whatever turn was running.
            interrupt(session).await;
            start_task(session, id.clone(), TaskKind::Review(request));
            Ok(id)
        }
        Op::Rollback { num_turns } => {
            if num_turns == 0 {
                return Err(ThreadError::InvalidRollback);
            }
            if session.state().active.is_some() {
                return Err(ThreadError::Busy);
            }
            history::rollback(&mut session.state().history, num_turns);
            crate::turn::report_context_usage(session, id.clone()).await;
            session
                .emit(
                    &id,
                    EventMsg::ThreadRolledBack(ThreadRolledBackEvent { num_turns }),
                )
                .await;
            session.flush().await;
            Ok(String::new())
        }
        Op::ExecApproval { id, decision } | Op::PatchApproval { id, decision } => {
            // A late answer (the turn was interrupted meanwhile) is not an error.
            if !session.tool_state.resolve_approval(&id, decision) {
                tracing::debug!("no pending approval {id}");
            }
            Ok(String::new())
        }
        Op::DynamicToolResponse { id, output } => {
            if !session.tool_state.resolve_dynamic_tool(&id, output) {
                tracing::debug!("no pending dynamic tool call {id}");
            }
            Ok(String::new())
        }
        Op::UserInputAnswer { id, answers } => {
            if !session.tool_state.resolve_user_input(&id, answers) {
                tracing::debug!("no pending request_user_input {id}");
            }
            Ok(String::new())
        }
        Op::Shutdown => {
            interrupt(session).await;
            session.mcp.shutdown();
            session.flush().await;
            Ok(String::new())
        }
    }
}

/// Adds input to the running turn; returns its id, or `None` when no turn runs.
fn steer(session: &Session, input: Vec<UserInput>) -> Option<String> {
    let mut state = session.state();
    let active = state.active.as_mut()?;
    active.pending_input.extend(input);
    Some(active.id.clone())
}

/// Cancels the running turn and waits for it to wind down (it sends `TurnAborted`).
async fn interrupt(session: &Session) -> Option<String> {
    let (id, task) = {
        let mut state = session.state();
        let active = state.active.as_mut()?;
        active.cancel.cancel();
        (active.id.clone(), active.task.take())
    };
    if let Some(task) = task
        && let Err(err) = task.await
    {
        tracing::error!("the interrupted turn failed: {err}");
    }
    Some(id)
}

fn apply_overrides(session: &Session, overrides: TurnOverrides) {
    let TurnOverrides {
        cwd,
        approval_policy,
        sandbox_policy,
        model,
        effort,
        summary,
        collaboration_mode,
        personality,
    } = overrides;
    let mut guard = session.state();
    let state = &mut *guard;
    let before = state.settings.clone();
    let settings = &mut state.settings;
    if let Some(cwd) = cwd {
        settings.cwd = cwd;
    }
    if let Some(approval_policy) = approval_policy {
        settings.approval_policy = approval_policy;
    }
    if let Some(sandbox_policy) = sandbox_policy {
        settings.sandbox_policy = sandbox_policy;
    }
    if summary.is_some() {
        settings.reasoning_summary = summary;
    }
    match collaboration_mode {
        // A mode comes with its own model, effort and instructions, as in the reference.
        Some(mode) => {
            settings.collaboration_mode = mode.mode;
            settings.model = mode.settings.model;
            settings.reasoning_effort = mode.settings.reasoning_effort;
            settings.collaboration_instructions = mode.settings.developer_instructions;
        }
        None => {
            if let Some(model) = model {
                settings.model = model;
            }
            if effort.is_some() {
                settings.reasoning_effort = effort;
            }
        }
    }
    if personality.is_some() && settings.personality_feature {
        settings.personality = personality;
    }
    let previous_model = std::mem::replace(&mut state.previous_model, settings.model.clone());
    let updates = settings_updates(&before, settings, &previous_model);
    drop(guard);
    if !updates.is_empty() {
        session.record_items(updates);
    }
}

/// What the model is told before a turn whose settings changed, in the reference's order: a
/// new working directory (environment context), new permissions, a new collaboration mode, a
/// new model's instructions, a new personality.
fn settings_updates(
    before: &ThreadSettings,
    after: &ThreadSettings,
    previous_model: &str,
) -> Vec<ResponseItem> {
    use crate::instructions;
    let mut updates = Vec::new();
    if after.cwd != before.cwd {
        updates.push(instructions::environment_context_message(
            &after.cwd,
            &instructions::user_shell(),
        ));
    }
    if (&after.sandbox_policy, after.approval_policy)
        != (&before.sandbox_policy, before.approval_policy)
    {
        updates.push(instructions::permissions_message(
            &after.sandbox_policy,
            after.approval_policy,
        ));
    }
    let mode = |settings: &ThreadSettings| {
        (
            settings.collaboration_mode,
            settings.model.clone(),
            settings.reasoning_effort,
            settings.collaboration_instructions.clone(),
        )
    };
    // A mode without instructions says nothing: the last mode's words stay in the history.
    if mode(after) != mode(before)
        && let Some(text) = after
            .collaboration_instructions
            .as_deref()
            .filter(|text| !text.is_empty())
    {
        updates.push(instructions::collaboration_mode_message(text));
    }
    let family = ModelFamily::find(&after.model);
    if after.model != previous_model {
        let text = instructions::base_instructions(&family, after.personality);
        updates.push(instructions::model_switch_message(&text));
    } else if after.personality_feature
        && after.personality != before.personality
        && let Some(section) = instructions::personality_text(&family, after.personality)
    {
        updates.push(instructions::personality_message(section));
    }
    updates
}

fn start_task(session: &Arc<Session>, turn_id: String, kind: TaskKind) {
    let cancel = CancellationToken::new();
    let mut state = session.state();
    state.active = Some(ActiveTurn {
        id: turn_id.clone(),
        cancel: cancel.clone(),
        pending_input: Vec::new(),
        task: None,
    });
    let task = tokio::spawn(crate::turn::run_task(
        session.clone(),
        turn_id,
        kind,
        cancel,
    ));
    if let Some(active) = state.active.as_mut() {
        active.task = Some(task);
    }
}
