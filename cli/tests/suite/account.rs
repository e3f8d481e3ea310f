//! The v2 account methods through a running server: reading the account, an API-key login
//! stored in `auth.json` and announced to the client, logout, and the login types this server
//! does not offer.

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use crate::suite::config::Folders;
use crate::suite::serve::Client;

async fn next_notification(client: &mut Client) -> Value {
    let message = client.next().await;
    assert!(
        message.get("id").is_none(),
        "expected a notification, got {message}\n{}",
        client.report()
    );
    message
}

/// Checks what `account/read` (request `id`) answers.
async fn check_account(client: &mut Client, id: u64, account: Value, requires_openai_auth: bool) {
    client
        .check(
            json!({"id": id, "method": "account/read", "params": {"refreshToken": false}}),
            json!({"id": id, "result": {
                "account": account,
                "requiresOpenaiAuth": requires_openai_auth,
            }}),
        )
        .await;
}

#[tokio::test]
async fn api_key_login_is_stored_announced_and_forgotten_on_logout() {
    // No config: the default provider, `openai`, authenticates with OpenAI credentials.
    let folders = Folders::new();
    let (_server, mut client) = folders.stdio().await;
    let auth_json = folders.home().join("auth.json");

    check_account(&mut client, 1, Value::Null, true).await;

    client
        .check(
            json!({"id": 2, "method": "account/login/start",
                   "params": {"type": "apiKey", "apiKey": "sk-test-key"}}),
            json!({"id": 2, "result": {"type": "apiKey"}}),
        )
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/login/completed",
               "params": {"loginId": null, "success": true, "error": null}})
    );
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/updated", "params": {"authMode": "apikey"}})
    );
    assert_eq!(
        std::fs::read_to_string(&auth_json).unwrap(),
        "{\n  \"auth_mode\": \"apikey\",\n  \"OPENAI_API_KEY\": \"sk-test-key\"\n}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&auth_json).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    check_account(&mut client, 3, json!({"type": "apiKey"}), true).await;
    client
        .check(
            json!({"id": 4, "method": "account/rateLimits/read"}),
            json!({"id": 4, "error": {"code": -32600,
                   "message": "chatgpt authentication required to read rate limits"}}),
        )
        .await;

    client
        .check(
            json!({"id": 5, "method": "account/logout"}),
            json!({"id": 5, "result": {}}),
        )
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/updated", "params": {"authMode": null}})
    );
    assert!(!auth_json.exists(), "{}", client.report());
    check_account(&mut client, 6, Value::Null, true).await;
    client
        .check(
            json!({"id": 7, "method": "account/rateLimits/read"}),
            json!({"id": 7, "error": {"code": -32600,
                   "message": "codex account authentication required to read rate limits"}}),
        )
        .await;
}

#[tokio::test]
async fn a_provider_with_its_own_keys_shows_no_account() {
    let folders = Folders::new();
    folders.write_user_config(
        "model_provider = \"local\"\n\
         [model_providers.local]\n\
         name = \"local\"\n\
         base_url = \"http://127.0.0.1:9/v1\"\n",
    );
    let (_server, mut client) = folders.stdio().await;
    client
        .check(
            json!({"id": 1, "method": "account/login/start",
                   "params": {"type": "apiKey", "apiKey": "sk-1"}}),
            json!({"id": 1, "result": {"type": "apiKey"}}),
        )
        .await;
    assert!(folders.home().join("auth.json").exists());
    // Empty params are the defaults.
    client
        .check(
            json!({"id": 2, "method": "account/read", "params": {}}),
            json!({"id": 2, "result": {"account": null, "requiresOpenaiAuth": false}}),
        )
        .await;
}

#[tokio::test]
async fn api_key_login_is_refused_when_chatgpt_is_forced() {
    let folders = Folders::new();
    folders.write_user_config("forced_login_method = \"chatgpt\"\n");
    let (_server, mut client) = folders.stdio().await;
    client
        .check(
            json!({"id": 2, "method": "account/login/start",
                   "params": {"type": "apiKey", "apiKey": "sk-1"}}),
            json!({"id": 2, "error": {"code": -32600,
                   "message": "API key login is disabled. Use ChatGPT login instead."}}),
        )
        .await;
    assert!(!folders.home().join("auth.json").exists());
    // The refusal announced nothing: the next message is the answer to the next request.
    client
        .send(&json!({"id": 3, "method": "account/logout"}))
        .await;
    assert_eq!(client.next().await, json!({"id": 3, "result": {}}));
}
