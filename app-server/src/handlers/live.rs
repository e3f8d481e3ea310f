//! The methods on running threads: `thread/start`, `thread/resume`, `thread/fork`,
//! `thread/rollback`, `thread/compact/start`, `turn/start`, `turn/steer` and `turn/interrupt`.
//!
//! Threads run in the core's `ThreadManager`; each loaded thread has an event pump (`pump`)
//! that turns its events into notifications for the connections subscribed to it. A request
//! that starts something holds the thread's gate until it has answered, so its answer reaches
//! the client before the notifications about what it started.

use std::sync::Arc;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_core::thread::CodexThread;
use codex_core::thread::NewThread;
use codex_core::thread::Op;
use codex_core::thread::StartThread;
use codex_core::thread::ThreadError;
use codex_core::thread::TurnOverrides;
use codex_protocol::ThreadId;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::protocol as core;
use codex_protocol::protocol::EventMsg;
use codex_protocol::user_input::ByteRange;
use codex_protocol::user_input::TextElement;
use codex_protocol::user_input::UserInput;
use codex_rollout::RolloutItem;
use codex_tools::DynamicTool;

use super::thread::parse_thread_id;
use crate::dispatch::RequestContext;
use crate::error;
use crate::event_map::history;
use crate::pump;
use crate::state::ServerState;
use codex_utils_lock::lock;

/// The overrides of a `thread/start`, `thread/resume` or `thread/fork` request: they share
/// these fields but not a type.
macro_rules! overrides {
    ($params:expr, $ephemeral:expr) => {
        Overrides {
            model: $params.model,
            model_provider: $params.model_provider,
            cwd: $params.cwd,
            approval_policy: $params.approval_policy.map(approval_to_core),
            sandbox: $params.sandbox.map(sandbox_mode_to_core),
            config: $params.config,
            base_instructions: $params.base_instructions,
            developer_instructions: $params.developer_instructions,
            ephemeral: $ephemeral,
        }
    };
}

/// The answer of `thread/start`, `thread/resume` or `thread/fork`: the thread and the settings
/// it runs with.
macro_rules! loaded_response {
    ($response:ident, $thread:expr, $wire:expr) => {{
        let settings = $thread.settings();
        v2::$response {
            thread: $wire,
            model: settings.model,
            model_provider: settings.model_provider,
            cwd: settings.cwd.display().to_string(),
            approval_policy: approval_to_wire(settings.approval_policy),
            sandbox: sandbox_to_wire(&settings.sandbox_policy),
            reasoning_effort: settings.reasoning_effort,
        }
    }};
}

/// The overrides shared by `thread/start`, `thread/resume` and `thread/fork`.
#[derive(Default)]
pub(crate) struct Overrides {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub cwd: Option<String>,
    pub approval_policy: Option<core::AskForApproval>,
    pub sandbox: Option<SandboxMode>,
    pub config: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    pub base_instructions: Option<String>,
    pub developer_instructions: Option<String>,
    pub ephemeral: bool,
}

impl Overrides {
    /// The core's options; relative paths are taken against the server's working directory.
    pub(crate) fn into_start(
        self,
        context: &RequestContext,
    ) -> Result<StartThread, JSONRPCErrorError> {
        let state = &context.state;
        let mut config = Vec::new();
        for (key, value) in self.config.unwrap_or_default() {
            let value = toml::Value::try_from(&value).map_err(|err| {
                error::invalid_request(format!("invalid config override `{key}`: {err}"))
            })?;
            config.push((key, value));
        }
        Ok(StartThread {
            model: self.model,
            model_provider: self.model_provider,
            cwd: self.cwd.map(|cwd| state.config.cwd.as_path().join(cwd)),
            approval_policy: self.approval_policy,
            sandbox: self.sandbox,
            config,
            base_instructions: self.base_instructions,
            developer_instructions: self.developer_instructions,
            ephemeral: self.ephemeral,
            dynamic_tools: Vec::new(),
            originator: context
                .connection
                .session()
                .map(|session| session.client_name.clone()),
        })
    }
}

fn sandbox_mode_to_core(mode: v2::SandboxMode) -> SandboxMode {
    match mode {
        v2::SandboxMode::ReadOnly => SandboxMode::ReadOnly,
        v2::SandboxMode::WorkspaceWrite => SandboxMode::WorkspaceWrite,
        v2::SandboxMode::DangerFullAccess => SandboxMode::DangerFullAccess,
    }
}

