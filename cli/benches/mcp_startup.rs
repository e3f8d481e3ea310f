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

mod support;

use std::path::Path;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::Result;
use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
use serde_json::json;
use support::Server;

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
    let binaries = support::binaries()?;
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

    let mut command = support::command(binary, home.path());
    command.arg("app-server");
    let mut server = Server::spawn(command, STEP_LIMIT)?;
    server.initialize().await?;

    let started = Instant::now();
    let thread = server.start_thread(2, &work).await?;
    let thread_start = started.elapsed();

    let started = Instant::now();
    server
        .call(json!({"id": 3, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "hello"}],
        }}))
        .await?;
    while server.next().await?["method"] != "turn/completed" {}
    let first_turn = started.elapsed();
    let rss_mib = resident_kib(server.pid)? as f64 / 1024.0;
    // A server slow to exit does not spoil what was measured.
    let _ = server.stop(Duration::from_secs(5)).await;
    Ok(Sample {
        thread_start_ms: thread_start.as_secs_f64() * 1000.0,
        first_turn_ms: first_turn.as_secs_f64() * 1000.0,
        rss_mib,
    })
}

fn config(model_url: &str, mcp_server: &Path) -> String {
    let mut config = support::mock_config(model_url);
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
