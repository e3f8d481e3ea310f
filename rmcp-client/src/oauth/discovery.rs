//! Finding a server's authorization server metadata (RFC 8414), in the two orders the reference
//! uses: a short one for `authStatus`, and rmcp's longer one (OpenID configuration and
//! protected-resource metadata too) for logging in and refreshing.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::Url;
use serde::Deserialize;

const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(5);
const PROTOCOL_VERSION_HEADER: &str = "MCP-Protocol-Version";
const DISCOVERY_PROTOCOL_VERSION: &str = "2024-11-05";
const AUTHORIZATION_SERVER: &str = "oauth-authorization-server";
const OPENID_CONFIGURATION: &str = "openid-configuration";
const PROTECTED_RESOURCE: &str = "oauth-protected-resource";

/// The endpoints a login needs.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub(crate) struct AuthorizationMetadata {
    pub(crate) authorization_endpoint: String,
    pub(crate) token_endpoint: String,
    #[serde(default)]
    pub(crate) registration_endpoint: Option<String>,
}

/// Whether the server advertises OAuth the way `authStatus` checks it: the first of
/// `/.well-known/oauth-authorization-server/<path>`, `/<path>/.well-known/...` and the root
/// form that answers 200 with both endpoints.
pub(crate) async fn advertises_oauth(client: &reqwest::Client, server_url: &Url) -> bool {
    let trimmed = trimmed_path(server_url);
    let mut paths = vec![format!("/.well-known/{AUTHORIZATION_SERVER}/{trimmed}")];
    paths.push(format!("/{trimmed}/.well-known/{AUTHORIZATION_SERVER}"));
    paths.push(format!("/.well-known/{AUTHORIZATION_SERVER}"));
    for candidate in unique_candidates(server_url, paths, &trimmed) {
        if fetch_json::<AuthorizationMetadata>(client, candidate)
            .await
            .is_some()
        {
            return true;
        }
    }
    false
}

/// The authorization server metadata for logging in or refreshing, searched as the
/// reference's rmcp does: the server's own well-known documents first, then the
/// protected-resource metadata its 401 challenge or well-known documents point to.
pub(crate) async fn discover_metadata(
    client: &reqwest::Client,
    server_url: &Url,
) -> Option<AuthorizationMetadata> {
    if let Some(metadata) = discover_at_issuer(client, server_url).await {
        return Some(metadata);
    }
    let mut resource_metadata_urls = Vec::new();
    if let Some(url) = challenge_resource_metadata(client, server_url).await {
        resource_metadata_urls.push(url);
    }
    let trimmed = trimmed_path(server_url);
    let paths = vec![
        format!("/.well-known/{PROTECTED_RESOURCE}/{trimmed}"),
        format!("/{trimmed}/.well-known/{PROTECTED_RESOURCE}"),
        format!("/.well-known/{PROTECTED_RESOURCE}"),
    ];
    resource_metadata_urls.extend(unique_candidates(server_url, paths, &trimmed));
    for url in resource_metadata_urls {
        let Some(resource) = fetch_json::<ProtectedResourceMetadata>(client, url).await else {
            continue;
        };
        for issuer in resource.authorization_servers {
            let Ok(issuer) = Url::parse(&issuer) else {
                continue;
            };
            if let Some(metadata) = discover_at_issuer(client, &issuer).await {
                return Some(metadata);
            }
        }
    }
    None
}

#[derive(Deserialize)]
struct ProtectedResourceMetadata {
    #[serde(default)]
    authorization_servers: Vec<String>,
}

/// rmcp's order for one issuer: OAuth with the path inserted, OpenID with the path inserted,
/// OpenID with the path appended, then the root OAuth document.
async fn discover_at_issuer(
    client: &reqwest::Client,
    issuer: &Url,
) -> Option<AuthorizationMetadata> {
    let trimmed = trimmed_path(issuer);
    let paths = if trimmed.is_empty() {
        vec![
            format!("/.well-known/{AUTHORIZATION_SERVER}"),
            format!("/.well-known/{OPENID_CONFIGURATION}"),
        ]
    } else {
        vec![
            format!("/.well-known/{AUTHORIZATION_SERVER}/{trimmed}"),
            format!("/.well-known/{OPENID_CONFIGURATION}/{trimmed}"),
            format!("/{trimmed}/.well-known/{OPENID_CONFIGURATION}"),
            format!("/.well-known/{AUTHORIZATION_SERVER}"),
        ]
    };
    for candidate in unique_candidates(issuer, paths, &trimmed) {
        if let Some(metadata) = fetch_json(client, candidate).await {
            return Some(metadata);
        }
    }
    None
}

/// The `resource_metadata` URL of the server's `WWW-Authenticate` challenge, if an
/// unauthenticated GET gets one.
async fn challenge_resource_metadata(client: &reqwest::Client, server_url: &Url) -> Option<Url> {
    let response = discovery_get(client, server_url.clone()).await?;
    if response.status() != StatusCode::UNAUTHORIZED {
        return None;
    }
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)?
        .to_str()
        .ok()?;
    let value = challenge_parameter(challenge, "resource_metadata")?;
    server_url.join(&value).ok()
}

