//! `account/rateLimits/read` for a ChatGPT account.

use codex_test_support::chatgpt::Canned;
use codex_test_support::chatgpt::Endpoint;
use codex_test_support::chatgpt::MockChatGptBackend;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::ACCESS_TOKEN;
use super::ACCOUNT_ID;
use super::serve;
use super::store_chatgpt_login;
use crate::suite::config::Folders;

fn usage() -> Value {
    json!({
        "plan_type": "plus",
        "rate_limit": {
            "allowed": true,
            "limit_reached": false,
            "primary_window": {"used_percent": 12, "limit_window_seconds": 18000,
                               "reset_after_seconds": 100, "reset_at": 1_800_000_000},
            "secondary_window": {"used_percent": 40, "limit_window_seconds": 604_799,
                                 "reset_after_seconds": 100, "reset_at": 1_800_500_000},
        },
        "credits": {"has_credits": true, "unlimited": false, "balance": "12.5"},
        "additional_rate_limits": [{
            "limit_name": "GPT-5.1-Codex-Mini",
            "metered_feature": "codex_mini",
            "rate_limit": {"allowed": true, "limit_reached": false,
                           "primary_window": {"used_percent": 3, "limit_window_seconds": 0,
                                              "reset_after_seconds": 0, "reset_at": 7}},
        }],
    })
}

fn codex_snapshot() -> Value {
    json!({
        "limitId": "codex",
        "limitName": null,
        "primary": {"usedPercent": 12, "windowDurationMins": 300, "resetsAt": 1_800_000_000},
        "secondary": {"usedPercent": 40, "windowDurationMins": 10080, "resetsAt": 1_800_500_000},
        "credits": {"hasCredits": true, "unlimited": false, "balance": "12.5"},
        "planType": "plus",
    })
}

#[tokio::test]
async fn a_chatgpt_account_reads_its_limits_from_the_wham_usage_path() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(Endpoint::Usage, Canned::json(usage()));
    let folders = Folders::new();
    store_chatgpt_login(&folders, "plus");
    folders.write_user_config(&format!(
        "chatgpt_base_url = \"{}\"\n",
        backend.backend_api_url()
    ));
    let (_server, mut client) = serve(&folders, &backend).await;

    client
        .check(
            json!({"id": 1, "method": "account/rateLimits/read"}),
            json!({"id": 1, "result": {
                "rateLimits": codex_snapshot(),
                "rateLimitsByLimitId": {
                    "codex": codex_snapshot(),
                    "codex_mini": {
                        "limitId": "codex_mini",
                        "limitName": "GPT-5.1-Codex-Mini",
                        "primary": {"usedPercent": 3, "windowDurationMins": null, "resetsAt": 7},
                        "secondary": null,
                        "credits": null,
                        "planType": "plus",
                    },
                },
            }}),
        )
        .await;

    let requests = backend.requests_to(Endpoint::Usage);
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!(request.path, "/backend-api/wham/usage");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(request.header("chatgpt-account-id"), Some(ACCOUNT_ID));
    let user_agent = request.header("user-agent").unwrap_or_default();
    assert!(
        user_agent.starts_with("t/") && user_agent.ends_with("(t; 1)"),
        "user agent {user_agent:?}"
    );
}

#[tokio::test]
async fn a_base_outside_backend_api_uses_the_codex_api_path_and_failures_are_internal_errors() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(Endpoint::Usage, Canned::json(json!({"plan_type": "pro"})));
    let folders = Folders::new();
    store_chatgpt_login(&folders, "pro");
    folders.write_user_config(&format!("chatgpt_base_url = \"{}\"\n", backend.url()));
    let (_server, mut client) = serve(&folders, &backend).await;

    let bare = json!({"limitId": "codex", "limitName": null, "primary": null,
                      "secondary": null, "credits": null, "planType": "pro"});
    client
        .check(
            json!({"id": 1, "method": "account/rateLimits/read"}),
            json!({"id": 1, "result": {"rateLimits": bare,
                                       "rateLimitsByLimitId": {"codex": bare}}}),
        )
        .await;
    assert_eq!(
        backend.requests_to(Endpoint::Usage)[0].path,
        "/api/codex/usage"
    );

    backend.set(Endpoint::Usage, Canned::status(500));
    let answer = client
        .request(&json!({"id": 2, "method": "account/rateLimits/read"}))
        .await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    assert!(
        message.starts_with(&format!(
            "failed to fetch codex rate limits: GET {}/api/codex/usage failed: 500",
            backend.url()
        )),
        "{message}"
    );
}
