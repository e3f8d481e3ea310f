//! `command/exec` and v1 `execOneOffCommand` through a running server: output and exit codes,
//! the working directory, timeouts, a missing binary, and the configured sandbox.

use std::path::Path;
use std::time::Duration;
use std::time::Instant;

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// A server on a home whose config says `sandbox`, initialized, with a work folder.
async fn serve(config: &str) -> (Folders, Server, Client, String) {
    let folders = Folders::new();
    folders.write_user_config(config);
    let work = folders.home().join("work");
    std::fs::create_dir_all(work.join("sub")).unwrap();
    let env = folders.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (server, mut client) = Server::stdio(&env);
    let answer = client
        .request(&json!({"id": 0, "method": "initialize", "params": {
            "clientInfo": {"name": "exec", "version": "1"},
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    client.send(&json!({"method": "initialized"})).await;
    (folders, server, client, work.display().to_string())
}

async fn exec(client: &mut Client, id: u64, params: Value) -> Value {
    client
        .request(&json!({"id": id, "method": "command/exec", "params": params}))
        .await
}

#[tokio::test]
async fn command_exec_answers_output_and_exit_code() {
    let (_folders, _server, mut client, work) = serve("").await;
    let answer = exec(
        &mut client,
        1,
        json!({"command": ["echo", "hi"], "cwd": work}),
    )
    .await;
    assert_eq!(
        answer["result"],
        json!({"exitCode": 0, "stdout": "hi\n", "stderr": ""}),
        "{}",
        client.report()
    );
    let answer = exec(
        &mut client,
        2,
        json!({"command": ["sh", "-c", "echo out; echo err >&2; exit 3"], "cwd": work}),
    )
    .await;
    assert_eq!(
        answer["result"],
        json!({"exitCode": 3, "stdout": "out\n", "stderr": "err\n"})
    );
    let sub = format!("{work}/sub");
    let answer = exec(&mut client, 3, json!({"command": ["pwd"], "cwd": sub})).await;
    assert_eq!(
        answer["result"],
        json!({"exitCode": 0, "stdout": format!("{sub}\n"), "stderr": ""})
    );
}

#[tokio::test]
async fn command_exec_of_a_missing_binary_fails() {
    let (_folders, _server, mut client, work) = serve("").await;
    let answer = exec(
        &mut client,
        1,
        json!({"command": ["/nonexistent/binary"], "cwd": work}),
    )
    .await;
    assert_eq!(
        answer["error"],
        json!({"code": -32603, "message": "exec failed: No such file or directory (os error 2)"})
    );
}

#[tokio::test]
async fn command_exec_kills_a_command_that_outlives_its_timeout() {
    let (_folders, _server, mut client, work) =
        serve("sandbox_mode = \"danger-full-access\"\n").await;
    let marker = Path::new(&work).join("late.txt");
    let script = format!("sleep 2; touch {}", marker.display());
    let started = Instant::now();
    let answer = exec(
        &mut client,
        1,
        json!({"command": ["sh", "-c", script], "cwd": work, "timeoutMs": 300}),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(2), "{answer}");
    assert_eq!(
        answer["error"],
        json!({"code": -32603, "message": "exec failed: sandbox error: command timed out"}),
        "{answer}"
    );
    // The connection still answers, and the killed command never finishes its work.
    let answer = exec(&mut client, 2, json!({"command": ["true"], "cwd": work})).await;
    assert_eq!(answer["result"]["exitCode"], 0);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(!marker.exists(), "the timed-out command kept running");
}

#[tokio::test]
async fn command_exec_does_not_hold_up_the_connection() {
    let (_folders, _server, mut client, work) = serve("").await;
    client
        .send(&json!({"id": 1, "method": "command/exec", "params": {
            "command": ["sleep", "1"], "cwd": work,
        }}))
        .await;
    client
        .send(&json!({"id": 2, "method": "command/exec", "params": {
            "command": ["echo", "quick"], "cwd": work,
        }}))
        .await;
    let first = client.next().await;
    assert_eq!(first["id"], 2, "{}", client.report());
    let second = client.next().await;
    assert_eq!(second["id"], 1);
    assert_eq!(second["result"]["exitCode"], 0);
}

#[tokio::test]
async fn command_exec_runs_in_the_configured_workspace_write_sandbox() {
    let (folders, _server, mut client, work) = serve(
        "sandbox_mode = \"workspace-write\"\n\n[sandbox_workspace_write]\n\
         exclude_slash_tmp = true\nexclude_tmpdir_env_var = true\n",
    )
    .await;
    let outside = folders.home().join("outside.txt");
    let script = format!(
        "touch inside.txt && echo inside; touch {} || echo refused",
        outside.display()
    );
    let answer = exec(
        &mut client,
        1,
        json!({"command": ["sh", "-c", script], "cwd": work}),
    )
    .await;
    let stdout = answer["result"]["stdout"].as_str().unwrap_or_default();
    assert!(stdout.contains("inside"), "{answer}\n{}", client.report());
    assert!(stdout.contains("refused"), "{answer}");
    assert!(Path::new(&work).join("inside.txt").exists());
    assert!(!outside.exists(), "the sandbox let the write through");

    // The request's own policy wins over the config.
    let answer = exec(
        &mut client,
        2,
        json!({
            "command": ["sh", "-c", format!("touch {}", outside.display())],
            "cwd": work,
            "sandboxPolicy": {"type": "dangerFullAccess"},
        }),
    )
    .await;
    assert_eq!(answer["result"]["exitCode"], 0, "{answer}");
    assert!(outside.exists());
}

#[tokio::test]
async fn exec_one_off_command_answers_like_command_exec() {
    let (_folders, _server, mut client, work) = serve("").await;
    let answer = client
        .request(&json!({"id": 1, "method": "execOneOffCommand", "params": {
            "command": ["sh", "-c", "echo out; echo err >&2; exit 3"],
            "timeoutMs": 5000,
            "cwd": work,
            "sandboxPolicy": null,
        }}))
        .await;
    assert_eq!(
        answer["result"],
        json!({"exitCode": 3, "stdout": "out\n", "stderr": "err\n"}),
        "{}",
        client.report()
    );
    let answer = client
        .request(&json!({"id": 2, "method": "execOneOffCommand", "params": {
            "command": ["sleep", "5"],
            "timeoutMs": 200,
            "cwd": work,
        }}))
        .await;
    assert_eq!(
        answer["error"],
        json!({"code": -32603, "message": "exec failed: sandbox error: command timed out"}),
        "{}",
        client.report()
    );
}

#[tokio::test]
async fn a_negative_timeout_counts_as_none() {
    let (_folders, _server, mut client, work) =
        serve("sandbox_mode = \"danger-full-access\"\n").await;
    let answer = exec(
        &mut client,
        1,
        json!({"command": ["sh", "-c", "sleep 0.3; echo hi"], "cwd": work, "timeoutMs": -5}),
    )
    .await;
    assert_eq!(
        answer["result"],
        json!({"exitCode": 0, "stdout": "hi\n", "stderr": ""}),
        "{}",
        client.report()
    );
}
