//! The typed view of `config.toml`: the keys the agent reads, with the types it reads them as.
//!
//! A file is checked against [`ConfigToml`] when it is loaded and before a write is saved, so a
//! value of the wrong type is reported with serde's words and the key's path. Keys not listed
//! here are not errors: they stay in the raw TOML that the layers carry, and `config/read`
//! shows them.
//!
//! Paths are [`AbsolutePathBuf`]s, resolved against the folder of the file that set them; see
//! [`ConfigToml::path_values`] for how the resolved paths find their way back into a layer.

use std::collections::BTreeMap;
use std::path::Path;

use codex_protocol::config_types::AuthCredentialsStoreMode;
use codex_protocol::config_types::ForcedLoginMethod;
use codex_protocol::config_types::Personality;
use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::config_types::ReasoningSummary;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::config_types::Verbosity;
use codex_protocol::config_types::WebSearchMode;
use codex_protocol::protocol::AskForApproval;
use codex_utils_absolute_path::AbsolutePathBuf;
use codex_utils_absolute_path::AbsolutePathBufGuard;
use serde::Deserialize;
use serde::Serialize;

/// Everything the agent reads from a config file. Every field is optional: a layer sets some
/// keys, and the merge of all layers decides.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ConfigToml {
    pub model: Option<String>,
    pub review_model: Option<String>,
    pub model_provider: Option<String>,
    pub model_context_window: Option<i64>,
    pub model_auto_compact_token_limit: Option<i64>,
    #[serde(default)]
    pub model_providers: BTreeMap<String, ModelProviderToml>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub personality: Option<Personality>,
    pub model_supports_reasoning_summaries: Option<bool>,
    pub approval_policy: Option<AskForApproval>,
    pub sandbox_mode: Option<SandboxMode>,
    pub sandbox_workspace_write: Option<SandboxWorkspaceWriteToml>,
    pub shell_environment_policy: Option<ShellEnvironmentPolicyToml>,
    #[serde(default)]
    pub mcp_servers: BTreeMap<String, McpServerToml>,
    pub mcp_oauth_credentials_store: Option<OAuthCredentialsStoreMode>,
    /// Port of the OAuth callback server; an ephemeral port when unset.
    pub mcp_oauth_callback_port: Option<u16>,
    #[serde(default)]
    pub features: BTreeMap<String, bool>,
    pub profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileToml>,
    #[serde(default)]
    pub projects: BTreeMap<String, ProjectToml>,
    pub notify: Option<Vec<String>>,
    pub instructions: Option<String>,
    pub developer_instructions: Option<String>,
    pub compact_prompt: Option<String>,
    pub model_instructions_file: Option<AbsolutePathBuf>,
    pub experimental_compact_prompt_file: Option<AbsolutePathBuf>,
    pub log_dir: Option<AbsolutePathBuf>,
    pub forced_chatgpt_workspace_id: Option<String>,
    pub forced_login_method: Option<ForcedLoginMethod>,
    pub cli_auth_credentials_store: Option<AuthCredentialsStoreMode>,
    pub chatgpt_base_url: Option<String>,
    pub web_search: Option<WebSearchMode>,
    pub tools: Option<ToolsToml>,
    pub analytics: Option<AnalyticsToml>,
    pub feedback: Option<FeedbackToml>,
    pub apps: Option<BTreeMap<String, AppToml>>,
    pub hide_agent_reasoning: Option<bool>,
    pub show_raw_agent_reasoning: Option<bool>,
    pub project_doc_max_bytes: Option<u64>,
    pub project_root_markers: Option<Vec<String>>,
    pub skills: Option<SkillsToml>,
    /// Settings of `codex mcp-server`.
    pub mcp_server: Option<McpServerCommandToml>,
    /// Settings of `codex app-server`.
    pub app_server: Option<AppServerToml>,
}

/// `[app_server]`: what `codex app-server` keeps for clients that reconnect.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AppServerToml {
    /// Notifications each thread's journal keeps for replay (`thread/resume` with `afterSeq`).
    pub event_replay_capacity: Option<u64>,
    /// Bytes each thread's journal keeps, at most.
    pub event_replay_max_bytes: Option<u64>,
    /// Seconds a server request whose client went away waits for a client to resume its thread.
    pub request_reconnect_grace_sec: Option<f64>,
}

