//! Running one command: spawn it (through pipes or a terminal, in the sandbox or not), stream
//! its output as `ExecCommandOutputDelta` events while keeping it for the model, and emit
//! `ExecCommandBegin`/`ExecCommandEnd` around it.
//!
//! Every command leads its own process group (a terminal's child leads its own session), so
//! stopping it kills everything it started. A [`KillGuard`] does that when the call that owns
//! the process is dropped, which is how an interrupted turn stops its commands.

use std::ffi::OsString;
use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::ExecCommandBeginEvent;
use codex_protocol::protocol::ExecCommandEndEvent;
use codex_protocol::protocol::ExecCommandOutputDeltaEvent;
use codex_protocol::protocol::ExecCommandSource;
use codex_protocol::protocol::ExecOutputStream;
use codex_protocol::protocol::SandboxPolicy;
use codex_utils_absolute_path::AbsolutePathBuf;
use codex_utils_lock::lock;
use tokio::io::AsyncRead;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWrite;
use tokio::sync::Notify;
use tokio::sync::watch;

use crate::context::ToolContext;
use crate::parse_command::parse_command;
use crate::process::Output;
use crate::process::Process;

/// The most output kept per command for `ExecCommandEnd`; the model's share is cut further.
const MAX_AGGREGATED_BYTES: usize = 1024 * 1024;

/// How long output may still arrive after the process exited (a grandchild holding the pipe
/// must not hold the call).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);

