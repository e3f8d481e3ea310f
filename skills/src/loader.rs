//! Finding skills on disk and reading their metadata.
//!
//! A skill is a folder with a `SKILL.md` whose YAML front matter names and describes it, and an
//! optional `agents/openai.yaml` with what a client shows for it (display name, icons, ...)
//! and the tools it depends on. Skills are looked for under a list of roots, each with the
//! scope it gives its skills; folders are searched recursively, hidden ones skipped.

use std::collections::HashSet;
use std::path::Path;
use std::path::PathBuf;

use codex_protocol::protocol::SkillDependencies;
use codex_protocol::protocol::SkillErrorInfo;
use codex_protocol::protocol::SkillInterface;
use codex_protocol::protocol::SkillMetadata;
use codex_protocol::protocol::SkillScope;
use codex_protocol::protocol::SkillToolDependency;
use serde::Deserialize;

/// The file that makes a folder a skill.
pub const SKILL_FILE: &str = "SKILL.md";

/// How deep below a root a skill may sit, and how many folders one load looks at: a root that
/// points at a huge tree (a home folder, say) costs a bounded scan, not a hang.
const MAX_DEPTH: usize = 6;
const MAX_FOLDERS: usize = 4000;

/// A folder searched for skills, and the scope of what is found there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillRoot {
    pub path: PathBuf,
    pub scope: SkillScope,
}

/// What one load found: the skills, sorted for display, and the `SKILL.md` files that could
/// not be read as skills.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SkillLoadOutcome {
    pub skills: Vec<SkillMetadata>,
    pub errors: Vec<SkillErrorInfo>,
}

impl SkillLoadOutcome {
    /// The skills the model may use.
    pub fn enabled(&self) -> impl Iterator<Item = &SkillMetadata> {
        self.skills.iter().filter(|skill| skill.enabled)
    }
}

/// Where skills live for a thread working in `cwd`:
/// - repo: `.codex/skills` and `.agents/skills` in `cwd` and each parent up to the project root
///   (only `cwd` outside a project);
/// - user: `$CODEX_HOME/skills` (its hidden `.system` folder excluded) and `~/.agents/skills`;
/// - system: the bundled skills, installed in `$CODEX_HOME/skills/.system`;
/// - admin: `/etc/codex/skills`.
pub fn skill_roots(
    codex_home: &Path,
    cwd: &Path,
    project_root: Option<&Path>,
    home: Option<&Path>,
) -> Vec<SkillRoot> {
    let mut roots = Vec::new();
    let top = project_root.unwrap_or(cwd);
    for dir in cwd.ancestors().take_while(|dir| dir.starts_with(top)) {
        for folder in [".codex", ".agents"] {
            roots.push(SkillRoot {
                path: dir.join(folder).join("skills"),
                scope: SkillScope::Repo,
            });
        }
    }
    roots.push(SkillRoot {
        path: codex_home.join("skills"),
        scope: SkillScope::User,
    });
    if let Some(home) = home {
        roots.push(SkillRoot {
            path: home.join(".agents").join("skills"),
            scope: SkillScope::User,
        });
    }
    roots.push(SkillRoot {
        path: crate::system::system_skills_dir(codex_home),
        scope: SkillScope::System,
    });
    roots.push(SkillRoot {
        path: PathBuf::from("/etc/codex/skills"),
        scope: SkillScope::Admin,
    });
    roots
}

/// Loads the skills under `roots`. `is_disabled` says which `SKILL.md` paths the config turned
/// off; they are still listed, with `enabled: false`. A skill reachable from two roots (through
/// a symlink, or nested roots) is listed once, under the first.
pub fn load_skills(roots: &[SkillRoot], is_disabled: impl Fn(&Path) -> bool) -> SkillLoadOutcome {
    let mut outcome = SkillLoadOutcome::default();
    let mut seen = HashSet::new();
    let mut budget = MAX_FOLDERS;
    for root in roots {
        let mut found = Vec::new();
        find_skill_files(&root.path, 0, &mut budget, &mut found);
        for file in found {
            let identity = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            if !seen.insert(identity) {
                continue;
            }
            match read_skill(&file, root.scope) {
                Ok(mut skill) => {
                    skill.enabled = !is_disabled(&file);
                    outcome.skills.push(skill);
                }
                Err(message) => outcome.errors.push(SkillErrorInfo {
                    path: file.display().to_string(),
                    message,
                }),
            }
        }
    }
    outcome.skills.sort_by(|a, b| {
        (scope_rank(a.scope), &a.name, &a.path).cmp(&(scope_rank(b.scope), &b.name, &b.path))
    });
    outcome
}

