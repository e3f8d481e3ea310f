//! ChatGPT sign-in through the browser, through a running server: the test plays the browser
//! (it calls the login server back with a code and the state) against a mock issuer.
//!
//! Every server gets `CODEX_APP_SERVER_LOGIN_ISSUER` (the mock) and its own port through
//! `CODEX_APP_SERVER_LOGIN_PORT`: `0` (any free port, read back from the authorize URL) unless
//! the test is about the port, so the tests run in parallel.

use std::net::Ipv4Addr;

use codex_test_support::issuer::IssuedTokens;
use codex_test_support::issuer::MockIssuer;
use codex_test_support::jwt::chatgpt_claims;
use codex_test_support::jwt::fake_jwt;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::suite::config::Folders;
use crate::suite::serve::Client;
use crate::suite::serve::Server;
use crate::suite::serve::TIMEOUT;

/// The authorize URL codex-cli 0.101.0 answered for client `my_client`, with its challenge,
/// state and port replaced by placeholders.
const REFERENCE_AUTH_URL: &str = "https://auth.openai.com/oauth/authorize?response_type=code\
    &client_id=app_EMoamEEZ73f0CkXaXp7hrann\
    &redirect_uri=http%3A%2F%2Flocalhost%3A{PORT}%2Fauth%2Fcallback\
    &scope=openid%20profile%20email%20offline_access\
    &code_challenge={CHALLENGE}&code_challenge_method=S256\
    &id_token_add_organizations=true&codex_cli_simplified_flow=true\
    &state={STATE}&originator=my_client";

fn id_token(account_id: &str) -> String {
    fake_jwt(&chatgpt_claims("user@example.com", "pro", account_id))
}

async fn issuer(account_id: &str) -> MockIssuer {
    let issuer = MockIssuer::start(IssuedTokens::new(
        &id_token(account_id),
        "access-1",
        "refresh-1",
    ))
    .await
    .unwrap();
    issuer.set_api_key(Some("sk-exchanged"));
    issuer
}

