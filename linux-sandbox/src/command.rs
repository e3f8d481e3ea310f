//! The command line of the helper that runs a command in the sandbox.

use std::ffi::OsString;
use std::path::Path;

use codex_protocol::protocol::SandboxPolicy;
use codex_utils_absolute_path::AbsolutePathBuf;

use crate::SandboxError;

/// The argv that runs `argv` in `cwd` under `policy`:
/// `CODEX_EXE sandbox linux --sandbox-policy JSON --cwd CWD -- ARGV…`.
///
/// The policy travels as JSON, with every path absolute, so the helper needs no config. `argv`
/// goes after `--`, so a command that looks like a flag is still the command.
pub fn command_for(
    policy: &SandboxPolicy,
    cwd: &AbsolutePathBuf,
    argv: &[OsString],
    codex_exe: &Path,
) -> Result<Vec<OsString>, SandboxError> {
    if argv.is_empty() {
        return Err(SandboxError::NoCommand);
    }
    let policy = serde_json::to_string(policy).map_err(SandboxError::EncodePolicy)?;
    let mut command: Vec<OsString> = vec![
        codex_exe.into(),
        "sandbox".into(),
        "linux".into(),
        "--sandbox-policy".into(),
        policy.into(),
        "--cwd".into(),
        cwd.as_path().into(),
        "--".into(),
    ];
    command.extend(argv.iter().cloned());
    Ok(command)
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;
    use std::path::Path;

    use codex_protocol::protocol::SandboxPolicy;
    use codex_utils_absolute_path::AbsolutePathBuf;
    use pretty_assertions::assert_eq;

    use super::command_for;
    use crate::SandboxError;

    fn os(items: &[&str]) -> Vec<OsString> {
        items.iter().map(OsString::from).collect()
    }

    #[test]
    fn policy_travels_as_json_and_the_command_follows_the_separator() {
        let cwd = AbsolutePathBuf::from_absolute_path("/w").unwrap();
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: Some(vec![AbsolutePathBuf::from_absolute_path("/extra").unwrap()]),
            read_only_access: None,
            network_access: true,
            exclude_tmpdir_env_var: false,
            exclude_slash_tmp: true,
        };
        let argv =
            command_for(&policy, &cwd, &os(&["--version", "x"]), Path::new("codex")).unwrap();
        assert_eq!(
            argv,
            os(&[
                "codex",
                "sandbox",
                "linux",
                "--sandbox-policy",
                r#"{"type":"workspace-write","writable_roots":["/extra"],"network_access":true,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":true}"#,
                "--cwd",
                "/w",
                "--",
                "--version",
                "x",
            ])
        );
        // The helper reads back exactly the policy it was given.
        let decoded: SandboxPolicy = serde_json::from_str(argv[4].to_str().unwrap()).unwrap();
        assert_eq!(decoded, policy);
    }

    #[test]
    fn an_empty_command_is_refused() {
        let cwd = AbsolutePathBuf::from_absolute_path("/w").unwrap();
        let error = command_for(
            &SandboxPolicy::DangerFullAccess,
            &cwd,
            &[],
            Path::new("codex"),
        );
        assert!(matches!(error, Err(SandboxError::NoCommand)), "{error:?}");
    }
}
