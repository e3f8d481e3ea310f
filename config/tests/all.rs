//! The integration tests of `codex-config`, one binary; the modules are in `suite/`.

// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod suite;
