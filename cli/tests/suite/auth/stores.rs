//! `cli_auth_credentials_store`: the keyring (here unreachable, as on a machine without a
//! desktop session), `auto` falling back to the file, `ephemeral`, and a value that is none of
//! them.

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::Setup;
use super::next_notification;
use crate::suite::serve::Client;

async fn login_api_key(client: &mut Client, id: u64) -> Value {
    client
        .request(&json!({"id": id, "method": "account/login/start",
                         "params": {"type": "apiKey", "apiKey": "sk-1"}}))
        .await
}

async fn check_account(client: &mut Client, id: u64, account: Value) {
    client
        .check(
            json!({"id": id, "method": "account/read", "params": {}}),
            json!({"id": id, "result": {"account": account, "requiresOpenaiAuth": true}}),
        )
        .await;
}

/// A session bus address where nothing listens, so the keyring is unreachable whatever the
/// machine running the test has.
fn no_bus(setup: &Setup) -> String {
    format!(
        "unix:path={}",
        setup.folders.home().join("no-such-bus").display()
    )
}

#[tokio::test]
async fn an_unreachable_keyring_fails_the_login_in_the_reference_words() {
    let setup = Setup::new().await;
    setup
        .folders
        .write_user_config("cli_auth_credentials_store = \"keyring\"\n");
    let bus = no_bus(&setup);
    let (_server, mut client) = setup
        .serve(false, &[("DBUS_SESSION_BUS_ADDRESS", &bus)])
        .await;
    let answer = login_api_key(&mut client, 1).await;
    assert_eq!(answer["error"]["code"], -32603, "{}", client.report());
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with(
            "failed to save api key: failed to write OAuth tokens to keyring: Platform secure storage failure: "
        ),
        "{message}\n{}",
        client.report()
    );
    assert!(!setup.auth_json().exists());
    check_account(&mut client, 2, Value::Null).await;
}

#[tokio::test]
async fn auto_falls_back_to_auth_json_when_the_keyring_is_unreachable() {
    let setup = Setup::new().await;
    setup
        .folders
        .write_user_config("cli_auth_credentials_store = \"auto\"\n");
    let bus = no_bus(&setup);
    let (_server, mut client) = setup
        .serve(false, &[("DBUS_SESSION_BUS_ADDRESS", &bus)])
        .await;
    let answer = login_api_key(&mut client, 1).await;
    assert_eq!(answer, json!({"id": 1, "result": {"type": "apiKey"}}));
    assert_eq!(
        setup.stored(),
        json!({"auth_mode": "apikey", "OPENAI_API_KEY": "sk-1"})
    );
    check_account(&mut client, 2, json!({"type": "apiKey"})).await;
}

#[tokio::test]
async fn ephemeral_credentials_end_with_the_server() {
    let setup = Setup::new().await;
    setup
        .folders
        .write_user_config("cli_auth_credentials_store = \"ephemeral\"\n");
    let (server, mut client) = setup.serve(false, &[]).await;
    let answer = login_api_key(&mut client, 1).await;
    assert_eq!(answer, json!({"id": 1, "result": {"type": "apiKey"}}));
    assert!(!setup.auth_json().exists());
    check_account(&mut client, 2, json!({"type": "apiKey"})).await;
    drop(client);
    drop(server);

    let (_server, mut client) = setup.serve(false, &[]).await;
    check_account(&mut client, 1, Value::Null).await;
}

#[tokio::test]
async fn a_store_that_is_none_of_the_four_is_a_config_warning() {
    let setup = Setup::new().await;
    setup
        .folders
        .write_user_config("cli_auth_credentials_store = \"vault\"\n");
    let (_server, mut client) = setup.serve(false, &[]).await;
    let warning = next_notification(&mut client).await;
    assert_eq!(warning["method"], "configWarning", "{}", client.report());
    let details = warning["params"]["details"].as_str().unwrap_or_default();
    assert!(
        details.contains(
            "unknown variant `vault`, expected one of `file`, `keyring`, `auto`, `ephemeral`"
        ),
        "{warning}"
    );
    // The file store, the default, is used.
    login_api_key(&mut client, 1).await;
    assert!(setup.auth_json().exists(), "{}", client.report());
}
