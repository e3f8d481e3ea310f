//! A client typed only by the reference's TypeScript bindings runs a whole session against the
//! real `codex app-server`: `tests/fixtures/reference-ts-client` (its README says what it does).
//! The test compiles it strictly with the pinned TypeScript into the target dir and runs it with
//! Node.js; the client starts the server and its own mock model, and exits non-zero, saying why,
//! at the first answer or message a reference client would not accept.

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncRead;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::codex_bin;
use super::typescript;

/// A whole session takes seconds; each of the client's own steps gives up after 30 s, so this
/// bound is only reached if the client itself hangs.
const RUN_TIMEOUT: Duration = Duration::from_secs(240);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference-ts-client")
}

/// Compiles the client with `strict` (its tsconfig.json) into a fresh folder of the target dir
/// and returns the folder.
fn compile() -> PathBuf {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("reference-ts-client");
    match std::fs::remove_dir_all(&out) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => panic!("cannot clear {}: {error}", out.display()),
    }
    let output = typescript::tsc()
        .arg("--project")
        .arg(fixture().join("tsconfig.json"))
        .arg("--outDir")
        .arg(&out)
        .arg("--typeRoots")
        .arg(typescript::type_roots())
        .output()
        .unwrap_or_else(|error| panic!("could not run tsc (node is needed): {error}"));
    assert!(
        output.status.success(),
        "tsc rejected the reference TypeScript client:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

fn read_all(stream: Option<impl AsyncRead + Unpin + Send + 'static>) -> JoinHandle<String> {
    tokio::spawn(async move {
        let mut text = Vec::new();
        if let Some(mut stream) = stream {
            // A read error ends the capture; what was read so far is still worth showing.
            let _ = stream.read_to_end(&mut text).await;
        }
        String::from_utf8_lossy(&text).into_owned()
    })
}

#[tokio::test]
async fn a_client_typed_by_the_reference_bindings_runs_a_whole_session() {
    let out = compile();
    let main = out.join("src/main.js");
    let mut child = Command::new("node")
        .arg(&main)
        .arg(codex_bin())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("could not run node (Node.js 20 is needed): {error}"));
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let status = match timeout(RUN_TIMEOUT, child.wait()).await {
        Ok(status) => Some(status.expect("waiting for node")),
        Err(_elapsed) => {
            // The kill ends node, which closes its pipes, so the captures below finish.
            child.kill().await.expect("killing node");
            None
        }
    };
    let stdout = stdout.await.expect("the stdout capture");
    let stderr = stderr.await.expect("the stderr capture");
    let report = format!(
        "ran: node {} {}\nexit: {}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        main.display(),
        codex_bin().display(),
        status.map_or_else(
            || format!("killed after {RUN_TIMEOUT:?}"),
            |status| status.to_string()
        ),
    );
    assert!(status.is_some_and(|status| status.success()), "{report}");
    assert!(
        stdout.contains("the whole session passed"),
        "the client exited 0 without finishing its session\n{report}"
    );
}
