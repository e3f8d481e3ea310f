//! codex-utils-json-to-toml
