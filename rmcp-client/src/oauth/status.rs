//! The `authStatus` of a configured server, decided as the reference 0.101 decides it.

use std::path::Path;

use codex_protocol::protocol::McpAuthStatus;
use reqwest::Url;

use super::OAuthCredentialsStoreMode;
use super::OAuthServer;
use super::discovery::advertises_oauth;
use super::store::stored_tokens_or_none;

/// How a server is reached, as far as its auth status is concerned.
#[derive(Clone, Copy, Debug)]
pub enum AuthTransport<'a> {
    Stdio,
    StreamableHttp {
        server: &'a OAuthServer,
        /// Config `bearer_token_env_var`; naming one is enough, set or not.
        bearer_token_env_var: Option<&'a str>,
    },
}

/// The server's auth status, in the reference's order: stdio is `unsupported`; a configured
/// bearer token variable means `bearerToken`; stored tokens mean `oAuth`; a server that
/// advertises OAuth metadata is `notLoggedIn`; anything else is `unsupported`.
///
/// An `Authorization` entry in `http_headers` does not count as a bearer token: the reference
/// (0.101) ignores it here. A credentials store that cannot be read counts as holding nothing
/// (and is logged): the reference answers `unsupported` for a broken file, which hides that
/// the server does OAuth.
pub async fn auth_status(
    transport: AuthTransport<'_>,
    codex_home: &Path,
    store: OAuthCredentialsStoreMode,
) -> McpAuthStatus {
    let (server, bearer_token_env_var) = match transport {
        AuthTransport::Stdio => return McpAuthStatus::Unsupported,
        AuthTransport::StreamableHttp {
            server,
            bearer_token_env_var,
        } => (server, bearer_token_env_var),
    };
    if bearer_token_env_var.is_some() {
        return McpAuthStatus::BearerToken;
    }
    if stored_tokens_or_none(codex_home, store, &server.name, &server.url).is_some() {
        return McpAuthStatus::OAuth;
    }
    let Ok(url) = Url::parse(&server.url) else {
        return McpAuthStatus::Unsupported;
    };
    let client = match server.http_client() {
        Ok(client) => client,
        Err(err) => {
            tracing::warn!("{err}");
            return McpAuthStatus::Unsupported;
        }
    };
    if advertises_oauth(&client, &url).await {
        McpAuthStatus::NotLoggedIn
    } else {
        McpAuthStatus::Unsupported
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use pretty_assertions::assert_eq;

    use super::*;
    use crate::oauth::StoredOAuthTokens;
    use crate::oauth::store::save_tokens;
    use crate::oauth::test_support::MockAuthServer;

    const ROOT_METADATA: &str = "/.well-known/oauth-authorization-server";

    fn server(url: String) -> OAuthServer {
        OAuthServer {
            name: "remote".to_string(),
            url,
            ..OAuthServer::default()
        }
    }

    fn store_tokens(codex_home: &Path, server: &OAuthServer) {
        let tokens = StoredOAuthTokens {
            server_name: server.name.clone(),
            server_url: server.url.clone(),
            client_id: "client-1".to_string(),
            access_token: "access-1".to_string(),
            expires_at: None,
            refresh_token: None,
            scopes: Vec::new(),
        };
        save_tokens(codex_home, OAuthCredentialsStoreMode::File, &tokens).unwrap();
    }

    fn http<'a>(
        server: &'a OAuthServer,
        bearer_token_env_var: Option<&'a str>,
    ) -> AuthTransport<'a> {
        AuthTransport::StreamableHttp {
            server,
            bearer_token_env_var,
        }
    }

    async fn check(transport: AuthTransport<'_>, codex_home: &Path, expected: McpAuthStatus) {
        let status = auth_status(transport, codex_home, OAuthCredentialsStoreMode::Auto).await;
        assert_eq!(status, expected);
    }

    #[tokio::test]
    async fn the_rules_apply_in_the_reference_order() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let mut remote = server(auth.url("/mcp"));

        check(
            AuthTransport::Stdio,
            home.path(),
            McpAuthStatus::Unsupported,
        )
        .await;
        check(http(&remote, None), home.path(), McpAuthStatus::NotLoggedIn).await;

        // An Authorization header is not a bearer token to the reference: discovery still runs.
        remote.http_headers =
            BTreeMap::from([("Authorization".to_string(), "Bearer inline".to_string())]);
        check(http(&remote, None), home.path(), McpAuthStatus::NotLoggedIn).await;

        store_tokens(home.path(), &remote);
        let requests_before = auth.requests().len();
        check(http(&remote, None), home.path(), McpAuthStatus::OAuth).await;
        assert_eq!(auth.requests().len(), requests_before, "no discovery");

        // A bearer variable wins over stored tokens, even when it is not set.
        check(
            http(&remote, Some("CODEX_TEST_UNSET_BEARER_VARIABLE")),
            home.path(),
            McpAuthStatus::BearerToken,
        )
        .await;
    }

    #[tokio::test]
    async fn discovery_carries_the_configured_headers() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let mut remote = server(auth.url("/mcp"));
        remote.http_headers = BTreeMap::from([("X-Custom".to_string(), "v".to_string())]);
        let transport = AuthTransport::StreamableHttp {
            server: &remote,
            bearer_token_env_var: None,
        };

        check(transport, home.path(), McpAuthStatus::NotLoggedIn).await;

        let headers: Vec<Option<String>> = auth
            .requests()
            .into_iter()
            .map(|request| request.header("x-custom"))
            .collect();
        assert_eq!(headers, vec![Some("v".to_string()); 3]);
    }

    #[tokio::test]
    async fn a_server_without_metadata_is_unsupported() {
        let home = tempfile::tempdir().unwrap();
        let auth = MockAuthServer::start(&[]).await;
        let remote = server(auth.url("/mcp"));
        check(http(&remote, None), home.path(), McpAuthStatus::Unsupported).await;

        // Nothing listening at all is the same.
        let closed = server("http://127.0.0.1:1/mcp".to_string());
        check(http(&closed, None), home.path(), McpAuthStatus::Unsupported).await;
    }

    #[tokio::test]
    async fn a_broken_credentials_file_counts_as_no_tokens() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".credentials.json"), "{not json").unwrap();
        let auth = MockAuthServer::start(&[ROOT_METADATA]).await;
        let remote = server(auth.url("/mcp"));
        check(http(&remote, None), home.path(), McpAuthStatus::NotLoggedIn).await;
    }
}
