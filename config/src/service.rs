//! The config service: loading the layers for a request, and writing the user's `config.toml`.
//!
//! A write happens under an advisory lock on `config.toml.lock` beside the file, so writers in
//! this process and in other processes take turns: each one reads the file as the previous one
//! left it, checks `expectedVersion` against that, applies its edits to the text, validates the
//! result, and replaces the file atomically (a temporary file in the same folder, then a
//! rename). Readers need no lock: they see the old file or the new one, never half of one.

use std::fs;
use std::io;
use std::io::Write as _;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::RwLock;

use codex_protocol::config_types::ReasoningEffort;
use codex_utils_absolute_path::AbsolutePathBuf;
use toml_edit::DocumentMut;

use crate::CloudRequirements;
use crate::ConfigError;
use crate::ConfigLayerStack;
use crate::ConfigPaths;
use crate::LayerMetadata;
use crate::LayerSource;
use crate::SessionFlags;
use crate::diagnostics::range_of;
use crate::edit;
use crate::layer::ConfigLayer;
use crate::loader;
use crate::tree;

/// How a written value combines with what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeStrategy {
    /// The value replaces whatever the key held.
    Replace,
    /// A table is merged into an existing table, key by key; anything else replaces.
    Upsert,
}

/// One change of a write: `value` (JSON as received; `null` removes the key) at a dotted
/// `key_path`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEdit {
    pub key_path: String,
    pub value: serde_json::Value,
    pub merge_strategy: MergeStrategy,
}

/// A write of one or more edits, applied together or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteRequest {
    pub edits: Vec<ConfigEdit>,
    /// The file to write; only the user's `config.toml` may be written.
    pub file_path: Option<String>,
    /// The user layer's version the client last read; the write is refused if the file has
    /// changed since.
    pub expected_version: Option<String>,
}

/// What a successful write did.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteOutcome {
    pub file: AbsolutePathBuf,
    /// The user layer's version after the write.
    pub version: String,
    /// Set when a layer above the user's hides one of the written values.
    pub overridden: Option<Overridden>,
    /// The layers after the write.
    pub stack: ConfigLayerStack,
}

/// A written value that does not take effect because a higher layer sets the key.
#[derive(Debug, Clone, PartialEq)]
pub struct Overridden {
    pub message: String,
    pub layer: LayerMetadata,
    pub effective_value: serde_json::Value,
}

/// Why a write was refused. The messages are the reference's, since clients show them.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("Only writes to the user config are allowed")]
    LayerReadonly,
    #[error("Configuration was modified since last read. Fetch latest version and retry.")]
    VersionConflict,
    #[error("Path not found")]
    PathNotFound,
    #[error("{0}")]
    Validation(String),
    #[error("failed to persist {}: {source}", file.display())]
    Io {
        file: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// The kinds of refusal a client can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteErrorCode {
    ConfigLayerReadonly,
    ConfigVersionConflict,
    ConfigValidationError,
    ConfigPathNotFound,
}

impl WriteError {
    pub fn code(&self) -> Option<WriteErrorCode> {
        match self {
            Self::LayerReadonly => Some(WriteErrorCode::ConfigLayerReadonly),
            Self::VersionConflict => Some(WriteErrorCode::ConfigVersionConflict),
            Self::PathNotFound => Some(WriteErrorCode::ConfigPathNotFound),
            Self::Validation(_) => Some(WriteErrorCode::ConfigValidationError),
            Self::Io { .. } => None,
        }
    }

    fn invalid(detail: impl std::fmt::Display) -> Self {
        Self::Validation(format!("Invalid configuration: {detail}"))
    }
}

/// An edit with its path split and its value converted.
struct Edit {
    path: Vec<String>,
    value: Option<toml::Value>,
    merge_strategy: MergeStrategy,
    /// Whether removing a key under a missing table is fine (it is already gone).
    missing_ok: bool,
    /// For a list of records written as `[[key]]` sections: the fields that lead each one.
    records: Option<&'static [&'static str]>,
}

/// Loads and writes configuration for one server: its folders and its session flags.
#[derive(Debug, Clone)]
pub struct ConfigService {
    paths: ConfigPaths,
    session: SessionFlags,
    /// Shared by every clone: set once fetched, and again after a login changes the account.
    cloud: Arc<RwLock<Option<CloudRequirements>>>,
}

