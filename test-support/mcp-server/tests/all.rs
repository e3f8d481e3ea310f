//! Spawns the built `test-mcp-server` and checks what it does over stdio and streamable HTTP,
//! talking to it with rmcp's client. Building this test is also what makes `cargo test
//! --workspace` build the binary that other crates' tests spawn.

// Clippy's test exemption covers `#[test]` functions only, but in a test binary the helpers
// they call panic on failure just the same, and should.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod suite;
