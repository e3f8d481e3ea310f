//! Request round trips per second through `codex app-server`, over stdio and over WebSocket,
//! against the built `codex` binary.
//!
//! `cargo bench -p codex-cli --bench round_trips` runs every scenario in full; without
//! `--bench` (as under `cargo test --benches`) each scenario runs a few requests only, as a
//! smoke test. Set `CODEX_BENCH_REFERENCE=/path/to/codex` to run the same scenarios against
//! another build (such as the reference implementation) as well.
//!
//! Each request is `mock/experimentalMethod`, the cheapest method the server answers, so the
//! figures measure the transport, framing and dispatch rather than any handler.

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
use futures::SinkExt;
use futures::StreamExt;
use futures::future::try_join_all;
use serde_json::Value;
use serde_json::json;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::io::BufWriter;
use tokio::io::Lines;
use tokio::net::TcpStream;
use tokio::process::Child;
use tokio::process::ChildStdin;
use tokio::process::ChildStdout;
use tokio::process::Command;
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// How much of each scenario to run.
struct Budget {
    /// Requests each connection sends before measuring starts.
    warm_up: usize,
    /// Requests measured, shared out between the scenario's connections.
    measured: usize,
    /// A scenario stops early, with what it has measured, once this much time has passed.
    time_limit: Duration,
}

const FULL: Budget = Budget {
    warm_up: 2_000,
    measured: 100_000,
    time_limit: Duration::from_secs(2),
};

const SMOKE: Budget = Budget {
    warm_up: 10,
    measured: 100,
    time_limit: Duration::from_secs(5),
};

const PIPELINE_WINDOW: usize = 32;
const WS_CONNECTIONS: usize = 8;
const WS_CONNECTION_WINDOW: usize = 16;

fn main() -> Result<()> {
    let full = std::env::args().any(|arg| arg == "--bench");
    let budget = if full { &FULL } else { &SMOKE };
    let mut servers = vec![(
        "codex".to_string(),
        codex_utils_cargo_bin::cargo_bin("codex")?,
    )];
    if let Some(reference) = std::env::var_os("CODEX_BENCH_REFERENCE") {
        servers.push(("reference".to_string(), PathBuf::from(reference)));
    }

    // One client thread, so that on a small machine the server keeps the other cores.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rows = Vec::new();
    for (label, binary) in &servers {
        rows.extend(runtime.block_on(run_server(label, binary, budget))?);
    }
    print_table(&rows);
    Ok(())
}

async fn run_server(label: &str, binary: &Path, budget: &Budget) -> Result<Vec<Row>> {
    let mut rows = Vec::new();

    let mut stdio = Server::spawn(binary, None).await?;
    let connection = stdio.take_stdio()?;
    let (row, connections) =
        run_scenario(label, "stdio sequential", budget, vec![connection], 1).await?;
    rows.push(row);
    let (row, _) = run_scenario(
        label,
        "stdio pipelined w=32",
        budget,
        connections,
        PIPELINE_WINDOW,
    )
    .await?;
    rows.push(row);
    stdio.stop().await;

    let ws = Server::spawn(binary, Some("ws://127.0.0.1:0")).await?;
    let url = ws.url.clone().context("no WebSocket address")?;
    let one = vec![Connection::connect_ws(&url).await?];
    rows.push(
        run_scenario(label, "ws sequential", budget, one, 1)
            .await?
            .0,
    );
    let one = vec![Connection::connect_ws(&url).await?];
    rows.push(
        run_scenario(label, "ws pipelined w=32", budget, one, PIPELINE_WINDOW)
            .await?
            .0,
    );
    let many = try_join_all((0..WS_CONNECTIONS).map(|_| Connection::connect_ws(&url))).await?;
    rows.push(
        run_scenario(
            label,
            "ws 8 conns x w=16",
            budget,
            many,
            WS_CONNECTION_WINDOW,
        )
        .await?
        .0,
    );
    ws.stop().await;

    Ok(rows)
}

struct Row {
    server: String,
    scenario: &'static str,
    requests: usize,
    elapsed: Duration,
    /// Per request, from writing it to reading its answer, sorted.
    latencies: Vec<Duration>,
}