impl ConfigService {
    /// Refuses session flags that the requirements forbid: the server would otherwise start
    /// with settings the admin does not allow.
    pub fn new(paths: ConfigPaths, session: SessionFlags) -> Result<Self, ConfigError> {
        let service = Self {
            paths,
            session,
            cloud: Arc::default(),
        };
        let stack = service.load(None);
        check_allowed(&stack, service.session.config())?;
        Ok(service)
    }

    pub fn paths(&self) -> &ConfigPaths {
        &self.paths
    }

    /// Loads every layer. Project layers are included only for a `cwd`: without one the config
    /// is the same for every thread.
    pub fn load(&self, cwd: Option<&AbsolutePathBuf>) -> ConfigLayerStack {
        loader::load(&self.paths, &self.session, cwd, self.cloud().as_ref())
    }

    /// Sets (or, with `None`, drops) the requirements the ChatGPT backend serves the account,
    /// which take precedence over every requirements file, for every later load of this
    /// service and its clones.
    pub fn set_cloud_requirements(&self, cloud: Option<CloudRequirements>) {
        *self
            .cloud
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = cloud;
    }

    fn cloud(&self) -> Option<CloudRequirements> {
        self.cloud
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Loads the config of a thread that runs in `cwd` with `overrides` (from `thread/start`)
    /// on top of the session flags. Overrides of the wrong type or forbidden by the
    /// requirements are refused.
    pub fn load_for_thread(
        &self,
        cwd: &AbsolutePathBuf,
        overrides: impl IntoIterator<Item = (String, toml::Value)>,
    ) -> Result<ConfigLayerStack, ConfigError> {
        let extra = SessionFlags::new(overrides, cwd)?;
        let session = self.session.with(&extra);
        let stack = loader::load(&self.paths, &session, Some(cwd), self.cloud().as_ref());
        check_allowed(&stack, extra.config())?;
        Ok(stack)
    }

    /// Applies a `config/value/write` or `config/batchWrite` to the user's `config.toml`.
    pub fn write(&self, request: WriteRequest) -> Result<WriteOutcome, WriteError> {
        let user_file = self.paths.user_config();
        if let Some(path) = &request.file_path
            && !same_file(Path::new(path), &user_file)
        {
            return Err(WriteError::LayerReadonly);
        }
        self.write_locked(request.expected_version.as_deref(), |_| {
            request
                .edits
                .iter()
                .map(|edit| {
                    let path =
                        tree::parse_key_path(&edit.key_path).map_err(|error| match error {
                            tree::KeyPathError::Empty => {
                                WriteError::Validation("keyPath must not be empty".to_owned())
                            }
                            other => WriteError::Validation(format!("invalid keyPath: {other}")),
                        })?;
                    let value = match &edit.value {
                        serde_json::Value::Null => None,
                        value => Some(
                            serde_json::from_value::<toml::Value>(value.clone()).map_err(
                                |error| WriteError::Validation(format!("invalid value: {error}")),
                            )?,
                        ),
                    };
                    Ok(Edit {
                        path,
                        value,
                        merge_strategy: edit.merge_strategy,
                        missing_ok: false,
                        records: None,
                    })
                })
                .collect()
        })
    }

    /// The v1 `setDefaultModel`: sets (or, for `None`, removes) `model` and
    /// `model_reasoning_effort`, in the profile the user's file selects if it selects one.
    pub fn set_default_model(
        &self,
        model: Option<String>,
        effort: Option<ReasoningEffort>,
    ) -> Result<WriteOutcome, WriteError> {
        self.write_locked(None, |current| {
            let mut scope = Vec::new();
            if let Some(profile) = current.get("profile").and_then(toml::Value::as_str) {
                scope = vec!["profiles".to_owned(), profile.to_owned()];
            }
            let effort = effort
                .map(|effort| serde_json::from_value::<toml::Value>(serde_json::json!(effort)))
                .transpose()
                .map_err(|error| WriteError::Validation(format!("invalid value: {error}")))?;
            let edit = |key: &str, value: Option<toml::Value>| {
                let mut path = scope.clone();
                path.push(key.to_owned());
                Edit {
                    path,
                    value,
                    merge_strategy: MergeStrategy::Replace,
                    missing_ok: true,
                    records: None,
                }
            };
            Ok(vec![
                edit("model", model.clone().map(toml::Value::String)),
                edit("model_reasoning_effort", effort),
            ])
        })
    }

    /// `skills/config/write`: turns the skill whose `SKILL.md` is at `path` off (an entry
    /// `[[skills.config]] path = .., enabled = false`) or back on (its entries removed, since
    /// skills are on unless turned off).
    pub fn set_skill_enabled(
        &self,
        path: &Path,
        enabled: bool,
    ) -> Result<WriteOutcome, WriteError> {
        let path_text = path.to_string_lossy().into_owned();
        self.write_locked(None, |current| {
            let mut entries: Vec<toml::Value> = current
                .get("skills")
                .and_then(|skills| skills.get("config"))
                .and_then(toml::Value::as_array)
                .cloned()
                .unwrap_or_default();
            entries.retain(|entry| {
                entry.get("path").and_then(toml::Value::as_str) != Some(path_text.as_str())
            });
            if !enabled {
                let mut entry = toml::Table::new();
                entry.insert("path".to_owned(), toml::Value::String(path_text.clone()));
                entry.insert("enabled".to_owned(), toml::Value::Boolean(false));
                entries.push(toml::Value::Table(entry));
            }
            Ok(vec![Edit {
                path: vec!["skills".to_owned(), "config".to_owned()],
                value: (!entries.is_empty()).then_some(toml::Value::Array(entries)),
                merge_strategy: MergeStrategy::Replace,
                missing_ok: true,
                records: Some(&["path", "enabled"]),
            }])
        })
    }

    /// Runs a write under the lock: reads the file, checks the version, applies the edits that
    /// `edits` makes from the current (raw) table, validates, and saves.
    fn write_locked(
        &self,
        expected_version: Option<&str>,
        edits: impl FnOnce(&toml::Table) -> Result<Vec<Edit>, WriteError>,
    ) -> Result<WriteOutcome, WriteError> {
        let user_file = self.paths.user_config();
        let io_error = |source| WriteError::Io {
            file: user_file.to_path_buf(),
            source,
        };
        fs::create_dir_all(&self.paths.codex_home).map_err(io_error)?;
        let lock_file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.paths.codex_home.as_path().join("config.toml.lock"))
            .map_err(io_error)?;
        let mut lock = fd_lock::RwLock::new(lock_file);
        let _guard = lock.write().map_err(io_error)?;

        let target = follow_links(user_file.as_path());
        let text = match fs::read_to_string(&target) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(io_error(error)),
        };
        let stack = self.load(None);
        let current_version = stack
            .user_layer()
            .map(|layer| layer.version.clone())
            .unwrap_or_default();
        if let Some(expected) = expected_version
            && expected != current_version
        {
            return Err(WriteError::VersionConflict);
        }

