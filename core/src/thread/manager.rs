//! [`ThreadManager`]: starts, resumes and forks threads, and holds the loaded ones by id.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use codex_config::ConfigService;
use codex_config::ConfigToml;
use codex_protocol::ThreadId;
use codex_protocol::config_types::Personality;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::dynamic_tools::DynamicToolSpec;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SandboxPolicy;
use codex_protocol::protocol::SessionSource;
use codex_rollout::BaseInstructions;
use codex_rollout::LineTypes;
use codex_rollout::RolloutError;
use codex_rollout::RolloutItem;
use codex_rollout::RolloutItems;
use codex_rollout::RolloutStore;
use codex_rollout::ScannedLine;
use codex_rollout::SessionMeta;
use codex_rollout::Take;
use codex_rollout::format_timestamp;
use codex_tools::DynamicTool;
use codex_tools::ToolOffer;
use codex_tools::ToolRouter;
use codex_tools::model_family::ModelFamily;
use codex_utils_absolute_path::AbsolutePathBuf;
use time::OffsetDateTime;

use super::actor::CodexThread;
use super::actor::Op;
use super::actor::ThreadError;
use crate::git_info::collect_git_info;
use crate::history;
use crate::history::HistoryItem;
use crate::instructions;
use crate::mcp::McpRuntime;
use crate::session::Carried;
use crate::session::Session;
use crate::session::output::EventStream;
use crate::session::output::ThreadOutput;
use crate::session::recorder::Recorder;
use crate::settings::ThreadSettings;
use crate::web_search::WebSearchSettings;
use codex_login::AuthManager;
use codex_model_client::auth::RequestCredentials;
use codex_model_client::client::model_client;
use codex_model_client::model::ModelClient;
use codex_model_client::presets::builtin_presets;
use codex_model_client::provider::resolve_provider;

const DEFAULT_PROVIDER: &str = "openai";

/// Makes the model client of a thread from its config and settings. The app server passes one
/// that builds the real clients; tests pass one that returns a scripted fake.
pub trait ModelClientFactory: Send + Sync {
    fn create(
        &self,
        config: &ConfigToml,
        settings: &ThreadSettings,
    ) -> Result<Arc<dyn ModelClient>, String>;
}

impl<F> ModelClientFactory for F
where
    F: Fn(&ConfigToml, &ThreadSettings) -> Result<Arc<dyn ModelClient>, String> + Send + Sync,
{
    fn create(
        &self,
        config: &ConfigToml,
        settings: &ThreadSettings,
    ) -> Result<Arc<dyn ModelClient>, String> {
        self(config, settings)
    }
}

/// The model clients a server runs threads with: each thread's configured provider, with the
/// account's credentials as `auth` holds them at each request.
pub fn configured_model_clients(auth: Arc<AuthManager>) -> Arc<dyn ModelClientFactory> {
    Arc::new(
        move |config: &ConfigToml,
              settings: &ThreadSettings|
              -> Result<Arc<dyn ModelClient>, String> {
            let mut config = config.clone();
            config.model_provider = Some(settings.model_provider.clone());
            let provider = resolve_provider(&config).map_err(|err| err.to_string())?;
            let credentials =
                RequestCredentials::resolve(&provider, &auth).map_err(|err| err.to_string())?;
            model_client(provider, credentials).map_err(|err| err.to_string())
        },
    )
}

/// What a [`ThreadManager`] needs.
pub struct ThreadManagerOptions {
    pub codex_home: PathBuf,
    /// The rollouts of `codex_home`, opened by the caller, which may read them without a
    /// manager (listing stored threads needs no agent).
    pub store: RolloutStore,
    pub config: ConfigService,
    pub models: Arc<dyn ModelClientFactory>,
    pub tools: Arc<dyn ToolRouter>,
    /// Written to `session_meta`: who started the thread (the client's name).
    pub originator: String,
    pub cli_version: String,
    pub source: SessionSource,
    /// What the threads' MCP servers share.
    pub mcp: McpRuntime,
}

