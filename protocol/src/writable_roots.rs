//! Where a [`SandboxPolicy`] lets commands write, as the policy names it.
//!
//! A `workspace-write` policy names some of its folders by role (the command's folder, `/tmp`,
//! `$TMPDIR`) and some by path. This is the one place that expands a policy into that list, so
//! the sandbox that enforces it and the summary a person reads cannot disagree. Turning a role
//! into a folder needs the command's folder and the value of `$TMPDIR`, which the caller passes
//! in: this crate does no IO and reads no environment.
//!
//! ```
//! use std::ffi::OsStr;
//! use codex_protocol::protocol::SandboxPolicy;
//! use codex_protocol::writable_roots::WritableLocation;
//! use codex_utils_absolute_path::AbsolutePathBuf;
//!
//! # #[cfg(unix)] {
//! let cache = AbsolutePathBuf::from_absolute_path("/cache").unwrap();
//! let policy = SandboxPolicy::WorkspaceWrite {
//!     writable_roots: Some(vec![cache.clone()]),
//!     read_only_access: None,
//!     network_access: false,
//!     exclude_tmpdir_env_var: false,
//!     exclude_slash_tmp: true,
//! };
//! let locations = policy.writable_locations().unwrap();
//! assert_eq!(
//!     locations,
//!     [WritableLocation::Cwd, WritableLocation::TmpdirEnvVar, WritableLocation::Root(cache)],
//! );
//!
//! let cwd = AbsolutePathBuf::from_absolute_path("/work/repo").unwrap();
//! let tmpdir = Some(OsStr::new("/var/tmp/me"));
//! let folders: Vec<AbsolutePathBuf> =
//!     locations.iter().filter_map(|location| location.resolve(&cwd, tmpdir)).collect();
//! let expected: Vec<AbsolutePathBuf> = ["/work/repo", "/var/tmp/me", "/cache"]
//!     .into_iter()
//!     .map(|path| AbsolutePathBuf::from_absolute_path(path).unwrap())
//!     .collect();
//! assert_eq!(folders, expected);
//! # }
//! ```

use std::ffi::OsStr;

use codex_utils_absolute_path::AbsolutePathBuf;

use crate::protocol::SandboxPolicy;

/// One place a policy lets commands write under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WritableLocation {
    /// The folder the command runs in.
    Cwd,
    /// `/tmp`.
    SlashTmp,
    /// The folder that `$TMPDIR` names when the command runs.
    TmpdirEnvVar,
    /// A folder the policy names in `writable_roots`.
    Root(AbsolutePathBuf),
}

impl WritableLocation {
    /// The folder this location is for a command working in `cwd`, where `tmpdir` is the value
    /// of `$TMPDIR`. `None` when `$TMPDIR` is unset, empty or relative, since such a value names
    /// no folder that could be allowed.
    pub fn resolve(
        &self,
        cwd: &AbsolutePathBuf,
        tmpdir: Option<&OsStr>,
    ) -> Option<AbsolutePathBuf> {
        match self {
            WritableLocation::Cwd => Some(cwd.clone()),
            WritableLocation::SlashTmp => AbsolutePathBuf::from_absolute_path("/tmp").ok(),
            WritableLocation::TmpdirEnvVar => {
                tmpdir.and_then(|dir| AbsolutePathBuf::from_absolute_path(dir).ok())
            }
            WritableLocation::Root(root) => Some(root.clone()),
        }
    }
}

