//! What we know about a model from its name: the tools it is offered, how it edits files and
//! runs commands, its reasoning and verbosity defaults, and its context window.
//!
//! A name is matched to the longest known slug that is a prefix of it, case-sensitively
//! (`gpt-5.1-codex-foo` acts as `gpt-5.1-codex`, `GPT-5.1-codex` is unknown); any other name
//! gets [`ModelFamily::fallback`]. The values were observed on codex-cli 0.101.0; presets it
//! bundles but that were not observed copy their nearest observed sibling.

use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::config_types::ReasoningSummary;
use codex_protocol::config_types::Verbosity;

/// How a model edits files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyPatchKind {
    /// A custom (freeform) tool whose input is the patch text, checked by a grammar.
    Freeform,
    /// A function tool taking the patch as a JSON string argument.
    Function,
}

/// How a model runs commands when the `unified_exec` feature is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    /// `shell_command`: one command line, run by the user's shell.
    ShellCommand,
    /// `shell`: an argv array.
    Shell,
}

/// How much of a tool's output a model is shown: the reference's `truncation_policy`, tokens
/// (four bytes each) for the codex models and bytes for the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruncationPolicy {
    Tokens(usize),
    Bytes(usize),
}

/// Which base instructions a model is given. We write our own text for each (see
/// `instructions.rs`); the kinds mirror the reference's split so prompts can diverge later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstructionsKind {
    /// Codex-tuned models.
    Codex,
    /// General models.
    General,
}

/// The tools a model may be offered, by name. Turned into definitions by the tool registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolName {
    ExecCommand,
    WriteStdin,
    ShellCommand,
    Shell,
    ListMcpResources,
    ListMcpResourceTemplates,
    ReadMcpResource,
    UpdatePlan,
    RequestUserInput,
    ApplyPatch,
    WebSearch,
    ViewImage,
}

impl ToolName {
    /// The name the model sees.
    pub fn as_str(self) -> &'static str {
        match self {
            ToolName::ExecCommand => "exec_command",
            ToolName::WriteStdin => "write_stdin",
            ToolName::ShellCommand => "shell_command",
            ToolName::Shell => "shell",
            ToolName::ListMcpResources => "list_mcp_resources",
            ToolName::ListMcpResourceTemplates => "list_mcp_resource_templates",
            ToolName::ReadMcpResource => "read_mcp_resource",
            ToolName::UpdatePlan => "update_plan",
            ToolName::RequestUserInput => "request_user_input",
            ToolName::ApplyPatch => "apply_patch",
            ToolName::WebSearch => "web_search",
            ToolName::ViewImage => "view_image",
        }
    }
}

/// The reasoning settings a model is sent unless the thread chooses its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasoningDefaults {
    pub effort: Option<ReasoningEffort>,
    pub summary: Option<ReasoningSummary>,
}

/// The reference's context window for every model: 272,000 tokens, of which 95 % is usable.
const CONTEXT_WINDOW: i64 = 272_000;
const USABLE_PERCENT: i64 = 95;

/// Per-model behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelFamily {
    /// The matched preset slug; `None` for an unknown model.
    pub slug: Option<&'static str>,
    pub apply_patch: Option<ApplyPatchKind>,
    pub shell: ShellKind,
    /// `None` sends `"reasoning": null`.
    pub reasoning: Option<ReasoningDefaults>,
    pub parallel_tool_calls: bool,
    /// `None` leaves `text` out of the request.
    pub verbosity: Option<Verbosity>,
    /// The full context window, before the usable share is taken.
    pub context_window: i64,
    pub instructions: InstructionsKind,
    /// Whether the base instructions carry a personality section (`personality` in the config
    /// and on turns), as the reference's instruction templates of these models do.
    pub personality: bool,
    pub truncation: TruncationPolicy,
}

