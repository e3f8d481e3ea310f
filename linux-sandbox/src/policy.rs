//! What a [`SandboxPolicy`] allows, worked out without touching the kernel.

use std::ffi::OsStr;
use std::path::Path;

use codex_protocol::protocol::NetworkAccess;
use codex_protocol::protocol::ReadOnlyAccess;
use codex_protocol::protocol::SandboxPolicy;
use codex_utils_absolute_path::AbsolutePathBuf;

use crate::SandboxError;

/// Entries of a writable root that stay read-only: a command may edit the work tree but not
/// rewrite the repository's history or hooks, nor Codex's own project config.
const READ_ONLY_ENTRIES: [&str; 2] = [".git", ".codex"];

/// A folder the command may write under, except for its read-only subpaths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritableRoot {
    pub root: AbsolutePathBuf,
    /// Existing entries under `root` that the command may read but not change.
    pub read_only_subpaths: Vec<AbsolutePathBuf>,
}

/// The restrictions a policy asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restrictions {
    /// `None` leaves the file system alone; `Some` allows reading everything and writing only
    /// under these roots (and to harmless devices such as `/dev/null`).
    pub writable_roots: Option<Vec<WritableRoot>>,
    /// Whether the command may open network sockets (anything but `AF_UNIX`).
    pub network: bool,
}

/// Works out what `policy` allows for a command whose workspace is `cwd`; `tmpdir` is the
/// value of `$TMPDIR`, a writable root unless the policy excludes it.
///
/// Writable roots that do not exist are left out, since there is nothing under them to allow.
/// Fails for policies that restrict reading, which this sandbox does not implement yet:
/// running such a command would let it read more than the policy allows.
pub fn restrictions(
    policy: &SandboxPolicy,
    cwd: &AbsolutePathBuf,
    tmpdir: Option<&OsStr>,
) -> Result<Restrictions, SandboxError> {
    let network = match policy {
        SandboxPolicy::DangerFullAccess => true,
        SandboxPolicy::ExternalSandbox { network_access } => match network_access {
            NetworkAccess::Restricted => false,
            NetworkAccess::Enabled => true,
        },
        SandboxPolicy::ReadOnly { access } => {
            check_full_read(access.as_ref())?;
            false
        }
        SandboxPolicy::WorkspaceWrite {
            read_only_access,
            network_access,
            writable_roots: _,
            exclude_tmpdir_env_var: _,
            exclude_slash_tmp: _,
        } => {
            check_full_read(read_only_access.as_ref())?;
            *network_access
        }
    };
    let writable_roots = policy.writable_locations().map(|locations| {
        let mut unique: Vec<AbsolutePathBuf> = Vec::new();
        for root in locations
            .iter()
            .filter_map(|location| location.resolve(cwd, tmpdir))
        {
            if root.as_path().exists() && !unique.contains(&root) {
                unique.push(root);
            }
        }
        unique.into_iter().map(writable_root).collect()
    });
    Ok(Restrictions {
        writable_roots,
        network,
    })
}

fn check_full_read(access: Option<&ReadOnlyAccess>) -> Result<(), SandboxError> {
    match access {
        None | Some(ReadOnlyAccess::FullAccess) => Ok(()),
        Some(ReadOnlyAccess::Restricted { .. }) => Err(SandboxError::UnsupportedPolicy(
            "restricted read access is not implemented; only full read access is".to_owned(),
        )),
    }
}

fn writable_root(root: AbsolutePathBuf) -> WritableRoot {
    let read_only_subpaths = READ_ONLY_ENTRIES
        .iter()
        .filter_map(|entry| root.join(entry).ok())
        .filter(|path| exists_without_following(path.as_path()))
        .collect();
    WritableRoot {
        root,
        read_only_subpaths,
    }
}

