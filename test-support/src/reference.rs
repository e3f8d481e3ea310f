//! The reference's recorded data: wire examples, rollout samples and the JSON Schemas the round
//! trips read, recorded from codex-cli 0.101.0 and reduced (see the README in the folder). It
//! is committed under `test-support/fixtures/`, so tests read nothing outside the repository.

use std::path::PathBuf;

/// The folder of recorded reference data: `fixtures/reference-0.101.0` in this crate, holding
/// `examples/`, `json-experimental/` and `rollouts/`.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/reference-0.101.0")
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use serde_json::Value;

    use super::reference_dir;

    fn files(dir: &Path, extension: &str, found: &mut Vec<std::path::PathBuf>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, extension, found);
            } else if path.extension().is_some_and(|ext| ext == extension) {
                found.push(path);
            }
        }
    }

    /// The length of the longest string anywhere in `value`.
    fn longest_string(value: &Value) -> usize {
        match value {
            Value::String(text) => text.chars().count(),
            Value::Array(items) => items.iter().map(longest_string).max().unwrap_or(0),
            Value::Object(members) => members.values().map(longest_string).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// A schema's `description` keyword, as opposed to a member named `description`, whose
    /// value is a schema object.
    fn has_description_text(value: &Value) -> bool {
        match value {
            Value::Array(items) => items.iter().any(has_description_text),
            Value::Object(members) => members.iter().any(|(key, member)| {
                (key == "description" && member.is_string()) || has_description_text(member)
            }),
            _ => false,
        }
    }

    #[test]
    fn the_schemas_carry_no_description_texts() {
        let mut schemas = Vec::new();
        files(
            &reference_dir().join("json-experimental"),
            "json",
            &mut schemas,
        );
        assert!(schemas.len() > 100, "only {} schema files", schemas.len());
        for path in schemas {
            let schema: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
            assert!(!has_description_text(&schema), "{}", path.display());
        }
    }

    #[test]
    fn the_rollout_samples_carry_no_long_prose() {
        let mut samples = Vec::new();
        files(&reference_dir().join("rollouts"), "jsonl", &mut samples);
        assert_eq!(samples.len(), 9, "{samples:?}");
        for path in samples {
            for (number, line) in fs::read_to_string(&path).unwrap().lines().enumerate() {
                let line: Value = serde_json::from_str(line).unwrap();
                let longest = longest_string(&line);
                assert!(
                    longest < 200,
                    "{}:{} holds a string of {longest} characters",
                    path.display(),
                    number + 1
                );
            }
        }
    }
}