impl ModelFamily {
    /// The family of `model`: the longest matching preset, else the fallback.
    pub fn find(model: &str) -> ModelFamily {
        PRESETS
            .iter()
            .filter(|preset| model.starts_with(preset.slug))
            .max_by_key(|preset| preset.slug.len())
            .map(Preset::family)
            .unwrap_or_else(ModelFamily::fallback)
    }

    /// What an unknown model gets: no apply_patch, the argv shell, no reasoning settings.
    pub fn fallback() -> ModelFamily {
        ModelFamily {
            slug: None,
            apply_patch: None,
            shell: ShellKind::Shell,
            reasoning: None,
            parallel_tool_calls: false,
            verbosity: None,
            context_window: CONTEXT_WINDOW,
            instructions: InstructionsKind::General,
            personality: false,
            truncation: TruncationPolicy::Bytes(10_000),
        }
    }

    /// The window reported to clients and used for budgeting: 95 % of the full one.
    pub fn effective_context_window(&self) -> i64 {
        self.context_window * USABLE_PERCENT / 100
    }

    /// The tools this model is offered, in the order the reference sends them. With
    /// `unified_exec` (on by default) commands go through `exec_command`/`write_stdin`.
    pub fn tools(&self, unified_exec: bool) -> Vec<ToolName> {
        let mut tools = if unified_exec {
            vec![ToolName::ExecCommand, ToolName::WriteStdin]
        } else {
            match self.shell {
                ShellKind::ShellCommand => vec![ToolName::ShellCommand],
                ShellKind::Shell => vec![ToolName::Shell],
            }
        };
        tools.extend([
            ToolName::ListMcpResources,
            ToolName::ListMcpResourceTemplates,
            ToolName::ReadMcpResource,
            ToolName::UpdatePlan,
            ToolName::RequestUserInput,
        ]);
        if self.apply_patch.is_some() {
            tools.push(ToolName::ApplyPatch);
        }
        tools.extend([ToolName::WebSearch, ToolName::ViewImage]);
        tools
    }
}

struct Preset {
    slug: &'static str,
    apply_patch: Option<ApplyPatchKind>,
    shell: ShellKind,
    parallel_tool_calls: bool,
    verbosity: Option<Verbosity>,
    instructions: InstructionsKind,
    personality: bool,
    truncation: TruncationPolicy,
}

impl Preset {
    fn family(&self) -> ModelFamily {
        ModelFamily {
            slug: Some(self.slug),
            apply_patch: self.apply_patch,
            shell: self.shell,
            // Every bundled preset reasons with medium effort and automatic summaries.
            reasoning: Some(ReasoningDefaults {
                effort: Some(ReasoningEffort::Medium),
                summary: Some(ReasoningSummary::Auto),
            }),
            parallel_tool_calls: self.parallel_tool_calls,
            verbosity: self.verbosity,
            context_window: CONTEXT_WINDOW,
            instructions: self.instructions,
            personality: self.personality,
            truncation: self.truncation,
        }
    }
}

const fn codex(slug: &'static str, parallel_tool_calls: bool) -> Preset {
    Preset {
        slug,
        apply_patch: Some(ApplyPatchKind::Freeform),
        shell: ShellKind::ShellCommand,
        parallel_tool_calls,
        verbosity: None,
        instructions: InstructionsKind::Codex,
        personality: false,
        truncation: TruncationPolicy::Tokens(10_000),
    }
}

/// The newest codex models, whose instructions have a personality.
const fn codex_with_personality(slug: &'static str) -> Preset {
    Preset {
        personality: true,
        ..codex(slug, true)
    }
}

const fn general(slug: &'static str) -> Preset {
    Preset {
        slug,
        apply_patch: Some(ApplyPatchKind::Freeform),
        shell: ShellKind::ShellCommand,
        parallel_tool_calls: true,
        verbosity: Some(Verbosity::Low),
        instructions: InstructionsKind::General,
        personality: false,
        truncation: TruncationPolicy::Bytes(10_000),
    }
}

