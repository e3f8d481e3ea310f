//! The generated trees are committed under `schema/`; this test keeps them equal to the code.

use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;

const REFRESH: &str = "rm -rf app-server-protocol/schema && cargo run -p codex-cli -- app-server generate-json-schema --out app-server-protocol/schema/json && \
cargo run -p codex-cli -- app-server generate-ts --out app-server-protocol/schema/typescript";

/// Every file under `root`, by path relative to it.
fn read_tree(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

fn assert_same_tree(checked_in: &Path, generated: &Path) {
    let expected = read_tree(checked_in);
    let actual = read_tree(generated);
    let mut problems = Vec::new();
    for path in expected.keys().filter(|path| !actual.contains_key(*path)) {
        problems.push(format!("no longer generated: {}", path.display()));
    }
    for (path, text) in &actual {
        match expected.get(path) {
            None => problems.push(format!("not checked in: {}", path.display())),
            Some(old) if old != text => problems.push(format!("out of date: {}", path.display())),
            Some(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{} differs from what the code generates:\n  {}\nrefresh it from the repository root with:\n  {REFRESH}",
        checked_in.display(),
        problems.join("\n  ")
    );
}

#[test]
fn checked_in_json_schema_is_current() {
    let out = tempfile::tempdir().unwrap();
    super::generate_json(out.path(), false).unwrap();
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/json");
    assert_same_tree(&checked_in, out.path());
}

#[test]
fn checked_in_typescript_is_current() {
    let out = tempfile::tempdir().unwrap();
    super::generate_ts(out.path(), None, false).unwrap();
    let checked_in = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/typescript");
    assert_same_tree(&checked_in, out.path());
}
