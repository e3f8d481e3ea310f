//! codex-utils-cargo-bin
