//! Writes `cli/hot-functions.txt`: the functions of the release `codex` that run in an ordinary
//! session, which `cli/build.rs` asks the linker to lay out together.
//!
//! The kernel maps a binary's code by the page, and with each page a fault touches it maps the
//! cached pages around it (64 KiB, or the page cache's whole block): hot functions scattered
//! through 40 MB of code then keep most of it resident. Laid out together, they fill a few MB.
//! The list comes in three parts, so that a session that only talks leaves the last one alone:
//! the functions of a plain session (start-up, `initialize`, a thread, three plain turns,
//! shutdown); those that the plain session runs natively but not under callgrind (see
//! `faulted_functions`); then those that only a session doing more runs (a command, a streamed
//! answer, a listing, a read).
//!
//! `cargo build --release -p codex-cli && cargo bench -p codex-cli --bench hot_functions` runs
//! the release `codex` under `valgrind --tool=callgrind` through both sessions against the mock
//! model, and the plain one natively under `perf record` (where `perf` works) for the functions
//! only the machine's own CPU runs, and writes the symbol of every function that executed, each
//! part in the order callgrind lists them. Regenerate it when dependencies or the toolchain
//! change (they rename symbols); names that no longer exist are skipped by the linker. Without
//! `--bench` (as under `cargo test --benches`) the sessions run untraced and nothing is written,
//! so the sessions themselves are checked.

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
    if !full {
        for part in [Part::Plain, Part::Busy] {
            runtime.block_on(session(&binary, part, Tracer::None))?;
        }
        println!("hot_functions: the sessions ran; `--bench` writes the list");
        return Ok(());
    }
    let scratch = tempfile::tempdir()?;
    let plain = scratch.path().join("callgrind.plain.out");
    runtime.block_on(session(&binary, Part::Plain, Tracer::Callgrind(&plain)))?;
    let plain = callgrind_functions(&plain, &binary)?;
    let busy = scratch.path().join("callgrind.busy.out");
    runtime.block_on(session(&binary, Part::Busy, Tracer::Callgrind(&busy)))?;
    let busy = callgrind_functions(&busy, &binary)?;

    // The native pass sees only some of the functions callgrind misses each time (see
    // `faulted_functions`), so what earlier passes found is kept while the binary has it.
    let native_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("hot-functions-native.txt");
    let mut native = HotList::default();
    let symbols = Symbols::of(&binary)?;
    let defined = &symbols.defined;
    if let Ok(earlier) = std::fs::read_to_string(&native_path) {
        native.extend(
            earlier
                .lines()
                .filter(|name| defined.contains(*name))
                .map(str::to_owned),
        );
    }
    let faults = scratch.path().join("perf.data");
    match runtime.block_on(session(&binary, Part::Plain, Tracer::PageFaults(&faults))) {
        Ok(()) => {
            // Busier code that a plain session runs natively moves up to this part too.
            let known: HashSet<&String> = plain.iter().collect();
            let found = faulted_functions(&faults, "codex")?;
            native.extend(found.into_iter().filter(|name| !known.contains(name)));
        }
        Err(err) => println!("hot_functions: no native pass ({err:#})"),
    }
    write_list(&native_path, &native.names)?;

    let mut list = HotList::default();
    for part in [plain, native.names, busy] {
        list.extend(part.into_iter().flat_map(|name| symbols.with_aliases(name)));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("hot-functions.txt");
    write_list(&path, &list.names)?;
    println!(
        "hot_functions: {} functions -> {}",
        list.names.len(),
        path.display()
    );
    Ok(())
}

fn write_list(path: &Path, names: &[String]) -> Result<()> {
    let mut body = names.join("\n");
    body.push('\n');
    std::fs::write(path, body).with_context(|| format!("cannot write {}", path.display()))
}

/// The symbols `binary` defines, by `nm`.
struct Symbols {
    defined: HashSet<String>,
    /// The names of each address that has more than one.
    at_address: HashMap<String, Vec<String>>,
    address_of: HashMap<String, String>,
}

impl Symbols {
    fn of(binary: &Path) -> Result<Self> {
        let output = std::process::Command::new("nm")
            .arg("--defined-only")
            .arg(binary)
            .output()
            .context("cannot run nm")?;
        if !output.status.success() {
            bail!("nm failed: {}", output.status);
        }
        let mut defined = HashSet::new();
        let mut at_address: HashMap<String, Vec<String>> = HashMap::new();
        let mut address_of = HashMap::new();
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            let mut fields = line.split_whitespace();
            let (Some(address), Some(kind), Some(name)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            defined.insert(name.to_owned());
            if matches!(kind, "t" | "T" | "w" | "W") {
                at_address
                    .entry(address.to_owned())
                    .or_default()
                    .push(name.to_owned());
                address_of.insert(name.to_owned(), address.to_owned());
            }
        }
        at_address.retain(|_, names| names.len() > 1);
        Ok(Self {
            defined,
            at_address,
            address_of,
        })
    }

    /// `name`, then the other names of its address. Rustc merges functions that compile to the
    /// same code into one body under several names (aliases), and the body's section is named
    /// after only one of them: `build.rs`'s linker script, which matches section names, finds
    /// the body only if the list has that one.
    fn with_aliases(&self, name: String) -> Vec<String> {
        let others = self
            .address_of
            .get(&name)
            .and_then(|address| self.at_address.get(address))
            .into_iter()
            .flatten()
            .filter(|other| **other != name)
            .cloned()
            .collect::<Vec<_>>();
        std::iter::once(name).chain(others).collect()
    }
}

