//! `codex app-server generate-ts` and `generate-json-schema` write their trees to disk.

use std::fs;
use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use pretty_assertions::assert_eq;

use super::codex_in;

/// Lists which of `expected` (paths relative to `dir`) are missing, so one failure shows all.
fn missing_files(dir: &Path, expected: &[&str]) -> Vec<String> {
    expected
        .iter()
        .filter(|relative| !dir.join(relative).is_file())
        .map(|relative| (*relative).to_owned())
        .collect()
}

#[test]
fn generate_json_schema_writes_one_schema_per_type_and_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let run = codex_in(
        dir.path(),
        &["app-server", "generate-json-schema", "--out", "schema"],
    );
    assert_eq!(run.status, Some(0), "{run}");
    let missing = missing_files(
        &dir.path().join("schema"),
        &[
            "ClientRequest.json",
            "v2/ThreadStartParams.json",
            "codex_app_server_protocol.schemas.json",
        ],
    );
    assert_eq!(missing, Vec::<String>::new(), "{run}");
}

#[test]
fn generate_ts_writes_the_typescript_tree() {
    let dir = tempfile::tempdir().unwrap();
    let run = codex_in(dir.path(), &["app-server", "generate-ts", "--out", "ts"]);
    assert_eq!(run.status, Some(0), "{run}");
    let missing = missing_files(
        &dir.path().join("ts"),
        &["ClientRequest.ts", "v2/index.ts", "serde_json/JsonValue.ts"],
    );
    assert_eq!(missing, Vec::<String>::new(), "{run}");
}

#[test]
fn generator_failure_names_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    // A regular file where the output directory should be cannot be written into.
    std::fs::write(dir.path().join("taken"), "").unwrap();
    let run = codex_in(
        dir.path(),
        &["app-server", "generate-json-schema", "--out", "taken"],
    );
    assert_eq!(run.status, Some(1), "{run}");
    assert!(
        run.stderr
            .starts_with("error: failed to generate JSON Schema files in taken: "),
        "{run}"
    );
}

/// The TypeScript compiler pinned by `tests/typescript/package-lock.json`, installed with
/// `npm ci` into a folder of the target dir (once per test run), so the source tree stays clean
/// and results do not drift with npm's newest release.
fn tsc() -> Command {
    static TSC: OnceLock<PathBuf> = OnceLock::new();
    let tsc = TSC.get_or_init(|| {
        let package = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/typescript");
        let install = Path::new(env!("CARGO_TARGET_TMPDIR")).join("typescript");
        fs::create_dir_all(&install)
            .unwrap_or_else(|error| panic!("cannot make {}: {error}", install.display()));
        for file in ["package.json", "package-lock.json"] {
            fs::copy(package.join(file), install.join(file)).unwrap_or_else(|error| {
                panic!("cannot copy {file} from {}: {error}", package.display())
            });
        }
        let output = Command::new("npm")
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--prefer-offline",
            ])
            .current_dir(&install)
            .output()
            .unwrap_or_else(|error| {
                panic!("could not run npm (node and npm are needed for this test): {error}")
            });
        assert!(
            output.status.success(),
            "npm ci in {} failed (it needs the npm registry or a filled npm cache):\n{}{}",
            install.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        install.join("node_modules/.bin/tsc")
    });
    Command::new(tsc)
}

#[test]
fn generated_typescript_type_checks_strictly() {
    for experimental in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut args = vec!["app-server", "generate-ts", "--out", "ts"];
        if experimental {
            args.push("--experimental");
        }
        let run = codex_in(dir.path(), &args);
        assert_eq!(run.status, Some(0), "{run}");
        // The root index imports every file, so checking it checks the whole tree.
        let output = tsc()
            .args([
                "--noEmit",
                "--strict",
                "--target",
                "es2020",
                "--module",
                "esnext",
                "--moduleResolution",
                "bundler",
                "ts/index.ts",
            ])
            .current_dir(dir.path())
            .output()
            .unwrap_or_else(|error| panic!("could not run tsc (node is needed): {error}"));
        assert!(
            output.status.success(),
            "tsc rejected the {} bindings:\n{}{}",
            if experimental {
                "experimental"
            } else {
                "stable"
            },
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