/// A refusal from the core, in the reference's words where it has some.
pub(crate) fn thread_error(err: ThreadError) -> JSONRPCErrorError {
    match err {
        ThreadError::NotLoaded(id) => error::thread_not_found(id),
        ThreadError::NoRollout(id) => error::no_rollout(id),
        ThreadError::Rollout(err) => {
            tracing::warn!("thread store failed: {err:#}");
            error::internal_error(format!("thread store failed: {err}"))
        }
        ThreadError::InvalidDynamicTools(problem) => error::invalid_params(problem),
        other @ (ThreadError::NoActiveTurn
        | ThreadError::TurnMismatch { .. }
        | ThreadError::Busy
        | ThreadError::EmptyInput
        | ThreadError::InvalidRollback
        | ThreadError::AlreadyLoaded(_)
        | ThreadError::Closed
        | ThreadError::Config(_)
        | ThreadError::ModelClient(_)) => error::invalid_request(other.to_string()),
    }
}

/// A loaded thread by its wire id: `thread not found: <id>` when it is not running.
pub(crate) async fn loaded(
    state: &ServerState,
    thread_id: &str,
) -> Result<(ThreadId, Arc<CodexThread>), JSONRPCErrorError> {
    let id = parse_thread_id(thread_id)?;
    let manager = state.threads.manager().await?;
    let thread = manager.get(id).map_err(thread_error)?;
    Ok((id, thread))
}

/// A loaded thread that keeps nothing on disk.
pub(crate) async fn ephemeral(state: &ServerState, id: ThreadId) -> Option<Arc<CodexThread>> {
    let manager = state.threads.manager().await.ok()?;
    manager
        .get(id)
        .ok()
        .filter(|thread| thread.rollout_path().is_none())
}

/// A running thread as the wire shows it, its turns rebuilt from what it recorded.
pub(crate) fn wire_thread(thread: &CodexThread, include_turns: bool) -> v2::Thread {
    let settings = thread.settings();
    let path = thread.rollout_path();
    let active_turn = thread.active_turn_id();
    let (preview, turns) = thread.with_recorded_items(|items| {
        // Like the reference, whose previews come from the rollout: none without one.
        let preview = items
            .iter()
            .filter(|_| path.is_some())
            .find_map(|item| match item {
                RolloutItem::EventMsg(EventMsg::UserMessage(message)) => {
                    Some(message.message.clone())
                }
                _ => None,
            })
            .unwrap_or_default();
        let turns = if include_turns {
            history::rebuild_turns(items.iter(), active_turn.as_deref())
        } else {
            Vec::new()
        };
        (preview, turns)
    });
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64);
    v2::Thread {
        id: thread.id().to_string(),
        preview,
        model_provider: settings.model_provider.clone(),
        created_at: now,
        updated_at: now,
        path: path.map(|path| path.display().to_string()),
        cwd: settings.cwd.display().to_string(),
        cli_version: env!("CARGO_PKG_VERSION").to_owned(),
        source: v2::SessionSource::Vscode,
        git_info: None,
        turns,
    }
}

/// Makes a thread just loaded live in the server: its requester follows it and its events
/// start flowing.
fn go_live(context: &RequestContext, new: NewThread) -> Arc<CodexThread> {
    context
        .state
        .registry
        .subscribe(context.connection.id, new.thread.id());
    run(&context.state, new)
}

/// Starts a thread's event pump, for whoever follows it (v2) or listens to it (v1).
pub(crate) fn run(state: &Arc<ServerState>, new: NewThread) -> Arc<CodexThread> {
    let id = new.thread.id();
    let live = state.threads.add_live(id);
    pump::spawn(Arc::clone(state), id, live, new.events);
    new.thread
}

pub(crate) async fn start(context: RequestContext, mut params: v2::ThreadStartParams) {
    let dynamic_tools = params.dynamic_tools.take().unwrap_or_default();
    let overrides = overrides!(params, params.ephemeral.unwrap_or(false));
    let started = async {
        let mut start = overrides.into_start(&context)?;
        start.dynamic_tools = dynamic_tools
            .into_iter()
            .map(|tool| DynamicTool {
                name: tool.name,
                description: tool.description,
                input_schema: tool.input_schema,
            })
            .collect();
        let manager = context.state.threads.manager().await?;
        manager.start_thread(start).await.map_err(thread_error)
    }
    .await;
    let new = match started {
        Ok(new) => new,
        Err(err) => return context.responder.fail(err).await,
    };
    let thread = go_live(&context, new);
    let wire = wire_thread(&thread, false);
    let response = loaded_response!(ThreadStartResponse, thread, wire.clone());
    answer_then_announce(context, response, wire).await;
}

