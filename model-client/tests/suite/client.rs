//! The model clients against the mock model server: request bodies and headers, streamed
//! events, HTTP errors, retries, broken and silent streams, Chat Completions.

use std::time::Duration;

use codex_config::ModelProviderToml;
use codex_config::WireApi;
use codex_model_client::auth::RequestAuth;
use codex_model_client::client::model_client;
use codex_model_client::model::ModelClient;
use codex_model_client::model::ModelError;
use codex_model_client::model::Prompt;
use codex_model_client::model::ReasoningSettings;
use codex_model_client::model::ResponseEvent;
use codex_model_client::provider::ModelProviderInfo;
use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::config_types::ReasoningSummary;
use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::CodexErrorInfo;
use codex_protocol::protocol::RateLimitSnapshot;
use codex_protocol::protocol::TokenUsage;
use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::chat;
use codex_test_support::sse;
use futures::StreamExt;
use pretty_assertions::assert_eq;
use serde_json::json;

fn provider(base_url: &str, wire_api: WireApi) -> ModelProviderInfo {
    let toml = ModelProviderToml {
        base_url: Some(base_url.to_owned()),
        wire_api: Some(wire_api),
        request_max_retries: Some(2),
        ..ModelProviderToml::default()
    };
    let mut provider = ModelProviderInfo::from_toml("mock", &toml);
    provider.retry_base_delay = Duration::from_millis(1);
    provider
}

fn client(provider: ModelProviderInfo) -> std::sync::Arc<dyn ModelClient> {
    let auth = RequestAuth {
        bearer_token: Some("sk-test".to_owned()),
        chatgpt_account_id: None,
    };
    model_client(provider, auth).unwrap()
}

fn user(text: &str) -> ResponseItem {
    ResponseItem::Message {
        id: None,
        role: "user".to_owned(),
        content: vec![ContentItem::InputText {
            text: text.to_owned(),
        }],
        end_turn: None,
        phase: None,
    }
}

fn prompt() -> Prompt {
    Prompt {
        model: "gpt-5.1-codex".to_owned(),
        instructions: "Be brief.".to_owned(),
        input: vec![user("hi")],
        tools: Vec::new(),
        parallel_tool_calls: false,
        reasoning: None,
        verbosity: None,
        output_schema: None,
        cache_key: None,
    }
}

fn shell_tool() -> serde_json::Value {
    json!({
        "type": "function",
        "name": "shell",
        "description": "Runs a command.",
        "strict": false,
        "parameters": { "type": "object", "properties": { "command": { "type": "string" } } },
    })
}

/// Every event of the answer, or the error that ended it.
async fn run(client: &dyn ModelClient, prompt: &Prompt) -> Result<Vec<ResponseEvent>, ModelError> {
    let mut stream = client.stream(prompt).await?;
    let mut events = Vec::new();
    while let Some(event) = stream.next().await {
        events.push(event?);
    }
    Ok(events)
}

fn completed(events: &[ResponseEvent]) -> &ResponseEvent {
    events.last().unwrap()
}