/// A stdio server on `folders` whose sign-ins go to `issuer` (when given) on `port`, with
/// `extra` in its environment; initialized as client `t`.
async fn serve(
    folders: &Folders,
    issuer: Option<&MockIssuer>,
    port: u16,
    extra: &[(&str, &str)],
) -> (Server, Client) {
    let mut env = folders.env();
    if let Some(issuer) = issuer {
        env.push(("CODEX_APP_SERVER_LOGIN_ISSUER".into(), issuer.url()));
    }
    env.push(("CODEX_APP_SERVER_LOGIN_PORT".into(), port.to_string()));
    for (name, value) in extra {
        env.push(((*name).to_owned(), (*value).to_owned()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (server, mut client) = Server::stdio(&env);
    client.initialize(false).await;
    (server, client)
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
            decoded.push(u8::from_str_radix(hex, 16).unwrap());
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).unwrap()
}

/// The query parameters of `url`, names and raw (still encoded) values, in order.
fn raw_params(url: &str) -> Vec<(String, String)> {
    let (_, query) = url
        .split_once('?')
        .unwrap_or_else(|| panic!("no query: {url}"));
    query
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

fn param(url: &str, name: &str) -> String {
    raw_params(url)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| percent_decode(&value))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

/// What a sign-in's answer gave: its id, the authorize URL, and from it the login server's
/// port and the state.
struct Started {
    login_id: String,
    auth_url: String,
    port: u16,
    state: String,
}

impl Started {
    fn from_answer(client: &Client, answer: &Value) -> Self {
        let result = &answer["result"];
        let (Some(login_id), Some(auth_url)) =
            (result["loginId"].as_str(), result["authUrl"].as_str())
        else {
            panic!("not a started sign-in: {answer}\n{}", client.report());
        };
        let redirect_uri = param(auth_url, "redirect_uri");
        let port = redirect_uri
            .strip_prefix("http://localhost:")
            .and_then(|rest| rest.strip_suffix("/auth/callback"))
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected redirect_uri {redirect_uri}"));
        Self {
            login_id: login_id.to_owned(),
            auth_url: auth_url.to_owned(),
            port,
            state: param(auth_url, "state"),
        }
    }
}

/// `account/login/start {type: "chatgpt"}` as request `id`.
async fn start_v2(client: &mut Client, id: u64) -> Started {
    let answer = client
        .request(&json!({"id": id, "method": "account/login/start", "params": {"type": "chatgpt"}}))
        .await;
    assert_eq!(answer["result"]["type"], "chatgpt", "{}", client.report());
    Started::from_answer(client, &answer)
}

/// A browser's `GET`: status, headers (names lower case) and body.
struct Page {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

async fn browser_get(port: u16, path: &str) -> Page {
    let exchange = async {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Ok::<_, std::io::Error>(String::from_utf8_lossy(&response).into_owned())
    };
    let response = match timeout(TIMEOUT, exchange).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => panic!("GET {path} on port {port} failed: {error}"),
        Err(_) => panic!("GET {path} on port {port} took over {TIMEOUT:?}"),
    };
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {response:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    Page {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// Calls the login server back as the issuer would send the browser there.
async fn call_back(started: &Started, code: &str) -> Page {
    let path = format!("/auth/callback?code={code}&state={}", started.state);
    browser_get(started.port, &path).await
}

async fn next_notification(client: &mut Client) -> Value {
    let message = client.next().await;
    assert!(
        message.get("id").is_none(),
        "expected a notification, got {message}\n{}",
        client.report()
    );
    message
}

fn completed(login_id: &str, error: Option<&str>) -> Value {
    json!({"method": "account/login/completed",
           "params": {"loginId": login_id, "success": error.is_none(), "error": error}})
}

/// Follows the callback's redirect to the success page, which ends the sign-in.
async fn open_success_page(started: &Started, callback: &Page) {
    assert_eq!(callback.status, 302, "{}", callback.body);
    let location = callback.header("location").unwrap_or_default();
    let prefix = format!("http://localhost:{}", started.port);
    let Some(path) = location.strip_prefix(&prefix) else {
        panic!("redirected to {location}");
    };
    assert!(path.starts_with("/success?id_token="), "{location}");
    let page = browser_get(started.port, path).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
}

#[tokio::test]
async fn a_chatgpt_login_stores_the_account_and_announces_it() {
    let folders = Folders::new();
    let issuer = issuer("acc-1").await;
    let (_server, mut client) = serve(&folders, Some(&issuer), 0, &[]).await;
    let started = start_v2(&mut client, 1).await;
    assert!(
        started
            .auth_url
            .starts_with(&format!("{}/oauth/authorize?", issuer.url())),
        "{}",
        started.auth_url
    );
    assert_eq!(param(&started.auth_url, "originator"), "t");

    let callback = call_back(&started, "code-1").await;
    open_success_page(&started, &callback).await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(&started.login_id, None)
    );
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/updated", "params": {"authMode": "chatgpt"}})
    );

    let auth_json = folders.home().join("auth.json");
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&auth_json).unwrap()).unwrap();
    let last_refresh = stored["last_refresh"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(last_refresh.ends_with('Z'), "{stored}");
    assert_eq!(
        stored,
        json!({
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": "sk-exchanged",
            "tokens": {
                "id_token": id_token("acc-1"),
                "access_token": "access-1",
                "refresh_token": "refresh-1",
                "account_id": "acc-1",
            },
            "last_refresh": last_refresh,
        })
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&auth_json).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let requests = issuer.requests();
    let grants: Vec<_> = requests
        .iter()
        .map(|request| request.field("grant_type").unwrap_or_default())
        .collect();
    assert_eq!(
        grants,
        [
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ]
    );
    assert_eq!(requests[0].field("code"), Some("code-1"));

    // The sign-in is over: its server is gone and its id unknown.
    client
        .check(
            json!({"id": 2, "method": "account/login/cancel",
                   "params": {"loginId": started.login_id}}),
            json!({"id": 2, "result": {"status": "notFound"}}),
        )
        .await;
}

#[tokio::test]
async fn a_v1_login_completes_with_the_v1_notifications() {
    let folders = Folders::new();
    let issuer = issuer("acc-1").await;
    let (_server, mut client) = serve(&folders, Some(&issuer), 0, &[]).await;
    let answer = client
        .request(&json!({"id": 1, "method": "loginChatGpt"}))
        .await;
    let started = Started::from_answer(&client, &answer);
    assert_eq!(
        answer,
        json!({"id": 1, "result": {"loginId": started.login_id, "authUrl": started.auth_url}})
    );
    let callback = call_back(&started, "code-1").await;
    open_success_page(&started, &callback).await;
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "loginChatGptComplete",
               "params": {"loginId": started.login_id, "success": true, "error": null}})
    );
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "authStatusChange", "params": {"authMethod": "chatgpt"}})
    );
    assert!(folders.home().join("auth.json").exists());
}

