//! Where the reference's recorded data lives: the folder `shared/reference/codex-0.101.0` that
//! sits next to the repository, not in it (examples, schemas, rollout samples).

use std::path::Path;
use std::path::PathBuf;

/// Where the folder sits relative to a directory that holds the project's shared files.
const REFERENCE: &str = "shared/reference/codex-0.101.0";

/// The reference folder: `CODEX_REFERENCE_DIR` when set, else `shared/reference/codex-0.101.0`
/// in the nearest ancestor of this crate that has it, else the one of this workplace
/// (`/work/shared`), so that a clone anywhere on the machine finds it.
///
/// # Panics
///
/// When no candidate exists, naming every place it looked, so a test fails with the fix in its
/// message.
pub fn reference_dir() -> PathBuf {
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
        ["examples", "json-experimental", "rollouts"]
            .iter()
            .all(|sub| dir.join(sub).is_dir())
    });
    match found {
        Some(dir) => dir.clone(),
        None => panic!(
            "the reference folder (with examples/, json-experimental/ and rollouts/) is missing; \
             looked in:\n  {}\nset CODEX_REFERENCE_DIR to it",
            candidates
                .iter()
                .map(|dir| dir.display().to_string())
                .collect::<Vec<_>>()
                .join("\n  ")
        ),
    }
}
