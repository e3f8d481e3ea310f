//! `exec_command` and `write_stdin`: commands that may outlive the call that started them.
//!
//! `exec_command` starts a command and collects its output until it exits or the yield time
//! ends; a command still running is kept under a session id, and `write_stdin` writes to it and
//! collects more. The model reads the reference's framing:
//!
//! ```text
//! Chunk ID: 1a2b3c
//! Wall time: 0.5012 seconds
//! Process exited with code 0          (or: Process running with session ID 1234)
//! Original token count: 3
//! Output:
//! …
//! ```

use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use codex_protocol::protocol::ExecCommandSource;
use rand::Rng;
use serde::Deserialize;

use crate::context::ToolContext;
use crate::model_family::TruncationPolicy;
use crate::process::KillGuard;
use crate::process::Process;
use crate::truncate::approx_tokens;
use crate::truncate::truncate_with_line_count;

pub(crate) const MIN_YIELD_TIME_MS: u64 = 250;
pub(crate) const MAX_YIELD_TIME_MS: u64 = 30_000;
const DEFAULT_EXEC_YIELD_TIME_MS: u64 = 10_000;
const DEFAULT_WRITE_YIELD_TIME_MS: u64 = 250;
pub(crate) const DEFAULT_MAX_OUTPUT_TOKENS: usize = 10_000;
/// The reference estimates a token as four bytes.

#[derive(Debug, Deserialize)]
pub(crate) struct ExecCommandArgs {
    pub(crate) cmd: String,
    #[serde(default)]
    pub(crate) workdir: Option<String>,
    #[serde(default)]
    pub(crate) shell: Option<String>,
    #[serde(default)]
    pub(crate) login: Option<bool>,
    #[serde(default)]
    pub(crate) tty: bool,
    #[serde(default)]
    pub(crate) yield_time_ms: Option<u64>,
    #[serde(default)]
    pub(crate) max_output_tokens: Option<usize>,
    #[serde(default)]
    pub(crate) sandbox_permissions: Option<String>,
    #[serde(default)]
    pub(crate) justification: Option<String>,
    #[serde(default)]
    pub(crate) prefix_rule: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WriteStdinArgs {
    pub(crate) session_id: i64,
    #[serde(default)]
    pub(crate) chars: String,
    #[serde(default)]
    pub(crate) yield_time_ms: Option<u64>,
    #[serde(default)]
    pub(crate) max_output_tokens: Option<usize>,
}

/// The argv that runs `cmd` in `shell` (default: the user's shell, else bash).
pub(crate) fn shell_argv(shell: Option<&str>, login: bool, cmd: &str) -> Vec<String> {
    let shell = shell
        .map(str::to_owned)
        .or_else(|| {
            std::env::var("SHELL")
                .ok()
                .filter(|shell| !shell.is_empty())
        })
        .unwrap_or_else(|| "/bin/bash".to_owned());
    let flag = if login { "-lc" } else { "-c" };
    vec![shell, flag.to_owned(), cmd.to_owned()]
}

fn clamp_yield(requested: Option<u64>, default: u64) -> Duration {
    Duration::from_millis(
        requested
            .unwrap_or(default)
            .clamp(MIN_YIELD_TIME_MS, MAX_YIELD_TIME_MS),
    )
}

/// Runs a started process for the `exec_command` call until it exits or the yield time ends.
pub(crate) async fn collect_started(
    context: &ToolContext,
    process: Arc<Process>,
    session_id: i64,
    started: Instant,
    args: &ExecCommandArgs,
) -> String {
    // Until the call returns, the process belongs to it: an interrupt drops the call and the
    // guard kills the process group.
    let guard = KillGuard::new(process.clone());
    let deadline =
        tokio::time::Instant::now() + clamp_yield(args.yield_time_ms, DEFAULT_EXEC_YIELD_TIME_MS);
    let exit = process.wait_until(deadline).await;
    guard.disarm();
    if exit.is_none() {
        context.state.processes.insert(session_id, process.clone());
    }
    let output = process.take_unread();
    frame(started, exit, session_id, &output, args.max_output_tokens)
}

/// `write_stdin`: writes, then collects output until the process exits or the yield time ends.
pub(crate) async fn write_stdin(context: &ToolContext, args: WriteStdinArgs) -> (String, bool) {
    let started = Instant::now();
    let Some(process) = context.state.processes.get(args.session_id) else {
        return (
            format!("write_stdin failed: Unknown process id {}", args.session_id),
            false,
        );
    };
    if !args.chars.is_empty()
        && let Err(err) = process.write(&args.chars).await
    {
        return (format!("failed to write to stdin: {err}"), false);
    }
    let deadline =
        tokio::time::Instant::now() + clamp_yield(args.yield_time_ms, DEFAULT_WRITE_YIELD_TIME_MS);
    let exit = process.wait_until(deadline).await;
    if exit.is_some() {
        context.state.processes.remove(args.session_id);
    }
    let output = process.take_unread();
    (
        frame(
            started,
            exit,
            args.session_id,
            &output,
            args.max_output_tokens,
        ),
        true,
    )
}

/// The exec tools' source tag for events.
pub(crate) const SOURCE: ExecCommandSource = ExecCommandSource::UnifiedExecStartup;

fn frame(
    started: Instant,
    exit: Option<i32>,
    session_id: i64,
    output: &[u8],
    max_output_tokens: Option<usize>,
) -> String {
    let text = String::from_utf8_lossy(output);
    let max_tokens = max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT_TOKENS);
    let mut sections = vec![
        format!("Chunk ID: {}", chunk_id()),
        format!("Wall time: {:.4} seconds", started.elapsed().as_secs_f64()),
    ];
    match exit {
        Some(code) => sections.push(format!("Process exited with code {code}")),
        None => sections.push(format!("Process running with session ID {session_id}")),
    }
    sections.push(format!("Original token count: {}", approx_tokens(&text)));
    sections.push("Output:".to_owned());
    sections.push(truncate_with_line_count(
        &text,
        TruncationPolicy::Tokens(max_tokens),
    ));
    sections.join("\n")
}

fn chunk_id() -> String {
    let value: u32 = rand::rng().random_range(0..0x100_0000);
    format!("{value:06x}")
}