#[tokio::test]
async fn bad_callbacks_are_refused_and_the_login_waits_until_cancelled() {
    let folders = Folders::new();
    let issuer = issuer("acc-1").await;
    let (_server, mut client) = serve(&folders, Some(&issuer), 0, &[]).await;
    let started = start_v2(&mut client, 1).await;

    let page = browser_get(started.port, "/auth/callback?code=c&state=wrong").await;
    assert_eq!((page.status, page.body.as_str()), (400, "State mismatch"));
    let page = browser_get(
        started.port,
        &format!("/auth/callback?state={}", started.state),
    )
    .await;
    assert_eq!(
        (page.status, page.body.as_str()),
        (400, "Missing authorization code")
    );
    let page = browser_get(started.port, "/somewhere").await;
    assert_eq!((page.status, page.body.as_str()), (404, "Not Found"));
    assert!(issuer.requests().is_empty());

    // Still waiting: the cancel finds it. The answer comes first, then the end.
    client
        .check(
            json!({"id": 2, "method": "account/login/cancel",
                   "params": {"loginId": started.login_id}}),
            json!({"id": 2, "result": {"status": "canceled"}}),
        )
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(
            &started.login_id,
            Some("Login server error: Login was not completed")
        )
    );
    client
        .check(
            json!({"id": 3, "method": "account/login/cancel",
                   "params": {"loginId": started.login_id}}),
            json!({"id": 3, "result": {"status": "notFound"}}),
        )
        .await;
    client
        .check(
            json!({"id": 4, "method": "account/login/cancel", "params": {"loginId": "nope"}}),
            json!({"id": 4, "error": {"code": -32600, "message": "invalid login id: nope"}}),
        )
        .await;
    assert!(!folders.home().join("auth.json").exists());
}

#[tokio::test]
async fn the_cancel_page_ends_the_login() {
    let folders = Folders::new();
    let (_server, mut client) = serve(&folders, None, 0, &[]).await;
    let started = start_v2(&mut client, 1).await;
    let page = browser_get(started.port, "/cancel").await;
    assert_eq!((page.status, page.body.as_str()), (200, "Login cancelled"));
    assert_eq!(
        next_notification(&mut client).await,
        completed(
            &started.login_id,
            Some("Login server error: Login cancelled")
        )
    );
}

#[tokio::test]
async fn a_login_nobody_finishes_times_out() {
    let folders = Folders::new();
    let (_server, mut client) = serve(
        &folders,
        None,
        0,
        &[("CODEX_APP_SERVER_LOGIN_TIMEOUT_SECS", "1")],
    )
    .await;
    let started = start_v2(&mut client, 1).await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(&started.login_id, Some("Login timed out"))
    );
    // Its server is gone with it.
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, started.port))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_port_held_by_another_program_is_asked_to_cancel_then_given_up_on() {
    let folders = Folders::new();
    let holder = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = holder.local_addr().unwrap().port();
    let seen = tokio::spawn(async move {
        let (mut stream, _) = holder.accept().await.unwrap();
        let mut request = vec![0; 512];
        let read = stream.read(&mut request).await.unwrap();
        request.truncate(read);
        // Answer nothing, and keep the port until the test is over.
        (
            String::from_utf8_lossy(&request).into_owned(),
            holder,
            stream,
        )
    });
    let (_server, mut client) = serve(&folders, None, port, &[]).await;
    client
        .check(
            json!({"id": 1, "method": "account/login/start", "params": {"type": "chatgpt"}}),
            json!({"id": 1, "error": {"code": -32603, "message": format!(
                "failed to start login server: Port 127.0.0.1:{port} is already in use")}}),
        )
        .await;
    let (request, _holder, _stream) = seen.await.unwrap();
    assert!(
        request.starts_with("GET /cancel HTTP/1.1\r\n"),
        "{request:?}"
    );
}

