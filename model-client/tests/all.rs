//! The integration tests of `codex-model-client`, one binary; the modules are in `suite/`.

// Helpers outside `#[test]` functions are test code too, and should panic on failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod suite;
