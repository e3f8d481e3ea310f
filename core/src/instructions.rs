//! What the model is told besides the conversation: the base instructions (our own text), the
//! permissions and developer instructions (developer messages), the AGENTS.md files from the
//! project root down to the working directory, and the `<environment_context>` message.
//!
//! The tags around the messages (`<environment_context>`, `<INSTRUCTIONS>`, ...) are part of
//! the rollout format the reference reads back, so they keep its spelling; the prose is ours.

use std::path::Path;
use std::path::PathBuf;

use codex_protocol::config_types::Personality;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::SandboxPolicy;
use codex_tools::model_family::InstructionsKind;
use codex_tools::model_family::ModelFamily;

const CODEX_INSTRUCTIONS: &str = "\
You are Codex, a coding agent working in a terminal on the user's machine, inside the project \
they opened. You read code, run commands and edit files to get the user's task done, and you \
report back briefly.

## How to work
- Understand before you change: look at the relevant files and how they fit together first.
- Prefer small, focused changes that match the style of the surrounding code. Do not rename or \
reformat what the task does not touch.
- Fix problems at their cause rather than papering over symptoms.
- When a change can be checked (a build, a test, a linter), check it, starting with the narrowest \
check that covers the change.
- Never undo changes you did not make: the user may be editing the same files.
- Ask for what you need when the task is ambiguous in a way that matters; otherwise make a \
reasonable choice and say which.

## Tools
- Use the tools you are given; do not pretend to have run a command you did not run.
- For searching, fast tools such as `rg` beat `grep -r`.
- Edit files with the patch tool when you have one.

## Answering
- Be concise and concrete. Lead with the outcome, then the details that matter.
- Refer to files by path (with a line number when it helps) instead of pasting large blocks.
- Say plainly what you could not do or verify.";

const GENERAL_INSTRUCTIONS: &str = "\
You are a coding agent working in a terminal on the user's machine. Help with the user's \
software task: read the code, run commands and make edits as needed, and keep the user informed.

- Look before you change, keep changes small and in the style of the code around them, and \
leave alone what the task does not concern.
- Verify your work with the project's own checks when you can.
- Do not revert changes you did not make.
- Keep answers short: what you did, what you found, and what is left.";

const FRIENDLY_PERSONALITY: &str = "\
## Personality
You are a warm, encouraging teammate. Keep the user in the loop as you go, explain your reasoning \
in plain words, celebrate progress with them, and be patient with questions. Stay honest when \
something is wrong or risky: kindness never means hiding a problem.";

const PRAGMATIC_PERSONALITY: &str = "\
## Personality
You are a pragmatic, no-nonsense engineer. Say what matters and skip the rest: no filler, no \
flattery, no restating the question. Prefer the simple solution that works, name trade-offs \
briefly when they exist, and let results speak for themselves.";

/// The base instructions for a model family, unless the thread or config gives its own. The
/// families whose instructions have a personality get its section after the opening paragraph.
pub fn base_instructions(family: &ModelFamily, personality: Option<Personality>) -> String {
    let text = match family.instructions {
        InstructionsKind::Codex => CODEX_INSTRUCTIONS,
        InstructionsKind::General => GENERAL_INSTRUCTIONS,
    };
    match (
        text.split_once("\n\n"),
        personality_text(family, personality),
    ) {
        (Some((opening, rest)), Some(section)) => format!("{opening}\n\n{section}\n\n{rest}"),
        _ => text.to_owned(),
    }
}

/// The personality section a family's instructions carry, if it has one for `personality`.
pub fn personality_text(
    family: &ModelFamily,
    personality: Option<Personality>,
) -> Option<&'static str> {
    if !family.personality {
        return None;
    }
    match personality? {
        Personality::Friendly => Some(FRIENDLY_PERSONALITY),
        Personality::Pragmatic => Some(PRAGMATIC_PERSONALITY),
        Personality::None => None,
    }
}

