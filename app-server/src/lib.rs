//! The app server: the transports editors connect over, each connection's lifecycle, and the
//! routing of requests, answers and notifications between clients and the agent.
//!
//! Layers, outside in: a transport (`transport`) turns bytes into frames; `connection_loop`
//! drives one connection with a reader, a dispatcher and a writer joined by bounded queues;
//! `codec` reads and writes JSON-RPC envelopes; `dispatch` applies the handshake and
//! experimental rules, and `responder` guarantees one answer per request; `handlers` does the
//! work, converting through `wire`, the one boundary between wire and domain types. `registry` knows every
//! connection and routes notifications to the ones that follow a thread.
//!
//! Only this crate knows about JSON-RPC and connections.

mod approvals;
mod backend;
mod client_tools;
mod cloud_requirements;
mod codec;
mod config_warnings;
mod connection;
mod connection_loop;
mod dispatch;
mod error;
mod event_mapper;
mod external_auth;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod handlers;
mod journal;
mod login_flow;
mod model_catalogue;
mod outbound;
mod paging;
mod pump;
mod registry;
mod responder;
mod shutdown;
mod state;
mod thread_requests;
mod transport;
mod wire;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::http::HeaderValue;
use tokio_util::sync::CancellationToken;

use codex_config::ConfigPaths;
use codex_config::ConfigService;
use codex_config::SessionFlags;
use codex_utils_absolute_path::AbsolutePathBuf;

use crate::config_warnings::WarningLedger;
use crate::state::ConfigState;
use crate::state::ServerState;
use crate::state::ThreadsState;
use codex_utils_user_agent::Platform;

/// Where clients connect.
#[derive(Debug)]
pub enum Transport {
    /// One client on stdin and stdout; the server ends when stdin does.
    Stdio,
    /// WebSocket clients on a socket address.
    WebSocket {
        address: SocketAddr,
        auth: Option<WebSocketAuth>,
        /// Web pages (by `Origin`) that may connect; any other request with `Origin` gets 403.
        allowed_origins: AllowedOrigins,
    },
    /// No client transport; the server idles until it is told to stop.
    Off,
}

/// The secret a WebSocket client must present at the handshake.
pub struct WebSocketAuth {
    token: String,
}

impl std::fmt::Debug for WebSocketAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebSocketAuth { token: <redacted> }")
    }
}

impl WebSocketAuth {
    /// Reads a capability token from a file: its contents, without surrounding whitespace.
    pub fn from_token_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("failed to read the token file {}", path.display()))?;
        let token = text.trim();
        if token.is_empty() {
            anyhow::bail!("the token file {} is empty", path.display());
        }
        Ok(Self {
            token: token.to_string(),
        })
    }

    /// Whether an `Authorization` header carries this token, compared in constant time.
    fn accepts(&self, header: Option<&HeaderValue>) -> bool {
        let Some((scheme, presented)) = header
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().split_once(' '))
        else {
            return false;
        };
        // Auth schemes are case-insensitive in HTTP (RFC 9110, section 11.1).
        scheme.eq_ignore_ascii_case("bearer")
            && constant_time_eq::constant_time_eq(
                presented.trim_start().as_bytes(),
                self.token.as_bytes(),
            )
    }
}

/// The web origins (`--ws-allow-origin`) whose pages may connect over WebSocket.
///
/// Browsers send `Origin` with every WebSocket handshake, and nothing else stops a page from any
/// site from driving a server on localhost; so a request with `Origin` is refused unless its
/// value is, byte for byte, one of these. Requests without `Origin` (programs, not pages) are
/// not affected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Checks that each entry is a serialized origin (`http://host[:port]` or
    /// `https://host[:port]`, as browsers send it) so a typo does not silently admit nothing,
    /// and that none is the opaque `null` any sandboxed page or file sends.
    pub fn new(origins: Vec<String>) -> anyhow::Result<Self> {
        for origin in &origins {
            check_origin(origin)?;
        }
        Ok(Self(origins))
    }

    /// Whether a request's `Origin` header names an allowed origin.
    fn allows(&self, origin: &HeaderValue) -> bool {
        self.0
            .iter()
            .any(|allowed| allowed.as_bytes() == origin.as_bytes())
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn as_slice(&self) -> &[String] {
        &self.0
    }
}

