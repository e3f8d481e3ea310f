//! The config methods' side of the boundary: the config crate's types in, the wire types out.

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use codex_config::ConfigLayerStack;
use codex_config::ConfigWarning;
use codex_config::LayerMetadata;
use codex_config::LayerSource;
use codex_config::MergeStrategy;
use codex_config::SandboxModeRequirement;
use codex_config::WriteError;
use codex_config::WriteErrorCode;
use codex_config::WriteOutcome;
use codex_config::features;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error;
use crate::paging;
use crate::paging::Page;

pub(crate) fn warning_notification(warning: ConfigWarning) -> ServerNotification {
    let position = |position: codex_config::TextPosition| v2::TextPosition {
        line: position.line,
        column: position.column,
    };
    ServerNotification::ConfigWarning(v2::ConfigWarningNotification {
        summary: warning.summary,
        details: warning.details,
        path: warning.path,
        range: warning.range.map(|range| v2::TextRange {
            start: position(range.start),
            end: position(range.end),
        }),
    })
}

/// Converts between two serde types that spell the same JSON.
fn convert<T: DeserializeOwned>(
    value: &impl Serialize,
    what: &str,
) -> Result<T, JSONRPCErrorError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|err| error::internal_error(format!("failed to convert the {what}: {err}")))
}

pub(crate) fn layer_source(source: &LayerSource) -> v2::ConfigLayerSource {
    match source.clone() {
        LayerSource::Mdm { domain, key } => v2::ConfigLayerSource::Mdm { domain, key },
        LayerSource::System { file } => v2::ConfigLayerSource::System { file },
        LayerSource::User { file } => v2::ConfigLayerSource::User { file },
        LayerSource::Project { dot_codex_folder } => {
            v2::ConfigLayerSource::Project { dot_codex_folder }
        }
        LayerSource::SessionFlags => v2::ConfigLayerSource::SessionFlags,
        LayerSource::LegacyManagedConfigTomlFromFile { file } => {
            v2::ConfigLayerSource::LegacyManagedConfigTomlFromFile { file }
        }
        LayerSource::LegacyManagedConfigTomlFromMdm => {
            v2::ConfigLayerSource::LegacyManagedConfigTomlFromMdm
        }
    }
}

fn layer_metadata(metadata: LayerMetadata) -> v2::ConfigLayerMetadata {
    v2::ConfigLayerMetadata {
        name: layer_source(&metadata.source),
        version: metadata.version,
    }
}

pub(crate) fn read_response(
    stack: &ConfigLayerStack,
    include_layers: bool,
) -> Result<v2::ConfigReadResponse, JSONRPCErrorError> {
    let config: v2::Config = convert(&stack.effective(), "effective configuration")?;
    let origins = stack
        .origins()
        .into_iter()
        .map(|(key, metadata)| (key, layer_metadata(metadata)))
        .collect();
    let layers = if include_layers {
        let layers = stack
            .layers_highest_first()
            .map(|layer| {
                Ok(v2::ConfigLayer {
                    name: layer_source(&layer.source),
                    version: layer.version.clone(),
                    config: convert(&layer.config, "layer")?,
                    disabled_reason: layer.disabled_reason.clone(),
                })
            })
            .collect::<Result<Vec<_>, JSONRPCErrorError>>()?;
        Some(layers)
    } else {
        None
    };
    Ok(v2::ConfigReadResponse {
        config,
        origins,
        layers,
    })
}

pub(crate) fn write_response(outcome: WriteOutcome) -> v2::ConfigWriteResponse {
    let overridden_metadata = outcome.overridden.map(|overridden| v2::OverriddenMetadata {
        message: overridden.message,
        overriding_layer: layer_metadata(overridden.layer),
        effective_value: overridden.effective_value,
    });
    v2::ConfigWriteResponse {
        status: if overridden_metadata.is_some() {
            v2::WriteStatus::OkOverridden
        } else {
            v2::WriteStatus::Ok
        },
        version: outcome.version,
        file_path: outcome.file,
        overridden_metadata,
    }
}

