//! A thread's execution policy: the prefix rules of every config folder the thread's config
//! was read from (`/etc/codex/rules`, `$CODEX_HOME/rules`, the trusted projects'
//! `.codex/rules`), read when the thread loads. The tools apply them and append approved
//! prefixes to `$CODEX_HOME/rules/default.rules`, so a rule holds from then on in this thread,
//! in threads started later and after a restart.

use std::path::Path;
use std::path::PathBuf;

use codex_config::ConfigLayerStack;
use codex_config::ConfigWarning;
use codex_config::LayerSource;
use codex_config::TextPosition;
use codex_config::TextRange;
use codex_tools::exec_policy;
use codex_tools::exec_policy::LoadError;
use codex_tools::exec_policy::Policy;

/// Where the rules of `codex_home` and `stack` live, lowest precedence first.
fn rules_dirs(codex_home: &Path, stack: &ConfigLayerStack) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let home_rules = codex_home.join(exec_policy::RULES_DIR);
    for layer in stack.layers().iter().filter(|layer| layer.is_enabled()) {
        let folder = match &layer.source {
            LayerSource::System { file } | LayerSource::User { file } => {
                file.as_path().parent().map(Path::to_path_buf)
            }
            LayerSource::Project { dot_codex_folder } => Some(dot_codex_folder.to_path_buf()),
            LayerSource::Mdm { .. }
            | LayerSource::SessionFlags
            | LayerSource::LegacyManagedConfigTomlFromFile { .. }
            | LayerSource::LegacyManagedConfigTomlFromMdm => None,
        };
        if let Some(dir) = folder.map(|folder| folder.join(exec_policy::RULES_DIR))
            && !dirs.contains(&dir)
        {
            dirs.push(dir);
        }
    }
    // Approvals are saved under `$CODEX_HOME` even when its config file is missing or broken.
    if !dirs.contains(&home_rules) {
        dirs.push(home_rules);
    }
    dirs
}

/// The thread's policy and the file approved prefixes go to. A rules file that does not
/// parse leaves every custom rule out (with a warning in the log), as the reference does; one
/// that cannot be read fails the load.
pub(crate) fn load(
    codex_home: &Path,
    stack: &ConfigLayerStack,
) -> Result<(Policy, PathBuf), LoadError> {
    let rules_file = codex_home
        .join(exec_policy::RULES_DIR)
        .join(exec_policy::DEFAULT_RULES_FILE);
    match exec_policy::load_rules(&rules_dirs(codex_home, stack)) {
        Ok(policy) => Ok((policy, rules_file)),
        Err(err @ LoadError::Parse { .. }) => {
            tracing::warn!("custom rules not applied: {err}");
            Ok((Policy::default(), rules_file))
        }
        Err(err) => Err(err),
    }
}

/// The `configWarning` the reference gives at startup when a rules file does not parse
/// (`Error parsing rules; custom rules not applied.`, with the file and the place); `None`
/// when every rules file of `stack`'s folders parses (or cannot be read: that fails the thread
/// instead). The range covers the first character of the offending text.
pub fn rules_warning(codex_home: &Path, stack: &ConfigLayerStack) -> Option<ConfigWarning> {
    let Err(err @ LoadError::Parse { .. }) =
        exec_policy::load_rules(&rules_dirs(codex_home, stack))
    else {
        return None;
    };
    let LoadError::Parse { path, source } = &err else {
        return None;
    };
    let start = TextPosition {
        line: source.line,
        column: source.column,
    };
    let end = TextPosition {
        line: source.line,
        column: source.column + 1,
    };
    Some(ConfigWarning {
        summary: "Error parsing rules; custom rules not applied.".to_owned(),
        details: Some(err.to_string()),
        path: Some(path.display().to_string()),
        range: Some(TextRange { start, end }),
    })
}

#[cfg(test)]
mod tests {
    use codex_config::ConfigPaths;
    use codex_config::ConfigService;
    use codex_config::SessionFlags;
    use codex_utils_absolute_path::AbsolutePathBuf;
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn a_rules_file_that_does_not_parse_is_a_warning_and_no_rules() {
        let home = tempfile::tempdir().unwrap();
        let rules = home.path().join("rules");
        std::fs::create_dir_all(&rules).unwrap();
        std::fs::write(
            rules.join("default.rules"),
            "prefix_rule(pattern=[\"ls\"])\n",
        )
        .unwrap();
        let paths = ConfigPaths {
            codex_home: AbsolutePathBuf::from_absolute_path(home.path()).unwrap(),
            system_dir: AbsolutePathBuf::from_absolute_path(home.path().join("no-system")).unwrap(),
        };
        let service = ConfigService::new(paths, SessionFlags::default()).unwrap();
        let stack = service.load(None);
        let (policy, file) = load(home.path(), &stack).unwrap();
        assert_eq!(policy.allowed_prefixes(), vec![vec!["ls".to_owned()]]);
        assert_eq!(file, rules.join("default.rules"));
        assert_eq!(rules_warning(home.path(), &stack), None);

        std::fs::write(
            rules.join("default.rules"),
            "prefix_rule(pattern=[\"ls\"])\nx()\n",
        )
        .unwrap();
        let (policy, _) = load(home.path(), &stack).unwrap();
        assert_eq!(policy, Policy::default());
        let warning = rules_warning(home.path(), &stack).unwrap();
        let path = rules.join("default.rules").display().to_string();
        assert_eq!(
            warning,
            ConfigWarning {
                summary: "Error parsing rules; custom rules not applied.".to_owned(),
                details: Some(format!(
                    "failed to parse rules file {path}: 2:1: only prefix_rule(...) is supported, found `x`"
                )),
                path: Some(path),
                range: Some(TextRange {
                    start: TextPosition { line: 2, column: 1 },
                    end: TextPosition { line: 2, column: 2 },
                }),
            }
        );
    }
}