/// Repo skills first (the most specific), then the user's, the bundled ones and the admin's.
fn scope_rank(scope: SkillScope) -> u8 {
    match scope {
        SkillScope::Repo => 0,
        SkillScope::User => 1,
        SkillScope::System => 2,
        SkillScope::Admin => 3,
    }
}

/// Collects the `SKILL.md` files under `dir`. A folder holding one is a skill and is not
/// searched further: its subfolders are the skill's own resources.
fn find_skill_files(dir: &Path, depth: usize, budget: &mut usize, found: &mut Vec<PathBuf>) {
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    let skill_file = dir.join(SKILL_FILE);
    if depth > 0 && skill_file.is_file() {
        found.push(skill_file);
        return;
    }
    if depth >= MAX_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| entry.path())
        // Follows symlinks: a linked skill folder counts like a real one.
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        find_skill_files(&folder, depth + 1, budget, found);
    }
}

#[derive(Deserialize)]
struct FrontMatter {
    name: String,
    description: String,
    #[serde(default)]
    metadata: Option<FrontMatterMetadata>,
}

#[derive(Deserialize)]
struct FrontMatterMetadata {
    #[serde(default, rename = "short-description")]
    short_description: Option<String>,
}

/// `agents/openai.yaml`.
#[derive(Deserialize, Default)]
struct AgentMetadata {
    #[serde(default)]
    interface: Option<InterfaceYaml>,
    #[serde(default)]
    dependencies: Option<DependenciesYaml>,
}

#[derive(Deserialize)]
struct InterfaceYaml {
    display_name: Option<String>,
    short_description: Option<String>,
    icon_small: Option<String>,
    icon_large: Option<String>,
    brand_color: Option<String>,
    default_prompt: Option<String>,
}

#[derive(Deserialize)]
struct DependenciesYaml {
    #[serde(default)]
    tools: Vec<ToolDependencyYaml>,
}

#[derive(Deserialize)]
struct ToolDependencyYaml {
    #[serde(rename = "type")]
    kind: String,
    value: String,
    description: Option<String>,
    transport: Option<String>,
    command: Option<String>,
    url: Option<String>,
}

/// Reads one skill. The error is the message a client sees next to the file.
fn read_skill(file: &Path, scope: SkillScope) -> Result<SkillMetadata, String> {
    let text = std::fs::read_to_string(file).map_err(|err| format!("cannot read file: {err}"))?;
    let yaml = front_matter(&text).ok_or("missing YAML frontmatter delimited by ---")?;
    let front: FrontMatter =
        serde_yaml_ng::from_str(yaml).map_err(|err| format!("invalid YAML: {err}"))?;
    let name = front.name.trim();
    if name.is_empty() {
        return Err("invalid YAML: `name` must not be empty".to_owned());
    }
    let description = front.description.trim();
    if description.is_empty() {
        return Err("invalid YAML: `description` must not be empty".to_owned());
    }
    let folder = file.parent().unwrap_or(Path::new("/"));
    let agent = read_agent_metadata(folder);
    Ok(SkillMetadata {
        name: name.to_owned(),
        description: description.to_owned(),
        short_description: front.metadata.and_then(|meta| meta.short_description),
        interface: agent.interface.map(|interface| SkillInterface {
            display_name: interface.display_name,
            short_description: interface.short_description,
            icon_small: interface.icon_small.map(|icon| resolve(folder, &icon)),
            icon_large: interface.icon_large.map(|icon| resolve(folder, &icon)),
            brand_color: interface.brand_color,
            default_prompt: interface.default_prompt,
        }),
        dependencies: agent.dependencies.map(|deps| SkillDependencies {
            tools: deps
                .tools
                .into_iter()
                .map(|tool| SkillToolDependency {
                    r#type: tool.kind,
                    value: tool.value,
                    description: tool.description,
                    transport: tool.transport,
                    command: tool.command,
                    url: tool.url,
                })
                .collect(),
        }),
        path: file.display().to_string(),
        scope,
        enabled: true,
    })
}