/// The developer message telling the model of a personality chosen after the thread began
/// (or one its instructions do not carry), framed as the reference frames it.
pub fn personality_message(section: &str) -> ResponseItem {
    developer_message(&format!(
        "<personality_spec> The user asked for a different way of communicating. From now on, \
         answer in keeping with this personality: \n{section} </personality_spec>"
    ))
}

/// The developer message handing the model the instructions of the model the thread switched
/// to, framed as the reference frames it.
pub fn model_switch_message(instructions: &str) -> ResponseItem {
    developer_message(&format!(
        "<model_switch>\nThis conversation was held with another model until now. Carry on \
         following these instructions:\n\n{instructions}\n</model_switch>"
    ))
}

/// The developer message with a collaboration mode's instructions, in the reference's tags.
pub fn collaboration_mode_message(instructions: &str) -> ResponseItem {
    developer_message(&format!(
        "<collaboration_mode>{instructions}</collaboration_mode>"
    ))
}

/// File names read in each folder, the first that exists winning: a local override, then the
/// shared file.
const AGENTS_FILE_NAMES: [&str; 2] = ["AGENTS.override.md", "AGENTS.md"];

/// Separates the user's own instructions from the project's documents.
const PROJECT_DOC_SEPARATOR: &str = "\n\n--- project-doc ---\n\n";

/// The default cap on the bytes read from AGENTS.md files together.
pub const DEFAULT_PROJECT_DOC_MAX_BYTES: u64 = 32 * 1024;

/// The names that mark a project's root folder: the config's `project_root_markers`, else
/// `.git`.
pub fn project_root_markers(config: &codex_config::ConfigToml) -> Vec<String> {
    config
        .project_root_markers
        .clone()
        .unwrap_or_else(|| vec![".git".to_owned()])
}

/// The user instructions with the skills section appended (either may be missing).
pub fn with_skills(instructions: Option<String>, skills: Option<String>) -> Option<String> {
    match (instructions, skills) {
        (Some(text), Some(skills)) => Some(format!("{text}\n\n{skills}")),
        (text, None) => text,
        (None, skills) => skills,
    }
}

/// The project root of `cwd`: the nearest folder (cwd included) that holds one of `markers`
/// (by default `.git`), or `None` when there is none.
pub fn project_root(cwd: &Path, markers: &[String]) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|dir| markers.iter().any(|marker| dir.join(marker).exists()))
        .map(Path::to_path_buf)
}

/// The AGENTS.md files that apply in `cwd`, outermost first: one per folder from the project
/// root down to `cwd` (only `cwd` itself outside a project).
pub fn agents_md_files(cwd: &Path, markers: &[String]) -> Vec<PathBuf> {
    let root = project_root(cwd, markers).unwrap_or_else(|| cwd.to_path_buf());
    let mut dirs: Vec<&Path> = cwd
        .ancestors()
        .take_while(|dir| dir.starts_with(&root))
        .collect();
    dirs.reverse();
    dirs.into_iter()
        .filter_map(|dir| {
            AGENTS_FILE_NAMES
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.is_file())
        })
        .collect()
}

/// The user instructions of a thread: the user's own (`$CODEX_HOME/AGENTS.md` or config
/// `instructions`), then the project's AGENTS.md files, read up to `max_bytes` in total.
/// `None` when there are none.
pub fn user_instructions(
    own: Option<&str>,
    cwd: &Path,
    markers: &[String],
    max_bytes: u64,
) -> Option<String> {
    let mut budget = usize::try_from(max_bytes).unwrap_or(usize::MAX);
    let mut docs = Vec::new();
    for path in agents_md_files(cwd, markers) {
        if budget == 0 {
            break;
        }
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::warn!("cannot read {}: {err}", path.display());
                continue;
            }
        };
        let taken = &text[..text.len().min(budget)];
        budget -= taken.len();
        let text = String::from_utf8_lossy(taken).trim().to_owned();
        if !text.is_empty() {
            docs.push(text);
        }
    }
    let own = own.map(str::trim).filter(|text| !text.is_empty());
    match (own, docs.is_empty()) {
        (None, true) => None,
        (Some(own), true) => Some(own.to_owned()),
        (None, false) => Some(docs.join("\n\n")),
        (Some(own), false) => Some(format!("{own}{PROJECT_DOC_SEPARATOR}{}", docs.join("\n\n"))),
    }
}

