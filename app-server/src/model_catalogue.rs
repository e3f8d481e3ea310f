//! The model catalogue the ChatGPT backend offers the account, as this server keeps it: the
//! last one fetched (or read from `models_cache.json`), refreshed when `model/list` finds the
//! cache stale and when a model response's `X-Models-Etag` names another version.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;

use codex_backend_client::ChatGptCredentials;
use codex_backend_client::models;
use codex_backend_client::models::Catalogue;
use codex_core::ThreadSettings;
use codex_core::thread::ModelClientFactory;
use codex_model_client::model::ModelClient;
use codex_model_client::model::ModelError;
use codex_model_client::model::Prompt;
use codex_model_client::model::ResponseEvent;
use codex_model_client::model::ResponseStream;
use futures::StreamExt as _;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use crate::backend;
use crate::backend::Credentials;

/// Who asks the backend for the catalogue: the `originator` header and the user agent.
pub(crate) struct Caller<'a> {
    pub(crate) originator: &'a str,
    pub(crate) user_agent: &'a str,
}

/// The catalogue this server last fetched or read from the cache. Its lock also serialises
/// fetches.
#[derive(Debug)]
pub(crate) struct RemoteCatalogue {
    codex_home: PathBuf,
    last: Mutex<Option<Catalogue>>,
}

impl RemoteCatalogue {
    pub(crate) fn new(codex_home: PathBuf) -> Self {
        Self {
            codex_home,
            last: Mutex::default(),
        }
    }

    /// A fresh cache, else the backend, else the last catalogue this server had.
    pub(crate) async fn current(
        &self,
        credentials: &ChatGptCredentials,
        caller: &Caller<'_>,
    ) -> Option<Catalogue> {
        let mut last = self.last.lock().await;
        let home = self.codex_home.clone();
        let cached = tokio::task::spawn_blocking(move || models::read_cache(&home))
            .await
            .ok()
            .flatten()
            .filter(|cache| cache.is_fresh(OffsetDateTime::now_utc(), models::MODELS_CACHE_TTL));
        if let Some(cache) = cached {
            *last = Some(cache.catalogue());
            return last.clone();
        }
        if let Some(fetched) = self.fetch(credentials, caller).await {
            *last = Some(fetched);
        }
        last.clone()
    }

    /// A model response named catalogue version `etag`: the same as the one held renews the
    /// cache's five minutes; another one is fetched.
    pub(crate) async fn saw_etag(&self, etag: String, caller: &Caller<'_>) {
        let mut last = self.last.lock().await;
        let held = last
            .as_ref()
            .and_then(|catalogue| catalogue.etag.as_deref());
        if held == Some(etag.as_str()) {
            let home = self.codex_home.clone();
            let renewed = tokio::task::spawn_blocking(move || renew_cache(&home)).await;
            if let Ok(Err(err)) = renewed {
                tracing::warn!("could not renew the models cache: {err}");
            }
            return;
        }
        let home = self.codex_home.clone();
        let credentials = tokio::task::spawn_blocking(move || backend::stored_credentials(&home))
            .await
            .ok()
            .and_then(Result::ok);
        let Some(Credentials::ChatGpt(account)) = credentials else {
            return;
        };
        if let Some(fetched) = self.fetch(&account.credentials, caller).await {
            *last = Some(fetched);
        }
    }

    /// Fetches the catalogue and caches it; `None` (logged) when the backend fails.
    async fn fetch(
        &self,
        credentials: &ChatGptCredentials,
        caller: &Caller<'_>,
    ) -> Option<Catalogue> {
        let base_url = models::models_base_url();
        let fetched =
            models::fetch_catalogue(&base_url, credentials, caller.originator, caller.user_agent)
                .await
                .inspect_err(|err| tracing::warn!("failed to refresh available models: {err}"))
                .ok()?;
        let cache = models::ModelsCache::fetched_now(&fetched);
        let home = self.codex_home.clone();
        let written = tokio::task::spawn_blocking(move || models::write_cache(&home, &cache)).await;
        if let Ok(Err(err)) = written {
            tracing::warn!("could not write the models cache: {err}");
        }
        Some(fetched)
    }
}

fn renew_cache(codex_home: &Path) -> std::io::Result<()> {
    let Some(cache) = models::read_cache(codex_home) else {
        return Ok(());
    };
    let catalogue = cache.catalogue();
    models::write_cache(codex_home, &models::ModelsCache::fetched_now(&catalogue))
}

/// The threads' model clients, each watching its answers for `X-Models-Etag`.
pub(crate) fn watching_models_etag(
    inner: Arc<dyn ModelClientFactory>,
    catalogue: Arc<RemoteCatalogue>,
    user_agent: String,
) -> Arc<dyn ModelClientFactory> {
    Arc::new(
        move |config: &codex_config::ConfigToml, settings: &ThreadSettings| {
            let client = inner.create(config, settings)?;
            Ok(Arc::new(EtagWatcher {
                inner: client,
                catalogue: Arc::clone(&catalogue),
                user_agent: user_agent.clone(),
            }) as Arc<dyn ModelClient>)
        },
    )
}

struct EtagWatcher {
    inner: Arc<dyn ModelClient>,
    catalogue: Arc<RemoteCatalogue>,
    user_agent: String,
}

impl ModelClient for EtagWatcher {
    fn stream<'a>(
        &'a self,
        prompt: &'a Prompt,
    ) -> BoxFuture<'a, Result<ResponseStream, ModelError>> {
        Box::pin(async move {
            let stream = self.inner.stream(prompt).await?;
            let catalogue = Arc::clone(&self.catalogue);
            let user_agent = self.user_agent.clone();
            let watched = stream.inspect(move |event| {
                if let Ok(ResponseEvent::ModelsEtag(etag)) = event {
                    // In the background: the turn never waits on the catalogue.
                    let catalogue = Arc::clone(&catalogue);
                    let etag = etag.clone();
                    let user_agent = user_agent.clone();
                    tokio::spawn(async move {
                        let caller = Caller {
                            originator: "codex_cli_rs",
                            user_agent: &user_agent,
                        };
                        catalogue.saw_etag(etag, &caller).await;
                    });
                }
            });
            Ok(Box::pin(watched) as ResponseStream)
        })
    }

    fn stream_max_retries(&self) -> u64 {
        self.inner.stream_max_retries()
    }
}
