//! Cloud requirements: the `requirements.toml` a ChatGPT Business or Enterprise workspace
//! serves its members, fetched at startup and again after a ChatGPT sign-in, and applied above
//! every requirements file.
//!
//! As the reference does today, fetching is best effort and bounded: up to five attempts with
//! a growing pause between them, fifteen seconds in all; when they fail the server starts
//! without them and says so in its log. What was fetched is kept for an hour in
//! `cloud-requirements-cache.json`, for the same account only. Other accounts fetch nothing.

use std::time::Duration;

use codex_backend_client::BackendClient;
use codex_backend_client::requirements_cache;
use codex_backend_client::requirements_cache::CacheMiss;
use codex_backend_client::requirements_cache::Identity;
use codex_config::CloudRequirements;
use codex_config::ConfigService;
use codex_protocol::account::PlanType;
use time::OffsetDateTime;

use crate::backend;
use crate::backend::Credentials;

/// The most the whole fetch may take.
const TIMEOUT: Duration = Duration::from_secs(15);
const ATTEMPTS: u32 = 5;
/// The pause after the first failed attempt; it doubles after each further one.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

/// Fetches the account's cloud requirements and sets them on `service` (every clone sees
/// them). Never fails: problems are logged. The user agent is asked for only when a request is
/// made, which most accounts never need.
pub(crate) async fn apply(service: &ConfigService, user_agent: impl FnOnce() -> String) {
    let requirements = match tokio::time::timeout(TIMEOUT, fetch(service, user_agent)).await {
        Ok(requirements) => requirements,
        Err(_) => {
            tracing::warn!(
                "timed out waiting for cloud requirements after {}s; continuing without them",
                TIMEOUT.as_secs()
            );
            None
        }
    };
    service.set_cloud_requirements(requirements);
}

async fn fetch(
    service: &ConfigService,
    user_agent: impl FnOnce() -> String,
) -> Option<CloudRequirements> {
    let codex_home = service.paths().codex_home.to_path_buf();
    let credentials = tokio::task::spawn_blocking(move || backend::stored_credentials(&codex_home))
        .await
        .ok()?
        .inspect_err(|err| tracing::warn!("cloud requirements: {err}"))
        .ok()?;
    let Credentials::ChatGpt(account) = credentials else {
        return None;
    };
    if !matches!(
        account.plan_type,
        Some(PlanType::Business | PlanType::Enterprise)
    ) {
        return None;
    }
    let codex_home = service.paths().codex_home.to_path_buf();
    let user_id = account.user_id.clone();
    let account_id = account.credentials.account_id.clone();
    let identity =
        user_id
            .as_deref()
            .zip(account_id.as_deref())
            .map(|(chatgpt_user_id, account_id)| Identity {
                chatgpt_user_id,
                account_id,
            });
    if let Some(identity) = identity {
        match requirements_cache::read_cache(&codex_home, identity, OffsetDateTime::now_utc()) {
            Ok(contents) => return parse(contents.as_deref()),
            Err(miss @ (CacheMiss::Unreadable(_) | CacheMiss::BadSignature)) => {
                tracing::warn!("{miss}");
            }
            Err(miss) => tracing::debug!("{miss}"),
        }
    }
    let base_url = service
        .load(None)
        .resolve()
        .ok()
        .and_then(|resolved| resolved.config.chatgpt_base_url);
    let client = BackendClient::new(base_url.as_deref(), account.credentials, &user_agent())
        .inspect_err(|err| tracing::warn!("cloud requirements: {err}"))
        .ok()?;
    let mut pause = FIRST_PAUSE;
    for attempt in 1..=ATTEMPTS {
        match client.config_requirements().await {
            Ok(contents) => {
                // Text that is not valid requirements is not kept; none at all is.
                let requirements = match contents.as_deref().map(CloudRequirements::parse) {
                    None => None,
                    Some(Ok(requirements)) => requirements,
                    Some(Err(err)) => {
                        tracing::warn!("failed to parse cloud requirements: {err}");
                        return None;
                    }
                };
                if let Some(identity) = identity
                    && let Err(err) = requirements_cache::write_cache(
                        &codex_home,
                        identity,
                        contents,
                        OffsetDateTime::now_utc(),
                    )
                {
                    tracing::warn!("failed to write cloud requirements cache: {err}");
                }
                return requirements;
            }
            Err(err) => {
                tracing::warn!(attempt, "failed to fetch cloud requirements: {err}");
                if attempt < ATTEMPTS {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
    }
    tracing::warn!("could not fetch cloud requirements; continuing without them");
    None
}

/// The requirements in `contents`; `None` for none, or (logged) for text that is not valid
/// requirements.
fn parse(contents: Option<&str>) -> Option<CloudRequirements> {
    CloudRequirements::parse(contents?)
        .inspect_err(|err| tracing::warn!("failed to parse cloud requirements: {err}"))
        .ok()
        .flatten()
}
