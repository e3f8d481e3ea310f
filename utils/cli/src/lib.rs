//! codex-utils-cli
