//! `codex sandbox linux -- CMD`: runs one command under a sandbox policy, the way the agent's
//! tools run theirs, so a person can see what the sandbox allows.

use std::convert::Infallible;
use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use anyhow::bail;
use clap::Args;
use clap::Subcommand;
use clap::ValueEnum;
use codex_protocol::protocol::SandboxPolicy;
use codex_utils_absolute_path::AbsolutePathBuf;
use codex_utils_absolute_path::AbsolutePathBufGuard;

#[derive(Debug, Args)]
pub struct SandboxCommand {
    #[command(subcommand)]
    platform: SandboxPlatform,
}

#[derive(Debug, Subcommand)]
enum SandboxPlatform {
    /// Run a command under Landlock and seccomp. The command replaces this process, so its exit
    /// status is the command's; if the kernel cannot enforce the policy, nothing runs.
    Linux(LinuxArgs),
}

#[derive(Debug, Args)]
struct LinuxArgs {
    /// The whole policy as JSON, as the exec tool passes it (`{"type":"workspace-write",…}`).
    /// Relative paths in it are resolved against `--cwd`.
    #[arg(
        long,
        value_name = "JSON",
        conflicts_with_all = ["mode", "writable_roots", "network"]
    )]
    sandbox_policy: Option<String>,

    /// The sandbox to run in, when no `--sandbox-policy` is given.
    #[arg(long, value_name = "MODE", default_value = "read-only")]
    mode: Mode,

    /// Another folder the command may write under (workspace-write only); relative paths are
    /// resolved against `--cwd`. May be repeated.
    #[arg(long = "writable-root", value_name = "PATH")]
    writable_roots: Vec<PathBuf>,

    /// Allow network access (workspace-write only; danger-full-access always has it).
    #[arg(long)]
    network: bool,

    /// The folder the command runs in and, under workspace-write, may write to. Defaults to
    /// the current directory.
    #[arg(long, value_name = "DIR")]
    cwd: Option<PathBuf>,

    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Read anything, write nothing, no network.
    ReadOnly,
    /// Read anything, write under the cwd, the writable roots and the temporary folders
    /// (except their `.git` and `.codex`); network only with `--network`.
    WorkspaceWrite,
    /// No sandbox at all.
    DangerFullAccess,
}

pub fn run(command: SandboxCommand) -> anyhow::Result<()> {
    match command.platform {
        SandboxPlatform::Linux(args) => match run_linux(args)? {},
    }
}

fn run_linux(args: LinuxArgs) -> anyhow::Result<Infallible> {
    let current_dir = std::env::current_dir().context("could not read the current directory")?;
    let cwd = match &args.cwd {
        Some(cwd) => AbsolutePathBuf::resolve_path_against_base(cwd, &current_dir),
        None => AbsolutePathBuf::from_absolute_path(&current_dir),
    }
    .context("could not resolve --cwd")?;
    let policy = match &args.sandbox_policy {
        Some(json) => {
            // Relative paths in the policy mean "relative to the command's folder".
            let _guard = AbsolutePathBufGuard::new(cwd.as_path());
            serde_json::from_str(json).context("could not parse --sandbox-policy")?
        }
        None => policy_from_flags(&args, &cwd)?,
    };
    Ok(codex_linux_sandbox::apply_and_exec(
        &policy,
        &cwd,
        &args.command,
    )?)
}

fn policy_from_flags(args: &LinuxArgs, cwd: &AbsolutePathBuf) -> anyhow::Result<SandboxPolicy> {
    if args.mode != Mode::WorkspaceWrite && !args.writable_roots.is_empty() {
        bail!("--writable-root needs --mode workspace-write");
    }
    match args.mode {
        Mode::ReadOnly if args.network => bail!("--network needs --mode workspace-write"),
        Mode::ReadOnly => Ok(SandboxPolicy::ReadOnly { access: None }),
        Mode::DangerFullAccess => Ok(SandboxPolicy::DangerFullAccess),
        Mode::WorkspaceWrite => {
            let writable_roots = args
                .writable_roots
                .iter()
                .map(|root| AbsolutePathBuf::resolve_path_against_base(root, cwd))
                .collect::<Result<Vec<_>, _>>()
                .context("could not resolve --writable-root")?;
            Ok(SandboxPolicy::WorkspaceWrite {
                writable_roots: Some(writable_roots),
                read_only_access: None,
                network_access: args.network,
                exclude_tmpdir_env_var: false,
                exclude_slash_tmp: false,
            })
        }
    }
}
