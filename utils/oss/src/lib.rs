//! Local model servers that speak the OpenAI Chat Completions API: where they listen by default,
//! and a quick check that one is up before a turn is sent to it.
//!
//! ```no_run
//! use codex_utils_oss::{probe, LocalServer};
//!
//! # async fn check() {
//! let base_url = LocalServer::Ollama.default_base_url();
//! assert_eq!(base_url, "http://localhost:11434/v1");
//! if let Err(error) = probe(&base_url).await {
//!     // e.g. "no local model server answers at http://localhost:11434/v1/models: …"
//!     eprintln!("{error}");
//! }
//! # }
//! ```

use std::time::Duration;

/// How long [`probe`] waits for an answer. A local server answers in milliseconds; a longer
/// wait would only delay telling the user to start it.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// A kind of local model server, by its default port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalServer {
    /// Ollama, port 11434.
    Ollama,
    /// LM Studio, port 1234.
    LmStudio,
    /// vLLM's OpenAI-compatible server, port 8000.
    Vllm,
}

impl LocalServer {
    /// The port the server listens on unless told otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            LocalServer::Ollama => 11434,
            LocalServer::LmStudio => 1234,
            LocalServer::Vllm => 8000,
        }
    }

    /// The OpenAI-compatible base URL at the default port: `http://localhost:PORT/v1`.
    pub fn default_base_url(self) -> String {
        base_url_for_port(self.default_port())
    }
}

/// The OpenAI-compatible base URL of a local server on `port`: `http://localhost:PORT/v1`.
pub fn base_url_for_port(port: u16) -> String {
    format!("http://localhost:{port}/v1")
}

/// Why a local server did not pass [`probe`].
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// Nothing answered in time: the server is not running, or not on that port.
    #[error("no local model server answers at {url}: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    /// Something answered, but not as an OpenAI-compatible server would.
    #[error("the local model server at {url} answered {status}")]
    Status { url: String, status: u16 },
}

/// Checks that an OpenAI-compatible server answers `GET {base_url}/models` with a success
/// status within [`PROBE_TIMEOUT`]. Ollama, LM Studio and vLLM all serve that path.
pub async fn probe(base_url: &str) -> Result<(), ProbeError> {
    let url = format!("{}/models", base_url.trim_end_matches('/'));
    let unreachable = |source| ProbeError::Unreachable {
        url: url.clone(),
        source,
    };
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .build()
        .map_err(unreachable)?;
    let response = client.get(&url).send().await.map_err(unreachable)?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(ProbeError::Status {
            url,
            status: status.as_u16(),
        })
    }
}

#[cfg(test)]
mod tests {
    use codex_test_support::MockModelServer;

    use super::*;

    #[test]
    fn default_base_urls() {
        assert_eq!(
            LocalServer::Ollama.default_base_url(),
            "http://localhost:11434/v1"
        );
        assert_eq!(
            LocalServer::LmStudio.default_base_url(),
            "http://localhost:1234/v1"
        );
        assert_eq!(
            LocalServer::Vllm.default_base_url(),
            "http://localhost:8000/v1"
        );
    }

    #[tokio::test]
    async fn probe_succeeds_against_a_server_listing_models() {
        let server = MockModelServer::start().await.unwrap();
        probe(&server.base_url()).await.unwrap();
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, "GET");
        assert_eq!(requests[0].path, "/v1/models");
    }

    #[tokio::test]
    async fn probe_fails_on_a_closed_port() {
        // Bind then drop a listener: the port was free a moment ago and nothing listens now.
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/v1");
        let error = probe(&url).await.unwrap_err();
        assert!(
            matches!(&error, ProbeError::Unreachable { url: u, .. } if *u == format!("{url}/models")),
            "{error:?}"
        );
    }
}
