//! The loaded layers together: the effective config, where each value came from, and the typed
//! config with the active profile applied.

use std::collections::BTreeMap;

use codex_protocol::config_types::SandboxMode;
use codex_protocol::protocol::AskForApproval;

use crate::ConfigError;
use crate::ConfigToml;
use crate::ConfigWarning;
use crate::LayerMetadata;
use crate::LayerSource;
use crate::diagnostics::span_of;
use crate::layer::ConfigLayer;
use crate::layer::LoadedLayer;
use crate::requirements::Requirements;
use crate::requirements::SandboxModeRequirement;
use crate::requirements::Violation;
use crate::tree;

/// Every layer, lowest precedence first, with the requirements they were checked against and
/// what went wrong while loading them.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigLayerStack {
    layers: Vec<ConfigLayer>,
    requirements: Requirements,
    warnings: Vec<ConfigWarning>,
    /// Every file the load looked at, found or not.
    examined: Vec<String>,
}

impl ConfigLayerStack {
    /// Enforces the requirements on each layer: a forbidden value is left out of the layer's
    /// contribution, with a warning pointing at it.
    pub(crate) fn assemble(
        loaded: Vec<LoadedLayer>,
        requirements: Requirements,
        mut warnings: Vec<ConfigWarning>,
        mut examined: Vec<String>,
    ) -> Self {
        let mut layers = Vec::with_capacity(loaded.len());
        for LoadedLayer { mut layer, text } in loaded {
            if let Some(file) = layer.source.file() {
                examined.push(file.display().to_string());
            }
            if let Some(contribution) = layer.contribution.as_mut() {
                for violation in requirements.violations(contribution) {
                    // The path was just found in this table, so removing it cannot fail.
                    let _ = tree::remove(contribution, &violation.key_path);
                    warnings.push(violation_warning(
                        &layer.source,
                        text.as_deref(),
                        &violation,
                    ));
                }
            }
            layers.push(layer);
        }
        Self {
            layers,
            requirements,
            warnings,
            examined,
        }
    }

    /// This stack with `layer` in place of the layer from the same source, checked against the
    /// same requirements.
    pub(crate) fn with_layer_replaced(&self, layer: ConfigLayer) -> Self {
        let mut layers = Vec::with_capacity(self.layers.len());
        for existing in &self.layers {
            if existing.source == layer.source {
                let mut layer = layer.clone();
                if let Some(contribution) = layer.contribution.as_mut() {
                    for violation in self.requirements.violations(contribution) {
                        let _ = tree::remove(contribution, &violation.key_path);
                    }
                }
                layers.push(layer);
            } else {
                layers.push(existing.clone());
            }
        }
        Self {
            layers,
            requirements: self.requirements.clone(),
            warnings: self.warnings.clone(),
            examined: self.examined.clone(),
        }
    }

    /// The layers, lowest precedence first.
    pub fn layers(&self) -> &[ConfigLayer] {
        &self.layers
    }

    /// The layers, highest precedence first, as `config/read` lists them.
    pub fn layers_highest_first(&self) -> impl Iterator<Item = &ConfigLayer> {
        self.layers.iter().rev()
    }

    pub fn requirements(&self) -> &Requirements {
        &self.requirements
    }

    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

    /// The files this load looked at (whether they exist or not): the config files of its
    /// layers and the requirements. A warning about a file not in this list is not settled by
    /// this load.
    pub fn examined_files(&self) -> &[String] {
        &self.examined
    }

    pub fn user_layer(&self) -> Option<&ConfigLayer> {
        self.layers
            .iter()
            .find(|layer| matches!(layer.source, LayerSource::User { .. }))
    }

    /// The contributions of the enabled layers, merged.
    pub fn effective(&self) -> toml::Table {
        self.merged(|_| true)
    }

    fn merged(&self, include: impl Fn(&LayerSource) -> bool) -> toml::Table {
        let mut merged = toml::Table::new();
        for layer in self.layers.iter().filter(|layer| include(&layer.source)) {
            if let Some(contribution) = layer.contribution() {
                tree::merge(&mut merged, contribution);
            }
        }
        merged
    }

    /// For each value of the effective config (by dotted key path, array elements by index),
    /// the layer it came from.
    pub fn origins(&self) -> BTreeMap<String, LayerMetadata> {
        let mut origins = BTreeMap::new();
        let effective = self.effective();
        let mut path = Vec::new();
        for (key, value) in &effective {
            path.push(key.clone());
            self.record_origins(value, &mut path, None, &mut origins);
            path.pop();
        }
        origins
    }