/// The options of `thread/start` (and of resume and fork, which take the same overrides).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartThread {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub cwd: Option<PathBuf>,
    pub approval_policy: Option<AskForApproval>,
    pub sandbox: Option<SandboxMode>,
    /// Dotted `key = value` config overrides, on top of the session flags.
    pub config: Vec<(String, toml::Value)>,
    pub base_instructions: Option<String>,
    pub developer_instructions: Option<String>,
    /// Keep nothing on disk.
    pub ephemeral: bool,
    /// Tools the client declares and runs itself.
    pub dynamic_tools: Vec<DynamicTool>,
    /// Who starts the thread (the client's name), for `session_meta`; the manager's own
    /// originator when `None`.
    pub originator: Option<String>,
    /// The personality asked for at start, over the config's.
    pub personality: Option<Personality>,
}

/// A thread just loaded, with its event stream (the only one there is).
#[derive(Debug)]
pub struct NewThread {
    pub thread: Arc<CodexThread>,
    pub events: EventStream,
}

/// The loaded threads of one `$CODEX_HOME`.
pub struct ThreadManager {
    codex_home: PathBuf,
    config: ConfigService,
    store: RolloutStore,
    models: Arc<dyn ModelClientFactory>,
    tools: Arc<dyn ToolRouter>,
    originator: String,
    cli_version: String,
    source: SessionSource,
    mcp: McpRuntime,
    threads: Mutex<HashMap<ThreadId, Arc<CodexThread>>>,
}

/// How a thread's history begins.
enum Origin {
    New,
    Resumed {
        /// What the model is sent, rebuilt from the rollout.
        history: Vec<HistoryItem>,
        /// The rollout's items, for an ephemeral continuation only (which has no rollout to
        /// read them from).
        recorded: Vec<RolloutItem>,
        carried: Box<Carried>,
        inherited_tools: Vec<DynamicToolSpec>,
    },
    Forked {
        source: ThreadId,
        items: Vec<RolloutItem>,
        inherited_tools: Vec<DynamicToolSpec>,
    },
}

impl Origin {
    /// The client tools the thread had before (resumed) or its source had (forked).
    fn inherited_tools(&self) -> &[DynamicToolSpec] {
        match self {
            Origin::New => &[],
            Origin::Resumed {
                inherited_tools, ..
            }
            | Origin::Forked {
                inherited_tools, ..
            } => inherited_tools,
        }
    }
}

/// Refuses client tools whose names are empty, repeated, or those of built-in tools: the model
/// could not tell them apart, and the model API refuses duplicate names.
fn check_dynamic_tools(tools: &[DynamicToolSpec], builtin: &[String]) -> Result<(), ThreadError> {
    for (index, tool) in tools.iter().enumerate() {
        let problem = if tool.name.trim().is_empty() {
            Some("a dynamic tool needs a name".to_owned())
        } else if builtin.contains(&tool.name) {
            Some(format!(
                "dynamic tool name {} is already the name of a built-in tool",
                tool.name
            ))
        } else if tools[..index].iter().any(|other| other.name == tool.name) {
            Some(format!("dynamic tool name {} is declared twice", tool.name))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(ThreadError::InvalidDynamicTools(problem));
        }
    }
    Ok(())
}

impl ThreadManager {
    pub fn new(options: ThreadManagerOptions) -> ThreadManager {
        // Without them the agent still works, just without the bundled skills.
        if let Err(err) = codex_skills::install_system_skills(&options.codex_home) {
            tracing::warn!(
                "cannot install the system skills in {}: {err}",
                options.codex_home.display()
            );
        }
        ThreadManager {
            codex_home: options.codex_home,
            config: options.config,
            store: options.store,
            models: options.models,
            tools: options.tools,
            originator: options.originator,
            cli_version: options.cli_version,
            source: options.source,
            mcp: options.mcp,
            threads: Mutex::new(HashMap::new()),
        }
    }

