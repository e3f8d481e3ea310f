//! `codex sandbox linux`: the real binary, restricting real commands on this kernel.
//!
//! These machines and CI have Landlock (ABI 3 or later) and user namespaces, so every test
//! asserts that the sandbox is enforced; none is skipped for want of kernel support.
//! Workspaces and "outside" folders are made outside every root that workspace-write allows
//! (`/tmp` and `$TMPDIR`), or writing there would succeed whatever the sandbox does.

use std::env;
use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::path::PathBuf;
use std::sync::OnceLock;

use pretty_assertions::assert_eq;
use tempfile::TempDir;

use super::Run;
use super::codex_in;

/// Runs `codex sandbox linux ARGS` in `dir`. The environment is empty, so commands are found
/// on the C library's default `PATH` (`/bin:/usr/bin`).
fn sandbox(dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["sandbox", "linux"];
    all.extend_from_slice(args);
    codex_in(dir, &all)
}

/// Runs `COMMAND` under `codex sandbox linux --mode MODE -- COMMAND` in `dir`.
fn in_mode(dir: &Path, mode: &str, command: &[&str]) -> Run {
    let mut args = vec!["--mode", mode, "--"];
    args.extend_from_slice(command);
    sandbox(dir, &args)
}

/// A fresh folder outside every root that workspace-write allows (see the module docs).
fn folder() -> TempDir {
    let parent = outside_writable_roots();
    tempfile::tempdir_in(parent)
        .unwrap_or_else(|error| panic!("no temp dir in {}: {error}", parent.display()))
}

/// The first of Cargo's temp folder for this test and `/var/tmp` that lies under neither
/// `/tmp` nor `$TMPDIR` (a target dir may well be under `/tmp`).
fn outside_writable_roots() -> &'static Path {
    static PARENT: OnceLock<PathBuf> = OnceLock::new();
    PARENT.get_or_init(|| {
        let writable: Vec<PathBuf> = [
            Some(PathBuf::from("/tmp")),
            env::var_os("TMPDIR").map(PathBuf::from),
        ]
        .into_iter()
        .flatten()
        .map(|root| fs::canonicalize(&root).unwrap_or(root))
        .collect();
        let candidates = [
            Path::new(env!("CARGO_TARGET_TMPDIR")),
            Path::new("/var/tmp"),
        ];
        candidates
            .iter()
            .filter_map(|candidate| fs::canonicalize(candidate).ok())
            .find(|candidate| !writable.iter().any(|root| candidate.starts_with(root)))
            .unwrap_or_else(|| {
                panic!(
                    "the sandbox tests need a folder outside the roots workspace-write allows \
                     ({writable:?}), and none of {candidates:?} is; build with a CARGO_TARGET_DIR \
                     outside them or make /var/tmp"
                )
            })
    })
}

fn path(path: &Path) -> &str {
    path.to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", path.display()))
}

