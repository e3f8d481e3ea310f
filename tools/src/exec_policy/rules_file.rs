//! Saving an approved prefix: one `prefix_rule(pattern=[...], decision="allow")` line added to
//! a rules file, in the reference's spelling, unless the file already has that line.
//!
//! The file is replaced whole (a temp file renamed over it), so a reader never sees half a
//! line. Writers take an exclusive lock on the rules folder, and on the file itself, which is
//! what the reference locks when it appends: two servers (or a server and the reference)
//! adding rules at once each keep the other's line.

use std::fs::File;
use std::path::Path;

use super::render_prefix;

/// Why a rule could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("prefix rule requires at least one token")]
    EmptyPrefix,
    #[error("no rules file is known for this thread")]
    NoRulesFile,
    #[error("failed to update rules file {}: {source}", path.display())]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to update rules file: {0}")]
    Task(String),
}

/// The line that allows commands starting with `prefix`.
pub fn allow_rule_line(prefix: &[String]) -> String {
    format!(
        "prefix_rule(pattern={}, decision=\"allow\")",
        render_prefix(prefix)
    )
}

/// Adds the rule allowing `prefix` to the rules file at `path` (creating it and its folder),
/// unless the file already holds it. Blocking: file locks and IO.
pub fn append_allow_rule(path: &Path, prefix: &[String]) -> Result<(), AppendError> {
    if prefix.is_empty() {
        return Err(AppendError::EmptyPrefix);
    }
    let io_error = |source| AppendError::Io {
        path: path.to_path_buf(),
        source,
    };
    let line = allow_rule_line(prefix);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io_error)?;
    let dir_lock = File::open(dir).map_err(io_error)?;
    dir_lock.lock().map_err(io_error)?;
    // Held until the new file is in place; dropping a file releases its lock.
    let _file_lock = match File::open(path) {
        Ok(file) => {
            file.lock().map_err(io_error)?;
            Some(file)
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(io_error(err)),
    };
    let mut text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(err) => return Err(io_error(err)),
    };
    if text.lines().any(|existing| existing == line) {
        return Ok(());
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&line);
    text.push('\n');
    codex_utils_private_file::write_private_file(path, text.as_bytes()).map_err(io_error)
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::exec_policy::parse_rules;

    fn words(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn rules_are_appended_once_in_the_reference_spelling() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("rules").join("default.rules");
        append_allow_rule(&path, &words(&["touch"])).unwrap();
        append_allow_rule(&path, &words(&["git", "pull"])).unwrap();
        append_allow_rule(&path, &words(&["touch"])).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "prefix_rule(pattern=[\"touch\"], decision=\"allow\")\n\
             prefix_rule(pattern=[\"git\", \"pull\"], decision=\"allow\")\n"
        );
        assert_eq!(parse_rules(&text).unwrap().len(), 2);
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["default.rules"]);
    }

    #[test]
    fn a_file_without_a_final_newline_keeps_its_last_line_and_odd_words_survive() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("default.rules");
        std::fs::write(&path, "# mine\nprefix_rule(pattern=[\"ls\"])").unwrap();
        let odd = words(&["say", "\"quoted\" \\ and\nnewline", "é"]);
        append_allow_rule(&path, &odd).unwrap();
        let rules = parse_rules(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(rules.len(), 2);
        assert!(rules[1].matches(&odd));
        assert!(matches!(
            append_allow_rule(&path, &[]),
            Err(AppendError::EmptyPrefix)
        ));
    }
}
