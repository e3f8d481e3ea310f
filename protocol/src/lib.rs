//! codex-protocol
