//! A soak of reconnecting clients: `codex app-server` over WebSocket, many experimental clients
//! each on a thread of its own, each dropping its connection in the middle of long turns and
//! resuming with `thread/resume` `afterSeq` (and the `journalId` of the load) many times, against
//! the mock model of `codex-test-support`.
//!
//! Every client checks that the `seq`s it saw, over all its connections, run from 1 without a
//! gap or a repeat, and that every turn's deltas make the model's whole text. The run fails on
//! any loss; it prints what it did, how long it took and the server's peak resident memory
//! (`VmHWM`). `cargo bench -p codex-cli --bench reconnect_soak` runs [`FULL_CLIENTS`] clients of
//! [`FULL_DROPS`] drops each; without `--bench` (as under `cargo test --benches`) a few clients
//! make a smoke test. Not a timed test: the numbers are for reading.

#![expect(
    clippy::print_stdout,
    reason = "a bench binary reports its numbers on stdout"
)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::Result;
use anyhow::bail;
use anyhow::ensure;
use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
use futures::SinkExt;
use futures::StreamExt;
use serde_json::Value;
use serde_json::json;
use tokio::io::AsyncBufReadExt;
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio::process::Child;
use tokio::process::Command;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

const FULL_CLIENTS: usize = 50;
const FULL_DROPS: usize = 20;
const SMOKE_CLIENTS: usize = 3;
const SMOKE_DROPS: usize = 3;
/// Words in each turn's message, one delta each: a turn spans several connections.
const WORDS: usize = 150;
/// Between the model's events: a long turn.
const EVENT_DELAY: Duration = Duration::from_millis(10);
/// Any single wait taking longer than this fails the run.
const STEP_LIMIT: Duration = Duration::from_secs(60);

/// A connection and the notifications that arrived before an answer it waited for.
struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    early: std::collections::VecDeque<Value>,
}

fn main() -> Result<()> {
    let full = std::env::args().any(|arg| arg == "--bench");
    let (clients, drops) = if full {
        (FULL_CLIENTS, FULL_DROPS)
    } else {
        (SMOKE_CLIENTS, SMOKE_DROPS)
    };
    let binary = codex_utils_cargo_bin::cargo_bin("codex")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(soak(&binary, clients, drops))?;
    println!(
        "{:>8} {:>6} {:>8} {:>14} {:>6} {:>10} {:>14}",
        "clients", "drops", "turns", "notifications", "lost", "seconds", "peak RSS MiB"
    );
    println!(
        "{clients:>8} {:>6} {:>8} {:>14} {:>6} {:>10.1} {:>14.1}",
        clients * drops,
        report.turns,
        report.notifications,
        0,
        report.elapsed.as_secs_f64(),
        report.peak_rss_kib as f64 / 1024.0,
    );
    Ok(())
}

struct Report {
    turns: usize,
    notifications: usize,
    elapsed: Duration,
    peak_rss_kib: u64,
}

fn text() -> String {
    (1..=WORDS)
        .map(|word| format!("w{word}"))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn soak(binary: &Path, clients: usize, drops: usize) -> Result<Report> {
    let model = MockModelServer::start().await?;
    let text = text();
    for response in 0..clients * drops {
        model.enqueue(
            Reply::sse(sse::text_turn(&format!("resp-{response}"), &text))
                .delay_between_events(EVENT_DELAY),
        );
    }
    let home = tempfile::tempdir()?;
    let work = home.path().join("work");
    std::fs::create_dir_all(&work)?;
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
             sandbox_mode = \"danger-full-access\"\n\n[model_providers.mock]\nname = \"mock\"\n\
             base_url = \"{}\"\nwire_api = \"responses\"\nrequest_max_retries = 0\n\
             stream_max_retries = 0\n",
            model.base_url()
        ),
    )?;
    let (mut server, address) = spawn(binary, home.path()).await?;
    let pid = server.id().context("the server exited at once")?;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for index in 0..clients {
        let text = text.clone();
        let work = work.display().to_string();
        tasks.push(tokio::spawn(async move {
            run_client(address, &work, index, drops, &text).await
        }));
    }
    let mut turns = 0;
    let mut notifications = 0;
    for task in tasks {
        let (client_turns, client_notifications) = task.await??;
        turns += client_turns;
        notifications += client_notifications;
    }
    let elapsed = started.elapsed();
    let peak_rss_kib = peak_resident_kib(pid)?;
    let _ = server.kill().await;
    Ok(Report {
        turns,
        notifications,
        elapsed,
        peak_rss_kib,
    })
}

/// Starts `codex app-server --listen ws://127.0.0.1:0` and reads its address from the banner.
async fn spawn(binary: &Path, home: &Path) -> Result<(Child, SocketAddr)> {
    let mut child = Command::new(binary)
        .args(["app-server", "--listen", "ws://127.0.0.1:0"])
        .env_clear()
        .env("CODEX_HOME", home)
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let stderr = child.stderr.take().context("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = tokio::time::timeout(STEP_LIMIT, lines.next_line())
            .await
            .context("no banner")??
            .context("the server exited before listening")?;
        if let Some(address) = line.trim().strip_prefix("listening on: ws://") {
            // Keep draining stderr so the server never blocks on it.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Ok((child, address.parse()?));
        }
    }
}

