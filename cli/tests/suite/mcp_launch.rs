//! `codex mcp-launch`: the launcher stdio MCP servers run under dies with its parent and takes
//! the server's whole process group with it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use std::time::Instant;

use pretty_assertions::assert_eq;

use super::codex_bin;

/// Whether `pid` is gone: no such process, or a zombie nobody has reaped yet.
fn is_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name in parentheses, which may itself hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[test]
fn server_and_its_children_die_with_the_launchers_parent() {
    let dir = tempfile::tempdir().unwrap();
    let server = "echo $$ > \"$1/server.tmp\" && mv \"$1/server.tmp\" \"$1/server\"; \
                  sleep 600 & echo $! > \"$1/child.tmp\" && mv \"$1/child.tmp\" \"$1/child\"; wait";
    // The intermediate shell starts the launcher and exits a moment later, as codex would die.
    let intermediate = "\"$0\" mcp-launch --parent-pid $$ -- sh -c \"$2\" server \"$1\" & sleep 1";
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(intermediate)
        .arg(codex_bin())
        .arg(dir.path())
        .arg(server)
        .spawn()
        .unwrap();
    wait_until("the server's pid files", || {
        dir.path().join("server").exists() && dir.path().join("child").exists()
    });
    let server_pid = read_pid(&dir.path().join("server")).unwrap();
    let child_pid = read_pid(&dir.path().join("child")).unwrap();
    assert!(!is_gone(server_pid) && !is_gone(child_pid));
    parent.wait().unwrap();
    wait_until("the server and its child to die", || {
        is_gone(server_pid) && is_gone(child_pid)
    });
}

#[test]
fn the_launcher_exits_with_the_servers_status() {
    let status = Command::new(codex_bin())
        .args(["mcp-launch", "--parent-pid"])
        .arg(std::process::id().to_string())
        .args(["--", "sh", "-c", "exit 3"])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}

#[test]
fn a_launcher_whose_parent_is_already_gone_starts_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("started");
    let status = Command::new(codex_bin())
        .args(["mcp-launch", "--parent-pid", "1", "--", "touch"])
        .arg(&marker)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(125));
    assert!(!marker.exists());
}
