//! Fresh external ChatGPT tokens, asked of the clients: when the model refuses tokens a client
//! handed over, the server sends `account/chatgptAuthTokens/refresh` and uses the first answer.
//!
//! Like the reference, the request goes to every initialized client; one that does not answer
//! within [`REFRESH_TIMEOUT`] fails the renewal, and with it the model request.

use std::sync::Weak;
use std::time::Duration;

use codex_app_server_protocol::ServerRequestPayload;
use codex_app_server_protocol::v2::ChatgptAuthTokensRefreshParams;
use codex_app_server_protocol::v2::ChatgptAuthTokensRefreshReason;
use codex_app_server_protocol::v2::ChatgptAuthTokensRefreshResponse;
use codex_login::ExternalAuthRefresher;
use codex_login::ExternalTokens;
use futures::FutureExt;
use futures::future::BoxFuture;

use crate::connection::ClientReply;
use crate::state::ServerState;

/// How long the clients have to answer, as in the reference.
pub(crate) const REFRESH_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortens [`REFRESH_TIMEOUT`] (milliseconds), so tests need not wait ten seconds.
const REFRESH_TIMEOUT_ENV_VAR: &str = "CODEX_APP_SERVER_AUTH_REFRESH_TIMEOUT_MS";

fn refresh_timeout() -> Duration {
    std::env::var(REFRESH_TIMEOUT_ENV_VAR)
        .ok()
        .and_then(|millis| millis.parse().ok())
        .map_or(REFRESH_TIMEOUT, Duration::from_millis)
}

const CANCELED: &str = "auth refresh request canceled: channel closed";

/// The [`ExternalAuthRefresher`] the server gives its `AuthManager`. It holds the server
/// weakly: the manager belongs to the server.
pub(crate) struct ClientRefresher {
    pub state: Weak<ServerState>,
}

impl ExternalAuthRefresher for ClientRefresher {
    fn refresh(
        &self,
        previous_account_id: Option<String>,
    ) -> BoxFuture<'static, Result<ExternalTokens, String>> {
        let state = self.state.clone();
        async move {
            let Some(state) = state.upgrade() else {
                return Err("the server is shutting down".to_owned());
            };
            let asking: Vec<_> = state
                .registry
                .connections()
                .into_iter()
                .filter(|connection| connection.handshake().is_some())
                .map(|connection| {
                    let payload = ServerRequestPayload::ChatgptAuthTokensRefresh(
                        ChatgptAuthTokensRefreshParams {
                            reason: ChatgptAuthTokensRefreshReason::Unauthorized,
                            previous_account_id: previous_account_id.clone(),
                        },
                    );
                    async move { answer(connection.request(payload).await) }.boxed()
                })
                .collect();
            if asking.is_empty() {
                return Err("no client is connected to refresh the auth tokens".to_owned());
            }
            let timeout = refresh_timeout();
            match tokio::time::timeout(timeout, futures::future::select_ok(asking)).await {
                Ok(Ok((tokens, _others))) => Ok(tokens),
                Ok(Err(err)) => Err(err),
                Err(_elapsed) => Err(format!(
                    "auth refresh request timed out after {}s",
                    timeout.as_secs_f64()
                )),
            }
        }
        .boxed()
    }
}

fn answer(
    reply: Result<ClientReply, crate::connection::Cancelled>,
) -> Result<ExternalTokens, String> {
    match reply {
        Ok(ClientReply::Result(result)) => {
            let response: ChatgptAuthTokensRefreshResponse =
                serde_json::from_value(result).map_err(|err| err.to_string())?;
            Ok(ExternalTokens {
                access_token: response.access_token,
                chatgpt_account_id: response.chatgpt_account_id,
                chatgpt_plan_type: response.chatgpt_plan_type,
            })
        }
        // The reference drops its waiter on an error answer, so both read as a cancellation.
        Ok(ClientReply::Error(error)) => {
            tracing::warn!("the client answered the auth refresh with an error: {error:?}");
            Err(CANCELED.to_owned())
        }
        Err(_cancelled) => Err(CANCELED.to_owned()),
    }
}
