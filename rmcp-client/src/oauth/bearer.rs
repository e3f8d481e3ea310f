//! Stored OAuth tokens as the bearer token of streamable HTTP connections.

use std::path::PathBuf;

use futures::future::BoxFuture;

use super::OAuthCredentialsStoreMode;
use super::OAuthServer;
use super::tokens::bearer_for;
use crate::client::BearerSource;

/// Hands each new connection to a streamable HTTP server the access token stored for it,
/// refreshed first when it is about to expire.
pub struct StoredBearer {
    codex_home: PathBuf,
    store: OAuthCredentialsStoreMode,
}

impl StoredBearer {
    pub fn new(codex_home: PathBuf, store: OAuthCredentialsStoreMode) -> Self {
        Self { codex_home, store }
    }
}

impl BearerSource for StoredBearer {
    fn bearer_token<'a>(&'a self, server: &'a str, url: &'a str) -> BoxFuture<'a, Option<String>> {
        Box::pin(async move {
            let server = OAuthServer {
                name: server.to_owned(),
                url: url.to_owned(),
                ..OAuthServer::default()
            };
            match bearer_for(&server, &self.codex_home, self.store).await {
                Ok(token) => token,
                Err(err) => {
                    // The connection goes on without a token; the server's 401 says the rest.
                    tracing::warn!(
                        "cannot use the stored OAuth tokens of MCP server `{}`: {err}",
                        server.name
                    );
                    None
                }
            }
        })
    }
}
