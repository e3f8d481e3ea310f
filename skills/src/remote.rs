//! Remote skills ("hazelnuts"): the skills the ChatGPT backend publishes, listed for
//! `skills/remote/read` and fetched for `skills/remote/write`.
//!
//! The backend is reached without credentials at `<origin>/public-api/hazelnuts/`, where
//! `<origin>` is `chatgpt_base_url` without its `/backend-api` suffix. Every request has a time
//! bound, so an unreachable backend is an error after at most [`REQUEST_TIMEOUT`], never a wait
//! without end. The error texts are the reference's; clients show them.

mod archive;

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Component;
use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
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
    #[error("Failed to create downloaded skills directory")]
    CreateDir,
    #[error("Failed to open zip archive")]
    OpenArchive,
    #[error("Invalid file path in remote skill payload: {0}")]
    InvalidPath(String),
    #[error("Failed to create parent dir for {0}")]
    CreateParent(String),
    #[error("Failed to create file {0}")]
    CreateFile(String),
    #[error("Failed to write skill file {0}")]
    WriteFile(String),
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
    /// A client for the backend of `chatgpt_base_url`, sending `user_agent` and the client's
    /// name as `originator`.
    pub fn new(
        chatgpt_base_url: &str,
        user_agent: &str,
        originator: &str,
    ) -> Result<Self, RemoteSkillError> {
        codex_utils_rustls_provider::ensure_rustls_crypto_provider();
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(value) = reqwest::header::HeaderValue::from_str(originator) {
            headers.insert("originator", value);
        }
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(headers)
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

    /// Fetches skill `id`: checks that the backend lists it, then downloads its archive. Unpack
    /// it with [`FetchedSkill::install`] (blocking file work).
    pub async fn fetch(&self, id: &str) -> Result<FetchedSkill, RemoteSkillError> {
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
        Ok(FetchedSkill {
            id: listed.id,
            name: listed.name,
            files: listed.files.into_keys().collect(),
            archive: bytes.to_vec(),
        })
    }
}

/// A remote skill downloaded but not unpacked yet.
#[derive(Debug, Clone)]
pub struct FetchedSkill {
    id: String,
    name: String,
    /// The files the backend lists for it; other archive entries are left out.
    files: BTreeSet<String>,
    archive: Vec<u8>,
}

impl FetchedSkill {
    /// Unpacks the skill's listed files into `$CODEX_HOME/skills/downloaded/<name>` (a preload
    /// goes to the curated folder, `vendor_imports/skills/skills/.curated/<name>`). The folder
    /// is filled beside its place and then moved there, so it is never seen half written; a
    /// folder already there is replaced.
    pub fn install(
        self,
        codex_home: &Path,
        is_preload: bool,
    ) -> Result<DownloadedSkill, RemoteSkillError> {
        let dir_name = dir_name(&self.name)
            .or_else(|| dir_name(&self.id))
            .ok_or(RemoteSkillError::NoDirName)?;
        let root = download_dir(codex_home, is_preload);
        std::fs::create_dir_all(&root).map_err(|_| RemoteSkillError::CreateDir)?;
        let entries = archive::read_entries(&self.archive).map_err(|err| {
            tracing::warn!("cannot read remote skill {}'s archive: {err}", self.id);
            RemoteSkillError::OpenArchive
        })?;
        let prefixes = [self.name.as_str(), self.id.as_str()];
        let mut wanted = Vec::new();
        for entry in entries {
            let Some(name) = archive_path(&entry.name, &prefixes) else {
                continue;
            };
            if !self.files.contains(&name) {
                continue;
            }
            if !is_relative_plain(&name) {
                return Err(RemoteSkillError::InvalidPath(name));
            }
            wanted.push((name, entry.data));
        }
        let target = root.join(&dir_name);
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let staging = root.join(format!(
            ".{dir_name}.{}-{}.download",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&staging);
        let written = write_files(&staging, &wanted).and_then(|()| replace_dir(&staging, &target));
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        written?;
        Ok(DownloadedSkill {
            id: self.id,
            name: self.name,
            path: target,
        })
    }
}

/// An archive entry's path inside the skill: without a leading `./` and without the first of
/// `prefixes` (the skill's name or id) it starts with as a folder. `None` when nothing is left.
fn archive_path(name: &str, prefixes: &[&str]) -> Option<String> {
    let mut path = name.trim_start_matches("./");
    for prefix in prefixes.iter().filter(|prefix| !prefix.is_empty()) {
        if let Some(rest) = path.strip_prefix(&format!("{prefix}/")) {
            path = rest;
            break;
        }
    }
    (!path.is_empty()).then(|| path.to_owned())
}

/// Whether `path` is made of plain names only (no root, `..` or `.`), so it stays inside the
/// skill's folder.
fn is_relative_plain(path: &str) -> bool {
    Path::new(path)
        .components()
        .all(|component| matches!(component, Component::Normal(_)))
}

fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<(), RemoteSkillError> {
    std::fs::create_dir_all(dir).map_err(|_| RemoteSkillError::CreateDir)?;
    for (name, data) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|_| RemoteSkillError::CreateParent(name.clone()))?;
        }
        let mut file =
            std::fs::File::create(&path).map_err(|_| RemoteSkillError::CreateFile(name.clone()))?;
        file.write_all(data)
            .map_err(|_| RemoteSkillError::WriteFile(name.clone()))?;
    }
    Ok(())
}