/// One parameter of a `WWW-Authenticate` challenge, quoted or not.
fn challenge_parameter(challenge: &str, name: &str) -> Option<String> {
    let mut rest = challenge;
    while let Some(index) = rest.find(name) {
        let before = rest[..index].chars().next_back();
        let after = &rest[index + name.len()..];
        let starts_a_word = before.is_none_or(|c| c == ' ' || c == ',');
        if let (true, Some(value)) = (starts_a_word, after.trim_start().strip_prefix('=')) {
            let value = value.trim_start();
            return Some(match value.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next().unwrap_or_default().to_string(),
                None => value
                    .split([',', ' '])
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        rest = after;
    }
    None
}

fn trimmed_path(url: &Url) -> String {
    url.path()
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

/// The candidate URLs on `base`'s origin, without repeats; a URL without a path has only the
/// root forms.
fn unique_candidates(base: &Url, paths: Vec<String>, trimmed: &str) -> Vec<Url> {
    let mut urls: Vec<Url> = Vec::new();
    for path in paths {
        if trimmed.is_empty() && (path.ends_with('/') || path.starts_with("//")) {
            continue;
        }
        let mut url = base.clone();
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    urls
}

async fn discovery_get(client: &reqwest::Client, url: Url) -> Option<reqwest::Response> {
    let response = client
        .get(url.clone())
        .header(PROTOCOL_VERSION_HEADER, DISCOVERY_PROTOCOL_VERSION)
        .timeout(DISCOVERY_TIMEOUT)
        .send()
        .await;
    match response {
        Ok(response) => Some(response),
        Err(err) => {
            tracing::debug!("OAuth discovery request to {url} failed: {err}");
            None
        }
    }
}

/// A 200 answer parsed as `T`; anything else means "not here".
async fn fetch_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    url: Url,
) -> Option<T> {
    let response = discovery_get(client, url).await?;
    if response.status() != StatusCode::OK {
        return None;
    }
    let body = response.bytes().await.ok()?;
    serde_json::from_slice(&body).ok()
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::oauth::test_support::MockAuthServer;
    use crate::oauth::test_support::http_client;

    #[test]
    fn challenge_parameters_are_read_quoted_or_bare() {
        let challenge = r#"Bearer error="invalid_token", resource_metadata="https://a.example/.well-known/oauth-protected-resource""#;
        assert_eq!(
            challenge_parameter(challenge, "resource_metadata").as_deref(),
            Some("https://a.example/.well-known/oauth-protected-resource")
        );
        assert_eq!(
            challenge_parameter(
                "Bearer resource_metadata=/prm, scope=x",
                "resource_metadata"
            )
            .as_deref(),
            Some("/prm")
        );
        assert_eq!(
            challenge_parameter("Bearer x_resource_metadata=/a", "resource_metadata"),
            None
        );
    }

    #[tokio::test]
    async fn login_discovery_follows_the_reference_order() {
        let server = MockAuthServer::start(&["/.well-known/oauth-authorization-server"]).await;
        let client = http_client();
        let url = Url::parse(&server.url("/mcp")).unwrap();

        let metadata = discover_metadata(&client, &url).await.unwrap();

        assert_eq!(metadata.token_endpoint, server.url("/token"));
        assert_eq!(
            server.request_paths(),
            vec![
                "GET /.well-known/oauth-authorization-server/mcp",
                "GET /.well-known/openid-configuration/mcp",
                "GET /mcp/.well-known/openid-configuration",
                "GET /.well-known/oauth-authorization-server",
            ]
        );
    }

    #[tokio::test]
    async fn login_discovery_falls_back_to_protected_resource_metadata() {
        let server = MockAuthServer::start(&[
            "/.well-known/oauth-protected-resource",
            "/.well-known/oauth-authorization-server/issuer",
        ])
        .await;
        let client = http_client();
        let url = Url::parse(&server.url("/mcp")).unwrap();

        let metadata = discover_metadata(&client, &url).await.unwrap();

        assert_eq!(metadata.authorization_endpoint, server.url("/authorize"));
        assert_eq!(
            server.request_paths(),
            vec![
                "GET /.well-known/oauth-authorization-server/mcp",
                "GET /.well-known/openid-configuration/mcp",
                "GET /mcp/.well-known/openid-configuration",
                "GET /.well-known/oauth-authorization-server",
                "GET /mcp",
                "GET /.well-known/oauth-protected-resource/mcp",
                "GET /mcp/.well-known/oauth-protected-resource",
                "GET /.well-known/oauth-protected-resource",
                "GET /.well-known/oauth-authorization-server/issuer",
            ]
        );
    }

    #[tokio::test]
    async fn status_discovery_tries_three_paths_with_the_protocol_header() {
        let server = MockAuthServer::start(&[]).await;
        let client = http_client();

        let url = Url::parse(&server.url("/mcp")).unwrap();
        assert!(!advertises_oauth(&client, &url).await);
        let root = Url::parse(&server.url("/")).unwrap();
        assert!(!advertises_oauth(&client, &root).await);

        assert_eq!(
            server.request_paths(),
            vec![
                "GET /.well-known/oauth-authorization-server/mcp",
                "GET /mcp/.well-known/oauth-authorization-server",
                "GET /.well-known/oauth-authorization-server",
                "GET /.well-known/oauth-authorization-server",
            ]
        );
        let versions: Vec<Option<String>> = server
            .requests()
            .into_iter()
            .map(|request| request.header("mcp-protocol-version"))
            .collect();
        assert_eq!(versions, vec![Some("2024-11-05".to_string()); 4]);
    }
}
