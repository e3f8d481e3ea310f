//! What writes leave in `config.toml`, as golden files.
//!
//! Each folder of `golden/writes/` is a case: `before.toml` (the user's file; absent for no
//! file), optionally `requirements.toml` (the admin's), and `requests.json`, a list of writes
//! applied in order. The test writes `after.toml` (the file afterwards, byte for byte) and
//! `results.json` (each write's outcome) and compares them with the committed ones.
//!
//! A write is `{"edits": [...]}` with optional `expectedVersion` (`"current"` stands for the
//! version the file has just then) and `filePath` (`<root>` expands), or
//! `{"setDefaultModel": {"model": …, "reasoningEffort": …}}`, or
//! `{"setSkillEnabled": {"path": …, "enabled": …}}`.

use codex_config::ConfigEdit;
use codex_config::MergeStrategy;
use codex_config::WriteError;
use codex_config::WriteOutcome;
use codex_config::WriteRequest;
use serde_json::Value;
use serde_json::json;

use super::Fixture;
use super::check_golden;
use super::golden_dir;

fn edits(value: &Value) -> Vec<ConfigEdit> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|edit| ConfigEdit {
            key_path: edit["keyPath"].as_str().unwrap().to_owned(),
            value: edit["value"].clone(),
            merge_strategy: match edit["mergeStrategy"].as_str() {
                Some("upsert") => MergeStrategy::Upsert,
                _ => MergeStrategy::Replace,
            },
        })
        .collect()
}

fn outcome(fixture: &Fixture, before: &str, result: Result<WriteOutcome, WriteError>) -> Value {
    match result {
        Ok(outcome) => json!({
            "version": if outcome.version == before { "unchanged" } else { "changed" },
            "overridden": outcome.overridden.map(|overridden| json!({
                "message": fixture.redact(&overridden.message),
                "effective_value": overridden.effective_value,
            })),
        }),
        Err(error) => json!({
            "error": fixture.redact(&error.to_string()),
            "code": error.code().map(|code| format!("{code:?}")),
        }),
    }
}

fn run_case(name: &str) {
    let case = golden_dir().join("writes").join(name);
    let read = |file: &str| std::fs::read_to_string(case.join(file)).ok();
    let fixture = Fixture::new();
    if let Some(before) = read("before.toml") {
        fixture.write("home/config.toml", &before);
    }
    if let Some(requirements) = read("requirements.toml") {
        fixture.write("system/requirements.toml", &requirements);
    }
    let service = fixture.service();
    let requests: Vec<Value> =
        serde_json::from_str(&read("requests.json").expect("requests.json")).unwrap();
    let mut results = Vec::new();
    for request in &requests {
        let version = service
            .load(None)
            .user_layer()
            .map(|layer| layer.version.clone())
            .unwrap_or_default();
        let result = if let Some(skill) = request.get("setSkillEnabled") {
            service.set_skill_enabled(
                std::path::Path::new(skill["path"].as_str().unwrap()),
                skill["enabled"].as_bool().unwrap(),
            )
        } else if let Some(model) = request.get("setDefaultModel") {
            service.set_default_model(
                model["model"].as_str().map(str::to_owned),
                serde_json::from_value(model["reasoningEffort"].clone()).unwrap(),
            )
        } else {
            let expected_version = match request["expectedVersion"].as_str() {
                Some("current") => Some(version.clone()),
                other => other.map(str::to_owned),
            };
            service.write(WriteRequest {
                edits: edits(&request["edits"]),
                file_path: request["filePath"]
                    .as_str()
                    .map(|path| fixture.expand(path)),
                expected_version,
            })
        };
        results.push(json!({
            "request": request,
            "outcome": outcome(&fixture, &version, result),
        }));
    }
    let after = std::fs::read_to_string(fixture.root().join("home/config.toml"))
        .unwrap_or_else(|_| "<no file>\n".to_owned());
    check_golden(&format!("writes/{name}/after.toml"), &after);
    let results = serde_json::to_string_pretty(&results).unwrap() + "\n";
    check_golden(&format!("writes/{name}/results.json"), &results);
}

