//! The model catalogue the backend offers a ChatGPT account (`GET …/models`), and its cache
//! `$CODEX_HOME/models_cache.json`, in the reference's format so either program can use the
//! other's.

use std::io;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use codex_protocol::config_types::ReasoningEffort;
use codex_protocol::openai_models::InputModality;
use reqwest::header::CONTENT_TYPE;
use reqwest::header::ETAG;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::BackendError;
use crate::CLIENT_VERSION;
use crate::ChatGptCredentials;

/// Where the catalogue is served when `OPENAI_BASE_URL` does not say otherwise: the built-in
/// `openai` provider's base for ChatGPT accounts, whatever provider the config names.
pub const DEFAULT_MODELS_BASE_URL: &str = "https://chatgpt.com/backend-api/codex";

/// The cache file under `CODEX_HOME`.
pub const MODELS_CACHE_FILE: &str = "models_cache.json";

/// How long a cached catalogue is used without asking the backend again.
pub const MODELS_CACHE_TTL: Duration = Duration::from_secs(300);

/// How long the catalogue request may take; `model/list` then answers without it.
const MODELS_TIMEOUT: Duration = Duration::from_secs(5);

/// The base the catalogue is fetched from: `OPENAI_BASE_URL` when set and not blank (the
/// reference's own override, which tests use to point it at a mock), else the default.
pub fn models_base_url() -> String {
    std::env::var("OPENAI_BASE_URL")
        .ok()
        .filter(|value| !value.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_MODELS_BASE_URL.to_owned())
}

/// A catalogue as received: the entries kept as sent (the cache stores them so), with the
/// response's `ETag`.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    pub models: Vec<Value>,
    pub etag: Option<String>,
}

/// One entry of the catalogue: what a model list needs of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RemoteModel {
    pub slug: String,
    pub display_name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub default_reasoning_level: Option<ReasoningEffort>,
    #[serde(default)]
    pub supported_reasoning_levels: Vec<RemoteEffort>,
    pub visibility: Visibility,
    pub supported_in_api: bool,
    pub priority: i32,
    #[serde(default)]
    pub upgrade: Option<RemoteUpgrade>,
    #[serde(default)]
    pub model_messages: Option<ModelMessages>,
    #[serde(default = "text_and_image")]
    pub input_modalities: Vec<InputModality>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Offered in model lists.
    List,
    Hide,
    None,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RemoteEffort {
    pub effort: ReasoningEffort,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RemoteUpgrade {
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ModelMessages {
    #[serde(default)]
    pub instructions_template: Option<String>,
    #[serde(default)]
    pub instructions_variables: Option<PersonalityVariables>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PersonalityVariables {
    #[serde(default)]
    pub personality_default: Option<String>,
    #[serde(default)]
    pub personality_friendly: Option<String>,
    #[serde(default)]
    pub personality_pragmatic: Option<String>,
}

fn text_and_image() -> Vec<InputModality> {
    vec![InputModality::Text, InputModality::Image]
}

impl RemoteModel {
    /// A model follows the `personality` setting when its instructions template has the
    /// placeholder and every personality's text is given.
    pub fn supports_personality(&self) -> bool {
        self.model_messages.as_ref().is_some_and(|messages| {
            let placeholder = messages
                .instructions_template
                .as_deref()
                .is_some_and(|template| template.contains("{{ personality }}"));
            let complete = messages
                .instructions_variables
                .as_ref()
                .is_some_and(|vars| {
                    vars.personality_default.is_some()
                        && vars.personality_friendly.is_some()
                        && vars.personality_pragmatic.is_some()
                });
            placeholder && complete
        })
    }
}

/// The entries of a catalogue that describe models; an entry this server cannot read is
/// skipped (and logged by the caller through the returned count).
pub fn parse_models(models: &[Value]) -> (Vec<RemoteModel>, usize) {
    let mut parsed = Vec::with_capacity(models.len());
    let mut skipped = 0;
    for model in models {
        match RemoteModel::deserialize(model) {
            Ok(model) => parsed.push(model),
            Err(_) => skipped += 1,
        }
    }
    (parsed, skipped)
}

/// `GET {base}/models?client_version=…` for a ChatGPT account, within five seconds.
pub async fn fetch_catalogue(
    base_url: &str,
    credentials: &ChatGptCredentials,
    originator: &str,
    user_agent: &str,
) -> Result<Catalogue, BackendError> {
    codex_utils_rustls_provider::ensure_rustls_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(MODELS_TIMEOUT)
        .build()
        .map_err(BackendError::Build)?;
    let url = format!(
        "{}/models?client_version={CLIENT_VERSION}",
        base_url.trim_end_matches('/')
    );
    let mut request = http
        .get(&url)
        .header(reqwest::header::USER_AGENT, user_agent)
        .header("version", CLIENT_VERSION)
        .header("originator", originator)
        .bearer_auth(&credentials.access_token);
    if let Some(account_id) = &credentials.account_id {
        request = request.header("chatgpt-account-id", account_id);
    }
    let response = request.send().await.map_err(BackendError::Request)?;
    let status = response.status();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header(ETAG);
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let body = response.text().await.map_err(BackendError::Request)?;
    if !status.is_success() {
        return Err(BackendError::Status {
            method: "GET",
            url,
            status,
            content_type,
            body,
        });
    }
    #[derive(Deserialize)]
    struct ModelsResponse {
        models: Vec<Value>,
    }
    let ModelsResponse { models } =
        serde_json::from_str(&body).map_err(|source| BackendError::Decode {
            url,
            source,
            content_type,
            body,
        })?;
    Ok(Catalogue { models, etag })
}

/// `models_cache.json` as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsCache {
    /// RFC 3339.
    pub fetched_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default)]
    pub client_version: Option<String>,
    pub models: Vec<Value>,
}

