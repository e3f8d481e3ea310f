//! What the model is told about skills: the list of available ones (added to the user
//! instructions), and the full text of a skill the user picked for a turn.

use codex_protocol::protocol::SkillMetadata;

/// The list is part of every request; past this many bytes the rest is only counted, so a
/// huge skill collection cannot crowd out the conversation.
const LIST_BUDGET: usize = 8000;

/// The "## Skills" section of the user instructions, or `None` without enabled skills.
pub fn skills_section<'a>(skills: impl IntoIterator<Item = &'a SkillMetadata>) -> Option<String> {
    let mut list = String::new();
    let mut left_out = 0;
    for skill in skills.into_iter().filter(|skill| skill.enabled) {
        let line = format!(
            "- {}: {} (file: {})\n",
            skill.name, skill.description, skill.path
        );
        if list.len() + line.len() > LIST_BUDGET {
            left_out += 1;
        } else {
            list.push_str(&line);
        }
    }
    if list.is_empty() && left_out == 0 {
        return None;
    }
    if left_out > 0 {
        list.push_str(&format!(
            "- ({left_out} more skills are installed but not listed, for lack of room.)\n"
        ));
    }
    Some(format!(
        "## Skills\n\
Skills are playbooks kept on this machine: each is a `SKILL.md` file, sometimes with scripts, \
references or assets in the same folder. These are available:\n\
{list}\
### Using a skill\n\
- Use a skill when the user names it (for example `$skill-name`) or when the task clearly fits \
its description. Use every skill that applies, for the turn that calls for it only.\n\
- Open its `SKILL.md` first and read only what the task needs. Relative paths in it are \
relative to the skill's folder.\n\
- Run or adapt the skill's scripts and templates rather than rewriting them, and open files \
under `references/` only when you need them.\n\
- Say in one short line which skill you are using. If a skill is missing or unreadable, say so \
briefly and carry on without it."
    ))
}

/// The user message that hands the model a skill's whole `SKILL.md` when the user attached
/// the skill to a turn. The tags are the reference's, so rollouts read the same in both.
pub fn skill_message(name: &str, path: &str, contents: &str) -> String {
    format!("<skill>\n<name>{name}</name>\n<path>{path}</path>\n{contents}\n</skill>")
}

#[cfg(test)]
mod tests {
    use codex_protocol::protocol::SkillScope;
    use pretty_assertions::assert_eq;

    use super::*;

    fn skill(name: &str, enabled: bool) -> SkillMetadata {
        SkillMetadata {
            name: name.to_owned(),
            description: format!("what {name} does"),
            short_description: None,
            interface: None,
            dependencies: None,
            path: format!("/skills/{name}/SKILL.md"),
            scope: SkillScope::User,
            enabled,
        }
    }

    #[test]
    fn lists_only_enabled_skills() {
        let section = skills_section(&[skill("on", true), skill("off", false)]).unwrap();
        assert!(section.starts_with("## Skills\n"));
        assert!(section.contains("- on: what on does (file: /skills/on/SKILL.md)\n"));
        assert!(!section.contains("off"));
        assert_eq!(skills_section(&[skill("off", false)]), None);
    }

    #[test]
    fn a_long_list_is_cut_and_counted() {
        let many: Vec<_> = (0..400)
            .map(|i| skill(&format!("skill-{i}"), true))
            .collect();
        let section = skills_section(&many).unwrap();
        assert!(section.len() < LIST_BUDGET + 2000);
        assert!(section.contains("more skills are installed but not listed"));
    }

    #[test]
    fn skill_message_wraps_the_file() {
        assert_eq!(
            skill_message("x", "/s/x/SKILL.md", "---\nname: x\n---\nbody\n"),
            "<skill>\n<name>x</name>\n<path>/s/x/SKILL.md</path>\n---\nname: x\n---\nbody\n\n</skill>"
        );
    }
}
