//! Runs a command under a [`SandboxPolicy`] on Linux, with Landlock and seccomp.
//!
//! The workspace forbids `unsafe`, so the sandbox cannot be set up between `fork` and `exec` of
//! a child. Instead a helper process (`codex sandbox linux …`) restricts itself and then
//! replaces itself with the command: [`command_for`] builds that helper's argv for whoever spawns
//! commands, and [`apply_and_exec`] is what the helper runs.
//!
//! What a policy becomes ([`Restrictions`], from [`restrictions`]):
//! - `danger-full-access`: nothing; the command runs as it would without a sandbox.
//! - `read-only`: Landlock allows reading everything and writing only to a few devices
//!   (`/dev/null`, …); seccomp refuses sockets other than `AF_UNIX`.
//! - `workspace-write`: as `read-only`, plus writing under the writable roots (the cwd, `/tmp`
//!   and `$TMPDIR` unless excluded, the configured roots: `SandboxPolicy::writable_locations`,
//!   the list the policy summary shows too). Their `.git` and `.codex` stay
//!   read-only: Landlock rules only ever add access, so those are bind-mounted read-only in a
//!   private user and mount namespace. With `network_access` the seccomp filter is left out.
//! - `external-sandbox`: the file system is left to the outer sandbox; the network is cut as
//!   the policy says.
//!
//! When the kernel cannot enforce all of it, the helper refuses with
//! [`SandboxError::Unenforceable`] and the command does not run.
//!
//! ```
//! use std::ffi::OsString;
//! use codex_linux_sandbox::command_for;
//! use codex_protocol::protocol::SandboxPolicy;
//! use codex_utils_absolute_path::AbsolutePathBuf;
//!
//! # #[cfg(unix)] {
//! let cwd = AbsolutePathBuf::from_absolute_path("/work/repo").unwrap();
//! let argv = command_for(
//!     &SandboxPolicy::ReadOnly { access: None },
//!     &cwd,
//!     &[OsString::from("ls")],
//!     "/usr/bin/codex".as_ref(),
//! )
//! .unwrap();
//! let expected: Vec<OsString> = [
//!     "/usr/bin/codex", "sandbox", "linux",
//!     "--sandbox-policy", r#"{"type":"read-only"}"#,
//!     "--cwd", "/work/repo",
//!     "--", "ls",
//! ]
//! .into_iter()
//! .map(OsString::from)
//! .collect();
//! assert_eq!(argv, expected);
//! # }
//! ```

mod command;
mod error;
#[cfg(target_os = "linux")]
mod linux;
mod policy;

use std::convert::Infallible;
use std::ffi::OsString;

use codex_protocol::protocol::SandboxPolicy;
use codex_utils_absolute_path::AbsolutePathBuf;

pub use crate::command::command_for;
pub use crate::error::SandboxError;
pub use crate::policy::Restrictions;
pub use crate::policy::WritableRoot;
pub use crate::policy::restrictions;

/// Restricts this process as `policy` says for a command working in `cwd`, then replaces the
/// process with `argv` (run in `cwd`).
///
/// Returns only on failure, and never runs the command without the restrictions: if any part
/// cannot be enforced the error says so and nothing runs. The process is changed for good
/// (Landlock, seccomp and namespaces cannot be undone), so call it only from a process that
/// exists to run the command, such as `codex sandbox linux`. Must be called while the process
/// has a single thread, because entering a user namespace requires it.
pub fn apply_and_exec(
    policy: &SandboxPolicy,
    cwd: &AbsolutePathBuf,
    argv: &[OsString],
) -> Result<Infallible, SandboxError> {
    let tmpdir = std::env::var_os("TMPDIR");
    let restrictions = restrictions(policy, cwd, tmpdir.as_deref())?;
    platform_apply_and_exec(&restrictions, cwd, argv)
}

#[cfg(target_os = "linux")]
fn platform_apply_and_exec(
    restrictions: &Restrictions,
    cwd: &AbsolutePathBuf,
    argv: &[OsString],
) -> Result<Infallible, SandboxError> {
    linux::apply_and_exec(restrictions, cwd, argv)
}

#[cfg(not(target_os = "linux"))]
fn platform_apply_and_exec(
    _restrictions: &Restrictions,
    _cwd: &AbsolutePathBuf,
    _argv: &[OsString],
) -> Result<Infallible, SandboxError> {
    Err(SandboxError::Unenforceable(
        "landlock and seccomp exist only on linux".to_owned(),
    ))
}
