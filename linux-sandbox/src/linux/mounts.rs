//! Read-only subpaths inside writable roots, as read-only bind mounts.
//!
//! Landlock rules only ever add access, so `.git` under a writable root cannot be carved out
//! with them. Instead this process enters a new user namespace (which any user may create) and
//! a mount namespace owned by it, and bind-mounts each subpath onto itself read-only. Writes
//! there then fail with `EROFS`. The mounts are private to the command; Landlock, applied
//! next, forbids the command from unmounting them.

use std::fs;
use std::io;
use std::path::Path;

use codex_utils_absolute_path::AbsolutePathBuf;
use nix::mount::MsFlags;
use nix::mount::mount;
use nix::sched::CloneFlags;
use nix::sched::unshare;
use nix::sys::statvfs::FsFlags;
use nix::sys::statvfs::statvfs;
use nix::unistd::getgid;
use nix::unistd::getuid;

use crate::SandboxError;

pub(super) fn bind_read_only(paths: &[&AbsolutePathBuf]) -> Result<(), SandboxError> {
    // Read before unsharing: inside the new namespace they are unmapped until the maps exist.
    let uid = getuid();
    let gid = getgid();
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS)
        .map_err(|errno| unenforceable("could not create a user and mount namespace", errno))?;
    // Map only ourselves: that is all an unprivileged process may map, and it keeps the
    // command's own files owned by it. `setgroups` must be denied before the gid map is written.
    write_proc("/proc/self/setgroups", "deny")?;
    write_proc("/proc/self/uid_map", &format!("{uid} {uid} 1\n"))?;
    write_proc("/proc/self/gid_map", &format!("{gid} {gid} 1\n"))?;
    // Keep the mounts below from propagating back to the parent namespace.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|errno| unenforceable("could not make the mounts private", errno))?;
    for path in paths {
        bind_one_read_only(path.as_path())?;
    }
    Ok(())
}

fn bind_one_read_only(path: &Path) -> Result<(), SandboxError> {
    let what = || format!("could not bind {} read-only", path.display());
    mount(
        Some(path),
        path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|errno| unenforceable(&what(), errno))?;
    // A remount in a user namespace must keep the flags the parent namespace locked
    // (`nosuid`, `nodev`, …), or the kernel refuses it.
    let locked = statvfs(path)
        .map(|stats| locked_flags(stats.flags()))
        .map_err(|errno| unenforceable(&what(), errno))?;
    mount(
        None::<&str>,
        path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | locked,
        None::<&str>,
    )
    .map_err(|errno| unenforceable(&what(), errno))
}

fn locked_flags(flags: FsFlags) -> MsFlags {
    [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ]
    .into_iter()
    .filter(|(statvfs_flag, _)| flags.contains(*statvfs_flag))
    .fold(MsFlags::empty(), |all, (_, mount_flag)| all | mount_flag)
}

fn write_proc(path: &str, contents: &str) -> Result<(), SandboxError> {
    fs::write(path, contents).map_err(|error| {
        SandboxError::Unenforceable(format!("user namespaces: could not write {path}: {error}"))
    })
}

fn unenforceable(what: &str, errno: impl Into<io::Error>) -> SandboxError {
    SandboxError::Unenforceable(format!("user namespaces: {what}: {}", errno.into()))
}
