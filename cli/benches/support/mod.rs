//! What the benches share: a `codex app-server` driven over stdio, and the config that points
//! it at the mock model.

#![allow(dead_code, reason = "each bench uses only part of what they share")]

use std::ffi::OsStr;
use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use anyhow::Result;
use anyhow::bail;
use serde_json::Value;
use serde_json::json;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::io::Lines;
use tokio::process::Child;
use tokio::process::ChildStdin;
use tokio::process::ChildStdout;
use tokio::process::Command;

/// The servers to measure, by label: this build's `codex`, and the one
/// `CODEX_BENCH_REFERENCE` names, if any.
pub fn binaries() -> Result<Vec<(String, PathBuf)>> {
    let mut binaries = vec![(
        "codex".to_owned(),
        codex_utils_cargo_bin::cargo_bin("codex")?,
    )];
    if let Some(reference) = std::env::var_os("CODEX_BENCH_REFERENCE") {
        binaries.push(("reference".to_owned(), PathBuf::from(reference)));
    }
    Ok(binaries)
}

/// A config whose model is the mock at `model_url`, with no approvals, no sandbox and no
/// retries.
pub fn mock_config(model_url: &str) -> String {
    format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\n\n[model_providers.mock]\nname = \"mock\"\n\
         base_url = \"{model_url}\"\nwire_api = \"responses\"\nrequest_max_retries = 0\n\
         stream_max_retries = 0\n"
    )
}

/// A fresh `$CODEX_HOME` whose config points at the mock model at `model_url`, and the
/// `work` folder in it that threads start in.
pub fn mock_home(model_url: &str) -> Result<(tempfile::TempDir, PathBuf)> {
    let home = tempfile::tempdir()?;
    let work = home.path().join("work");
    std::fs::create_dir_all(&work)?;
    std::fs::write(home.path().join("config.toml"), mock_config(model_url))?;
    Ok((home, work))
}

/// `program` with a cleared environment but for `PATH`, `CODEX_HOME` and `HOME` set to `home`,
/// and stdin and stdout piped; add the arguments that start the server.
pub fn command(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("CODEX_HOME", home)
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    command
}

/// A running server and its protocol lines.
pub struct Server {
    child: Child,
    pub pid: u32,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    /// Any single answer taking longer than this fails the run.
    step_limit: Duration,
}

impl Server {
    pub fn spawn(mut command: Command, step_limit: Duration) -> Result<Self> {
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {:?}", command.as_std().get_program()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        Ok(Self {
            child,
            pid,
            stdin,
            lines: BufReader::new(stdout).lines(),
            step_limit,
        })
    }

    pub async fn send(&mut self, message: Value) -> Result<()> {
        let mut line = serde_json::to_vec(&message)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        Ok(())
    }

    /// Sends a request and waits for its answer, skipping notifications and refusing errors.
    pub async fn call(&mut self, request: Value) -> Result<Value> {
        let id = request["id"].clone();
        self.send(request).await?;
        loop {
            let message = self.next().await?;
            if message.get("id") == Some(&id) && message.get("method").is_none() {
                if message.get("error").is_some() {
                    bail!("request {id} failed: {message}");
                }
                return Ok(message);
            }
        }
    }

    /// `initialize` (as request 1) and `initialized`.
    pub async fn initialize(&mut self) -> Result<()> {
        self.call(json!({"id": 1, "method": "initialize", "params": {
            "clientInfo": {"name": "bench", "version": "1"},
        }}))
        .await?;
        self.send(json!({"method": "initialized"})).await
    }

    /// `thread/start` in `cwd` as request `id`; answers the thread's id.
    pub async fn start_thread(&mut self, id: u64, cwd: &Path) -> Result<String> {
        let answer = self
            .call(json!({"id": id, "method": "thread/start", "params": {"cwd": cwd}}))
            .await?;
        answer["result"]["thread"]["id"]
            .as_str()
            .map(str::to_owned)
            .context("thread/start answered no thread id")
    }

    pub async fn next(&mut self) -> Result<Value> {
        let line = tokio::time::timeout(self.step_limit, self.lines.next_line())
            .await
            .context("the server went silent")??
            .context("the server closed its output")?;
        Ok(serde_json::from_str(&line)?)
    }

    /// Closes stdin and waits up to `limit` for the server to exit; kills it after that.
    pub async fn stop(mut self, limit: Duration) -> Result<()> {
        drop(self.stdin);
        if tokio::time::timeout(limit, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
            bail!("the server did not exit within {limit:?} of its input closing");
        }
        Ok(())
    }
}
