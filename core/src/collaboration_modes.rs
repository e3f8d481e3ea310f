//! The collaboration mode presets `collaborationMode/list` offers: Plan and Default, each with
//! the developer instructions a turn in that mode gives the model.
//!
//! The instructions follow the reference's structure (its headings, the `<proposed_plan>` block
//! and the `request_user_input` rules a client relies on) in our own words.

use codex_protocol::config_types::CollaborationModeMask;
use codex_protocol::config_types::ModeKind;
use codex_protocol::config_types::ReasoningEffort;

/// Developer instructions for Plan mode.
pub const PLAN_MODE_INSTRUCTIONS: &str = include_str!("collaboration_modes/plan.md");

/// Developer instructions for Default mode.
pub const DEFAULT_MODE_INSTRUCTIONS: &str = include_str!("collaboration_modes/default.md");

/// The presets in the reference's order: Plan (medium reasoning), then Default. Neither
/// chooses a model.
pub fn presets() -> Vec<CollaborationModeMask> {
    vec![
        CollaborationModeMask {
            name: "Plan".to_owned(),
            mode: Some(ModeKind::Plan),
            model: None,
            reasoning_effort: Some(Some(ReasoningEffort::Medium)),
            developer_instructions: Some(Some(PLAN_MODE_INSTRUCTIONS.to_owned())),
        },
        CollaborationModeMask {
            name: "Default".to_owned(),
            mode: Some(ModeKind::Default),
            model: None,
            reasoning_effort: Some(None),
            developer_instructions: Some(Some(DEFAULT_MODE_INSTRUCTIONS.to_owned())),
        },
    ]
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn the_texts_open_with_the_headings_clients_look_for() {
        assert!(PLAN_MODE_INSTRUCTIONS.starts_with("# Plan Mode (Conversational)\n"));
        assert!(PLAN_MODE_INSTRUCTIONS.contains("<proposed_plan>"));
        assert!(DEFAULT_MODE_INSTRUCTIONS.starts_with("# Collaboration Mode: Default\n"));
        assert!(DEFAULT_MODE_INSTRUCTIONS.contains("## request_user_input availability"));
    }

    #[test]
    fn plan_comes_first_with_medium_reasoning() {
        let names: Vec<_> = presets().into_iter().map(|mask| mask.name).collect();
        assert_eq!(names, ["Plan", "Default"]);
        let value = serde_json::to_value(&presets()[0]).expect("serializes");
        assert_eq!(value["reasoning_effort"], "medium");
        assert_eq!(value["model"], serde_json::Value::Null);
    }
}