        let broken = |error: toml_edit::TomlError| {
            let place = error.span().map(|span| range_of(&text, span).start);
            let place = place.map_or(String::new(), |place| {
                format!(":{}:{}", place.line, place.column)
            });
            WriteError::invalid(format!(
                "{}{place}: {}",
                user_file.display(),
                error.message()
            ))
        };
        let mut doc = text.parse::<DocumentMut>().map_err(broken)?;
        let mut model: toml::Table = toml::from_str(&doc.to_string())
            .map_err(|error| WriteError::invalid(error.message()))?;

        let edits = edits(&model)?;
        for edit in &edits {
            let old = tree::get(&model, &edit.path).cloned();
            match &edit.value {
                None => match tree::remove(&mut model, &edit.path) {
                    Ok(_) => {}
                    Err(()) if edit.missing_ok => {}
                    Err(()) => return Err(WriteError::PathNotFound),
                },
                Some(value) => {
                    let value = match (&old, value, edit.merge_strategy) {
                        (
                            Some(toml::Value::Table(existing)),
                            toml::Value::Table(incoming),
                            MergeStrategy::Upsert,
                        ) => {
                            let mut merged = existing.clone();
                            tree::merge(&mut merged, incoming);
                            toml::Value::Table(merged)
                        }
                        _ => value.clone(),
                    };
                    tree::set(&mut model, &edit.path, value).map_err(|()| {
                        WriteError::Validation("cannot set value on non-table parent".to_owned())
                    })?;
                }
            }
            let new = tree::get(&model, &edit.path).cloned();
            if old != new {
                if let Some(field_order) = edit.records {
                    edit::set_records(&mut doc, &edit.path, new.as_ref(), field_order);
                } else {
                    edit::apply(&mut doc, &edit.path, old.as_ref(), new.as_ref());
                }
            }
        }

