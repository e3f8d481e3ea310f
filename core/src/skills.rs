//! The skills of a thread: those found for its working directory, with the config's
//! `[[skills.config]]` switches applied.

use std::path::Path;
use std::path::PathBuf;

use codex_config::ConfigToml;
use codex_protocol::protocol::SkillScope;
use codex_skills::SkillLoadOutcome;
use codex_skills::SkillRoot;

use crate::instructions;

/// The skills for `cwd`. `extra_user_roots` are more folders to search, with user scope.
pub fn skills_for_cwd(
    codex_home: &Path,
    config: &ConfigToml,
    cwd: &Path,
    extra_user_roots: &[PathBuf],
) -> SkillLoadOutcome {
    let project_root = instructions::project_root(cwd, &instructions::project_root_markers(config));
    let home = std::env::home_dir();
    let mut roots =
        codex_skills::skill_roots(codex_home, cwd, project_root.as_deref(), home.as_deref());
    roots.extend(extra_user_roots.iter().map(|path| SkillRoot {
        path: path.clone(),
        scope: SkillScope::User,
    }));
    let switches = config.skills.clone().unwrap_or_default();
    codex_skills::load_skills(&roots, |path| switches.is_disabled(path))
}
