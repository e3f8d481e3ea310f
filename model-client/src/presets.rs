//! The models built into the binary that a client can offer its user: what `model/list` shows
//! when no list comes from the backend (offline, and for API-key accounts).
//!
//! The entries, their order and their settings are those codex-cli 0.101.0 lists in that case;
//! the descriptions are our own words. The first entry is the default model.
//!
//! ```
//! use codex_model_client::presets::builtin_presets;
//!
//! let default = &builtin_presets()[0];
//! assert_eq!(default.slug, "gpt-5.2-codex");
//! ```

use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::openai_models::InputModality;

/// One model on offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPreset {
    /// The model's name as the API takes it, which is also its id in the list.
    pub slug: &'static str,
    /// The name to show.
    pub display_name: &'static str,
    /// One line about what the model is good for.
    pub description: &'static str,
    /// The model a client should suggest moving to, if any.
    pub upgrade: Option<&'static str>,
    /// The reasoning efforts the model accepts, least first.
    pub reasoning_efforts: &'static [EffortPreset],
    /// The effort used when none is chosen; always one of `reasoning_efforts`.
    pub default_reasoning_effort: ReasoningEffort,
    /// What the model accepts as input.
    pub input_modalities: &'static [InputModality],
    /// Whether the model follows the `personality` setting.
    pub supports_personality: bool,
    /// Where the model sorts among the models the backend offers a ChatGPT account (lowest
    /// first): the reference's priorities, so a remote model lands where it does there.
    pub priority: i32,
}

/// A reasoning effort a model accepts, with a line saying what choosing it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffortPreset {
    pub effort: ReasoningEffort,
    pub description: &'static str,
}

/// The built-in models in the order they are listed; the first is the default.
pub fn builtin_presets() -> &'static [ModelPreset] {
    PRESETS
}

const LOW: EffortPreset = EffortPreset {
    effort: ReasoningEffort::Low,
    description: "Quicker answers with less thinking",
};
const MEDIUM: EffortPreset = EffortPreset {
    effort: ReasoningEffort::Medium,
    description: "A balance of speed and depth for everyday work",
};
const HIGH: EffortPreset = EffortPreset {
    effort: ReasoningEffort::High,
    description: "More thinking for harder problems",
};
const XHIGH: EffortPreset = EffortPreset {
    effort: ReasoningEffort::Xhigh,
    description: "The most thinking, for the hardest problems",
};

const TEXT_AND_IMAGE: &[InputModality] = &[InputModality::Text, InputModality::Image];

/// What every built-in model would be upgraded to.
const UPGRADE: Option<&str> = Some("gpt-5.3-codex");

const PRESETS: &[ModelPreset] = &[
    ModelPreset {
        slug: "gpt-5.2-codex",
        display_name: "gpt-5.2-codex",
        description: "The newest Codex model, built for agentic coding.",
        upgrade: UPGRADE,
        reasoning_efforts: &[LOW, MEDIUM, HIGH, XHIGH],
        default_reasoning_effort: ReasoningEffort::Medium,
        input_modalities: TEXT_AND_IMAGE,
        supports_personality: true,
        priority: 1,
    },
    ModelPreset {
        slug: "gpt-5.1-codex-max",
        display_name: "gpt-5.1-codex-max",
        description: "Codex model for long, deep coding sessions.",
        upgrade: UPGRADE,
        reasoning_efforts: &[LOW, MEDIUM, HIGH, XHIGH],
        default_reasoning_effort: ReasoningEffort::Medium,
        input_modalities: TEXT_AND_IMAGE,
        supports_personality: false,
        priority: 2,
    },
    ModelPreset {
        slug: "gpt-5.2",
        display_name: "gpt-5.2",
        description: "General-purpose model, strong at knowledge, reasoning and code.",
        upgrade: UPGRADE,
        reasoning_efforts: &[LOW, MEDIUM, HIGH, XHIGH],
        default_reasoning_effort: ReasoningEffort::Medium,
        input_modalities: TEXT_AND_IMAGE,
        supports_personality: false,
        priority: 4,
    },
    ModelPreset {
        slug: "gpt-5.1-codex-mini",
        display_name: "gpt-5.1-codex-mini",
        description: "A smaller Codex model: cheaper and faster, less capable.",
        upgrade: UPGRADE,
        reasoning_efforts: &[MEDIUM, HIGH],
        default_reasoning_effort: ReasoningEffort::Medium,
        input_modalities: TEXT_AND_IMAGE,
        supports_personality: false,
        priority: 10,
    },
];

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    /// The models and efforts codex-cli 0.101.0 lists offline, in its order.
    #[test]
    fn the_reference_offline_list() {
        use ReasoningEffort::High;
        use ReasoningEffort::Low;
        use ReasoningEffort::Medium;
        use ReasoningEffort::Xhigh;
        let listed: Vec<(&str, Vec<ReasoningEffort>)> = builtin_presets()
            .iter()
            .map(|preset| {
                let efforts = preset.reasoning_efforts.iter().map(|e| e.effort).collect();
                (preset.slug, efforts)
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                ("gpt-5.2-codex", vec![Low, Medium, High, Xhigh]),
                ("gpt-5.1-codex-max", vec![Low, Medium, High, Xhigh]),
                ("gpt-5.2", vec![Low, Medium, High, Xhigh]),
                ("gpt-5.1-codex-mini", vec![Medium, High]),
            ]
        );
    }

    #[test]
    fn every_default_effort_is_one_the_model_accepts() {
        for preset in builtin_presets() {
            assert!(
                preset
                    .reasoning_efforts
                    .iter()
                    .any(|e| e.effort == preset.default_reasoning_effort),
                "{}",
                preset.slug
            );
        }
    }
}
