//! Threads between the wire and the core: ids, stored and loaded threads, `thread/list`
//! queries, the options of start, resume and fork (and their v1 forms), and the refusals of
//! the core and the rollout store.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use codex_core::thread::CodexThread;
use codex_core::thread::Op;
use codex_core::thread::SeeRollout;
use codex_core::thread::StartThread;
use codex_core::thread::ThreadError;
use codex_core::thread::TurnOverrides;
use codex_protocol::ThreadId;
use codex_protocol::config_types::CollaborationMode;
use codex_protocol::config_types::ModeKind;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::config_types::Settings;
use codex_protocol::protocol as core;
use codex_protocol::protocol::EventMsg;
use codex_rollout::GitInfo;
use codex_rollout::ListQuery;
use codex_rollout::RolloutError;
use codex_rollout::RolloutItem;
use codex_rollout::SessionMeta;
use codex_rollout::SortKey;
use codex_rollout::SourceKind;
use codex_rollout::ThreadSummary;
use codex_tools::DynamicTool;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::history;
use super::input;
use super::policy;
use crate::error;

/// Page size of `thread/list` when the client names none.
const DEFAULT_LIST_LIMIT: usize = 25;
/// The largest page `thread/list` and `thread/loaded/list` give.
pub(crate) const MAX_LIST_LIMIT: usize = 100;
/// The provider the reference assumes when config names none.
pub(crate) const DEFAULT_MODEL_PROVIDER: &str = "openai";

/// Parses a thread id from the wire, in the reference's words when it is malformed.
pub(crate) fn parse_thread_id(id: &str) -> Result<ThreadId, JSONRPCErrorError> {
    id.parse::<ThreadId>()
        .map_err(|err| error::invalid_thread_id(err.to_string()))
}

/// The overrides of a `thread/start`, `thread/resume` or `thread/fork` request: they share
/// these fields but not a type.
macro_rules! overrides {
    ($params:expr, $ephemeral:expr) => {
        $crate::wire::thread::Overrides {
            model: $params.model,
            model_provider: $params.model_provider,
            cwd: $params.cwd,
            approval_policy: $params
                .approval_policy
                .map($crate::wire::policy::approval_to_core),
            sandbox: $params
                .sandbox
                .map($crate::wire::policy::sandbox_mode_to_core),
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
        codex_app_server_protocol::v2::$response {
            thread: $wire,
            model: settings.model,
            model_provider: settings.model_provider,
            cwd: settings.cwd.display().to_string(),
            approval_policy: $crate::wire::policy::approval_to_wire(settings.approval_policy),
            sandbox: $crate::wire::policy::sandbox_to_wire(&settings.sandbox_policy),
            reasoning_effort: settings.reasoning_effort,
            journal_id: None,
        }
    }};
}

pub(crate) use loaded_response;
pub(crate) use overrides;

/// The overrides shared by `thread/start`, `thread/resume` and `thread/fork`.
#[derive(Default)]
pub(crate) struct Overrides {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub cwd: Option<String>,
    pub approval_policy: Option<core::AskForApproval>,
    pub sandbox: Option<SandboxMode>,
    pub config: Option<BTreeMap<String, serde_json::Value>>,
    pub base_instructions: Option<String>,
    pub developer_instructions: Option<String>,
    pub ephemeral: bool,
}

impl Overrides {
    /// The core's options: relative paths are taken against `cwd`, the server's working
    /// directory, and `originator` is the client's name.
    pub(crate) fn into_start(
        self,
        cwd: &Path,
        originator: Option<String>,
    ) -> Result<StartThread, JSONRPCErrorError> {
        Ok(StartThread {
            config: config_overrides(self.config.unwrap_or_default())?,
            model: self.model,
            model_provider: self.model_provider,
            cwd: self.cwd.map(|relative| cwd.join(relative)),
            approval_policy: self.approval_policy,
            sandbox: self.sandbox,
            base_instructions: self.base_instructions,
            developer_instructions: self.developer_instructions,
            ephemeral: self.ephemeral,
            dynamic_tools: Vec::new(),
            originator,
            personality: None,
        })
    }
}

