//! ChatGPT tokens a client hands over (`chatgptAuthTokens`, experimental): kept in memory only,
//! they shut out other logins, and a 401 from the model asks the client for new ones.

use codex_test_support::Reply;
use codex_test_support::jwt::chatgpt_claims;
use codex_test_support::jwt::fake_jwt;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::Setup;
use super::bearers;
use super::next_notification;
use crate::suite::serve::Client;
use crate::suite::threads::live::start_turn;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::until_turn_completed;

const EXTERNAL_ACTIVE: &str = "External auth is active. Use account/login/start (chatgptAuthTokens) to update it or account/logout to clear it.";

fn login(id: u64, access_token: &str, account: &str) -> Value {
    json!({"id": id, "method": "account/login/start", "params": {
        "type": "chatgptAuthTokens", "accessToken": access_token, "chatgptAccountId": account,
    }})
}

fn ext_token() -> String {
    fake_jwt(&json!({
        "email": "ext@example.com",
        "https://api.openai.com/auth": {"chatgpt_plan_type": "plus"},
    }))
}

/// Logs in with [`ext_token`] for account `ws-1` and checks the answer and announcements.
async fn login_external(client: &mut Client, id: u64) {
    client
        .check(
            login(id, &ext_token(), "ws-1"),
            json!({"id": id, "result": {"type": "chatgptAuthTokens"}}),
        )
        .await;
    assert_eq!(
        next_notification(client).await,
        json!({"method": "account/login/completed",
               "params": {"loginId": null, "success": true, "error": null}})
    );
    assert_eq!(
        next_notification(client).await,
        json!({"method": "account/updated", "params": {"authMode": "chatgptAuthTokens"}})
    );
}

/// Reads up to the server's next `account/chatgptAuthTokens/refresh` request and returns it.
async fn refresh_request(client: &mut Client) -> Value {
    loop {
        let message = client.next().await;
        if message["method"] == "account/chatgptAuthTokens/refresh" && message.get("id").is_some() {
            return message;
        }
    }
}

#[tokio::test]
async fn external_tokens_need_the_experimental_api() {
    let setup = Setup::new().await;
    let (_server, mut client) = setup.serve(false, &[]).await;
    client
        .check(
            login(1, &ext_token(), "ws-1"),
            json!({"id": 1, "error": {"code": -32600, "message":
                   "account/login/start.chatgptAuthTokens requires experimentalApi capability"}}),
        )
        .await;
}

#[tokio::test]
async fn external_tokens_live_in_memory_and_shut_out_other_logins() {
    let setup = Setup::new().await;
    let (_server, mut client) = setup.serve(true, &[]).await;
    client
        .check(
            login(1, "x.y.z", "ws-1"),
            json!({"id": 1, "error": {"code": -32603,
                   "message": "failed to set external auth: Invalid input length: 1"}}),
        )
        .await;
    login_external(&mut client, 2).await;
    client
        .check(
            json!({"id": 3, "method": "account/read", "params": {}}),
            json!({"id": 3, "result": {
                "account": {"type": "chatgpt", "email": "ext@example.com", "planType": "plus"},
                "requiresOpenaiAuth": true,
            }}),
        )
        .await;
    assert!(!setup.auth_json().exists(), "{}", client.report());

    let refused =
        |id: u64| json!({"id": id, "error": {"code": -32600, "message": EXTERNAL_ACTIVE}});
    client
        .check(
            json!({"id": 4, "method": "account/login/start",
                   "params": {"type": "apiKey", "apiKey": "sk-1"}}),
            refused(4),
        )
        .await;
    client
        .check(
            json!({"id": 5, "method": "loginApiKey", "params": {"apiKey": "sk-1"}}),
            refused(5),
        )
        .await;
    client
        .check(
            json!({"id": 6, "method": "account/login/start", "params": {"type": "chatgpt"}}),
            refused(6),
        )
        .await;
    client
        .check(
            json!({"id": 7, "method": "getAuthStatus", "params": {"includeToken": true}}),
            json!({"id": 7, "result": {"authMethod": "chatgptAuthTokens",
                   "authToken": ext_token(), "requiresOpenaiAuth": true}}),
        )
        .await;
    client
        .check(
            json!({"id": 8, "method": "userInfo"}),
            json!({"id": 8, "result": {"allegedUserEmail": "ext@example.com"}}),
        )
        .await;
    client
        .check(
            json!({"id": 9, "method": "account/logout"}),
            json!({"id": 9, "result": {}}),
        )
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/updated", "params": {"authMode": null}})
    );
    client
        .check(
            json!({"id": 10, "method": "account/read", "params": {}}),
            json!({"id": 10, "result": {"account": null, "requiresOpenaiAuth": true}}),
        )
        .await;
}

