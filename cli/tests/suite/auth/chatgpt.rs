//! Managed ChatGPT tokens: the account they show, and their renewal at the token endpoint.

use codex_test_support::Reply;
use codex_test_support::jwt::chatgpt_claims;
use codex_test_support::jwt::fake_jwt;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::FRESH;
use super::LONG_AGO;
use super::Setup;
use super::bearers;
use crate::suite::threads::live::thread_id;
use crate::suite::threads::live::turn;

fn account_read(id: u64, refresh: bool) -> Value {
    json!({"id": id, "method": "account/read", "params": {"refreshToken": refresh}})
}

fn chatgpt_account(id: u64, email: &str, plan: &str) -> Value {
    json!({"id": id, "result": {
        "account": {"type": "chatgpt", "email": email, "planType": plan},
        "requiresOpenaiAuth": true,
    }})
}

#[tokio::test]
async fn account_read_shows_the_chatgpt_account_from_the_id_token() {
    let setup = Setup::new().await;
    setup.store_chatgpt("access-1", FRESH);
    let (_server, mut client) = setup.serve(false, &[]).await;
    client
        .check(
            account_read(1, false),
            chatgpt_account(1, "user@example.com", "pro"),
        )
        .await;

    // Written by another process meanwhile: seen at the next read. `education` is `edu`.
    let mut stored = setup.stored();
    stored["tokens"]["id_token"] = json!(fake_jwt(&chatgpt_claims(
        "student@example.com",
        "education",
        "acc-1"
    )));
    std::fs::write(setup.auth_json(), stored.to_string()).unwrap();
    client
        .check(
            account_read(2, false),
            chatgpt_account(2, "student@example.com", "edu"),
        )
        .await;

    stored["tokens"]["id_token"] = json!(fake_jwt(&json!({
        "https://api.openai.com/auth": {"chatgpt_plan_type": "pro"},
    })));
    std::fs::write(setup.auth_json(), stored.to_string()).unwrap();
    client
        .check(
            account_read(3, false),
            json!({"id": 3, "error": {"code": -32600,
                   "message": "email and plan type are required for chatgpt authentication"}}),
        )
        .await;
    assert_eq!(setup.tokens.requests(), Vec::<Value>::new());
}

#[tokio::test]
async fn tokens_older_than_eight_days_are_refreshed_before_use() {
    let setup = Setup::new().await;
    setup.store_chatgpt("access-1", LONG_AGO);
    setup
        .tokens
        .enqueue_tokens(None, Some("access-2"), Some("refresh-2"));
    let (_server, mut client) = setup.serve(false, &[]).await;
    client
        .check(
            json!({"id": 1, "method": "getAuthStatus", "params": {"includeToken": true}}),
            json!({"id": 1, "result": {
                "authMethod": "chatgpt", "authToken": "access-2", "requiresOpenaiAuth": true,
            }}),
        )
        .await;
    assert_eq!(
        setup.tokens.requests(),
        vec![json!({
            "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
            "grant_type": "refresh_token",
            "refresh_token": "refresh-1",
            "scope": "openid profile email",
        })]
    );
    let stored = setup.stored();
    assert_eq!(stored["tokens"]["access_token"], "access-2");
    assert_eq!(stored["tokens"]["refresh_token"], "refresh-2");
    // The id token was not in the answer: kept.
    assert_eq!(
        stored["tokens"]["id_token"],
        json!(fake_jwt(&chatgpt_claims(
            "user@example.com",
            "pro",
            "acc-1"
        )))
    );
    assert_ne!(stored["last_refresh"], LONG_AGO);

    // Fresh now: asking again sends nothing.
    client
        .check(
            json!({"id": 2, "method": "getAuthStatus", "params": {}}),
            json!({"id": 2, "result": {
                "authMethod": "chatgpt", "authToken": null, "requiresOpenaiAuth": true,
            }}),
        )
        .await;
    assert_eq!(setup.tokens.requests().len(), 1);
}