/// The `config` overrides of a start, resume or fork, from JSON to the TOML values config
/// layers hold. A `null` has no TOML spelling and is refused, as a wrong type is.
fn config_overrides(
    overrides: BTreeMap<String, serde_json::Value>,
) -> Result<Vec<(String, toml::Value)>, JSONRPCErrorError> {
    codex_utils_json_to_toml::config_overrides(overrides)
        .map_err(|err| error::invalid_request(err.to_string()))
}

/// What a `thread/list` (or v1 `listConversations`) asks the store for; `fallback_provider` is
/// the configured provider, whose threads are listed unless the client names others.
pub(crate) fn list_query(params: v2::ThreadListParams, fallback_provider: &str) -> ListQuery {
    let model_providers = match params.model_providers {
        // Absent: the configured provider's threads; empty: every provider's.
        None => Some(vec![fallback_provider.to_owned()]),
        Some(providers) if providers.is_empty() => None,
        Some(providers) => Some(providers),
    };
    let source_kinds = match params.source_kinds {
        Some(kinds) if !kinds.is_empty() => kinds.into_iter().map(source_kind).collect(),
        // Like the reference, threads of interactive clients unless asked otherwise.
        _ => vec![SourceKind::Cli, SourceKind::Vscode],
    };
    ListQuery {
        cursor: params.cursor,
        limit: params
            .limit
            .map_or(DEFAULT_LIST_LIMIT, |limit| limit as usize)
            .clamp(1, MAX_LIST_LIMIT),
        sort_key: match params.sort_key {
            None | Some(v2::ThreadSortKey::CreatedAt) => SortKey::CreatedAt,
            Some(v2::ThreadSortKey::UpdatedAt) => SortKey::UpdatedAt,
        },
        model_providers,
        source_kinds: Some(source_kinds),
        archived: params.archived.unwrap_or(false),
        cwd: None,
    }
}

/// The tools a `thread/start` client declares and runs itself.
pub(crate) fn dynamic_tools(tools: Vec<v2::DynamicToolSpec>) -> Vec<DynamicTool> {
    tools
        .into_iter()
        .map(|tool| DynamicTool {
            name: tool.name,
            description: tool.description,
            input_schema: tool.input_schema,
        })
        .collect()
}

/// The turn a `turn/start` asks for: its input, its overrides (relative paths taken against
/// `cwd`) and the output schema of this turn only.
pub(crate) fn turn_start(params: v2::TurnStartParams, cwd: &Path) -> Op {
    let overrides = TurnOverrides {
        cwd: params.cwd.map(|relative| cwd.join(relative)),
        approval_policy: params.approval_policy.map(policy::approval_to_core),
        sandbox_policy: params.sandbox_policy.map(policy::sandbox_to_core),
        model: params.model,
        effort: params.effort,
        summary: params.summary,
        collaboration_mode: params.collaboration_mode.map(with_preset_instructions),
        personality: params.personality,
    };
    Op::UserTurn {
        input: input::input_to_core(params.input),
        overrides,
        output_schema: params.output_schema,
    }
}

/// A turn's collaboration mode whose instructions were left out (`null`) gets the built-in
/// preset's for that mode, as the reference fills them in.
fn with_preset_instructions(mut mode: CollaborationMode) -> CollaborationMode {
    if mode.settings.developer_instructions.is_none() {
        mode.settings.developer_instructions = codex_core::collaboration_modes::presets()
            .into_iter()
            .find(|preset| preset.mode == Some(mode.mode))
            .and_then(|preset| preset.developer_instructions.flatten())
            .filter(|text| !text.is_empty());
    }
    mode
}

/// The per-turn overrides of a v1 `sendUserTurn`; its relative `cwd` is taken against `cwd`.
/// Like the reference, such a turn runs in the default mode with the model it names.
pub(crate) fn v1_turn_overrides(params: &v1::SendUserTurnParams, cwd: &Path) -> TurnOverrides {
    TurnOverrides {
        cwd: Some(cwd.join(&params.cwd)),
        approval_policy: Some(params.approval_policy),
        sandbox_policy: Some(params.sandbox_policy.clone()),
        model: Some(params.model.clone()),
        effort: params.effort,
        summary: Some(params.summary),
        collaboration_mode: Some(CollaborationMode {
            mode: ModeKind::Default,
            settings: Settings {
                model: params.model.clone(),
                reasoning_effort: params.effort,
                developer_instructions: None,
            },
        }),
        personality: None,
    }
}

