//! Starting stdio MCP servers so that none outlives codex or the thread that started it.
//!
//! Unsafe code is denied, so nothing can run between `fork` and `exec` in the server's process.
//! Instead codex starts `codex mcp-launch --parent-pid PID -- COMMAND ARGS…` ([`spawn_server`])
//! in a process group of its own, and that launcher ([`run_launcher`]):
//! 1. asks the kernel for SIGTERM when its parent dies (`PR_SET_PDEATHSIG`), then checks that
//!    the parent is still the codex process that started it (it may have died before);
//! 2. starts the real server as its child, in the same group, with the same stdin, stdout and
//!    stderr;
//! 3. on SIGTERM, SIGHUP or SIGINT (the parent-death signal included) kills the whole group
//!    with SIGKILL; when the server exits, kills what it left in the group and exits with
//!    its status.
//!
//! So SIGKILL of codex still takes the server and its own children down, and codex kills the
//! group itself when a connection is dropped ([`ProcessGroup`]).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::ffi::OsString;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::path::PathBuf;
use std::process::Stdio;

use nix::sys::prctl;
use nix::sys::signal::Signal;
use nix::sys::signal::kill;
use nix::sys::signal::killpg;
use nix::unistd::Pid;
use nix::unistd::getpgrp;
use nix::unistd::getpid;
use nix::unistd::getppid;
use nix::unistd::setpgid;
use tokio::process::Child;
use tokio::process::Command;
use tokio::signal::unix::SignalKind;
use tokio::signal::unix::signal;

/// The hidden subcommand of `codex` that runs [`run_launcher`].
pub const LAUNCH_SUBCOMMAND: &str = "mcp-launch";

/// The variables a server inherits from codex's environment when they are set, as the
/// reference passes them (before `env_vars` and `env`).
const DEFAULT_ENV_VARS: &[&str] = &[
    "HOME", "LOGNAME", "PATH", "SHELL", "USER", "LANG", "LC_ALL", "TERM", "TMPDIR", "TZ",
];

/// Exit status of the launcher when codex was gone before the launcher could watch it.
const EXIT_PARENT_GONE: i32 = 125;

/// What to start: the configured command, resolved by the caller against the thread.
#[derive(Debug, Clone)]
pub struct ServerCommand {
    pub program: String,
    pub args: Vec<String>,
    /// The configured `env`, set last.
    pub env: BTreeMap<String, String>,
    /// The configured `env_vars`, passed through from codex's environment.
    pub env_vars: Vec<String>,
    pub cwd: PathBuf,
}

/// The environment a server starts with: a cleared environment plus the reference's short
/// list, then the variables named in `env_vars`, then `env`.
pub fn server_environment(
    env: &BTreeMap<String, String>,
    env_vars: &[String],
) -> BTreeMap<String, String> {
    let passed = DEFAULT_ENV_VARS
        .iter()
        .copied()
        .chain(env_vars.iter().map(String::as_str));
    let mut result: BTreeMap<String, String> = passed
        .filter_map(|name| Some((name.to_owned(), std::env::var(name).ok()?)))
        .collect();
    result.extend(env.iter().map(|(key, value)| (key.clone(), value.clone())));
    result
}

/// Starts `command` through the launcher `codex_exe`, with stdin, stdout and stderr piped.
///
/// Call this from an async task, never from `spawn_blocking`: Linux sends the parent-death
/// signal when the *thread* that forked the launcher ends, and tokio's worker threads live as
/// long as the runtime while blocking-pool threads end after a short idle time.
pub fn spawn_server(
    codex_exe: &Path,
    command: &ServerCommand,
) -> io::Result<(Child, ProcessGroup)> {
    let environment = server_environment(&command.env, &command.env_vars);
    // Resolved here, with the server's own PATH, so that a missing program fails startup with
    // the reference's error instead of a launcher that exits at once.
    let program = resolve_program(
        &command.program,
        environment.get("PATH").map(String::as_str),
        &command.cwd,
    )?;
    let child = Command::new(codex_exe)
        .arg(LAUNCH_SUBCOMMAND)
        .arg("--parent-pid")
        .arg(std::process::id().to_string())
        .arg("--")
        .arg(program)
        .args(&command.args)
        .env_clear()
        .envs(&environment)
        .current_dir(&command.cwd)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let group = child
        .id()
        .map(|pid| ProcessGroup(Pid::from_raw(pid as i32)))
        .ok_or_else(|| io::Error::other("the launcher exited at once"))?;
    Ok((child, group))
}

/// The process group of a launched server; dropping it kills every process in it.
#[derive(Debug)]
pub struct ProcessGroup(Pid);

