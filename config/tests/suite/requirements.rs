//! Admin requirements: enforced on every layer, on session and thread overrides, and on writes.

use codex_config::ConfigService;
use codex_config::LayerSource;
use codex_protocol::config_types::SandboxMode;
use codex_protocol::protocol::AskForApproval;
use pretty_assertions::assert_eq;

use super::Fixture;
use super::toml_pairs;

const REQUIREMENTS: &str = "allowed_approval_policies = ['on-request', 'never']\n\
                            allowed_sandbox_modes = ['read-only', 'workspace-write']\n";

fn fixture() -> Fixture {
    let fixture = Fixture::new();
    fixture.write("system/requirements.toml", REQUIREMENTS);
    fixture
}

#[test]
fn a_forbidden_session_flag_stops_the_server_from_starting() {
    let fixture = fixture();
    let error = ConfigService::new(
        fixture.paths(),
        fixture.flags(&[("approval_policy", "'untrusted'")]),
    )
    .unwrap_err();
    assert_eq!(
        fixture.redact(&error.to_string()),
        "override not allowed by the requirements: invalid value for `approval_policy`: \
         `untrusted` is not in the allowed set [`on-request`, `never`] (set by \
         <root>/system/requirements.toml)"
    );
    fixture
        .service_with(&[("approval_policy", "'never'")])
        .load(None);
}

#[test]
fn a_forbidden_thread_override_is_refused() {
    let fixture = fixture();
    let service = fixture.service();
    let cwd = fixture.path("work");
    let error = service
        .load_for_thread(
            &cwd,
            toml_pairs(&[("sandbox_mode", "'danger-full-access'")]),
        )
        .unwrap_err();
    assert_eq!(
        fixture.redact(&error.to_string()),
        "override not allowed by the requirements: invalid value for `sandbox_mode`: \
         `danger-full-access` is not in the allowed set [`read-only`, `workspace-write`] (set by \
         <root>/system/requirements.toml)"
    );
    let error = service
        .load_for_thread(&cwd, toml_pairs(&[("model_verbosity", "'loud'")]))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid config override: unknown variant `loud`, expected one of `low`, `medium`, \
         `high`\nin `model_verbosity`\n"
    );
    let stack = service
        .load_for_thread(&cwd, toml_pairs(&[("sandbox_mode", "'workspace-write'")]))
        .unwrap();
    assert_eq!(
        stack.resolve().unwrap().sandbox_mode,
        Some(SandboxMode::WorkspaceWrite)
    );
}

#[test]
fn forbidden_values_in_files_are_dropped_with_a_warning_pointing_at_them() {
    let fixture = fixture();
    fixture.write(
        "home/config.toml",
        "model = 'o3'\napproval_policy = 'untrusted'\n[profiles.p]\nsandbox_mode = 'danger-full-access'\n",
    );
    fixture.write("system/config.toml", "approval_policy = 'never'\n");
    let stack = fixture.service().load(None);
    let effective = stack.effective();
    assert_eq!(effective["approval_policy"].as_str(), Some("never"));
    assert_eq!(effective["model"].as_str(), Some("o3"));
    assert_eq!(
        effective["profiles"]["p"].as_table(),
        Some(&toml::Table::new())
    );
    let origin = &stack.origins()["approval_policy"];
    assert!(matches!(origin.source, LayerSource::System { .. }));
    let details: Vec<_> = stack
        .warnings()
        .iter()
        .map(|warning| {
            warning
                .details
                .as_deref()
                .map(|details| fixture.redact(details))
        })
        .collect();
    assert_eq!(
        details,
        vec![
            Some(
                "<root>/home/config.toml:2:19: invalid value for `approval_policy`: `untrusted` \
                 is not in the allowed set [`on-request`, `never`] (set by \
                 <root>/system/requirements.toml)"
                    .to_owned()
            ),
            Some(
                "<root>/home/config.toml:4:16: invalid value for `profiles.p.sandbox_mode`: \
                 `danger-full-access` is not in the allowed set [`read-only`, \
                 `workspace-write`] (set by <root>/system/requirements.toml)"
                    .to_owned()
            ),
        ]
    );
}

#[test]
fn without_an_allowed_choice_threads_get_the_first_allowed_policy_and_read_only() {
    let fixture = fixture();
    let resolved = fixture.service().load(None).resolve().unwrap();
    assert_eq!(resolved.approval_policy, Some(AskForApproval::OnRequest));
    assert_eq!(resolved.sandbox_mode, Some(SandboxMode::ReadOnly));
}

#[test]
fn the_legacy_managed_config_is_the_top_layer_and_a_source_of_requirements() {
    let fixture = Fixture::new();
    fixture.write(
        "system/managed_config.toml",
        "approval_policy = 'on-request'\nsandbox_mode = 'workspace-write'\nmodel = 'managed'\n",
    );
    let service = fixture.service_with(&[("model", "'flag'")]);
    let stack = service.load(None);
    let top = stack.layers_highest_first().next().unwrap();
    assert!(matches!(
        top.source,
        LayerSource::LegacyManagedConfigTomlFromFile { .. }
    ));
    assert_eq!(stack.effective()["model"].as_str(), Some("managed"));
    let requirements = stack.requirements();
    assert_eq!(
        requirements
            .allowed_approval_policies
            .as_ref()
            .map(|allowed| allowed.value.clone()),
        Some(vec![AskForApproval::OnRequest])
    );
    assert_eq!(
        requirements
            .allowed_sandbox_modes
            .as_ref()
            .map(|allowed| allowed.value.len()),
        Some(2)
    );
}
