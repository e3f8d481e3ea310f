//! How the layers combine: precedence from system to session flags, trusted and untrusted
//! projects, profiles, and relative paths resolved against each file's folder.

use codex_config::ConfigLayerStack;
use codex_config::LayerSource;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::Fixture;
use super::check_golden;

/// The tree of `golden/layers/tree`, with `repo/` made a git repository.
fn tree() -> Fixture {
    let fixture = Fixture::new();
    fixture.copy_golden("layers/tree");
    std::fs::create_dir_all(fixture.root().join("repo/.git")).unwrap();
    fixture
}

fn source(fixture: &Fixture, source: &LayerSource) -> String {
    let name = match source {
        LayerSource::System { .. } => "system",
        LayerSource::User { .. } => "user",
        LayerSource::Project { .. } => "project",
        LayerSource::SessionFlags => return "session flags".to_owned(),
        LayerSource::LegacyManagedConfigTomlFromFile { .. } => "legacy managed config",
        LayerSource::Mdm { .. } | LayerSource::LegacyManagedConfigTomlFromMdm => "mdm",
    };
    fixture.redact(&format!("{name} {source}"))
}

/// Everything a client can learn from a load, with the tree's root written `<root>`: the
/// layers (highest first), the effective config, each value's origin, and the typed config a
/// thread runs with.
fn describe(fixture: &Fixture, stack: &ConfigLayerStack) -> String {
    let layers: Vec<Value> = stack
        .layers_highest_first()
        .map(|layer| {
            json!({
                "source": source(fixture, &layer.source),
                "disabled_reason": layer.disabled_reason,
                "config": layer.config,
            })
        })
        .collect();
    let origins: serde_json::Map<String, Value> = stack
        .origins()
        .into_iter()
        .map(|(key, origin)| (key, json!(source(fixture, &origin.source))))
        .collect();
    let resolved = stack.resolve().unwrap();
    let config = &resolved.config;
    let thread = json!({
        "profile": resolved.profile,
        "model": config.model,
        "model_provider": config.model_provider,
        "approval_policy": resolved.approval_policy,
        "model_reasoning_effort": config.model_reasoning_effort,
        "model_verbosity": config.model_verbosity,
        "model_instructions_file": config.model_instructions_file,
        "log_dir": config.log_dir,
        "notify": config.notify,
        "writable_roots": config
            .sandbox_workspace_write
            .as_ref()
            .map(|write| write.writable_roots.clone()),
        "network_access": config
            .sandbox_workspace_write
            .as_ref()
            .map(|write| write.network_access),
        "features": config.features,
    });
    let description = json!({
        "layers": layers,
        "effective": stack.effective(),
        "origins": origins,
        "thread": thread,
        "warnings": stack.warnings().iter().map(|warning| &warning.summary).collect::<Vec<_>>(),
    });
    fixture.redact(&serde_json::to_string_pretty(&description).unwrap()) + "\n"
}

#[test]
fn layers_combine_from_system_to_session_flags() {
    let fixture = tree();
    let service = fixture.service_with(&[
        ("model", "'flag-model'"),
        ("model_verbosity", "'low'"),
        ("features.shell_tool", "false"),
    ]);
    let stack = service.load(Some(&fixture.path("repo/app/src")));
    check_golden("layers/from_cwd.json", &describe(&fixture, &stack));
}

#[test]
fn without_a_cwd_no_project_is_read() {
    let fixture = tree();
    let stack = fixture.service().load(None);
    check_golden("layers/without_cwd.json", &describe(&fixture, &stack));
}

#[test]
fn outside_a_repository_only_the_cwd_folder_counts() {
    let fixture = tree();
    let stack = fixture.service().load(Some(&fixture.path("elsewhere")));
    let projects: Vec<_> = stack
        .layers_highest_first()
        .filter(|layer| matches!(layer.source, LayerSource::Project { .. }))
        .map(|layer| {
            (
                source(&fixture, &layer.source),
                layer
                    .disabled_reason
                    .clone()
                    .map(|reason| fixture.redact(&reason)),
            )
        })
        .collect();
    assert_eq!(
        projects,
        vec![(
            "project <root>/elsewhere/.codex/config.toml".to_owned(),
            Some(
                "To load config.toml, add <root>/elsewhere as a trusted project in \
                 <root>/home/config.toml."
                    .to_owned()
            )
        )]
    );
}

#[test]
fn a_missing_profile_is_an_error_for_threads_only() {
    let fixture = Fixture::new();
    fixture.write("home/config.toml", "profile = 'nope'\nmodel = 'm'\n");
    let stack = fixture.service().load(None);
    assert_eq!(stack.effective()["model"].as_str(), Some("m"));
    assert_eq!(
        stack.resolve().unwrap_err().to_string(),
        "config profile `nope` not found"
    );
}

#[test]
fn session_flags_resolve_relative_paths_against_the_working_directory() {
    let fixture = Fixture::new();
    let flags = codex_config::SessionFlags::new(
        super::toml_pairs(&[
            ("log_dir", "'logs'"),
            ("model_instructions_file", "'~/x.md'"),
        ]),
        &fixture.root().join("work"),
    )
    .unwrap();
    let home = std::env::home_dir().unwrap();
    let mut expected = toml::Table::new();
    let path = |path: std::path::PathBuf| toml::Value::String(path.display().to_string());
    expected.insert("log_dir".into(), path(fixture.root().join("work/logs")));
    expected.insert("model_instructions_file".into(), path(home.join("x.md")));
    assert_eq!(flags.config(), &expected);
}
