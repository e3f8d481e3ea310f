//! The built-in model presets as `model/list` shows them.

use codex_app_server_protocol::v2;
use codex_model_client::presets::ModelPreset;

/// The entry for `preset`, which is the default model when `is_default`.
pub(crate) fn model(preset: &ModelPreset, is_default: bool) -> v2::Model {
    v2::Model {
        id: preset.slug.to_owned(),
        model: preset.slug.to_owned(),
        upgrade: preset.upgrade.map(str::to_owned),
        display_name: preset.display_name.to_owned(),
        description: preset.description.to_owned(),
        supported_reasoning_efforts: preset
            .reasoning_efforts
            .iter()
            .map(|effort| v2::ReasoningEffortOption {
                reasoning_effort: effort.effort,
                description: effort.description.to_owned(),
            })
            .collect(),
        default_reasoning_effort: preset.default_reasoning_effort,
        input_modalities: preset.input_modalities.to_vec(),
        supports_personality: preset.supports_personality,
        is_default,
    }
}
