//! The login server against a mock issuer, with the test playing the browser.

use std::sync::Arc;
use std::sync::Mutex;

use codex_test_support::issuer::IssuedTokens;
use codex_test_support::issuer::MockIssuer;
use codex_test_support::issuer::TOKEN_EXCHANGE_GRANT;
use codex_test_support::jwt::chatgpt_claims;
use codex_test_support::jwt::fake_jwt;
use codex_utils_lock::lock;
use pretty_assertions::assert_eq;

use super::*;

/// A sign-in against `issuer` on a free port, keeping what it stores in `stored`.
struct Harness {
    issuer: MockIssuer,
    server: LoginServer,
    stored: Arc<Mutex<Vec<AuthDotJson>>>,
    state: String,
    id_token: String,
    http: reqwest::Client,
}

fn id_token(account_id: &str) -> String {
    fake_jwt(&chatgpt_claims("user@example.com", "pro", account_id))
}

async fn harness(workspace: Option<&str>, fail_persist: bool) -> Harness {
    let id_token = id_token("acc-1");
    let issuer = MockIssuer::start(IssuedTokens::new(&id_token, "access-1", "refresh-1"))
        .await
        .unwrap();
    let stored = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&stored);
    let persist: PersistCredentials = Arc::new(move |auth: &AuthDotJson| {
        if fail_persist {
            return Err("disk full".into());
        }
        lock(&keep).push(auth.clone());
        Ok(())
    });
    let mut options = ServerOptions::new("test_client", persist);
    options.issuer = issuer.url();
    options.port = 0;
    options.forced_chatgpt_workspace_id = workspace.map(str::to_owned);
    let server = start_login_server(options).await.unwrap();
    let state = query_value(&server.auth_url, "state");
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Harness {
        issuer,
        server,
        stored,
        state,
        id_token,
        http,
    }
}

fn query_value(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, query)| query).unwrap();
    ::url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

impl Harness {
    /// `GET path` on the login server: status, Location and body.
    async fn get(&self, path: &str) -> (u16, Option<String>, String) {
        let response = self
            .http
            .get(format!("http://127.0.0.1:{}{path}", self.server.port))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|value| value.to_str().unwrap().to_owned());
        (status, location, response.text().await.unwrap())
    }

    async fn callback(&self, code: &str) -> (u16, Option<String>, String) {
        let state = self.state.clone();
        self.get(&format!("/auth/callback?code={code}&state={state}"))
            .await
    }

    fn stored(&self) -> Vec<AuthDotJson> {
        lock(&self.stored).clone()
    }
}

async fn port_is_free(port: u16) -> bool {
    tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .is_ok()
}

