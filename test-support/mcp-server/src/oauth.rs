//! `--oauth`: a mock OAuth 2.1 authorization server on the MCP server's own origin, enough for
//! an MCP client's whole login: discovery (RFC 8414 authorization server metadata and RFC 9728
//! protected resource metadata), dynamic client registration, an authorization endpoint that
//! redirects at once (no user to ask) after checking the PKCE request, and a token endpoint for
//! the authorization code (verifier checked against the challenge) and refresh grants. The MCP
//! endpoint then takes only access tokens issued here and not yet expired.
//!
//! Everything lives in memory for the life of the process. Refresh tokens rotate: a refresh
//! answers a new one and the old one stops working.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;
use std::time::Instant;

use axum::Json;
use axum::Router;
use axum::extract::Form;
use axum::extract::Query;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::header::CACHE_CONTROL;
use axum::http::header::LOCATION;
use axum::response::IntoResponse as _;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;
use serde_json::json;
use sha2::Digest as _;
use sha2::Sha256;

use crate::event_log::EventLog;
use crate::http::MCP_PATH;

const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";
const PROTECTED_RESOURCE_METADATA: &str = "/.well-known/oauth-protected-resource";

/// The mock authorization server and the tokens it has handed out.
pub struct OAuthServer {
    /// `http://127.0.0.1:PORT`: the issuer, and the origin of every endpoint.
    origin: String,
    token_ttl: Duration,
    log: EventLog,
    state: Mutex<Issued>,
}

#[derive(Default)]
struct Issued {
    /// Registered clients by `client_id`, with the redirect uris they registered.
    clients: HashMap<String, Vec<String>>,
    /// Authorization codes not yet exchanged.
    codes: HashMap<String, PendingCode>,
    /// Access tokens and when they expire.
    access_tokens: HashMap<String, Instant>,
    /// Refresh tokens and the client each belongs to.
    refresh_tokens: HashMap<String, String>,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    scope: Option<String>,
}

impl OAuthServer {
    pub fn new(origin: String, token_ttl: Duration, log: EventLog) -> Arc<Self> {
        Arc::new(Self {
            origin,
            token_ttl,
            log,
            state: Mutex::default(),
        })
    }

    /// Whether `token` is an access token issued here that has not expired.
    pub fn accepts(&self, token: &str) -> bool {
        self.issued()
            .access_tokens
            .get(token)
            .is_some_and(|expires| Instant::now() < *expires)
    }

    /// Where the protected resource metadata of the MCP endpoint is (RFC 9728 path insertion),
    /// as named in the `WWW-Authenticate` challenge.
    pub fn resource_metadata_url(&self) -> String {
        format!("{}{PROTECTED_RESOURCE_METADATA}{MCP_PATH}", self.origin)
    }

    /// The routes of the authorization server, to merge beside the MCP endpoint.
    pub fn routes(self: &Arc<Self>) -> Router {
        let resource_metadata = get(protected_resource_metadata);
        Router::new()
            .route(
                AUTHORIZATION_SERVER_METADATA,
                get(authorization_server_metadata),
            )
            .route(PROTECTED_RESOURCE_METADATA, resource_metadata.clone())
            .route(
                &format!("{PROTECTED_RESOURCE_METADATA}{MCP_PATH}"),
                resource_metadata,
            )
            .route("/register", post(register))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(Arc::clone(self))
    }

    fn issued(&self) -> MutexGuard<'_, Issued> {
        // A poisoned lock only means a handler panicked; the maps are still consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Issues a fresh access and refresh token pair for `client_id`, and logs it.
    fn issue_tokens(&self, client_id: &str, grant_type: &str, scope: Option<String>) -> Response {
        let access_token = format!("access-{}", uuid::Uuid::new_v4().simple());
        let refresh_token = format!("refresh-{}", uuid::Uuid::new_v4().simple());
        {
            let mut issued = self.issued();
            issued
                .access_tokens
                .insert(access_token.clone(), Instant::now() + self.token_ttl);
            issued
                .refresh_tokens
                .insert(refresh_token.clone(), client_id.to_owned());
        }
        self.log.record(json!({
            "event": "token",
            "grant_type": grant_type,
            "client_id": client_id,
            "access_token": access_token,
            "refresh_token": refresh_token,
        }));
        let mut body = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.token_ttl.as_secs(),
            "refresh_token": refresh_token,
        });
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        let mut response = Json(body).into_response();
        response.headers_mut().insert(
            CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        response
    }
}

