//! The script and the record: replies in order, scripted errors, the empty script, and what
//! the mock remembers of each request.

use std::time::Duration;

use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::Served;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::PATIENCE;
use super::request;

async fn post_json(server: &MockModelServer, path: &str, body: &Value) -> super::HttpResponse {
    let body = body.to_string();
    request(
        server.addr(),
        "POST",
        path,
        &[("content-type", "application/json")],
        &body,
    )
    .await
}

fn body_json(response: &super::HttpResponse) -> Value {
    serde_json::from_str(&response.body).unwrap_or_else(|error| panic!("{error}:\n{response}"))
}

#[tokio::test]
async fn requests_are_recorded_with_method_path_headers_and_body() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "Hi")));
    let body = json!({ "model": "gpt-test", "input": [{ "type": "message", "role": "user" }], "stream": true });

    let headers = [
        ("Authorization", "Bearer sk-test"),
        ("Content-Type", "application/json"),
        ("X-Custom", "one"),
    ];
    let response = request(
        server.addr(),
        "POST",
        "/v1/responses?client=test",
        &headers,
        &body.to_string(),
    )
    .await;
    assert_eq!(response.status, 200, "{response}");

    let requests = server.requests();
    let [captured] = requests.as_slice() else {
        panic!("expected one request, got {requests:#?}");
    };
    assert_eq!(captured.method, "POST");
    assert_eq!(captured.path, "/v1/responses");
    assert_eq!(captured.query.as_deref(), Some("client=test"));
    assert_eq!(captured.header("authorization"), Some("Bearer sk-test"));
    assert_eq!(captured.header("X-CUSTOM"), Some("one"));
    assert_eq!(
        captured
            .headers
            .iter()
            .find(|(name, _)| name == "x-custom")
            .unwrap()
            .1,
        "one"
    );
    assert_eq!(captured.json, Some(body.clone()));
    assert_eq!(captured.body_text(), body.to_string());
    assert_eq!(captured.served, Served::Reply(0));
    assert_eq!(
        captured.to_string(),
        "POST /v1/responses?client=test (reply #0)"
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_kept_raw() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::status(400));
    let response = request(server.addr(), "POST", "/v1/responses", &[], "not json").await;
    assert_eq!(response.status, 400, "{response}");
    let captured = &server.requests()[0];
    assert_eq!(captured.json, None);
    assert_eq!(captured.body, b"not json");
}

#[tokio::test]
async fn replies_are_served_in_order_to_both_model_endpoints() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue_all([
        Reply::status(500),
        Reply::sse(sse::text_turn("resp-1", "first")),
        Reply::status(401),
    ]);
    assert_eq!(server.pending_replies(), 3);

    let first = post_json(&server, "/v1/responses", &json!({})).await;
    let second = post_json(&server, "/v1/chat/completions", &json!({})).await;
    let third = post_json(&server, "/responses", &json!({})).await;

    assert_eq!([first.status, second.status, third.status], [500, 200, 401]);
    assert_eq!(body_json(&first)["error"]["type"], "server_error");
    assert_eq!(body_json(&third)["error"]["code"], "invalid_api_key");
    assert_eq!(server.pending_replies(), 0);
    let served: Vec<Served> = server
        .requests()
        .iter()
        .map(|request| request.served)
        .collect();
    assert_eq!(
        served,
        [Served::Reply(0), Served::Reply(1), Served::Reply(2)]
    );
}

