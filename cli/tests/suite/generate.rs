//! `codex app-server generate-ts`, `generate-ts-client` and `generate-json-schema` write their
//! trees to disk.

use std::path::Path;
use std::process::Stdio;

use pretty_assertions::assert_eq;

use super::codex_in;
use super::typescript::tsc;

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

/// Every file under `root`, by path relative to it, with its text.
fn read_tree(root: &Path) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn generate_ts_client_writes_the_same_bindings_and_a_method_map() {
    let dir = tempfile::tempdir().unwrap();
    let run = codex_in(
        dir.path(),
        &["app-server", "generate-ts-client", "--out", "client"],
    );
    assert_eq!(run.status, Some(0), "{run}");
    let run = codex_in(dir.path(), &["app-server", "generate-ts", "--out", "ts"]);
    assert_eq!(run.status, Some(0), "{run}");
    // The bindings beside the map are exactly what generate-ts writes.
    let bindings = read_tree(&dir.path().join("client/protocol"));
    assert!(
        bindings == read_tree(&dir.path().join("ts")),
        "the trees differ"
    );
    let methods = std::fs::read_to_string(dir.path().join("client/methods.ts")).unwrap();
    assert!(
        methods.contains(
            "  \"turn/start\": { params: v2.TurnStartParams; result: v2.TurnStartResponse };"
        ),
        "{methods}"
    );
    assert!(
        methods.contains("  \"item/commandExecution/requestApproval\": { params: v2.CommandExecutionRequestApprovalParams; result: v2.CommandExecutionRequestApprovalResponse };"),
        "{methods}"
    );
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

#[test]
fn generated_typescript_type_checks_strictly() {
    // Both trees are checked at once: each tsc run takes seconds, and they are independent.
    let checks: Vec<_> = [("stable", false), ("experimental", true)]
        .into_iter()
        .map(|(name, experimental)| {
            let dir = tempfile::tempdir().unwrap();
            let mut args = vec!["app-server", "generate-ts", "--out", "ts"];
            if experimental {
                args.push("--experimental");
            }
            let run = codex_in(dir.path(), &args);
            assert_eq!(run.status, Some(0), "{run}");
            // The root index imports every file, so checking it checks the whole tree.
            let child = tsc()
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
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|error| panic!("could not run tsc (node is needed): {error}"));
            (name, dir, child)
        })
        .collect();
    for (name, _dir, child) in checks {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "tsc rejected the {name} bindings:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
