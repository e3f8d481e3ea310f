//! `test-mcp-server`: an MCP server, made with rmcp, for the integration tests of the MCP client
//! to spawn. Other crates' tests find it with
//! `codex_utils_cargo_bin::cargo_bin("test-mcp-server")`.
//!
//! It serves MCP over stdio until stdin closes, or over streamable HTTP with `--http`. It speaks
//! the protocol versions that have an `initialize` handshake (up to 2025-11-25) and answers the
//! one the client asks for, such as the reference's 2025-06-18. Flags:
//!
//! - `--http ADDR` (say `127.0.0.1:0`): serve streamable HTTP at `/mcp` instead, print
//!   `listening on http://IP:PORT/mcp` on stdout once bound, and serve until killed.
//! - `--bearer TOKEN` (HTTP): answer 401 to every MCP request without
//!   `Authorization: Bearer TOKEN`.
//! - `--oauth` (HTTP): also be a mock OAuth authorization server on the same origin
//!   (`/.well-known/oauth-authorization-server`, `/.well-known/oauth-protected-resource[/mcp]`,
//!   `POST /register`, `GET /authorize` answering 302 to the redirect uri with `code` and
//!   `state`, `POST /token` for the `authorization_code` grant with PKCE S256 and the rotating
//!   `refresh_token` grant), and answer 401 with
//!   `WWW-Authenticate: Bearer resource_metadata="…"` to MCP requests without a live token it
//!   issued. `--token-ttl-secs N` (default 3600) is the access tokens' lifetime.
//! - `--log FILE`: append one JSON object per line for each notable event, written at once:
//!   `started` (`pid`), `initialize` (`clientInfo`, `capabilities`, `protocolVersion`),
//!   `tools/call` (`name`, `arguments`), `notifications/cancelled` (`requestId`, `reason`),
//!   `sleep_cancelled` (`ms`), `spawn_child` (`pid`), `elicitation` (`action`, `content`),
//!   over HTTP `http` (`method`, `path`, `query`, `authorization`, `account_id` from
//!   `chatgpt-account-id`) for every request, and with
//!   `--oauth` `register`, `authorize` and `token` (`grant_type`, `client_id`, `access_token`,
//!   `refresh_token`) for each token pair issued.
//! - `--startup-delay-ms N`: sleep N ms before answering `initialize`.
//! - `--tools a,b`: offer only these tools.
//! - `--no-resources`: no resources capability; the resource methods answer -32601.
//! - `--chatgpt-apps FILE` (HTTP): also be the parts of the ChatGPT backend `app/list` reads
//!   (see `chatgpt_apps.rs`): the apps directory under `/backend-api`, and the MCP endpoint
//!   again at `/backend-api/wham/apps` with one `<id>_search` tool per connector of FILE,
//!   tagged `_meta {connector_id, connector_name}`.
//!
//! Tools (all unless `--tools` says otherwise):
//!
//! - `echo {text}`: `echo: <text>`; `echo_structured {text}`: the same and the structured
//!   content `{"echo": text}`.
//! - `fail {message?}`: a result with `isError` and the message (`tool failed` by default).
//! - `error {message?}`: the JSON-RPC error -32000 with the message (`kaboom` by default).
//! - `sleep {ms}`: `slept <ms> ms` after that long; when the client cancels it, it stops and
//!   logs `sleep_cancelled`.
//! - `pid`: the server's pid; `env`: its environment as a JSON object; `cwd`: its working
//!   directory.
//! - `spawn_child`: starts `sleep 600` in the server's process group and answers its pid.
//! - `elicit {message}`: sends `elicitation/create` and answers the client's action (`accept`,
//!   `decline` or `cancel`).
//!
//! Resources: `test://resource/1` to `test://resource/5` (text/plain), two per page with a
//! `nextCursor`; the template `test://resource/{id}`; `resources/read` answers
//! `resource <id>`, and an unknown uri the JSON-RPC error -32002.

mod chatgpt_apps;
mod event_log;
mod handler;
mod http;
mod oauth;
mod tools;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use rmcp::ServiceExt as _;
use serde_json::json;

use crate::event_log::EventLog;
use crate::handler::Settings;
use crate::handler::TestServer;
use crate::tools::ToolName;

/// An MCP server for tests; see the crate documentation for what it does.
#[derive(Debug, Parser)]
#[command(name = "test-mcp-server")]
struct Args {
    /// Serve streamable HTTP at `/mcp` on this address instead of stdio.
    #[arg(long, value_name = "ADDR")]
    http: Option<SocketAddr>,
    /// Over HTTP, require `Authorization: Bearer TOKEN` on MCP requests.
    #[arg(long, value_name = "TOKEN", requires = "http")]
    bearer: Option<String>,
    /// Over HTTP, also be a mock OAuth authorization server and require its tokens.
    #[arg(long, requires = "http")]
    oauth: bool,
    /// Lifetime of the access tokens `--oauth` issues.
    #[arg(long, value_name = "SECS", default_value_t = 3600, requires = "oauth")]
    token_ttl_secs: u64,
    /// Append one JSON line per notable event to this file.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// Wait this long before answering `initialize`.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    startup_delay_ms: u64,
    /// Offer only these tools (comma-separated).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    tools: Option<Vec<ToolName>>,
    /// Turn the resources capability off.
    #[arg(long)]
    no_resources: bool,
    /// Over HTTP, also serve the ChatGPT apps backend described in this JSON file.
    #[arg(long, value_name = "FILE", requires = "http")]
    chatgpt_apps: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let log = match &args.log {
        Some(path) => EventLog::open(path)
            .with_context(|| format!("cannot open the log file {}", path.display()))?,
        None => EventLog::default(),
    };
    log.record(json!({"event": "started", "pid": std::process::id()}));
    let chatgpt_apps = args
        .chatgpt_apps
        .as_deref()
        .map(chatgpt_apps::ChatgptApps::read)
        .transpose()?;
    let server = TestServer::new(Settings {
        connectors: chatgpt_apps
            .as_ref()
            .map(|apps| apps.connectors.clone())
            .unwrap_or_default(),
        log: log.clone(),
        startup_delay: Duration::from_millis(args.startup_delay_ms),
        tools: args.tools.unwrap_or_else(|| ToolName::ALL.to_vec()),
        resources: !args.no_resources,
    });
    if let Some(addr) = args.http {
        let options = http::HttpOptions {
            bearer: args.bearer,
            oauth_token_ttl: args.oauth.then(|| Duration::from_secs(args.token_ttl_secs)),
            chatgpt_apps,
        };
        return http::serve(addr, server, log, options).await;
    }
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .context("the MCP handshake over stdio failed")?;
    running
        .waiting()
        .await
        .context("the stdio server stopped")?;
    Ok(())
}
