//! One layer of configuration: where it came from, what it says, and its version.

use std::fmt;

use codex_utils_absolute_path::AbsolutePathBuf;
use sha2::Digest;
use sha2::Sha256;

/// Where a layer's values come from. Precedence is the order of [`ConfigLayerStack`]'s layers,
/// not of this enum.
///
/// [`ConfigLayerStack`]: crate::ConfigLayerStack
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LayerSource {
    /// Managed preferences of a macOS device profile (never produced on other systems).
    Mdm { domain: String, key: String },
    /// `config.toml` in the system folder (`/etc/codex`).
    System { file: AbsolutePathBuf },
    /// `$CODEX_HOME/config.toml`.
    User { file: AbsolutePathBuf },
    /// A project's `.codex/config.toml`, between the repository root and the working directory.
    Project { dot_codex_folder: AbsolutePathBuf },
    /// `-c key=value`, `--enable`/`--disable`, and per-thread overrides.
    SessionFlags,
    /// The legacy `managed_config.toml` in the system folder.
    LegacyManagedConfigTomlFromFile { file: AbsolutePathBuf },
    /// The legacy managed config delivered by a macOS device profile.
    LegacyManagedConfigTomlFromMdm,
}

impl LayerSource {
    /// The file this layer was read from, if it was read from a file.
    pub fn file(&self) -> Option<AbsolutePathBuf> {
        match self {
            Self::System { file } | Self::User { file } => Some(file.clone()),
            Self::LegacyManagedConfigTomlFromFile { file } => Some(file.clone()),
            Self::Project { dot_codex_folder } => dot_codex_folder.join(crate::CONFIG_TOML).ok(),
            Self::Mdm { .. } | Self::SessionFlags | Self::LegacyManagedConfigTomlFromMdm => None,
        }
    }

    /// What a write reports when this layer hides the value it wrote, in the reference's words.
    pub fn override_message(&self) -> String {
        match self {
            Self::Mdm { domain, .. } => format!("Overridden by managed policy (MDM): {domain}"),
            Self::System { file } => {
                format!("Overridden by managed config (system): {}", file.display())
            }
            Self::Project { dot_codex_folder } => format!(
                "Overridden by project config: {}/{}",
                dot_codex_folder.display(),
                crate::CONFIG_TOML
            ),
            Self::SessionFlags => "Overridden by session flags".to_owned(),
            Self::User { file } => format!("Overridden by user config: {}", file.display()),
            Self::LegacyManagedConfigTomlFromFile { file } => format!(
                "Overridden by legacy managed_config.toml: {}",
                file.display()
            ),
            Self::LegacyManagedConfigTomlFromMdm => {
                "Overridden by legacy managed configuration from MDM".to_owned()
            }
        }
    }
}

impl fmt::Display for LayerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.file() {
            Some(file) => write!(f, "{}", file.display()),
            None => match self {
                Self::Mdm { domain, key } => write!(f, "MDM {domain}:{key}"),
                Self::LegacyManagedConfigTomlFromMdm => f.write_str("MDM managed_config.toml"),
                _ => f.write_str("session flags"),
            },
        }
    }
}

/// A layer's identity as origins and write results report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerMetadata {
    pub source: LayerSource,
    pub version: String,
}

/// One layer as loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigLayer {
    pub source: LayerSource,
    /// What the layer says, with its paths resolved. Empty when the file is missing or could
    /// not be read.
    pub config: toml::Table,
    /// A fingerprint of [`Self::config`] (or, for a file that could not be parsed, of its bytes),
    /// `sha256:<hex>`. Clients send it back as `expectedVersion` to detect concurrent edits.
    pub version: String,
    /// Why the layer takes no part in the merge: an untrusted project, a broken file.
    pub disabled_reason: Option<String>,
    /// What the layer contributes to the merge: [`Self::config`] without the values that the
    /// requirements forbid. `None` when the layer is disabled.
    pub(crate) contribution: Option<toml::Table>,
}

impl ConfigLayer {
    /// An enabled layer whose contribution is all of `config`.
    pub(crate) fn enabled(source: LayerSource, config: toml::Table) -> Self {
        Self {
            source,
            version: version_of(&config),
            contribution: Some(config.clone()),
            config,
            disabled_reason: None,
        }
    }

    /// A layer that is listed but not merged.
    pub(crate) fn disabled(
        source: LayerSource,
        config: toml::Table,
        version: String,
        reason: String,
    ) -> Self {
        Self {
            source,
            config,
            version,
            disabled_reason: Some(reason),
            contribution: None,
        }
    }

    pub fn metadata(&self) -> LayerMetadata {
        LayerMetadata {
            source: self.source.clone(),
            version: self.version.clone(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.contribution.is_some()
    }

    /// The values this layer adds to the effective config.
    pub fn contribution(&self) -> Option<&toml::Table> {
        self.contribution.as_ref()
    }
}

/// The version of a layer's config: sha256 over its canonical JSON (keys sorted, no spaces),
/// which is how the reference computes it, so versions agree between the two servers.
pub fn version_of(config: &toml::Table) -> String {
    // A TOML table always serialises to JSON; the fallback keeps this infallible regardless.
    let json = serde_json::to_vec(&canonical(config)).unwrap_or_default();
    sha256(&json)
}

/// The version of bytes that are not a TOML document.
pub(crate) fn version_of_bytes(bytes: &[u8]) -> String {
    sha256(bytes)
}

fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(7 + digest.len() * 2);
    hex.push_str("sha256:");
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex
}

/// A JSON value with every object's keys in sorted order.
fn canonical(config: &toml::Table) -> serde_json::Value {
    fn sort(value: serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.into_iter().collect();
                entries.sort_by(|(a, _), (b, _)| a.cmp(b));
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(key, value)| (key, sort(value)))
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.into_iter().map(sort).collect())
            }
            other => other,
        }
    }
    sort(serde_json::to_value(config).unwrap_or_default())
}

/// A layer read from a file, with the text it was read from (to point warnings at a line).
pub(crate) struct LoadedLayer {
    pub layer: ConfigLayer,
    pub text: Option<String>,
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn versions_hash_the_canonical_json_like_the_reference() {
        // Values observed from codex-cli 0.101.0 for the same configs.
        assert_eq!(
            version_of(&toml::Table::new()),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let config: toml::Table =
            toml::from_str("sandbox_mode = \"danger-full-access\"\napproval_policy = \"never\"")
                .unwrap();
        assert_eq!(
            version_of(&config),
            "sha256:6991964181dfa19472f967488746e3fd193513ac4ca3a4bbcbcd47fccfc184ef"
        );
    }
}
