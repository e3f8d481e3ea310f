//! The server over stdio.

use std::time::Duration;
use std::time::Instant;

use pretty_assertions::assert_eq;
use rmcp::model::ElicitationAction;
use rmcp::service::ServiceError;
use serde_json::json;

use super::behaviour;
use super::harness::PATIENCE;
use super::harness::Scratch;
use super::harness::TestClient;
use super::harness::start_stdio;

#[tokio::test]
async fn handshake_tools_and_log() {
    let scratch = Scratch::new();
    let server = start_stdio(&scratch, &[], TestClient::accepting()).await;
    let pid = server.child.id().unwrap();
    assert_eq!(
        scratch.events_named("started"),
        vec![json!({"event": "started", "pid": pid})]
    );
    behaviour::check_handshake(&scratch, &server.client).await;
    behaviour::check_tools(&scratch, &server.client, pid).await;
}

#[tokio::test]
async fn resources() {
    let scratch = Scratch::new();
    let server = start_stdio(&scratch, &[], TestClient::accepting()).await;
    behaviour::check_resources(&server.client).await;
}

#[tokio::test]
async fn cancelled_sleep_is_logged() {
    let scratch = Scratch::new();
    let server = start_stdio(&scratch, &[], TestClient::accepting()).await;
    behaviour::check_cancelled_sleep(&scratch, &server.client).await;
}

#[tokio::test]
async fn elicitation_answers_the_clients_action() {
    for (answer, expected) in [
        (ElicitationAction::Accept, "accept"),
        (ElicitationAction::Decline, "decline"),
        (ElicitationAction::Cancel, "cancel"),
    ] {
        let scratch = Scratch::new();
        let client = TestClient {
            elicitation_answer: answer,
        };
        let server = start_stdio(&scratch, &[], client).await;
        behaviour::check_elicitation(&scratch, &server.client, expected).await;
    }
}

#[tokio::test]
async fn tools_filter_and_no_resources() {
    let scratch = Scratch::new();
    let args = ["--tools", "echo,pid", "--no-resources"];
    let server = start_stdio(&scratch, &args, TestClient::accepting()).await;
    let client = &server.client;
    assert_eq!(behaviour::tool_names(client).await, ["echo", "pid"]);
    assert_eq!(
        behaviour::call_error(client, "fail", json!({})).await,
        (-32602, "unknown tool `fail`".to_owned())
    );
    let capabilities = &client.peer_info().unwrap().capabilities;
    assert_eq!(capabilities.resources, None);
    match client.list_resources(None).await {
        Err(ServiceError::McpError(error)) => assert_eq!(error.code.0, -32601),
        other => panic!("resources/list should be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_tool_in_filter_is_refused_at_startup() {
    let scratch = Scratch::new();
    let output = scratch
        .server_command(&["--tools", "echo,nope"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown tool `nope`"),
        "stderr should name the unknown tool: {stderr}"
    );
}

#[tokio::test]
async fn startup_delay_holds_back_initialize() {
    let scratch = Scratch::new();
    let started = Instant::now();
    let server = start_stdio(
        &scratch,
        &["--startup-delay-ms", "700"],
        TestClient::accepting(),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(700),
        "initialize answered after {elapsed:?}"
    );
    assert!(elapsed < PATIENCE, "initialize answered after {elapsed:?}");
    assert_eq!(scratch.events_named("initialize").len(), 1);
    drop(server);
}

#[tokio::test]
async fn spawn_child_starts_a_grandchild_in_the_servers_process_group() {
    let scratch = Scratch::new();
    let server = start_stdio(&scratch, &[], TestClient::accepting()).await;
    let server_pid = server.child.id().unwrap();
    let result = behaviour::call(&server.client, "spawn_child", json!({})).await;
    let child_pid: u32 = behaviour::text_of(&result).parse().unwrap();
    assert_eq!(
        scratch.events_named("spawn_child"),
        vec![json!({"event": "spawn_child", "pid": child_pid})]
    );
    assert_eq!(process_group(child_pid), process_group(server_pid));
    assert_eq!(parent(child_pid), server_pid);

    // The grandchild is not the server's to clean up; the test is.
    let killed = std::process::Command::new("kill")
        .arg(child_pid.to_string())
        .status()
        .unwrap();
    assert!(killed.success());
}

#[tokio::test]
async fn exits_when_stdin_closes() {
    let scratch = Scratch::new();
    let mut server = start_stdio(&scratch, &[], TestClient::accepting()).await;
    // Cancelling the client drops its transport, which closes the server's stdin.
    server.client.cancel().await.unwrap();
    let status = tokio::time::timeout(PATIENCE, server.child.wait())
        .await
        .expect("the server outlived its stdin")
        .unwrap();
    assert!(status.success(), "{status}");
}

/// Field `n` (1-based, after the command name) of `/proc/<pid>/stat`.
fn stat_field(pid: u32, n: usize) -> u32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name is in parentheses and may hold spaces; the fields follow the last `)`.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name.split(' ').nth(n - 3).unwrap().parse().unwrap()
}

fn parent(pid: u32) -> u32 {
    stat_field(pid, 4)
}

fn process_group(pid: u32) -> u32 {
    stat_field(pid, 5)
}
