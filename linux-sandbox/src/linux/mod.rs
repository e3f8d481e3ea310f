//! Applying [`Restrictions`] to this process, then becoming the command.
//!
//! The order matters: the mounts need the capabilities a new user namespace grants and come
//! before Landlock (which forbids changing mounts), and seccomp comes last so that setting up
//! the rest never needs a socket.

mod landlock;
mod mounts;
mod seccomp;

use std::convert::Infallible;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

use codex_utils_absolute_path::AbsolutePathBuf;

use crate::Restrictions;
use crate::SandboxError;

pub(crate) fn apply_and_exec(
    restrictions: &Restrictions,
    cwd: &AbsolutePathBuf,
    argv: &[OsString],
) -> Result<Infallible, SandboxError> {
    let Some((program, args)) = argv.split_first() else {
        return Err(SandboxError::NoCommand);
    };
    if let Some(roots) = &restrictions.writable_roots {
        let read_only: Vec<&AbsolutePathBuf> = roots
            .iter()
            .flat_map(|root| &root.read_only_subpaths)
            .collect();
        // A user namespace changes how the command sees file owners, so enter one only when
        // there is something to protect.
        if !read_only.is_empty() {
            mounts::bind_read_only(&read_only)?;
        }
        landlock::restrict_writes(roots)?;
    }
    if !restrictions.network {
        seccomp::deny_network()?;
    }
    let source = Command::new(program).args(args).current_dir(cwd).exec();
    Err(SandboxError::Exec {
        program: program.to_string_lossy().into_owned(),
        source,
    })
}
