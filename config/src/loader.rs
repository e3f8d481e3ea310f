//! Reading the layers from disk. Loading never fails: a file that cannot be read, parsed or
//! typed is listed as a disabled layer and reported as a [`ConfigWarning`], and the server goes
//! on with the other layers.

use std::io;
use std::ops::Range;
use std::path::Path;
use std::path::PathBuf;

use codex_utils_absolute_path::AbsolutePathBuf;
use codex_utils_absolute_path::AbsolutePathBufGuard;

use crate::ConfigPaths;
use crate::ConfigToml;
use crate::ConfigWarning;
use crate::LayerSource;
use crate::SessionFlags;
use crate::layer::ConfigLayer;
use crate::layer::LoadedLayer;
use crate::layer::version_of;
use crate::layer::version_of_bytes;
use crate::paths::CONFIG_TOML;
use crate::paths::join;
use crate::requirements::CloudRequirements;
use crate::requirements::RequirementSource;
use crate::requirements::Requirements;
use crate::requirements::RequirementsToml;
use crate::stack::ConfigLayerStack;
use crate::tree;
use crate::types::TrustLevel;

const DEFAULT_PROJECT_ROOT_MARKERS: &[&str] = &[".git"];

/// Loads every layer, lowest precedence first: system, user, the project folders from the
/// repository root down to `cwd` (when given), session flags, and the legacy managed config.
pub(crate) fn load(
    paths: &ConfigPaths,
    session: &SessionFlags,
    cwd: Option<&AbsolutePathBuf>,
    cloud: Option<&CloudRequirements>,
) -> ConfigLayerStack {
    let mut warnings = Vec::new();
    let (requirements, managed) = load_requirements(paths, cloud, &mut warnings);

    let mut layers = Vec::new();
    let system_file = paths.system_config();
    layers.push(load_file(
        LayerSource::System {
            file: system_file.clone(),
        },
        &system_file,
        &mut warnings,
    ));
    let user_file = paths.user_config();
    layers.push(load_file(
        LayerSource::User {
            file: user_file.clone(),
        },
        &user_file,
        &mut warnings,
    ));

    if let Some(cwd) = cwd {
        let mut below = toml::Table::new();
        for loaded in &layers {
            if let Some(contribution) = loaded.layer.contribution() {
                tree::merge(&mut below, contribution);
            }
        }
        layers.extend(load_projects(paths, cwd, &below, &user_file, &mut warnings));
    }

    if !session.is_empty() {
        layers.push(LoadedLayer {
            layer: ConfigLayer::enabled(LayerSource::SessionFlags, session.config().clone()),
            text: None,
        });
    }
    if let Some(managed) = managed {
        layers.push(managed);
    }

    let examined = vec![
        paths.requirements().display().to_string(),
        paths.managed_config().display().to_string(),
    ];
    ConfigLayerStack::assemble(layers, requirements, warnings, examined)
}

/// Takes the cloud requirements, reads the requirements file, then the legacy managed config,
/// which adds requirements of its own and is also returned as the topmost layer.
fn load_requirements(
    paths: &ConfigPaths,
    cloud: Option<&CloudRequirements>,
    warnings: &mut Vec<ConfigWarning>,
) -> (Requirements, Option<LoadedLayer>) {
    let mut requirements = Requirements::default();
    if let Some(cloud) = cloud {
        requirements.fill_unset(&RequirementSource::Cloud, cloud.toml().clone());
    }
    let file = paths.requirements();
    if let Some(text) = read_optional(&file, warnings) {
        let parsed = {
            let _guard = AbsolutePathBufGuard::new(&paths.system_dir);
            toml::from_str::<RequirementsToml>(&text)
        };
        match parsed {
            Ok(toml) => match toml.validate() {
                Ok(()) => requirements.fill_unset(&RequirementSource::File(file.clone()), toml),
                Err(message) => {
                    warnings.push(ConfigWarning::about(
                        requirements_summary(&file),
                        Some(&file),
                        format!("{}: {message}", file.display()),
                    ));
                }
            },
            Err(error) => warnings.push(ConfigWarning::at(
                requirements_summary(&file),
                &file,
                &text,
                error.span(),
                error.message(),
            )),
        }
    }

    let managed_file = paths.managed_config();
    let managed = if managed_file.exists() {
        let source = LayerSource::LegacyManagedConfigTomlFromFile {
            file: managed_file.clone(),
        };
        let loaded = load_file(source, &managed_file, warnings);
        if let Some(config) = loaded.layer.contribution() {
            requirements.fill_unset(
                &RequirementSource::File(managed_file.clone()),
                RequirementsToml::from_legacy_managed_config(config),
            );
        }
        Some(loaded)
    } else {
        None
    };
    (requirements, managed)
}

