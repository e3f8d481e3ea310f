//! The shared reference folder of codex 0.101.0: the examples recorded from its server and the
//! JSON Schemas it exports. It lives next to the repository, not in it.

use std::fs;
use std::path::Path;
use std::path::PathBuf;

use schemars::schema::RootSchema;

/// Where the folder sits relative to a directory that holds the project's shared files.
const REFERENCE: &str = "shared/reference/codex-0.101.0";

/// The reference folder: `CODEX_REFERENCE_DIR` when set, else `shared/reference/codex-0.101.0`
/// in the nearest ancestor of this crate that has it, else the one of this workplace
/// (`/work/shared`), so that a clone anywhere on the machine finds it. Fails with where it was
/// looked for when it is missing.
pub fn dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut candidates: Vec<PathBuf> = std::env::var_os("CODEX_REFERENCE_DIR")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    candidates.extend(
        manifest
            .ancestors()
            .map(|ancestor| ancestor.join(REFERENCE)),
    );
    candidates.push(Path::new("/work").join(REFERENCE));
    let found = candidates.iter().find(|dir| {
        ["examples", "json-experimental"]
            .iter()
            .all(|sub| dir.join(sub).is_dir())
    });
    match found {
        Some(dir) => dir.clone(),
        None => panic!(
            "the reference folder (with examples/ and json-experimental/) is missing; looked in:\n  {}\n\
             set CODEX_REFERENCE_DIR to it",
            candidates
                .iter()
                .map(|dir| dir.display().to_string())
                .collect::<Vec<_>>()
                .join("\n  ")
        ),
    }
}

/// The reference's JSON Schema of the type named `title`, if it exports one. The experimental
/// export is the complete one: the stable export leaves out experimental members, which the
/// reference server still writes.
pub fn schema(title: &str) -> Option<RootSchema> {
    let json = dir().join("json-experimental");
    ["", "v1", "v2"].iter().find_map(|folder| {
        let path = json.join(folder).join(format!("{title}.json"));
        let text = fs::read_to_string(&path).ok()?;
        let schema = serde_json::from_str(&text)
            .unwrap_or_else(|err| panic!("{} is not a JSON Schema: {err}", path.display()));
        Some(schema)
    })
}