#[tokio::test]
async fn a_callback_with_a_code_stores_the_account_and_success_ends_the_sign_in() {
    let mut harness = harness(None, false).await;
    harness.issuer.set_api_key(Some("sk-exchanged"));
    let port = harness.server.port;
    assert_eq!(
        query_value(&harness.server.auth_url, "redirect_uri"),
        format!("http://localhost:{port}/auth/callback")
    );
    assert!(
        harness
            .server
            .auth_url
            .starts_with(&format!("{}/oauth/authorize?", harness.issuer.url()))
    );

    let (status, location, _) = harness.callback("the-code").await;
    assert_eq!(status, 302);
    assert_eq!(
        location.unwrap(),
        url::success_url(port, &harness.issuer.url(), &harness.id_token, "access-1")
    );

    let stored = harness.stored();
    assert_eq!(stored.len(), 1);
    let last_refresh = stored[0].last_refresh.clone().unwrap();
    assert!(last_refresh.ends_with('Z'), "{last_refresh}");
    assert_eq!(
        stored[0],
        AuthDotJson {
            auth_mode: Some(AuthMode::ChatGpt),
            openai_api_key: Some("sk-exchanged".into()),
            tokens: Some(TokenData {
                id_token: harness.id_token.clone(),
                access_token: "access-1".into(),
                refresh_token: "refresh-1".into(),
                account_id: Some("acc-1".into()),
            }),
            last_refresh: Some(last_refresh),
        }
    );

    // The two grants, form-encoded as the reference encodes them.
    let requests = harness.issuer.requests();
    let verifier = requests[0].field("code_verifier").unwrap().to_owned();
    assert_eq!(
        requests[0].body,
        format!(
            "grant_type=authorization_code&code=the-code\
             &redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fauth%2Fcallback\
             &client_id=app_EMoamEEZ73f0CkXaXp7hrann&code_verifier={verifier}"
        )
    );
    assert_eq!(
        requests[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    // The verifier is the one the challenge in the authorize URL was made from.
    {
        use base64::Engine;
        use sha2::Digest;
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()));
        assert_eq!(
            challenge,
            query_value(&harness.server.auth_url, "code_challenge")
        );
    }
    assert_eq!(
        requests[1].form,
        vec![
            ("grant_type".to_owned(), TOKEN_EXCHANGE_GRANT.to_owned()),
            ("client_id".to_owned(), CLIENT_ID.to_owned()),
            ("requested_token".to_owned(), "openai-api-key".to_owned()),
            ("subject_token".to_owned(), harness.id_token.clone()),
            (
                "subject_token_type".to_owned(),
                "urn:ietf:params:oauth:token-type:id_token".to_owned()
            ),
        ]
    );
    assert_eq!(requests.len(), 2);

    let (status, _, page) = harness.get("/success").await;
    assert_eq!(status, 200);
    assert!(page.contains("Signed in"), "{page}");
    assert_eq!(harness.server.wait().await, Ok(()));
    assert!(port_is_free(port).await);
}

#[tokio::test]
async fn bad_callbacks_are_refused_and_the_sign_in_goes_on() {
    let mut harness = harness(None, false).await;
    let (status, _, body) = harness
        .get("/auth/callback?code=abc&state=not-the-state")
        .await;
    assert_eq!((status, body.as_str()), (400, "State mismatch"));
    let state = harness.state.clone();
    for path in [
        format!("/auth/callback?state={state}"),
        format!("/auth/callback?code=&state={state}"),
    ] {
        let (status, _, body) = harness.get(&path).await;
        assert_eq!((status, body.as_str()), (400, "Missing authorization code"));
    }
    for path in ["/", "/auth", "/elsewhere?code=1"] {
        let (status, _, body) = harness.get(path).await;
        assert_eq!((status, body.as_str()), (404, "Not Found"));
    }
    // No credentials yet, so no success either.
    let (status, _, _) = harness.get("/success").await;
    assert_eq!(status, 404);

    // A refused exchange is shown to the browser; the user may try again.
    harness.issuer.fail_code_exchange(Some(400));
    let (status, _, body) = harness.callback("c1").await;
    assert_eq!(
        (status, body.as_str()),
        (
            500,
            "Token exchange failed: token endpoint returned status 400 Bad Request"
        )
    );
    harness.issuer.fail_code_exchange(None);
    assert!(harness.stored().is_empty());
    assert!(harness.issuer.requests().len() == 1);

    let port = harness.server.port;
    harness.server.cancel_handle().cancel();
    assert_eq!(harness.server.wait().await, Err(LoginError::NotCompleted));
    assert!(port_is_free(port).await);
}

#[tokio::test]
async fn the_cancel_path_ends_the_sign_in() {
    let mut harness = harness(None, false).await;
    let (status, _, body) = harness.get("/cancel").await;
    assert_eq!((status, body.as_str()), (200, "Login cancelled"));
    assert_eq!(harness.server.wait().await, Err(LoginError::Cancelled));
}

#[tokio::test]
async fn an_account_outside_the_forced_workspace_ends_the_sign_in_unstored() {
    let mut harness = harness(Some("ws-other"), false).await;
    assert_eq!(
        query_value(&harness.server.auth_url, "allowed_workspace_id"),
        "ws-other"
    );
    let (status, _, body) = harness.callback("c").await;
    let message = "Login is restricted to workspace id ws-other.";
    assert_eq!((status, body.as_str()), (200, message));
    assert_eq!(
        harness.server.wait().await,
        Err(LoginError::WorkspaceRestricted(message.into()))
    );
    assert!(harness.stored().is_empty());
    // Only the code was exchanged: no API key for an account that may not sign in.
    assert_eq!(harness.issuer.requests().len(), 1);
}