fn requirements_summary(file: &Path) -> String {
    format!(
        "Invalid requirements in {}; ignoring that file.",
        file.display()
    )
}

/// Reads a file that may be missing. `None` when it is missing or unreadable (the latter with
/// a warning).
fn read_optional(file: &AbsolutePathBuf, warnings: &mut Vec<ConfigWarning>) -> Option<String> {
    match std::fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => {
            warnings.push(unreadable(file, &error));
            None
        }
    }
}

fn unreadable(file: &Path, error: &io::Error) -> ConfigWarning {
    ConfigWarning::about(
        format!("Could not read {}; ignoring that file.", file.display()),
        Some(file),
        format!("{}: {error}", file.display()),
    )
}

/// Reads one config file into a layer. A missing file is an empty, enabled layer.
pub(crate) fn load_file(
    source: LayerSource,
    file: &AbsolutePathBuf,
    warnings: &mut Vec<ConfigWarning>,
) -> LoadedLayer {
    match std::fs::read(file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => {
                let (layer, warning) = parse_layer(source, file, &text);
                warnings.extend(warning);
                LoadedLayer {
                    layer,
                    text: Some(text),
                }
            }
            Err(error) => {
                let warning = ConfigWarning::about(
                    invalid_summary(file),
                    Some(file),
                    format!("{}: the file is not UTF-8", file.display()),
                );
                let layer = ConfigLayer::disabled(
                    source,
                    toml::Table::new(),
                    version_of_bytes(error.as_bytes()),
                    disabled_reason(&warning),
                );
                warnings.push(warning);
                LoadedLayer { layer, text: None }
            }
        },
        Err(error) if error.kind() == io::ErrorKind::NotFound => LoadedLayer {
            layer: ConfigLayer::enabled(source, toml::Table::new()),
            text: None,
        },
        Err(error) => {
            let warning = unreadable(file, &error);
            let layer = ConfigLayer::disabled(
                source,
                toml::Table::new(),
                version_of_bytes(&[]),
                disabled_reason(&warning),
            );
            warnings.push(warning);
            LoadedLayer { layer, text: None }
        }
    }
}

fn invalid_summary(file: &Path) -> String {
    format!(
        "Invalid configuration in {}; ignoring that file.",
        file.display()
    )
}

fn disabled_reason(warning: &ConfigWarning) -> String {
    format!(
        "Ignored because it is invalid: {}",
        warning.details.as_deref().unwrap_or(&warning.summary)
    )
}

/// Parses the text of a config file into a layer: disabled (with a warning) when the text is
/// not TOML or a key has the wrong type, else enabled with its paths resolved against the
/// file's folder.
pub(crate) fn parse_layer(
    source: LayerSource,
    file: &AbsolutePathBuf,
    text: &str,
) -> (ConfigLayer, Option<ConfigWarning>) {
    match parse_text(file, text) {
        Ok(config) => (ConfigLayer::enabled(source, config), None),
        Err(ParseFailure { raw, span, message }) => {
            let warning = ConfigWarning::at(invalid_summary(file), file, text, span, &message);
            let version = match &raw {
                Some(raw) => version_of(raw),
                None => version_of_bytes(text.as_bytes()),
            };
            let layer = ConfigLayer::disabled(
                source,
                raw.unwrap_or_default(),
                version,
                disabled_reason(&warning),
            );
            (layer, Some(warning))
        }
    }
}