#[test]
fn workspace_write_allows_the_workspace_and_denies_elsewhere() {
    let workspace = folder();
    let outside = folder();
    let inside_file = workspace.path().join("inside");
    let outside_file = outside.path().join("outside");

    let run = in_mode(workspace.path(), "workspace-write", &["touch", "inside"]);
    assert_eq!(run.status, Some(0), "{run}");
    assert!(inside_file.exists(), "{run}");

    let run = in_mode(
        workspace.path(),
        "workspace-write",
        &["touch", path(&outside_file)],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert!(run.stderr.contains("Permission denied"), "{run}");
    assert!(!outside_file.exists(), "{run}");
}

#[test]
fn extra_writable_roots_are_writable() {
    let workspace = folder();
    let extra = folder();
    let target = extra.path().join("made");
    let run = sandbox(
        workspace.path(),
        &[
            "--mode",
            "workspace-write",
            "--writable-root",
            path(extra.path()),
            "--",
            "touch",
            path(&target),
        ],
    );
    assert_eq!(run.status, Some(0), "{run}");
    assert!(target.exists(), "{run}");
}

#[test]
fn git_and_codex_inside_the_workspace_stay_read_only() {
    let workspace = folder();
    fs::create_dir(workspace.path().join(".git")).unwrap_or_else(|error| panic!("{error}"));
    fs::create_dir(workspace.path().join(".codex")).unwrap_or_else(|error| panic!("{error}"));
    fs::write(workspace.path().join(".git/HEAD"), "ref: refs/heads/main\n")
        .unwrap_or_else(|error| panic!("{error}"));

    for target in [".git/x", ".codex/config.toml"] {
        let run = in_mode(workspace.path(), "workspace-write", &["touch", target]);
        assert_eq!(run.status, Some(1), "{run}");
        assert!(run.stderr.contains("Read-only file system"), "{run}");
        assert!(!workspace.path().join(target).exists(), "{run}");
    }

    // Reading them still works, and the rest of the workspace stays writable.
    let run = in_mode(
        workspace.path(),
        "workspace-write",
        &["sh", "-c", "cat .git/HEAD && echo edited > file"],
    );
    assert_eq!(run.status, Some(0), "{run}");
    assert_eq!(run.stdout, "ref: refs/heads/main\n", "{run}");
    assert!(workspace.path().join("file").exists(), "{run}");
}

#[test]
fn read_only_reads_everything_and_writes_nothing() {
    let workspace = folder();
    fs::write(workspace.path().join("notes"), "hello\n").unwrap_or_else(|error| panic!("{error}"));

    let run = in_mode(workspace.path(), "read-only", &["cat", "notes"]);
    assert_eq!(run.status, Some(0), "{run}");
    assert_eq!(run.stdout, "hello\n", "{run}");

    for target in ["inside", "/tmp/codex-sandbox-read-only-probe"] {
        let run = sandbox(workspace.path(), &["--", "touch", target]);
        assert_eq!(run.status, Some(1), "{run}");
        assert!(run.stderr.contains("Permission denied"), "{run}");
        assert!(!Path::new(target).exists() && !workspace.path().join(target).exists());
    }

    // Writing to /dev/null is no write at all, and many scripts do it.
    let run = sandbox(
        workspace.path(),
        &["--", "sh", "-c", "echo gone > /dev/null"],
    );
    assert_eq!(run.status, Some(0), "{run}");
}

/// A shell command that connects to `port` on the loopback interface.
fn connect_to(port: u16) -> String {
    format!("echo hi > /dev/tcp/127.0.0.1/{port}")
}

#[test]
fn network_is_off_under_workspace_write_unless_allowed() {
    let workspace = folder();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|error| panic!("{error}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("{error}"))
        .port();
    let script = connect_to(port);

    let run = in_mode(
        workspace.path(),
        "workspace-write",
        &["bash", "-c", &script],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert!(run.stderr.contains("Operation not permitted"), "{run}");

    for flags in [
        &["--mode", "workspace-write", "--network"][..],
        &["--mode", "danger-full-access"][..],
    ] {
        let mut args = flags.to_vec();
        args.extend(["--", "bash", "-c", &script]);
        let run = sandbox(workspace.path(), &args);
        assert_eq!(run.status, Some(0), "{run}");
    }
}

#[test]
fn local_unix_sockets_still_work_without_network() {
    let workspace = folder();
    let run = in_mode(
        workspace.path(),
        "workspace-write",
        &[
            "python3",
            "-c",
            "import socket; a, b = socket.socketpair(); a.send(b'ok'); print(b.recv(2).decode())",
        ],
    );
    assert_eq!(run.status, Some(0), "{run}");
    assert_eq!(run.stdout, "ok\n", "{run}");
}

#[test]
fn danger_full_access_writes_anywhere() {
    let workspace = folder();
    let outside = folder();
    let target = outside.path().join("anywhere");
    let run = in_mode(
        workspace.path(),
        "danger-full-access",
        &["touch", path(&target)],
    );
    assert_eq!(run.status, Some(0), "{run}");
    assert!(target.exists(), "{run}");
}

#[test]
fn a_full_policy_as_json_is_enforced_with_its_paths_resolved_against_cwd() {
    let workspace = folder();
    let outside = folder();
    fs::create_dir(workspace.path().join("sub")).unwrap_or_else(|error| panic!("{error}"));
    let policy = format!(
        r#"{{"type":"workspace-write","writable_roots":["{}"],"exclude_slash_tmp":true}}"#,
        path(outside.path())
    );
    let run = sandbox(
        workspace.path(),
        &[
            "--sandbox-policy",
            &policy,
            "--cwd",
            "sub",
            "--",
            "sh",
            "-c",
            &format!("touch here {}/there && pwd", path(outside.path())),
        ],
    );
    assert_eq!(run.status, Some(0), "{run}");
    assert!(workspace.path().join("sub/here").exists(), "{run}");
    assert!(outside.path().join("there").exists(), "{run}");
    // `--cwd` is where the command runs, and the workspace root it may write to: the parent
    // folder is not.
    let run = sandbox(
        workspace.path(),
        &[
            "--sandbox-policy",
            &policy,
            "--cwd",
            "sub",
            "--",
            "touch",
            "../above",
        ],
    );
    assert_eq!(run.status, Some(1), "{run}");
}

#[test]
fn the_command_exit_status_passes_through() {
    let workspace = folder();
    for mode in ["read-only", "workspace-write", "danger-full-access"] {
        let run = sandbox(
            workspace.path(),
            &["--mode", mode, "--", "sh", "-c", "exit 42"],
        );
        assert_eq!(run.status, Some(42), "{run}");
    }
}

#[test]
fn a_missing_command_is_a_clear_error() {
    let workspace = folder();
    let run = sandbox(workspace.path(), &["--mode", "read-only"]);
    assert_eq!(run.status, Some(2), "{run}");
    assert!(run.stderr.contains("<COMMAND>"), "{run}");

    let run = sandbox(workspace.path(), &["--", "no-such-command-anywhere"]);
    assert_eq!(run.status, Some(1), "{run}");
    assert!(
        run.stderr
            .contains("error: could not run no-such-command-anywhere: No such file or directory"),
        "{run}"
    );
}

#[test]
fn policies_the_sandbox_cannot_honour_are_refused() {
    let workspace = folder();
    let policy = r#"{"type":"read-only","access":{"type":"restricted"}}"#;
    let run = sandbox(
        workspace.path(),
        &["--sandbox-policy", policy, "--", "true"],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert!(
        run.stderr
            .contains("the linux sandbox does not support this policy"),
        "{run}"
    );

    let run = sandbox(
        workspace.path(),
        &["--mode", "read-only", "--network", "--", "true"],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert!(
        run.stderr
            .contains("--network needs --mode workspace-write"),
        "{run}"
    );
}
