//! The execution policy: prefix rules that allow, prompt for or forbid commands, read from the
//! `rules/*.rules` files of the config folders (`$CODEX_HOME/rules/default.rules` is where an
//! approval "always allow commands starting with …" is written), and how a command fares
//! against them.
//!
//! A rule matches a command whose first words are its pattern; every matching rule counts, and
//! the strictest decision wins (`forbidden` over `prompt` over `allow`). A shell script of plain
//! commands (`bash -lc "a && b | c"`) is judged command by command. Commands no rule matches
//! are left to the approval policy, as before.

mod parser;
mod rules_file;

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use codex_utils_lock::lock;

pub use parser::ParseError;
pub use parser::parse_rules;
pub use rules_file::AppendError;
pub use rules_file::allow_rule_line;
pub use rules_file::append_allow_rule;

/// The folder of rules files inside a config folder, and their extension.
pub const RULES_DIR: &str = "rules";
const RULES_EXTENSION: &str = "rules";
/// The file approved prefixes are appended to, inside `$CODEX_HOME/rules`.
pub const DEFAULT_RULES_FILE: &str = "default.rules";

/// What a rule says about the commands it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    Allow,
    Prompt,
    Forbidden,
}

/// One word of a pattern: a word, or any of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternToken {
    Word(String),
    AnyOf(Vec<String>),
}

impl PatternToken {
    fn matches(&self, word: &str) -> bool {
        match self {
            PatternToken::Word(expected) => expected == word,
            PatternToken::AnyOf(words) => words.iter().any(|expected| expected == word),
        }
    }
}

/// `prefix_rule(pattern = [...], decision = ..., justification = ...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRule {
    pub pattern: Vec<PatternToken>,
    pub decision: Decision,
    pub justification: Option<String>,
}

impl PrefixRule {
    /// Whether `command` starts with this rule's pattern.
    pub fn matches(&self, command: &[String]) -> bool {
        command.len() >= self.pattern.len()
            && self
                .pattern
                .iter()
                .zip(command)
                .all(|(token, word)| token.matches(word))
    }
}

/// A rule that matched a command, with the words it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch {
    pub matched_prefix: Vec<String>,
    pub decision: Decision,
    pub justification: Option<String>,
}

/// The rules in force, in the order they were read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    rules: Vec<PrefixRule>,
}

impl Policy {
    pub fn new(rules: Vec<PrefixRule>) -> Policy {
        Policy { rules }
    }

    pub fn rules(&self) -> &[PrefixRule] {
        &self.rules
    }

    /// Every rule that matches `command`.
    pub fn matches(&self, command: &[String]) -> Vec<RuleMatch> {
        self.rules
            .iter()
            .filter(|rule| rule.matches(command))
            .map(|rule| RuleMatch {
                matched_prefix: command[..rule.pattern.len()].to_vec(),
                decision: rule.decision,
                justification: rule.justification.clone(),
            })
            .collect()
    }

    /// Adds a rule allowing commands that start with `prefix`.
    pub fn add_allow_prefix(&mut self, prefix: &[String]) {
        self.rules.push(PrefixRule {
            pattern: prefix
                .iter()
                .map(|word| PatternToken::Word(word.clone()))
                .collect(),
            decision: Decision::Allow,
            justification: None,
        });
    }

    /// The prefixes allowed outright (plain words, no alternatives), for telling the model.
    pub fn allowed_prefixes(&self) -> Vec<Vec<String>> {
        self.rules
            .iter()
            .filter(|rule| rule.decision == Decision::Allow)
            .filter_map(|rule| {
                rule.pattern
                    .iter()
                    .map(|token| match token {
                        PatternToken::Word(word) => Some(word.clone()),
                        PatternToken::AnyOf(_) => None,
                    })
                    .collect()
            })
            .collect()
    }
}

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read rules files from {}: {source}", dir.display())]
    ReadDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to read rules file {}: {source}", path.display())]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to parse rules file {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
}

/// Reads the `*.rules` files of each of `dirs` (by name within a folder, folders in the order
/// given). A folder that does not exist has no rules.
pub fn load_rules(dirs: &[PathBuf]) -> Result<Policy, LoadError> {
    let mut rules = Vec::new();
    for dir in dirs {
        for path in rules_files(dir)? {
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::ReadFile {
                path: path.clone(),
                source,
            })?;
            let parsed = parse_rules(&text).map_err(|source| LoadError::Parse { path, source })?;
            rules.extend(parsed);
        }
    }
    Ok(Policy::new(rules))
}