/// Why a file's text was refused, and the raw table when it was at least TOML.
pub(crate) struct ParseFailure {
    pub raw: Option<toml::Table>,
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// Parses and types the text of a config file found at `file`, resolving its paths.
pub(crate) fn parse_text(file: &AbsolutePathBuf, text: &str) -> Result<toml::Table, ParseFailure> {
    let raw = toml::from_str::<toml::Table>(text).map_err(|error| ParseFailure {
        raw: None,
        span: error.span(),
        message: error.message().to_owned(),
    })?;
    let base = file.parent().unwrap_or_else(|| file.clone());
    let typed = {
        let _guard = AbsolutePathBufGuard::new(&base);
        toml::from_str::<ConfigToml>(text)
    };
    match typed {
        Ok(typed) => Ok(resolve_paths(raw, &typed)),
        Err(error) => Err(ParseFailure {
            raw: Some(raw),
            span: error.span(),
            message: error.message().to_owned(),
        }),
    }
}

/// Replaces each path a file set with its resolved, absolute form.
pub(crate) fn resolve_paths(mut raw: toml::Table, typed: &ConfigToml) -> toml::Table {
    for (path, value) in typed.path_values() {
        // The key exists (the typed view found it), so setting it cannot fail.
        let _ = tree::set(&mut raw, &path, value);
    }
    raw
}

/// The `.codex/config.toml` files from the project root down to `cwd`, each enabled only when
/// its folder is trusted.
fn load_projects(
    paths: &ConfigPaths,
    cwd: &AbsolutePathBuf,
    below: &toml::Table,
    user_file: &AbsolutePathBuf,
    warnings: &mut Vec<ConfigWarning>,
) -> Vec<LoadedLayer> {
    let markers = project_root_markers(below);
    let root = project_root(cwd, &markers);
    let trust = Trust::from_config(below);
    let mut layers = Vec::new();
    for dir in folders_between(&root, cwd) {
        let dot_codex = join(&dir, ".codex");
        // `$CODEX_HOME` may itself be a project's `.codex` (the home folder as cwd): it is the
        // user layer already.
        if dot_codex == paths.codex_home {
            continue;
        }
        let file = join(&dot_codex, CONFIG_TOML);
        if !file.is_file() {
            continue;
        }
        let source = LayerSource::Project {
            dot_codex_folder: dot_codex,
        };
        match trust.reason_to_distrust(&dir, &root, user_file) {
            None => layers.push(load_file(source, &file, warnings)),
            Some(reason) => {
                // An untrusted file is listed with what it says, but not merged, and its
                // problems are not reported: it may be anything.
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                let config = match parse_text(&file, &text) {
                    Ok(config) => config,
                    Err(failure) => failure.raw.unwrap_or_default(),
                };
                let version = version_of(&config);
                layers.push(LoadedLayer {
                    layer: ConfigLayer::disabled(source, config, version, reason),
                    text: Some(text),
                });
            }
        }
    }
    layers
}

fn project_root_markers(config: &toml::Table) -> Vec<String> {
    match config.get("project_root_markers") {
        Some(toml::Value::Array(markers)) => markers
            .iter()
            .filter_map(|marker| marker.as_str().map(str::to_owned))
            .collect(),
        _ => DEFAULT_PROJECT_ROOT_MARKERS
            .iter()
            .map(|marker| (*marker).to_owned())
            .collect(),
    }
}

/// The nearest folder at or above `cwd` holding one of `markers`; `cwd` itself when none does.
fn project_root(cwd: &AbsolutePathBuf, markers: &[String]) -> AbsolutePathBuf {
    let mut dir = Some(cwd.clone());
    while let Some(current) = dir {
        if markers
            .iter()
            .any(|marker| current.as_path().join(marker).exists())
        {
            return current;
        }
        dir = current.parent();
    }
    cwd.clone()
}

/// `root`, then each folder below it down to `cwd`.
fn folders_between(root: &AbsolutePathBuf, cwd: &AbsolutePathBuf) -> Vec<AbsolutePathBuf> {
    let mut folders = Vec::new();
    let mut dir = Some(cwd.clone());
    while let Some(current) = dir {
        let done = current == *root;
        dir = if done { None } else { current.parent() };
        folders.push(current);
    }
    folders.reverse();
    folders
}

/// The `[projects."<path>"]` trust levels of the layers below the projects.
struct Trust {
    levels: Vec<(PathBuf, TrustLevel)>,
}

impl Trust {
    fn from_config(config: &toml::Table) -> Self {
        let mut levels = Vec::new();
        if let Some(toml::Value::Table(projects)) = config.get("projects") {
            for (path, project) in projects {
                let level = project
                    .get("trust_level")
                    .and_then(|level| level.clone().try_into::<TrustLevel>().ok());
                if let Some(level) = level {
                    levels.push((PathBuf::from(path), level));
                }
            }
        }
        Self { levels }
    }

    fn level(&self, dir: &Path) -> Option<TrustLevel> {
        self.levels
            .iter()
            .find(|(path, _)| path == dir)
            .map(|(_, level)| *level)
    }

    /// `None` when the folder is trusted: by an entry of its own, or else by the project root's.
    fn reason_to_distrust(
        &self,
        dir: &AbsolutePathBuf,
        root: &AbsolutePathBuf,
        user_file: &AbsolutePathBuf,
    ) -> Option<String> {
        match self.level(dir).or_else(|| self.level(root)) {
            Some(TrustLevel::Trusted) => None,
            Some(TrustLevel::Untrusted) if self.level(dir).is_some() => Some(format!(
                "To load config.toml, mark {} as a trusted project in {}.",
                dir.display(),
                user_file.display()
            )),
            Some(TrustLevel::Untrusted) | None => Some(format!(
                "To load config.toml, add {} as a trusted project in {}.",
                root.display(),
                user_file.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn folders_run_from_the_root_down_to_cwd() {
        let path = |path: &str| AbsolutePathBuf::from_absolute_path(path).unwrap();
        assert_eq!(
            folders_between(&path("/r"), &path("/r/a/b")),
            vec![path("/r"), path("/r/a"), path("/r/a/b")]
        );
        assert_eq!(folders_between(&path("/r"), &path("/r")), vec![path("/r")]);
    }
}
