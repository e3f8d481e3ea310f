//! One command run outside any thread (`command/exec`, v1 `execOneOffCommand`): spawned under a
//! sandbox policy like the agent's commands, in its own process group, killed with its group
//! when it outlives its timeout. Its output is kept per stream, up to a cap.

use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use codex_protocol::protocol::SandboxPolicy;
use tokio::io::AsyncRead;
use tokio::io::AsyncReadExt;

use crate::exec::SpawnError;
use crate::exec::exit_code;
use crate::exec::sandboxed_argv;
use crate::process::kill_group;

/// How long a command may run when the request names no timeout.
pub const DEFAULT_ONE_OFF_TIMEOUT: Duration = Duration::from_secs(10);

/// The most output kept per stream; the rest is read and dropped.
const MAX_STREAM_BYTES: usize = 1024 * 1024;

/// How long output may still arrive after the process exited.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);

/// A command to run once.
#[derive(Debug, Clone)]
pub struct OneOffCommand {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub sandbox_policy: SandboxPolicy,
    pub timeout: Duration,
    /// The binary whose `sandbox linux` subcommand confines the command.
    pub sandbox_launcher: Option<PathBuf>,
}

/// What a finished command printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOffOutput {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Why a command gave no output.
#[derive(Debug, thiserror::Error)]
pub enum OneOffError {
    /// The process could not start; shown as the OS says it, like the reference.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Spawn(String),
    /// The reference's words, which reach the client as `exec failed: sandbox error: command
    /// timed out`.
    #[error("sandbox error: command timed out")]
    TimedOut,
}

impl From<SpawnError> for OneOffError {
    fn from(err: SpawnError) -> Self {
        match err {
            SpawnError::Io(err) => OneOffError::Io(err),
            other => OneOffError::Spawn(other.to_string()),
        }
    }
}

/// Runs `command` to its end (or its timeout) and collects its output.
pub async fn run_one_off(command: OneOffCommand) -> Result<OneOffOutput, OneOffError> {
    let Some(program) = command.argv.first() else {
        return Err(OneOffError::Spawn("command is empty".to_owned()));
    };
    if !command.cwd.is_dir() {
        return Err(OneOffError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("invalid working directory {}", command.cwd.display()),
        )));
    }
    // The sandbox helper would start even for a missing program and fail later; find out now so
    // the caller hears of it as a failure to start, as it would without the sandbox.
    if resolve_program(program, &command.cwd).is_none() {
        // ENOENT, shown as the OS words it ("No such file or directory (os error 2)").
        return Err(OneOffError::Io(std::io::Error::from_raw_os_error(2)));
    }
    let (argv, network_disabled) = sandboxed_argv(
        &command.argv,
        &command.cwd,
        true,
        &command.sandbox_policy,
        command.sandbox_launcher.as_deref(),
    )?;
    let Some((program, args)) = argv.split_first() else {
        return Err(OneOffError::Spawn("command is empty".to_owned()));
    };
    let mut spawn = tokio::process::Command::new(program);
    spawn
        .args(args)
        .current_dir(&command.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if network_disabled {
        spawn.env("CODEX_SANDBOX_NETWORK_DISABLED", "1");
    }
    let mut child = spawn.spawn()?;
    let pid = child.id().and_then(|pid| i32::try_from(pid).ok());
    let stdout = child
        .stdout
        .take()
        .map(|out| tokio::spawn(read_capped(out)));
    let stderr = child
        .stderr
        .take()
        .map(|err| tokio::spawn(read_capped(err)));

    let status = match tokio::time::timeout(command.timeout, child.wait()).await {
        Ok(status) => status?,
        Err(_) => {
            if let Some(pid) = pid {
                kill_group(pid);
            }
            let _ = child.wait().await;
            for task in [stdout, stderr].into_iter().flatten() {
                task.abort();
            }
            return Err(OneOffError::TimedOut);
        }
    };
    Ok(OneOffOutput {
        exit_code: exit_code(status),
        stdout: drained(stdout).await,
        stderr: drained(stderr).await,
    })
}

/// What a reader collected, waiting a little for output a grandchild still holds open.
async fn drained(task: Option<tokio::task::JoinHandle<Vec<u8>>>) -> String {
    let Some(task) = task else {
        return String::new();
    };
    let abort = task.abort_handle();
    match tokio::time::timeout(DRAIN_AFTER_EXIT, task).await {
        Ok(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(Err(_)) => String::new(),
        Err(_) => {
            abort.abort();
            String::new()
        }
    }
}

async fn read_capped(mut reader: impl AsyncRead + Unpin) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 8192];
    loop {
        let read = match reader.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let room = MAX_STREAM_BYTES.saturating_sub(kept.len());
        kept.extend_from_slice(&buffer[..read.min(room)]);
    }
    kept
}

/// Where `program` is: a path (relative to `cwd`) when it names one, else the first match on
/// `PATH`.
fn resolve_program(program: &str, cwd: &Path) -> Option<PathBuf> {
    if program.contains('/') {
        let path = cwd.join(program);
        return path.exists().then_some(path);
    }
    // Without PATH, exec looks where libc's default path says.
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| cwd.join(dir).join(program))
        .find(|candidate| candidate.is_file())
}