/// One client: a thread, then `drops` connections that each read part of a running turn and
/// drop, each resuming after the last `seq` seen, then a last one reading to the end of the
/// turn. Returns the turns it saw complete and the notifications it saw.
async fn run_client(
    address: SocketAddr,
    work: &str,
    index: usize,
    drops: usize,
    text: &str,
) -> Result<(usize, usize)> {
    let mut socket = connect(address).await?;
    let answer = call(
        &mut socket,
        json!({"id": 1, "method": "thread/start", "params": {"cwd": work}}),
    )
    .await?;
    let thread = answer["result"]["thread"]["id"]
        .as_str()
        .context("no thread id")?
        .to_owned();
    let journal = answer["result"]["journalId"]
        .as_str()
        .context("no journal id")?
        .to_owned();
    let mut seqs: Vec<u64> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut running = false;
    let mut request = 10;
    for round in 0..=drops {
        if round > 0 {
            socket = connect(address).await?;
            let last = seqs.last().copied().unwrap_or(0);
            call(
                &mut socket,
                json!({"id": 2, "method": "thread/resume", "params": {
                    "threadId": thread, "afterSeq": last, "journalId": journal,
                }}),
            )
            .await?;
        }
        if !running && round < drops {
            request += 1;
            call(
                &mut socket,
                json!({"id": request, "method": "turn/start", "params": {
                    "threadId": thread, "input": [{"type": "text", "text": "go"}],
                }}),
            )
            .await?;
            running = true;
        }
        let budget = if round == drops {
            usize::MAX
        } else {
            30 + (index * 7 + round * 13) % 40
        };
        let mut read = 0;
        while running && read < budget {
            let message = next(&mut socket).await?;
            if message.get("id").is_some() || message.get("method").is_none() {
                continue;
            }
            let seq = message["params"]["seq"]
                .as_u64()
                .with_context(|| format!("a notification without seq: {message}"))?;
            seqs.push(seq);
            match message["method"].as_str() {
                Some("item/agentMessage/delta") => {
                    current.push_str(message["params"]["delta"].as_str().unwrap_or_default());
                }
                Some("turn/completed") => {
                    texts.push(std::mem::take(&mut current));
                    running = false;
                }
                _ => {}
            }
            read += 1;
        }
        // The next round's connection replaces this one, which is dropped without a close
        // frame, as a sleeping laptop's would be.
    }
    for (position, seq) in seqs.iter().enumerate() {
        ensure!(
            *seq == position as u64 + 1,
            "client {index}: seq {seq} at position {position} (a gap or a repeat)"
        );
    }
    for turn in &texts {
        ensure!(
            turn == text,
            "client {index}: a turn's text differs: {turn:?}"
        );
    }
    Ok((texts.len(), seqs.len()))
}

async fn connect(address: SocketAddr) -> Result<Socket> {
    let (stream, _) = tokio_tungstenite::connect_async(format!("ws://{address}")).await?;
    let mut socket = Socket {
        stream,
        early: std::collections::VecDeque::new(),
    };
    call(
        &mut socket,
        json!({"id": 0, "method": "initialize", "params": {
            "clientInfo": {"name": "soak", "version": "1"},
            "capabilities": {"experimentalApi": true},
        }}),
    )
    .await?;
    socket
        .stream
        .send(Message::text(json!({"method": "initialized"}).to_string()))
        .await?;
    Ok(socket)
}

/// Sends a request and waits for its answer; notifications that come first are kept for
/// [`next`].
async fn call(socket: &mut Socket, request: Value) -> Result<Value> {
    let id = request["id"].clone();
    socket
        .stream
        .send(Message::text(request.to_string()))
        .await?;
    loop {
        let message = read(socket).await?;
        if message.get("method").is_some() {
            socket.early.push_back(message);
            continue;
        }
        if message.get("id") != Some(&id) {
            bail!("expected the answer to {id}, got {message}");
        }
        if message.get("error").is_some() {
            bail!("request {id} failed: {message}");
        }
        return Ok(message);
    }
}

async fn next(socket: &mut Socket) -> Result<Value> {
    match socket.early.pop_front() {
        Some(message) => Ok(message),
        None => read(socket).await,
    }
}

async fn read(socket: &mut Socket) -> Result<Value> {
    loop {
        let frame = tokio::time::timeout(STEP_LIMIT, socket.stream.next())
            .await
            .context("the server went silent")?
            .context("the server closed the connection")??;
        if let Message::Text(text) = frame {
            return Ok(serde_json::from_str(&text)?);
        }
    }
}

/// `VmHWM` (peak resident memory) of a live process, in KiB.
fn peak_resident_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc status")
}