/// A refused write as the reference answers it: -32600 with the reason and, in `data`, a code
/// a client can branch on.
pub(crate) fn write_error(err: &WriteError) -> JSONRPCErrorError {
    let Some(code) = err.code() else {
        return error::internal_error(err.to_string());
    };
    let code = match code {
        WriteErrorCode::ConfigLayerReadonly => "configLayerReadonly",
        WriteErrorCode::ConfigVersionConflict => "configVersionConflict",
        WriteErrorCode::ConfigValidationError => "configValidationError",
        WriteErrorCode::ConfigPathNotFound => "configPathNotFound",
    };
    let mut refused = error::invalid_request(err.to_string());
    refused.data = Some(serde_json::json!({ "config_write_error_code": code }));
    refused
}

pub(crate) fn requirements_response(
    stack: &ConfigLayerStack,
) -> Result<v2::ConfigRequirementsReadResponse, JSONRPCErrorError> {
    let requirements = stack.requirements();
    if requirements.is_empty() {
        return Ok(v2::ConfigRequirementsReadResponse { requirements: None });
    }
    let allowed_approval_policies = requirements
        .allowed_approval_policies
        .as_ref()
        .map(|allowed| convert(&allowed.value, "approval policies"))
        .transpose()?;
    let allowed_sandbox_modes = requirements
        .allowed_sandbox_modes
        .as_ref()
        .map(|allowed| {
            // `external-sandbox` cannot be chosen in a config, so the wire has no name for it.
            let modes: Vec<_> = allowed
                .value
                .iter()
                .filter(|mode| **mode != SandboxModeRequirement::ExternalSandbox)
                .collect();
            convert(&modes, "sandbox modes")
        })
        .transpose()?;
    let enforce_residency = requirements
        .enforce_residency
        .as_ref()
        .map(|residency| convert(&residency.value, "residency"))
        .transpose()?;
    Ok(v2::ConfigRequirementsReadResponse {
        requirements: Some(v2::ConfigRequirements {
            allowed_approval_policies,
            allowed_sandbox_modes,
            allowed_web_search_modes: requirements.web_search_modes(),
            enforce_residency,
            network: None,
        }),
    })
}

/// The v1 view of the saved config: what the files say, without project layers or session
/// flags.
pub(crate) fn user_saved_config(
    stack: &ConfigLayerStack,
) -> Result<v1::UserSavedConfig, JSONRPCErrorError> {
    let config = stack
        .saved()
        .map_err(|err| error::internal_error(format!("failed to load configuration: {err}")))?;
    let profiles = config
        .profiles
        .iter()
        .map(|(name, profile)| {
            let profile = v1::Profile {
                model: profile.model.clone(),
                model_provider: profile.model_provider.clone(),
                approval_policy: profile.approval_policy,
                model_reasoning_effort: profile.model_reasoning_effort,
                model_reasoning_summary: profile.model_reasoning_summary,
                model_verbosity: profile.model_verbosity,
                chatgpt_base_url: profile.chatgpt_base_url.clone(),
            };
            (name.clone(), profile)
        })
        .collect();
    Ok(v1::UserSavedConfig {
        approval_policy: config.approval_policy,
        sandbox_mode: config.sandbox_mode,
        sandbox_settings: config
            .sandbox_workspace_write
            .map(|write| v1::SandboxSettings {
                writable_roots: write.writable_roots,
                network_access: Some(write.network_access),
                exclude_tmpdir_env_var: Some(write.exclude_tmpdir_env_var),
                exclude_slash_tmp: Some(write.exclude_slash_tmp),
            }),
        forced_chatgpt_workspace_id: config.forced_chatgpt_workspace_id,
        forced_login_method: config.forced_login_method,
        model: config.model,
        model_reasoning_effort: config.model_reasoning_effort,
        model_reasoning_summary: config.model_reasoning_summary,
        model_verbosity: config.model_verbosity,
        tools: config.tools.map(|tools| v1::Tools {
            web_search: tools.web_search,
            view_image: tools.view_image,
        }),
        profile: config.profile,
        profiles,
    })
}

