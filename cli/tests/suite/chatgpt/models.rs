//! `model/list` for a ChatGPT account: the backend's catalogue over the built-in presets, the
//! cache in `models_cache.json`, and the presets when the backend cannot be reached.

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
use crate::suite::serve::Client;

/// A catalogue entry in the shape the backend sends.
fn entry(slug: &str, visibility: &str, priority: i32) -> Value {
    json!({
        "slug": slug,
        "display_name": slug,
        "description": format!("{slug} from the backend"),
        "default_reasoning_level": "medium",
        "supported_reasoning_levels": [
            {"effort": "medium", "description": "balanced"},
            {"effort": "high", "description": "deeper"},
        ],
        "shell_type": "shell_command",
        "visibility": visibility,
        "supported_in_api": true,
        "priority": priority,
        "upgrade": null,
        "base_instructions": "You are a test model.",
        "supports_reasoning_summaries": true,
        "support_verbosity": false,
        "default_verbosity": null,
        "apply_patch_tool_type": "freeform",
        "truncation_policy": {"mode": "tokens", "limit": 10000},
        "supports_parallel_tool_calls": true,
        "context_window": 272000,
        "experimental_supported_tools": [],
        "input_modalities": ["text"],
    })
}

async fn listed(client: &mut Client, id: u64) -> Vec<(String, bool)> {
    let answer = client
        .request(&json!({"id": id, "method": "model/list", "params": {}}))
        .await;
    let data = answer["result"]["data"].as_array().cloned();
    let Some(data) = data else {
        panic!("{answer}\n{}", client.report());
    };
    data.iter()
        .map(|model| {
            (
                model["id"].as_str().unwrap_or_default().to_owned(),
                model["isDefault"] == true,
            )
        })
        .collect()
}

fn ids(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter()
        .map(|(id, default)| ((*id).to_owned(), *default))
        .collect()
}

fn presets() -> Vec<(String, bool)> {
    ids(&[
        ("gpt-5.2-codex", true),
        ("gpt-5.1-codex-max", false),
        ("gpt-5.2", false),
        ("gpt-5.1-codex-mini", false),
    ])
}