#[tokio::test]
async fn the_config_can_refuse_external_tokens() {
    let setup = Setup::new().await;
    setup
        .folders
        .write_user_config("forced_chatgpt_workspace_id = \"ws-expected\"\n");
    let (_server, mut client) = setup.serve(true, &[]).await;
    client
        .check(
            login(1, &ext_token(), "ws-1"),
            json!({"id": 1, "error": {"code": -32600, "message":
                   "External auth must use workspace ws-expected, but received \"ws-1\"."}}),
        )
        .await;
    drop(client);

    setup
        .folders
        .write_user_config("forced_login_method = \"api\"\n");
    let (_server, mut client) = setup.serve(true, &[]).await;
    client
        .check(
            login(1, &ext_token(), "ws-1"),
            json!({"id": 1, "error": {"code": -32600, "message":
                   "External ChatGPT auth is disabled. Use API key login instead."}}),
        )
        .await;
}

/// Logs in with external tokens, starts a thread and a turn that the model answers 401, and
/// returns the refresh request the server sent the client, with the thread's id.
async fn turn_refused(setup: &Setup, client: &mut Client) -> Value {
    login_external(client, 1).await;
    let answer = client
        .request(&json!({"id": 2, "method": "thread/start", "params": {"cwd": setup.work}}))
        .await;
    let thread = thread_id(&answer["result"]);
    start_turn(client, 3, &thread, "hi").await;
    let request = refresh_request(client).await;
    assert_eq!(
        request["params"],
        json!({"reason": "unauthorized", "previousAccountId": "ws-1"}),
        "{}",
        client.report()
    );
    request
}

#[tokio::test]
async fn a_401_asks_the_client_for_new_tokens_and_retries_once() {
    let setup = Setup::new().await;
    setup.use_mock_model("");
    // The mock provider asks for OpenAI credentials, so `account/read` shows the account.
    let config = setup.folders.read_user_config();
    setup
        .folders
        .write_user_config(&format!("{config}requires_openai_auth = true\n"));
    setup.model.enqueue(Reply::status(401));
    setup
        .model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "Hello")));
    let (_server, mut client) = setup.serve(true, &[]).await;
    let request = turn_refused(&setup, &mut client).await;

    let renewed = fake_jwt(&chatgpt_claims("renewed@example.com", "team", "ws-1"));
    client
        .respond(
            &request["id"],
            json!({"accessToken": renewed, "chatgptAccountId": "ws-1", "chatgptPlanType": "pro"}),
        )
        .await;
    let seen = until_turn_completed(&mut client).await;
    assert_eq!(
        seen[seen.len() - 1]["params"]["turn"]["status"],
        "completed",
        "{}",
        client.report()
    );
    assert_eq!(
        bearers(&setup.model),
        vec![
            format!("Bearer {}", ext_token()),
            format!("Bearer {renewed}")
        ]
    );
    // The plan the client named wins over the token's.
    client
        .check(
            json!({"id": 4, "method": "account/read", "params": {}}),
            json!({"id": 4, "result": {
                "account": {"type": "chatgpt", "email": "renewed@example.com", "planType": "pro"},
                "requiresOpenaiAuth": true,
            }}),
        )
        .await;
    assert!(!setup.auth_json().exists());
}

/// The turn's error notification and its final status.
async fn failed_turn(client: &mut Client) -> (Value, Value) {
    let seen = until_turn_completed(client).await;
    let error = seen
        .iter()
        .find(|message| message["method"] == "error")
        .unwrap_or_else(|| panic!("no error notification\n{}", client.report()))
        .clone();
    (
        error,
        seen[seen.len() - 1]["params"]["turn"]["status"].clone(),
    )
}

#[tokio::test]
async fn an_error_answer_to_the_refresh_fails_the_turn() {
    let setup = Setup::new().await;
    setup.use_mock_model("");
    setup.model.enqueue(Reply::status(401));
    let (_server, mut client) = setup.serve(true, &[]).await;
    let request = turn_refused(&setup, &mut client).await;
    client
        .send(&json!({"id": request["id"], "error": {"code": -32000, "message": "no tokens"}}))
        .await;
    let (error, status) = failed_turn(&mut client).await;
    assert_eq!(
        error["params"]["error"],
        json!({"message": "auth refresh request canceled: channel closed",
               "codexErrorInfo": "other", "additionalDetails": null})
    );
    assert_eq!(error["params"]["willRetry"], false);
    assert_eq!(status, "failed");
    assert_eq!(bearers(&setup.model).len(), 1);
}

#[tokio::test]
async fn an_unanswered_refresh_times_out_and_fails_the_turn() {
    let setup = Setup::new().await;
    setup.use_mock_model("");
    setup.model.enqueue(Reply::status(401));
    // The reference waits 10 s; the override shortens the wait for the test.
    let (_server, mut client) = setup
        .serve(true, &[("CODEX_APP_SERVER_AUTH_REFRESH_TIMEOUT_MS", "300")])
        .await;
    turn_refused(&setup, &mut client).await;
    let (error, status) = failed_turn(&mut client).await;
    assert_eq!(
        error["params"]["error"]["message"],
        "auth refresh request timed out after 0.3s"
    );
    assert_eq!(error["params"]["error"]["codexErrorInfo"], "other");
    assert_eq!(status, "failed");
}
