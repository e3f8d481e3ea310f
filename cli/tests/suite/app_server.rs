//! `codex app-server` without a generator: flag validation and the not-yet-served exit.

use pretty_assertions::assert_eq;

use super::codex;

const NOT_SERVED: &str = "codex app-server: serving is not implemented in this build yet";

#[test]
fn valid_command_line_exits_2_saying_serving_is_not_built() {
    let cases: [(&[&str], &str); 4] = [
        (&["app-server"], "stdio://"),
        (&["app-server", "--listen", "off"], "off"),
        (
            &["app-server", "--listen", "ws://127.0.0.1:4500"],
            "ws://127.0.0.1:4500",
        ),
        (
            &[
                "app-server",
                "-c",
                "model=\"o3\"",
                "--config",
                "sandbox.enabled=true",
            ],
            "stdio://",
        ),
    ];
    for (args, listen) in cases {
        let run = codex(args);
        assert_eq!(run.status, Some(2), "{run}");
        assert_eq!(run.stdout, "", "{run}");
        assert_eq!(
            run.stderr,
            format!("{NOT_SERVED} (the command line is valid; it would listen on {listen})\n"),
            "{run}"
        );
    }
}

#[test]
fn bad_listen_url_is_a_usage_error_naming_the_accepted_forms() {
    let run = codex(&["app-server", "--listen", "http://127.0.0.1:80"]);
    assert_eq!(run.status, Some(2), "{run}");
    assert_eq!(run.stdout, "", "{run}");
    assert!(
        run.stderr.contains(
            "invalid value 'http://127.0.0.1:80' for '--listen <URL>': unsupported listen URL \
             `http://127.0.0.1:80`: expected `stdio://`, `ws://IP:PORT` or `off`"
        ),
        "{run}"
    );
    assert!(!run.stderr.contains(NOT_SERVED), "{run}");
}

#[test]
fn websocket_listen_url_needs_a_numeric_address() {
    let run = codex(&["app-server", "--listen", "ws://localhost:4500"]);
    assert_eq!(run.status, Some(2), "{run}");
    assert!(
        run.stderr
            .contains("`ws://localhost:4500` is not a WebSocket listen address"),
        "{run}"
    );
}

#[test]
fn bad_config_override_is_reported_before_anything_else() {
    let run = codex(&["app-server", "-c", "no-equals-sign"]);
    assert_eq!(run.status, Some(1), "{run}");
    assert_eq!(run.stdout, "", "{run}");
    assert!(
        run.stderr
            .starts_with("error: failed to parse -c/--config overrides: "),
        "{run}"
    );
    assert!(run.stderr.contains("no-equals-sign"), "{run}");
    assert!(!run.stderr.contains(NOT_SERVED), "{run}");
}

#[test]
fn bad_config_override_stops_the_generators_too() {
    let dir = tempfile::tempdir().unwrap();
    let run = super::codex_in(
        dir.path(),
        &[
            "app-server",
            "generate-json-schema",
            "--out",
            "schema",
            "-c",
            "=1",
        ],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert!(
        run.stderr
            .starts_with("error: failed to parse -c/--config overrides: "),
        "{run}"
    );
    assert!(!dir.path().join("schema").exists(), "{run}");
}
