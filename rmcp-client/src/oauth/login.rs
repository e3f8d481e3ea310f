//! `mcpServer/oauth/login`: discovery, dynamic client registration, an authorization URL with
//! PKCE (S256) and a state, a loopback callback server on 127.0.0.1, the code exchanged for
//! tokens, and the tokens saved. [`start_login`] does everything up to the URL the user opens;
//! [`PendingLogin::complete`] waits for the browser to come back and does the rest.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::Uri;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Url;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::OAuthCredentialsStoreMode;
use super::OAuthError;
use super::OAuthServer;
use super::REQUEST_TIMEOUT;
use super::TokenRequestError;
use super::discovery::AuthorizationMetadata;
use super::discovery::discover_metadata;
use super::store::check_store_mode;
use super::store::save_tokens;
use super::tokens::request_tokens;

/// How long a login waits for the browser when the request names no timeout.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

const CALLBACK_PATH: &str = "/callback";
const CLIENT_NAME: &str = "Codex";
const CALLBACK_SUCCESS: &str = "Authentication complete. You may close this window.";
const CALLBACK_INVALID: &str = "Invalid OAuth callback";
/// How long the callback server may take to finish answering the browser once the login ends.
const CALLBACK_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// What a login needs.
#[derive(Clone, Debug)]
pub struct LoginParams {
    pub server: OAuthServer,
    /// The scopes to ask for (the request's, else the server's config `scopes`); none means no
    /// `scope` parameter.
    pub scopes: Vec<String>,
    /// How long to wait for the callback, counted from [`start_login`].
    pub timeout: Duration,
    /// Config `mcp_oauth_callback_port`; `None` picks a free port.
    pub callback_port: Option<u16>,
    pub codex_home: PathBuf,
    pub store: OAuthCredentialsStoreMode,
}

/// A login waiting for its callback. Dropping it stops the callback server.
pub struct PendingLogin {
    authorization_url: String,
    deadline: Instant,
    callbacks: mpsc::Receiver<CallbackParams>,
    callback_server: CallbackServer,
    exchange: CodeExchange,
}

/// What turns the callback's code into stored tokens.
struct CodeExchange {
    client: reqwest::Client,
    params: LoginParams,
    token_endpoint: String,
    client_id: String,
    redirect_uri: String,
    code_verifier: String,
    state: String,
}

impl PendingLogin {
    /// The URL the user opens to log in; the app-server answers it at once.
    pub fn authorization_url(&self) -> &str {
        &self.authorization_url
    }

    /// Waits for the callback (until the timeout given to [`start_login`]), exchanges its code
    /// for tokens and saves them.
    pub async fn complete(self) -> Result<(), OAuthError> {
        let PendingLogin {
            authorization_url: _,
            deadline,
            mut callbacks,
            callback_server,
            exchange,
        } = self;
        let callback = tokio::time::timeout_at(deadline, callbacks.recv()).await;
        let result = match callback {
            Ok(Some(callback)) => exchange.finish(callback).await,
            Ok(None) => Err(OAuthError::CallbackServerStopped),
            Err(_elapsed) => Err(OAuthError::CallbackTimeout),
        };
        callback_server.shut_down().await;
        result
    }
}

impl CodeExchange {
    async fn finish(self, callback: CallbackParams) -> Result<(), OAuthError> {
        if callback.state != self.state {
            return Err(OAuthError::HandleCallback(TokenRequestError::StateMismatch));
        }
        // The reference's order of the form fields.
        let form = [
            ("grant_type", "authorization_code"),
            ("code", callback.code.as_str()),
            ("code_verifier", self.code_verifier.as_str()),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
        ];
        let issued = request_tokens(&self.client, &self.token_endpoint, &form)
            .await
            .map_err(OAuthError::HandleCallback)?;
        let tokens = issued.into_stored(&self.params.server, &self.client_id, &self.params.scopes);
        save_tokens(&self.params.codex_home, self.params.store, &tokens)
    }
}

