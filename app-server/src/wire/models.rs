//! The built-in model presets and the backend's catalogue entries as `model/list` shows them.

use codex_app_server_protocol::v2;
use codex_backend_client::models::RemoteModel;
use codex_model_client::presets::ModelPreset;
use codex_protocol::config_types::ReasoningEffort;

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

/// The entry for a model of the backend's catalogue (never the default by itself).
pub(crate) fn remote_model(model: &RemoteModel) -> v2::Model {
    v2::Model {
        id: model.slug.clone(),
        model: model.slug.clone(),
        upgrade: model.upgrade.as_ref().map(|upgrade| upgrade.model.clone()),
        display_name: model.display_name.clone(),
        description: model.description.clone().unwrap_or_default(),
        supported_reasoning_efforts: model
            .supported_reasoning_levels
            .iter()
            .map(|effort| v2::ReasoningEffortOption {
                reasoning_effort: effort.effort,
                description: effort.description.clone(),
            })
            .collect(),
        default_reasoning_effort: model
            .default_reasoning_level
            .unwrap_or(ReasoningEffort::None),
        input_modalities: model.input_modalities.clone(),
        supports_personality: model.supports_personality(),
        is_default: false,
    }
}