#[tokio::test]
async fn responses_request_with_reasoning_and_tools() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hello there")));
    let mut provider = provider(&server.base_url(), WireApi::Responses);
    provider
        .query_params
        .insert("api-version".into(), "1".into());
    provider.http_headers.insert("x-extra".into(), "yes".into());
    let client = client(provider);
    let prompt = Prompt {
        tools: vec![shell_tool()],
        parallel_tool_calls: true,
        reasoning: Some(ReasoningSettings {
            effort: Some(ReasoningEffort::Medium),
            summary: Some(ReasoningSummary::Auto),
        }),
        cache_key: Some("thread-1".to_owned()),
        ..prompt()
    };
    let events = run(client.as_ref(), &prompt).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/v1/responses");
    assert_eq!(request.query.as_deref(), Some("api-version=1"));
    assert_eq!(request.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(request.header("x-extra"), Some("yes"));
    assert_eq!(
        request.header("openai-beta"),
        Some("responses=experimental")
    );
    assert_eq!(request.header("session_id"), Some("thread-1"));
    assert_eq!(
        request.json.clone().unwrap(),
        json!({
            "model": "gpt-5.1-codex",
            "instructions": "Be brief.",
            "input": [{ "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "hi" }] }],
            "tools": [shell_tool()],
            "tool_choice": "auto",
            "parallel_tool_calls": true,
            "reasoning": { "effort": "medium", "summary": "auto" },
            "store": false,
            "stream": true,
            "include": ["reasoning.encrypted_content"],
            "prompt_cache_key": "thread-1",
        })
    );

    // The limits come first, empty when the server sends no rate-limit headers.
    assert_eq!(
        events[0],
        ResponseEvent::RateLimits(RateLimitSnapshot {
            limit_id: Some("codex".to_owned()),
            limit_name: None,
            primary: None,
            secondary: None,
            credits: None,
            plan_type: None,
        })
    );
    assert_eq!(events[1], ResponseEvent::Created);
    let text: String = events
        .iter()
        .filter_map(|event| match event {
            ResponseEvent::OutputTextDelta(delta) => Some(delta.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "Hello there");
    assert!(
        events.iter().any(|event| matches!(
            event,
            ResponseEvent::OutputItemDone(ResponseItem::Message { role, .. }) if role == "assistant"
        )),
        "{events:#?}"
    );
    assert_eq!(
        completed(&events),
        &ResponseEvent::Completed {
            response_id: "resp-1".to_owned(),
            token_usage: Some(TokenUsage {
                input_tokens: 10,
                cached_input_tokens: 0,
                output_tokens: 5,
                reasoning_output_tokens: 0,
                total_tokens: 15,
            }),
        }
    );
}

#[tokio::test]
async fn responses_request_without_reasoning() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "ok")));
    let client = client(provider(&server.base_url(), WireApi::Responses));
    run(client.as_ref(), &prompt()).await.unwrap();
    let body = server.requests()[0].json.clone().unwrap();
    assert_eq!(
        body,
        json!({
            "model": "gpt-5.1-codex",
            "instructions": "Be brief.",
            "input": [{ "type": "message", "role": "user", "content": [{ "type": "input_text", "text": "hi" }] }],
            "tools": [],
            "tool_choice": "auto",
            "parallel_tool_calls": false,
            "reasoning": null,
            "store": false,
            "stream": true,
            "include": [],
        })
    );
}

#[tokio::test]
async fn reasoning_events_are_streamed() {
    let server = MockModelServer::start().await.unwrap();
    let turn = sse::Turn::new("resp-1")
        .reasoning_with_text(&["Thinking hard"], &["raw"])
        .message("Done");
    server.enqueue(Reply::sse(turn.events()));
    let client = client(provider(&server.base_url(), WireApi::Responses));
    let events = run(client.as_ref(), &prompt()).await.unwrap();
    assert!(events.contains(&ResponseEvent::ReasoningSummaryPartAdded { summary_index: 0 }));
    assert!(events.contains(&ResponseEvent::ReasoningSummaryDelta {
        delta: "Thinking".to_owned(),
        summary_index: 0
    }));
    assert!(events.contains(&ResponseEvent::ReasoningContentDelta {
        delta: "raw".to_owned(),
        content_index: 0
    }));
}

