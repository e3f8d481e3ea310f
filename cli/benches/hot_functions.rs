//! Writes `cli/hot-functions.txt`: the functions of the release `codex` that run in an ordinary
//! session, which `cli/build.rs` asks the linker to lay out together.
//!
//! The kernel maps a binary's code by the page, and with each page a fault touches it maps the
//! cached pages around it; hot functions scattered through 40 MB of code then keep most of it
//! resident. Laid out together, they fill a few MB.
//!
//! `cargo build --release -p codex-cli && cargo bench -p codex-cli --bench hot_functions` runs
//! the release `codex` under `valgrind --tool=callgrind` through one session (start-up,
//! `initialize`, a thread, a plain turn, a turn with a command, a streamed answer, a listing, a
//! read) against the mock model, and writes the symbol of every function that executed, in the
//! order callgrind lists them. Regenerate it when dependencies or the toolchain change (they
//! rename symbols); names that no longer exist are skipped by the linker. Without `--bench` (as
//! under `cargo test --benches`) the same session runs without valgrind and nothing is written,
//! so the session itself is checked.

#![expect(
    clippy::print_stdout,
    reason = "a bench binary reports what it wrote on stdout"
)]

mod support;

use std::collections::HashMap;
use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use anyhow::Result;
use anyhow::bail;
use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
use serde_json::Value;
use serde_json::json;
use support::Server;

/// Any single answer taking longer than this fails the run (valgrind is slow).
const STEP_LIMIT: Duration = Duration::from_secs(600);

fn main() -> Result<()> {
    let full = std::env::args().any(|arg| arg == "--bench");
    let binary = codex_utils_cargo_bin::cargo_bin("codex")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let scratch = tempfile::tempdir()?;
    let out = scratch.path().join("callgrind.out");
    runtime.block_on(session(&binary, full.then_some(out.as_path())))?;
    if !full {
        println!("hot_functions: the session ran; `--bench` writes the list");
        return Ok(());
    }
    let text = std::fs::read_to_string(&out)
        .with_context(|| format!("callgrind wrote no {}", out.display()))?;
    let names = executed_functions(&text, "codex");
    if names.is_empty() {
        bail!("callgrind names no function of {}", binary.display());
    }
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("hot-functions.txt");
    let mut body = names.join("\n");
    body.push('\n');
    std::fs::write(&list, body)?;
    println!(
        "hot_functions: {} functions -> {}",
        names.len(),
        list.display()
    );
    Ok(())
}

/// One ordinary session of `binary`, under callgrind writing to `callgrind_out` if given.
async fn session(binary: &Path, callgrind_out: Option<&Path>) -> Result<()> {
    let model = MockModelServer::start().await?;
    let long_answer = vec!["word"; 500].join(" ");
    let command = json!({"cmd": "echo hot", "yield_time_ms": 10_000}).to_string();
    model.enqueue_all([
        Reply::sse(sse::text_turn("resp-1", "Hello.")),
        Reply::sse(sse::function_call_turn(
            "resp-2",
            "call-1",
            "exec_command",
            &command,
        )),
        Reply::sse(sse::text_turn("resp-3", "Done.")),
        Reply::sse(sse::text_turn("resp-4", &long_answer)),
    ]);
    let (home, work) = support::mock_home(&model.base_url())?;

    let mut command = match callgrind_out {
        Some(out) => {
            let mut command = support::command("valgrind", home.path());
            command
                .arg("--tool=callgrind")
                .arg("--demangle=no")
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg(binary);
            command
        }
        None => support::command(binary, home.path()),
    };
    command
        .current_dir(&work)
        .arg("app-server")
        .env("RUST_LOG", "error");
    let mut server = Server::spawn(command, STEP_LIMIT)?;
    server.initialize().await?;
    let thread = server.start_thread(2, &work).await?;
    for (id, prompt) in [(3, "hi"), (4, "run it"), (5, "tell me more")] {
        server
            .call(json!({"id": id, "method": "turn/start", "params": {
                "threadId": thread, "input": [{"type": "text", "text": prompt}],
            }}))
            .await?;
        wait_for(&mut server, "turn/completed").await?;
    }
    let listed = server
        .call(json!({"id": 6, "method": "thread/list", "params": {"limit": 25}}))
        .await?;
    if listed["result"]["data"].as_array().map(Vec::len) != Some(1) {
        bail!("thread/list answered {listed}");
    }
    let read = server
        .call(json!({"id": 7, "method": "thread/read", "params": {
            "threadId": thread, "includeTurns": true,
        }}))
        .await?;
    if read["result"]["thread"]["turns"].as_array().map(Vec::len) != Some(3) {
        bail!("thread/read answered {read}");
    }
    server.stop(STEP_LIMIT).await
}

async fn wait_for(server: &mut Server, method: &str) -> Result<Value> {
    loop {
        let message = server.next().await?;
        if message["method"] == method {
            return Ok(message);
        }
    }
}

/// The functions of the object file named `object` (its file name) that a callgrind output
/// file (with `--demangle=no`) says executed, each once, in the order the file first names
/// them.
///
/// The file names objects and functions once, as `ob=(N) name` and `fn=(N) name`, and by their
/// number after that; `fn=` lines are functions of the last `ob=`, and `cfn=` lines (callees)
/// of the `cob=` just before them, or else of the last `ob=` too.
fn executed_functions(text: &str, object: &str) -> Vec<String> {
    let mut objects: HashMap<&str, &str> = HashMap::new();
    let mut functions: HashMap<&str, &str> = HashMap::new();
    let mut current_object = "";
    let mut callee_object: Option<&str> = None;
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (number, name) = match value.split_once(' ') {
            Some((number, name)) => (number, Some(name)),
            None => (value, None),
        };
        match key {
            "ob" | "cob" => {
                let name = match name {
                    Some(name) => *objects.entry(number).or_insert(name),
                    None => objects.get(number).copied().unwrap_or_default(),
                };
                if key == "ob" {
                    current_object = name;
                } else {
                    callee_object = Some(name);
                }
            }
            "fn" | "cfn" => {
                let name = match name {
                    Some(name) => *functions.entry(number).or_insert(name),
                    None => functions.get(number).copied().unwrap_or_default(),
                };
                let owner = if key == "cfn" {
                    callee_object.take().unwrap_or(current_object)
                } else {
                    current_object
                };
                // Unnamed code (`0x...`) has no symbol to order.
                let file_name = owner.rsplit('/').next().unwrap_or_default();
                if file_name == object && !name.starts_with("0x") && seen.insert(name) {
                    names.push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    names
}