fn check_origin(origin: &str) -> anyhow::Result<()> {
    let explain = "an origin is `http://HOST[:PORT]` or `https://HOST[:PORT]`, exactly as the \
                   browser sends it in `Origin` (no path, no trailing slash)";
    if origin == "null" {
        anyhow::bail!(
            "--ws-allow-origin null would admit every sandboxed page and local file; {explain}"
        );
    }
    let Some(host) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        anyhow::bail!("--ws-allow-origin {origin}: {explain}");
    };
    let bad = |c: char| c.is_whitespace() || c.is_control() || "/?#@".contains(c);
    if host.is_empty() || host.contains(bad) {
        anyhow::bail!("--ws-allow-origin {origin}: {explain}");
    }
    Ok(())
}

/// How to run the server.
#[derive(Debug)]
pub struct ServerOptions {
    pub transport: Transport,
    /// Session flags: `-c key=value` overrides and `--enable`/`--disable` toggles, as dotted
    /// keys with TOML values, later ones winning. They form the session flags config layer.
    pub config_overrides: Vec<(String, toml::Value)>,
    /// Hands the memory the allocator keeps for reuse back to the system. The server calls it
    /// when a turn ends (before clients hear so) and when a request is answered; the binary
    /// supplies it because only the binary knows its allocator.
    pub release_memory: fn(),
}

/// Runs the server until its transport ends (stdin closes) or it is told to stop (SIGTERM,
/// SIGINT, the parent process exiting). Work in flight is finished before it returns.
///
/// Fails before serving when the config overrides have the wrong types or are forbidden by the
/// admin's requirements; broken config files do not stop it (clients get `configWarning`s).
pub async fn run(options: ServerOptions) -> anyhow::Result<()> {
    let ServerOptions {
        transport,
        config_overrides,
        release_memory,
    } = options;
    let cwd = std::env::current_dir().context("failed to read the current directory")?;
    let cwd = AbsolutePathBuf::from_absolute_path(&cwd)
        .context("failed to read the current directory")?;
    let paths = ConfigPaths::from_env(&cwd)?;
    Platform::start_detecting(paths.codex_home.as_path());
    let config = start_config(paths, cwd, config_overrides).await?;
    let shutdown = CancellationToken::new();
    shutdown::watch(shutdown.clone()).context("failed to install signal handlers")?;
    let auth = start_auth(&config.service).await?;
    // The rollout store is opened after the first `initialize` answer (see `open_store_soon`).
    let threads = ThreadsState::new(
        config.service.paths().codex_home.to_path_buf(),
        ConfigService::clone(&config.service),
        None,
        auth,
    );
    let platform = Platform::current().clone();
    let mut state = ServerState::with_config(platform, config, threads);
    state.release_memory = release_memory;
    let state = Arc::new(state);
    state
        .auth
        .set_external_auth_refresher(Arc::new(external_auth::ClientRefresher {
            state: Arc::downgrade(&state),
        }));
    let served = match transport {
        Transport::Stdio => {
            transport::stdio::serve(Arc::clone(&state), shutdown).await;
            Ok(())
        }
        Transport::WebSocket {
            address,
            auth,
            allowed_origins,
        } => {
            transport::websocket::serve(
                Arc::clone(&state),
                address,
                auth,
                allowed_origins,
                shutdown,
            )
            .await
        }
        Transport::Off => {
            shutdown.cancelled().await;
            Ok(())
        }
    };
    state.threads.shutdown(THREAD_SHUTDOWN_LIMIT).await;
    // A little more indexing now saves the next server from doing it.
    if let Some(store) = state.threads.opened_store() {
        let _ =
            tokio::task::spawn_blocking(move || store.wait_for_background(INDEX_EXIT_WAIT)).await;
    }
    served
}

