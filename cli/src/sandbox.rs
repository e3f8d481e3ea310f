//! `codex sandbox linux -- CMD`: runs one command under a sandbox policy, the way the agent's
//! tools run theirs, so a person can see what the sandbox allows. When the sandbox refuses, the
//! error names the policy in the one-line form of `codex-utils-sandbox-summary`.

use std::convert::Infallible;
use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context;
use anyhow::bail;
use clap::Args;
use clap::Subcommand;
use clap::ValueEnum;
use codex_linux_sandbox::SandboxError;
use codex_protocol::protocol::SandboxPolicy;
use codex_utils_absolute_path::AbsolutePathBuf;
use codex_utils_absolute_path::AbsolutePathBufGuard;
use codex_utils_approval_presets::find_preset;
use codex_utils_sandbox_summary::summarize_sandbox_policy;

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

    /// Run in the sandbox of the `auto` approval preset, the agent's default mode: write under
    /// the cwd, `/tmp` and `$TMPDIR` (not their `.git` and `.codex`), no network.
    #[arg(
        long,
        conflicts_with_all = ["sandbox_policy", "mode", "writable_roots", "network"]
    )]
    full_auto: bool,

    /// The sandbox to run in, when neither `--sandbox-policy` nor `--full-auto` is given.
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
    codex_linux_sandbox::apply_and_exec(&policy, &cwd, &args.command)
        .map_err(|error| naming_the_policy(error, &policy))
}

/// Adds the policy to a refusal, so a person sees which policy could not be had; a command that
/// could not start keeps its own message, which is about the command.
fn naming_the_policy(error: SandboxError, policy: &SandboxPolicy) -> anyhow::Error {
    match error {
        SandboxError::UnsupportedPolicy(_) | SandboxError::Unenforceable(_) => {
            let summary = summarize_sandbox_policy(policy);
            anyhow::Error::new(error).context(format!("could not enforce sandbox policy {summary}"))
        }
        SandboxError::NoCommand | SandboxError::EncodePolicy(_) | SandboxError::Exec { .. } => {
            error.into()
        }
    }
}

fn policy_from_flags(args: &LinuxArgs, cwd: &AbsolutePathBuf) -> anyhow::Result<SandboxPolicy> {
    if args.full_auto {
        let preset = find_preset("auto").context("the auto approval preset is missing")?;
        return Ok(preset.sandbox);
    }
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
