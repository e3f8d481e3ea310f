//! Skills as `skills/list` shows them.

use codex_app_server_protocol::v2;
use codex_protocol::protocol as core_skills;
use codex_skills::SkillLoadOutcome;

/// The skills found for one working directory, and the problems met finding them.
pub(crate) fn list_entry(cwd: String, outcome: SkillLoadOutcome) -> v2::SkillsListEntry {
    v2::SkillsListEntry {
        cwd,
        skills: outcome.skills.into_iter().map(skill).collect(),
        errors: outcome
            .errors
            .into_iter()
            .map(|error| v2::SkillErrorInfo {
                path: error.path,
                message: error.message,
            })
            .collect(),
    }
}

fn skill(skill: core_skills::SkillMetadata) -> v2::SkillMetadata {
    v2::SkillMetadata {
        name: skill.name,
        description: skill.description,
        short_description: skill.short_description,
        interface: skill.interface.map(|interface| v2::SkillInterface {
            display_name: interface.display_name,
            short_description: interface.short_description,
            icon_small: interface.icon_small,
            icon_large: interface.icon_large,
            brand_color: interface.brand_color,
            default_prompt: interface.default_prompt,
        }),
        dependencies: skill
            .dependencies
            .map(|dependencies| v2::SkillDependencies {
                tools: dependencies
                    .tools
                    .into_iter()
                    .map(|tool| v2::SkillToolDependency {
                        r#type: tool.r#type,
                        value: tool.value,
                        description: tool.description,
                        transport: tool.transport,
                        command: tool.command,
                        url: tool.url,
                    })
                    .collect(),
            }),
        path: skill.path,
        scope: match skill.scope {
            core_skills::SkillScope::User => v2::SkillScope::User,
            core_skills::SkillScope::Repo => v2::SkillScope::Repo,
            core_skills::SkillScope::System => v2::SkillScope::System,
            core_skills::SkillScope::Admin => v2::SkillScope::Admin,
        },
        enabled: skill.enabled,
    }
}
