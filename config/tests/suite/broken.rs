//! A file that is not TOML, or not a valid config, never stops anything: its layer is disabled
//! and reported, the other layers apply, and nothing is written over it.

use codex_config::ConfigEdit;
use codex_config::MergeStrategy;
use codex_config::TextPosition;
use codex_config::TextRange;
use codex_config::WriteRequest;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::Fixture;

fn write_model(fixture: &Fixture) -> String {
    let request = WriteRequest {
        edits: vec![ConfigEdit {
            key_path: "model".to_owned(),
            value: json!("x"),
            merge_strategy: MergeStrategy::Replace,
        }],
        ..WriteRequest::default()
    };
    fixture.redact(&fixture.service().write(request).unwrap_err().to_string())
}

#[test]
fn broken_toml_is_reported_and_never_overwritten() {
    let fixture = Fixture::new();
    let broken = "# c\nmodel = \"o3\"\nbroken = = \n";
    fixture.write("home/config.toml", broken);
    fixture.write("system/config.toml", "model_verbosity = 'low'\n");

    let stack = fixture.service().load(None);
    assert_eq!(stack.effective()["model_verbosity"].as_str(), Some("low"));
    assert_eq!(stack.effective().get("model"), None);
    let warnings: Vec<_> = stack
        .warnings()
        .iter()
        .map(|warning| {
            (
                fixture.redact(&warning.summary),
                warning
                    .details
                    .as_deref()
                    .map(|details| fixture.redact(details)),
                warning.range,
            )
        })
        .collect();
    assert_eq!(
        warnings,
        vec![(
            "Invalid configuration in <root>/home/config.toml; ignoring that file.".to_owned(),
            Some("<root>/home/config.toml:3:10: extra `=`, expected nothing".to_owned()),
            Some(TextRange {
                start: TextPosition {
                    line: 3,
                    column: 10
                },
                end: TextPosition {
                    line: 3,
                    column: 10
                },
            }),
        )]
    );
    let user = stack.user_layer().unwrap();
    assert!(!user.is_enabled());
    assert_eq!(
        user.disabled_reason
            .as_deref()
            .map(|reason| fixture.redact(reason)),
        Some(
            "Ignored because it is invalid: <root>/home/config.toml:3:10: extra `=`, expected \
             nothing"
                .to_owned()
        )
    );

    assert_eq!(
        write_model(&fixture),
        "Invalid configuration: <root>/home/config.toml:3:10: extra `=`, expected nothing"
    );
    assert_eq!(fixture.user_config(), broken);
}

#[test]
fn an_invalid_value_disables_its_file_until_a_write_fixes_it() {
    let fixture = Fixture::new();
    fixture.write(
        "home/config.toml",
        "model = 'o3'\napproval_policy = \"sometimes\" # typo\n",
    );
    let stack = fixture.service().load(None);
    let warning = &stack.warnings()[0];
    assert_eq!(
        warning
            .details
            .as_deref()
            .map(|details| fixture.redact(details)),
        Some(
            "<root>/home/config.toml:2:19: unknown variant `sometimes`, expected one of \
             `untrusted`, `on-failure`, `on-request`, `never`"
                .to_owned()
        )
    );
    assert_eq!(
        warning
            .range
            .map(|range| (range.start.column, range.end.column)),
        Some((19, 29))
    );
    // The layer shows what the file says, and is left out of the merge.
    assert_eq!(
        stack.user_layer().unwrap().config["approval_policy"].as_str(),
        Some("sometimes")
    );
    assert_eq!(stack.effective().get("model"), None);

    // A write that leaves the typo in place is refused; one that fixes it is taken.
    assert_eq!(
        write_model(&fixture),
        "Invalid configuration: unknown variant `sometimes`, expected one of `untrusted`, \
         `on-failure`, `on-request`, `never`\nin `approval_policy`\n"
    );
    let fix = WriteRequest {
        edits: vec![ConfigEdit {
            key_path: "approval_policy".to_owned(),
            value: json!("never"),
            merge_strategy: MergeStrategy::Replace,
        }],
        expected_version: Some(stack.user_layer().unwrap().version.clone()),
        ..WriteRequest::default()
    };
    fixture.service().write(fix).unwrap();
    assert_eq!(
        fixture.user_config(),
        "model = 'o3'\napproval_policy = \"never\" # typo\n"
    );
    let stack = fixture.service().load(None);
    assert!(stack.warnings().is_empty(), "{:?}", stack.warnings());
    assert_eq!(stack.effective()["model"].as_str(), Some("o3"));
}

#[test]
fn broken_project_and_requirements_files_are_reported_too() {
    let fixture = Fixture::new();
    fixture.write(
        "home/config.toml",
        "[projects.\"<root>/repo\"]\ntrust_level = \"trusted\"\n",
    );
    std::fs::create_dir_all(fixture.root().join("repo/.git")).unwrap();
    fixture.write("repo/.codex/config.toml", "model = [\n");
    fixture.write(
        "system/requirements.toml",
        "allowed_sandbox_modes = ['workspace-write']\n",
    );
    let stack = fixture.service().load(Some(&fixture.path("repo")));
    let summaries: Vec<_> = stack
        .warnings()
        .iter()
        .map(|warning| fixture.redact(&warning.summary))
        .collect();
    assert_eq!(
        summaries,
        vec![
            "Invalid requirements in <root>/system/requirements.toml; ignoring that file.",
            "Invalid configuration in <root>/repo/.codex/config.toml; ignoring that file.",
        ]
    );
    assert!(stack.requirements().is_empty());
    assert_eq!(
        stack.warnings()[0]
            .details
            .as_deref()
            .map(|details| fixture.redact(details)),
        Some(
            "<root>/system/requirements.toml: `allowed_sandbox_modes` must include `read-only`"
                .to_owned()
        )
    );
}