#[tokio::test]
async fn a_429_carries_retry_after_and_a_rate_limit_error() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::status(429).retry_after(Duration::from_millis(1500)));
    server.enqueue(
        Reply::status(429)
            .retry_after(Duration::from_secs(3))
            .header("x-request-id", "req-9"),
    );

    let first = post_json(&server, "/v1/responses", &json!({})).await;
    let second = post_json(&server, "/v1/responses", &json!({})).await;

    assert_eq!(first.status, 429, "{first}");
    assert_eq!(first.header("retry-after"), Some("2"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(
        body_json(&first),
        json!({
            "error": {
                "message": "Rate limit reached for requests (mock model server). Please try again in 1.5s.",
                "type": "requests",
                "code": "rate_limit_exceeded",
                "param": null,
            }
        })
    );
    assert_eq!(second.header("retry-after"), Some("3"));
    assert_eq!(second.header("x-request-id"), Some("req-9"));
}

#[tokio::test]
async fn an_error_body_can_be_replaced() {
    let server = MockModelServer::start().await.unwrap();
    let usage_limit = json!({ "error": { "type": "usage_limit_reached", "message": "limit" } });
    server.enqueue(Reply::status(429).json_body(usage_limit.clone()));
    server.enqueue(Reply::status(502).body("text/html", "<h1>Bad gateway</h1>"));
    server.enqueue(Reply::status(1000));

    let first = post_json(&server, "/v1/responses", &json!({})).await;
    let second = post_json(&server, "/v1/responses", &json!({})).await;
    let third = post_json(&server, "/v1/responses", &json!({})).await;

    assert_eq!(body_json(&first), usage_limit);
    assert_eq!(
        (second.status, second.body.as_str()),
        (502, "<h1>Bad gateway</h1>")
    );
    assert_eq!(second.header("content-type"), Some("text/html"));
    assert_eq!(third.status, 500, "{third}");
    assert!(third.body.contains("1000 is not an HTTP status"), "{third}");
}

#[tokio::test]
async fn an_empty_script_answers_500_saying_so_and_records_the_request() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(Reply::sse(sse::text_turn("resp-1", "only one")));

    let _ = post_json(&server, "/v1/responses", &json!({})).await;
    let response = post_json(&server, "/v1/responses", &json!({ "model": "m" })).await;

    assert_eq!(response.status, 500, "{response}");
    assert_eq!(
        body_json(&response),
        json!({
            "error": {
                "message": "mock model server: no scripted reply left for POST /v1/responses \
                            (request #1); enqueue one with MockModelServer::enqueue",
                "type": "mock_script_empty",
                "code": "mock_script_empty",
                "param": null,
            }
        })
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].served, Served::ScriptEmpty);
    assert_eq!(requests[1].json, Some(json!({ "model": "m" })));
}

#[tokio::test]
async fn models_are_listed_and_unknown_paths_are_404s_on_the_record() {
    let server = MockModelServer::start().await.unwrap();
    let default = request(
        server.addr(),
        "GET",
        "/v1/models?client_version=0.101.0",
        &[],
        "",
    )
    .await;
    assert_eq!(
        (default.status, body_json(&default)),
        (200, json!({ "data": [], "models": [] }))
    );

    let models = json!({ "object": "list", "data": [{ "id": "mock-model", "object": "model" }] });
    server.set_models(models.clone());
    let listed = request(server.addr(), "GET", "/v1/models", &[], "").await;
    assert_eq!(body_json(&listed), models);

    let unknown = post_json(&server, "/v1/responses/compact", &json!({})).await;
    assert_eq!(unknown.status, 404, "{unknown}");
    assert_eq!(
        body_json(&unknown)["error"]["message"],
        "mock model server: nothing at POST /v1/responses/compact"
    );
    let served: Vec<(String, Served)> = server
        .requests()
        .iter()
        .map(|request| (request.path.clone(), request.served))
        .collect();
    assert_eq!(
        served,
        [
            ("/v1/models".to_owned(), Served::Models),
            ("/v1/models".to_owned(), Served::Models),
            ("/v1/responses/compact".to_owned(), Served::NotFound),
        ]
    );
    // Nothing was taken from the script.
    assert_eq!(server.pending_replies(), 0);
}

#[tokio::test]
async fn wait_for_requests_returns_once_enough_have_arrived() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue_all([Reply::status(500), Reply::status(500)]);
    let addr = server.addr();
    let client = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        for _ in 0..2 {
            request(addr, "POST", "/v1/responses", &[], "{}").await;
        }
    });

    let requests = server.wait_for_requests(2, PATIENCE).await.unwrap();
    assert_eq!(requests.len(), 2);
    client.await.unwrap();
}

#[tokio::test]
async fn wait_for_requests_times_out_listing_what_came() {
    let server = MockModelServer::start().await.unwrap();
    let _ = request(server.addr(), "GET", "/v1/models", &[], "").await;

    let error = server
        .wait_for_requests(2, Duration::from_millis(50))
        .await
        .unwrap_err();

    assert_eq!(error.wanted, 2);
    assert_eq!(error.received.len(), 1);
    assert_eq!(
        error.to_string(),
        "waited 50ms for 2 requests, received 1:\n  GET /v1/models (models)"
    );
}