/// `[mcp_server]`: how `codex mcp-server` treats the MCP host that drives it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct McpServerCommandToml {
    /// Seconds an approval asked of the host may wait for its answer; then it counts as denied.
    pub elicitation_timeout_sec: Option<f64>,
}

/// A named set of overrides, chosen with `profile = "NAME"`. Its keys mean what the same keys
/// mean at the top level, and win over them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ProfileToml {
    pub model: Option<String>,
    pub model_provider: Option<String>,
    pub approval_policy: Option<AskForApproval>,
    pub sandbox_mode: Option<SandboxMode>,
    pub model_reasoning_effort: Option<ReasoningEffort>,
    pub model_reasoning_summary: Option<ReasoningSummary>,
    pub model_verbosity: Option<Verbosity>,
    pub personality: Option<Personality>,
    pub web_search: Option<WebSearchMode>,
    pub chatgpt_base_url: Option<String>,
    pub model_instructions_file: Option<AbsolutePathBuf>,
    pub experimental_compact_prompt_file: Option<AbsolutePathBuf>,
    pub features: Option<BTreeMap<String, bool>>,
    pub tools: Option<ToolsToml>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ModelProviderToml {
    pub name: Option<String>,
    pub base_url: Option<String>,
    pub env_key: Option<String>,
    pub env_key_instructions: Option<String>,
    pub experimental_bearer_token: Option<String>,
    pub wire_api: Option<WireApi>,
    pub query_params: Option<BTreeMap<String, String>>,
    pub http_headers: Option<BTreeMap<String, String>>,
    pub env_http_headers: Option<BTreeMap<String, String>>,
    pub request_max_retries: Option<u64>,
    pub stream_max_retries: Option<u64>,
    pub stream_idle_timeout_ms: Option<u64>,
    pub requires_openai_auth: Option<bool>,
}

/// Which HTTP API a model provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WireApi {
    Responses,
    Chat,
}

/// Where the sandbox lets commands write in `workspace-write` mode.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SandboxWorkspaceWriteToml {
    #[serde(default)]
    pub writable_roots: Vec<AbsolutePathBuf>,
    #[serde(default)]
    pub network_access: bool,
    #[serde(default)]
    pub exclude_tmpdir_env_var: bool,
    #[serde(default)]
    pub exclude_slash_tmp: bool,
}

/// Which environment variables commands inherit.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ShellEnvironmentPolicyToml {
    pub inherit: Option<ShellEnvironmentInherit>,
    pub ignore_default_excludes: Option<bool>,
    pub exclude: Option<Vec<String>>,
    pub set: Option<BTreeMap<String, String>>,
    pub include_only: Option<Vec<String>>,
    pub experimental_use_profile: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShellEnvironmentInherit {
    Core,
    All,
    None,
}

/// One MCP server: a command to start (stdio) or a URL to call (streamable HTTP), as written.
/// Deserialising checks it the way the reference does (see [`crate::mcp`]), so a file with a
/// broken entry is refused with the reference's text; [`crate::McpServerConfig::from_toml`]
/// gives the checked form with defaults. Unknown keys are ignored, as the reference does.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
pub struct McpServerToml {
    pub command: Option<String>,
    pub args: Option<Vec<String>>,
    pub env: Option<BTreeMap<String, String>>,
    pub env_vars: Option<Vec<String>>,
    /// Kept as written: the reference resolves it against the thread's cwd when it starts the
    /// server, not against the config file.
    pub cwd: Option<String>,
    pub url: Option<String>,
    /// Never allowed; read only to refuse it with the reference's error.
    pub bearer_token: Option<String>,
    pub bearer_token_env_var: Option<String>,
    pub http_headers: Option<BTreeMap<String, String>>,
    pub env_http_headers: Option<BTreeMap<String, String>>,
    pub enabled: Option<bool>,
    pub startup_timeout_sec: Option<f64>,
    pub startup_timeout_ms: Option<u64>,
    #[serde(default, deserialize_with = "crate::mcp::deserialize_seconds")]
    pub tool_timeout_sec: Option<f64>,
    pub enabled_tools: Option<Vec<String>>,
    pub disabled_tools: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for McpServerToml {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let toml = McpServerToml::deserialize(deserializer)?;
        crate::McpServerConfig::from_toml(&toml).map_err(serde::de::Error::custom)?;
        Ok(toml)
    }
}

