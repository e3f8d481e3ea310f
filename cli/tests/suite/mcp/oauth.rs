//! `mcpServer/oauth/login` end to end: the test MCP server doubles as the OAuth authorization
//! server; the test plays the browser (following the authorization URL's redirect to the
//! loopback callback), and the stored token, refreshed before each request, then authorizes
//! the MCP calls of a turn.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio::process::Child;
use tokio::process::Command;

use crate::suite::config::Folders;
use crate::suite::serve::Client;

/// The test MCP server over streamable HTTP with its mock authorization server, and the URL
/// of its MCP endpoint.
async fn oauth_mcp_server(log: &Path) -> (Child, String) {
    let binary = codex_utils_cargo_bin::cargo_bin("test-mcp-server").unwrap();
    let mut child = Command::new(binary)
        // Tokens live 10 s, inside the 30 s before expiry when codex refreshes: every request
        // codex sends needs a refresh first.
        .args([
            "--http",
            "127.0.0.1:0",
            "--oauth",
            "--token-ttl-secs",
            "10",
            "--log",
        ])
        .arg(log)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the MCP server announces its address")
        .unwrap()
        .unwrap();
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    (child, url)
}

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

async fn notification(client: &mut Client, method: &str) -> Value {
    loop {
        let message = client.next().await;
        if message["method"] == method && message.get("id").is_none() {
            return message;
        }
    }
}

/// The `token` events of the server's log: each access token it issued.
fn issued_tokens(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["event"] == "token")
        .filter_map(|event| event["access_token"].as_str().map(str::to_owned))
        .collect()
}

fn authorizations(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["event"] == "http" && event["path"] == "/mcp")
        .filter_map(|event| event["authorization"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn an_oauth_login_stores_a_token_that_the_next_calls_carry_refreshed() {
    let folders = Folders::new();
    let log = folders.home().join("mcp.log");
    let (_mcp, url) = oauth_mcp_server(&log).await;
    let model = MockModelServer::start().await.unwrap();
    let work = folders.home().join("work");
    std::fs::create_dir_all(&work).unwrap();
    folders.write_user_config(&format!(
        "model = \"gpt-5.1-codex\"\nmodel_provider = \"mock\"\napproval_policy = \"never\"\n\
         sandbox_mode = \"danger-full-access\"\nmcp_oauth_credentials_store = \"file\"\n\n\
         [model_providers.mock]\nname = \"mock\"\nbase_url = \"{}\"\nwire_api = \"responses\"\n\
         request_max_retries = 0\nstream_max_retries = 0\n\n[mcp_servers.remote]\nurl = \"{url}\"\n",
        model.base_url()
    ));
    let (_server, mut client) = folders.stdio().await;

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

    let completed = notification(&mut client, "mcpServer/oauthLogin/completed").await;
    assert_eq!(
        completed["params"],
        json!({"name": "remote", "success": true})
    );
    let credentials = folders.home().join(".credentials.json");
    let mode = std::fs::metadata(&credentials)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(&credentials).unwrap()).unwrap();
    let (key, entry) = stored.as_object().unwrap().iter().next().unwrap();
    assert!(key.starts_with("remote|"), "{key}");
    assert_eq!(entry["server_url"], url.as_str());
    let token = entry["access_token"].as_str().unwrap().to_owned();
    assert_eq!(issued_tokens(&log), vec![token.clone()]);

    assert_eq!(auth_status(&mut client, 3).await, "oAuth");

    // A turn's MCP call goes out with the stored token.
    model.enqueue(Reply::sse(sse::function_call_turn(
        "resp-1",
        "call-1",
        "mcp__remote__echo",
        r#"{"text":"hi"}"#,
    )));
    model.enqueue(Reply::sse(sse::text_turn("resp-2", "done")));
    let answer = client
        .request(&json!({"id": 4, "method": "thread/start", "params": {"cwd": work}}))
        .await;
    let thread = answer["result"]["thread"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    client
        .request(&json!({"id": 5, "method": "turn/start", "params": {
            "threadId": thread, "input": [{"type": "text", "text": "echo"}],
        }}))
        .await;
    let item = loop {
        let message = notification(&mut client, "item/completed").await;
        if message["params"]["item"]["type"] == "mcpToolCall" {
            break message["params"]["item"].clone();
        }
    };
    assert_eq!(item["status"], "completed", "{item}");
    assert_eq!(
        item["result"]["content"],
        json!([{"type": "text", "text": "echo: hi"}])
    );
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
