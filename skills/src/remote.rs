//! Remote skills ("hazelnuts"): the skills the ChatGPT backend publishes, listed for
//! `skills/remote/read` and fetched for `skills/remote/write`.
//!
//! The backend is reached without credentials at `<origin>/public-api/hazelnuts/`, where
//! `<origin>` is `chatgpt_base_url` without its `/backend-api` suffix. Every request has a time
//! bound, so an unreachable backend is an error after at most [`REQUEST_TIMEOUT`], never a wait
//! without end. The error texts are the reference's; clients show them.

use std::collections::BTreeMap;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// How long one request to the backend may take, as in the reference.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One skill as the backend lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RemoteSkillSummary {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// Where a downloaded skill went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadedSkill {
    pub id: String,
    pub name: String,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteSkillError {
    #[error("Failed to build the HTTP client: {0}")]
    Client(String),
    #[error("Failed to send request to {url}")]
    Send { url: String },
    #[error("Request failed with status {status} from {url}: {body}")]
    Status {
        status: String,
        url: String,
        body: String,
    },
    #[error("Failed to send download request to {url}")]
    SendDownload { url: String },
    #[error("Download failed with status {status} from {url}: {body}")]
    DownloadStatus {
        status: String,
        url: String,
        body: String,
    },
    #[error("Failed to read download")]
    ReadDownload,
    #[error("Failed to parse skills response")]
    Parse,
    #[error("Remote skill {0} not found")]
    NotFound(String),
    #[error("Downloaded remote skill payload is not a zip archive")]
    NotZip,
    #[error("Remote skill has no valid directory name")]
    NoDirName,
    /// The archive arrived, but this build cannot unpack zip archives yet.
    #[error("unpacking a remote skill's zip archive is not supported by this server yet")]
    UnpackUnsupported,
}

/// The listing as the backend sends it; the download needs the file names too.
#[derive(Debug, Deserialize)]
struct Listing {
    hazelnuts: Vec<ListedSkill>,
}

#[derive(Debug, Deserialize)]
struct ListedSkill {
    id: String,
    name: String,
    #[serde(default)]
    description: String,
    /// The skill's files by path in the archive, with their byte ranges.
    #[serde(default)]
    files: BTreeMap<String, serde_json::Value>,
}

/// The backend of one config, reached with the server's user agent.
#[derive(Debug, Clone)]
pub struct RemoteSkills {
    /// `chatgpt_base_url` without `/backend-api` and trailing `/`.
    origin: String,
    client: reqwest::Client,
}

impl RemoteSkills {
    pub fn new(chatgpt_base_url: &str, user_agent: &str) -> Result<Self, RemoteSkillError> {
        codex_utils_rustls_provider::ensure_rustls_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .build()
            .map_err(|err| RemoteSkillError::Client(err.to_string()))?;
        Ok(Self {
            origin: origin(chatgpt_base_url),
            client,
        })
    }

    fn listing_url(&self) -> String {
        format!("{}/public-api/hazelnuts/", self.origin)
    }