/// Answers a request that loaded a new thread, then tells the thread's followers it started.
async fn answer_then_announce(
    context: RequestContext,
    response: impl serde::Serialize,
    thread: v2::Thread,
) {
    let state = Arc::clone(&context.state);
    let id = parse_thread_id(&thread.id);
    context.responder.respond(Ok(response)).await;
    if let Ok(id) = id {
        state.registry.notify_thread(
            id,
            &ServerNotification::ThreadStarted(v2::ThreadStartedNotification { thread }),
        );
    }
}

pub(crate) async fn resume(context: RequestContext, params: v2::ThreadResumeParams) {
    let id = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let overrides = overrides!(params, false);
    let resumed = async {
        let start = overrides.into_start(&context)?;
        let manager = context.state.threads.manager().await?;
        match manager.resume_thread(id, start).await {
            Ok(new) => Ok(go_live(&context, new)),
            // Already running here: the client joins it as it is.
            Err(ThreadError::AlreadyLoaded(_)) => {
                let thread = manager.get(id).map_err(thread_error)?;
                context.state.registry.subscribe(context.connection.id, id);
                Ok(thread)
            }
            Err(err) => Err(thread_error(err)),
        }
    }
    .await;
    let thread = match resumed {
        Ok(thread) => thread,
        Err(err) => return context.responder.fail(err).await,
    };
    context
        .responder
        .respond(Ok(loaded_response!(
            ThreadResumeResponse,
            thread,
            wire_thread(&thread, true)
        )))
        .await;
}

pub(crate) async fn fork(context: RequestContext, params: v2::ThreadForkParams) {
    let source = match parse_thread_id(&params.thread_id) {
        Ok(id) => id,
        Err(err) => return context.responder.fail(err).await,
    };
    let overrides = overrides!(params, false);
    let forked = async {
        let start = overrides.into_start(&context)?;
        let manager = context.state.threads.manager().await?;
        manager
            .fork_thread(source, start)
            .await
            .map_err(thread_error)
    }
    .await;
    let new = match forked {
        Ok(new) => new,
        Err(err) => return context.responder.fail(err).await,
    };
    let thread = go_live(&context, new);
    let wire = wire_thread(&thread, true);
    let response = loaded_response!(ThreadForkResponse, thread, wire.clone());
    answer_then_announce(context, response, wire).await;
}

pub(crate) async fn rollback(context: RequestContext, params: v2::ThreadRollbackParams) {
    let result = async {
        let (_, thread) = loaded(&context.state, &params.thread_id).await?;
        thread
            .submit(Op::Rollback {
                num_turns: params.num_turns,
            })
            .await
            .map_err(thread_error)?;
        Ok(v2::ThreadRollbackResponse {
            thread: wire_thread(&thread, true),
        })
    }
    .await;
    context.responder.respond(result).await;
}

pub(crate) async fn compact_start(context: RequestContext, params: v2::ThreadCompactStartParams) {
    let (id, thread) = match loaded(&context.state, &params.thread_id).await {
        Ok(found) => found,
        Err(err) => return context.responder.fail(err).await,
    };
    let live = context.state.threads.live(id);
    let mut gate = match &live {
        Some(live) => Some(live.gate.lock().await),
        None => None,
    };
    match thread.submit(Op::Compact).await {
        Ok(turn_id) => {
            if let Some(gate) = gate.as_mut() {
                gate.compactions.insert(turn_id);
            }
            context
                .responder
                .respond(Ok(v2::ThreadCompactStartResponse {}))
                .await;
        }
        Err(err) => context.responder.fail(thread_error(err)).await,
    }
    drop(gate);
}

