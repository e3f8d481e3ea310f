//! `codex mcp-launch`: the launcher stdio MCP servers run under dies with its parent and takes
//! the server's whole process group with it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;
use std::time::Instant;

use pretty_assertions::assert_eq;

use crate::suite::codex_bin;

/// Whether `pid` is gone: no such process, or a zombie nobody has reaped yet.
pub(super) fn is_gone(pid: u32) -> bool {
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

/// A stdio MCP server in plain `sh`: it answers `initialize`, lists one tool, and answers each
/// call with its pid, its cwd, a configured variable and one only codex has, so the test sees
/// how it was started.
const SH_SERVER: &str = r#"
while IFS= read -r line; do
  id=$(printf '%s' "$line" | sed -n 's/^{"jsonrpc":"2.0","id":\([0-9]*\),.*/\1/p')
  case "$line" in
    *'"method":"initialize"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"sh","version":"1"}}}\n' "$id" ;;
    *'"method":"tools/list"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"tools":[{"name":"whoami","inputSchema":{"type":"object"}}]}}\n' "$id" ;;
    *'"method":"tools/call"'*)
      printf '{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":"%s|%s|%s|%s"}]}}\n' "$id" "$$" "$(pwd)" "${FROM_ENV-unset}" "${CARGO_MANIFEST_DIR-unset}" ;;
  esac
done
"#;

#[tokio::test]
async fn a_stdio_server_runs_through_the_launcher_and_dies_with_its_connection() {
    use std::collections::BTreeMap;

    use codex_rmcp_client::ConnectOptions;
    use codex_rmcp_client::McpClient;
    use codex_rmcp_client::McpServerConfig;
    use codex_rmcp_client::McpServerTransportConfig;

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let config = McpServerConfig {
        transport: McpServerTransportConfig::Stdio {
            command: "sh".to_owned(),
            args: vec!["-c".to_owned(), SH_SERVER.to_owned()],
            env: BTreeMap::from([("FROM_ENV".to_owned(), "set".to_owned())]),
            env_vars: Vec::new(),
            cwd: Some("sub".to_owned()),
        },
        enabled: true,
        startup_timeout: Duration::from_secs(10),
        tool_timeout: Duration::from_secs(10),
        enabled_tools: None,
        disabled_tools: None,
        scopes: None,
    };
    let options = ConnectOptions {
        codex_exe: codex_bin().to_path_buf(),
        cwd: dir.path().to_path_buf(),
        bearer: None,
        elicitation: None,
    };
    // Cargo sets this for the test; the server's cleared environment must leave it out.
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
    let client = McpClient::connect("sh", &config, &options).await.unwrap();
    let tools = client
        .list_all_tools(Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(tools[0].name, "whoami");
    let result = client.call_tool("whoami", None).await.unwrap();
    let text = result.content[0]["text"].as_str().unwrap().to_owned();
    let fields: Vec<&str> = text.split('|').collect();
    let expected_cwd = dir.path().join("sub").canonicalize().unwrap();
    assert_eq!(
        fields[1..],
        [expected_cwd.to_str().unwrap(), "set", "unset"],
        "{text}"
    );
    let server_pid: u32 = fields[0].parse().unwrap();
    assert!(!is_gone(server_pid));
    drop(client);
    wait_until("the server to die with its connection", || {
        is_gone(server_pid)
    });
}