/// Starts a login: binds the callback server, discovers the authorization server, registers a
/// client and builds the authorization URL. Nothing is waited for beyond those requests.
pub async fn start_login(params: LoginParams) -> Result<PendingLogin, OAuthError> {
    let deadline = Instant::now() + params.timeout;
    // Refuse a store that cannot keep the tokens before the user goes through the browser.
    check_store_mode(params.store)?;
    let port = match params.callback_port {
        Some(0) => return Err(OAuthError::InvalidCallbackPort),
        Some(port) => port,
        None => 0,
    };
    let server_url = Url::parse(&params.server.url).map_err(|source| OAuthError::InvalidUrl {
        url: params.server.url.clone(),
        source,
    })?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| OAuthError::CallbackServer { port, source })?;
    let bound_port = listener
        .local_addr()
        .map_err(|source| OAuthError::CallbackServer { port, source })?
        .port();
    let redirect_uri = format!("http://127.0.0.1:{bound_port}{CALLBACK_PATH}");

    let client = params.server.http_client()?;
    let metadata = discover_metadata(&client, &server_url)
        .await
        .ok_or(OAuthError::NoAuthorizationSupport)?;
    let client_id = register_client(&client, &metadata, &redirect_uri).await?;

    let code_verifier = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let code_challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(code_verifier.as_bytes()));
    let state = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
    let mut authorization_url = Url::parse(&metadata.authorization_endpoint).map_err(|_| {
        OAuthError::InvalidAuthorizationEndpoint(metadata.authorization_endpoint.clone())
    })?;
    {
        let mut query = authorization_url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("state", &state)
            .append_pair("code_challenge", &code_challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("redirect_uri", &redirect_uri);
        if !params.scopes.is_empty() {
            query.append_pair("scope", &params.scopes.join(" "));
        }
    }

    let (sender, callbacks) = mpsc::channel(1);
    let callback_server = CallbackServer::spawn(listener, sender);
    Ok(PendingLogin {
        authorization_url: authorization_url.into(),
        deadline,
        callbacks,
        callback_server,
        exchange: CodeExchange {
            client,
            token_endpoint: metadata.token_endpoint,
            client_id,
            redirect_uri,
            code_verifier,
            state,
            params,
        },
    })
}

/// RFC 7591 registration of a public client, the body field for field as the reference sends it.
async fn register_client(
    client: &reqwest::Client,
    metadata: &AuthorizationMetadata,
    redirect_uri: &str,
) -> Result<String, OAuthError> {
    #[derive(Serialize)]
    struct RegistrationRequest<'a> {
        client_name: &'a str,
        redirect_uris: [&'a str; 1],
        grant_types: [&'a str; 2],
        token_endpoint_auth_method: &'a str,
        response_types: [&'a str; 1],
    }
    #[derive(Deserialize)]
    struct RegistrationResponse {
        client_id: String,
    }

    let Some(endpoint) = metadata.registration_endpoint.as_deref() else {
        return Err(OAuthError::Registration(
            "Dynamic client registration not supported".to_string(),
        ));
    };
    let body = RegistrationRequest {
        client_name: CLIENT_NAME,
        redirect_uris: [redirect_uri],
        grant_types: ["authorization_code", "refresh_token"],
        token_endpoint_auth_method: "none",
        response_types: ["code"],
    };
    let response = client
        .post(endpoint)
        .json(&body)
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .map_err(|err| OAuthError::Registration(format!("HTTP request error: {err}")))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|err| OAuthError::Registration(format!("HTTP request error: {err}")))?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&bytes);
        return Err(OAuthError::Registration(format!("HTTP {status}: {text}")));
    }
    let registration: RegistrationResponse = serde_json::from_slice(&bytes)
        .map_err(|err| OAuthError::Registration(format!("analyze response error: {err}")))?;
    Ok(registration.client_id)
}

/// The query of a callback that carries a code.
struct CallbackParams {
    code: String,
    state: String,
}

