//! The feature flags a config can switch with `[features] NAME = true|false` (or `--enable` /
//! `--disable`), in the order and with the texts of codex-cli 0.101.0, which clients show.

use std::collections::BTreeMap;

/// How far along a feature is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Beta,
    UnderDevelopment,
    Stable,
    Deprecated,
    Removed,
}

/// What a beta feature tells users about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presentation {
    pub display_name: &'static str,
    pub description: &'static str,
    pub announcement: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    pub name: &'static str,
    pub stage: Stage,
    pub default_enabled: bool,
    pub presentation: Option<Presentation>,
}

const fn feature(name: &'static str, stage: Stage, default_enabled: bool) -> Feature {
    Feature {
        name,
        stage,
        default_enabled,
        presentation: None,
    }
}

const fn beta(name: &'static str, presentation: Presentation) -> Feature {
    Feature {
        name,
        stage: Stage::Beta,
        default_enabled: false,
        presentation: Some(presentation),
    }
}

/// Every feature, in the order `experimentalFeature/list` pages through them.
pub const FEATURES: &[Feature] = &[
    feature("undo", Stage::Stable, false),
    feature("shell_tool", Stage::Stable, true),
    feature("unified_exec", Stage::Stable, true),
    feature("shell_snapshot", Stage::Stable, true),
    feature("js_repl", Stage::UnderDevelopment, false),
    feature("web_search_request", Stage::Deprecated, false),
    feature("web_search_cached", Stage::Deprecated, false),
    feature("search_tool", Stage::Removed, false),
    feature("runtime_metrics", Stage::UnderDevelopment, false),
    feature("sqlite", Stage::UnderDevelopment, false),
    feature("memory_tool", Stage::UnderDevelopment, false),
    feature("child_agents_md", Stage::UnderDevelopment, false),
    feature("apply_patch_freeform", Stage::UnderDevelopment, false),
    beta(
        "use_linux_sandbox_bwrap",
        Presentation {
            display_name: "Bubblewrap sandbox",
            description: "Try the new linux sandbox based on bubblewrap.",
            announcement: "NEW: Linux bubblewrap sandbox offers stronger filesystem and network \
                           controls than Landlock alone, including keeping .git and .codex \
                           read-only inside writable workspaces. Enable it in /experimental and \
                           restart Codex to try it.",
        },
    ),
    feature("request_rule", Stage::Stable, true),
    feature("experimental_windows_sandbox", Stage::Removed, false),
    feature("elevated_windows_sandbox", Stage::Removed, false),
    feature("remote_models", Stage::Stable, true),
    feature("powershell_utf8", Stage::UnderDevelopment, false),
    feature("enable_request_compression", Stage::Stable, true),
    beta(
        "collab",
        Presentation {
            display_name: "Sub-agents",
            description: "Ask Codex to spawn multiple agents to parallelize the work and win in \
                          efficiency.",
            announcement: "NEW: Sub-agents can now be spawned by Codex. Enable in /experimental \
                           and restart Codex!",
        },
    ),
    beta(
        "apps",
        Presentation {
            display_name: "Apps",
            description: "Use a connected ChatGPT App using \"$\". Install Apps via /apps \
                          command. Restart Codex after enabling.",
            announcement: "NEW: Use ChatGPT Apps (Connectors) in Codex via $ mentions. Enable in \
                           /experimental and restart Codex!",
        },
    ),
    feature("skill_mcp_dependency_install", Stage::Stable, true),
    feature(
        "skill_env_var_dependency_prompt",
        Stage::UnderDevelopment,
        false,
    ),
    feature("steer", Stage::Stable, true),
    feature("collaboration_modes", Stage::Stable, true),
    feature("personality", Stage::Stable, true),
    feature("responses_websockets", Stage::UnderDevelopment, false),
    feature("responses_websockets_v2", Stage::UnderDevelopment, false),
];

/// Whether each feature is on, given a config's `[features]` table: as set there, else its
/// default. Names the table has that no feature answers to are returned second.
pub fn resolve(features: &BTreeMap<String, bool>) -> (Vec<(Feature, bool)>, Vec<String>) {
    let states = FEATURES
        .iter()
        .map(|feature| {
            let enabled = features
                .get(feature.name)
                .copied()
                .unwrap_or(feature.default_enabled);
            (*feature, enabled)
        })
        .collect();
    let unknown = features
        .keys()
        .filter(|name| !FEATURES.iter().any(|feature| feature.name == name.as_str()))
        .cloned()
        .collect();
    (states, unknown)
}

/// Whether the feature `name` is on, given a config's `[features]` table: as set there, else
/// its default; a name no feature answers to is off.
pub fn is_enabled(features: &BTreeMap<String, bool>, name: &str) -> bool {
    features.get(name).copied().unwrap_or_else(|| {
        FEATURES
            .iter()
            .any(|feature| feature.name == name && feature.default_enabled)
    })
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn configured_values_win_over_defaults_and_unknown_names_are_reported() {
        let configured = BTreeMap::from([
            ("undo".to_owned(), true),
            ("shell_tool".to_owned(), false),
            ("bogus".to_owned(), true),
        ]);
        let (states, unknown) = resolve(&configured);
        let enabled = |name: &str| {
            states
                .iter()
                .find(|(feature, _)| feature.name == name)
                .map(|(_, enabled)| *enabled)
        };
        assert_eq!(enabled("undo"), Some(true));
        assert_eq!(enabled("shell_tool"), Some(false));
        assert_eq!(enabled("unified_exec"), Some(true));
        assert_eq!(enabled("collab"), Some(false));
        assert_eq!(unknown, vec!["bogus".to_owned()]);
        assert_eq!(states.len(), 29);
        for (feature, enabled) in states {
            assert_eq!(
                is_enabled(&configured, feature.name),
                enabled,
                "{}",
                feature.name
            );
        }
        assert!(!is_enabled(&BTreeMap::new(), "apps"));
        assert!(!is_enabled(&BTreeMap::new(), "bogus"));
    }
}
