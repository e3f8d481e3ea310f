//! `account/rateLimits/read`: a ChatGPT account's Codex usage, read from the backend.

use std::collections::BTreeMap;

use codex_app_server_protocol::JSONRPCErrorError;
use codex_app_server_protocol::v2;
use codex_backend_client::BackendClient;
use codex_protocol::protocol::RateLimitSnapshot;

use crate::backend;
use crate::backend::Credentials;
use crate::error;
use crate::responder::RequestContext;
use crate::wire;

pub(crate) async fn read(context: RequestContext) {
    let result = fetch(&context).await;
    context.responder.respond(result).await;
}

async fn fetch(
    context: &RequestContext,
) -> Result<v2::GetAccountRateLimitsResponse, JSONRPCErrorError> {
    let credentials = backend::credentials(&context.state.auth).await;
    let base_url = super::config::blocking(&context.state.config.service, |service| {
        // A config that cannot be resolved still has a backend: the default one.
        service
            .load(None)
            .resolve()
            .ok()
            .and_then(|resolved| resolved.config.chatgpt_base_url)
    })
    .await?;
    let account = match credentials {
        Credentials::None => {
            return Err(error::invalid_request(
                "codex account authentication required to read rate limits",
            ));
        }
        Credentials::ApiKey => {
            return Err(error::invalid_request(
                "chatgpt authentication required to read rate limits",
            ));
        }
        Credentials::ChatGpt(account) => account,
    };
    let user_agent = context
        .connection
        .handshake()
        .map(|handshake| handshake.user_agent.clone())
        .unwrap_or_else(|| backend::server_user_agent(&context.state.platform));
    let failed = |err: &dyn std::fmt::Display| {
        error::internal_error(format!("failed to fetch codex rate limits: {err}"))
    };
    let client = BackendClient::new(base_url.as_deref(), account.credentials, &user_agent)
        .map_err(|err| failed(&err))?;
    let snapshots = client.rate_limits().await.map_err(|err| failed(&err))?;
    response(snapshots).ok_or_else(|| failed(&"the backend reported no rate limits"))
}

/// The `codex` family (else the first) as `rateLimits`, and every family by its id.
fn response(snapshots: Vec<RateLimitSnapshot>) -> Option<v2::GetAccountRateLimitsResponse> {
    let main = snapshots
        .iter()
        .find(|snapshot| snapshot.limit_id.as_deref() == Some("codex"))
        .or_else(|| snapshots.first())?;
    let rate_limits = wire::event::rate_limits(main);
    let by_id: BTreeMap<_, _> = snapshots
        .iter()
        .filter_map(|snapshot| {
            let id = snapshot.limit_id.clone()?;
            Some((id, wire::event::rate_limits(snapshot)))
        })
        .collect();
    Some(v2::GetAccountRateLimitsResponse {
        rate_limits,
        rate_limits_by_limit_id: Some(by_id),
    })
}
