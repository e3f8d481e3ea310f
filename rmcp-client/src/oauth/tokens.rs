//! Token requests to the authorization server (the code exchange of a login, the refresh before
//! a request) and the bearer token a streamable HTTP connection sends.

use std::path::Path;

use reqwest::Url;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::OAuthCredentialsStoreMode;
use super::OAuthError;
use super::OAuthServer;
use super::REQUEST_TIMEOUT;
use super::StoredOAuthTokens;
use super::TokenRequestError;
use super::discovery::discover_metadata;
use super::now_millis;
use super::store::save_tokens;
use super::store::stored_tokens_or_none;

/// A token is refreshed when it has less than this left.
const REFRESH_MARGIN_MILLIS: u64 = 30_000;

/// One refresh at a time in this process: two connections to the same server starting together
/// would otherwise both spend the refresh token, and a server that rotates it would reject one.
static REFRESH_LOCK: Mutex<()> = Mutex::const_new(());

/// The fields of a token response (RFC 6749 §5.1) that are kept.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// What a token response replaces in a stored entry.
pub(crate) struct IssuedTokens {
    access_token: String,
    expires_at: Option<u64>,
    refresh_token: Option<String>,
    scopes: Option<Vec<String>>,
}

impl IssuedTokens {
    /// The entry after a login: scopes the server did not list are the ones asked for
    /// (RFC 6749 §5.1).
    pub(crate) fn into_stored(
        self,
        server: &OAuthServer,
        client_id: &str,
        requested_scopes: &[String],
    ) -> StoredOAuthTokens {
        StoredOAuthTokens {
            server_name: server.name.clone(),
            server_url: server.url.clone(),
            client_id: client_id.to_string(),
            access_token: self.access_token,
            expires_at: self.expires_at,
            refresh_token: self.refresh_token,
            scopes: self.scopes.unwrap_or_else(|| requested_scopes.to_vec()),
        }
    }

    /// The entry after a refresh. A response without a new refresh token or scope keeps the
    /// old ones (the reference drops them, which forces a new login at the next expiry).
    fn update(self, stored: &mut StoredOAuthTokens) {
        stored.access_token = self.access_token;
        stored.expires_at = self.expires_at;
        if let Some(refresh_token) = self.refresh_token {
            stored.refresh_token = Some(refresh_token);
        }
        if let Some(scopes) = self.scopes {
            stored.scopes = scopes;
        }
    }
}