#[tokio::test]
async fn a_forced_workspace_is_asked_for_and_other_accounts_are_refused() {
    let folders = Folders::new();
    folders.write_user_config("forced_chatgpt_workspace_id = \"ws-allowed\"\n");
    let issuer = issuer("ws-other").await;
    let (_server, mut client) = serve(&folders, Some(&issuer), 0, &[]).await;
    let started = start_v2(&mut client, 1).await;
    let params = raw_params(&started.auth_url);
    assert_eq!(
        params.last(),
        Some(&("allowed_workspace_id".to_owned(), "ws-allowed".to_owned()))
    );
    let page = call_back(&started, "code-1").await;
    let message = "Login is restricted to workspace id ws-allowed.";
    assert_eq!((page.status, page.body.as_str()), (200, message));
    assert_eq!(
        next_notification(&mut client).await,
        completed(
            &started.login_id,
            Some(&format!("Login server error: {message}"))
        )
    );
    assert!(!folders.home().join("auth.json").exists());
}

#[tokio::test]
async fn chatgpt_login_is_refused_when_api_keys_are_forced() {
    let folders = Folders::new();
    folders.write_user_config("forced_login_method = \"api\"\n");
    let (_server, mut client) = serve(&folders, None, 0, &[]).await;
    let refusal = |id: u64| {
        json!({"id": id, "error": {"code": -32600,
               "message": "ChatGPT login is disabled. Use API key login instead."}})
    };
    client
        .check(
            json!({"id": 1, "method": "account/login/start", "params": {"type": "chatgpt"}}),
            refusal(1),
        )
        .await;
    client
        .check(json!({"id": 2, "method": "loginChatGpt"}), refusal(2))
        .await;
}

#[tokio::test]
async fn a_second_login_a_logout_or_an_api_key_login_ends_the_pending_login() {
    let folders = Folders::new();
    // A fixed port, as the reference's: the second login server asks the first to stop.
    let port = free_port();
    let (_server, mut client) = serve(&folders, None, port, &[]).await;
    let first = start_v2(&mut client, 1).await;
    assert_eq!(first.port, port);

    // The first login's end is announced before the second's answer.
    client
        .send(&json!({"id": 2, "method": "account/login/start", "params": {"type": "chatgpt"}}))
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(&first.login_id, Some("Login server error: Login cancelled"))
    );
    let answer = client.answer(&json!(2)).await;
    let second = Started::from_answer(&client, &answer);
    assert_eq!(second.port, port);
    assert_ne!(second.login_id, first.login_id);

    client
        .send(&json!({"id": 3, "method": "account/logout"}))
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(
            &second.login_id,
            Some("Login server error: Login was not completed")
        )
    );
    assert_eq!(client.next().await, json!({"id": 3, "result": {}}));
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/updated", "params": {"authMode": null}})
    );

    let third = start_v2(&mut client, 4).await;
    client
        .send(&json!({"id": 5, "method": "account/login/start",
                      "params": {"type": "apiKey", "apiKey": "sk-1"}}))
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(
            &third.login_id,
            Some("Login server error: Login was not completed")
        )
    );
    assert_eq!(
        client.next().await,
        json!({"id": 5, "result": {"type": "apiKey"}})
    );
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/login/completed",
               "params": {"loginId": null, "success": true, "error": null}})
    );
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/updated", "params": {"authMode": "apikey"}})
    );
    // The port is free again once the login that held it has ended.
    assert!(
        TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn v1_cancel_answers_as_the_reference() {
    let folders = Folders::new();
    let (_server, mut client) = serve(&folders, None, 0, &[]).await;
    let answer = client
        .request(&json!({"id": 1, "method": "loginChatGpt"}))
        .await;
    let started = Started::from_answer(&client, &answer);
    let cancel = |id: u64, login_id: &str| json!({"id": id, "method": "cancelLoginChatGpt", "params": {"loginId": login_id}});
    client
        .check(cancel(2, &started.login_id), json!({"id": 2, "result": {}}))
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "loginChatGptComplete", "params": {
            "loginId": started.login_id, "success": false,
            "error": "Login server error: Login was not completed"}})
    );
    client
        .check(
            cancel(3, &started.login_id),
            json!({"id": 3, "error": {"code": -32600,
                   "message": format!("login id not found: {}", started.login_id)}}),
        )
        .await;
    // The reference's words come from its uuid crate's serde (`UUID parsing failed: ` and the
    // parse error, which differs a little between uuid versions).
    let answer = client.request(&cancel(4, "nope")).await;
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        answer["error"]["code"] == -32602
            && message.starts_with("Invalid params: UUID parsing failed: invalid character")
            && message.contains("found `n`"),
        "{}",
        client.report()
    );
}

