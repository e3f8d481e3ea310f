//! `codex app-server` command-line checks that end before any client connects.

use pretty_assertions::assert_eq;

use super::codex;
use super::codex_in;

#[test]
fn a_non_loopback_websocket_needs_authentication() {
    let run = codex(&["app-server", "--listen", "ws://0.0.0.0:0"]);
    assert_eq!(run.status, Some(1), "{run}");
    assert_eq!(run.stdout, "", "{run}");
    assert_eq!(
        run.stderr,
        "error: refusing to listen on 0.0.0.0:0 without authentication: a non-loopback address \
         needs `--ws-auth capability-token --ws-token-file PATH`\n",
        "{run}"
    );
}

#[test]
fn the_two_auth_flags_go_together() {
    for args in [
        &[
            "app-server",
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-auth",
            "capability-token",
        ][..],
        &[
            "app-server",
            "--listen",
            "ws://127.0.0.1:0",
            "--ws-token-file",
            "t",
        ][..],
    ] {
        let run = codex(args);
        assert_eq!(run.status, Some(2), "{run}");
        assert!(
            run.stderr
                .contains("the following required arguments were not provided"),
            "{run}"
        );
    }
}

#[test]
fn auth_is_refused_for_stdio_and_empty_or_missing_token_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("token"), "secret\n").unwrap();
    std::fs::write(dir.path().join("empty"), " \n").unwrap();
    let auth = ["--ws-auth", "capability-token", "--ws-token-file"];

    let cases = [
        (
            "stdio://",
            "token",
            "error: --ws-auth applies to WebSocket listeners only, not to stdio://\n".to_string(),
        ),
        (
            "ws://127.0.0.1:0",
            "empty",
            format!(
                "error: the token file {} is empty\n",
                dir.path().join("empty").display()
            ),
        ),
        (
            "ws://127.0.0.1:0",
            "missing",
            format!(
                "error: failed to read the token file {}: No such file or directory (os error 2)\n",
                dir.path().join("missing").display()
            ),
        ),
    ];
    for (listen, file, expected) in cases {
        let path = dir.path().join(file);
        let mut args = vec!["app-server", "--listen", listen];
        args.extend(auth);
        args.push(path.to_str().unwrap());
        let run = codex_in(dir.path(), &args);
        assert_eq!(run.status, Some(1), "{run}");
        assert_eq!(run.stderr, expected, "{run}");
    }
}
