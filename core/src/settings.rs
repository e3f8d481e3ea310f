//! The effective settings of a thread: what its turns run with.

use std::path::PathBuf;

use codex_protocol::config_types::ModeKind;
use codex_protocol::config_types::Personality;
use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::config_types::ReasoningSummary;
use codex_protocol::config_types::Verbosity;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::SandboxPolicy;
use codex_tools::DynamicTool;

/// The effective settings of a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadSettings {
    pub model: String,
    /// The model reviews run with (`review_model`); the thread's own model when `None`.
    pub review_model: Option<String>,
    pub model_provider: String,
    pub cwd: PathBuf,
    pub approval_policy: AskForApproval,
    pub sandbox_policy: SandboxPolicy,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub reasoning_summary: Option<ReasoningSummary>,
    pub verbosity: Option<Verbosity>,
    pub base_instructions: String,
    pub developer_instructions: Option<String>,
    /// The user's and the project's instructions (AGENTS.md).
    pub user_instructions: Option<String>,
    pub compact_prompt: Option<String>,
    /// The configured context window, if any; else the model family's.
    pub model_context_window: Option<i64>,
    /// The `unified_exec` feature: commands through `exec_command`/`write_stdin`.
    pub unified_exec: bool,
    /// The `apps` feature: the account's ChatGPT apps (connectors), which `app/list` shows.
    pub apps: bool,
    pub ephemeral: bool,
    /// The tools the client declared at start; it runs them.
    pub dynamic_tools: Vec<DynamicTool>,
    /// The collaboration mode of the latest turn (plan or default).
    pub collaboration_mode: ModeKind,
    /// That mode's developer instructions, which the model is given when the mode changes.
    pub collaboration_instructions: Option<String>,
    /// How the model is asked to communicate, for the models that support it.
    pub personality: Option<Personality>,
    /// The `personality` feature: without it the setting is ignored, as in the reference.
    pub personality_feature: bool,
    /// Whether and how turns offer hosted web search.
    pub web_search: crate::web_search::WebSearchSettings,
    /// The `request_rule` feature: the model may propose a prefix rule with a command.
    pub request_rule: bool,
}
