//! codex-utils-absolute-path