    fn threads(&self) -> std::sync::MutexGuard<'_, HashMap<ThreadId, Arc<CodexThread>>> {
        codex_utils_lock::lock(&self.threads)
    }

    /// Starts a new thread. Its git state is gathered in the background and never delays it.
    pub async fn start_thread(&self, params: StartThread) -> Result<NewThread, ThreadError> {
        self.load(ThreadId::new(), params, Origin::New).await
    }

    /// Loads a thread from its rollout and continues it.
    pub async fn resume_thread(
        &self,
        id: ThreadId,
        params: StartThread,
    ) -> Result<NewThread, ThreadError> {
        let (new, ()) = self.resume_thread_seeing(id, params, ()).await?;
        Ok(new)
    }

    /// Like [`ThreadManager::resume_thread`], showing `seer` rollout items as the one pass over
    /// the rollout reads them (what a caller rebuilds the thread's turns from): the events
    /// whose `type` [`SeeRollout::wanted_events`] accepts, and maybe others, but never the
    /// `session_meta` nor the model's items. The events nobody needs are passed over unparsed.
    /// The seer comes back with the thread.
    pub async fn resume_thread_seeing<S: SeeRollout>(
        &self,
        id: ThreadId,
        params: StartThread,
        seer: S,
    ) -> Result<(NewThread, S), ThreadError> {
        if self.threads().contains_key(&id) {
            return Err(ThreadError::AlreadyLoaded(id));
        }
        let path = self.store.find(id).map_err(|err| no_rollout(id, err))?;
        let keep_all = params.ephemeral;
        // Reading a long rollout takes a while: on the blocking pool, it holds up no other
        // request's work.
        let read = tokio::task::spawn_blocking(move || read_for_resume(id, &path, keep_all, seer))
            .await
            .unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()));
        let (read, seer) = read?;
        let mut params = params;
        if params.base_instructions.is_none() {
            params.base_instructions = read.base_instructions;
        }
        let new = self
            .load(
                id,
                params,
                Origin::Resumed {
                    history: read.history,
                    recorded: read.recorded,
                    carried: read.carried,
                    inherited_tools: read.inherited_tools,
                },
            )
            .await?;
        Ok((new, seer))
    }

    /// Starts a new thread with a copy of another's history (loaded or on disk).
    pub async fn fork_thread(
        &self,
        source: ThreadId,
        params: StartThread,
    ) -> Result<NewThread, ThreadError> {
        self.fork_thread_seeing(source, params, &mut |_| {}).await
    }

    /// Like [`ThreadManager::fork_thread`], showing `see` every copied item but the model's
    /// items (what a caller rebuilds the new thread's turns from).
    pub async fn fork_thread_seeing(
        &self,
        source: ThreadId,
        params: StartThread,
        see: &mut (dyn FnMut(&RolloutItem) + Send),
    ) -> Result<NewThread, ThreadError> {
        let loaded = self.threads().get(&source).cloned();
        // A loaded thread with a rollout keeps only part of it in memory (see
        // `CodexThread::recorded_items`): its copy is read from the rollout, once flushed.
        let in_memory = match &loaded {
            Some(thread) => {
                thread.flush().await;
                thread
                    .rollout_path()
                    .is_none()
                    .then(|| (thread.recorded_items(), thread.settings().dynamic_tools))
            }
            None => None,
        };
        let (items, inherited_tools) = match in_memory {
            Some(found) => found,
            None => {
                let rollout = self
                    .store
                    .read(source)
                    .map_err(|err| no_rollout(source, err))?;
                let tools = rollout.meta.dynamic_tools.unwrap_or_default();
                (
                    without_meta(rollout.lines.into_iter().map(|line| line.item)),
                    tools,
                )
            }
        };
        items
            .iter()
            .filter(|item| !matches!(item, RolloutItem::ResponseItem(_)))
            .for_each(&mut *see);
        self.load(
            ThreadId::new(),
            params,
            Origin::Forked {
                source,
                items,
                inherited_tools,
            },
        )
        .await
    }

    /// A loaded thread.
    pub fn get(&self, id: ThreadId) -> Result<Arc<CodexThread>, ThreadError> {
        self.threads()
            .get(&id)
            .cloned()
            .ok_or(ThreadError::NotLoaded(id))
    }

    /// The ids of the loaded threads.
    pub fn loaded(&self) -> Vec<ThreadId> {
        self.threads().keys().copied().collect()
    }

    /// Re-reads every loaded thread's config (for its cwd) and queues the MCP servers it names;
    /// each thread switches to them when its next turn starts. A thread whose config cannot be
    /// read keeps its servers.
    pub fn reload_mcp_servers(&self) {
        let threads: Vec<Arc<CodexThread>> = self.threads().values().cloned().collect();
        for thread in threads {
            let cwd = thread.settings().cwd;
            let config = AbsolutePathBuf::from_absolute_path(&cwd)
                .map_err(|err| err.to_string())
                .and_then(|cwd| {
                    self.config
                        .load_for_thread(&cwd, Vec::new())
                        .map_err(|err| err.to_string())
                })
                .and_then(|stack| stack.resolve().map_err(|err| err.to_string()));
            match config {
                Ok(resolved) => {
                    thread.queue_mcp_reload(self.mcp.servers_for(&resolved.config));
                }
                Err(err) => tracing::warn!(
                    "thread {}: keeping its MCP servers, the config cannot be read: {err}",
                    thread.id()
                ),
            }
        }
    }

    /// Shuts a thread down (interrupting its turn) and forgets it.
    pub async fn unload(&self, id: ThreadId) -> Result<(), ThreadError> {
        let thread = self
            .threads()
            .remove(&id)
            .ok_or(ThreadError::NotLoaded(id))?;
        match thread.submit(Op::Shutdown).await {
            Ok(_) | Err(ThreadError::Closed) => Ok(()),
            Err(err) => Err(err),
        }
    }

    async fn load(
        &self,
        id: ThreadId,
        params: StartThread,
        origin: Origin,
    ) -> Result<NewThread, ThreadError> {
        let carried = match &origin {
            Origin::New => Carried::default(),
            Origin::Resumed { carried, .. } => Carried::clone(carried),
            Origin::Forked { items, .. } => {
                let mut carried = Carried::default();
                items.iter().for_each(|item| carried.observe(item));
                carried
            }
        };
        let last_context = carried.last_context.clone();
        let cwd = params
            .cwd
            .clone()
            .or_else(|| last_context.as_ref().map(|context| context.cwd.clone()));
        let cwd = match cwd {
            Some(cwd) => cwd,
            None => std::env::current_dir()
                .map_err(|err| ThreadError::Config(format!("no working directory: {err}")))?,
        };
        let cwd = AbsolutePathBuf::from_absolute_path(&cwd)
            .map_err(|err| ThreadError::Config(format!("invalid cwd {}: {err}", cwd.display())))?;
        let stack = self
            .config
            .load_for_thread(&cwd, params.config.clone())
            .map_err(|err| ThreadError::Config(err.to_string()))?;
        let resolved = stack
            .resolve()
            .map_err(|err| ThreadError::Config(err.to_string()))?;
        let config = resolved.config;
        let (exec_policy, rules_file) = crate::exec_policy::load(&self.codex_home, &stack)
            .map_err(|err| ThreadError::Config(format!("failed to load rules: {err}")))?;
        let mcp_servers = self.mcp.servers_for(&config);

        let model = params
            .model
            .clone()
            .or_else(|| last_context.as_ref().map(|context| context.model.clone()))
            .or_else(|| config.model.clone())
            // The first built-in preset, which `model/list` marks as the default.
            .unwrap_or_else(|| builtin_presets()[0].slug.to_owned());
        let family = ModelFamily::find(&model);
        let approval_policy = params
            .approval_policy
            .or(resolved.approval_policy)
            .or_else(|| last_context.as_ref().map(|context| context.approval_policy))
            .unwrap_or(AskForApproval::OnRequest);
        let sandbox_policy = match params.sandbox.or(resolved.sandbox_mode) {
            Some(mode) => sandbox_policy(mode, &config),
            None => last_context
                .as_ref()
                .map(|context| context.sandbox_policy.clone())
                .unwrap_or_else(|| sandbox_policy(SandboxMode::ReadOnly, &config)),
        };
        let own_instructions = std::fs::read_to_string(self.codex_home.join("AGENTS.md"))
            .ok()
            .or_else(|| config.instructions.clone());
        let user_instructions = instructions::user_instructions(
            own_instructions.as_deref(),
            cwd.as_path(),
            &instructions::project_root_markers(&config),
            config
                .project_doc_max_bytes
                .unwrap_or(instructions::DEFAULT_PROJECT_DOC_MAX_BYTES),
        );
        let skills = crate::skills::skills_for_cwd(&self.codex_home, &config, cwd.as_path(), &[]);
        let user_instructions = instructions::with_skills(
            user_instructions,
            codex_skills::skills_section(skills.enabled()),
        );
        // With the `personality` feature on, a thread is pragmatic unless told otherwise, as in
        // the reference.
        let personality_feature =
            codex_config::features::is_enabled(&config.features, "personality");
        let personality = params
            .personality
            .or(config.personality)
            .or_else(|| personality_feature.then_some(Personality::Pragmatic));
        let base_instructions = match (&params.base_instructions, &config.model_instructions_file) {
            (Some(text), _) => text.clone(),
            (None, Some(file)) => std::fs::read_to_string(file.as_path()).map_err(|err| {
                ThreadError::Config(format!(
                    "cannot read model_instructions_file {}: {err}",
                    file.as_path().display()
                ))
            })?,
            (None, None) => instructions::base_instructions(&family, personality),
        };
        let unified_exec = codex_config::features::is_enabled(&config.features, "unified_exec");
        let mut settings = ThreadSettings {
            model,
            review_model: config.review_model.clone(),
            model_provider: params
                .model_provider
                .clone()
                .or_else(|| config.model_provider.clone())
                .unwrap_or_else(|| DEFAULT_PROVIDER.to_owned()),
            cwd: cwd.to_path_buf(),
            approval_policy,
            sandbox_policy,
            reasoning_effort: config.model_reasoning_effort,
            reasoning_summary: config.model_reasoning_summary,
            verbosity: config.model_verbosity,
            base_instructions,
            developer_instructions: params
                .developer_instructions
                .clone()
                .or_else(|| config.developer_instructions.clone()),
            user_instructions,
            compact_prompt: config.compact_prompt.clone(),
            model_context_window: config.model_context_window,
            unified_exec,
            apps: codex_config::features::is_enabled(&config.features, "apps"),
            ephemeral: params.ephemeral,
            dynamic_tools: Vec::new(),
            collaboration_mode: codex_protocol::config_types::ModeKind::Default,
            collaboration_instructions: None,
            personality,
            personality_feature,
            web_search: WebSearchSettings::from_config(
                &config,
                stack.requirements().web_search_modes(),
            ),
            request_rule: codex_config::features::is_enabled(&config.features, "request_rule"),
        };
        let offer = ToolOffer {
            unified_exec: settings.unified_exec,
            web_search: settings.web_search.mode_for_turn(&settings.sandbox_policy),
            request_rule: settings.request_rule,
            dynamic_tools: &settings.dynamic_tools,
            mcp_tools: &[],
        };
        let builtin: Vec<String> = self
            .tools
            .specs_for(&family, offer)
            .iter()
            .filter_map(|spec| spec.get("name").and_then(|name| name.as_str()))
            .map(str::to_owned)
            .collect();
        settings.dynamic_tools = if params.dynamic_tools.is_empty() {
            // Tools a resumed or forked thread inherits were checked when they were declared,
            // but against the tools of their time: a clash now leaves the built-in in place.
            let mut kept: Vec<DynamicToolSpec> = Vec::new();
            for tool in origin.inherited_tools() {
                if builtin.contains(&tool.name) || kept.iter().any(|other| other.name == tool.name)
                {
                    tracing::warn!(
                        "thread {id}: dropping the client tool {}: the name is taken",
                        tool.name
                    );
                } else {
                    kept.push(tool.clone());
                }
            }
            kept
        } else {
            check_dynamic_tools(&params.dynamic_tools, &builtin)?;
            params.dynamic_tools.clone()
        };
        let model_client = self
            .models
            .create(&config, &settings)
            .map_err(ThreadError::ModelClient)?;

        let recorder = match (&origin, params.ephemeral) {
            (_, true) => None,
            (Origin::Resumed { .. }, false) => Some(Recorder::resume(self.store.resume(id)?)),
            (Origin::New | Origin::Forked { .. }, false) => {
                let start = OffsetDateTime::now_utc();
                let meta = SessionMeta {
                    id,
                    forked_from_id: match &origin {
                        Origin::Forked { source, .. } => Some(*source),
                        _ => None,
                    },
                    timestamp: format_timestamp(start),
                    cwd: settings.cwd.clone(),
                    originator: params
                        .originator
                        .clone()
                        .unwrap_or_else(|| self.originator.clone()),
                    cli_version: self.cli_version.clone(),
                    source: self.source.clone(),
                    model_provider: Some(settings.model_provider.clone()),
                    base_instructions: Some(BaseInstructions {
                        text: settings.base_instructions.clone(),
                    }),
                    dynamic_tools: (!settings.dynamic_tools.is_empty())
                        .then(|| settings.dynamic_tools.clone()),
                    git: None,
                    extra: serde_json::Map::new(),
                };
                let git_cwd = settings.cwd.clone();
                let git = Box::pin(async move { collect_git_info(&git_cwd).await });
                let recorder =
                    Recorder::create(self.store.clone(), &self.codex_home, meta, start, git);
                if let Origin::Forked { items, .. } = &origin {
                    recorder.record(items.clone());
                }
                Some(recorder)
            }
        };
        // The loaded items move into the session: a long rollout is held once, not twice.
        let (recorded, history) = match origin {
            Origin::New => (Vec::new(), Vec::new()),
            Origin::Resumed {
                history, recorded, ..
            } => (recorded, history),
            Origin::Forked { items, .. } => {
                let history = history::rebuild(items.iter());
                (items, history)
            }
        };
        // A resumed or forked thread gets the context again, after its history: the sandbox,
        // the instructions or the skills may have changed since, and the reference does the same.
        let initial_context = initial_context(&settings);
        let (output, stream) = ThreadOutput::new(recorder, recorded);
        let session = Session::new(
            id,
            output,
            model_client,
            self.tools.clone(),
            settings,
            (history, carried),
            (self.mcp.clone(), mcp_servers),
        );
        session.record_items(initial_context);
        session
            .tool_state
            .install_exec_policy(exec_policy, rules_file);
        let thread = CodexThread::spawn(session);
        self.threads().insert(id, thread.clone());
        Ok(NewThread {
            thread,
            events: stream,
        })
    }
}

