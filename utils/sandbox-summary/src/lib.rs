//! A sandbox policy in one line for humans, as error messages, status lines and logs show it:
//! the policy's name, then for `workspace-write` the folders it may write, then any restriction
//! on reading and whether the network is reachable.
//!
//! ```
//! use codex_protocol::protocol::SandboxPolicy;
//! use codex_utils_sandbox_summary::summarize_sandbox_policy;
//!
//! let policy = SandboxPolicy::WorkspaceWrite {
//!     writable_roots: None,
//!     read_only_access: None,
//!     network_access: true,
//!     exclude_tmpdir_env_var: false,
//!     exclude_slash_tmp: false,
//! };
//! assert_eq!(
//!     summarize_sandbox_policy(&policy),
//!     "workspace-write [workdir, /tmp, $TMPDIR] (network access enabled)",
//! );
//! assert_eq!(summarize_sandbox_policy(&SandboxPolicy::DangerFullAccess), "danger-full-access");
//! ```

use codex_protocol::protocol::NetworkAccess;
use codex_protocol::protocol::ReadOnlyAccess;
use codex_protocol::protocol::SandboxPolicy;
use codex_protocol::writable_roots::WritableLocation;

/// Summarises `policy`, e.g. `read-only` or `workspace-write [workdir, /tmp, $TMPDIR]`.
pub fn summarize_sandbox_policy(policy: &SandboxPolicy) -> String {
    match policy {
        SandboxPolicy::DangerFullAccess => "danger-full-access".to_string(),
        SandboxPolicy::ReadOnly { access } => {
            let mut summary = "read-only".to_string();
            push_read_access(&mut summary, access.as_ref());
            summary
        }
        SandboxPolicy::ExternalSandbox { network_access } => {
            let mut summary = "external-sandbox".to_string();
            match network_access {
                NetworkAccess::Enabled => summary.push_str(NETWORK_ENABLED),
                NetworkAccess::Restricted => {}
            }
            summary
        }
        SandboxPolicy::WorkspaceWrite {
            read_only_access,
            network_access,
            writable_roots: _,
            exclude_tmpdir_env_var: _,
            exclude_slash_tmp: _,
        } => {
            let writable: Vec<String> = policy
                .writable_locations()
                .into_iter()
                .flatten()
                .map(|location| location_label(&location))
                .collect();
            let mut summary = format!("workspace-write [{}]", writable.join(", "));
            push_read_access(&mut summary, read_only_access.as_ref());
            if *network_access {
                summary.push_str(NETWORK_ENABLED);
            }
            summary
        }
    }
}

/// How a writable location reads in a summary: roles by name, since the summary describes the
/// policy and not one command's folders.
fn location_label(location: &WritableLocation) -> String {
    match location {
        WritableLocation::Cwd => "workdir".to_string(),
        WritableLocation::SlashTmp => "/tmp".to_string(),
        WritableLocation::TmpdirEnvVar => "$TMPDIR".to_string(),
        WritableLocation::Root(root) => root.as_path().to_string_lossy().into_owned(),
    }
}

const NETWORK_ENABLED: &str = " (network access enabled)";

/// Appends ` (restricted read access: a, b)` when reading is limited; full access says nothing.
fn push_read_access(summary: &mut String, access: Option<&ReadOnlyAccess>) {
    let Some(ReadOnlyAccess::Restricted { readable_roots, .. }) = access else {
        return;
    };
    summary.push_str(" (restricted read access");
    let roots: Vec<String> = readable_roots
        .iter()
        .flatten()
        .map(|root| root.as_path().to_string_lossy().into_owned())
        .collect();
    if !roots.is_empty() {
        summary.push_str(": ");
        summary.push_str(&roots.join(", "));
    }
    summary.push(')');
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_utils_absolute_path::AbsolutePathBuf;
    use pretty_assertions::assert_eq;

    fn root(path: &str) -> AbsolutePathBuf {
        AbsolutePathBuf::from_absolute_path(path).unwrap()
    }

    fn workspace_write(roots: &[&str], network: bool, exclude_tmp: bool) -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            writable_roots: Some(roots.iter().map(|r| root(r)).collect()),
            read_only_access: None,
            network_access: network,
            exclude_tmpdir_env_var: exclude_tmp,
            exclude_slash_tmp: exclude_tmp,
        }
    }

    fn check(policy: SandboxPolicy, expected: &str) {
        assert_eq!(summarize_sandbox_policy(&policy), expected);
    }

    #[test]
    fn simple_policies() {
        check(SandboxPolicy::DangerFullAccess, "danger-full-access");
        check(SandboxPolicy::ReadOnly { access: None }, "read-only");
        check(
            SandboxPolicy::ReadOnly {
                access: Some(ReadOnlyAccess::FullAccess),
            },
            "read-only",
        );
        check(
            SandboxPolicy::ExternalSandbox {
                network_access: NetworkAccess::Restricted,
            },
            "external-sandbox",
        );
        check(
            SandboxPolicy::ExternalSandbox {
                network_access: NetworkAccess::Enabled,
            },
            "external-sandbox (network access enabled)",
        );
    }

    #[test]
    fn workspace_write_lists_writable_folders() {
        check(
            workspace_write(&[], false, false),
            "workspace-write [workdir, /tmp, $TMPDIR]",
        );
        check(
            workspace_write(&["/repo", "/cache"], true, true),
            "workspace-write [workdir, /repo, /cache] (network access enabled)",
        );
        // Configured roots follow the temporary folders, as the sandbox lists them.
        check(
            workspace_write(&["/repo"], false, false),
            "workspace-write [workdir, /tmp, $TMPDIR, /repo]",
        );
    }

    #[test]
    fn restricted_reading_is_shown() {
        let restricted = |roots: Option<Vec<AbsolutePathBuf>>| ReadOnlyAccess::Restricted {
            include_platform_defaults: true,
            readable_roots: roots,
        };
        check(
            SandboxPolicy::ReadOnly {
                access: Some(restricted(Some(vec![root("/read")]))),
            },
            "read-only (restricted read access: /read)",
        );
        check(
            SandboxPolicy::WorkspaceWrite {
                writable_roots: None,
                read_only_access: Some(restricted(None)),
                network_access: true,
                exclude_tmpdir_env_var: true,
                exclude_slash_tmp: true,
            },
            "workspace-write [workdir] (restricted read access) (network access enabled)",
        );
    }
}
