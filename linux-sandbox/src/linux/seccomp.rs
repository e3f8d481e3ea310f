//! No network, with a seccomp filter: sockets other than `AF_UNIX` cannot be created.
//!
//! Local `AF_UNIX` sockets stay, because many tools (build servers, `ssh-agent`, language
//! servers) talk over them without reaching the network. `io_uring` is refused too, since it can
//! create sockets without the `socket` system call.

use std::collections::BTreeMap;

use nix::libc;
use seccompiler::BpfProgram;
use seccompiler::SeccompAction;
use seccompiler::SeccompCmpArgLen;
use seccompiler::SeccompCmpOp;
use seccompiler::SeccompCondition;
use seccompiler::SeccompFilter;
use seccompiler::SeccompRule;
use seccompiler::TargetArch;

use crate::SandboxError;

/// Installs the filter on this process; `exec` keeps it. A refused call fails with `EPERM`,
/// which programs report as "operation not permitted" instead of crashing.
pub(super) fn deny_network() -> Result<(), SandboxError> {
    let program = network_filter()?;
    // `apply_filter` sets `no_new_privs` first, as an unprivileged seccomp filter requires.
    seccompiler::apply_filter(&program).map_err(|error| unenforceable(&error))
}

pub(super) fn network_filter() -> Result<BpfProgram, SandboxError> {
    let arch =
        TargetArch::try_from(std::env::consts::ARCH).map_err(|error| unenforceable(&error))?;
    let filter = SeccompFilter::new(
        network_rules()?,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM.unsigned_abs()),
        arch,
    )
    .map_err(|error| unenforceable(&error))?;
    filter.try_into().map_err(|error| unenforceable(&error))
}

/// The calls refused, each with the conditions under which it is (none: always).
fn network_rules() -> Result<BTreeMap<i64, Vec<SeccompRule>>, SandboxError> {
    let not_unix = || -> Result<SeccompRule, SandboxError> {
        let domain_is_not_unix = SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Ne,
            libc::AF_UNIX.unsigned_abs().into(),
        )
        .map_err(|error| unenforceable(&error))?;
        SeccompRule::new(vec![domain_is_not_unix]).map_err(|error| unenforceable(&error))
    };
    Ok(BTreeMap::from([
        (libc::SYS_socket, vec![not_unix()?]),
        (libc::SYS_socketpair, vec![not_unix()?]),
        (libc::SYS_io_uring_setup, Vec::new()),
        (libc::SYS_io_uring_enter, Vec::new()),
        (libc::SYS_io_uring_register, Vec::new()),
    ]))
}

fn unenforceable(error: &dyn std::fmt::Display) -> SandboxError {
    SandboxError::Unenforceable(format!("seccomp: {error}"))
}

#[cfg(test)]
mod tests {
    use super::network_filter;

    #[test]
    fn the_network_filter_compiles_for_this_architecture() {
        let program = network_filter().unwrap();
        assert!(!program.is_empty());
    }
}
