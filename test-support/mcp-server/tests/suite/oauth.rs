//! `--oauth`: the mock authorization server, driven step by step with plain HTTP the way an
//! MCP client logs in, and the MCP endpoint taking only the tokens it issued.

use std::time::Duration;

use pretty_assertions::assert_eq;
use reqwest::Url;
use rmcp::transport::auth::AuthorizationRequest;
use rmcp::transport::auth::OAuthState;
use serde_json::Value;
use serde_json::json;

use super::behaviour;
use super::harness::HttpServer;
use super::harness::Scratch;
use super::harness::TestClient;
use super::harness::connect_http;
use super::harness::http_client;
use super::harness::post_initialize;
use super::harness::start_http;

/// A PKCE verifier and its S256 challenge, computed apart (Python's hashlib and base64).
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K5uvKWLuE2qC9bd4Q8zlT0w0CM";
const CHALLENGE: &str = "0E1Ye19Ig_J0_6IPFVmuJLTsDhco3_5O0HQSzSOSltg";
const REDIRECT_URI: &str = "http://127.0.0.1:1/callback";

async fn get_json(url: &str) -> Value {
    let response = http_client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.unwrap()
}

async fn register(server: &HttpServer) -> String {
    let response = http_client()
        .post(format!("{}/register", server.origin()))
        .json(&json!({
            "client_name": "Codex",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "response_types": ["code"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    assert_eq!(registered["redirect_uris"], json!([REDIRECT_URI]));
    registered["client_id"].as_str().unwrap().to_owned()
}

/// `GET /authorize` with these query parameters, not following the redirect.
async fn authorize(server: &HttpServer, query: &[(&str, &str)]) -> reqwest::Response {
    http_client()
        .get(format!("{}/authorize", server.origin()))
        .query(query)
        .send()
        .await
        .unwrap()
}

fn authorize_query<'a>(client_id: &'a str, state: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT_URI),
        ("state", state),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("scope", "read write"),
    ]
}

/// Authorizes and returns the code the redirect carries, checking that it carries the state.
async fn authorization_code(server: &HttpServer, client_id: &str) -> String {
    let state = "state with spaces&more";
    let response = authorize(server, &authorize_query(client_id, state)).await;
    assert_eq!(response.status(), 302);
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next(),
        Some(REDIRECT_URI),
        "redirected to {location}"
    );
    let query: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    assert_eq!(query.len(), 2, "{location}");
    assert_eq!(query[0].0, "code");
    assert_eq!(query[1], ("state".to_owned(), state.to_owned()));
    query[0].1.clone()
}