/// Who sees the rollout items a resume reads (see [`ThreadManager::resume_thread_seeing`]).
pub trait SeeRollout: Send + 'static {
    /// Which events [`SeeRollout::see`] needs, by their `type`: the others may be passed over
    /// unparsed.
    fn wanted_events(&self) -> fn(&[u8]) -> bool;

    fn see(&mut self, item: &RolloutItem);
}

/// Sees nothing: a plain resume.
impl SeeRollout for () {
    fn wanted_events(&self) -> fn(&[u8]) -> bool {
        |_| false
    }

    fn see(&mut self, _: &RolloutItem) {}
}

fn no_rollout(id: ThreadId, err: RolloutError) -> ThreadError {
    match err {
        RolloutError::ThreadNotFound(_) | RolloutError::FileNotFound(_) => {
            ThreadError::NoRollout(id)
        }
        other => ThreadError::Rollout(other),
    }
}

/// What a resume takes from the rollout.
struct ReadForResume {
    history: Vec<HistoryItem>,
    recorded: Vec<RolloutItem>,
    carried: Box<Carried>,
    base_instructions: Option<String>,
    inherited_tools: Vec<DynamicToolSpec>,
}

/// One pass over the rollout: the model's items go into the history as they are read (a
/// compaction drops the ones before it at once), all but messages as spans of the file, read
/// back when a request is built. The other items are not kept: the rollout holds them. An
/// ephemeral continuation (`keep_all`) has no rollout to read anything back from later, so it
/// keeps everything in memory, as recorded.
fn read_for_resume<S: SeeRollout>(
    id: ThreadId,
    path: &std::path::Path,
    keep_all: bool,
    mut seer: S,
) -> Result<(ReadForResume, S), ThreadError> {
    let file = Arc::new(RolloutItems::open(path).map_err(|err| no_rollout(id, err))?);
    let wanted_events = seer.wanted_events();
    let mut rebuilt = history::Rebuilt::default();
    let mut recorded = Vec::new();
    let mut carried = Carried::default();
    // Only the last turn context and the last usage are carried on: the lines are left
    // unparsed (most of what a long rollout's turns would parse) and read back newest first.
    let mut contexts = Vec::new();
    let mut token_counts = Vec::new();
    let take = |types: LineTypes<'_>| {
        if keep_all {
            Take::Parse
        } else {
            take_for_resume(types, wanted_events)
        }
    };
    let scanned = file
        .scan(take, |line| match line {
            ScannedLine::Span(types, span) => match types.line {
                b"turn_context" => contexts.push(span),
                b"event_msg" => token_counts.push(span),
                _ => rebuilt.push(HistoryItem::Stored {
                    file: file.clone(),
                    span,
                }),
            },
            ScannedLine::Parsed(line) => match line.item {
                RolloutItem::SessionMeta(_) => {}
                RolloutItem::ResponseItem(item) => {
                    if keep_all {
                        recorded.push(RolloutItem::ResponseItem(item.clone()));
                    }
                    rebuilt.push(item.into());
                }
                other => {
                    rebuilt.apply(&other);
                    seer.see(&other);
                    // Parsed (a line laid out another way, or usages the seer wanted): newer
                    // than the spans so far.
                    match &other {
                        RolloutItem::TurnContext(_) => contexts.clear(),
                        RolloutItem::EventMsg(EventMsg::TokenCount(count))
                            if count.info.is_some() =>
                        {
                            token_counts.clear();
                        }
                        _ => {}
                    }
                    if keep_all {
                        carried.observe(&other);
                        recorded.push(other);
                    } else {
                        carried.observe_owned(other);
                    }
                }
            },
        })
        .map_err(|err| no_rollout(id, err))?;
    if scanned.skipped > 0 {
        tracing::warn!(
            "resuming {id}: skipped {} unreadable line(s)",
            scanned.skipped
        );
    }
    let read_back = |err| no_rollout(id, err);
    for span in contexts.iter().rev() {
        if let Some(context) = file.read_payload(*span).map_err(read_back)? {
            carried.observe_owned(RolloutItem::TurnContext(context));
            break;
        }
    }
    for span in token_counts.iter().rev() {
        if let Some(EventMsg::TokenCount(count)) = file.read_payload(*span).map_err(read_back)?
            && count.info.is_some()
        {
            carried.observe_owned(RolloutItem::EventMsg(EventMsg::TokenCount(count)));
            break;
        }
    }
    let read = ReadForResume {
        history: rebuilt.into_history(),
        recorded,
        carried: Box::new(carried),
        base_instructions: scanned.meta.base_instructions.map(|base| base.text),
        inherited_tools: scanned.meta.dynamic_tools.unwrap_or_default(),
    };
    Ok((read, seer))
}

