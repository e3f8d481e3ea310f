//! The v1 account methods, in the shapes and order the reference sends them.

use pretty_assertions::assert_eq;
use serde_json::json;

use super::FRESH;
use super::Setup;

#[tokio::test]
async fn v1_login_status_user_info_and_logout() {
    let setup = Setup::new().await;
    let (_server, mut client) = setup.serve(false, &[]).await;
    client
        .check(
            json!({"id": 1, "method": "getAuthStatus", "params": {}}),
            json!({"id": 1, "result": {
                "authMethod": null, "authToken": null, "requiresOpenaiAuth": true,
            }}),
        )
        .await;
    client
        .check(
            json!({"id": 2, "method": "loginApiKey", "params": {"apiKey": "sk-abc"}}),
            json!({"id": 2, "result": {}}),
        )
        .await;
    // Only the v1 notification: no account/login/completed nor account/updated.
    assert_eq!(
        client.next().await,
        json!({"method": "authStatusChange", "params": {"authMethod": "apikey"}})
    );
    client
        .check(
            json!({"id": 3, "method": "getAuthStatus", "params": {"includeToken": true}}),
            json!({"id": 3, "result": {
                "authMethod": "apikey", "authToken": "sk-abc", "requiresOpenaiAuth": true,
            }}),
        )
        .await;
    client
        .check(
            json!({"id": 4, "method": "userInfo"}),
            json!({"id": 4, "result": {"allegedUserEmail": null}}),
        )
        .await;
    client
        .check(
            json!({"id": 5, "method": "logoutChatGpt"}),
            json!({"id": 5, "result": {}}),
        )
        .await;
    assert_eq!(
        client.next().await,
        json!({"method": "authStatusChange", "params": {"authMethod": null}})
    );
    assert!(!setup.auth_json().exists());
    client
        .check(
            json!({"id": 6, "method": "getAuthStatus",
                   "params": {"includeToken": true, "refreshToken": true}}),
            json!({"id": 6, "result": {
                "authMethod": null, "authToken": null, "requiresOpenaiAuth": true,
            }}),
        )
        .await;
}

#[tokio::test]
async fn v1_user_info_reads_the_chatgpt_email_and_providers_with_keys_need_no_auth() {
    let setup = Setup::new().await;
    setup.store_chatgpt("access-1", FRESH);
    setup.use_mock_model("");
    let (_server, mut client) = setup.serve(false, &[]).await;
    client
        .check(
            json!({"id": 1, "method": "userInfo"}),
            json!({"id": 1, "result": {"allegedUserEmail": "user@example.com"}}),
        )
        .await;
    // The mock provider does not authenticate with OpenAI credentials.
    client
        .check(
            json!({"id": 2, "method": "getAuthStatus", "params": {"includeToken": true}}),
            json!({"id": 2, "result": {
                "authMethod": null, "authToken": null, "requiresOpenaiAuth": false,
            }}),
        )
        .await;
}
