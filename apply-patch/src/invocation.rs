//! Recognises a patch inside a command the model asked to run, so the agent applies it itself
//! (with approval and a `fileChange` item) instead of running a program called `apply_patch`.
//!
//! Only exact shapes count, because anything looser risks misreading a real shell script:
//! `["apply_patch", patch]`, and a shell (`bash -lc`, `sh -c`, `zsh -c`, `pwsh -Command`,
//! `cmd /c`) whose whole script is `apply_patch <<'EOF'` … `EOF`, optionally preceded by a single
//! `cd <dir> &&`.

use crate::parser::parse_patch;

/// Names the model uses for the command.
const COMMAND_NAMES: [&str; 2] = ["apply_patch", "applypatch"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchCommand {
    /// The command applies `patch`, after changing into `workdir` (relative to the command's
    /// working directory) when given.
    ApplyPatch {
        patch: String,
        workdir: Option<String>,
    },
    /// The command is a bare patch with no `apply_patch` in front; the model should be told to
    /// call the tool properly rather than have a shell try to run it.
    ImplicitPatch,
    NotApplyPatch,
}

/// Classifies a command's argv. The patch text is returned as written, unparsed.
pub fn parse_patch_command(argv: &[String]) -> PatchCommand {
    match argv {
        [name, patch] if COMMAND_NAMES.contains(&name.as_str()) => PatchCommand::ApplyPatch {
            patch: patch.clone(),
            workdir: None,
        },
        [body] if parse_patch(body).is_ok() => PatchCommand::ImplicitPatch,
        _ => match shell_script(argv) {
            Some(script) if parse_patch(script).is_ok() => PatchCommand::ImplicitPatch,
            Some(script) => match parse_heredoc_script(script) {
                Some((patch, workdir)) => PatchCommand::ApplyPatch { patch, workdir },
                None => PatchCommand::NotApplyPatch,
            },
            None => PatchCommand::NotApplyPatch,
        },
    }
}

/// The script of a `<shell> <flag> <script>` argv.
fn shell_script(argv: &[String]) -> Option<&str> {
    let (shell, flag, script) = match argv {
        [shell, flag, script] => (shell, flag, script),
        [shell, no_profile, flag, script] if no_profile.eq_ignore_ascii_case("-NoProfile") => {
            (shell, flag, script)
        }
        _ => return None,
    };
    let name = std::path::Path::new(shell)
        .file_stem()?
        .to_str()?
        .to_ascii_lowercase();
    let known = match name.as_str() {
        "bash" | "zsh" | "sh" => matches!(flag.as_str(), "-c" | "-lc"),
        "pwsh" | "powershell" => flag.eq_ignore_ascii_case("-Command"),
        "cmd" => flag.eq_ignore_ascii_case("/c"),
        _ => false,
    };
    known.then_some(script.as_str())
}

/// Parses `[cd <dir> &&] apply_patch <<'DELIM'\n<body>\nDELIM`, returning the body (without its
/// final newline) and the directory.
fn parse_heredoc_script(script: &str) -> Option<(String, Option<String>)> {
    let script = script.trim_start();
    let (command_line, rest) = script.split_once('\n')?;
    let mut words = Words(command_line.trim());

    let mut workdir = None;
    if words.keyword("cd") {
        workdir = Some(words.argument()?);
        if !words.keyword("&&") {
            return None;
        }
    }
    if !COMMAND_NAMES.iter().any(|name| words.keyword(name)) {
        return None;
    }
    let delimiter = words.heredoc_start()?;
    if !words.0.is_empty() {
        return None;
    }

    let mut body = Vec::new();
    let mut lines = rest.split('\n');
    for line in lines.by_ref() {
        if line == delimiter {
            // Nothing may follow the heredoc.
            return lines
                .all(|line| line.trim().is_empty())
                .then(|| (body.join("\n"), workdir));
        }
        body.push(line);
    }
    None
}

/// A cursor over the words of one shell line.
struct Words<'a>(&'a str);

impl Words<'_> {
    /// Consumes `word` when it is the next whole word.
    fn keyword(&mut self, word: &str) -> bool {
        let Some(rest) = self.0.strip_prefix(word) else {
            return false;
        };
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with('<')) {
            return false;
        }
        self.0 = rest.trim_start();
        true
    }

    /// Consumes one plain, single-quoted or double-quoted argument. Anything that would need
    /// real shell expansion (variables, escapes, operators) is refused.
    fn argument(&mut self) -> Option<String> {
        let (value, rest) = if let Some(quoted) = self.0.strip_prefix('\'') {
            quoted.split_once('\'')?
        } else if let Some(quoted) = self.0.strip_prefix('"') {
            let (value, rest) = quoted.split_once('"')?;
            if value.contains(['$', '`', '\\']) {
                return None;
            }
            (value, rest)
        } else {
            let end = self.0.find(char::is_whitespace).unwrap_or(self.0.len());
            let value = &self.0[..end];
            if value.is_empty() || value.contains(|c: char| "'\"\\$`;&|<>()*?[]{}~#".contains(c)) {
                return None;
            }
            (value, &self.0[end..])
        };
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
            return None;
        }
        self.0 = rest.trim_start();
        Some(value.to_string())
    }

    /// Consumes `<<DELIM`, `<<'DELIM'` or `<<"DELIM"` and returns the delimiter.
    fn heredoc_start(&mut self) -> Option<String> {
        self.0 = self.0.strip_prefix("<<")?.trim_start();
        let delimiter = self.argument()?;
        let plain = !delimiter.is_empty()
            && delimiter
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        plain.then_some(delimiter)
    }
}