pub(crate) async fn turn_start(context: RequestContext, params: v2::TurnStartParams) {
    let (id, thread) = match loaded(&context.state, &params.thread_id).await {
        Ok(found) => found,
        Err(err) => return context.responder.fail(err).await,
    };
    let sandbox_policy = params.sandbox_policy.map(sandbox_to_core);
    let overrides = TurnOverrides {
        cwd: params
            .cwd
            .map(|cwd| context.state.config.cwd.as_path().join(cwd)),
        approval_policy: params.approval_policy.map(approval_to_core),
        sandbox_policy,
        model: params.model,
        effort: params.effort,
        summary: params.summary,
        collaboration_mode: params.collaboration_mode.map(|mode| mode.mode),
    };
    let input = params.input.into_iter().map(input_to_core).collect();
    // A client that starts a turn hears about it.
    context.state.registry.subscribe(context.connection.id, id);
    let live = context.state.threads.live(id);
    if let Some(live) = &live {
        *lock(&live.turn_owner) = Some(context.connection.id);
    }
    let gate = match &live {
        Some(live) => Some(live.gate.lock().await),
        None => None,
    };
    let result = thread
        .submit(Op::UserTurn { input, overrides })
        .await
        .map(|turn_id| v2::TurnStartResponse {
            turn: v2::Turn {
                id: turn_id,
                items: Vec::new(),
                status: v2::TurnStatus::InProgress,
                error: None,
            },
        })
        .map_err(thread_error);
    context.responder.respond(result).await;
    drop(gate);
}

pub(crate) async fn turn_steer(context: RequestContext, params: v2::TurnSteerParams) {
    let result = async {
        let (_, thread) = loaded(&context.state, &params.thread_id).await?;
        let input = params.input.into_iter().map(input_to_core).collect();
        thread
            .submit(Op::Steer {
                input,
                expected_turn_id: Some(params.expected_turn_id),
            })
            .await
            .map(|turn_id| v2::TurnSteerResponse { turn_id })
            .map_err(thread_error)
    }
    .await;
    context.responder.respond(result).await;
}

pub(crate) async fn turn_interrupt(context: RequestContext, params: v2::TurnInterruptParams) {
    let (id, thread) = match loaded(&context.state, &params.thread_id).await {
        Ok(found) => found,
        Err(err) => return context.responder.fail(err).await,
    };
    // The reference never answers when no turn runs; every request deserves an answer.
    match thread.active_turn_id() {
        None => {
            return context
                .responder
                .fail(error::invalid_request("no active turn to interrupt"))
                .await;
        }
        Some(active) if active != params.turn_id => {
            return context
                .responder
                .fail(error::invalid_request(format!(
                    "expected active turn id {} but found {active}",
                    params.turn_id
                )))
                .await;
        }
        Some(_) => {}
    }
    // Held until the answer is out, so `turn/completed` (interrupted) follows it.
    let live = context.state.threads.live(id);
    let gate = match &live {
        Some(live) => Some(live.gate.lock().await),
        None => None,
    };
    let result = match thread.submit(Op::Interrupt).await {
        Ok(_) => Ok(v2::TurnInterruptResponse {}),
        // It ended on its own meanwhile: what the client asked for is true.
        Err(ThreadError::NoActiveTurn) => Ok(v2::TurnInterruptResponse {}),
        Err(err) => Err(thread_error(err)),
    };
    context.responder.respond(result).await;
    drop(gate);
}

fn approval_to_core(policy: v2::AskForApproval) -> core::AskForApproval {
    match policy {
        v2::AskForApproval::Untrusted => core::AskForApproval::Untrusted,
        v2::AskForApproval::OnFailure => core::AskForApproval::OnFailure,
        v2::AskForApproval::OnRequest => core::AskForApproval::OnRequest,
        v2::AskForApproval::Never => core::AskForApproval::Never,
    }
}

fn approval_to_wire(policy: core::AskForApproval) -> v2::AskForApproval {
    match policy {
        core::AskForApproval::Untrusted => v2::AskForApproval::Untrusted,
        core::AskForApproval::OnFailure => v2::AskForApproval::OnFailure,
        core::AskForApproval::OnRequest => v2::AskForApproval::OnRequest,
        core::AskForApproval::Never => v2::AskForApproval::Never,
    }
}

fn network_to_wire(access: core::NetworkAccess) -> v2::NetworkAccess {
    match access {
        core::NetworkAccess::Restricted => v2::NetworkAccess::Restricted,
        core::NetworkAccess::Enabled => v2::NetworkAccess::Enabled,
    }
}

