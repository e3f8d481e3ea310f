//! Locates binaries built by cargo, for tests that spawn them.
//!
//! Cargo tells an integration test where its own package's binaries are through
//! `CARGO_BIN_EXE_<name>` at compile time only, and a test in one crate that needs a binary from
//! another workspace package (a test server, say) has to look in the target directory itself.
//! [`cargo_bin`] does both at run time, so the lookup is written once: it takes
//! `CARGO_BIN_EXE_<name>` from the environment when a runner sets it (Bazel does), else finds
//! the binary beside the running test in Cargo's target directory.
//!
//! ```no_run
//! let codex = codex_utils_cargo_bin::cargo_bin("codex")?;
//! let status = std::process::Command::new(codex).arg("--help").status()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The binary must already be built: this crate never runs cargo.

use std::env::consts::EXE_SUFFIX;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CargoBinError {
    #[error("no Cargo.toml with a [workspace] section in {} or any parent directory", start.display())]
    WorkspaceRootNotFound { start: PathBuf },
    #[error("failed to read {}", path.display())]
    ReadManifest {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "binary `{name}` not found (is it built? try `cargo build --bin {name}`); looked for: {}",
        tried.iter().map(|path| path.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    BinaryNotFound { name: String, tried: Vec<PathBuf> },
}

/// Finds the binary `name` built by cargo.
///
/// In order, the first existing file wins:
/// 1. `CARGO_BIN_EXE_<name>`, resolved against the current directory and then the workspace
///    root if relative (Bazel names it relative to the directory the test runs in);
/// 2. `<name>` next to the running test's profile directory: a test executable lives in
///    `<target>/<profile>/deps/`, so this follows whatever target dir and profile built it;
/// 3. `<target>/<profile>/<name>`, where `<target>` is `CARGO_TARGET_DIR` (resolved against the
///    workspace root if relative) or `<workspace root>/target`, and `<profile>` is the running
///    test's profile or `debug`.
pub fn cargo_bin(name: &str) -> Result<PathBuf, CargoBinError> {
    let inputs = Inputs {
        manifest_dir: manifest_dir(),
        bin_exe: std::env::var_os(format!("CARGO_BIN_EXE_{name}")),
        target_dir: std::env::var_os("CARGO_TARGET_DIR"),
        current_exe: std::env::current_exe().ok(),
        current_dir: std::env::current_dir().ok(),
    };
    find_cargo_bin(name, &inputs)
}

/// The root of the cargo workspace containing the current crate: the nearest directory at or
/// above `CARGO_MANIFEST_DIR` whose `Cargo.toml` has a `[workspace]` section.
pub fn workspace_root() -> Result<PathBuf, CargoBinError> {
    find_workspace_root(&manifest_dir())
}

/// `CARGO_MANIFEST_DIR` of the running test if cargo set it, else this crate's own directory,
/// which lies in the same workspace when this crate is used as a path dependency.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Everything the lookup reads from the process, gathered so tests can supply it.
struct Inputs {
    manifest_dir: PathBuf,
    bin_exe: Option<OsString>,
    target_dir: Option<OsString>,
    current_exe: Option<PathBuf>,
    current_dir: Option<PathBuf>,
}

fn find_workspace_root(start: &Path) -> Result<PathBuf, CargoBinError> {
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        let contents = match fs::read_to_string(&manifest) {
            Ok(contents) => contents,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(source) => {
                return Err(CargoBinError::ReadManifest {
                    path: manifest,
                    source,
                });
            }
        };
        if contents
            .lines()
            .any(|line| line.trim_start().starts_with("[workspace]"))
        {
            return Ok(dir.to_path_buf());
        }
    }
    Err(CargoBinError::WorkspaceRootNotFound {
        start: start.to_path_buf(),
    })
}

fn find_cargo_bin(name: &str, inputs: &Inputs) -> Result<PathBuf, CargoBinError> {
    let mut root = None;
    let mut workspace_root = || -> Result<PathBuf, CargoBinError> {
        if let Some(root) = &root {
            return Ok(PathBuf::clone(root));
        }
        let found = find_workspace_root(&inputs.manifest_dir)?;
        root = Some(found.clone());
        Ok(found)
    };

    let mut tried = Vec::new();
    let mut consider = |candidate: PathBuf| -> Option<PathBuf> {
        if candidate.is_file() {
            return Some(candidate);
        }
        if !tried.contains(&candidate) {
            tried.push(candidate);
        }
        None
    };

    if let Some(bin_exe) = &inputs.bin_exe {
        let path = PathBuf::from(bin_exe);
        if path.is_absolute() {
            if let Some(found) = consider(path) {
                return Ok(found);
            }
        } else {
            if let Some(found) = inputs
                .current_dir
                .as_ref()
                .and_then(|dir| consider(dir.join(&path)))
            {
                return Ok(found);
            }
            if let Some(found) = consider(workspace_root()?.join(path)) {
                return Ok(found);
            }
        }
    }

    let file_name = format!("{name}{EXE_SUFFIX}");
    let test_profile_dir = inputs.current_exe.as_deref().and_then(profile_dir_of_test);
    if let Some(profile_dir) = test_profile_dir
        && let Some(found) = consider(profile_dir.join(&file_name))
    {
        return Ok(found);
    }

    let target_dir = match &inputs.target_dir {
        Some(dir) if Path::new(dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace_root()?.join(dir),
        None => workspace_root()?.join("target"),
    };
    let profile = test_profile_dir
        .and_then(Path::file_name)
        .map_or_else(|| OsString::from("debug"), OsString::from);
    if let Some(found) = consider(target_dir.join(profile).join(&file_name)) {
        return Ok(found);
    }

    Err(CargoBinError::BinaryNotFound {
        name: name.to_owned(),
        tried,
    })
}

/// For an executable at `<target>/<profile>/deps/<test>`, returns `<target>/<profile>`.
fn profile_dir_of_test(current_exe: &Path) -> Option<&Path> {
    let deps = current_exe.parent()?;
    if deps.file_name()? != "deps" {
        return None;
    }
    deps.parent()
}

#[cfg(test)]
mod tests;
