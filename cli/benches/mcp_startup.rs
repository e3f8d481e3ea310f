//! What configured MCP servers cost a thread: `codex app-server` with five stdio servers (the
//! workspace's `test-mcp-server`, each taking [`SERVER_STARTUP`] to answer `initialize`), against
//! the mock model of `codex-test-support`.
//!
//! Per run it measures `thread/start` (request to answer), the first turn (`turn/start` to
//! `turn/completed`, which waits for the servers), and the resident memory of the `codex`
//! process after that turn. `cargo bench -p codex-cli --bench mcp_startup` runs [`FULL_RUNS`]
//! fresh servers per binary and prints medians; without `--bench` (as under
//! `cargo test --benches`) one run is a smoke test. Set `CODEX_BENCH_REFERENCE=/path/to/codex`
//! to measure another build (such as the reference) in the same run. `test-mcp-server` must be
//! built for the same profile first (`cargo build --release -p codex-test-mcp-server`): Cargo
//! builds only this package's binaries for a bench.

#![expect(
    clippy::print_stdout,
    reason = "a bench binary reports its table on stdout"
)]

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::Result;
use anyhow::bail;
use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
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

const SERVERS: usize = 5;
/// How long each MCP server takes to answer `initialize`: long enough that a `thread/start`
/// waiting for startup would show it.
const SERVER_STARTUP: Duration = Duration::from_millis(300);
const FULL_RUNS: usize = 5;
/// Any single answer taking longer than this fails the run.
const STEP_LIMIT: Duration = Duration::from_secs(60);

fn main() -> Result<()> {
    let full = std::env::args().any(|arg| arg == "--bench");
    let runs = if full { FULL_RUNS } else { 1 };
    let mcp_server = codex_utils_cargo_bin::cargo_bin("test-mcp-server")?;
    let mut binaries = vec![(
        "codex".to_owned(),
        codex_utils_cargo_bin::cargo_bin("codex")?,
    )];
    if let Some(reference) = std::env::var_os("CODEX_BENCH_REFERENCE") {
        binaries.push(("reference".to_owned(), PathBuf::from(reference)));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!(
        "{:<10} {:>5} {:>16} {:>16} {:>12}",
        "server", "runs", "thread/start ms", "first turn ms", "RSS MiB"
    );
    for (label, binary) in &binaries {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            samples.push(runtime.block_on(measure(binary, &mcp_server))?);
        }
        let median = |pick: fn(&Sample) -> f64| {
            let mut values: Vec<f64> = samples.iter().map(pick).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        println!(
            "{label:<10} {runs:>5} {:>16.1} {:>16.1} {:>12.1}",
            median(|s| s.thread_start_ms),
            median(|s| s.first_turn_ms),
            median(|s| s.rss_mib),
        );
    }
    Ok(())
}

struct Sample {
    thread_start_ms: f64,
    first_turn_ms: f64,
    rss_mib: f64,
}

async fn measure(binary: &Path, mcp_server: &Path) -> Result<Sample> {
    let model = MockModelServer::start().await?;
    model.enqueue(Reply::sse(sse::text_turn("resp-1", "done")));
    let home = tempfile::tempdir()?;
    let work = home.path().join("work");
    std::fs::create_dir_all(&work)?;
    std::fs::write(
        home.path().join("config.toml"),
        config(&model.base_url(), mcp_server),
    )?;

    let mut server = Server::spawn(binary, home.path())?;
    server
        .call(json!({"id": 1, "method": "initialize", "params": {
            "clientInfo": {"name": "bench", "version": "1"},
        }}))
        .await?;
    server.send(json!({"method": "initialized"})).await?;

    let started = Instant::now();
    let answer = server
        .call(json!({"id": 2, "method": "thread/start", "params": {"cwd": work}}))
        .await?;
    let thread_start = started.elapsed();
    let thread = answer["result"]["thread"]["id"]
        .as_str()
        .context("thread/start answered no thread id")?
        .to_owned();

    let started = Instant::now();
    server
        .call(json!({"id": 3, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "hello"}],
        }}))
        .await?;
    server.wait_for("turn/completed").await?;
    let first_turn = started.elapsed();
    let rss_mib = resident_kib(server.pid)? as f64 / 1024.0;
    server.stop().await;
    Ok(Sample {
        thread_start_ms: thread_start.as_secs_f64() * 1000.0,
        first_turn_ms: first_turn.as_secs_f64() * 1000.0,
        rss_mib,
    })
}

fn config(model_url: &str, mcp_server: &Path) -> String {
    let mut config = format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\n\n[model_providers.mock]\nname = \"mock\"\n\
         base_url = \"{model_url}\"\nwire_api = \"responses\"\nrequest_max_retries = 0\n\
         stream_max_retries = 0\n"
    );
    let delay = SERVER_STARTUP.as_millis();
    for index in 0..SERVERS {
        config.push_str(&format!(
            "\n[mcp_servers.bench{index}]\ncommand = {:?}\n\
             args = [\"--startup-delay-ms\", \"{delay}\"]\n",
            mcp_server.display().to_string()
        ));
    }
    config
}

/// `VmRSS` of a live process, in KiB.
fn resident_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")
}

/// A `codex app-server` over stdio, with its own CODEX_HOME and a cleared environment.
struct Server {
    child: Child,
    pid: u32,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Server {
    fn spawn(binary: &Path, home: &Path) -> Result<Self> {
        let mut child = Command::new(binary)
            .arg("app-server")
            .env_clear()
            .env("CODEX_HOME", home)
            .env("HOME", home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let stdin = child.stdin.take().context("no stdin")?;
        let stdout = child.stdout.take().context("no stdout")?;
        Ok(Self {
            child,
            pid,
            stdin,
            lines: BufReader::new(stdout).lines(),
        })
    }

    async fn send(&mut self, message: Value) -> Result<()> {
        let mut line = serde_json::to_vec(&message)?;
        line.push(b'\n');
        self.stdin.write_all(&line).await?;
        Ok(())
    }

    /// Sends a request and waits for its answer, skipping notifications and refusing errors.
    async fn call(&mut self, request: Value) -> Result<Value> {
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

    async fn wait_for(&mut self, method: &str) -> Result<()> {
        while self.next().await?["method"] != method {}
        Ok(())
    }

    async fn next(&mut self) -> Result<Value> {
        let line = tokio::time::timeout(STEP_LIMIT, self.lines.next_line())
            .await
            .context("the server went silent")??
            .context("the server closed its output")?;
        Ok(serde_json::from_str(&line)?)
    }

    async fn stop(mut self) {
        drop(self.stdin);
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}