const PRESETS: &[Preset] = &[
    codex_with_personality("gpt-5.3-codex"),
    codex_with_personality("gpt-5.2-codex"),
    codex("gpt-5.1-codex-max", false),
    codex("gpt-5.1-codex-mini", false),
    codex("gpt-5.1-codex", false),
    codex("gpt-5-codex-mini", false),
    codex("gpt-5-codex", false),
    general("gpt-5.2"),
    general("gpt-5.1"),
    Preset {
        slug: "gpt-5",
        apply_patch: None,
        shell: ShellKind::Shell,
        parallel_tool_calls: false,
        verbosity: None,
        instructions: InstructionsKind::General,
        personality: false,
        truncation: TruncationPolicy::Bytes(10_000),
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn longest_prefix_wins_case_sensitively() {
        let cases = [
            ("gpt-5.1-codex", Some("gpt-5.1-codex")),
            ("gpt-5.1-codex-foo", Some("gpt-5.1-codex")),
            ("gpt-5.1-codex-max", Some("gpt-5.1-codex-max")),
            ("gpt-5-mini", Some("gpt-5")),
            ("gpt-5.1", Some("gpt-5.1")),
            ("GPT-5.1-codex", None),
            ("o3", None),
            ("my-local-model", None),
        ];
        let found: Vec<_> = cases
            .iter()
            .map(|(model, _)| (*model, ModelFamily::find(model).slug))
            .collect();
        assert_eq!(found, cases.to_vec());
    }

    #[test]
    fn observed_rows() {
        let codex = ModelFamily::find("gpt-5.1-codex");
        assert_eq!(codex.apply_patch, Some(ApplyPatchKind::Freeform));
        assert!(!codex.parallel_tool_calls);
        assert_eq!(codex.verbosity, None);
        assert!(ModelFamily::find("gpt-5.2-codex").parallel_tool_calls);
        assert_eq!(ModelFamily::find("gpt-5.1").verbosity, Some(Verbosity::Low));
        let truncation: Vec<_> = [
            "gpt-5.3-codex",
            "gpt-5-codex-mini",
            "gpt-5.2",
            "gpt-5",
            "o3",
        ]
        .iter()
        .map(|model| ModelFamily::find(model).truncation)
        .collect();
        assert_eq!(
            truncation,
            [
                TruncationPolicy::Tokens(10_000),
                TruncationPolicy::Tokens(10_000),
                TruncationPolicy::Bytes(10_000),
                TruncationPolicy::Bytes(10_000),
                TruncationPolicy::Bytes(10_000),
            ]
        );
        let gpt5 = ModelFamily::find("gpt-5");
        assert_eq!((gpt5.apply_patch, gpt5.shell), (None, ShellKind::Shell));
        let unknown = ModelFamily::find("o4-mini");
        assert_eq!(unknown.reasoning, None);
        assert_eq!(unknown.effective_context_window(), 258_400);
        assert_eq!(codex.effective_context_window(), 258_400);
    }

    #[test]
    fn tool_lists() {
        let names = |family: &ModelFamily, unified: bool| -> Vec<&str> {
            family
                .tools(unified)
                .into_iter()
                .map(ToolName::as_str)
                .collect()
        };
        assert_eq!(
            names(&ModelFamily::find("gpt-5.1-codex"), true),
            vec![
                "exec_command",
                "write_stdin",
                "list_mcp_resources",
                "list_mcp_resource_templates",
                "read_mcp_resource",
                "update_plan",
                "request_user_input",
                "apply_patch",
                "web_search",
                "view_image",
            ]
        );
        let fallback = names(&ModelFamily::fallback(), false);
        assert_eq!(fallback[0], "shell");
        assert!(!fallback.contains(&"apply_patch"));
        assert_eq!(
            names(&ModelFamily::find("gpt-5-codex"), false)[0],
            "shell_command"
        );
    }
}
