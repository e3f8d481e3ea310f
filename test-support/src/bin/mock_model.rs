//! `codex-mock-model`: the mock model server as a program, for tests written in other languages
//! (the TypeScript client's, the browser example's).
//!
//! ```text
//! codex-mock-model SCRIPT      SCRIPT: a JSON file, or the JSON itself when it starts with `[`
//! ```
//!
//! It serves the script's replies (see `codex_test_support::json_script`) in order on a loopback
//! port and prints its base URL (`http://127.0.0.1:PORT/v1`) as the first line on stdout. Each
//! line written to its stdin is one more reply (or an array of them) appended to the script.
//! When stdin closes it prints `{"requests": N, "unusedReplies": M}` on stdout and exits.

use std::io::Write as _;

use anyhow::Context;
use codex_test_support::MockModelServer;
use codex_test_support::json_script::parse_reply;
use codex_test_support::json_script::parse_script;
use serde_json::Value;
use tokio::io::AsyncBufReadExt;
use tokio::io::BufReader;

const USAGE: &str = "usage: codex-mock-model SCRIPT   (a JSON file, or JSON starting with `[`)";

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(script), None) = (args.next(), args.next()) else {
        anyhow::bail!("{USAGE}");
    };
    let text = if script.trim_start().starts_with('[') {
        script
    } else {
        std::fs::read_to_string(&script).with_context(|| format!("reading the script {script}"))?
    };
    let script: Value = serde_json::from_str(&text).context("the script is not JSON")?;
    let replies = parse_script(&script)?;
    let scripted = replies.len();

    let server = MockModelServer::start()
        .await
        .context("starting the mock model server")?;
    server.enqueue_all(replies);
    say(&server.base_url())?;

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut added = 0;
    while let Some(line) = lines.next_line().await.context("reading stdin")? {
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(&line)
            .with_context(|| format!("a line that is not JSON: {line}"))?;
        let more = match value {
            Value::Array(_) => parse_script(&value)?,
            single => {
                added += 1;
                let id = format!("resp_{}", scripted + added);
                vec![parse_reply(&single, &id).map_err(anyhow::Error::msg)?]
            }
        };
        server.enqueue_all(more);
    }
    let summary = serde_json::json!({
        "requests": server.requests().len(),
        "unusedReplies": server.pending_replies(),
    });
    say(&summary.to_string())
}

/// One line on stdout, flushed at once: the parent reads it while this process keeps running.
#[expect(
    clippy::print_stdout,
    reason = "stdout is this program's interface: the base URL, then the summary"
)]
fn say(line: &str) -> anyhow::Result<()> {
    println!("{line}");
    std::io::stdout().flush().context("writing stdout")
}
