//! Logs go to stderr, as text or as one JSON object per line, and never onto stdout.

use pretty_assertions::assert_eq;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use super::LOOPBACK;
use super::Server;
use super::check_handshake;

const DEBUG_JSON: [(&str, &str); 2] = [("RUST_LOG", "debug"), ("LOG_FORMAT", "json")];

/// Checks that every line of `logs` is a JSON object and that debug events are among them.
fn check_json_lines(logs: &str, stderr: &str) {
    let mut levels = Vec::new();
    for line in logs.lines() {
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(event)) => levels.push(event["level"].clone()),
            _ => panic!("a log line that is not a JSON object: {line:?}\nstderr:\n{stderr}"),
        }
    }
    assert!(
        levels.contains(&Value::from("DEBUG")),
        "no debug events were logged:\n{stderr}"
    );
}

#[tokio::test]
async fn stdout_carries_only_the_protocol_even_with_debug_logs() {
    let (server, mut client) = Server::stdio(&[("RUST_LOG", "debug")]);
    // The client fails the test on any stdout line that is not a JSON message.
    check_handshake(&mut client).await;
    client.send_text("not json").await;
    client.close_input().await;
    let rest = client.rest().await;
    assert_eq!(rest.len(), 1, "{}", client.report());
    let (status, stderr) = server.exit().await;
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("DEBUG") && stderr.contains("connection opened"),
        "no debug logs on stderr:\n{stderr}"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_over_stdio() {
    let (server, mut client) = Server::stdio(&DEBUG_JSON);
    check_handshake(&mut client).await;
    client.close_input().await;
    client.rest().await;
    let (status, stderr) = server.exit().await;
    assert_eq!(status, Some(0), "{stderr}");
    check_json_lines(&stderr, &stderr);
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_beside_the_websocket_banner() {
    let mut server = Server::websocket(LOOPBACK, &[], &DEBUG_JSON).await;
    let mut stdout = server.child.stdout.take().expect("stdout is piped");
    let banner = [
        "codex app-server (WebSockets)".to_owned(),
        format!("  listening on: ws://{}", server.address()),
        "  note: binds localhost only (use SSH port-forwarding for remote access)".to_owned(),
    ];
    let mut client = server.connect().await;
    check_handshake(&mut client).await;
    client.close_input().await;
    client.rest().await;
    server.signal("TERM");
    let (status, stderr) = server.exit().await;
    assert_eq!(status, Some(0), "{stderr}");
    let mut printed = String::new();
    let read = stdout.read_to_string(&mut printed).await;
    assert!(read.is_ok(), "{read:?}");
    assert_eq!(printed, "", "nothing goes to stdout without a stdio client");
    // The banner is for people; every other line is a log event.
    let (shown, logs): (Vec<&str>, Vec<&str>) = stderr
        .lines()
        .partition(|line| banner.iter().any(|banner_line| banner_line == line));
    assert_eq!(shown, banner, "{stderr}");
    check_json_lines(&logs.join("\n"), &stderr);
}