/// The user message carrying the user instructions, as the reference frames it.
pub fn user_instructions_message(cwd: &Path, instructions: &str) -> ResponseItem {
    text_message(
        "user",
        format!(
            "# AGENTS.md instructions for {}\n\n<INSTRUCTIONS>\n{instructions}\n</INSTRUCTIONS>",
            cwd.display()
        ),
    )
}

/// The `<environment_context>` user message: where the agent works and with which shell.
pub fn environment_context_message(cwd: &Path, shell: &str) -> ResponseItem {
    text_message(
        "user",
        format!(
            "<environment_context>\n  <cwd>{}</cwd>\n  <shell>{shell}</shell>\n</environment_context>",
            cwd.display()
        ),
    )
}

/// The developer message stating the sandbox, the network access and the approval policy.
pub fn permissions_message(sandbox: &SandboxPolicy, approval: AskForApproval) -> ResponseItem {
    let (mode, sandbox_text, network) = match sandbox {
        SandboxPolicy::DangerFullAccess => (
            "danger-full-access",
            "Nothing is sandboxed: commands may read and write anywhere.",
            true,
        ),
        SandboxPolicy::ReadOnly { .. } => (
            "read-only",
            "Commands may read files but not write them.",
            false,
        ),
        SandboxPolicy::WorkspaceWrite { network_access, .. } => (
            "workspace-write",
            "Commands may read anywhere and write inside the workspace and its writable roots.",
            *network_access,
        ),
        SandboxPolicy::ExternalSandbox { network_access } => (
            "external-sandbox",
            "An outside sandbox decides what commands may do.",
            matches!(
                network_access,
                codex_protocol::protocol::NetworkAccess::Enabled
            ),
        ),
    };
    let network = if network {
        "Network access is enabled."
    } else {
        "Network access is restricted."
    };
    let approval_text = match approval {
        AskForApproval::Never => {
            "never: you will not be asked to confirm anything, and a failed command is reported back to you as it is."
        }
        AskForApproval::OnRequest => {
            "on-request: run in the sandbox, and ask for approval when a command needs more than it allows."
        }
        AskForApproval::OnFailure => {
            "on-failure: run in the sandbox; when a command fails there, the user is asked whether to run it without."
        }
        AskForApproval::Untrusted => {
            "untrusted: commands not known to be safe need the user's approval."
        }
    };
    text_message(
        "developer",
        format!(
            "<permissions instructions>\nThe sandbox mode is `{mode}`. {sandbox_text} {network}\nThe approval policy is {approval_text}\n</permissions instructions>"
        ),
    )
}

/// A developer message with the thread's developer instructions.
pub fn developer_message(text: &str) -> ResponseItem {
    text_message("developer", text.to_owned())
}

/// The shell the agent reports, from `$SHELL`'s file name (`bash` when unknown).
pub fn user_shell() -> String {
    std::env::var_os("SHELL")
        .and_then(|shell| {
            Path::new(&shell)
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "bash".to_owned())
}

pub(crate) fn text_message(role: &str, text: String) -> ResponseItem {
    let content = if role == "assistant" {
        ContentItem::OutputText { text }
    } else {
        ContentItem::InputText { text }
    };
    ResponseItem::Message {
        id: None,
        role: role.to_owned(),
        content: vec![content],
        end_turn: None,
        phase: None,
    }
}
