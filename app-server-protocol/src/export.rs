//! Writes the TypeScript and JSON Schema trees that clients build against.

use std::path::Path;

/// Writes the TypeScript bindings under `out_dir`, optionally formatted by a Prettier binary.
pub fn generate_ts(out_dir: &Path, prettier: Option<&Path>, experimental: bool) -> std::io::Result<()> {
    let _ = (out_dir, prettier, experimental);
    Err(std::io::Error::other("generate-ts is being written"))
}

/// Writes one JSON Schema file per protocol type, plus the bundle, under `out_dir`.
pub fn generate_json(out_dir: &Path, experimental: bool) -> std::io::Result<()> {
    let _ = (out_dir, experimental);
    Err(std::io::Error::other("generate-json-schema is being written"))
}