/// The loopback server the browser is redirected to.
struct CallbackServer {
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl CallbackServer {
    fn spawn(listener: tokio::net::TcpListener, sender: mpsc::Sender<CallbackParams>) -> Self {
        let stop = CancellationToken::new();
        let router = Router::new()
            .fallback(answer_callback)
            .with_state(Arc::new(sender));
        let shutdown = stop.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::warn!("OAuth callback server failed: {err}");
            }
        });
        Self { stop, task }
    }

    /// Lets the last answer reach the browser, then stops.
    async fn shut_down(mut self) {
        self.stop.cancel();
        if tokio::time::timeout(CALLBACK_SHUTDOWN_GRACE, &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for CallbackServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The reference's answers: a code and a state end the wait (the state is checked after);
/// an `error_description` is shown and the wait goes on; anything else is invalid.
async fn answer_callback(
    State(sender): State<Arc<mpsc::Sender<CallbackParams>>>,
    uri: Uri,
) -> (StatusCode, String) {
    if uri.path() != CALLBACK_PATH {
        return (StatusCode::BAD_REQUEST, CALLBACK_INVALID.to_string());
    }
    let query = uri.query().unwrap_or_default();
    let mut code = None;
    let mut state = None;
    let mut error_description = None;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "error_description" => error_description = Some(value.into_owned()),
            _ => {}
        }
    }
    match (code, state, error_description) {
        (Some(code), Some(state), _) => {
            // Only the first callback counts; a full channel means one is already in.
            let _ = sender.try_send(CallbackParams { code, state });
            (StatusCode::OK, CALLBACK_SUCCESS.to_string())
        }
        (_, _, Some(description)) => (
            StatusCode::BAD_REQUEST,
            format!("OAuth error: {description}"),
        ),
        _ => (StatusCode::BAD_REQUEST, CALLBACK_INVALID.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use pretty_assertions::assert_eq;

    use super::*;
    use crate::oauth::StoredOAuthTokens;
    use crate::oauth::bearer_for;
    use crate::oauth::store::credentials_path;
    use crate::oauth::store::load_tokens;
    use crate::oauth::test_support::MockAuthServer;
    use crate::oauth::test_support::http_client;

    const ROOT_METADATA: &str = "/.well-known/oauth-authorization-server";

    fn params(auth: &MockAuthServer, codex_home: &Path) -> LoginParams {
        LoginParams {
            server: OAuthServer {
                name: "remote".to_string(),
                url: auth.url("/mcp"),
                ..OAuthServer::default()
            },
            scopes: Vec::new(),
            timeout: DEFAULT_LOGIN_TIMEOUT,
            callback_port: None,
            codex_home: codex_home.to_path_buf(),
            store: OAuthCredentialsStoreMode::File,
        }
    }

    fn query_pairs(url: &str) -> Vec<(String, String)> {
        Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    fn query_value(pairs: &[(String, String)], name: &str) -> String {
        let (_, value) = pairs.iter().find(|(key, _)| key == name).unwrap();
        value.clone()
    }

    /// GETs `url` as a browser would, following redirects; answers the final status and text.
    async fn browse(url: &str) -> (u16, String) {
        let response = http_client().get(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn callback(login: &PendingLogin, path_and_query: &str) -> (u16, String) {
        let pairs = query_pairs(login.authorization_url());
        let redirect_uri = Url::parse(&query_value(&pairs, "redirect_uri")).unwrap();
        let port = redirect_uri.port().unwrap();
        browse(&format!("http://127.0.0.1:{port}{path_and_query}")).await
    }

    #[tokio::test]
    async fn a_whole_login_stores_tokens_that_the_next_request_uses() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let login_params = LoginParams {
            scopes: vec!["read".to_string(), "write".to_string()],
            ..params(&auth, home.path())
        };
        let server = login_params.server.clone();

        let login = start_login(login_params).await.unwrap();

        let pairs = query_pairs(login.authorization_url());
        let names: Vec<&str> = pairs.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "response_type",
                "client_id",
                "state",
                "code_challenge",
                "code_challenge_method",
                "redirect_uri",
                "scope",
            ]
        );
        assert!(
            login
                .authorization_url()
                .starts_with(&auth.url("/authorize?"))
        );
        assert!(login.authorization_url().ends_with("&scope=read+write"));
        let redirect_uri = query_value(&pairs, "redirect_uri");
        let port = Url::parse(&redirect_uri).unwrap().port().unwrap();
        assert_eq!(redirect_uri, format!("http://127.0.0.1:{port}/callback"));
        assert_eq!(query_value(&pairs, "client_id"), "client-1");
        assert_eq!(query_value(&pairs, "code_challenge_method"), "S256");
        assert_eq!(query_value(&pairs, "state").len(), 22);

        // As the app-server does it: the URL is answered, the rest runs on a task of its own.
        let authorization_url = login.authorization_url().to_string();
        let before = crate::oauth::now_millis();
        let completion = tokio::spawn(login.complete());
        assert_eq!(
            browse(&authorization_url).await,
            (200, CALLBACK_SUCCESS.to_string())
        );
        completion.await.unwrap().unwrap();

        let register = auth
            .requests()
            .into_iter()
            .find(|request| request.path == "/register")
            .unwrap();
        assert_eq!(
            register.body,
            format!(
                r#"{{"client_name":"Codex","redirect_uris":["{redirect_uri}"],"grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none","response_types":["code"]}}"#
            )
        );
        let token = auth
            .requests()
            .into_iter()
            .find(|request| request.path == "/token")
            .unwrap();
        let form: Vec<(String, String)> = url::form_urlencoded::parse(token.body.as_bytes())
            .into_owned()
            .collect();
        let verifier = query_value(&form, "code_verifier");
        assert_eq!(
            form,
            vec![
                ("grant_type".to_string(), "authorization_code".to_string()),
                ("code".to_string(), "code-1".to_string()),
                ("code_verifier".to_string(), verifier.clone()),
                ("client_id".to_string(), "client-1".to_string()),
                ("redirect_uri".to_string(), redirect_uri.clone()),
            ]
        );
        assert_eq!(verifier.len(), 43);
        assert_eq!(
            query_value(&pairs, "code_challenge"),
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        );

        let stored = load_tokens(
            home.path(),
            OAuthCredentialsStoreMode::File,
            &server.name,
            &server.url,
        )
        .unwrap()
        .unwrap();
        let expires_at = stored.expires_at.unwrap();
        assert!(expires_at >= before + 3_600_000, "{expires_at}");
        assert_eq!(
            stored,
            StoredOAuthTokens {
                server_name: "remote".to_string(),
                server_url: server.url.clone(),
                client_id: "client-1".to_string(),
                access_token: "access-1".to_string(),
                expires_at: Some(expires_at),
                refresh_token: Some("refresh-1".to_string()),
                scopes: vec!["read".to_string(), "write".to_string()],
            }
        );
        let bearer = bearer_for(&server, home.path(), OAuthCredentialsStoreMode::File)
            .await
            .unwrap();
        assert_eq!(bearer.as_deref(), Some("access-1"));
    }

    #[tokio::test]
    async fn a_state_mismatch_fails_the_login_without_a_token_request() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let login = start_login(params(&auth, home.path())).await.unwrap();

        // The browser hears success, as from the reference; the state is checked afterwards.
        assert_eq!(
            callback(&login, "/callback?code=code-1&state=forged").await,
            (200, CALLBACK_SUCCESS.to_string())
        );
        let err = login.complete().await.unwrap_err();

        assert_eq!(err.to_string(), "failed to handle OAuth callback");
        assert!(matches!(
            err,
            OAuthError::HandleCallback(TokenRequestError::StateMismatch)
        ));
        assert!(!auth.request_paths().contains(&"POST /token".to_string()));
        assert!(!credentials_path(home.path()).exists());
    }

    #[tokio::test]
    async fn error_and_invalid_callbacks_are_answered_and_the_login_times_out() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let login = start_login(params(&auth, home.path())).await.unwrap();
        let state = query_value(&query_pairs(login.authorization_url()), "state");

        let error_callback = format!(
            "/callback?error=access_denied&error_description=user%20said%20no&state={state}"
        );
        assert_eq!(
            callback(&login, &error_callback).await,
            (400, "OAuth error: user said no".to_string())
        );
        let invalid = (400, CALLBACK_INVALID.to_string());
        assert_eq!(
            callback(&login, "/callback?error=access_denied").await,
            invalid
        );
        assert_eq!(callback(&login, "/callback?code=code-1").await, invalid);
        let elsewhere = format!("/elsewhere?code=code-1&state={state}");
        assert_eq!(callback(&login, &elsewhere).await, invalid);

        // None of those ended the wait: with time paused, the login runs into its 300 s timeout.
        tokio::time::pause();
        let err = login.complete().await.unwrap_err();
        assert_eq!(err.to_string(), "timed out waiting for OAuth callback");
        assert!(!credentials_path(home.path()).exists());
    }

    #[tokio::test]
    async fn a_refused_code_fails_the_login() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        auth.set_token_status(400);
        let login = start_login(params(&auth, home.path())).await.unwrap();

        assert_eq!(browse(login.authorization_url()).await.0, 200);
        let err = login.complete().await.unwrap_err();

        assert_eq!(err.to_string(), "failed to handle OAuth callback");
        assert!(!credentials_path(home.path()).exists());
    }

    #[tokio::test]
    async fn the_configured_callback_port_is_used_and_zero_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let free_port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();

        let login = start_login(LoginParams {
            callback_port: Some(free_port),
            ..params(&auth, home.path())
        })
        .await
        .unwrap();
        let redirect_uri = query_value(&query_pairs(login.authorization_url()), "redirect_uri");
        assert_eq!(
            redirect_uri,
            format!("http://127.0.0.1:{free_port}/callback")
        );

        let err = start_login(LoginParams {
            callback_port: Some(0),
            ..params(&auth, home.path())
        })
        .await
        .err()
        .unwrap();
        assert_eq!(
            err.to_string(),
            "invalid MCP OAuth callback port `0`: port must be between 1 and 65535"
        );
    }

    #[tokio::test]
    async fn servers_without_metadata_or_registration_are_refused_as_the_reference_words_it() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[]).await;
        let err = start_login(params(&auth, home.path())).await.err().unwrap();
        assert_eq!(err.to_string(), "No authorization support detected");

        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        auth.disable_registration();
        let err = start_login(params(&auth, home.path())).await.err().unwrap();
        assert_eq!(
            err.to_string(),
            "Registration failed: Dynamic registration failed: Registration failed: Dynamic client registration not supported"
        );

        let keyring = LoginParams {
            store: OAuthCredentialsStoreMode::Keyring,
            ..params(&auth, home.path())
        };
        let err = start_login(keyring).await.err().unwrap();
        assert!(matches!(err, OAuthError::KeyringUnsupported), "{err}");
    }
}
