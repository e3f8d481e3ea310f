//! Disk faults under a running server: a full and a read-only sessions folder, and a full and a
//! read-only `CODEX_HOME` for `config.toml` writes.
//!
//! Each test starts the server in a user and mount namespace of its own (`unshare -Urm`), where
//! a small tmpfs is mounted over the folder under test; nothing outside the test sees it. The
//! test reads the files through `/proc/<pid>/root`, the server's view of the file system. Where
//! the kernel refuses the namespace or the mount, the test fails and says so: it never skips.

use std::path::PathBuf;

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::start_turn;
use super::live::thread_id;
use super::live::until_turn_completed;
use crate::suite::codex_bin;
use crate::suite::config::Folders;
use crate::suite::config::write;
use crate::suite::serve::Client;
use crate::suite::serve::Server;

/// Shown on stderr once the tmpfs is in place and the server is about to start.
const MOUNTED: &str = "fault test: tmpfs mounted";

/// Mounts a tmpfs with `$FAULT_OPTIONS` on `$FAULT_MOUNT`, runs `$FAULT_SETUP` in it, then
/// becomes `codex app-server` (`$0`).
const SCRIPT: &str = r#"
mount -t tmpfs -o "$FAULT_OPTIONS" codex-fault "$FAULT_MOUNT" || {
    echo "fault test: the kernel refused to mount a tmpfs in a user and mount namespace" >&2
    exit 97
}
eval "$FAULT_SETUP" || { echo "fault test: the setup failed" >&2; exit 98; }
echo "fault test: tmpfs mounted" >&2
exec "$0" app-server
"#;

/// Where a fault is injected: a tmpfs of `options` over `mount`, prepared by `setup` (a shell
/// command run inside the namespace once the tmpfs is mounted).
struct Fault<'a> {
    mount: PathBuf,
    options: &'a str,
    setup: &'a str,
}

/// A stdio server started in its own namespace with `fault` in place, and its client,
/// initialized.
async fn serve_with_fault(env: &[(String, String)], fault: &Fault<'_>) -> (Server, Client) {
    std::fs::create_dir_all(&fault.mount).unwrap();
    let mount = fault.mount.display().to_string();
    let path = std::env::var("PATH").unwrap_or_default();
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend([
        ("PATH", path.as_str()),
        ("FAULT_MOUNT", mount.as_str()),
        ("FAULT_OPTIONS", fault.options),
        ("FAULT_SETUP", fault.setup),
    ]);
    let codex = codex_bin().display().to_string();
    let mut server = Server::spawn(
        std::path::Path::new("unshare"),
        &["-Urm", "sh", "-c", SCRIPT, &codex],
        &all,
    );
    server.wait_for_stderr(|text| text.contains(MOUNTED)).await;
    let (server, mut client) = server.with_stdio_client();
    let answer = client
        .request(&json!({"id": 0, "method": "initialize", "params": {
            "clientInfo": {"name": "faults", "version": "1"},
        }}))
        .await;
    assert!(answer.get("result").is_some(), "{}", client.report());
    client.send(&json!({"method": "initialized"})).await;
    (server, client)
}

/// A file as the server sees it, through its mount namespace.
fn read_as_server(server: &Server, path: &str) -> String {
    let seen = format!("/proc/{}/root{path}", server.pid());
    std::fs::read_to_string(&seen).unwrap_or_else(|error| panic!("cannot read {seen}: {error}"))
}

/// Starts a thread on `live`'s work folder and returns its id and rollout path.
async fn start_thread(live: &Live, client: &mut Client) -> (String, String) {
    let answer = client
        .request(&json!({"id": 1, "method": "thread/start", "params": {"cwd": live.work}}))
        .await;
    assert!(answer["result"].is_object(), "{}", client.report());
    let path = answer["result"]["thread"]["path"]
        .as_str()
        .unwrap()
        .to_owned();
    (thread_id(&answer["result"]), path)
}

/// Runs a turn and returns its `turn/completed` turn and the `error` notifications on the way.
async fn run_turn(client: &mut Client, id: u64, thread: &str, text: &str) -> (Value, Vec<Value>) {
    start_turn(client, id, thread, text).await;
    let seen = until_turn_completed(client).await;
    let errors = seen
        .iter()
        .filter(|message| message["method"] == "error")
        .map(|message| message["params"].clone())
        .collect();
    (seen[seen.len() - 1]["params"]["turn"].clone(), errors)
}

/// Every line of a rollout is whole and parses: nothing torn is left for a reader.
fn check_whole_lines(rollout: &str) {
    assert!(rollout.ends_with('\n'), "a torn last line:\n{rollout}");
    for line in rollout.lines() {
        assert!(
            serde_json::from_str::<Value>(line).is_ok(),
            "a line that is not a record: {line}"
        );
    }
}