    fn record_origins(
        &self,
        value: &toml::Value,
        path: &mut Vec<String>,
        owner: Option<&ConfigLayer>,
        origins: &mut BTreeMap<String, LayerMetadata>,
    ) {
        match value {
            toml::Value::Table(table) => {
                for (key, child) in table {
                    path.push(key.clone());
                    self.record_origins(child, path, owner, origins);
                    path.pop();
                }
            }
            toml::Value::Array(items) => {
                // Arrays are replaced whole, so every element comes from one layer.
                let owner = owner.or_else(|| self.owner_of(path));
                for (index, item) in items.iter().enumerate() {
                    path.push(index.to_string());
                    self.record_origins(item, path, owner, origins);
                    path.pop();
                }
            }
            _ => {
                if let Some(layer) = owner.or_else(|| self.owner_of(path)) {
                    origins.insert(path.join("."), layer.metadata());
                }
            }
        }
    }

    /// The highest enabled layer that sets `path`.
    fn owner_of(&self, path: &[String]) -> Option<&ConfigLayer> {
        self.layers.iter().rev().find(|layer| {
            layer
                .contribution()
                .is_some_and(|contribution| tree::get(contribution, path).is_some())
        })
    }

    /// The typed effective config, without applying the profile.
    pub fn typed(&self) -> Result<ConfigToml, ConfigError> {
        type_merged(&self.effective())
    }

    /// The typed config that files say, leaving out the session flags: what `getUserSavedConfig`
    /// reports.
    pub fn saved(&self) -> Result<ConfigToml, ConfigError> {
        type_merged(&self.merged(|source| *source != LayerSource::SessionFlags))
    }

    /// The config a thread runs with: the effective config with the active profile's keys
    /// applied over the top-level ones, and the requirements' defaults where nothing allowed
    /// was chosen.
    pub fn resolve(&self) -> Result<ResolvedConfig, ConfigError> {
        let mut effective = self.effective();
        let profile = effective
            .get("profile")
            .and_then(toml::Value::as_str)
            .map(str::to_owned);
        if let Some(name) = &profile {
            let overlay = match tree::get(&effective, &["profiles", name.as_str()]) {
                Some(toml::Value::Table(overlay)) => overlay.clone(),
                _ => return Err(ConfigError::ProfileNotFound(name.clone())),
            };
            tree::merge(&mut effective, &overlay);
        }
        let config = type_merged(&effective)?;
        let approval_policy = config
            .approval_policy
            .or_else(|| self.requirements.default_approval_policy());
        let sandbox_mode = config.sandbox_mode.or_else(|| {
            // A sandbox requirement makes read-only (always allowed) the fallback.
            self.requirements
                .allowed_sandbox_modes
                .as_ref()
                .filter(|allowed| allowed.value.contains(&SandboxModeRequirement::ReadOnly))
                .map(|_| SandboxMode::ReadOnly)
        });
        Ok(ResolvedConfig {
            config,
            profile,
            approval_policy,
            sandbox_mode,
        })
    }
}

/// The typed config of a thread.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedConfig {
    /// The effective config with the active profile applied.
    pub config: ConfigToml,
    /// The active profile's name, if one is chosen.
    pub profile: Option<String>,
    /// The approval policy to use: as configured, else the first one the requirements allow.
    pub approval_policy: Option<AskForApproval>,
    /// The sandbox mode to use: as configured, else `read-only` when the requirements restrict
    /// sandbox modes.
    pub sandbox_mode: Option<SandboxMode>,
}

/// Types a merged table. Every path in the layers is already absolute; the base only satisfies
/// the type.
fn type_merged(table: &toml::Table) -> Result<ConfigToml, ConfigError> {
    crate::types::type_table(table, std::path::Path::new("/"))
        .map_err(|error| ConfigError::Invalid(error.to_string()))
}

fn violation_warning(
    source: &LayerSource,
    text: Option<&str>,
    violation: &Violation,
) -> ConfigWarning {
    let summary = format!(
        "A value in {source} is not allowed by the requirements and is ignored: `{}`",
        violation.key_path.join(".")
    );
    match (source.file(), text) {
        (Some(file), Some(text)) => ConfigWarning::at(
            summary,
            &file,
            text,
            span_of(text, &violation.key_path),
            &violation.message,
        ),
        (file, _) => ConfigWarning::about(summary, file.as_deref(), violation.message.clone()),
    }
}
