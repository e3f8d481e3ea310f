//! Integration tests of the rollout store, each in a temporary CODEX_HOME.

mod index;
mod other_processes;
mod samples;
mod support;
mod write_read;