fn network_to_core(access: v2::NetworkAccess) -> core::NetworkAccess {
    match access {
        v2::NetworkAccess::Restricted => core::NetworkAccess::Restricted,
        v2::NetworkAccess::Enabled => core::NetworkAccess::Enabled,
    }
}

fn read_access_to_wire(access: Option<&core::ReadOnlyAccess>) -> v2::ReadOnlyAccess {
    match access {
        None | Some(core::ReadOnlyAccess::FullAccess) => v2::ReadOnlyAccess::FullAccess,
        Some(core::ReadOnlyAccess::Restricted {
            include_platform_defaults,
            readable_roots,
        }) => v2::ReadOnlyAccess::Restricted {
            include_platform_defaults: *include_platform_defaults,
            readable_roots: readable_roots.clone().unwrap_or_default(),
        },
    }
}

fn read_access_to_core(access: v2::ReadOnlyAccess) -> core::ReadOnlyAccess {
    match access {
        v2::ReadOnlyAccess::FullAccess => core::ReadOnlyAccess::FullAccess,
        v2::ReadOnlyAccess::Restricted {
            include_platform_defaults,
            readable_roots,
        } => core::ReadOnlyAccess::Restricted {
            include_platform_defaults,
            readable_roots: (!readable_roots.is_empty()).then_some(readable_roots),
        },
    }
}

fn sandbox_to_wire(policy: &core::SandboxPolicy) -> v2::SandboxPolicy {
    match policy {
        core::SandboxPolicy::DangerFullAccess => v2::SandboxPolicy::DangerFullAccess,
        core::SandboxPolicy::ReadOnly { access } => v2::SandboxPolicy::ReadOnly {
            access: read_access_to_wire(access.as_ref()),
        },
        core::SandboxPolicy::ExternalSandbox { network_access } => {
            v2::SandboxPolicy::ExternalSandbox {
                network_access: network_to_wire(*network_access),
            }
        }
        core::SandboxPolicy::WorkspaceWrite {
            writable_roots,
            read_only_access,
            network_access,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
        } => v2::SandboxPolicy::WorkspaceWrite {
            writable_roots: writable_roots.clone().unwrap_or_default(),
            read_only_access: read_access_to_wire(read_only_access.as_ref()),
            network_access: *network_access,
            exclude_tmpdir_env_var: *exclude_tmpdir_env_var,
            exclude_slash_tmp: *exclude_slash_tmp,
        },
    }
}

pub(crate) fn sandbox_to_core(policy: v2::SandboxPolicy) -> core::SandboxPolicy {
    match policy {
        v2::SandboxPolicy::DangerFullAccess => core::SandboxPolicy::DangerFullAccess,
        v2::SandboxPolicy::ReadOnly { access } => core::SandboxPolicy::ReadOnly {
            access: Some(read_access_to_core(access)),
        },
        v2::SandboxPolicy::ExternalSandbox { network_access } => {
            core::SandboxPolicy::ExternalSandbox {
                network_access: network_to_core(network_access),
            }
        }
        v2::SandboxPolicy::WorkspaceWrite {
            writable_roots,
            read_only_access,
            network_access,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
        } => core::SandboxPolicy::WorkspaceWrite {
            writable_roots: (!writable_roots.is_empty()).then_some(writable_roots),
            read_only_access: Some(read_access_to_core(read_only_access)),
            network_access,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
        },
    }
}

/// A text element of either wire version (their types differ only in name) in core's terms.
pub(crate) fn text_element_to_core(
    start: usize,
    end: usize,
    placeholder: Option<String>,
) -> TextElement {
    TextElement {
        byte_range: ByteRange { start, end },
        placeholder,
    }
}

fn input_to_core(input: v2::UserInput) -> UserInput {
    match input {
        v2::UserInput::Text {
            text,
            text_elements,
        } => UserInput::Text {
            text,
            text_elements: text_elements
                .into_iter()
                .map(|element| {
                    text_element_to_core(
                        element.byte_range.start,
                        element.byte_range.end,
                        element.placeholder,
                    )
                })
                .collect(),
        },
        v2::UserInput::Image { url } => UserInput::Image { image_url: url },
        v2::UserInput::LocalImage { path } => UserInput::LocalImage { path },
        v2::UserInput::Skill { name, path } => UserInput::Skill { name, path },
        v2::UserInput::Mention { name, path } => UserInput::Mention { name, path },
    }
}