#[tokio::test]
async fn the_account_of_the_forced_workspace_signs_in() {
    let harness = harness(Some("acc-1"), false).await;
    let (status, _, _) = harness.callback("c").await;
    assert_eq!(status, 302);
    // The key exchange failed (the mock has no key): the account is stored without one.
    assert_eq!(harness.stored()[0].openai_api_key, None);
}

#[test]
fn a_token_without_an_account_is_refused_by_a_forced_workspace() {
    assert_eq!(
        check_workspace(Some("ws"), None),
        Err(
            "Login is restricted to a specific workspace, but the token did not include an \
             chatgpt_account_id claim."
                .into()
        )
    );
    assert_eq!(check_workspace(None, None), Ok(()));
    assert_eq!(check_workspace(Some("ws"), Some("ws")), Ok(()));
}

#[tokio::test]
async fn credentials_that_cannot_be_stored_are_reported_and_the_sign_in_goes_on() {
    let mut harness = harness(None, true).await;
    let (status, _, body) = harness.callback("c").await;
    assert_eq!(
        (status, body.as_str()),
        (500, "Unable to persist auth file: disk full")
    );
    let (status, _, _) = harness.get("/success").await;
    assert_eq!(status, 404);
    harness.server.cancel_handle().cancel();
    assert_eq!(harness.server.wait().await, Err(LoginError::NotCompleted));
}

#[tokio::test]
async fn a_second_server_on_the_port_cancels_the_first() {
    let mut first = harness(None, false).await;
    let port = first.server.port;
    let persist: PersistCredentials = Arc::new(|_: &AuthDotJson| Ok(()));
    let mut options = ServerOptions::new("test_client", persist);
    options.port = port;
    let second = start_login_server(options).await.unwrap();
    assert_eq!(second.port, port);
    assert_eq!(first.server.wait().await, Err(LoginError::Cancelled));
    drop(second);
}

#[test]
fn timestamps_are_written_as_the_reference_writes_them() {
    let at = |nanos| {
        time::macros::datetime!(2025-01-02 03:04:05 UTC)
            .replace_nanosecond(nanos)
            .unwrap()
    };
    assert_eq!(format_timestamp(at(0)), "2025-01-02T03:04:05Z");
    assert_eq!(
        format_timestamp(at(120_000_000)),
        "2025-01-02T03:04:05.120Z"
    );
    assert_eq!(
        format_timestamp(at(123_456_000)),
        "2025-01-02T03:04:05.123456Z"
    );
    assert_eq!(
        format_timestamp(at(123_456_789)),
        "2025-01-02T03:04:05.123456789Z"
    );
}

#[tokio::test]
async fn a_wait_given_up_on_can_cancel_and_wait_again() {
    let mut harness = harness(None, false).await;
    let port = harness.server.port;
    let gave_up =
        tokio::time::timeout(std::time::Duration::from_millis(50), harness.server.wait()).await;
    assert!(gave_up.is_err());
    // Still serving.
    let (status, _, _) = harness.get("/elsewhere").await;
    assert_eq!(status, 404);
    harness.server.cancel_handle().cancel();
    assert_eq!(harness.server.wait().await, Err(LoginError::NotCompleted));
    assert!(port_is_free(port).await);
    assert_eq!(harness.server.wait().await, Err(LoginError::NotCompleted));
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let harness = harness(None, false).await;
    let port = harness.server.port;
    let address = format!("http://127.0.0.1:{port}/elsewhere");
    drop(harness.server);
    // The port is released once the task has wound down; poll the thing itself.
    let released = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while harness.http.get(&address).send().await.is_ok() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(released.is_ok(), "still serving after the drop");
}
