//! What one streamed delta costs the server, in instructions: `codex app-server` runs under
//! `valgrind --tool=callgrind`, which counts the instructions every thread executes, so the
//! figure does not move with the machine's load the way a time does.
//!
//! Each run starts a server, opens a thread and runs one turn whose answer the mock model
//! streams as `deltas` text deltas, then stops the server. Two runs that differ only in the
//! number of deltas give the cost of one delta as the difference of their totals divided by
//! the difference of their deltas: start-up, the thread and the turn's fixed work cancel out.
//! The larger run's most expensive functions (exclusive instructions, from
//! `callgrind_annotate`) are printed below the figure.
//!
//! `cargo bench -p codex-cli --bench delta_instructions` compares [`FULL`] turns (a few minutes
//! under valgrind); without `--bench` (as under `cargo test --benches`) it compares [`SMOKE`].
//! Set `CODEX_BENCH_REFERENCE=/path/to/codex` to measure another build in the same run. Needs
//! `valgrind` and `callgrind_annotate` on `PATH`.

#![expect(
    clippy::print_stdout,
    reason = "a bench binary reports its figures on stdout"
)]

mod support;

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use anyhow::Result;
use anyhow::bail;
use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
use serde_json::json;
use support::Server;

/// The deltas of the smaller and the larger turn of a full run.
const FULL: (usize, usize) = (2_000, 22_000);
const SMOKE: (usize, usize) = (20, 220);
/// Any single answer taking longer than this fails the run (valgrind is slow).
const STEP_LIMIT: Duration = Duration::from_secs(600);
/// How many functions of the larger run are listed.
const TOP_FUNCTIONS: usize = 15;

fn main() -> Result<()> {
    let (small, large) = if std::env::args().any(|arg| arg == "--bench") {
        FULL
    } else {
        SMOKE
    };
    let binaries = support::binaries()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for (label, binary) in &binaries {
        let scratch = tempfile::tempdir()?;
        let few = runtime.block_on(count(binary, small, &scratch.path().join("small.out")))?;
        let large_out = scratch.path().join("large.out");
        let many = runtime.block_on(count(binary, large, &large_out))?;
        let per_delta = many.saturating_sub(few) as f64 / (large - small) as f64;
        println!(
            "{label}: {per_delta:.0} instructions per delta ({few} for {small} deltas, {many} for \
             {large})"
        );
        println!("{}", top_functions(&large_out)?);
    }
    Ok(())
}

/// Runs one turn of `deltas` deltas under callgrind and answers the instructions the server
/// executed in all, as callgrind wrote them to `out`.
async fn count(binary: &Path, deltas: usize, out: &Path) -> Result<u64> {
    let model = MockModelServer::start().await?;
    let text = vec!["w"; deltas].join(" ");
    model.enqueue(Reply::sse(sse::text_turn("resp-1", &text)));
    let (home, work) = support::mock_home(&model.base_url())?;

    let mut command = support::command("valgrind", home.path());
    command
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary)
        .arg("app-server")
        .env("RUST_LOG", "error");
    let mut server = Server::spawn(command, STEP_LIMIT)?;
    server.initialize().await?;
    let thread = server.start_thread(2, &work).await?;
    server
        .call(json!({"id": 3, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "hello"}],
        }}))
        .await?;
    let mut seen = 0;
    loop {
        let message = server.next().await?;
        match message["method"].as_str() {
            Some("item/agentMessage/delta") => seen += 1,
            Some("turn/completed") => break,
            _ => {}
        }
    }
    if seen != deltas {
        bail!("the turn streamed {seen} deltas, not {deltas}");
    }
    server.stop(STEP_LIMIT).await?;
    total_instructions(out)
}

/// The `totals:` (or, from older valgrinds, `summary:`) line of a callgrind output file.
fn total_instructions(out: &Path) -> Result<u64> {
    let text = std::fs::read_to_string(out)
        .with_context(|| format!("callgrind wrote no {}", out.display()))?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix("totals:")
                .or_else(|| line.strip_prefix("summary:"))
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .with_context(|| format!("no instruction total in {}", out.display()))
}

/// The functions that executed the most instructions themselves, as `callgrind_annotate`
/// lists them.
fn top_functions(out: &Path) -> Result<String> {
    let annotated = std::process::Command::new("callgrind_annotate")
        .arg("--inclusive=no")
        .arg(out)
        .output()
        .context("cannot run callgrind_annotate")?;
    let text = String::from_utf8_lossy(&annotated.stdout);
    // The table follows the header line naming the columns; its rows name `file:function`.
    let rows: Vec<&str> = text
        .lines()
        .skip_while(|line| !line.contains("file:function"))
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .take(TOP_FUNCTIONS)
        .collect();
    Ok(rows.join("\n"))
}
