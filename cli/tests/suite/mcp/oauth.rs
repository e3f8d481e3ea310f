//! `mcpServer/oauth/login` end to end: the test MCP server doubles as the OAuth authorization
//! server; the test plays the browser (following the authorization URL's redirect to the
//! loopback callback), and the stored token, refreshed before each request, then authorizes
//! the MCP calls of a turn.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::HttpServer;
use super::ServerLog;
use super::add_config;
use super::toml_string;
use super::tool_calls::check_echo_turn;
use crate::suite::serve::Client;
use crate::suite::threads::live::Live;
use crate::suite::threads::live::until_notification;

/// A plain HTTP/1.1 GET of `url` (no redirects followed): the status and the raw response.
async fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(authority).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(20),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("the HTTP answer arrives")
    .unwrap();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    (status, response)
}

fn header<'a>(response: &'a str, name: &str) -> Option<&'a str> {
    response.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

async fn auth_status(client: &mut Client, id: u64) -> Value {
    let answer = client
        .request(&json!({"id": id, "method": "mcpServerStatus/list", "params": {}}))
        .await;
    answer["result"]["data"][0]["authStatus"].clone()
}

/// Each access token the mock authorization server issued, in order.
fn issued_tokens(log: &ServerLog) -> Vec<String> {
    log.named("token")
        .iter()
        .filter_map(|event| event["access_token"].as_str().map(str::to_owned))
        .collect()
}

/// The `Authorization` header of each request to the MCP endpoint, in order.
fn authorizations(log: &ServerLog) -> Vec<String> {
    log.named("http")
        .iter()
        .filter(|event| event["path"] == "/mcp")
        .filter_map(|event| event["authorization"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_oauth_login_stores_a_token_that_the_next_calls_carry_refreshed() {
    let live = Live::new().await;
    let log = ServerLog::new(&live, "remote");
    // Tokens live 10 s, inside the 30 s before expiry when codex refreshes: every request
    // codex sends needs a refresh first.
    let server = HttpServer::start(&log, &["--oauth", "--token-ttl-secs", "10"]).await;
    let config = live.folders.read_user_config();
    live.folders
        .write_user_config(&format!("mcp_oauth_credentials_store = \"file\"\n{config}"));
    add_config(
        &live,
        &format!(
            "\n[mcp_servers.remote]\nurl = {}\n",
            toml_string(&server.url)
        ),
    );
    let (_codex, mut client) = live.serve().await;

    assert_eq!(auth_status(&mut client, 1).await, "notLoggedIn");

    let answer = client
        .request(&json!({"id": 2, "method": "mcpServer/oauth/login", "params": {"name": "remote"}}))
        .await;
    let authorization_url = answer["result"]["authorizationUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned();
    assert!(
        authorization_url.contains("code_challenge_method=S256"),
        "{authorization_url}"
    );

    // The browser: the authorization server redirects to the loopback callback.
    let (status, response) = http_get(&authorization_url).await;
    assert_eq!(status, 302, "{response}");
    let callback = header(&response, "location")
        .expect("a redirect")
        .to_owned();
    let (status, response) = http_get(&callback).await;
    assert_eq!(status, 200, "{response}");
    assert!(
        response.contains("Authentication complete. You may close this window."),
        "{response}"
    );

    let completed = until_notification(&mut client, |message| {
        message["method"] == "mcpServer/oauthLogin/completed"
    })
    .await;
    assert_eq!(
        completed["params"],
        json!({"name": "remote", "success": true})
    );
    let credentials = live.folders.home().join(".credentials.json");
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&credentials).unwrap()).unwrap();
    let (key, entry) = stored.as_object().unwrap().iter().next().unwrap();
    assert!(key.starts_with("remote|"), "{key}");
    assert_eq!(entry["server_url"], server.url.as_str());
    let token = entry["access_token"].as_str().unwrap().to_owned();
    assert_eq!(issued_tokens(&log), vec![token.clone()]);

    assert_eq!(auth_status(&mut client, 3).await, "oAuth");

    // A turn's MCP call goes out with the stored token.
    check_echo_turn(&live, &mut client, "remote").await;
    // Each request asked for a fresh token: the login's was refreshed (the mock rotates refresh
    // tokens, so a stale one would fail), and the last request carried the last token issued.
    let issued = issued_tokens(&log);
    assert!(issued.len() > 1, "no refresh: {issued:?}");
    let seen = authorizations(&log);
    let last_issued = format!("Bearer {}", issued[issued.len() - 1]);
    assert_eq!(seen.last(), Some(&last_issued), "{seen:?}");
    // Two connections reached the server (the status list's and the thread's), each with
    // several requests; a token taken once per connection would show two tokens at most.
    let distinct: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert!(distinct.len() > 2, "{seen:?}");
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&credentials).unwrap()).unwrap();
    let (_, entry) = stored.as_object().unwrap().iter().next().unwrap();
    assert_eq!(entry["access_token"], issued[issued.len() - 1].as_str());
}