/// How a resume reads a line of the rollout: the model's items other than messages as spans
/// of the file, the turn contexts and usages (of which only the last counts) as spans too
/// unless the caller's `wanted_events` include the usages, and only the lines the history and
/// `wanted_events` need, parsed.
fn take_for_resume(types: LineTypes<'_>, wanted_events: fn(&[u8]) -> bool) -> Take {
    match types.line {
        b"response_item" if types.payload.is_some_and(history::stays_in_file) => Take::Span,
        b"turn_context" => Take::Span,
        b"session_meta" | b"response_item" | b"compacted" => Take::Parse,
        b"event_msg" => match types.payload {
            Some(b"token_count") if !wanted_events(b"token_count") => Take::Span,
            Some(b"thread_rolled_back" | b"token_count") => Take::Parse,
            Some(kind) if !wanted_events(kind) => Take::Skip,
            _ => Take::Parse,
        },
        // A line type this build does not know is kept by nothing but an ephemeral copy.
        _ => Take::Skip,
    }
}

fn without_meta(items: impl Iterator<Item = RolloutItem>) -> Vec<RolloutItem> {
    items
        .filter(|item| !matches!(item, RolloutItem::SessionMeta(_)))
        .collect()
}

/// The messages that open a new thread's history: permissions, developer instructions, the
/// personality when the base instructions do not carry it, AGENTS.md, environment.
pub(crate) fn initial_context(settings: &ThreadSettings) -> Vec<ResponseItem> {
    let mut items = vec![instructions::permissions_message(
        &settings.sandbox_policy,
        settings.approval_policy,
    )];
    if let Some(text) = &settings.developer_instructions {
        items.push(instructions::developer_message(text));
    }
    let family = ModelFamily::find(&settings.model);
    if settings.personality_feature
        && let Some(section) = instructions::personality_text(&family, settings.personality)
        && settings.base_instructions
            != instructions::base_instructions(&family, settings.personality)
    {
        items.push(instructions::personality_message(section));
    }
    if let Some(text) = &settings.user_instructions {
        items.push(instructions::user_instructions_message(&settings.cwd, text));
    }
    items.push(instructions::environment_context_message(
        &settings.cwd,
        &instructions::user_shell(),
    ));
    items
}