/// POSTs a form to the token endpoint, fields in the order given (the reference's order).
pub(crate) async fn request_tokens(
    client: &reqwest::Client,
    token_endpoint: &str,
    form: &[(&str, &str)],
) -> Result<IssuedTokens, TokenRequestError> {
    let response = client
        .post(token_endpoint)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(form)
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await
        .map_err(TokenRequestError::Http)?;
    let status = response.status();
    let body = response.bytes().await.map_err(TokenRequestError::Http)?;
    if !status.is_success() {
        return Err(TokenRequestError::Status {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    let parsed: TokenResponse =
        serde_json::from_slice(&body).map_err(TokenRequestError::InvalidResponse)?;
    let issued_at = now_millis();
    Ok(IssuedTokens {
        access_token: parsed.access_token,
        expires_at: parsed
            .expires_in
            .map(|seconds| issued_at.saturating_add(seconds.saturating_mul(1000))),
        refresh_token: parsed.refresh_token,
        scopes: parsed
            .scope
            .map(|scope| scope.split_whitespace().map(str::to_string).collect()),
    })
}

/// The bearer token for a request to `server`: the stored access token, refreshed first when
/// it has less than 30 s left and a refresh token is stored; `None` without stored tokens.
///
/// Without a refresh token the stored token is sent as it is and the server decides, as the
/// reference does. A store that cannot be read (a broken file, the keyring) counts as empty, so
/// servers that never logged in still start.
pub async fn bearer_for(
    server: &OAuthServer,
    codex_home: &Path,
    store: OAuthCredentialsStoreMode,
) -> Result<Option<String>, OAuthError> {
    let Some(stored) = stored_tokens_or_none(codex_home, store, &server.name, &server.url) else {
        return Ok(None);
    };
    if !needs_refresh(&stored) {
        return Ok(Some(stored.access_token));
    }
    let _refreshing = REFRESH_LOCK.lock().await;
    // Another task may have refreshed while this one waited.
    let Some(mut stored) = stored_tokens_or_none(codex_home, store, &server.name, &server.url)
    else {
        return Ok(None);
    };
    let Some(refresh_token) = stored.refresh_token.clone() else {
        return Ok(Some(stored.access_token));
    };
    if !needs_refresh(&stored) {
        return Ok(Some(stored.access_token));
    }
    let refresh_error = |source| OAuthError::Refresh {
        server: server.name.clone(),
        source,
    };
    let url = Url::parse(&server.url).map_err(|source| OAuthError::InvalidUrl {
        url: server.url.clone(),
        source,
    })?;
    let client = server.http_client()?;
    let metadata = discover_metadata(&client, &url)
        .await
        .ok_or_else(|| refresh_error(TokenRequestError::NoMetadata))?;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token.as_str()),
        ("client_id", stored.client_id.as_str()),
    ];
    let issued = request_tokens(&client, &metadata.token_endpoint, &form)
        .await
        .map_err(refresh_error)?;
    issued.update(&mut stored);
    save_tokens(codex_home, store, &stored)?;
    Ok(Some(stored.access_token))
}

fn needs_refresh(stored: &StoredOAuthTokens) -> bool {
    stored
        .expires_at
        .is_some_and(|expires_at| expires_at <= now_millis().saturating_add(REFRESH_MARGIN_MILLIS))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::oauth::store::load_tokens;
    use crate::oauth::test_support::MockAuthServer;

    const ROOT_METADATA: &str = "/.well-known/oauth-authorization-server";

    fn stored(server: &OAuthServer, expires_at: Option<u64>) -> StoredOAuthTokens {
        StoredOAuthTokens {
            server_name: server.name.clone(),
            server_url: server.url.clone(),
            client_id: "client-9".to_string(),
            access_token: "access-old".to_string(),
            expires_at,
            refresh_token: Some("refresh-old".to_string()),
            scopes: vec!["read".to_string()],
        }
    }

    fn remote(url: String) -> OAuthServer {
        OAuthServer {
            name: "remote".to_string(),
            url,
            ..OAuthServer::default()
        }
    }

    async fn bearer(server: &OAuthServer, home: &Path) -> Option<String> {
        bearer_for(server, home, OAuthCredentialsStoreMode::File)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn no_stored_tokens_means_no_bearer() {
        let home = tempfile::tempdir().unwrap();
        let server = remote("http://127.0.0.1:1/mcp".to_string());
        assert_eq!(bearer(&server, home.path()).await, None);
    }

    #[tokio::test]
    async fn an_unreadable_store_means_no_bearer() {
        let home = tempfile::tempdir().unwrap();
        let server = remote("http://127.0.0.1:1/mcp".to_string());
        let keyring = bearer_for(&server, home.path(), OAuthCredentialsStoreMode::Keyring).await;
        assert_eq!(keyring.unwrap(), None);
        std::fs::write(home.path().join(".credentials.json"), "{not json").unwrap();
        assert_eq!(bearer(&server, home.path()).await, None);
    }

    #[tokio::test]
    async fn a_token_with_time_left_is_used_as_stored() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let server = remote(auth.url("/mcp"));
        let mode = OAuthCredentialsStoreMode::File;
        save_tokens(
            home.path(),
            mode,
            &stored(&server, Some(now_millis() + 120_000)),
        )
        .unwrap();

        assert_eq!(
            bearer(&server, home.path()).await.as_deref(),
            Some("access-old")
        );
        assert_eq!(auth.request_paths(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_token_within_30_seconds_of_expiry_is_refreshed_and_saved() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        auth.set_token_response(serde_json::json!({
            "access_token": "access-new",
            "token_type": "Bearer",
            "expires_in": 3600,
            "refresh_token": "refresh-new",
        }));
        let server = remote(auth.url("/mcp"));
        let mode = OAuthCredentialsStoreMode::File;
        save_tokens(
            home.path(),
            mode,
            &stored(&server, Some(now_millis() + 20_000)),
        )
        .unwrap();

        let before = now_millis();
        assert_eq!(
            bearer(&server, home.path()).await.as_deref(),
            Some("access-new")
        );

        let token_request = auth
            .requests()
            .into_iter()
            .find(|request| request.path == "/token")
            .unwrap();
        assert_eq!(
            token_request.body,
            "grant_type=refresh_token&refresh_token=refresh-old&client_id=client-9"
        );
        let saved = load_tokens(home.path(), mode, &server.name, &server.url)
            .unwrap()
            .unwrap();
        let expires_at = saved.expires_at.unwrap();
        assert!(
            (before + 3_600_000..=now_millis() + 3_600_000).contains(&expires_at),
            "{expires_at}"
        );
        assert_eq!(
            saved,
            StoredOAuthTokens {
                access_token: "access-new".to_string(),
                expires_at: Some(expires_at),
                refresh_token: Some("refresh-new".to_string()),
                ..stored(&server, None)
            }
        );
        // The new token has time left: no second refresh.
        assert_eq!(
            bearer(&server, home.path()).await.as_deref(),
            Some("access-new")
        );
        let token_requests = auth
            .requests()
            .iter()
            .filter(|request| request.path == "/token")
            .count();
        assert_eq!(token_requests, 1);
    }

    #[tokio::test]
    async fn a_refresh_without_a_new_refresh_token_keeps_the_old_one() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        auth.set_token_response(serde_json::json!({"access_token": "access-new"}));
        let server = remote(auth.url("/mcp"));
        let mode = OAuthCredentialsStoreMode::File;
        save_tokens(home.path(), mode, &stored(&server, Some(1_000))).unwrap();

        assert_eq!(
            bearer(&server, home.path()).await.as_deref(),
            Some("access-new")
        );
        let saved = load_tokens(home.path(), mode, &server.name, &server.url)
            .unwrap()
            .unwrap();
        assert_eq!(
            saved,
            StoredOAuthTokens {
                access_token: "access-new".to_string(),
                expires_at: None,
                ..stored(&server, None)
            }
        );
    }

    #[tokio::test]
    async fn an_expired_token_without_a_refresh_token_is_sent_as_it_is() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let server = remote(auth.url("/mcp"));
        let mode = OAuthCredentialsStoreMode::File;
        let entry = StoredOAuthTokens {
            refresh_token: None,
            ..stored(&server, Some(1_000))
        };
        save_tokens(home.path(), mode, &entry).unwrap();

        assert_eq!(
            bearer(&server, home.path()).await.as_deref(),
            Some("access-old")
        );
        assert_eq!(auth.request_paths(), Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_refused_refresh_is_an_error_and_keeps_the_entry() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        auth.set_token_status(400);
        let server = remote(auth.url("/mcp"));
        let mode = OAuthCredentialsStoreMode::File;
        let entry = stored(&server, Some(1_000));
        save_tokens(home.path(), mode, &entry).unwrap();

        let err = bearer_for(&server, home.path(), mode).await.unwrap_err();

        assert_eq!(
            err.to_string(),
            "failed to refresh the OAuth token for MCP server `remote`"
        );
        assert_eq!(
            load_tokens(home.path(), mode, &server.name, &server.url).unwrap(),
            Some(entry)
        );
    }
}