impl SandboxPolicy {
    /// Where this policy lets commands write: for `workspace-write` the command's folder, then
    /// `/tmp` and `$TMPDIR` unless excluded, then the configured roots; nowhere for `read-only`.
    /// `None` for the policies that leave writing unrestricted (`danger-full-access`, and
    /// `external-sandbox`, whose outer sandbox decides).
    ///
    /// The list is as the policy says it: a root may repeat another, or not exist.
    pub fn writable_locations(&self) -> Option<Vec<WritableLocation>> {
        match self {
            SandboxPolicy::DangerFullAccess | SandboxPolicy::ExternalSandbox { .. } => None,
            SandboxPolicy::ReadOnly { .. } => Some(Vec::new()),
            SandboxPolicy::WorkspaceWrite {
                writable_roots,
                exclude_tmpdir_env_var,
                exclude_slash_tmp,
                read_only_access: _,
                network_access: _,
            } => {
                let mut locations = vec![WritableLocation::Cwd];
                if !exclude_slash_tmp {
                    locations.push(WritableLocation::SlashTmp);
                }
                if !exclude_tmpdir_env_var {
                    locations.push(WritableLocation::TmpdirEnvVar);
                }
                locations.extend(
                    writable_roots
                        .iter()
                        .flatten()
                        .cloned()
                        .map(WritableLocation::Root),
                );
                Some(locations)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use codex_utils_absolute_path::AbsolutePathBuf;
    use pretty_assertions::assert_eq;

    use super::WritableLocation;
    use crate::protocol::NetworkAccess;
    use crate::protocol::SandboxPolicy;

    fn abs(path: &str) -> AbsolutePathBuf {
        AbsolutePathBuf::from_absolute_path(path).unwrap()
    }

    fn workspace_write(
        roots: Option<Vec<AbsolutePathBuf>>,
        exclude: (bool, bool),
    ) -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            writable_roots: roots,
            read_only_access: None,
            network_access: false,
            exclude_slash_tmp: exclude.0,
            exclude_tmpdir_env_var: exclude.1,
        }
    }

    #[test]
    fn workspace_write_lists_cwd_then_temporary_folders_then_its_roots() {
        use WritableLocation::*;
        let roots = Some(vec![abs("/repo"), abs("/cache")]);
        let check = |exclude: (bool, bool), expected: Vec<WritableLocation>| {
            assert_eq!(
                workspace_write(roots.clone(), exclude).writable_locations(),
                Some(expected),
                "exclude (/tmp, $TMPDIR) = {exclude:?}"
            );
        };
        check(
            (false, false),
            vec![
                Cwd,
                SlashTmp,
                TmpdirEnvVar,
                Root(abs("/repo")),
                Root(abs("/cache")),
            ],
        );
        check(
            (true, false),
            vec![Cwd, TmpdirEnvVar, Root(abs("/repo")), Root(abs("/cache"))],
        );
        check(
            (false, true),
            vec![Cwd, SlashTmp, Root(abs("/repo")), Root(abs("/cache"))],
        );
        check(
            (true, true),
            vec![Cwd, Root(abs("/repo")), Root(abs("/cache"))],
        );
        assert_eq!(
            workspace_write(None, (true, true)).writable_locations(),
            Some(vec![Cwd])
        );
    }

    #[test]
    fn other_policies_write_nowhere_or_are_unrestricted() {
        assert_eq!(
            SandboxPolicy::ReadOnly { access: None }.writable_locations(),
            Some(Vec::new())
        );
        assert_eq!(SandboxPolicy::DangerFullAccess.writable_locations(), None);
        let external = SandboxPolicy::ExternalSandbox {
            network_access: NetworkAccess::Restricted,
        };
        assert_eq!(external.writable_locations(), None);
    }

    #[test]
    fn locations_resolve_against_cwd_and_tmpdir() {
        let cwd = abs("/work/repo");
        let resolve = |location: WritableLocation, tmpdir: Option<&str>| {
            location.resolve(&cwd, tmpdir.map(OsStr::new))
        };
        assert_eq!(resolve(WritableLocation::Cwd, None), Some(cwd.clone()));
        assert_eq!(resolve(WritableLocation::SlashTmp, None), Some(abs("/tmp")));
        assert_eq!(
            resolve(WritableLocation::Root(abs("/cache")), None),
            Some(abs("/cache"))
        );
        assert_eq!(
            resolve(WritableLocation::TmpdirEnvVar, Some("/var/tmp")),
            Some(abs("/var/tmp"))
        );
        for unusable in [None, Some(""), Some("relative/tmp")] {
            assert_eq!(
                resolve(WritableLocation::TmpdirEnvVar, unusable),
                None,
                "{unusable:?}"
            );
        }
    }
}