/// The sandbox policy a sandbox mode means, with the config's `sandbox_workspace_write` table.
pub fn sandbox_policy(mode: SandboxMode, config: &ConfigToml) -> SandboxPolicy {
    match mode {
        SandboxMode::ReadOnly => SandboxPolicy::ReadOnly { access: None },
        SandboxMode::DangerFullAccess => SandboxPolicy::DangerFullAccess,
        SandboxMode::WorkspaceWrite => {
            let table = config.sandbox_workspace_write.clone().unwrap_or_default();
            SandboxPolicy::WorkspaceWrite {
                writable_roots: (!table.writable_roots.is_empty()).then_some(table.writable_roots),
                read_only_access: None,
                network_access: table.network_access,
                exclude_tmpdir_env_var: table.exclude_tmpdir_env_var,
                exclude_slash_tmp: table.exclude_slash_tmp,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// The turn context and usage a resume carries on, read back from spans newest first, are
    /// those a full read observing every line finds: the last that types, and the last usage
    /// with its `info`, whichever way their lines are laid out.
    #[test]
    fn a_resume_carries_the_last_context_and_usage_a_full_read_finds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let context = |model: &str| {
            format!(
                r#""turn_context","payload":{{"cwd":"/w","approval_policy":"never","sandbox_policy":{{"type":"danger-full-access"}},"model":"{model}","summary":"auto"}}}}"#
            )
        };
        let usage = |total: u64| {
            format!(
                r#""event_msg","payload":{{"type":"token_count","info":{{"total_token_usage":{{"input_tokens":{total},"cached_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0,"total_tokens":{total}}},"last_token_usage":{{"input_tokens":1,"cached_input_tokens":0,"output_tokens":0,"reasoning_output_tokens":0,"total_tokens":1}},"model_context_window":1000}},"rate_limits":null}}}}"#
            )
        };
        let head = r#"{"timestamp":"2025-01-01T00:00:00.000Z","type":"#;
        let mut lines: Vec<String> = [
            r#""session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2025-01-01T00:00:00.000Z","cwd":"/w","originator":"t","cli_version":"0.101.0"}}"#.to_owned(),
            context("first"),
            usage(10),
            context("second"),
            usage(20),
            // Neither types: a context without its fields, a usage without its info.
            r#""turn_context","payload":{"model":"third"}}"#.to_owned(),
            r#""event_msg","payload":{"type":"token_count","info":null,"rate_limits":null}}"#.to_owned(),
        ]
        .iter()
        .map(|line| format!("{head}{line}"))
        .collect();
        // Laid out with the payload first, so parsed in the scan: older than what follows.
        lines.insert(
            2,
            r#"{"payload":{"cwd":"/w","approval_policy":"never","sandbox_policy":{"type":"danger-full-access"},"model":"parsed","summary":"auto"},"timestamp":"2025-01-01T00:00:00.000Z","type":"turn_context"}"#.to_owned(),
        );
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();

        let id = ThreadId::new();
        let carried = |keep_all| {
            let (read, ()) = read_for_resume(id, &path, keep_all, ()).unwrap();
            (
                read.carried.last_context.map(|context| context.model),
                format!("{:?}", read.carried.token_info),
            )
        };
        let mut full = Carried::default();
        for line in codex_rollout::read_rollout(&path).unwrap().lines {
            full.observe(&line.item);
        }
        let expected = (
            full.last_context.map(|context| context.model),
            format!("{:?}", full.token_info),
        );
        assert_eq!(expected.0.as_deref(), Some("second"));
        assert!(expected.1.contains("total_tokens: 20"), "{}", expected.1);
        assert_eq!(carried(false), expected);
        assert_eq!(carried(true), expected);
    }
}