async fn authorization_server_metadata(State(oauth): State<Arc<OAuthServer>>) -> Json<Value> {
    let origin = &oauth.origin;
    Json(json!({
        "issuer": origin,
        "authorization_endpoint": format!("{origin}/authorize"),
        "token_endpoint": format!("{origin}/token"),
        "registration_endpoint": format!("{origin}/register"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none"],
    }))
}

async fn protected_resource_metadata(State(oauth): State<Arc<OAuthServer>>) -> Json<Value> {
    Json(json!({
        "resource": format!("{}{MCP_PATH}", oauth.origin),
        "authorization_servers": [oauth.origin],
        "bearer_methods_supported": ["header"],
    }))
}

#[derive(Deserialize)]
struct Registration {
    #[serde(default)]
    redirect_uris: Vec<String>,
    client_name: Option<String>,
}

async fn register(
    State(oauth): State<Arc<OAuthServer>>,
    Json(registration): Json<Registration>,
) -> Response {
    if registration.redirect_uris.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris is required",
        );
    }
    let client_id = format!("client-{}", uuid::Uuid::new_v4().simple());
    oauth
        .issued()
        .clients
        .insert(client_id.clone(), registration.redirect_uris.clone());
    oauth.log.record(json!({
        "event": "register",
        "client_id": client_id,
        "client_name": registration.client_name,
        "redirect_uris": registration.redirect_uris,
    }));
    let body = json!({
        "client_id": client_id,
        "client_name": registration.client_name,
        "redirect_uris": registration.redirect_uris,
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn authorize(
    State(oauth): State<Arc<OAuthServer>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| {
        query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(client_id), Some(redirect_uri), Some(state), Some(code_challenge)) = (
        param("client_id"),
        param("redirect_uri"),
        param("state"),
        param("code_challenge"),
    ) else {
        return bad_authorize_request(
            "client_id, redirect_uri, state and code_challenge are required",
        );
    };
    if param("response_type") != Some("code") {
        return bad_authorize_request("response_type must be `code`");
    }
    if param("code_challenge_method") != Some("S256") {
        return bad_authorize_request("code_challenge_method must be `S256`");
    }
    let registered = oauth
        .issued()
        .clients
        .get(client_id)
        .map(|uris| uris.iter().any(|uri| uri == redirect_uri));
    match registered {
        None => return bad_authorize_request(&format!("unknown client_id `{client_id}`")),
        Some(false) => {
            return bad_authorize_request(&format!(
                "redirect_uri `{redirect_uri}` is not registered for this client"
            ));
        }
        Some(true) => {}
    }

    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    let scope = param("scope").map(str::to_owned);
    oauth.log.record(json!({
        "event": "authorize",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": state,
    }));
    oauth.issued().codes.insert(
        code.clone(),
        PendingCode {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            code_challenge: code_challenge.to_owned(),
            scope,
        },
    );
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!(
        "{redirect_uri}{separator}code={}&state={}",
        query_component(&code),
        query_component(state),
    );
    let mut response = StatusCode::FOUND.into_response();
    match axum::http::HeaderValue::from_str(&location) {
        Ok(location) => {
            response.headers_mut().insert(LOCATION, location);
            response
        }
        Err(_) => bad_authorize_request("redirect_uri cannot be used in a Location header"),
    }
}

async fn token(
    State(oauth): State<Arc<OAuthServer>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    // A public client names itself in the form; accept HTTP Basic too, as a confidential
    // client would send it.
    let client_id = field("client_id")
        .map(str::to_owned)
        .or_else(|| basic_auth_client_id(&headers));
    match field("grant_type") {
        Some("authorization_code") => {
            let (Some(code), Some(verifier)) = (field("code"), field("code_verifier")) else {
                return invalid_request("code and code_verifier are required");
            };
            let Some(pending) = oauth.issued().codes.remove(code) else {
                return invalid_grant("unknown or already used authorization code");
            };
            if client_id.as_deref() != Some(pending.client_id.as_str()) {
                return invalid_grant("the code was issued to another client");
            }
            if field("redirect_uri") != Some(pending.redirect_uri.as_str()) {
                return invalid_grant("redirect_uri does not match the authorization request");
            }
            if pkce_challenge(verifier) != pending.code_challenge {
                return invalid_grant("code_verifier does not match the code_challenge");
            }
            oauth.issue_tokens(&pending.client_id, "authorization_code", pending.scope)
        }
        Some("refresh_token") => {
            let Some(refresh_token) = field("refresh_token") else {
                return invalid_request("refresh_token is required");
            };
            let Some(owner) = oauth.issued().refresh_tokens.remove(refresh_token) else {
                return invalid_grant("unknown or already used refresh token");
            };
            if client_id
                .as_ref()
                .is_some_and(|client_id| *client_id != owner)
            {
                return invalid_grant("the refresh token was issued to another client");
            }
            oauth.issue_tokens(&owner, "refresh_token", field("scope").map(str::to_owned))
        }
        Some(other) => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type `{other}` is not supported"),
        ),
        None => invalid_request("grant_type is required"),
    }
}

/// The S256 code challenge of a PKCE verifier: base64url(sha256(verifier)), unpadded.
fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn basic_auth_client_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(credentials.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (client_id, _secret) = decoded.split_once(':')?;
    Some(client_id.to_owned())
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn query_component(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The authorization endpoint answers a bad request itself rather than redirecting, as
/// RFC 6749 asks when the client or redirect uri cannot be trusted; a test sees the 400.
fn bad_authorize_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        format!("invalid authorization request: {message}"),
    )
        .into_response()
}

fn invalid_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn pkce_challenge_is_unpadded_base64url_of_sha256() {
        // The expected value was computed apart, with Python's hashlib and base64.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mJ92K5uvKWLuE2qC9bd4Q8zlT0w0CM"),
            "0E1Ye19Ig_J0_6IPFVmuJLTsDhco3_5O0HQSzSOSltg"
        );
    }

    #[test]
    fn query_components_keep_unreserved_characters_only() {
        assert_eq!(query_component("aZ09-._~"), "aZ09-._~");
        assert_eq!(query_component("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn basic_auth_names_the_client() {
        let mut headers = HeaderMap::new();
        let credentials = STANDARD.encode("client-1:");
        headers.insert(
            AUTHORIZATION,
            format!("Basic {credentials}").parse().unwrap(),
        );
        assert_eq!(basic_auth_client_id(&headers), Some("client-1".to_owned()));
        headers.insert(AUTHORIZATION, "Bearer x".parse().unwrap());
        assert_eq!(basic_auth_client_id(&headers), None);
    }
}