/// Whether `path` exists, counting a symlink as existing even when it dangles, since a command
/// could otherwise create its target.
fn exists_without_following(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;
    use std::fs;

    use codex_protocol::protocol::NetworkAccess;
    use codex_protocol::protocol::ReadOnlyAccess;
    use codex_protocol::protocol::SandboxPolicy;
    use codex_utils_absolute_path::AbsolutePathBuf;
    use pretty_assertions::assert_eq;

    use super::Restrictions;
    use super::WritableRoot;
    use super::restrictions;
    use crate::SandboxError;

    fn abs(path: &std::path::Path) -> AbsolutePathBuf {
        AbsolutePathBuf::from_absolute_path(path).unwrap()
    }

    fn workspace_write(roots: Vec<AbsolutePathBuf>, network: bool) -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            writable_roots: Some(roots),
            read_only_access: None,
            network_access: network,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        }
    }

    #[test]
    fn full_access_and_external_sandboxes_leave_the_file_system_alone() {
        let cwd = abs(std::path::Path::new("/"));
        assert_eq!(
            restrictions(&SandboxPolicy::DangerFullAccess, &cwd, None).unwrap(),
            Restrictions {
                writable_roots: None,
                network: true
            }
        );
        let external = SandboxPolicy::ExternalSandbox {
            network_access: NetworkAccess::Restricted,
        };
        assert_eq!(
            restrictions(&external, &cwd, None).unwrap(),
            Restrictions {
                writable_roots: None,
                network: false
            }
        );
    }

    #[test]
    fn read_only_writes_nowhere_and_has_no_network() {
        let cwd = abs(std::path::Path::new("/"));
        assert_eq!(
            restrictions(&SandboxPolicy::ReadOnly { access: None }, &cwd, None).unwrap(),
            Restrictions {
                writable_roots: Some(Vec::new()),
                network: false
            }
        );
    }

    #[test]
    fn workspace_write_allows_cwd_and_existing_roots_but_not_their_git_and_codex() {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path().join("repo");
        fs::create_dir_all(cwd.join(".git")).unwrap();
        fs::create_dir_all(cwd.join(".codex")).unwrap();
        let extra = dir.path().join("extra");
        fs::create_dir(&extra).unwrap();
        // A worktree's `.git` is a file; it is protected all the same.
        fs::write(extra.join(".git"), "gitdir: /elsewhere\n").unwrap();
        let missing = dir.path().join("missing");

        let policy = workspace_write(vec![abs(&extra), abs(&missing), abs(&cwd)], true);
        assert_eq!(
            restrictions(&policy, &abs(&cwd), None).unwrap(),
            Restrictions {
                writable_roots: Some(vec![
                    WritableRoot {
                        root: abs(&cwd),
                        read_only_subpaths: vec![abs(&cwd.join(".git")), abs(&cwd.join(".codex"))],
                    },
                    WritableRoot {
                        root: abs(&extra),
                        read_only_subpaths: vec![abs(&extra.join(".git"))],
                    },
                ]),
                network: true,
            }
        );
    }

    #[test]
    fn temporary_folders_are_writable_unless_excluded() {
        let dir = tempfile::tempdir().unwrap();
        let tmpdir = dir.path().join("tmp");
        fs::create_dir(&tmpdir).unwrap();
        let cwd = abs(dir.path());
        let roots = |exclude: bool, tmpdir_value: Option<&OsStr>| {
            let policy = SandboxPolicy::WorkspaceWrite {
                writable_roots: None,
                read_only_access: Some(ReadOnlyAccess::FullAccess),
                network_access: false,
                exclude_tmpdir_env_var: exclude,
                exclude_slash_tmp: exclude,
            };
            restrictions(&policy, &cwd, tmpdir_value)
                .unwrap()
                .writable_roots
                .unwrap()
                .into_iter()
                .map(|root| root.root)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            roots(false, Some(tmpdir.as_os_str())),
            vec![cwd.clone(), abs("/tmp".as_ref()), abs(&tmpdir)]
        );
        assert_eq!(
            roots(false, Some(OsStr::new("relative"))),
            vec![cwd.clone(), abs("/tmp".as_ref())]
        );
        assert_eq!(roots(true, Some(tmpdir.as_os_str())), vec![cwd.clone()]);
    }

    #[test]
    fn a_folder_named_twice_is_one_root_after_the_temporary_folders() {
        let dir = tempfile::tempdir().unwrap();
        let tmpdir = dir.path().join("tmp");
        let extra = dir.path().join("extra");
        fs::create_dir(&tmpdir).unwrap();
        fs::create_dir(&extra).unwrap();
        let cwd = abs(dir.path());
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: Some(vec![abs(&extra), abs(&tmpdir), cwd.clone()]),
            read_only_access: None,
            network_access: false,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: false,
        };
        let roots: Vec<AbsolutePathBuf> = restrictions(&policy, &cwd, Some(tmpdir.as_os_str()))
            .unwrap()
            .writable_roots
            .unwrap()
            .into_iter()
            .map(|root| root.root)
            .collect();
        assert_eq!(
            roots,
            vec![cwd.clone(), abs("/tmp".as_ref()), abs(&tmpdir), abs(&extra)]
        );
    }

    #[test]
    fn restricted_reading_is_refused_rather_than_ignored() {
        let cwd = abs(std::path::Path::new("/"));
        let policy = SandboxPolicy::ReadOnly {
            access: Some(ReadOnlyAccess::Restricted {
                include_platform_defaults: true,
                readable_roots: None,
            }),
        };
        let result = restrictions(&policy, &cwd, None);
        assert!(
            matches!(result, Err(SandboxError::UnsupportedPolicy(_))),
            "{result:?}"
        );
    }
}