impl ProcessGroup {
    /// The group id (the launcher's pid).
    pub fn id(&self) -> i32 {
        self.0.as_raw()
    }

    /// Kills every process in the group. Harmless when they are gone already.
    pub fn kill(&self) {
        let _ = killpg(self.0, Signal::SIGKILL);
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Finds `program` the way `execvp` would with the server's PATH; a name with a slash is taken
/// relative to the server's cwd.
fn resolve_program(program: &str, path: Option<&str>, cwd: &Path) -> io::Result<PathBuf> {
    let not_found = || io::Error::from_raw_os_error(nix::libc::ENOENT);
    if program.contains('/') {
        let candidate = cwd.join(program);
        return if candidate.exists() {
            Ok(candidate)
        } else {
            Err(not_found())
        };
    }
    let dirs = path.unwrap_or("/usr/local/bin:/usr/bin:/bin");
    std::env::split_paths(OsStr::new(dirs))
        .map(|dir| cwd.join(dir).join(program))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(not_found)
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// The launcher's side: runs `program` until it exits or the launcher is told to stop, and
/// returns the exit status to end with. Returns early when `parent_pid` is no longer the
/// parent, and fails when the server cannot be started. Must run in a process of its own (it
/// kills its process group).
pub fn run_launcher(parent_pid: i32, program: &OsStr, args: &[OsString]) -> io::Result<i32> {
    prctl::set_pdeathsig(Signal::SIGTERM).map_err(io::Error::from)?;
    // The parent may have died before the death signal was asked for; then the kernel will
    // never send it.
    if getppid().as_raw() != parent_pid {
        return Ok(EXIT_PARENT_GONE);
    }
    // Lead a group of our own whoever started us, so that killing it never reaches them.
    if getpgrp() != getpid() {
        setpgid(Pid::from_raw(0), Pid::from_raw(0)).map_err(io::Error::from)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(supervise(program, args))
}

async fn supervise(program: &OsStr, args: &[OsString]) -> io::Result<i32> {
    // The handlers go in before the server starts, so no signal is missed after that.
    let mut term = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    // The error goes to the launcher's stderr, which codex logs as the server's.
    let mut child = Command::new(program).args(args).spawn().map_err(|error| {
        io::Error::new(
            error.kind(),
            format!("failed to start {}: {error}", program.to_string_lossy()),
        )
    })?;
    tokio::select! {
        status = child.wait() => {
            // What the server started lives on in the group; when codex has just died, its
            // stdin closing can end the server before the death signal is seen here.
            kill_rest_of_group();
            let status = status?;
            Ok(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
        }
        _ = term.recv() => Ok(kill_own_group()),
        _ = hangup.recv() => Ok(kill_own_group()),
        _ = interrupt.recv() => Ok(kill_own_group()),
    }
}

/// Kills every process of the launcher's group but the launcher: what the server left behind.
/// The launcher goes on to report the server's status.
fn kill_rest_of_group() {
    let own = getpid().as_raw();
    let group = getpgrp().as_raw();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse().ok())
        else {
            continue;
        };
        if pid == own {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The group is the third field after the command name, which sits in parentheses and
        // may hold spaces.
        let pgrp = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(2))
            .and_then(|field| field.parse::<i32>().ok());
        if pgrp == Some(group) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

/// Kills the launcher's group: the server, whatever it started, and the launcher itself.
fn kill_own_group() -> i32 {
    let _ = killpg(getpgrp(), Signal::SIGKILL);
    128 + Signal::SIGKILL as i32
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn environment_is_the_short_list_then_env_vars_then_env() {
        let env = BTreeMap::from([("PATH".to_owned(), "/mine".to_owned())]);
        let result = server_environment(&env, &["CARGO_PKG_NAME".to_owned()]);
        assert_eq!(result.get("PATH").map(String::as_str), Some("/mine"));
        assert_eq!(
            result.get("CARGO_PKG_NAME").map(String::as_str),
            std::env::var("CARGO_PKG_NAME").ok().as_deref()
        );
        assert!(!result.contains_key("CARGO_MANIFEST_DIR"));
    }

    #[test]
    fn programs_are_found_on_the_server_path() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("srv");
        std::fs::write(&script, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let found = resolve_program("srv", dir.path().to_str(), Path::new("/"));
        assert_eq!(found.unwrap(), script);
        let missing = resolve_program("nope-not-here", dir.path().to_str(), Path::new("/"));
        assert_eq!(
            missing.unwrap_err().to_string(),
            "No such file or directory (os error 2)"
        );
        let relative = resolve_program("./srv", None, dir.path());
        assert_eq!(relative.unwrap(), dir.path().join("./srv"));
    }
}
