//! How the server ends: at the end of stdin after answering what it accepted, on SIGTERM, and
//! when the process that started it dies.

use std::path::Path;
use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::BufReader;
use tokio::time::Instant;
use tokio::time::timeout;

use super::INGRESS_CAPACITY;
use super::LOOPBACK;
use super::Server;
use super::TIMEOUT;
use super::Tally;
use super::echo;
use super::echoed;
use super::flood_value;
use super::send_signal;
use super::tally;
use crate::suite::codex_bin;

#[tokio::test]
async fn the_end_of_stdin_ends_the_server_after_every_answer() {
    // 350 answers of 4 KiB are more than the stdout pipe and the outbound queue hold, so at the
    // end of input the server still has answers to write, and maybe requests to handle.
    const REQUESTS: u64 = 350;
    let value = |id: u64| format!("{id}:{}", "v".repeat(4096));
    let (server, mut client) = Server::stdio(&[]);
    client.initialize(true).await;
    for id in 1..=REQUESTS {
        client.send(&echo(id, &value(id))).await;
    }
    client.close_input().await;
    let answers = client.rest().await;
    // Past the ingress capacity, a request may be refused if the server falls behind.
    let Tally { served, .. } = tally(&client, answers, REQUESTS, value);
    assert!(served >= INGRESS_CAPACITY, "{}", client.report());
    assert_eq!(server.exit().await, (Some(0), String::new()));
}

#[tokio::test]
async fn sigterm_stops_a_stdio_server_cleanly() {
    let (server, mut client) = Server::stdio(&[]);
    client.initialize(true).await;
    client.check(echo(1, "x"), echoed(1, "x")).await;
    client.note("sending SIGTERM");
    server.signal("TERM");
    let rest = client.rest().await;
    assert_eq!(rest, Vec::<Value>::new(), "{}", client.report());
    assert_eq!(server.exit().await, (Some(0), String::new()));
}

#[tokio::test]
async fn sigterm_closes_websocket_connections_and_stops_the_server() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut client = server.connect().await;
        client.initialize(true).await;
        client.check(echo(1, "x"), echoed(1, "x")).await;
        clients.push(client);
    }
    server.signal("TERM");
    for client in &mut clients {
        client.note("sent SIGTERM");
        client.expect_close().await;
    }
    let (status, stderr) = server.exit().await;
    assert_eq!(status, Some(0), "stderr:\n{stderr}");
}

/// How long a closing connection may take to finish its work (`DRAIN_LIMIT` in
/// app-server/src/session.rs).
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stopped_reading_holds_up_sigterm_for_the_drain_limit_at_most() {
    let (server, mut client) = Server::stdio(&[]);
    client.initialize(true).await;
    // The client never reads the answers, so the server is stuck both handling requests
    // (the outbound queue is full) and writing answers (the stdout pipe is full).
    client.write_burst(10 * INGRESS_CAPACITY, flood_value).await;
    let started = Instant::now();
    server.signal("TERM");
    let (status, stderr) = server.exit().await;
    let elapsed = started.elapsed();
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        elapsed < DRAIN_LIMIT + Duration::from_secs(2),
        "exiting took {elapsed:?}; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("requests still running at close were abandoned"),
        "{stderr}"
    );
}

/// Kills the process with this id when dropped, unless it is known to be gone: the server the
/// parent-death test starts is not our child, so nothing else would.
struct KillOnDrop {
    pid: u32,
    gone: bool,
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if !self.gone {
            let _ = std::process::Command::new("kill")
                .args(["-s", "KILL", &self.pid.to_string()])
                .status();
        }
    }
}

/// Whether a process is gone: reaped, or a zombie nobody has reaped yet.
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

#[tokio::test]
async fn the_server_exits_when_its_parent_dies() {
    // A shell starts the server in the background, tells us its pid, and waits; the test then
    // kills the shell, and the orphaned server must notice it has a new parent.
    let codex = codex_bin()
        .to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", codex_bin().display()));
    let script = r#""$0" app-server --listen ws://127.0.0.1:0 & echo "$!"; wait"#;
    let mut shell = Server::spawn(
        Path::new("/bin/sh"),
        &["-c", script, codex],
        &[("RUST_LOG", "info")],
    );
    let shell_pid = shell.pid();
    let stdout = shell.child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    let read = timeout(TIMEOUT, BufReader::new(stdout).read_line(&mut line)).await;
    let pid: u32 = line.trim().parse().unwrap_or_else(|_| {
        panic!(
            "no pid from the shell ({read:?}): {line:?}\nstderr:\n{}",
            shell.stderr()
        )
    });
    let mut server = KillOnDrop { pid, gone: false };
    // Only once it is serving has the server recorded who its parent is.
    shell
        .wait_for_stderr(|text| text.contains("  note: binds localhost only"))
        .await;

    send_signal(shell_pid, "KILL");
    // The server shares the shell's stderr, which closes when the server exits.
    let stderr = shell.stderr_closed().await;
    // An exiting process closes its files a moment before it becomes a zombie.
    let deadline = Instant::now() + TIMEOUT;
    while !is_gone(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.gone = is_gone(pid);
    assert!(server.gone, "the server {pid} is still running:\n{stderr}");
    assert!(
        stderr.contains(&format!("parent process {shell_pid} exited; shutting down")),
        "the server did not say why it stopped:\n{stderr}"
    );
}