#[tokio::test]
async fn a_full_sessions_disk_fails_the_turn_and_leaves_no_torn_line() {
    let live = Live::new().await;
    let big = "x".repeat(600 * 1024);
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", &big)),
        Reply::sse(sse::text_turn("resp-3", "third reply")),
    ]);
    let fault = Fault {
        mount: live.folders.home().join("sessions"),
        options: "size=512k",
        setup: "true",
    };
    let (server, mut client) = serve_with_fault(&live.folders.env(), &fault).await;
    let (thread, path) = start_thread(&live, &mut client).await;

    let (first, errors) = run_turn(&mut client, 2, &thread, "first").await;
    assert_eq!(
        (&first["status"], errors.len()),
        (&json!("completed"), 0),
        "{}",
        client.report()
    );
    // The answer does not fit on the disk: the turn ends failed and says why.
    let (second, errors) = run_turn(&mut client, 3, &thread, "second").await;
    assert_eq!(second["status"], "failed", "{}", client.report());
    assert_eq!(errors.len(), 1, "{}", client.report());
    assert_eq!(errors[0]["willRetry"], false);
    assert_eq!(second["error"], errors[0]["error"]);
    let message = errors[0]["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("this thread could not be saved: ")
            && message.contains("No space left on device"),
        "{message}"
    );
    check_whole_lines(&read_as_server(&server, &path));

    // The cut-off fragment gave its space back: the next turn is saved whole.
    let (third, errors) = run_turn(&mut client, 4, &thread, "third").await;
    assert_eq!(
        (&third["status"], errors.len()),
        (&json!("completed"), 0),
        "{}",
        client.report()
    );
    let rollout = read_as_server(&server, &path);
    check_whole_lines(&rollout);
    let answer = client
        .request(&json!({"id": 5, "method": "thread/read", "params": {"threadId": thread, "includeTurns": true}}))
        .await;
    let turns = answer["result"]["thread"]["turns"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let summary: Vec<(Value, Value)> = turns
        .iter()
        .map(|turn| {
            (
                turn["status"].clone(),
                turn["items"][0]["content"][0]["text"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!("completed"), json!("first")),
            (json!("interrupted"), json!("second")),
            (json!("completed"), json!("third")),
        ],
        "{answer}\n--- rollout ---\n{rollout}"
    );
}

#[tokio::test]
async fn a_read_only_sessions_folder_fails_every_turn_from_the_first() {
    let live = Live::new().await;
    live.model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "first reply")),
        Reply::sse(sse::text_turn("resp-2", "second reply")),
    ]);
    let fault = Fault {
        mount: live.folders.home().join("sessions"),
        options: "ro,size=64k",
        setup: "true",
    };
    let (_server, mut client) = serve_with_fault(&live.folders.env(), &fault).await;
    let (thread, _path) = start_thread(&live, &mut client).await;
    for (id, text) in [(2, "first"), (3, "second")] {
        let (turn, errors) = run_turn(&mut client, id, &thread, text).await;
        assert_eq!(turn["status"], "failed", "{}", client.report());
        assert_eq!(errors.len(), 1, "{}", client.report());
        assert_eq!(errors[0]["willRetry"], false);
        let message = errors[0]["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("this thread could not be saved: ")
                && message.contains("Read-only file system"),
            "{message}"
        );
    }
}

/// `config.toml` writes on a full and on a read-only `CODEX_HOME`: refused, and the file keeps
/// its old text and keeps loading.
#[tokio::test]
async fn config_writes_on_a_full_or_read_only_disk_leave_the_file_whole() {
    let folders = Folders::new();
    let before = "model = \"o3\"\n";
    let keep = r#"printf 'model = "o3"\n' > "$FAULT_MOUNT/config.toml""#;
    let cases = [
        // Fills the disk up to its last block.
        (
            "size=64k",
            format!("{keep} && (cat /dev/zero > \"$FAULT_MOUNT/filler\" 2>/dev/null; true)"),
        ),
        (
            "size=64k",
            format!("{keep} && mount -o remount,ro \"$FAULT_MOUNT\""),
        ),
    ];
    for (options, setup) in cases {
        let fault = Fault {
            mount: folders.home(),
            options,
            setup: &setup,
        };
        let (server, mut client) = serve_with_fault(&folders.env(), &fault).await;
        let answer = client
            .request(&write(1, "model", json!("x".repeat(16 * 1024)), None))
            .await;
        assert!(
            answer.get("error").is_some(),
            "{setup}: {answer}\n{}",
            client.report()
        );
        let config = folders.home().join("config.toml");
        assert_eq!(
            read_as_server(&server, &config.display().to_string()),
            before,
            "{setup}"
        );
        let answer = client
            .request(&json!({"id": 2, "method": "config/read", "params": {}}))
            .await;
        assert_eq!(
            answer["result"]["config"]["model"], "o3",
            "{setup}: {answer}"
        );
    }
}