/// Warms up, then measures `budget.measured` requests spread over `connections`, each keeping
/// up to `window` requests outstanding. Hands the connections back for reuse.
async fn run_scenario(
    server: &str,
    scenario: &'static str,
    budget: &Budget,
    mut connections: Vec<Connection>,
    window: usize,
) -> Result<(Row, Vec<Connection>)> {
    let per_connection = budget.measured.div_ceil(connections.len());
    for connection in &mut connections {
        connection.handshake().await?;
    }
    try_join_all(
        connections
            .iter_mut()
            .map(|c| c.run(budget.warm_up, window, budget.time_limit)),
    )
    .await?;
    let started = Instant::now();
    let results = try_join_all(
        connections
            .iter_mut()
            .map(|c| c.run(per_connection, window, budget.time_limit)),
    )
    .await?;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results.into_iter().flatten().collect();
    latencies.sort_unstable();
    let row = Row {
        server: server.to_string(),
        scenario,
        requests: latencies.len(),
        elapsed,
        latencies,
    };
    Ok((row, connections))
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<10} {:<22} {:>8} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "server", "scenario", "requests", "secs", "req/s", "mean µs", "p50 µs", "p99 µs", "max µs"
    );
    for row in rows {
        let count = row.latencies.len().max(1);
        let mean = row.latencies.iter().sum::<Duration>() / count as u32;
        let percentile = |p: usize| {
            row.latencies
                .get((row.latencies.len() * p / 100).min(row.latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        let secs = row.elapsed.as_secs_f64();
        println!(
            "{:<10} {:<22} {:>8} {:>7.3} {:>9.0} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            row.server,
            row.scenario,
            row.requests,
            secs,
            row.requests as f64 / secs,
            micros(mean),
            micros(percentile(50)),
            micros(percentile(99)),
            micros(row.latencies.last().copied().unwrap_or_default()),
        );
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

struct Server {
    child: Child,
    url: Option<String>,
    _home: tempfile::TempDir,
}

impl Server {
    /// Starts `codex app-server` with a cleared environment and a fresh home; with `listen`, on
    /// that WebSocket address, waiting until it reports the address it bound.
    async fn spawn(binary: &Path, listen: Option<&str>) -> Result<Self> {
        let home = tempfile::tempdir()?;
        let mut command = Command::new(binary);
        command
            .arg("app-server")
            .env_clear()
            .env("HOME", home.path())
            .env("CODEX_HOME", home.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(listen) = listen {
            command.args(["--listen", listen]).stderr(Stdio::piped());
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("spawning {}", binary.display()))?;
        let mut url = None;
        if listen.is_some() {
            let stderr = child.stderr.take().context("no stderr")?;
            let mut lines = BufReader::new(stderr).lines();
            let found = tokio::time::timeout(Duration::from_secs(10), async {
                while let Some(line) = lines.next_line().await? {
                    if let Some(address) = line.trim().strip_prefix("listening on: ") {
                        return Ok::<_, anyhow::Error>(Some(address.to_string()));
                    }
                }
                Ok(None)
            })
            .await
            .context("the server did not report its address in time")??;
            url = Some(found.context("the server exited before listening")?);
            // Keep draining stderr so that the server never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        }
        Ok(Self {
            child,
            url,
            _home: home,
        })
    }

    fn take_stdio(&mut self) -> Result<Connection> {
        let stdin = self.child.stdin.take().context("no stdin")?;
        let stdout = self.child.stdout.take().context("no stdout")?;
        Ok(Connection::new(Link::Stdio {
            writer: BufWriter::new(stdin),
            lines: BufReader::new(stdout).lines(),
        }))
    }

    /// Closes stdin, which ends a stdio server, and kills a WebSocket server or a stdio one
    /// still running after a moment.
    async fn stop(mut self) {
        drop(self.child.stdin.take());
        let grace = if self.url.is_some() {
            Duration::ZERO
        } else {
            Duration::from_secs(2)
        };
        if tokio::time::timeout(grace, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

enum Link {
    Stdio {
        writer: BufWriter<ChildStdin>,
        lines: Lines<BufReader<ChildStdout>>,
    },
    Ws(Box<WebSocketStream<MaybeTlsStream<TcpStream>>>),
}

struct Connection {
    link: Link,
    next_id: u64,
    initialized: bool,
}

impl Connection {
    fn new(link: Link) -> Self {
        Self {
            link,
            next_id: 1,
            initialized: false,
        }
    }

    async fn connect_ws(url: &str) -> Result<Self> {
        let (stream, _) =
            tokio_tungstenite::connect_async_with_config(url, None, /*disable_nagle*/ true)
                .await
                .with_context(|| format!("connecting to {url}"))?;
        Ok(Self::new(Link::Ws(Box::new(stream))))
    }

    async fn write(&mut self, message: String) -> Result<()> {
        match &mut self.link {
            Link::Stdio { writer, .. } => {
                writer.write_all(message.as_bytes()).await?;
                writer.write_all(b"\n").await?;
            }
            Link::Ws(stream) => stream.feed(Message::text(message)).await?,
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        match &mut self.link {
            Link::Stdio { writer, .. } => writer.flush().await?,
            Link::Ws(stream) => stream.flush().await?,
        }
        Ok(())
    }

    /// The next message from the server, skipping WebSocket control frames.
    async fn read(&mut self) -> Result<Value> {
        let text = match &mut self.link {
            Link::Stdio { lines, .. } => lines
                .next_line()
                .await?
                .context("the server closed stdout")?,
            Link::Ws(stream) => loop {
                match stream
                    .next()
                    .await
                    .context("the server closed the socket")??
                {
                    Message::Text(text) => break text.as_str().to_string(),
                    Message::Close(frame) => bail!("the server closed the socket: {frame:?}"),
                    _ => {}
                }
            },
        };
        serde_json::from_str(&text).with_context(|| format!("not JSON: {text}"))
    }

    /// The next response, skipping notifications and requests from the server.
    async fn read_response(&mut self) -> Result<(u64, Value)> {
        loop {
            let message = self.read().await?;
            if message.get("method").is_some() {
                continue;
            }
            let id = message.get("id").and_then(Value::as_u64);
            match (id, message.get("result")) {
                (Some(id), Some(result)) => return Ok((id, result.clone())),
                _ => bail!("unexpected message: {message}"),
            }
        }
    }

    async fn handshake(&mut self) -> Result<()> {
        if self.initialized {
            return Ok(());
        }
        let initialize = json!({
            "id": 0,
            "method": "initialize",
            "params": {
                "clientInfo": {"name": "bench", "version": "1"},
                "capabilities": {"experimentalApi": true},
            },
        });
        self.write(initialize.to_string()).await?;
        self.flush().await?;
        let (id, result) = self.read_response().await?;
        if id != 0 || result.get("userAgent").is_none() {
            bail!("unexpected initialize answer: {result}");
        }
        self.write(json!({"method": "initialized"}).to_string())
            .await?;
        self.flush().await?;
        self.initialized = true;
        Ok(())
    }

    /// Writes the next `mock/experimentalMethod` request, without flushing it.
    async fn send_request(&mut self) -> Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        let request =
            format!(r#"{{"id":{id},"method":"mock/experimentalMethod","params":{{"value":"x"}}}}"#);
        self.write(request).await
    }

    /// Sends `count` requests, keeping up to `window` of them outstanding, and returns the
    /// round trip of each answered one. Stops sending once `time_limit` has passed.
    async fn run(
        &mut self,
        count: usize,
        window: usize,
        time_limit: Duration,
    ) -> Result<Vec<Duration>> {
        let first_id = self.next_id;
        let mut sent_at: Vec<Instant> = Vec::with_capacity(count);
        let mut latencies = Vec::with_capacity(count);
        let deadline = Instant::now() + time_limit;
        while sent_at.len() < count.min(window) {
            sent_at.push(Instant::now());
            self.send_request().await?;
        }
        self.flush().await?;
        while latencies.len() < sent_at.len() {
            let (id, result) = self.read_response().await?;
            let now = Instant::now();
            if result.get("echoed").and_then(Value::as_str) != Some("x") {
                bail!("unexpected answer to request {id}: {result}");
            }
            let index = id
                .checked_sub(first_id)
                .and_then(|index| usize::try_from(index).ok())
                .filter(|index| *index < sent_at.len())
                .with_context(|| format!("answer to an unknown request {id}"))?;
            latencies.push(now - sent_at[index]);
            if sent_at.len() < count && now < deadline {
                sent_at.push(Instant::now());
                self.send_request().await?;
                self.flush().await?;
            }
        }
        Ok(latencies)
    }
}