#[tokio::test]
async fn account_read_refreshes_when_asked_and_only_logs_a_failure() {
    let setup = Setup::new().await;
    setup.store_chatgpt("access-1", FRESH);
    setup.tokens.enqueue(
        401,
        json!({"error": {"code": "refresh_token_expired", "message": "expired"}}),
    );
    let (_server, mut client) = setup.serve(false, &[]).await;
    client
        .check(
            account_read(1, true),
            chatgpt_account(1, "user@example.com", "pro"),
        )
        .await;
    assert_eq!(setup.tokens.requests().len(), 1);
    assert_eq!(setup.stored()["tokens"]["access_token"], "access-1");

    let renewed = fake_jwt(&chatgpt_claims("new@example.com", "plus", "acc-1"));
    setup
        .tokens
        .enqueue_tokens(Some(&renewed), Some("access-2"), None);
    client
        .check(
            account_read(2, true),
            chatgpt_account(2, "new@example.com", "plus"),
        )
        .await;
    let stored = setup.stored();
    assert_eq!(stored["tokens"]["id_token"], json!(renewed));
    assert_eq!(stored["tokens"]["access_token"], "access-2");
    assert_eq!(stored["tokens"]["refresh_token"], "refresh-1");
}

#[tokio::test]
async fn a_401_from_the_model_reloads_then_refreshes_then_retries() {
    let setup = Setup::new().await;
    setup.use_mock_model("");
    setup.store_chatgpt("access-1", FRESH);
    setup.model.enqueue(Reply::status(401));
    setup.model.enqueue(Reply::status(401));
    setup
        .model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "Hello")));
    setup.tokens.enqueue_tokens(None, Some("access-2"), None);
    let (_server, mut client) = setup.serve(false, &[]).await;

    let answer = client
        .request(&json!({"id": 1, "method": "thread/start", "params": {"cwd": setup.work}}))
        .await;
    let thread = thread_id(&answer["result"]);
    let (_turn, seen) = turn(&mut client, 2, &thread, "hi").await;
    let completed = &seen[seen.len() - 1]["params"]["turn"];
    assert_eq!(completed["status"], "completed", "{}", client.report());
    // The first 401 reloads (the same account is stored) and tries again; the second
    // refreshes.
    assert_eq!(
        bearers(&setup.model),
        vec!["Bearer access-1", "Bearer access-1", "Bearer access-2"]
    );
    assert_eq!(setup.tokens.requests().len(), 1);
    assert_eq!(setup.stored()["tokens"]["access_token"], "access-2");
    // The model requests also carry the account.
    let requests = setup.model.requests();
    assert_eq!(requests[2].header("chatgpt-account-id"), Some("acc-1"));
}

#[tokio::test]
async fn a_spent_refresh_token_fails_the_turn_in_the_reference_words() {
    let setup = Setup::new().await;
    setup.use_mock_model("");
    setup.store_chatgpt("access-1", FRESH);
    setup.model.enqueue(Reply::status(401));
    setup.model.enqueue(Reply::status(401));
    setup
        .tokens
        .enqueue(401, json!({"error": {"code": "refresh_token_expired"}}));
    let (_server, mut client) = setup.serve(false, &[]).await;

    let answer = client
        .request(&json!({"id": 1, "method": "thread/start", "params": {"cwd": setup.work}}))
        .await;
    let thread = thread_id(&answer["result"]);
    let (_turn, seen) = turn(&mut client, 2, &thread, "hi").await;
    let error = seen
        .iter()
        .find(|message| message["method"] == "error")
        .unwrap_or_else(|| panic!("no error notification\n{}", client.report()));
    assert_eq!(
        error["params"]["error"]["message"],
        "Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again."
    );
    assert_eq!(error["params"]["error"]["codexErrorInfo"], "unauthorized");
    assert_eq!(error["params"]["willRetry"], false);
    assert_eq!(seen[seen.len() - 1]["params"]["turn"]["status"], "failed");
    assert_eq!(bearers(&setup.model).len(), 2);
}
