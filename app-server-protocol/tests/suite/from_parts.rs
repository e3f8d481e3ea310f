//! `ClientRequest::from_parts`: the typed request the server dispatches on, built from the id,
//! method and params of an envelope.

use codex_app_server_protocol::ClientRequest;
use codex_app_server_protocol::NoParams;
use codex_app_server_protocol::ParseError;
use codex_app_server_protocol::RequestId;
use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

fn check(method: &str, params: Option<Value>, expected: ClientRequest) {
    let id = expected.id().clone();
    let context = format!("{method} with params {params:?}");
    match ClientRequest::from_parts(id, method, params) {
        Ok(request) => assert_eq!(request, expected, "{context}"),
        Err(err) => panic!("{context}: refused with {err:?}"),
    }
}

/// What `from_parts` refuses a request with, in a comparable form.
#[derive(Debug, PartialEq)]
enum Refusal {
    UnknownMethod(String),
    /// serde's message.
    InvalidParams(String),
}

fn check_refused(method: &str, params: Option<Value>, expected: Refusal) {
    let context = format!("{method} with params {params:?}");
    let refusal = match ClientRequest::from_parts(RequestId::Integer(1), method, params) {
        Ok(request) => panic!("{context}: accepted as {request:?}"),
        Err(ParseError::UnknownMethod(name)) => Refusal::UnknownMethod(name),
        Err(ParseError::InvalidParams(err)) => Refusal::InvalidParams(err.to_string()),
    };
    assert_eq!(refusal, expected, "{context}");
}

fn empty_thread_start() -> v2::ThreadStartParams {
    v2::ThreadStartParams {
        model: None,
        model_provider: None,
        cwd: None,
        approval_policy: None,
        sandbox: None,
        config: None,
        base_instructions: None,
        developer_instructions: None,
        personality: None,
        ephemeral: None,
        experimental_raw_events: false,
        dynamic_tools: None,
        mock_experimental_field: None,
    }
}

fn empty_thread_list() -> v2::ThreadListParams {
    v2::ThreadListParams {
        cursor: None,
        limit: None,
        sort_key: None,
        model_providers: None,
        source_kinds: None,
        archived: None,
    }
}

#[test]
fn methods_whose_params_are_all_optional_take_empty_or_absent_params() {
    let id = RequestId::Integer(1);
    // Every member absent, the params object present.
    check(
        "thread/start",
        Some(json!({})),
        ClientRequest::ThreadStart {
            id: id.clone(),
            params: empty_thread_start(),
        },
    );
    // No `params` member at all reads like `{}`.
    check(
        "thread/start",
        None,
        ClientRequest::ThreadStart {
            id: id.clone(),
            params: empty_thread_start(),
        },
    );
    check(
        "thread/list",
        None,
        ClientRequest::ThreadList {
            id: id.clone(),
            params: empty_thread_list(),
        },
    );
    check(
        "thread/list",
        Some(json!({"limit": 5, "archived": true})),
        ClientRequest::ThreadList {
            id: RequestId::String("list-1".to_string()),
            params: v2::ThreadListParams {
                limit: Some(5),
                archived: Some(true),
                ..empty_thread_list()
            },
        },
    );
}

#[test]
fn methods_without_params_take_absent_null_or_empty_params() {
    for params in [None, Some(Value::Null), Some(json!({}))] {
        check(
            "account/logout",
            params,
            ClientRequest::LogoutAccount {
                id: RequestId::Integer(7),
                params: NoParams,
            },
        );
    }
    check(
        "config/mcpServer/reload",
        None,
        ClientRequest::McpServerRefresh {
            id: RequestId::String("r".to_string()),
            params: NoParams,
        },
    );
}

#[test]
fn initialize_carries_client_info_and_capabilities() {
    check(
        "initialize",
        Some(json!({
            "clientInfo": {"name": "parity", "title": "Parity Harness", "version": "1.0.0"},
            "capabilities": {"experimentalApi": true, "optOutNotificationMethods": ["item/agentMessage/delta"]},
        })),
        ClientRequest::Initialize {
            id: RequestId::Integer(0),
            params: v1::InitializeParams {
                client_info: v1::ClientInfo {
                    name: "parity".to_string(),
                    title: Some("Parity Harness".to_string()),
                    version: "1.0.0".to_string(),
                },
                capabilities: Some(v1::InitializeCapabilities {
                    experimental_api: true,
                    opt_out_notification_methods: Some(vec!["item/agentMessage/delta".to_string()]),
                }),
            },
        },
    );
    check(
        "initialize",
        Some(json!({"clientInfo": {"name": "again", "title": null, "version": "2"}})),
        ClientRequest::Initialize {
            id: RequestId::Integer(0),
            params: v1::InitializeParams {
                client_info: v1::ClientInfo {
                    name: "again".to_string(),
                    title: None,
                    version: "2".to_string(),
                },
                capabilities: None,
            },
        },
    );
}

#[test]
fn unknown_methods_are_refused_by_name() {
    check_refused(
        "bogus/method",
        Some(json!({})),
        Refusal::UnknownMethod("bogus/method".into()),
    );
    check_refused(
        "thread/frobnicate",
        None,
        Refusal::UnknownMethod("thread/frobnicate".into()),
    );
    // Methods are matched exactly: no case folding, no trimming.
    check_refused(
        "Thread/List",
        None,
        Refusal::UnknownMethod("Thread/List".into()),
    );
    // A notification's method is not a request's.
    check_refused(
        "initialized",
        None,
        Refusal::UnknownMethod("initialized".into()),
    );
}

#[test]
fn bad_params_are_refused_with_serde_message() {
    // serde_json's messages for a value of the wrong type do not name the member; the reference
    // server's do not either (its example: `invalid type: integer `42`, expected a string` for
    // `thread/start` with `"cwd": 42`).
    check_refused(
        "thread/read",
        Some(json!({"threadId": 7})),
        Refusal::InvalidParams("invalid type: integer `7`, expected a string".into()),
    );
    // A missing member is named.
    check_refused(
        "thread/read",
        Some(json!({})),
        Refusal::InvalidParams("missing field `threadId`".into()),
    );
    check_refused(
        "thread/read",
        None,
        Refusal::InvalidParams("missing field `threadId`".into()),
    );
    check_refused(
        "thread/list",
        Some(json!({"limit": "ten"})),
        Refusal::InvalidParams("invalid type: string \"ten\", expected u32".into()),
    );
    check_refused(
        "account/logout",
        Some(json!({"everywhere": true})),
        Refusal::InvalidParams("this method takes no params, got `everywhere`".into()),
    );
    check_refused(
        "thread/start",
        Some(json!("defaults")),
        Refusal::InvalidParams(
            "invalid type: string \"defaults\", expected struct ThreadStartParams".into(),
        ),
    );
}