    async fn listing(&self) -> Result<Listing, RemoteSkillError> {
        let url = self.listing_url();
        let response = self
            .client
            .get(&url)
            .query(&[("product_surface", "codex")])
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|_| RemoteSkillError::Send { url: url.clone() })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(RemoteSkillError::Status {
                status: status.to_string(),
                url,
                body,
            });
        }
        parse_listing(&body)
    }

    /// Every skill the backend publishes for Codex.
    pub async fn list(&self) -> Result<Vec<RemoteSkillSummary>, RemoteSkillError> {
        Ok(self
            .listing()
            .await?
            .hazelnuts
            .into_iter()
            .map(|skill| RemoteSkillSummary {
                id: skill.id,
                name: skill.name,
                description: skill.description,
            })
            .collect())
    }

    /// Fetches skill `id` into `$CODEX_HOME/skills/downloaded/<name>` (preloads go to the
    /// curated folder, `vendor_imports/skills/skills/.curated/<name>`).
    pub async fn download(
        &self,
        codex_home: &Path,
        id: &str,
        is_preload: bool,
    ) -> Result<DownloadedSkill, RemoteSkillError> {
        let listed = self
            .listing()
            .await?
            .hazelnuts
            .into_iter()
            .find(|skill| skill.id == id)
            .ok_or_else(|| RemoteSkillError::NotFound(id.to_owned()))?;
        let url = format!("{}/public-api/hazelnuts/{id}/export", self.origin);
        let response = self
            .client
            .get(&url)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|_| RemoteSkillError::SendDownload { url: url.clone() })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|_| RemoteSkillError::ReadDownload)?;
        if !status.is_success() {
            return Err(RemoteSkillError::DownloadStatus {
                status: status.to_string(),
                url,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        if !is_zip(&bytes) {
            return Err(RemoteSkillError::NotZip);
        }
        let dir_name = dir_name(&listed.name)
            .or_else(|| dir_name(&listed.id))
            .ok_or(RemoteSkillError::NoDirName)?;
        // Unpacking the archive's listed files into this folder needs a zip reader, which this
        // build does not have yet: say so, and write nothing.
        tracing::warn!(
            target = %download_dir(codex_home, is_preload).join(dir_name).display(),
            files = listed.files.len(),
            "cannot unpack remote skill {id}: no zip support"
        );
        Err(RemoteSkillError::UnpackUnsupported)
    }
}

/// `chatgpt_base_url` without a trailing `/` and without `/backend-api`.
fn origin(chatgpt_base_url: &str) -> String {
    let trimmed = chatgpt_base_url.trim_end_matches('/');
    trimmed
        .strip_suffix("/backend-api")
        .unwrap_or(trimmed)
        .to_owned()
}

fn parse_listing(body: &str) -> Result<Listing, RemoteSkillError> {
    serde_json::from_str(body).map_err(|_| RemoteSkillError::Parse)
}

/// The folder downloaded skills go to.
fn download_dir(codex_home: &Path, is_preload: bool) -> PathBuf {
    if is_preload {
        codex_home
            .join("vendor_imports")
            .join("skills")
            .join("skills")
            .join(".curated")
    } else {
        codex_home.join("skills").join("downloaded")
    }
}

/// `name` when it is one plain, non-empty path component.
fn dir_name(name: &str) -> Option<String> {
    let mut components = Path::new(name).components();
    match (components.next(), components.next()) {
        (Some(std::path::Component::Normal(part)), None) => {
            Some(part.to_string_lossy().into_owned())
        }
        _ => None,
    }
}

/// Whether `bytes` starts with one of the zip signatures.
fn is_zip(bytes: &[u8]) -> bool {
    [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"]
        .iter()
        .any(|signature| bytes.starts_with(*signature))
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn the_origin_drops_the_backend_api_suffix() {
        assert_eq!(
            origin("https://chatgpt.com/backend-api/"),
            "https://chatgpt.com"
        );
        assert_eq!(origin("http://127.0.0.1:5/x/"), "http://127.0.0.1:5/x");
    }

    #[test]
    fn a_listing_parses_and_a_bad_one_is_the_reference_error() {
        let listing = parse_listing(
            r#"{"hazelnuts":[{"id":"h1","name":"lint","description":"Lints",
                "base_sediment_id":"s","files":{"SKILL.md":{"start":0,"length":3}}}]}"#,
        )
        .expect("parses");
        assert_eq!(listing.hazelnuts[0].id, "h1");
        assert_eq!(
            listing.hazelnuts[0].files.keys().collect::<Vec<_>>(),
            ["SKILL.md"]
        );
        let err = parse_listing("{}").expect_err("no hazelnuts");
        assert_eq!(err.to_string(), "Failed to parse skills response");
    }

    #[test]
    fn directory_names_are_single_plain_components() {
        assert_eq!(dir_name("lint"), Some("lint".to_owned()));
        assert_eq!(dir_name("../x"), None);
        assert_eq!(dir_name("a/b"), None);
        assert_eq!(dir_name(""), None);
        assert!(is_zip(b"PK\x03\x04rest"));
        assert!(!is_zip(b"{}"));
    }

    #[tokio::test]
    async fn an_unreachable_backend_is_a_prompt_error() {
        // A port just released: nothing listens there, so the connection is refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let remote = RemoteSkills::new(&format!("http://127.0.0.1:{port}/backend-api/"), "t")
            .expect("client");
        let err = remote.list().await.expect_err("unreachable");
        assert_eq!(
            err.to_string(),
            format!("Failed to send request to http://127.0.0.1:{port}/public-api/hazelnuts/")
        );
    }
}