/// Function names in order, each once.
#[derive(Default)]
struct HotList {
    names: Vec<String>,
    seen: HashSet<String>,
}

impl HotList {
    fn extend(&mut self, names: impl IntoIterator<Item = String>) {
        for name in names {
            if self.seen.insert(name.clone()) {
                self.names.push(name);
            }
        }
    }
}

/// How a session's server runs.
enum Tracer<'a> {
    None,
    /// Under callgrind, which writes this file.
    Callgrind(&'a Path),
    /// Natively, under `perf record` counting page faults into this file.
    PageFaults(&'a Path),
}

fn callgrind_functions(out: &Path, binary: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(out)
        .with_context(|| format!("callgrind wrote no {}", out.display()))?;
    let executed = executed_functions(&text, "codex");
    if executed.is_empty() {
        bail!("callgrind names no function of {}", binary.display());
    }
    Ok(executed)
}

/// What a session does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Start-up, `initialize`, a thread, three plain turns: what every session runs.
    Plain,
    /// Also a command, a streamed answer, a listing and a read.
    Busy,
}

/// One session of `binary` doing `part`, run as `tracer` says.
async fn session(binary: &Path, part: Part, tracer: Tracer<'_>) -> Result<()> {
    let model = MockModelServer::start().await?;
    let long_answer = vec!["word"; 500].join(" ");
    let command = json!({"cmd": "echo hot", "yield_time_ms": 10_000}).to_string();
    let (prompts, replies) = match part {
        Part::Plain => (
            vec!["hi", "and again", "once more"],
            vec![
                Reply::sse(sse::text_turn("resp-1", "Hello.")),
                Reply::sse(sse::text_turn("resp-2", "Hello again.")),
                Reply::sse(sse::text_turn("resp-3", "Still here.")),
            ],
        ),
        Part::Busy => (
            vec!["hi", "run it", "tell me more"],
            vec![
                Reply::sse(sse::text_turn("resp-1", "Hello.")),
                Reply::sse(sse::function_call_turn(
                    "resp-2",
                    "call-1",
                    "exec_command",
                    &command,
                )),
                Reply::sse(sse::text_turn("resp-3", "Done.")),
                Reply::sse(sse::text_turn("resp-4", &long_answer)),
            ],
        ),
    };
    model.enqueue_all(replies);
    let (home, work) = support::mock_home(&model.base_url())?;

    let mut command = match tracer {
        Tracer::Callgrind(out) => {
            let mut command = support::command("valgrind", home.path());
            command
                .arg("--tool=callgrind")
                .arg("--demangle=no")
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg(binary);
            command
        }
        Tracer::PageFaults(out) => {
            let mut command = support::command("perf", home.path());
            command
                .args([
                    "record",
                    "--quiet",
                    "--event=page-faults",
                    "--count=1",
                    "--data",
                ])
                .arg(format!("--output={}", out.display()))
                .arg("--")
                .arg(binary);
            command
        }
        Tracer::None => support::command(binary, home.path()),
    };
    command
        .current_dir(&work)
        .arg("app-server")
        .env("RUST_LOG", "error");
    let mut server = Server::spawn(command, STEP_LIMIT)?;
    server.initialize().await?;
    let thread = server.start_thread(2, &work).await?;
    for (id, prompt) in (3..).zip(prompts) {
        server
            .call(json!({"id": id, "method": "turn/start", "params": {
                "threadId": thread, "input": [{"type": "text", "text": prompt}],
            }}))
            .await?;
        wait_for(&mut server, "turn/completed").await?;
    }
    if part == Part::Busy {
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

/// The functions of the object file named `object` whose code faulted in under `perf record
/// --event=page-faults --data` (which wrote `data`): a fault taken fetching an instruction has
/// the instruction's address as both the sample's address and its data address.
///
/// Callgrind runs the code on a CPU of its own, without some of the extensions the machine has
/// (SHA, for one), and under it tokio reaps children without pidfds, so natively some other
/// functions run. Only the first touch of each block the kernel maps faults, so this finds some
/// of them per run: regenerate the list after a build with the last one to find more.
fn faulted_functions(data: &Path, object: &str) -> Result<Vec<String>> {
    let output = std::process::Command::new("perf")
        .arg("script")
        .arg(format!("--input={}", data.display()))
        .args(["--no-demangle", "--fields=addr,ip,sym,dso"])
        .stderr(std::process::Stdio::null())
        .output()
        .context("cannot run perf script")?;
    if !output.status.success() {
        bail!("perf script failed: {}", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let mut names = Vec::new();
    for line in text.lines() {
        // `ADDR SYM (DSO) IP SYM (DSO)`
        let fields: Vec<&str> = line.split_whitespace().collect();
        let Some(dso) = fields.iter().position(|field| field.starts_with('(')) else {
            continue;
        };
        let (Some(address), Some(name), Some(ip)) =
            (fields.first(), fields.get(1), fields.get(dso + 1))
        else {
            continue;
        };
        let file_name = fields[dso]
            .trim_matches(|c| c == '(' || c == ')')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        if address == ip && file_name == object && *name != "[unknown]" {
            names.push((*name).to_owned());
        }
    }
    Ok(names)
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
                // Unnamed code (`0x...`) has no symbol to order; `name'2` is callgrind's name
                // for a deeper level of a recursive function, whose symbol is `name`.
                let name = name.split_once('\'').map_or(name, |(symbol, _)| symbol);
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
