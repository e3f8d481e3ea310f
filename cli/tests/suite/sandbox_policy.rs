//! How `codex sandbox linux` picks a policy and names it: `--full-auto` runs in the `auto`
//! approval preset's sandbox, and a policy the sandbox refuses is named in the error.
//!
//! Nothing here needs a folder outside every writable root: what `--full-auto` must deny is
//! checked on the workspace's `.git` and on opening a socket, and what it allows on the workspace
//! and `/tmp`.

use std::fs;
use std::path::Path;

use pretty_assertions::assert_eq;
use tempfile::TempDir;

use super::Run;
use super::codex_in;

/// Runs `codex sandbox linux --full-auto -- COMMAND` in `dir`.
fn full_auto(dir: &Path, command: &[&str]) -> Run {
    let mut args = vec!["sandbox", "linux", "--full-auto", "--"];
    args.extend_from_slice(command);
    codex_in(dir, &args)
}

fn workspace() -> TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap_or_else(|error| panic!("no temp dir: {error}"))
}

#[test]
fn full_auto_writes_the_workspace_and_tmp_but_not_git() {
    let workspace = workspace();
    fs::create_dir(workspace.path().join(".git")).unwrap_or_else(|error| panic!("{error}"));
    let tmp = tempfile::tempdir_in("/tmp").unwrap_or_else(|error| panic!("no /tmp dir: {error}"));
    let in_tmp = tmp.path().join("made");
    let in_tmp = in_tmp
        .to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", in_tmp.display()));

    let run = full_auto(workspace.path(), &["touch", "inside", in_tmp]);
    assert_eq!(run.status, Some(0), "{run}");
    assert!(workspace.path().join("inside").exists(), "{run}");
    assert!(Path::new(in_tmp).exists(), "{run}");

    let run = full_auto(workspace.path(), &["touch", ".git/x"]);
    assert_eq!(run.status, Some(1), "{run}");
    assert!(run.stderr.contains("Read-only file system"), "{run}");
}

#[test]
fn full_auto_has_no_network() {
    let workspace = workspace();
    // The seccomp filter refuses the socket itself, so no listener is needed to see it.
    let run = full_auto(
        workspace.path(),
        &[
            "python3",
            "-c",
            "import socket; socket.socket(socket.AF_INET)",
        ],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert!(run.stderr.contains("Operation not permitted"), "{run}");
}

#[test]
fn full_auto_is_its_own_policy_and_takes_no_other_policy_flags() {
    let workspace = workspace();
    for flags in [
        &["--mode", "read-only"][..],
        &["--network"][..],
        &["--writable-root", "/"][..],
        &["--sandbox-policy", r#"{"type":"read-only"}"#][..],
    ] {
        let mut args = vec!["sandbox", "linux", "--full-auto"];
        args.extend_from_slice(flags);
        args.extend(["--", "true"]);
        let run = codex_in(workspace.path(), &args);
        assert_eq!(run.status, Some(2), "{run}");
        assert!(run.stderr.contains("cannot be used with"), "{run}");
    }
}

#[test]
fn a_refused_policy_is_named_in_the_error() {
    let workspace = workspace();
    let policy = r#"{"type":"workspace-write","read_only_access":{"type":"restricted","readable_roots":["/usr"]},"network_access":true}"#;
    let run = codex_in(
        workspace.path(),
        &["sandbox", "linux", "--sandbox-policy", policy, "--", "true"],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert_eq!(
        run.stderr,
        "error: could not enforce sandbox policy workspace-write [workdir, /tmp, $TMPDIR] \
         (restricted read access: /usr) (network access enabled): the linux sandbox does not \
         support this policy: restricted read access is not implemented; only full read access \
         is\n",
        "{run}"
    );
}