/// Where MCP OAuth tokens are kept (`mcp_oauth_credentials_store`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OAuthCredentialsStoreMode {
    /// The keyring when it works, else the file.
    #[default]
    Auto,
    /// `$CODEX_HOME/.credentials.json`.
    File,
    /// The system keyring.
    Keyring,
}

/// Trust in a project folder: only a trusted project's `.codex/config.toml` is loaded.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ProjectToml {
    pub trust_level: Option<TrustLevel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TrustLevel {
    Trusted,
    Untrusted,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ToolsToml {
    pub web_search: Option<bool>,
    pub view_image: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AnalyticsToml {
    pub enabled: Option<bool>,
}

/// `[feedback]`: whether `feedback/upload` may send a report (on unless `enabled = false`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct FeedbackToml {
    pub enabled: Option<bool>,
}

/// `[skills]`: per-skill settings, one `[[skills.config]]` entry per skill the user changed.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct SkillsToml {
    #[serde(default)]
    pub config: Vec<SkillConfigToml>,
}

/// A skill's setting, keyed by the path of its `SKILL.md`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SkillConfigToml {
    pub path: std::path::PathBuf,
    pub enabled: bool,
}

impl SkillsToml {
    /// Whether the entries turn the skill at `path` off (the last entry for a path wins).
    pub fn is_disabled(&self, path: &std::path::Path) -> bool {
        self.config
            .iter()
            .rev()
            .find(|entry| entry.path == path)
            .is_some_and(|entry| !entry.enabled)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AppToml {
    pub enabled: Option<bool>,
    pub disabled_reason: Option<AppDisabledReason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppDisabledReason {
    Unknown,
    User,
}

impl ConfigToml {
    /// The path-valued keys this file set, as dotted key paths with their resolved values, so a
    /// layer can show (and merge) absolute paths instead of what was written.
    pub(crate) fn path_values(&self) -> Vec<(Vec<String>, toml::Value)> {
        let mut paths = Vec::new();
        let key = |parts: &[&str]| parts.iter().map(|part| (*part).to_owned()).collect();
        let mut single = |parts: &[&str], value: &Option<AbsolutePathBuf>| {
            if let Some(path) = value {
                paths.push((key(parts), path_value(path)));
            }
        };
        single(&["model_instructions_file"], &self.model_instructions_file);
        single(
            &["experimental_compact_prompt_file"],
            &self.experimental_compact_prompt_file,
        );
        single(&["log_dir"], &self.log_dir);
        for (name, profile) in &self.profiles {
            single(
                &["profiles", name, "model_instructions_file"],
                &profile.model_instructions_file,
            );
            single(
                &["profiles", name, "experimental_compact_prompt_file"],
                &profile.experimental_compact_prompt_file,
            );
        }
        if let Some(write) = &self.sandbox_workspace_write
            && !write.writable_roots.is_empty()
        {
            let roots = write.writable_roots.iter().map(path_value).collect();
            paths.push((
                key(&["sandbox_workspace_write", "writable_roots"]),
                toml::Value::Array(roots),
            ));
        }
        paths
    }
}

fn path_value(path: &AbsolutePathBuf) -> toml::Value {
    toml::Value::String(path.as_path().to_string_lossy().into_owned())
}

/// Types a table that did not come from a file (session flags, a write's result), resolving
/// relative paths against `base`. The error is serde's, with the key path.
pub(crate) fn type_table(table: &toml::Table, base: &Path) -> Result<ConfigToml, toml::de::Error> {
    let _guard = AbsolutePathBufGuard::new(base);
    toml::Value::Table(table.clone()).try_into::<ConfigToml>()
}