impl ModelsCache {
    /// A cache of `catalogue`, fetched now.
    pub fn fetched_now(catalogue: &Catalogue) -> Self {
        Self {
            fetched_at: now_rfc3339(),
            etag: catalogue.etag.clone(),
            client_version: Some(CLIENT_VERSION.to_owned()),
            models: catalogue.models.clone(),
        }
    }

    /// Whether it was written for this client version less than `ttl` before `now`.
    pub fn is_fresh(&self, now: OffsetDateTime, ttl: Duration) -> bool {
        if self.client_version.as_deref() != Some(CLIENT_VERSION) {
            return false;
        }
        let Ok(fetched_at) = OffsetDateTime::parse(&self.fetched_at, &Rfc3339) else {
            return false;
        };
        let age = now - fetched_at;
        age.is_positive() && age < ttl || age.is_zero()
    }

    pub fn catalogue(&self) -> Catalogue {
        Catalogue {
            models: self.models.clone(),
            etag: self.etag.clone(),
        }
    }
}

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// Reads the cache; `None` when there is none or it cannot be read.
pub fn read_cache(codex_home: &Path) -> Option<ModelsCache> {
    let text = std::fs::read(codex_home.join(MODELS_CACHE_FILE)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Replaces the cache with `cache` (pretty JSON), atomically: a temp file beside it is renamed
/// over it.
pub fn write_cache(codex_home: &Path, cache: &ModelsCache) -> io::Result<()> {
    std::fs::create_dir_all(codex_home)?;
    let text = serde_json::to_vec_pretty(cache).map_err(io::Error::other)?;
    let mut file = tempfile::NamedTempFile::new_in(codex_home)?;
    file.write_all(&text)?;
    file.as_file().sync_all()?;
    file.persist(codex_home.join(MODELS_CACHE_FILE))
        .map_err(|error| error.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::json;

    use super::*;

    fn cache(fetched_at: &str, version: Option<&str>) -> ModelsCache {
        ModelsCache {
            fetched_at: fetched_at.to_owned(),
            etag: None,
            client_version: version.map(str::to_owned),
            models: Vec::new(),
        }
    }

    #[test]
    fn a_cache_is_fresh_for_five_minutes_and_for_this_version_only() {
        let now = OffsetDateTime::parse("2026-01-01T00:10:00Z", &Rfc3339).unwrap();
        let check = |fetched_at: &str, version: Option<&str>| {
            cache(fetched_at, version).is_fresh(now, MODELS_CACHE_TTL)
        };
        assert!(check(
            "2026-01-01T00:06:00.123456789Z",
            Some(CLIENT_VERSION)
        ));
        assert!(!check("2026-01-01T00:05:00Z", Some(CLIENT_VERSION)));
        assert!(!check("2026-01-01T00:09:00Z", Some("0.100.0")));
        assert!(!check("2026-01-01T00:09:00Z", None));
        assert!(!check("yesterday", Some(CLIENT_VERSION)));
    }

    #[test]
    fn the_cache_round_trips_in_the_reference_shape() {
        let dir = tempfile::tempdir().unwrap();
        let written = ModelsCache {
            fetched_at: "2026-01-01T00:00:00Z".to_owned(),
            etag: Some("\"v1\"".to_owned()),
            client_version: Some(CLIENT_VERSION.to_owned()),
            models: vec![json!({"slug": "m"})],
        };
        write_cache(dir.path(), &written).unwrap();
        let text = std::fs::read_to_string(dir.path().join(MODELS_CACHE_FILE)).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"fetched_at": "2026-01-01T00:00:00Z", "etag": "\"v1\"",
                   "client_version": CLIENT_VERSION, "models": [{"slug": "m"}]})
        );
        assert!(text.contains("\n  \"fetched_at\""), "pretty: {text}");
        assert_eq!(read_cache(dir.path()), Some(written));
    }

    #[test]
    fn entries_are_read_leniently_and_personality_needs_every_text() {
        let (models, skipped) = parse_models(&[
            json!({"slug": "a", "display_name": "A", "visibility": "list",
                   "supported_in_api": true, "priority": 3,
                   "supported_reasoning_levels": [{"effort": "low", "description": "quick"}],
                   "model_messages": {"instructions_template": "x {{ personality }}",
                       "instructions_variables": {"personality_default": "",
                           "personality_friendly": "f", "personality_pragmatic": "p"}}}),
            json!({"slug": "b", "display_name": "B", "visibility": "hide",
                   "supported_in_api": false, "priority": 1,
                   "model_messages": {"instructions_template": "x {{ personality }}",
                       "instructions_variables": {"personality_default": "d"}}}),
            json!({"slug": "broken"}),
        ]);
        assert_eq!(skipped, 1);
        assert_eq!(
            models
                .iter()
                .map(|model| (model.slug.as_str(), model.supports_personality()))
                .collect::<Vec<_>>(),
            vec![("a", true), ("b", false)]
        );
        assert_eq!(models[0].input_modalities, text_and_image());
        assert_eq!(models[1].visibility, Visibility::Hide);
    }
}