        let base = user_file.parent().unwrap_or_else(|| user_file.clone());
        let typed = crate::types::type_table(&model, &base).map_err(WriteError::invalid)?;
        let resolved = loader::resolve_paths(model.clone(), &typed);
        // Values the write touches must be allowed; forbidden values elsewhere in the file
        // (written by hand) do not block writes of other keys.
        if let Some(violation) =
            stack
                .requirements()
                .violations(&resolved)
                .into_iter()
                .find(|violation| {
                    edits
                        .iter()
                        .any(|edit| overlaps(&edit.path, &violation.key_path))
                })
        {
            return Err(WriteError::invalid(violation.message));
        }
        let user_layer = ConfigLayer::enabled(
            LayerSource::User {
                file: user_file.clone(),
            },
            resolved,
        );
        let stack = stack.with_layer_replaced(user_layer);
        stack.typed().map_err(|error| match error {
            ConfigError::Invalid(detail) => WriteError::invalid(detail),
            other => WriteError::invalid(other),
        })?;

        let new_text = doc.to_string();
        // The loader must read the file back, or every setting in it would be ignored: a value
        // nested deep under a long key path passes the checks above but not a TOML parser's
        // nesting limit.
        if let Err(error) = toml::from_str::<toml::Table>(&new_text) {
            return Err(WriteError::invalid(format!(
                "the written file would not load again: {}",
                error.message()
            )));
        }
        if new_text != text {
            write_atomically(&target, &new_text).map_err(io_error)?;
        }

        let version = stack
            .user_layer()
            .map(|layer| layer.version.clone())
            .unwrap_or_default();
        let paths: Vec<_> = edits.iter().map(|edit| edit.path.as_slice()).collect();
        let overridden = first_overridden(&stack, &paths);
        Ok(WriteOutcome {
            file: user_file,
            version,
            overridden,
            stack,
        })
    }
}

/// Refuses the values of `config` (session flags) that the requirements forbid.
fn check_allowed(stack: &ConfigLayerStack, config: &toml::Table) -> Result<(), ConfigError> {
    let violations = stack.requirements().violations(config);
    if violations.is_empty() {
        return Ok(());
    }
    let messages: Vec<_> = violations
        .into_iter()
        .map(|violation| violation.message)
        .collect();
    Err(ConfigError::OverrideNotAllowed(messages.join("; ")))
}

/// The first written key whose value a higher layer hides (or, for a removed key, that a layer
/// still sets), as the reference reports it.
fn first_overridden(stack: &ConfigLayerStack, paths: &[&[String]]) -> Option<Overridden> {
    let user = stack.user_layer()?.contribution()?;
    let effective = stack.effective();
    for path in paths {
        let user_value = tree::get(user, path);
        let effective_value = tree::get(&effective, path);
        if user_value.is_some() && user_value == effective_value {
            continue;
        }
        if user_value.is_none() && effective_value.is_none() {
            continue;
        }
        let layer = stack.layers_highest_first().find(|layer| {
            layer
                .contribution()
                .is_some_and(|config| tree::get(config, path).is_some())
        })?;
        return Some(Overridden {
            message: layer.source.override_message(),
            layer: layer.metadata(),
            effective_value: effective_value
                .and_then(|value| serde_json::to_value(value).ok())
                .unwrap_or(serde_json::Value::Null),
        });
    }
    None
}

/// Whether one key path is the other or lies inside it.
fn overlaps(a: &[String], b: &[String]) -> bool {
    a.iter().zip(b).all(|(a, b)| a == b)
}

/// Whether a client-given path names the user's config file.
fn same_file(given: &Path, user_file: &AbsolutePathBuf) -> bool {
    let Ok(given) = AbsolutePathBuf::from_absolute_path(given) else {
        return false;
    };
    if given == *user_file {
        return true;
    }
    match (fs::canonicalize(&given), fs::canonicalize(user_file)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The file a path finally names, following symbolic links (a config file kept in a dotfiles
/// repository stays a link after the write).
fn follow_links(path: &Path) -> PathBuf {
    let mut current = path.to_path_buf();
    for _ in 0..40 {
        match fs::read_link(&current) {
            Ok(target) => {
                current = match current.parent() {
                    Some(parent) => parent.join(target),
                    None => target,
                };
            }
            Err(_) => break,
        }
    }
    current
}

/// Replaces `target` with `text` atomically, keeping its permissions.
fn write_atomically(target: &Path, text: &str) -> io::Result<()> {
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir)?;
    let mut temp = tempfile::Builder::new()
        .prefix(".config.toml.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    if let Ok(metadata) = fs::metadata(target) {
        fs::set_permissions(temp.path(), metadata.permissions())?;
    }
    temp.persist(target).map_err(|error| error.error)?;
    Ok(())
}