async fn token_request(server: &HttpServer, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http_client()
        .post(format!("{}/token", server.origin()))
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn exchange_code(
    server: &HttpServer,
    client_id: &str,
    code: &str,
    verifier: &str,
) -> (u16, Value) {
    token_request(
        server,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("code_verifier", verifier),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
}

fn string(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

#[tokio::test]
async fn discovery_documents_point_at_the_same_origin() {
    let scratch = Scratch::new();
    let server = start_http(&scratch, &["--oauth"]).await;
    let origin = server.origin();

    let refused = post_initialize(&server, None).await;
    assert_eq!(refused.status(), 401);
    let resource_metadata_url = format!("{origin}/.well-known/oauth-protected-resource/mcp");
    assert_eq!(
        refused.headers()["www-authenticate"],
        format!(r#"Bearer resource_metadata="{resource_metadata_url}""#).as_str()
    );

    let resource = json!({
        "resource": server.url,
        "authorization_servers": [origin],
        "bearer_methods_supported": ["header"],
    });
    assert_eq!(get_json(&resource_metadata_url).await, resource);
    assert_eq!(
        get_json(&format!("{origin}/.well-known/oauth-protected-resource")).await,
        resource
    );
    assert_eq!(
        get_json(&format!("{origin}/.well-known/oauth-authorization-server")).await,
        json!({
            "issuer": origin,
            "authorization_endpoint": format!("{origin}/authorize"),
            "token_endpoint": format!("{origin}/token"),
            "registration_endpoint": format!("{origin}/register"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
        })
    );
}

#[tokio::test]
async fn login_then_mcp_with_the_token_then_refresh() {
    let scratch = Scratch::new();
    let server = start_http(&scratch, &["--oauth", "--token-ttl-secs", "120"]).await;
    assert!(
        connect_http(&server.url, None, TestClient::accepting())
            .await
            .is_err(),
        "connected without logging in"
    );

    let client_id = register(&server).await;

    // A wrong verifier is refused, and the code is spent all the same.
    let code = authorization_code(&server, &client_id).await;
    let (status, refused) = exchange_code(&server, &client_id, &code, "wrong-verifier").await;
    assert_eq!((status, string(&refused["error"])), (400, "invalid_grant"));
    let (status, refused) = exchange_code(&server, &client_id, &code, VERIFIER).await;
    assert_eq!((status, string(&refused["error"])), (400, "invalid_grant"));

    let code = authorization_code(&server, &client_id).await;
    let (status, tokens) = exchange_code(&server, &client_id, &code, VERIFIER).await;
    assert_eq!(status, 200, "{tokens}");
    let access_token = string(&tokens["access_token"]).to_owned();
    let refresh_token = string(&tokens["refresh_token"]).to_owned();
    assert_eq!(
        tokens,
        json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 120,
            "refresh_token": refresh_token,
            "scope": "read write",
        })
    );

    let client = connect_http(&server.url, Some(&access_token), TestClient::accepting())
        .await
        .unwrap();
    assert_eq!(
        behaviour::call(&client, "echo", json!({"text": "authorized"})).await,
        behaviour::text("echo: authorized")
    );
    let last_request = scratch.events_named("http").pop().unwrap();
    assert_eq!(
        last_request["authorization"],
        format!("Bearer {access_token}")
    );

    // Refreshing answers a new pair and retires the old refresh token.
    let refresh = |token: String| {
        let server = &server;
        let client_id = client_id.clone();
        async move {
            token_request(
                server,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &token),
                    ("client_id", &client_id),
                ],
            )
            .await
        }
    };
    let (status, refreshed) = refresh(refresh_token.clone()).await;
    assert_eq!(status, 200, "{refreshed}");
    let new_access_token = string(&refreshed["access_token"]).to_owned();
    let new_refresh_token = string(&refreshed["refresh_token"]).to_owned();
    assert_ne!(new_access_token, access_token);
    assert_ne!(new_refresh_token, refresh_token);
    let (status, refused) = refresh(refresh_token.clone()).await;
    assert_eq!((status, string(&refused["error"])), (400, "invalid_grant"));
    assert_eq!(
        post_initialize(&server, Some(&new_access_token))
            .await
            .status(),
        200
    );

    let issued: Vec<Value> = scratch
        .events_named("token")
        .into_iter()
        .map(|event| {
            json!([
                event["grant_type"],
                event["access_token"],
                event["refresh_token"]
            ])
        })
        .collect();
    assert_eq!(
        issued,
        vec![
            json!(["authorization_code", access_token, refresh_token]),
            json!(["refresh_token", new_access_token, new_refresh_token]),
        ]
    );
}

#[tokio::test]
async fn authorize_checks_the_request() {
    let scratch = Scratch::new();
    let server = start_http(&scratch, &["--oauth"]).await;
    let client_id = register(&server).await;

    let with = |name: &str, value: &'static str| {
        let mut query = authorize_query(&client_id, "s");
        for pair in &mut query {
            if pair.0 == name {
                pair.1 = value;
            }
        }
        query
    };
    let without = |name: &str| {
        let mut query = authorize_query(&client_id, "s");
        query.retain(|pair| pair.0 != name);
        query
    };
    for (query, expected) in [
        (with("client_id", "nobody"), "unknown client_id `nobody`"),
        (
            with("redirect_uri", "http://127.0.0.1:2/elsewhere"),
            "redirect_uri `http://127.0.0.1:2/elsewhere` is not registered for this client",
        ),
        (
            with("code_challenge_method", "plain"),
            "code_challenge_method must be `S256`",
        ),
        (
            with("response_type", "token"),
            "response_type must be `code`",
        ),
        (
            without("state"),
            "client_id, redirect_uri, state and code_challenge are required",
        ),
        (
            without("code_challenge"),
            "client_id, redirect_uri, state and code_challenge are required",
        ),
    ] {
        let response = authorize(&server, &query).await;
        assert_eq!(response.status(), 400, "{query:?}");
        assert_eq!(
            response.text().await.unwrap(),
            format!("invalid authorization request: {expected}")
        );
    }
}