/// Why a command could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SpawnError {
    #[error("the sandbox cannot run this command: {0}")]
    Sandbox(#[from] codex_linux_sandbox::SandboxError),
    #[error(
        "this command must run in the sandbox ({policy}), but no sandbox launcher is configured"
    )]
    NoLauncher { policy: &'static str },
    #[error("invalid working directory {path}: {message}")]
    Cwd { path: String, message: String },
    #[error("failed to start the command: {0}")]
    Io(#[from] std::io::Error),
    #[error("failed to open a terminal: {0}")]
    Pty(#[from] pty_process::Error),
}

/// A command to start.
pub(crate) struct ExecRequest {
    pub(crate) call_id: String,
    pub(crate) argv: Vec<String>,
    pub(crate) cwd: PathBuf,
    pub(crate) tty: bool,
    pub(crate) sandboxed: bool,
    pub(crate) source: ExecCommandSource,
    /// The unified exec session id, when there is one.
    pub(crate) process_id: Option<String>,
}

/// Builds the argv to spawn: the command itself, or the sandbox helper running it. Also says
/// whether the command must be told that the network is cut.
pub(crate) fn sandboxed_argv(
    argv: &[String],
    cwd: &Path,
    sandboxed: bool,
    sandbox_policy: &SandboxPolicy,
    launcher: Option<&Path>,
) -> Result<(Vec<OsString>, bool), SpawnError> {
    let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
    let network_disabled = match sandbox_policy {
        SandboxPolicy::DangerFullAccess => false,
        SandboxPolicy::ExternalSandbox { network_access } => {
            matches!(
                network_access,
                codex_protocol::protocol::NetworkAccess::Restricted
            )
        }
        SandboxPolicy::ReadOnly { .. } => true,
        SandboxPolicy::WorkspaceWrite { network_access, .. } => !network_access,
    };
    let policy = match sandbox_policy {
        SandboxPolicy::DangerFullAccess | SandboxPolicy::ExternalSandbox { .. } => None,
        SandboxPolicy::ReadOnly { .. } => Some("read-only"),
        SandboxPolicy::WorkspaceWrite { .. } => Some("workspace-write"),
    };
    match policy {
        Some(policy) if sandboxed => {
            let launcher = launcher.ok_or(SpawnError::NoLauncher { policy })?;
            let cwd = AbsolutePathBuf::from_absolute_path(cwd).map_err(|err| SpawnError::Cwd {
                path: cwd.display().to_string(),
                message: err.to_string(),
            })?;
            let argv = codex_linux_sandbox::command_for(sandbox_policy, &cwd, &argv, launcher)?;
            Ok((argv, network_disabled))
        }
        _ => Ok((argv, network_disabled && sandboxed)),
    }
}

/// Starts a command and the tasks that read its output and report its end.
pub(crate) async fn spawn(
    request: ExecRequest,
    context: &ToolContext,
    launcher: Option<&Path>,
) -> Result<Arc<Process>, SpawnError> {
    if !request.cwd.is_dir() {
        return Err(SpawnError::Cwd {
            path: request.cwd.display().to_string(),
            message: "not a directory".to_owned(),
        });
    }
    let (argv, network_disabled) = sandboxed_argv(
        &request.argv,
        &request.cwd,
        request.sandboxed,
        &context.sandbox_policy,
        launcher,
    )?;
    let Some((program, args)) = argv.split_first() else {
        return Err(SpawnError::Sandbox(
            codex_linux_sandbox::SandboxError::NoCommand,
        ));
    };
    let mut env: Vec<(&str, &str)> = Vec::new();
    if network_disabled {
        env.push(("CODEX_SANDBOX_NETWORK_DISABLED", "1"));
    }

    let mut readers: Vec<(Box<dyn AsyncRead + Send + Unpin>, ExecOutputStream)> = Vec::new();
    let stdin: Box<dyn AsyncWrite + Send + Unpin>;
    let mut child = if request.tty {
        let (pty, pts) = pty_process::open()?;
        pty.resize(pty_process::Size::new(24, 80))?;
        let child = pty_process::Command::new(program)
            .args(args)
            .current_dir(&request.cwd)
            .envs(env.iter().copied())
            .env("TERM", "dumb")
            .kill_on_drop(true)
            .spawn(pts)?;
        let (read, write) = pty.into_split();
        readers.push((Box::new(read), ExecOutputStream::Stdout));
        stdin = Box::new(write);
        child
    } else {
        let mut child = tokio::process::Command::new(program)
            .args(args)
            .current_dir(&request.cwd)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()?;
        if let Some(out) = child.stdout.take() {
            readers.push((Box::new(out), ExecOutputStream::Stdout));
        }
        if let Some(err) = child.stderr.take() {
            readers.push((Box::new(err), ExecOutputStream::Stderr));
        }
        let input: Box<dyn AsyncWrite + Send + Unpin> = match child.stdin.take() {
            Some(input) => Box::new(input),
            None => Box::new(tokio::io::sink()),
        };
        stdin = input;
        child
    };
    let pid = child.id().and_then(|pid| i32::try_from(pid).ok());
    let started = Instant::now();
    let cwd = request.cwd.display().to_string();
    let parsed_cmd = parse_command(&request.argv);
    context
        .emit(EventMsg::ExecCommandBegin(ExecCommandBeginEvent {
            call_id: request.call_id.clone(),
            process_id: request.process_id.clone(),
            turn_id: context.turn_id.clone(),
            command: request.argv.clone(),
            cwd: cwd.clone(),
            parsed_cmd: parsed_cmd.clone(),
            source: request.source,
            interaction_input: None,
        }))
        .await;

    let (exit_tx, exit_rx) = watch::channel(None);
    let process = Arc::new(Process {
        pid,
        stdin: tokio::sync::Mutex::new(Some(stdin)),
        output: Mutex::new(Output::default()),
        output_ready: Notify::new(),
        exit: exit_rx,
        terminated: AtomicBool::new(false),
    });
    let mut reader_tasks = Vec::new();
    for (reader, stream) in readers {
        reader_tasks.push(tokio::spawn(read_output(
            reader,
            stream,
            process.clone(),
            context.clone(),
            request.call_id.clone(),
        )));
    }
    let finisher_process = process.clone();
    let finisher_context = context.clone();
    tokio::spawn(async move {
        let status = child.wait().await;
        let code = match status {
            Ok(_) if finisher_process.terminated.load(Ordering::SeqCst) => -1,
            Ok(status) => exit_code(status),
            Err(err) => {
                tracing::warn!("cannot wait for a command: {err}");
                -1
            }
        };
        for task in reader_tasks {
            // A reader still blocked after the grace period belongs to a grandchild that kept
            // the output open; stop listening to it.
            let abort = task.abort_handle();
            if tokio::time::timeout(DRAIN_AFTER_EXIT, task).await.is_err() {
                abort.abort();
            }
        }
        let aggregated =
            String::from_utf8_lossy(&lock(&finisher_process.output).aggregated).into_owned();
        finisher_context
            .emit(EventMsg::ExecCommandEnd(ExecCommandEndEvent {
                call_id: request.call_id,
                process_id: request.process_id,
                turn_id: finisher_context.turn_id.clone(),
                command: request.argv,
                cwd,
                parsed_cmd,
                source: request.source,
                interaction_input: None,
                stdout: aggregated.clone(),
                stderr: String::new(),
                aggregated_output: aggregated.clone(),
                exit_code: code,
                duration: started.elapsed(),
                formatted_output: aggregated,
            }))
            .await;
        *finisher_process.stdin.lock().await = None;
        let _ = exit_tx.send(Some(code));
        finisher_process.output_ready.notify_waiters();
    });
    Ok(process)
}

async fn read_output(
    mut reader: Box<dyn AsyncRead + Send + Unpin>,
    stream: ExecOutputStream,
    process: Arc<Process>,
    context: ToolContext,
    call_id: String,
) {
    let mut buffer = vec![0u8; 8192];
    loop {
        // A terminal reports EIO once the child side closes; that is the end of its output.
        let read = match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let chunk = &buffer[..read];
        {
            let mut output = lock(&process.output);
            output.unread.extend_from_slice(chunk);
            let room = MAX_AGGREGATED_BYTES.saturating_sub(output.aggregated.len());
            let kept = &chunk[..chunk.len().min(room)];
            output.aggregated.extend_from_slice(kept);
        }
        process.output_ready.notify_waiters();
        context
            .emit(EventMsg::ExecCommandOutputDelta(
                ExecCommandOutputDeltaEvent {
                    call_id: call_id.clone(),
                    stream,
                    chunk: String::from_utf8_lossy(chunk).into_owned(),
                },
            ))
            .await;
    }
}

pub(crate) fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => -1,
    }
}

/// Guesses whether a failed sandboxed command failed because of the sandbox.
pub(crate) fn looks_sandbox_denied(exit_code: i32, output: &str) -> bool {
    const MARKERS: [&str; 4] = [
        "permission denied",
        "read-only file system",
        "operation not permitted",
        "network is unreachable",
    ];
    let lower = output.to_lowercase();
    exit_code != 0 && MARKERS.iter().any(|marker| lower.contains(marker))
}