/// How long the server waits at exit for its threads to stop and write their rollouts.
const THREAD_SHUTDOWN_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long the server waits at exit for the thread index's background work.
const INDEX_EXIT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The account's credentials, from the store `cli_auth_credentials_store` names, loaded once
/// (on the blocking pool: a keyring answers over D-Bus).
async fn start_auth(service: &Arc<ConfigService>) -> anyhow::Result<Arc<codex_login::AuthManager>> {
    let service = Arc::clone(service);
    tokio::task::spawn_blocking(move || {
        let config = service
            .load(None)
            .resolve()
            .ok()
            .map(|resolved| resolved.config);
        let mode = config
            .as_ref()
            .and_then(|config| config.cli_auth_credentials_store)
            .unwrap_or_default();
        let codex_home = service.paths().codex_home.to_path_buf();
        let auth = codex_login::AuthManager::new(codex_home, mode);
        auth.set_forced_chatgpt_workspace_id(
            config.and_then(|config| config.forced_chatgpt_workspace_id),
        );
        auth
    })
    .await
    .context("failed to load the credentials")
}

/// Sets up configuration and loads it once, so that problems are logged at startup and told to
/// each client after its `initialize`.
async fn start_config(
    paths: ConfigPaths,
    cwd: AbsolutePathBuf,
    overrides: Vec<(String, toml::Value)>,
) -> anyhow::Result<ConfigState> {
    let codex_home = paths.codex_home.clone();
    let flags = SessionFlags::new(overrides, &cwd)?;
    let service = Arc::new(ConfigService::new(paths, flags)?);
    // Before the first load, like the reference: a workspace's requirements apply from the start.
    cloud_requirements::apply(&service, || backend::server_user_agent(Platform::current())).await;
    let stack = {
        let service = Arc::clone(&service);
        let cwd = cwd.clone();
        tokio::task::spawn_blocking(move || service.load(Some(&cwd)))
            .await
            .context("failed to load the configuration")?
    };
    let warnings = WarningLedger::default();
    let mut found = warnings.record(&stack);
    // Rules files are read by each thread; like the reference, a broken one is announced once.
    if let Some(warning) = codex_core::rules_warning(codex_home.as_path(), &stack) {
        warnings.record_lasting(warning.clone());
        found.push(warning);
    }
    for warning in found {
        tracing::warn!(
            details = warning.details.as_deref().unwrap_or_default(),
            "{}",
            warning.summary
        );
    }
    let replay = journal::ReplaySettings::from_config(
        stack
            .resolve()
            .ok()
            .and_then(|resolved| resolved.config.app_server)
            .as_ref(),
    );
    Ok(ConfigState {
        service,
        cwd,
        warnings,
        replay,
        default_provider: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_check_needs_the_bearer_scheme_and_the_exact_token() {
        let auth = WebSocketAuth {
            token: "s3cret".into(),
        };
        let check = |value: &str| auth.accepts(Some(&HeaderValue::from_str(value).unwrap()));
        assert!(check("Bearer s3cret"));
        assert!(check("bearer s3cret"));
        assert!(check("BEARER  s3cret"));
        assert!(!check("Bearer s3cre"));
        assert!(!check("Bearer s3cret2"));
        assert!(!check("Basic s3cret"));
        assert!(!check("s3cret"));
        assert!(!auth.accepts(None));
    }

    #[test]
    fn token_files_are_trimmed_and_must_not_be_empty() {
        let dir = std::env::temp_dir().join(format!("codex-token-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "  abc\n").unwrap();
        assert_eq!(WebSocketAuth::from_token_file(&file).unwrap().token, "abc");
        std::fs::write(&file, "\n").unwrap();
        let err = WebSocketAuth::from_token_file(&file).unwrap_err();
        assert!(err.to_string().ends_with("is empty"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn allowed_origins_match_exactly_and_must_be_origins() {
        let allowed = AllowedOrigins::new(vec![
            "http://127.0.0.1:5173".into(),
            "https://app.example".into(),
        ])
        .unwrap();
        let check = |value: &str| allowed.allows(&HeaderValue::from_str(value).unwrap());
        assert!(check("http://127.0.0.1:5173"));
        assert!(check("https://app.example"));
        assert!(!check("http://127.0.0.1:5174"));
        assert!(!check("http://127.0.0.1:5173/"));
        assert!(!check("HTTPS://app.example"));
        assert!(!check("https://app.example.evil"));
        assert!(!check("null"));
        for bad in [
            "null",
            "*",
            "127.0.0.1:5173",
            "http://",
            "http://host/",
            "https://host/path",
            "ws://host",
        ] {
            let err = AllowedOrigins::new(vec![bad.into()]).unwrap_err();
            assert!(
                err.to_string().contains("--ws-allow-origin"),
                "{bad}: {err}"
            );
        }
    }
}