/// The YAML between a leading `---` line and the next `---` line.
fn front_matter(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let start = text.find('\n')? + 1;
    let mut offset = start;
    for line in lines {
        if line.trim_end() == "---" {
            return Some(&text[start..offset]);
        }
        offset += line.len();
    }
    None
}

/// `agents/openai.yaml` of a skill folder. It only decorates a skill, so a broken one is
/// logged and ignored rather than hiding the skill.
fn read_agent_metadata(folder: &Path) -> AgentMetadata {
    let path = folder.join("agents").join("openai.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return AgentMetadata::default();
    };
    serde_yaml_ng::from_str(&text).unwrap_or_else(|err| {
        tracing::warn!("ignoring {}: {err}", path.display());
        AgentMetadata::default()
    })
}

/// An icon path from `openai.yaml`, relative to the skill folder unless absolute.
fn resolve(folder: &Path, relative: &str) -> String {
    let relative = relative.strip_prefix("./").unwrap_or(relative);
    folder.join(relative).display().to_string()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn skill(dir: &Path, name: &str, description: &str) -> PathBuf {
        let file = dir.join(SKILL_FILE);
        write(
            &file,
            &format!("---\nname: {name}\ndescription: {description}\n---\n\nBody\n"),
        );
        file
    }

    fn root(path: &Path, scope: SkillScope) -> SkillRoot {
        SkillRoot {
            path: path.to_path_buf(),
            scope,
        }
    }

    #[test]
    fn finds_nested_skills_sorted_by_scope_then_name_and_skips_hidden_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let user = tmp.path().join("user");
        let repo = tmp.path().join("repo");
        skill(&user.join("zeta"), "zeta", "last by name");
        skill(&user.join("group").join("alpha"), "alpha", "nested");
        skill(
            &user.join(".system").join("hidden"),
            "hidden",
            "not a user skill",
        );
        skill(&repo.join("omega"), "omega", "repo first");

        let outcome = load_skills(
            &[root(&user, SkillScope::User), root(&repo, SkillScope::Repo)],
            |_| false,
        );
        let listed: Vec<_> = outcome
            .skills
            .iter()
            .map(|skill| (skill.name.as_str(), skill.scope))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("omega", SkillScope::Repo),
                ("alpha", SkillScope::User),
                ("zeta", SkillScope::User),
            ]
        );
        assert!(outcome.errors.is_empty());
    }

    #[test]
    fn broken_skill_files_are_reported_with_their_path() {
        let tmp = tempfile::tempdir().unwrap();
        let no_front = tmp.path().join("a").join(SKILL_FILE);
        write(&no_front, "just text\n");
        let unclosed = tmp.path().join("b").join(SKILL_FILE);
        write(&unclosed, "---\nname: b\ndescription: never closed\n");
        let missing = tmp.path().join("c").join(SKILL_FILE);
        write(&missing, "---\nname: c\n---\n");
        let empty = tmp.path().join("d").join(SKILL_FILE);
        write(&empty, "---\nname: ' '\ndescription: x\n---\n");

        let outcome = load_skills(&[root(tmp.path(), SkillScope::User)], |_| false);
        assert!(outcome.skills.is_empty());
        let errors: Vec<_> = outcome
            .errors
            .iter()
            .map(|error| (error.path.clone(), error.message.clone()))
            .collect();
        assert_eq!(
            errors,
            vec![
                (
                    no_front.display().to_string(),
                    "missing YAML frontmatter delimited by ---".to_owned()
                ),
                (
                    unclosed.display().to_string(),
                    "missing YAML frontmatter delimited by ---".to_owned()
                ),
                (
                    missing.display().to_string(),
                    "invalid YAML: missing field `description`".to_owned()
                ),
                (
                    empty.display().to_string(),
                    "invalid YAML: `name` must not be empty".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn reads_short_description_interface_and_dependencies() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("meta");
        write(
            &dir.join(SKILL_FILE),
            "---\r\nname: meta\r\ndescription: with metadata\r\nmetadata:\r\n  short-description: short\r\n---\r\nBody\r\n",
        );
        write(
            &dir.join("agents").join("openai.yaml"),
            "interface:\n  display_name: \"Meta\"\n  icon_small: \"./assets/m.svg\"\n  brand_color: \"#123456\"\ndependencies:\n  tools:\n    - type: mcp\n      value: github\n      description: GitHub access\n",
        );
        let outcome = load_skills(&[root(tmp.path(), SkillScope::User)], |path| {
            path.ends_with("meta/SKILL.md")
        });
        let skill = &outcome.skills[0];
        assert_eq!(skill.short_description.as_deref(), Some("short"));
        assert!(!skill.enabled);
        let interface = skill.interface.as_ref().unwrap();
        assert_eq!(interface.display_name.as_deref(), Some("Meta"));
        assert_eq!(
            interface.icon_small.as_deref(),
            Some(dir.join("assets/m.svg").display().to_string().as_str())
        );
        assert_eq!(interface.icon_large, None);
        assert_eq!(interface.brand_color.as_deref(), Some("#123456"));
        let tools = &skill.dependencies.as_ref().unwrap().tools;
        assert_eq!(tools[0].r#type, "mcp");
        assert_eq!(tools[0].value, "github");
        assert_eq!(tools[0].description.as_deref(), Some("GitHub access"));
    }

    #[test]
    fn a_broken_openai_yaml_leaves_the_skill_without_interface() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        skill(&dir, "s", "fine");
        write(
            &dir.join("agents").join("openai.yaml"),
            "interface: [unclosed\n",
        );
        let outcome = load_skills(&[root(tmp.path(), SkillScope::User)], |_| false);
        assert_eq!(outcome.skills.len(), 1);
        assert_eq!(outcome.skills[0].interface, None);
    }

    #[test]
    fn a_skill_reached_twice_is_listed_once() {
        let tmp = tempfile::tempdir().unwrap();
        skill(&tmp.path().join("inner").join("one"), "one", "x");
        let outcome = load_skills(
            &[
                root(&tmp.path().join("inner"), SkillScope::Repo),
                root(tmp.path(), SkillScope::User),
            ],
            |_| false,
        );
        assert_eq!(outcome.skills.len(), 1);
        assert_eq!(outcome.skills[0].scope, SkillScope::Repo);
    }

    #[test]
    fn roots_walk_from_cwd_up_to_the_project_root() {
        let roots = skill_roots(
            Path::new("/home/u/.codex"),
            Path::new("/src/proj/sub"),
            Some(Path::new("/src/proj")),
            Some(Path::new("/home/u")),
        );
        let paths: Vec<_> = roots
            .iter()
            .map(|root| (root.path.display().to_string(), root.scope))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("/src/proj/sub/.codex/skills".to_owned(), SkillScope::Repo),
                ("/src/proj/sub/.agents/skills".to_owned(), SkillScope::Repo),
                ("/src/proj/.codex/skills".to_owned(), SkillScope::Repo),
                ("/src/proj/.agents/skills".to_owned(), SkillScope::Repo),
                ("/home/u/.codex/skills".to_owned(), SkillScope::User),
                ("/home/u/.agents/skills".to_owned(), SkillScope::User),
                (
                    "/home/u/.codex/skills/.system".to_owned(),
                    SkillScope::System
                ),
                ("/etc/codex/skills".to_owned(), SkillScope::Admin),
            ]
        );
    }
}
