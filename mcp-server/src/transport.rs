//! stdio, as rmcp reads and writes it, with two additions rmcp has no place for: the
//! reference's `serverInfo.user_agent` in the `initialize` answer (the client's name and
//! version, which it ends with, are read from its `initialize` on the way in), and the
//! cancellation of running tool calls (`crate::cancel`), which are then still answered.

use std::sync::Arc;
use std::sync::Mutex;

use crate::cancel::CallCancellations;

use codex_utils_lock::lock;
use codex_utils_user_agent::Parties;
use codex_utils_user_agent::Platform;
use codex_utils_user_agent::user_agent;
use rmcp::RoleServer;
use rmcp::model::ClientJsonRpcMessage;
use rmcp::model::ClientNotification;
use rmcp::model::ClientRequest;
use rmcp::model::CustomResult;
use rmcp::model::JsonRpcMessage;
use rmcp::model::ServerJsonRpcMessage;
use rmcp::model::ServerResult;
use rmcp::service::RxJsonRpcMessage;
use rmcp::service::TxJsonRpcMessage;
use rmcp::transport::Transport;

/// Who the user agent says speaks: the reference's CLI originator.
const ORIGINATOR: &str = "codex_cli_rs";

pub(crate) struct HostTransport<T> {
    inner: T,
    platform: Platform,
    /// The client's name and version, from its `initialize`.
    client: Mutex<Option<(String, String)>>,
    calls: Arc<CallCancellations>,
}

impl<T> HostTransport<T> {
    pub(crate) fn new(inner: T, platform: Platform, calls: Arc<CallCancellations>) -> Self {
        Self {
            inner,
            platform,
            client: Mutex::new(None),
            calls,
        }
    }

    fn outgoing(&self, message: ServerJsonRpcMessage) -> ServerJsonRpcMessage {
        let mut response = match message {
            JsonRpcMessage::Response(response) => response,
            JsonRpcMessage::Error(error) => {
                if let Some(id) = &error.id {
                    self.calls.answered(id);
                }
                return JsonRpcMessage::Error(error);
            }
            other => return other,
        };
        self.calls.answered(&response.id);
        if let ServerResult::InitializeResult(result) = &response.result
            && let Ok(mut value) = serde_json::to_value(result)
        {
            let (name, version) = lock(&self.client).clone().unwrap_or_default();
            let agent = user_agent(
                Parties {
                    originator: ORIGINATOR,
                    version: env!("CARGO_PKG_VERSION"),
                    client_name: &name,
                    client_version: &version,
                },
                &self.platform,
            );
            value["serverInfo"]["user_agent"] = serde_json::Value::String(agent);
            response.result = ServerResult::CustomResult(CustomResult(value));
        }
        JsonRpcMessage::Response(response)
    }

    /// Notes what the additions need; false when the message is kept from rmcp (a
    /// cancellation of a running tool call).
    fn incoming(&self, message: &ClientJsonRpcMessage) -> bool {
        match message {
            JsonRpcMessage::Request(request) => match &request.request {
                ClientRequest::InitializeRequest(initialize) => {
                    let client = &initialize.params.client_info;
                    *lock(&self.client) = Some((client.name.clone(), client.version.clone()));
                }
                ClientRequest::CallToolRequest(_) => self.calls.arrived(request.id.clone()),
                _ => {}
            },
            JsonRpcMessage::Notification(notification) => {
                if let ClientNotification::CancelledNotification(cancelled) =
                    &notification.notification
                    && let Some(id) = &cancelled.params.request_id
                    && self.calls.cancel(id)
                {
                    return false;
                }
            }
            JsonRpcMessage::Response(_) | JsonRpcMessage::Error(_) => {}
        }
        true
    }
}

impl<T> Transport<RoleServer> for HostTransport<T>
where
    T: Transport<RoleServer>,
{
    type Error = T::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let item = self.outgoing(item);
        self.inner.send(item)
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            let message = self.inner.receive().await?;
            if self.incoming(&message) {
                return Some(message);
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.inner.close().await
    }
}
