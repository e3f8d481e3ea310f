//! The single integration-test binary of `codex-apply-patch`; the tests live in `suite/`.

// Clippy's test exemption covers `#[test]` functions only, but in a test binary the helpers
// they call panic on failure just the same, and should.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod suite;