/// Moves the filled `staging` folder to `target`, replacing what is there.
fn replace_dir(staging: &Path, target: &Path) -> Result<(), RemoteSkillError> {
    let name = |err: std::io::Error| {
        tracing::warn!("cannot move {} into place: {err}", staging.display());
        RemoteSkillError::CreateDir
    };
    if target.exists() {
        let old = staging.with_extension("replaced");
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(target, &old).map_err(name)?;
        if let Err(err) = std::fs::rename(staging, target) {
            // Put the old folder back rather than leave nothing.
            let _ = std::fs::rename(&old, target);
            return Err(name(err));
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    } else {
        std::fs::rename(staging, target).map_err(name)
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
        (Some(Component::Normal(part)), None) => Some(part.to_string_lossy().into_owned()),
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

    fn fetched(files: &[&str]) -> FetchedSkill {
        let hex = include_str!("remote/testdata/skill.zip.hex").trim();
        let archive = (0..hex.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&hex[at..at + 2], 16).expect("hex"))
            .collect();
        FetchedSkill {
            id: "h1".to_owned(),
            name: "lint".to_owned(),
            files: files.iter().map(|file| (*file).to_owned()).collect(),
            archive,
        }
    }

    #[test]
    fn installs_the_listed_files_under_the_skill_name_and_replaces_an_old_copy() {
        let home = tempfile::tempdir().expect("temp dir");
        let target = home.path().join("skills").join("downloaded").join("lint");
        std::fs::create_dir_all(&target).expect("old copy");
        std::fs::write(target.join("stale.txt"), "old").expect("old file");

        let installed = fetched(&["SKILL.md", "scripts/run.sh"])
            .install(home.path(), false)
            .expect("installed");

        assert_eq!(installed.path, target);
        assert_eq!(
            std::fs::read_to_string(target.join("scripts/run.sh")).expect("script"),
            "#!/bin/sh\necho lint\n"
        );
        assert!(target.join("SKILL.md").is_file());
        // Not listed by the backend: left out. The old copy is gone, and no staging is left.
        assert!(!target.join("extra.txt").exists());
        assert!(!target.join("stale.txt").exists());
        let left: Vec<_> = std::fs::read_dir(target.parent().expect("parent"))
            .expect("listing")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(left, ["lint"]);

        let preload = fetched(&["SKILL.md"])
            .install(home.path(), true)
            .expect("preload");
        assert_eq!(
            preload.path,
            home.path()
                .join("vendor_imports/skills/skills/.curated/lint")
        );
    }

    #[test]
    fn archive_paths_lose_the_skill_folder_and_must_stay_inside() {
        assert_eq!(
            archive_path("./lint/a/b.md", &["lint", "h1"]),
            Some("a/b.md".to_owned())
        );
        assert_eq!(archive_path("h1/x", &["lint", "h1"]), Some("x".to_owned()));
        assert_eq!(archive_path("lint/", &["lint"]), None);
        assert!(is_relative_plain("a/b.md"));
        assert!(!is_relative_plain("../b.md"));
        assert!(!is_relative_plain("/etc/passwd"));
        let mut bad = fetched(&["SKILL.md"]);
        bad.archive = b"PK\x03\x04 not really".to_vec();
        let home = tempfile::tempdir().expect("temp dir");
        let err = bad.install(home.path(), false).expect_err("not a zip");
        assert_eq!(err.to_string(), "Failed to open zip archive");
    }

    #[tokio::test]
    async fn an_unreachable_backend_is_a_prompt_error() {
        // A port just released: nothing listens there, so the connection is refused at once.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let remote = RemoteSkills::new(&format!("http://127.0.0.1:{port}/backend-api/"), "t", "t")
            .expect("client");
        let err = remote.list().await.expect_err("unreachable");
        assert_eq!(
            err.to_string(),
            format!("Failed to send request to http://127.0.0.1:{port}/public-api/hazelnuts/")
        );
    }
}
