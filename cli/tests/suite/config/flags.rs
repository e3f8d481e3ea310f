//! Session flags (`-c`, `--enable`, `--disable`) as a config layer, and admin requirements
//! refusing flags at startup and writes at run time.

use std::process::Command;
use std::process::Stdio;

use pretty_assertions::assert_eq;
use serde_json::json;

use super::Folders;
use super::write;
use crate::suite::codex_bin;

const REQUIREMENTS: &str = "allowed_approval_policies = ['on-request', 'never']\n";

#[tokio::test]
async fn flags_form_the_session_layer_above_the_user_file() {
    let folders = Folders::new();
    folders.write_user_config("model_verbosity = 'low'\n");
    std::fs::write(folders.system().join("requirements.toml"), REQUIREMENTS).unwrap();
    let server = folders
        .websocket(&[
            "-c",
            "model_verbosity=high",
            "--enable",
            "undo",
            "--disable",
            "shell_tool",
        ])
        .await;
    let mut client = server.connect().await;
    client.initialize(false).await;

    let answer = client
        .request(&json!({"id": 1, "method": "config/read", "params": {"includeLayers": true}}))
        .await;
    let session = &answer["result"]["layers"][0];
    assert_eq!(
        session["name"],
        json!({"type": "sessionFlags"}),
        "{}",
        client.report()
    );
    assert_eq!(
        session["config"],
        json!({"model_verbosity": "high", "features": {"undo": true, "shell_tool": false}})
    );
    assert_eq!(
        answer["result"]["origins"]["model_verbosity"],
        json!({"name": {"type": "sessionFlags"}, "version": session["version"]})
    );

    let answer = client
        .request(&write(2, "model_verbosity", json!("medium"), None))
        .await;
    assert_eq!(
        answer["result"]["status"],
        "okOverridden",
        "{}",
        client.report()
    );
    assert_eq!(
        answer["result"]["overriddenMetadata"],
        json!({
            "message": "Overridden by session flags",
            "overridingLayer": {"name": {"type": "sessionFlags"}, "version": session["version"]},
            "effectiveValue": "high",
        })
    );
    assert_eq!(folders.read_user_config(), "model_verbosity = \"medium\"\n");

    let answer = client
        .request(&json!({"id": 3, "method": "experimentalFeature/list", "params": {"limit": 2}}))
        .await;
    let states: Vec<_> = answer["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|feature| (feature["name"].clone(), feature["enabled"].clone()))
        .collect();
    assert_eq!(
        states,
        vec![
            (json!("undo"), json!(true)),
            (json!("shell_tool"), json!(false))
        ],
        "{}",
        client.report()
    );
    assert_eq!(answer["result"]["nextCursor"], "2");

    client
        .check(
            json!({"id": 4, "method": "configRequirements/read"}),
            json!({"id": 4, "result": {"requirements": {
                "allowedApprovalPolicies": ["on-request", "never"],
                "allowedSandboxModes": null,
                "allowedWebSearchModes": null,
                "enforceResidency": null,
                "network": null,
            }}}),
        )
        .await;
    let requirements = folders.system().join("requirements.toml");
    client
        .check(
            write(5, "approval_policy", json!("untrusted"), None),
            json!({"id": 5, "error": {
                "code": -32600,
                "message": format!(
                    "Invalid configuration: invalid value for `approval_policy`: `untrusted` is \
                     not in the allowed set [`on-request`, `never`] (set by {})",
                    requirements.display()
                ),
                "data": {"config_write_error_code": "configValidationError"},
            }}),
        )
        .await;
    assert_eq!(folders.read_user_config(), "model_verbosity = \"medium\"\n");
}

#[test]
fn flags_that_the_requirements_or_the_types_refuse_stop_the_server_at_startup() {
    let folders = Folders::new();
    std::fs::write(folders.system().join("requirements.toml"), REQUIREMENTS).unwrap();
    let start = |flag: &str| {
        let output = Command::new(codex_bin())
            .args(["app-server", "-c", flag])
            .env_clear()
            .env("HOME", folders.home())
            .envs(folders.env())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let requirements = folders.system().join("requirements.toml");
    assert_eq!(
        start("approval_policy=untrusted"),
        (
            Some(1),
            String::new(),
            format!(
                "error: override not allowed by the requirements: invalid value for \
                 `approval_policy`: `untrusted` is not in the allowed set [`on-request`, \
                 `never`] (set by {})\n",
                requirements.display()
            )
        )
    );
    assert_eq!(
        start("approval_policy=sometimes"),
        (
            Some(1),
            String::new(),
            "error: invalid config override: unknown variant `sometimes`, expected one of \
             `untrusted`, `on-failure`, `on-request`, `never`\nin `approval_policy`\n\n"
                .to_owned()
        )
    );
    // An allowed flag starts the server, which ends with its (empty) stdin.
    assert_eq!(
        start("approval_policy=never"),
        (Some(0), String::new(), String::new())
    );
}