#[tokio::test]
async fn the_catalogue_is_laid_over_the_presets_and_cached() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(
        Endpoint::Models,
        Canned::json(json!({"models": [
            entry("gpt-5.3-codex", "list", 0),
            entry("gpt-5.2", "hide", 4),
            entry("gpt-test-hidden", "hide", 3),
        ]}))
        .header("etag", "\"catalogue-1\""),
    );
    let folders = Folders::new();
    store_chatgpt_login(&folders, "pro");
    let (_server, mut client) = serve(&folders, &backend).await;

    let expected = ids(&[
        ("gpt-5.3-codex", true),
        ("gpt-5.2-codex", false),
        ("gpt-5.1-codex-max", false),
        ("gpt-5.1-codex-mini", false),
    ]);
    assert_eq!(listed(&mut client, 1).await, expected);
    let answer = client
        .request(&json!({"id": 2, "method": "model/list", "params": {"limit": 1}}))
        .await;
    assert_eq!(
        answer["result"],
        json!({"data": [{
            "id": "gpt-5.3-codex",
            "model": "gpt-5.3-codex",
            "upgrade": null,
            "displayName": "gpt-5.3-codex",
            "description": "gpt-5.3-codex from the backend",
            "supportedReasoningEfforts": [
                {"reasoningEffort": "medium", "description": "balanced"},
                {"reasoningEffort": "high", "description": "deeper"},
            ],
            "defaultReasoningEffort": "medium",
            "inputModalities": ["text"],
            "supportsPersonality": false,
            "isDefault": true,
        }], "nextCursor": "1"}),
        "{}",
        client.report()
    );

    // The second and third lists came from the cache: one request in all.
    let requests = backend.requests_to(Endpoint::Models);
    assert_eq!(requests.len(), 1, "{requests:#?}");
    let request = &requests[0];
    assert_eq!(request.path, "/backend-api/codex/models");
    assert_eq!(request.query.as_deref(), Some("client_version=0.101.0"));
    assert_eq!(request.header("version"), Some("0.101.0"));
    assert_eq!(request.header("originator"), Some("t"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(request.header("chatgpt-account-id"), Some(ACCOUNT_ID));

    let cache: Value = serde_json::from_str(
        &std::fs::read_to_string(folders.home().join("models_cache.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cache["etag"], "\"catalogue-1\"");
    assert_eq!(cache["client_version"], "0.101.0");
    assert_eq!(cache["models"].as_array().map(Vec::len), Some(3));
    assert!(cache["fetched_at"].is_string(), "{cache}");
}

#[tokio::test]
async fn a_stale_cache_is_refreshed_and_an_unreachable_backend_leaves_what_was_known() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(
        Endpoint::Models,
        Canned::json(json!({"models": [entry("gpt-5.3-codex", "list", 0)]})),
    );
    let folders = Folders::new();
    store_chatgpt_login(&folders, "pro");
    // A cache written long ago by an older client: neither fresh nor of this version.
    std::fs::write(
        folders.home().join("models_cache.json"),
        json!({"fetched_at": "2020-01-01T00:00:00Z", "client_version": "0.100.0",
               "models": [entry("gpt-stale", "list", 0)]})
        .to_string(),
    )
    .unwrap();
    let (_server, mut client) = serve(&folders, &backend).await;
    let with_remote = ids(&[
        ("gpt-5.3-codex", true),
        ("gpt-5.2-codex", false),
        ("gpt-5.1-codex-max", false),
        ("gpt-5.2", false),
        ("gpt-5.1-codex-mini", false),
    ]);
    assert_eq!(listed(&mut client, 1).await, with_remote);

    // The cache goes stale and the backend fails: the catalogue already fetched stays.
    let mut cache: Value = serde_json::from_str(
        &std::fs::read_to_string(folders.home().join("models_cache.json")).unwrap(),
    )
    .unwrap();
    cache["fetched_at"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(folders.home().join("models_cache.json"), cache.to_string()).unwrap();
    backend.set(Endpoint::Models, Canned::status(503));
    assert_eq!(listed(&mut client, 2).await, with_remote);
    assert_eq!(backend.requests_to(Endpoint::Models).len(), 2);
}

#[tokio::test]
async fn without_a_backend_a_fresh_server_lists_the_presets() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(Endpoint::Models, Canned::hang());
    let folders = Folders::new();
    store_chatgpt_login(&folders, "pro");
    let (_server, mut client) = serve(&folders, &backend).await;
    // The request hangs; the five-second bound answers with the presets.
    assert_eq!(listed(&mut client, 1).await, presets());
    assert!(!folders.home().join("models_cache.json").exists());
}

#[tokio::test]
async fn a_model_answer_naming_a_new_catalogue_version_refreshes_it() {
    let live = crate::suite::threads::live::Live::new().await;
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(
        Endpoint::Models,
        Canned::json(json!({"models": [entry("gpt-5.3-codex", "list", 0)]}))
            .header("etag", "\"catalogue-1\""),
    );
    store_chatgpt_login(&live.folders, "pro");
    let (_server, mut client) = live
        .serve_with(&[("OPENAI_BASE_URL", &backend.models_base_url())])
        .await;
    assert_eq!(
        listed(&mut client, 1).await[0],
        ("gpt-5.3-codex".to_owned(), true)
    );

    backend.set(
        Endpoint::Models,
        Canned::json(json!({"models": [entry("gpt-5.4-codex", "list", 0)]}))
            .header("etag", "\"catalogue-2\""),
    );
    live.model.enqueue(
        codex_test_support::Reply::sse(codex_test_support::sse::text_turn("resp-1", "hi"))
            .header("x-models-etag", "\"catalogue-2\""),
    );
    let started = live.start_thread(&mut client, 2, json!({})).await;
    let thread = crate::suite::threads::live::thread_id(&started);
    crate::suite::threads::live::turn(&mut client, 3, &thread, "hello").await;
    backend
        .wait_for(Endpoint::Models, 2, std::time::Duration::from_secs(10))
        .await
        .unwrap_or_else(|err| panic!("{err}\n{}", client.report()));
    // The refreshed catalogue is what the next list shows, from the cache it wrote.
    assert_eq!(
        listed(&mut client, 4).await[0],
        ("gpt-5.4-codex".to_owned(), true)
    );
    assert_eq!(backend.requests_to(Endpoint::Models).len(), 2);
}

#[tokio::test]
async fn with_remote_models_off_the_backend_is_not_asked() {
    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(
        Endpoint::Models,
        Canned::json(json!({"models": [entry("gpt-5.3-codex", "list", 0)]})),
    );
    let folders = Folders::new();
    store_chatgpt_login(&folders, "pro");
    folders.write_user_config("[features]\nremote_models = false\n");
    let (_server, mut client) = serve(&folders, &backend).await;
    assert_eq!(listed(&mut client, 1).await, presets());
    assert_eq!(backend.requests_to(Endpoint::Models), Vec::new());
}