/// The overrides of a v1 `newConversation`, `resumeConversation` or `forkConversation`.
pub(crate) fn v1_overrides(params: Option<v1::NewConversationParams>) -> Overrides {
    let Some(params) = params else {
        return Overrides::default();
    };
    Overrides {
        model: params.model,
        model_provider: params.model_provider,
        cwd: params.cwd,
        approval_policy: params.approval_policy,
        sandbox: params.sandbox,
        config: params.config,
        base_instructions: params.base_instructions,
        developer_instructions: params.developer_instructions,
        ephemeral: false,
    }
}

/// The events a loaded conversation recorded, for `initialMessages`.
pub(crate) fn initial_messages(thread: &CodexThread) -> Option<Vec<EventMsg>> {
    let messages: Vec<EventMsg> = thread.with_recorded_items(|items| {
        items
            .iter()
            .filter_map(|item| match item {
                RolloutItem::EventMsg(msg) => Some(msg.clone()),
                _ => None,
            })
            .collect()
    });
    (!messages.is_empty()).then_some(messages)
}

/// Where a loaded thread is stored; empty for an ephemeral one.
pub(crate) fn rollout_path(thread: &CodexThread) -> String {
    thread
        .rollout_path()
        .map(|path| path.display().to_string())
        .unwrap_or_default()
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

/// A refusal from the rollout store.
pub(crate) fn store_error(err: RolloutError) -> JSONRPCErrorError {
    match err {
        RolloutError::InvalidCursor(cursor) => {
            error::invalid_request(format!("invalid cursor: {cursor}"))
        }
        other => {
            tracing::warn!("thread store failed: {other:#}");
            error::internal_error(format!("thread store failed: {other}"))
        }
    }
}

pub(crate) fn session_source(source: &core::SessionSource) -> v2::SessionSource {
    match source {
        core::SessionSource::Cli => v2::SessionSource::Cli,
        core::SessionSource::Vscode => v2::SessionSource::Vscode,
        core::SessionSource::Exec => v2::SessionSource::Exec,
        // The reference writes `mcp` for threads of the app server and shows it as `appServer`.
        core::SessionSource::Mcp => v2::SessionSource::AppServer,
        core::SessionSource::Subagent(source) => v2::SessionSource::SubAgent(source.clone()),
        core::SessionSource::Unknown => v2::SessionSource::Unknown,
    }
}

pub(crate) fn git_info(git: &codex_rollout::GitInfo) -> v2::GitInfo {
    v2::GitInfo {
        sha: git.commit_hash.clone(),
        branch: git.branch.clone(),
        origin_url: git.repository_url.clone(),
    }
}

fn source_kind(kind: v2::ThreadSourceKind) -> SourceKind {
    match kind {
        v2::ThreadSourceKind::Cli => SourceKind::Cli,
        v2::ThreadSourceKind::Vscode => SourceKind::Vscode,
        v2::ThreadSourceKind::Exec => SourceKind::Exec,
        v2::ThreadSourceKind::AppServer => SourceKind::Mcp,
        // The index keeps one kind for every sub-agent.
        v2::ThreadSourceKind::SubAgent
        | v2::ThreadSourceKind::SubAgentReview
        | v2::ThreadSourceKind::SubAgentCompact
        | v2::ThreadSourceKind::SubAgentThreadSpawn
        | v2::ThreadSourceKind::SubAgentOther => SourceKind::SubAgent,
        v2::ThreadSourceKind::Unknown => SourceKind::Unknown,
    }
}

/// A thread of the store's index, as `thread/list` shows it.
pub(crate) fn thread_from_summary(summary: &ThreadSummary, fallback_provider: &str) -> v2::Thread {
    v2::Thread {
        id: summary.id.to_string(),
        preview: summary.preview.clone(),
        model_provider: summary
            .model_provider
            .clone()
            .unwrap_or_else(|| fallback_provider.to_owned()),
        created_at: summary.created_at,
        updated_at: summary.updated_at,
        path: Some(summary.path.display().to_string()),
        cwd: summary.cwd.display().to_string(),
        cli_version: summary.cli_version.clone(),
        source: session_source(&summary.source),
        git_info: summary.git.as_ref().map(git_info),
        turns: Vec::new(),
    }
}

/// The first user message of a thread is its preview.
pub(crate) fn preview_of(item: &RolloutItem) -> Option<String> {
    match item {
        RolloutItem::EventMsg(EventMsg::UserMessage(message)) => Some(message.message.clone()),
        _ => None,
    }
}

/// A stored thread as its `session_meta` and rollout file describe it.
pub(crate) fn stored_thread(
    meta: &SessionMeta,
    path: &Path,
    preview: String,
    turns: Vec<v2::Turn>,
) -> v2::Thread {
    let created_at = OffsetDateTime::parse(&meta.timestamp, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .unwrap_or_default();
    let updated_at = std::fs::metadata(path)
        .and_then(|meta| meta.modified())
        .ok()
        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
        .map_or(created_at, |since| since.as_secs() as i64);
    v2::Thread {
        id: meta.id.to_string(),
        preview,
        model_provider: meta
            .model_provider
            .clone()
            .unwrap_or_else(|| DEFAULT_MODEL_PROVIDER.to_owned()),
        created_at,
        updated_at,
        path: Some(path.display().to_string()),
        cwd: meta.cwd.display().to_string(),
        cli_version: meta.cli_version.clone(),
        source: session_source(&meta.source),
        git_info: meta.git.as_ref().map(git_info),
        turns,
    }
}

/// A running thread as the wire shows it, its turns rebuilt from what it recorded.
pub(crate) fn loaded_thread(thread: &CodexThread, include_turns: bool) -> v2::Thread {
    let settings = thread.settings();
    let path = thread.rollout_path();
    let active_turn = thread.active_turn_id();
    let (preview, turns) = thread.with_recorded_items(|items| {
        // Like the reference, whose previews come from the rollout: none without one.
        let preview = items
            .iter()
            .filter(|_| path.is_some())
            .find_map(preview_of)
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

/// What a resume or fork showed of the thread's rollout items as the core read them (see
/// `ThreadManager::resume_thread_seeing`): its preview, and its turns or its events when asked
/// for. A thread with a rollout keeps none of them in memory.
#[derive(Debug, Default)]
pub(crate) struct SeenRollout {
    preview: Option<String>,
    turns: Option<history::HistoryBuilder>,
    events: Option<Vec<EventMsg>>,
}

impl SeenRollout {
    /// Collects the preview and the turns (v2).
    pub(crate) fn turns() -> Self {
        SeenRollout {
            turns: Some(history::HistoryBuilder::default()),
            ..SeenRollout::default()
        }
    }

    /// Collects the events, for v1's `initialMessages`.
    pub(crate) fn events() -> Self {
        SeenRollout {
            events: Some(Vec::new()),
            ..SeenRollout::default()
        }
    }

    /// The thread just loaded, as [`reloaded_thread`] describes it, with the preview and the
    /// turns seen (when collected).
    pub(crate) fn into_thread(self, thread: &CodexThread) -> v2::Thread {
        let mut wire = reloaded_thread(thread, false);
        if thread.rollout_path().is_some() {
            wire.preview = self.preview.unwrap_or_default();
        }
        if let Some(turns) = self.turns {
            wire.turns = turns.into_turns(thread.active_turn_id().as_deref());
        }
        wire
    }

    /// v1's `initialMessages`: the events seen, if any.
    pub(crate) fn into_initial_messages(self) -> Option<Vec<EventMsg>> {
        self.events.filter(|events| !events.is_empty())
    }
}

impl SeeRollout for SeenRollout {
    fn wanted_events(&self) -> fn(&[u8]) -> bool {
        if self.events.is_some() {
            |_| true
        } else {
            // The preview is a user message, which the turns are rebuilt from too.
            history::is_turn_event
        }
    }

    fn see(&mut self, item: &RolloutItem) {
        if self.preview.is_none() {
            self.preview = preview_of(item);
        }
        if let Some(turns) = &mut self.turns {
            turns.item(item);
        }
        if let (Some(events), RolloutItem::EventMsg(event)) = (&mut self.events, item) {
            events.push(event.clone());
        }
    }
}

/// A thread just loaded from its rollout (resumed or forked), as the reference describes it:
/// its creation time, provider, version, source and git state are those its rollout's
/// `session_meta` records, and its update time the file's. A rollout not written yet (a new
/// fork's) leaves the loaded description.
pub(crate) fn reloaded_thread(thread: &CodexThread, include_turns: bool) -> v2::Thread {
    let mut wire = loaded_thread(thread, include_turns);
    let Some(path) = thread.rollout_path() else {
        return wire;
    };
    match codex_rollout::read_session_meta(&path) {
        Ok(meta) => {
            let stored = stored_thread(&meta, &path, String::new(), Vec::new());
            wire.model_provider = stored.model_provider;
            wire.created_at = stored.created_at;
            wire.updated_at = stored.updated_at;
            wire.cli_version = stored.cli_version;
            wire.source = stored.source;
            wire.git_info = stored.git_info;
        }
        Err(err) => tracing::debug!("no session_meta for {}: {err}", path.display()),
    }
    wire
}

fn timestamp(seconds: i64) -> Option<String> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
}

fn v1_git_info(git: Option<&GitInfo>) -> Option<v1::ConversationGitInfo> {
    git.map(|git| v1::ConversationGitInfo {
        sha: git.commit_hash.clone(),
        branch: git.branch.clone(),
        origin_url: git.repository_url.clone(),
    })
}

/// A v1 `listConversations` as the `thread/list` it is.
pub(crate) fn v1_list_params(params: v1::ListConversationsParams) -> v2::ThreadListParams {
    v2::ThreadListParams {
        cursor: params.cursor,
        limit: params
            .page_size
            .map(|size| u32::try_from(size).unwrap_or(u32::MAX)),
        sort_key: None,
        model_providers: params.model_providers,
        source_kinds: None,
        archived: None,
    }
}

/// A thread of the store's index, as `listConversations` shows it.
pub(crate) fn v1_summary(
    summary: &ThreadSummary,
    fallback_provider: &str,
) -> v1::ConversationSummary {
    v1::ConversationSummary {
        conversation_id: summary.id,
        path: summary.path.display().to_string(),
        preview: summary.preview.clone(),
        timestamp: timestamp(summary.created_at),
        updated_at: timestamp(summary.updated_at),
        model_provider: summary
            .model_provider
            .clone()
            .unwrap_or_else(|| fallback_provider.to_owned()),
        cwd: summary.cwd.display().to_string(),
        cli_version: summary.cli_version.clone(),
        source: summary.source.clone(),
        git_info: v1_git_info(summary.git.as_ref()),
    }
}

/// A stored thread, read from its rollout at `path`, as `getConversationSummary` shows it.
pub(crate) fn v1_stored_summary(
    meta: SessionMeta,
    thread: v2::Thread,
    path: &Path,
) -> v1::ConversationSummary {
    v1::ConversationSummary {
        conversation_id: meta.id,
        path: path.display().to_string(),
        preview: thread.preview,
        timestamp: Some(meta.timestamp),
        updated_at: timestamp(thread.updated_at),
        model_provider: thread.model_provider,
        cwd: thread.cwd,
        cli_version: meta.cli_version,
        source: meta.source,
        git_info: v1_git_info(meta.git.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    #[test]
    fn malformed_thread_ids_are_refused_in_the_reference_words() {
        let err = parse_thread_id("not-a-uuid").unwrap_err();
        assert_eq!(
            err.message,
            "invalid thread id: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1"
        );
        assert_eq!(err.code, error::INVALID_REQUEST);
    }

    #[test]
    fn config_overrides_keep_nested_tables_and_arrays() {
        let overrides = BTreeMap::from([
            ("model".to_owned(), json!("o3")),
            (
                "sandbox_workspace_write".to_owned(),
                json!({"writable_roots": ["/a", "/b"], "network_access": true}),
            ),
            ("tools.web_search".to_owned(), json!(false)),
            ("retries".to_owned(), json!([1, 2.5])),
        ]);
        let converted = config_overrides(overrides).unwrap();
        let expected: Vec<(String, toml::Value)> = vec![
            ("model".into(), toml::Value::from("o3")),
            ("retries".into(), "[1, 2.5]".parse().unwrap()),
            (
                "sandbox_workspace_write".into(),
                "{ network_access = true, writable_roots = [\"/a\", \"/b\"] }"
                    .parse()
                    .unwrap(),
            ),
            ("tools.web_search".into(), toml::Value::Boolean(false)),
        ];
        assert_eq!(converted, expected);
    }

    #[test]
    fn a_null_config_override_is_refused() {
        let err =
            config_overrides(BTreeMap::from([("model".to_owned(), json!(null))])).unwrap_err();
        assert_eq!(
            err.message,
            "invalid config override `model`: null is not a value"
        );
    }
}
