//! Tests that run the real `codex` binary, plus the check that Bazel and Cargo agree.

mod account;
mod app_server;
mod apps;
mod auth;
mod bazel_sync;
mod chatgpt;
mod command_exec;
mod config;
mod fuzzy_file_search;
mod generate;
mod login_chatgpt;
mod mcp;
mod mcp_server;
mod methods;
mod models;
mod reference_ts_client;
mod review;
mod sandbox;
mod sandbox_policy;
mod serve;
mod threads;
mod top_level;
mod typescript;

use std::fmt;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// What one run of the `codex` binary produced, kept whole so a failing assertion can show it.
pub struct Run {
    args: Vec<String>,
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "ran: codex {}", self.args.join(" "))?;
        writeln!(f, "exit status: {:?}", self.status)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

/// The built `codex` binary, found once by `codex-utils-cargo-bin`, which every test that
/// spawns it uses.
pub fn codex_bin() -> &'static Path {
    static CODEX: OnceLock<PathBuf> = OnceLock::new();
    CODEX.get_or_init(|| {
        codex_utils_cargo_bin::cargo_bin("codex").unwrap_or_else(|error| panic!("{error}"))
    })
}

/// Runs the built `codex` binary in `dir` with a cleared environment, so nothing from the
/// developer's machine (their config, their `HOME`) leaks into the result.
pub fn codex_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(codex_bin())
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .output()
        .unwrap_or_else(|error| panic!("could not start codex {args:?}: {error}"));
    Run {
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the built `codex` binary in a fresh temporary directory.
pub fn codex(args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("no temp dir: {error}"));
    codex_in(dir.path(), args)
}