/// One page of the feature list. The cursor is the index of the first feature to return.
pub(crate) fn feature_page(
    stack: &ConfigLayerStack,
    params: v2::ExperimentalFeatureListParams,
) -> Result<v2::ExperimentalFeatureListResponse, JSONRPCErrorError> {
    let configured = stack
        .resolve()
        .map(|resolved| resolved.config.features)
        .or_else(|_| stack.typed().map(|config| config.features))
        .unwrap_or_default();
    let (states, unknown) = features::resolve(&configured);
    if !unknown.is_empty() {
        tracing::warn!(?unknown, "unknown feature keys in config");
    }
    let Page { range, next_cursor } = paging::page(
        states.len(),
        params.cursor.as_deref(),
        params.limit,
        "feature flags",
    )?;
    let data = states[range]
        .iter()
        .map(|(feature, enabled)| v2::ExperimentalFeature {
            name: feature.name.to_owned(),
            stage: match feature.stage {
                features::Stage::Beta => v2::ExperimentalFeatureStage::Beta,
                features::Stage::UnderDevelopment => v2::ExperimentalFeatureStage::UnderDevelopment,
                features::Stage::Stable => v2::ExperimentalFeatureStage::Stable,
                features::Stage::Deprecated => v2::ExperimentalFeatureStage::Deprecated,
                features::Stage::Removed => v2::ExperimentalFeatureStage::Removed,
            },
            display_name: feature.presentation.map(|p| p.display_name.to_owned()),
            description: feature.presentation.map(|p| p.description.to_owned()),
            announcement: feature.presentation.map(|p| p.announcement.to_owned()),
            enabled: *enabled,
            default_enabled: feature.default_enabled,
        })
        .collect();
    Ok(v2::ExperimentalFeatureListResponse { data, next_cursor })
}

pub(crate) fn merge_strategy(strategy: v2::MergeStrategy) -> MergeStrategy {
    match strategy {
        v2::MergeStrategy::Replace => MergeStrategy::Replace,
        v2::MergeStrategy::Upsert => MergeStrategy::Upsert,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use codex_config::ConfigPaths;
    use codex_config::ConfigService;
    use codex_config::SessionFlags;
    use codex_utils_absolute_path::AbsolutePathBuf;
    use pretty_assertions::assert_eq;

    use super::*;

    /// A `$CODEX_HOME` and system folder of their own, removed when dropped.
    pub(crate) struct Folders {
        dir: std::path::PathBuf,
    }

    impl Folders {
        pub(crate) fn new(name: &str) -> Self {
            let dir = std::env::temp_dir()
                .join(format!("codex-config-api-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(dir.join("home")).unwrap();
            Self { dir }
        }

        pub(crate) fn service(&self) -> ConfigService {
            let path =
                |name: &str| AbsolutePathBuf::from_absolute_path(self.dir.join(name)).unwrap();
            let paths = ConfigPaths {
                codex_home: path("home"),
                system_dir: path("system"),
            };
            ConfigService::new(paths, SessionFlags::default()).unwrap()
        }

        pub(crate) fn write_user(&self, text: &str) {
            std::fs::write(self.dir.join("home/config.toml"), text).unwrap();
        }
    }

    impl Drop for Folders {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    #[test]
    fn feature_pages_follow_the_cursor_and_refuse_bad_ones() {
        let folders = Folders::new("features");
        folders.write_user("[features]\nundo = true\n");
        let stack = folders.service().load(None);
        let page = |cursor: Option<&str>, limit: Option<u32>| {
            feature_page(
                &stack,
                v2::ExperimentalFeatureListParams {
                    cursor: cursor.map(str::to_owned),
                    limit,
                },
            )
        };
        let first = page(None, Some(0)).unwrap();
        assert_eq!(first.data.len(), 1);
        assert_eq!(
            (first.data[0].name.as_str(), first.data[0].enabled),
            ("undo", true)
        );
        assert_eq!(first.next_cursor.as_deref(), Some("1"));
        let all = page(None, None).unwrap();
        assert_eq!(
            (all.data.len(), all.next_cursor),
            (features::FEATURES.len(), None)
        );
        let end = page(Some(&features::FEATURES.len().to_string()), None).unwrap();
        assert_eq!((end.data.len(), end.next_cursor), (0, None));
        assert_eq!(
            page(Some("abc"), None).unwrap_err().message,
            "invalid cursor: abc"
        );
        assert_eq!(
            page(Some("100"), None).unwrap_err().message,
            format!(
                "cursor 100 exceeds total feature flags {}",
                features::FEATURES.len()
            )
        );
    }

    #[test]
    fn requirements_are_null_when_none_are_set() {
        let folders = Folders::new("requirements");
        let stack = folders.service().load(None);
        assert_eq!(
            requirements_response(&stack).unwrap(),
            v2::ConfigRequirementsReadResponse { requirements: None }
        );
    }
}
