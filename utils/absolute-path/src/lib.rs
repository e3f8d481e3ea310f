//! An absolute, lexically normalised path type.
//!
//! [`AbsolutePathBuf`] puts "this path is absolute" into the type, so code that receives one never
//! has to wonder which directory a path is relative to. Normalisation is purely lexical: `.` and
//! `..` components are removed, symlinks are not followed and the path need not exist.
//!
//! Relative paths found while deserialising (for example in a config file) are resolved against a
//! base directory installed for the duration of the parse with an [`AbsolutePathBufGuard`].
//!
//! ```
//! use std::path::Path;
//! use codex_utils_absolute_path::{AbsolutePathBuf, AbsolutePathBufGuard};
//!
//! # #[cfg(unix)] {
//! let path = AbsolutePathBuf::resolve_path_against_base("../b/./c", "/work/a").unwrap();
//! assert_eq!(path.as_path(), Path::new("/work/b/c"));
//!
//! let parsed: AbsolutePathBuf = {
//!     let _guard = AbsolutePathBufGuard::new(Path::new("/etc/codex"));
//!     serde_json::from_str(r#""rules/default.md""#).unwrap()
//! };
//! assert_eq!(parsed.as_path(), Path::new("/etc/codex/rules/default.md"));
//! # }
//! ```

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::ops::Deref;
use std::path::Component;
use std::path::Path;
use std::path::PathBuf;

use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::de::Error as _;
use ts_rs::TS;

/// A path that is absolute and contains no `.` or `..` components.
///
/// Serialises as a string. See the crate documentation for how relative paths are deserialised.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, TS)]
#[ts(type = "string")]
pub struct AbsolutePathBuf(PathBuf);

impl AbsolutePathBuf {
    /// Wraps `path` after normalising it, failing with [`io::ErrorKind::InvalidInput`] if it is
    /// not absolute.
    pub fn from_absolute_path(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        if !path.is_absolute() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("path is not absolute: {}", path.display()),
            ));
        }
        Ok(Self(normalize(path)))
    }

    /// Resolves `path` to an absolute path.
    ///
    /// A leading `~` component is replaced by the home directory; an absolute `path` is kept as
    /// is; any other relative `path` is joined onto `base`, which must then be absolute.
    pub fn resolve_path_against_base(
        path: impl AsRef<Path>,
        base: impl AsRef<Path>,
    ) -> io::Result<Self> {
        let path = expand_tilde(path.as_ref())?;
        if path.is_absolute() {
            return Ok(Self(normalize(&path)));
        }
        let base = base.as_ref();
        if !base.is_absolute() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot resolve {} against base directory {}: base is not absolute",
                    path.display(),
                    base.display()
                ),
            ));
        }
        Ok(Self(normalize(&base.join(path))))
    }

    /// Resolves `path` against `self`, exactly like [`Self::resolve_path_against_base`]; an
    /// absolute `path` replaces `self`, as with [`Path::join`].
    pub fn join(&self, path: impl AsRef<Path>) -> io::Result<Self> {
        Self::resolve_path_against_base(path, &self.0)
    }

    /// The parent directory, or `None` for a filesystem root.
    pub fn parent(&self) -> Option<Self> {
        // The parent of a normalised absolute path is itself normalised and absolute.
        self.0.parent().map(|parent| Self(parent.to_path_buf()))
    }

    pub fn as_path(&self) -> &Path {
        &self.0
    }

    pub fn to_path_buf(&self) -> PathBuf {
        self.0.clone()
    }

    pub fn into_path_buf(self) -> PathBuf {
        self.0
    }
}

/// Removes `.` and `..` components without touching the filesystem. A `..` at the root stays at
/// the root, as it does in the kernel's own resolution.
fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::RootDir | Component::Normal(_) => {
                normalized.push(component);
            }
            Component::CurDir => {}
            Component::ParentDir => {
                normalized.pop();
            }
        }
    }
    normalized
}

/// Replaces a leading `~` component with the home directory. `~user` is not supported and is left
/// alone, to be treated as an ordinary relative path.
fn expand_tilde(path: &Path) -> io::Result<PathBuf> {
    let mut components = path.components();
    match components.next() {
        Some(Component::Normal(first)) if first == "~" => {
            let home = std::env::home_dir().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("cannot expand {}: home directory not found", path.display()),
                )
            })?;
            Ok(home.join(components.as_path()))
        }
        _ => Ok(path.to_path_buf()),
    }
}

impl Deref for AbsolutePathBuf {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for AbsolutePathBuf {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl fmt::Debug for AbsolutePathBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug like a plain path, so assertion output stays readable.
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<AbsolutePathBuf> for PathBuf {
    fn from(path: AbsolutePathBuf) -> PathBuf {
        path.0
    }
}

impl TryFrom<PathBuf> for AbsolutePathBuf {
    type Error = io::Error;

    fn try_from(path: PathBuf) -> io::Result<Self> {
        Self::from_absolute_path(path)
    }
}

impl TryFrom<&Path> for AbsolutePathBuf {
    type Error = io::Error;

    fn try_from(path: &Path) -> io::Result<Self> {
        Self::from_absolute_path(path)
    }
}

thread_local! {
    static DESERIALIZE_BASE: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

/// Sets the directory that relative paths are resolved against while deserialising an
/// [`AbsolutePathBuf`] on the current thread, until the guard is dropped.
///
/// Guards nest: dropping one restores whatever base was in effect when it was created. The guard
/// is deliberately neither `Send` nor `Sync`, because the base is per thread.
#[must_use = "the base directory is unset again when the guard is dropped"]
pub struct AbsolutePathBufGuard {
    previous: Option<PathBuf>,
    _not_send: PhantomData<*const ()>,
}

impl AbsolutePathBufGuard {
    pub fn new(base: &Path) -> Self {
        let previous = DESERIALIZE_BASE.replace(Some(base.to_path_buf()));
        Self {
            previous,
            _not_send: PhantomData,
        }
    }
}

impl Drop for AbsolutePathBufGuard {
    fn drop(&mut self) {
        DESERIALIZE_BASE.set(self.previous.take());
    }
}

impl<'de> Deserialize<'de> for AbsolutePathBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let path = PathBuf::deserialize(deserializer)?;
        let path = expand_tilde(&path).map_err(D::Error::custom)?;
        if path.is_absolute() {
            return Ok(Self(normalize(&path)));
        }
        DESERIALIZE_BASE.with_borrow(|base| match base {
            Some(base) => Self::resolve_path_against_base(&path, base).map_err(D::Error::custom),
            None => Err(D::Error::custom(format!(
                "relative path {} cannot be resolved: no base directory is set \
                 (install an AbsolutePathBufGuard while deserializing)",
                path.display()
            ))),
        })
    }
}

impl schemars::JsonSchema for AbsolutePathBuf {
    fn schema_name() -> String {
        "AbsolutePathBuf".to_owned()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(concat!(module_path!(), "::AbsolutePathBuf"))
    }

    fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        <String as schemars::JsonSchema>::json_schema(generator)
    }
}

#[cfg(test)]
mod tests;