#[tokio::test]
async fn expired_access_tokens_are_refused() {
    let scratch = Scratch::new();
    let server = start_http(&scratch, &["--oauth", "--token-ttl-secs", "1"]).await;
    let client_id = register(&server).await;
    let code = authorization_code(&server, &client_id).await;
    let (_, tokens) = exchange_code(&server, &client_id, &code, VERIFIER).await;
    assert_eq!(tokens["expires_in"], 1);
    let access_token = string(&tokens["access_token"]);
    assert_eq!(
        post_initialize(&server, Some(access_token)).await.status(),
        200
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let refused = post_initialize(&server, Some(access_token)).await;
    assert_eq!(refused.status(), 401);
    assert_eq!(
        refused.headers()["www-authenticate"],
        format!(
            r#"Bearer error="invalid_token", resource_metadata="{}/.well-known/oauth-protected-resource/mcp""#,
            server.origin()
        )
        .as_str()
    );
}

/// rmcp's own OAuth client, which the MCP client is built on, finds the mock from the MCP url
/// alone, registers, authorizes with PKCE, exchanges the code and refreshes.
#[tokio::test]
async fn rmcp_oauth_client_logs_in_and_refreshes() {
    let scratch = Scratch::new();
    let server = start_http(&scratch, &["--oauth"]).await;
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();

    let mut oauth = OAuthState::new(server.url.as_str(), None).await.unwrap();
    let request = AuthorizationRequest::new(REDIRECT_URI)
        .with_scopes(["read"])
        .with_client_name("Codex");
    oauth.start_authorization(request).await.unwrap();
    let authorization_url = oauth.get_authorization_url().await.unwrap();
    assert!(
        authorization_url.starts_with(&format!("{}/authorize?", server.origin())),
        "{authorization_url}"
    );
    let redirect = http_client().get(&authorization_url).send().await.unwrap();
    assert_eq!(redirect.status(), 302);
    let callback = redirect.headers()["location"].to_str().unwrap();
    oauth.handle_callback_url(callback).await.unwrap();
    let manager = oauth.into_authorization_manager().unwrap();

    let access_token = manager.get_access_token().await.unwrap();
    let client = connect_http(&server.url, Some(&access_token), TestClient::accepting())
        .await
        .unwrap();
    assert_eq!(
        behaviour::call(&client, "echo", json!({"text": "via rmcp"})).await,
        behaviour::text("echo: via rmcp")
    );

    manager.refresh_token().await.unwrap();
    let new_access_token = manager.get_access_token().await.unwrap();
    assert_ne!(new_access_token, access_token);
    assert_eq!(
        post_initialize(&server, Some(&new_access_token))
            .await
            .status(),
        200
    );

    let registered = scratch.wait_for_event("register").await;
    assert_eq!(registered["client_name"], "Codex");
    assert_eq!(registered["redirect_uris"], json!([REDIRECT_URI]));
    let grants: Vec<Value> = scratch
        .events_named("token")
        .into_iter()
        .map(|event| event["grant_type"].clone())
        .collect();
    assert_eq!(
        grants,
        [json!("authorization_code"), json!("refresh_token")]
    );
}