#[tokio::test]
async fn unauthorized_fails_at_once_with_the_reference_message() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::status(401));
    let client = client(provider(&server.base_url(), WireApi::Responses));
    let error = run(client.as_ref(), &prompt()).await.unwrap_err();
    assert_eq!(
        error,
        ModelError {
            message: format!(
                "unexpected status 401 Unauthorized: Incorrect API key provided (mock model server)., url: {}/responses",
                server.base_url()
            ),
            info: CodexErrorInfo::Other,
            retryable: false,
        }
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn rate_limited_then_success_honours_retry_after() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::status(429).retry_after(Duration::from_secs(1)));
    server.enqueue(Reply::status(429));
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hello")));
    let client = client(provider(&server.base_url(), WireApi::Responses));
    let started = std::time::Instant::now();
    let events = run(client.as_ref(), &prompt()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(
        completed(&events),
        ResponseEvent::Completed { .. }
    ));
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn server_errors_are_retried_until_exhausted() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue_all([Reply::status(503), Reply::status(502), Reply::status(503)]);
    let client = client(provider(&server.base_url(), WireApi::Responses));
    let error = run(client.as_ref(), &prompt()).await.unwrap_err();
    assert_eq!(
        error,
        ModelError {
            message: "exceeded retry limit, last status: 503 Service Unavailable".to_owned(),
            info: CodexErrorInfo::ResponseTooManyFailedAttempts {
                http_status_code: Some(503)
            },
            retryable: false,
        }
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn internal_server_error_fails_the_turn_as_the_reference_does() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::status(500));
    let client = client(provider(&server.base_url(), WireApi::Responses));
    let error = run(client.as_ref(), &prompt()).await.unwrap_err();
    assert_eq!(
        error,
        ModelError {
            message: "We're currently experiencing high demand, which may cause temporary errors."
                .to_owned(),
            info: CodexErrorInfo::InternalServerError,
            retryable: false,
        }
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn provider_down_is_a_connection_failure_after_retries() {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(provider(
        &format!("http://127.0.0.1:{port}/v1"),
        WireApi::Responses,
    ));
    let error = run(client.as_ref(), &prompt()).await.unwrap_err();
    assert_eq!(
        error.info,
        CodexErrorInfo::HttpConnectionFailed {
            http_status_code: None
        }
    );
    assert!(error.retryable);
    assert!(
        error.message.contains("error sending request"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn a_stream_cut_mid_turn_is_a_retryable_disconnect() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hello world again")).cut_after(3));
    let client = client(provider(&server.base_url(), WireApi::Responses));
    let mut stream = client.stream(&prompt()).await.unwrap();
    let mut seen = Vec::new();
    let error = loop {
        match stream.next().await.unwrap() {
            Ok(event) => seen.push(event),
            Err(error) => break error,
        }
    };
    // The empty rate limits, then the three events sent before the cut.
    assert_eq!(seen.len(), 4, "{seen:#?}");
    assert_eq!(
        error.info,
        CodexErrorInfo::ResponseStreamDisconnected {
            http_status_code: None
        }
    );
    assert!(error.retryable);
    assert!(stream.next().await.is_none());
    assert_eq!(client.stream_max_retries(), 5);
}

#[tokio::test]
async fn a_silent_stream_times_out() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hello")).hang_after(1));
    let mut provider = provider(&server.base_url(), WireApi::Responses);
    provider.stream_idle_timeout = Duration::from_millis(200);
    let client = client(provider);
    let error = run(client.as_ref(), &prompt()).await.unwrap_err();
    assert_eq!(
        error,
        ModelError {
            message: "idle timeout waiting for SSE".to_owned(),
            info: CodexErrorInfo::ResponseStreamDisconnected {
                http_status_code: None
            },
            retryable: true,
        }
    );
}

#[tokio::test]
async fn context_window_exceeded() {
    let server = MockModelServer::start().await.unwrap();
    let turn = sse::Turn::new("resp-1").fail("context_length_exceeded", "too long");
    server.enqueue(Reply::sse(turn.events()));
    let client = client(provider(&server.base_url(), WireApi::Responses));
    let error = run(client.as_ref(), &prompt()).await.unwrap_err();
    assert_eq!(
        error,
        ModelError {
            message: "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.".to_owned(),
            info: CodexErrorInfo::ContextWindowExceeded,
            retryable: false,
        }
    );
}

#[tokio::test]
async fn chat_completions_text_turn() {
    let server = MockModelServer::start().await.unwrap();
    let mut events = chat::text_completion("chat-1", "Hello there");
    events.insert(
        events.len() - 1,
        chat::finish(
            "chat-1",
            "stop",
            Some(chat::ChatUsage {
                prompt_tokens: 7,
                completion_tokens: 2,
                total_tokens: 9,
            }),
        ),
    );
    server.enqueue(Reply::sse(events));
    let client = client(provider(&server.base_url(), WireApi::Chat));
    let prompt = Prompt {
        tools: vec![shell_tool(), json!({ "type": "web_search" })],
        ..prompt()
    };
    let events = run(client.as_ref(), &prompt).await.unwrap();

    let request = &server.requests()[0];
    assert_eq!(request.path, "/v1/chat/completions");
    assert_eq!(
        request.json.clone().unwrap(),
        json!({
            "model": "gpt-5.1-codex",
            "messages": [
                { "role": "system", "content": "Be brief." },
                { "role": "user", "content": "hi" },
            ],
            "stream": true,
            "tools": [{
                "type": "function",
                "function": {
                    "name": "shell",
                    "description": "Runs a command.",
                    "parameters": shell_tool()["parameters"],
                },
            }],
        })
    );
    let message = ResponseItem::Message {
        id: None,
        role: "assistant".to_owned(),
        content: vec![ContentItem::OutputText {
            text: "Hello there".to_owned(),
        }],
        end_turn: None,
        phase: None,
    };
    assert_eq!(&events[0], &ResponseEvent::Created);
    assert!(
        events.contains(&ResponseEvent::OutputItemDone(message)),
        "{events:#?}"
    );
    assert_eq!(
        completed(&events),
        &ResponseEvent::Completed {
            response_id: "chat-1".to_owned(),
            token_usage: Some(TokenUsage {
                input_tokens: 7,
                cached_input_tokens: 0,
                output_tokens: 2,
                reasoning_output_tokens: 0,
                total_tokens: 9,
            }),
        }
    );
}

#[tokio::test]
async fn chat_completions_tool_call_and_its_output() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(vec![
        chat::tool_call_start("chat-1", 0, "call-1", "shell"),
        chat::tool_call_arguments("chat-1", 0, "{\"command\":"),
        chat::tool_call_arguments("chat-1", 0, "\"ls\"}"),
        chat::finish("chat-1", "tool_calls", None),
        chat::done(),
    ]));
    server.enqueue(Reply::sse(chat::text_completion("chat-2", "Listed")));
    let client = client(provider(&server.base_url(), WireApi::Chat));
    let events = run(client.as_ref(), &prompt()).await.unwrap();
    let call = ResponseItem::FunctionCall {
        id: None,
        name: "shell".to_owned(),
        arguments: "{\"command\":\"ls\"}".to_owned(),
        call_id: "call-1".to_owned(),
    };
    assert_eq!(
        events,
        vec![
            ResponseEvent::Created,
            ResponseEvent::OutputItemDone(call.clone()),
            ResponseEvent::Completed {
                response_id: "chat-1".to_owned(),
                token_usage: None
            },
        ]
    );

    let output: ResponseItem = serde_json::from_value(json!({
        "type": "function_call_output", "call_id": "call-1", "output": "a.txt"
    }))
    .unwrap();
    let follow_up = Prompt {
        input: vec![user("hi"), call, output],
        ..prompt()
    };
    run(client.as_ref(), &follow_up).await.unwrap();
    let body = server.requests()[1].json.clone().unwrap();
    assert_eq!(
        body["messages"],
        json!([
            { "role": "system", "content": "Be brief." },
            { "role": "user", "content": "hi" },
            { "role": "assistant", "content": null, "tool_calls": [{
                "id": "call-1", "type": "function",
                "function": { "name": "shell", "arguments": "{\"command\":\"ls\"}" },
            }] },
            { "role": "tool", "tool_call_id": "call-1", "content": "a.txt" },
        ])
    );
}

#[tokio::test]
async fn chat_stream_cut_before_the_end_is_a_disconnect() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(chat::text_completion("chat-1", "Hello there")).cut_after(1));
    let client = client(provider(&server.base_url(), WireApi::Chat));
    let error = run(client.as_ref(), &prompt()).await.unwrap_err();
    assert!(error.retryable);
    assert_eq!(
        error.info,
        CodexErrorInfo::ResponseStreamDisconnected {
            http_status_code: None
        }
    );
}