fn rules_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let read_error = |source| LoadError::ReadDir {
        dir: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(read_error(err)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(read_error)?.path();
        if path.extension().is_some_and(|ext| ext == RULES_EXTENSION) && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// `["git", "pull"]`: a prefix as the rules file and the model's messages spell it.
pub fn render_prefix(prefix: &[String]) -> String {
    let words: Vec<String> = prefix
        .iter()
        .map(|word| serde_json::to_string(word).unwrap_or_else(|_| format!("{word:?}")))
        .collect();
    format!("[{}]", words.join(", "))
}

/// A thread's policy and where approvals are saved. Empty (and nowhere to save) until the
/// agent installs the thread's rules.
#[derive(Default)]
pub(crate) struct ExecPolicyState {
    policy: Mutex<Arc<Policy>>,
    rules_file: Mutex<Option<PathBuf>>,
}

impl ExecPolicyState {
    pub(crate) fn install(&self, policy: Policy, rules_file: PathBuf) {
        *lock(&self.policy) = Arc::new(policy);
        *lock(&self.rules_file) = Some(rules_file);
    }

    pub(crate) fn current(&self) -> Arc<Policy> {
        lock(&self.policy).clone()
    }

    /// Saves a rule allowing `prefix` to the rules file, then adds it to the policy in force.
    pub(crate) async fn allow_prefix(&self, prefix: &[String]) -> Result<(), AppendError> {
        let path = lock(&self.rules_file)
            .clone()
            .ok_or(AppendError::NoRulesFile)?;
        let words = prefix.to_vec();
        tokio::task::spawn_blocking(move || append_allow_rule(&path, &words))
            .await
            .map_err(|err| AppendError::Task(err.to_string()))??;
        let mut policy = lock(&self.policy);
        let mut updated = Policy::clone(&policy);
        updated.add_allow_prefix(prefix);
        *policy = Arc::new(updated);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn words(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn every_matching_rule_counts_with_the_words_it_matched() {
        let policy = Policy::new(
            parse_rules(
                "prefix_rule(pattern=[\"git\", [\"status\", \"log\"]])\n\
                 prefix_rule(pattern=[\"git\"], decision=\"prompt\", justification=\"careful\")",
            )
            .unwrap(),
        );
        assert_eq!(
            policy.matches(&words(&["git", "log", "-1"])),
            vec![
                RuleMatch {
                    matched_prefix: words(&["git", "log"]),
                    decision: Decision::Allow,
                    justification: None,
                },
                RuleMatch {
                    matched_prefix: words(&["git"]),
                    decision: Decision::Prompt,
                    justification: Some("careful".into()),
                },
            ]
        );
        assert_eq!(policy.matches(&words(&["gitk"])), Vec::new());
        assert_eq!(policy.matches(&words(&["git"])).len(), 1);
        assert_eq!(policy.allowed_prefixes(), Vec::<Vec<String>>::new());
    }

    #[test]
    fn rules_load_from_every_folder_by_file_name_and_errors_name_the_file() {
        let home = tempfile::tempdir().unwrap();
        let project = tempfile::tempdir().unwrap();
        let rules = home.path().join(RULES_DIR);
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(rules.join("b.rules"), "prefix_rule(pattern=[\"b\"])\n").unwrap();
        std::fs::write(rules.join("a.rules"), "prefix_rule(pattern=[\"a\"])\n").unwrap();
        std::fs::write(rules.join("notes.txt"), "not rules").unwrap();
        let dirs = vec![rules.clone(), project.path().join(RULES_DIR)];
        let policy = load_rules(&dirs).unwrap();
        assert_eq!(
            policy.allowed_prefixes(),
            vec![words(&["a"]), words(&["b"])]
        );

        std::fs::write(rules.join("c.rules"), "prefix_rule(pattern=[\"c\"]\n").unwrap();
        let error = load_rules(&dirs).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "failed to parse rules file {}: 2:1: unexpected end of file, expected `,` or `)`",
                rules.join("c.rules").display()
            )
        );
    }

    #[test]
    fn prefixes_render_as_json_words() {
        assert_eq!(render_prefix(&words(&["touch"])), r#"["touch"]"#);
        assert_eq!(
            render_prefix(&words(&["say", "\"hi\""])),
            r#"["say", "\"hi\""]"#
        );
    }
}
