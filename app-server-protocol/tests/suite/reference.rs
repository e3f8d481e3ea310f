//! The recorded data of codex 0.101.0 that the round trips read: the examples recorded from its
//! server and the JSON Schemas it exports, kept in test-support's fixtures.

use std::fs;
use std::path::PathBuf;

use schemars::schema::RootSchema;

/// The recorded reference data; see `codex_test_support::reference_dir`.
pub fn dir() -> PathBuf {
    codex_test_support::reference_dir()
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
