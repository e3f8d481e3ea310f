//! Cloud requirements: a Business or Enterprise workspace's `requirements.toml`, fetched at
//! startup and applied above the requirements files; a failed fetch only costs a warning.

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

fn folders_for(backend: &MockChatGptBackend, plan: &str) -> Folders {
    let folders = Folders::new();
    store_chatgpt_login(&folders, plan);
    folders.write_user_config(&format!(
        "chatgpt_base_url = \"{}\"\n",
        backend.backend_api_url()
    ));
    folders
}

async fn requirements(client: &mut crate::suite::serve::Client, id: u64) -> Value {
    let answer = client
        .request(&json!({"id": id, "method": "configRequirements/read"}))
        .await;
    answer["result"]["requirements"].clone()
}

#[tokio::test]
async fn an_enterprise_workspace_gets_its_requirements_above_the_files() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(
        Endpoint::Requirements,
        Canned::json(json!({"contents":
            "allowed_approval_policies = [\"on-request\"]\nallowed_sandbox_modes = [\"read-only\"]\n"})),
    );
    let folders = folders_for(&backend, "enterprise");
    // The system file's approval policies lose to the cloud's; its web search modes stay.
    std::fs::write(
        folders.system().join("requirements.toml"),
        "allowed_approval_policies = [\"never\"]\nallowed_web_search_modes = [\"cached\"]\n",
    )
    .unwrap();
    let (_server, mut client) = serve(&folders, &backend).await;

    let found = requirements(&mut client, 1).await;
    assert_eq!(
        found["allowedApprovalPolicies"],
        json!(["on-request"]),
        "{found}"
    );
    assert_eq!(
        found["allowedSandboxModes"],
        json!(["read-only"]),
        "{found}"
    );
    assert_eq!(
        found["allowedWebSearchModes"],
        json!(["cached", "disabled"]),
        "{found}"
    );

    let requests = backend.requests_to(Endpoint::Requirements);
    assert_eq!(requests.len(), 1, "{requests:#?}");
    assert_eq!(requests[0].path, "/backend-api/wham/config/requirements");
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(requests[0].header("chatgpt-account-id"), Some(ACCOUNT_ID));
    let user_agent = requests[0].header("user-agent").unwrap_or_default();
    assert!(user_agent.starts_with("codex_cli_rs/"), "{user_agent}");

    // A forbidden value in a thread's config overrides is refused, naming the cloud as the
    // requirement's source.
    let answer = client
        .request(&json!({"id": 2, "method": "thread/start",
                         "params": {"config": {"sandbox_mode": "danger-full-access"}}}))
        .await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("cloud requirements"), "{answer}");

    // A second server within the hour takes them from the cache, without asking.
    assert!(
        folders
            .home()
            .join("cloud-requirements-cache.json")
            .exists()
    );
    let (_second, mut client) = serve(&folders, &backend).await;
    let found = requirements(&mut client, 1).await;
    assert_eq!(
        found["allowedApprovalPolicies"],
        json!(["on-request"]),
        "{found}"
    );
    assert_eq!(backend.requests_to(Endpoint::Requirements).len(), 1);
}

#[tokio::test]
async fn other_plans_fetch_nothing() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(
        Endpoint::Requirements,
        Canned::json(json!({"contents": "allowed_sandbox_modes = [\"read-only\"]\n"})),
    );
    let folders = folders_for(&backend, "plus");
    let (_server, mut client) = serve(&folders, &backend).await;
    assert_eq!(requirements(&mut client, 1).await, Value::Null);
    assert_eq!(backend.requests_to(Endpoint::Requirements), Vec::new());
}

#[tokio::test]
async fn a_failing_backend_is_retried_then_the_server_starts_without_them() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(Endpoint::Requirements, Canned::status(500));
    let folders = folders_for(&backend, "business");
    let (mut server, mut client) = serve(&folders, &backend).await;
    assert_eq!(requirements(&mut client, 1).await, Value::Null);
    assert_eq!(backend.requests_to(Endpoint::Requirements).len(), 5);
    let stderr = server
        .wait_for_stderr(|text| text.contains("continuing without them"))
        .await;
    assert!(
        stderr.contains("failed to fetch cloud requirements"),
        "{stderr}"
    );
}