/// The authorize URL against the reference's (recorded with the default issuer): the same
/// parameters, in the same order, encoded the same way. Only the port is ours (the reference's
/// is always 1455, which parallel tests cannot share), and the challenge and state are random.
#[tokio::test]
async fn the_authorize_url_has_the_reference_shape() {
    let folders = Folders::new();
    let env = folders.env();
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    env.push(("CODEX_APP_SERVER_LOGIN_PORT", "0"));
    let (_server, mut client) = Server::stdio(&env);
    client
        .request(&json!({"id": 0, "method": "initialize",
                         "params": {"clientInfo": {"name": "my_client", "version": "1"}}}))
        .await;
    client.send(&json!({"method": "initialized"})).await;
    let started = start_v2(&mut client, 1).await;
    let challenge = param(&started.auth_url, "code_challenge");
    // base64url of a SHA-256 digest and of 32 random bytes, without padding.
    for value in [&challenge, &started.state] {
        assert_eq!(value.len(), 43, "{value}");
        assert!(
            value
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
            "{value}"
        );
    }
    let expected = REFERENCE_AUTH_URL
        .replace("{PORT}", &started.port.to_string())
        .replace("{CHALLENGE}", &challenge)
        .replace("{STATE}", &started.state);
    assert_eq!(started.auth_url, expected);
    // A UUID v4.
    let id = &started.login_id;
    assert_eq!(
        (id.len(), id.as_bytes()[14], id.matches('-').count()),
        (36, b'4', 4),
        "{id}"
    );
    client
        .check(
            json!({"id": 2, "method": "account/login/cancel", "params": {"loginId": id}}),
            json!({"id": 2, "result": {"status": "canceled"}}),
        )
        .await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(id, Some("Login server error: Login was not completed"))
    );
}

#[tokio::test]
async fn an_enterprise_sign_in_brings_its_workspace_requirements_before_the_account_update() {
    use codex_test_support::chatgpt::Canned;
    use codex_test_support::chatgpt::Endpoint;
    use codex_test_support::chatgpt::MockChatGptBackend;

    let backend = MockChatGptBackend::start().await.unwrap();
    backend.set(
        Endpoint::Requirements,
        Canned::json(json!({"contents": "allowed_sandbox_modes = [\"read-only\"]\n"})),
    );
    let folders = Folders::new();
    folders.write_user_config(&format!(
        "chatgpt_base_url = \"{}\"\n",
        backend.backend_api_url()
    ));
    let issuer = MockIssuer::start(IssuedTokens::new(
        &fake_jwt(&chatgpt_claims("boss@example.com", "enterprise", "acc-9")),
        "access-9",
        "refresh-9",
    ))
    .await
    .unwrap();
    let (_server, mut client) = serve(&folders, Some(&issuer), 0, &[]).await;
    let before = client
        .request(&json!({"id": 1, "method": "configRequirements/read"}))
        .await;
    assert_eq!(before["result"]["requirements"], Value::Null, "{before}");

    let started = start_v2(&mut client, 2).await;
    let callback = call_back(&started, "code-9").await;
    open_success_page(&started, &callback).await;
    assert_eq!(
        next_notification(&mut client).await,
        completed(&started.login_id, None)
    );
    assert_eq!(
        next_notification(&mut client).await,
        json!({"method": "account/updated", "params": {"authMode": "chatgpt"}})
    );
    // By the time the account is announced, its workspace's requirements apply.
    let after = client
        .request(&json!({"id": 3, "method": "configRequirements/read"}))
        .await;
    assert_eq!(
        after["result"]["requirements"]["allowedSandboxModes"],
        json!(["read-only"]),
        "{after}"
    );
    let asked = backend.requests_to(Endpoint::Requirements);
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert_eq!(asked[0].header("authorization"), Some("Bearer access-9"));
}
