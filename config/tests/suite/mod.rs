//! Config loading and writing against real folders: golden files for what a write leaves in
//! `config.toml` and for how layers combine; requirements; broken files; concurrent writers.
//!
//! Golden files live in `tests/golden/`. After a deliberate change, refresh them with
//! `UPDATE_GOLDEN=1 cargo test -p codex-config --test all` and review the diff.

mod broken;
mod concurrency;
mod layers;
mod requirements;
mod writes;

use std::path::Path;
use std::path::PathBuf;

use codex_config::ConfigPaths;
use codex_config::ConfigService;
use codex_config::SessionFlags;
use codex_utils_absolute_path::AbsolutePathBuf;
use pretty_assertions::assert_eq;
use tempfile::TempDir;

/// A temporary tree with the user's folder (`home/`), the system folder (`system/`) and
/// whatever else a test puts there.
pub struct Fixture {
    dir: TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The root of the tree, canonical (macOS puts temp folders behind a symlink).
    pub fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }

    pub fn path(&self, relative: &str) -> AbsolutePathBuf {
        AbsolutePathBuf::from_absolute_path(self.root().join(relative)).unwrap()
    }

    /// Writes a file, creating its folder; `<root>` in `text` becomes the tree's root.
    pub fn write(&self, relative: &str, text: &str) {
        let path = self.root().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, self.expand(text)).unwrap();
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.root().join(relative)).unwrap()
    }

    pub fn user_config(&self) -> String {
        self.read("home/config.toml")
    }

    pub fn expand(&self, text: &str) -> String {
        text.replace("<root>", &self.root().display().to_string())
    }

    /// Replaces the tree's root in `text` with `<root>`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.root().display().to_string(), "<root>")
    }

    pub fn paths(&self) -> ConfigPaths {
        ConfigPaths {
            codex_home: self.path("home"),
            system_dir: self.path("system"),
        }
    }

    pub fn service(&self) -> ConfigService {
        ConfigService::new(self.paths(), SessionFlags::default()).unwrap()
    }

    pub fn service_with(&self, flags: &[(&str, &str)]) -> ConfigService {
        ConfigService::new(self.paths(), self.flags(flags)).unwrap()
    }

    /// Session flags from `key`, TOML `value` pairs, relative to the tree's root.
    pub fn flags(&self, flags: &[(&str, &str)]) -> SessionFlags {
        SessionFlags::new(toml_pairs(flags), &self.root()).unwrap()
    }

    /// Copies a folder of `tests/golden/` into the tree, expanding `<root>` in every file.
    pub fn copy_golden(&self, from: &str) {
        let source = golden_dir().join(from);
        copy_tree(&source, &source, self);
    }
}

fn copy_tree(base: &Path, dir: &Path, fixture: &Fixture) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            copy_tree(base, &path, fixture);
        } else {
            let relative = path
                .strip_prefix(base)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            fixture.write(&relative, &std::fs::read_to_string(&path).unwrap());
        }
    }
}

pub fn toml_pairs(pairs: &[(&str, &str)]) -> Vec<(String, toml::Value)> {
    pairs
        .iter()
        .map(|(key, value)| {
            let wrapped: toml::Table = toml::from_str(&format!("v = {value}")).unwrap();
            ((*key).to_owned(), wrapped["v"].clone())
        })
        .collect()
}

pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Compares `actual` with the golden file at `relative`, or rewrites the file when
/// `UPDATE_GOLDEN` is set.
#[track_caller]
pub fn check_golden(relative: &str, actual: &str) {
    let path = golden_dir().join(relative);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read {}: {error}; create it with UPDATE_GOLDEN=1",
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "{} differs; if the change is intended, refresh with UPDATE_GOLDEN=1",
        path.display()
    );
}