#[test]
fn a_hand_written_file_changes_only_where_it_is_written() {
    run_case("hand_written");
}

#[test]
fn the_parity_scenario_file_matches_the_reference() {
    // `after.toml` is the file the reference leaves in the config_value_write parity scenario.
    run_case("parity");
}

#[test]
fn a_missing_file_is_created() {
    run_case("new_file");
}

#[test]
fn refused_writes_leave_the_file_alone() {
    run_case("refused");
}

#[test]
fn tables_are_replaced_or_merged_in_place() {
    run_case("tables");
}

#[test]
fn the_default_model_goes_into_the_selected_profile() {
    run_case("default_model");
}

#[test]
fn skills_are_turned_off_with_sections_and_back_on_by_removing_them() {
    run_case("skills");
}

/// Key paths of thousands of parts once overflowed the stack, paths of about 100 parts were
/// written and then made the loader ignore the whole file ("recursion limit"), and `a..b`
/// wrote empty keys. All are refused now, and the file keeps loading.
#[test]
fn hostile_key_paths_are_refused_and_the_file_keeps_loading() {
    let fixture = Fixture::new();
    fixture.write("home/config.toml", "model = 'o3'\n");
    let service = fixture.service();
    let write = |key_path: String, value: Value| {
        service.write(WriteRequest {
            edits: vec![ConfigEdit {
                key_path,
                value,
                merge_strategy: MergeStrategy::Replace,
            }],
            ..WriteRequest::default()
        })
    };
    let too_deep = "invalid keyPath: key path has more than 32 parts";
    let empty_part = "invalid keyPath: key path has an empty part";
    let mut deep_value = json!(1);
    for _ in 0..60 {
        deep_value = json!({ "k": deep_value });
    }
    let cases = [
        (vec!["a"; 5000].join("."), json!(1), too_deep.to_owned()),
        (vec!["a"; 100].join("."), json!(1), too_deep.to_owned()),
        ("a..b".to_owned(), json!(1), empty_part.to_owned()),
        ("../".to_owned(), json!(1), empty_part.to_owned()),
        (
            vec!["a"; 30].join("."),
            deep_value,
            "Invalid configuration: the written file would not load again: recursion limit"
                .to_owned(),
        ),
    ];
    for (key_path, value, message) in cases {
        let parts = key_path.split('.').count();
        let error = write(key_path, value).unwrap_err();
        assert_eq!(
            (error.to_string(), error.code()),
            (
                message,
                Some(codex_config::WriteErrorCode::ConfigValidationError)
            ),
            "a key path of {parts} parts"
        );
    }
    assert_eq!(fixture.user_config(), "model = 'o3'\n");
    let written = write(vec!["a"; 32].join("."), json!(1)).unwrap();
    assert_eq!(
        written.stack.effective().get("model"),
        Some(&toml::Value::String("o3".to_owned()))
    );
}

#[test]
fn every_case_folder_has_a_test() {
    let mut cases: Vec<String> = std::fs::read_dir(golden_dir().join("writes"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    assert_eq!(
        cases,
        [
            "default_model",
            "hand_written",
            "new_file",
            "parity",
            "refused",
            "skills",
            "tables"
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_linked_file_stays_linked_and_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;

    let fixture = Fixture::new();
    fixture.write("dotfiles/codex.toml", "# from my dotfiles\nmodel = 'o3'\n");
    let target = fixture.root().join("dotfiles/codex.toml");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::create_dir_all(fixture.root().join("home")).unwrap();
    let link = fixture.root().join("home/config.toml");
    std::os::unix::fs::symlink("../dotfiles/codex.toml", &link).unwrap();

    let request = WriteRequest {
        edits: edits(&json!([{"keyPath": "model", "value": "gpt-5", "mergeStrategy": "replace"}])),
        ..WriteRequest::default()
    };
    fixture.service().write(request).unwrap();

    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "# from my dotfiles\nmodel = \"gpt-5\"\n"
    );
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // No temporary file is left behind.
    let mut names: Vec<_> = std::fs::read_dir(fixture.root().join("dotfiles"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["codex.toml"]);
}
