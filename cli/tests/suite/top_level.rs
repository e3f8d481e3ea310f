//! `codex` itself: version and help.

use pretty_assertions::assert_eq;

use super::codex;

#[test]
fn version_names_the_package_and_its_version() {
    let run = codex(&["--version"]);
    assert_eq!(run.status, Some(0), "{run}");
    assert_eq!(
        run.stdout,
        format!("codex-cli {}\n", env!("CARGO_PKG_VERSION")),
        "{run}"
    );
    assert_eq!(run.stderr, "", "{run}");
}

#[test]
fn help_lists_app_server() {
    let run = codex(&["--help"]);
    assert_eq!(run.status, Some(0), "{run}");
    assert!(
        run.stdout
            .starts_with("Codex, driven from the command line."),
        "{run}"
    );
    assert!(run.stdout.contains("Usage: codex <COMMAND>"), "{run}");
    assert!(run.stdout.contains("app-server"), "{run}");
}

#[test]
fn no_subcommand_prints_help_and_fails() {
    let run = codex(&[]);
    assert_eq!(run.status, Some(2), "{run}");
    assert!(run.stderr.contains("app-server"), "{run}");
}

#[test]
fn app_server_help_documents_its_flags_and_generators() {
    let run = codex(&["app-server", "--help"]);
    assert_eq!(run.status, Some(0), "{run}");
    for expected in [
        "Usage: codex app-server [OPTIONS] [COMMAND]",
        "--config <key=value>",
        "--enable <FEATURE>",
        "--disable <FEATURE>",
        "--listen <URL>",
        "[default: stdio://]",
        "generate-ts",
        "generate-json-schema",
    ] {
        assert!(
            run.stdout.contains(expected),
            "help lacks {expected:?}\n{run}"
        );
    }
}

/// The binary defines `pow`, its one use of libm (`cli/src/pow.rs`), so the loader does not map
/// glibc's libm.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[tokio::test]
async fn a_running_server_has_not_loaded_libm() {
    let (server, mut client) = super::serve::Server::stdio(&[]);
    client.initialize(true).await;
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", server.pid())).unwrap();
    assert!(maps.contains("/libc.so"), "{maps}");
    assert!(!maps.contains("/libm.so"), "{maps}");
}
