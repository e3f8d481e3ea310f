//! The MCP side: what `initialize` and `tools/list` answer, the two tools' calls, and an answer
//! for every other request a host may send.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::time::Duration;

use codex_core::thread::NewThread;
use codex_core::thread::StartThread;
use codex_core::thread::ThreadError;
use codex_core::thread::ThreadManager;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SessionConfiguredEvent;
use codex_utils_lock::lock;
use rmcp::ErrorData;
use rmcp::RoleServer;
use rmcp::ServerHandler;
use rmcp::model::CallToolRequestParams;
use rmcp::model::CallToolResponse;
use rmcp::model::CallToolResult;
use rmcp::model::ClientRequest;
use rmcp::model::CompleteRequestParams;
use rmcp::model::CompleteResult;
use rmcp::model::ErrorCode;
use rmcp::model::GetPromptRequestParams;
use rmcp::model::GetPromptResponse;
use rmcp::model::Implementation;
use rmcp::model::InitializeRequestParams;
use rmcp::model::InitializeResult;
use rmcp::model::ListPromptsResult;
use rmcp::model::ListResourceTemplatesResult;
use rmcp::model::ListResourcesResult;
use rmcp::model::ListToolsResult;
use rmcp::model::PaginatedRequestParams;
use rmcp::model::ProtocolVersion;
use rmcp::model::ReadResourceRequestParams;
use rmcp::model::ReadResourceResponse;
use rmcp::model::ServerCapabilities;
use rmcp::model::ServerResult;
use rmcp::model::SubscribeRequestParams;
use rmcp::model::UnsubscribeRequestParams;
use rmcp::service::NotificationContext;
use rmcp::service::RequestContext;
use rmcp::service::Service;
use serde_json::Map;
use serde_json::Value;
use serde_json::json;
use tokio::sync::Mutex;

use crate::call;
use crate::call::Call;
use crate::call::DrivenThread;
use crate::cancel::CallCancellations;
use crate::tools;
use crate::tools::CodexArgs;
use crate::tools::CodexReplyArgs;

/// The agent behind the two tools, and the threads their calls started.
pub(crate) struct CodexMcpServer {
    manager: Arc<ThreadManager>,
    /// Where a relative `cwd` argument points: the server's working directory.
    cwd: PathBuf,
    approval_timeout: Duration,
    threads: std::sync::Mutex<HashMap<ThreadId, Arc<DrivenThread>>>,
    /// Held while a reply resumes a stored thread, so that two replies load it once.
    loading: Mutex<()>,
    initialized: AtomicBool,
    calls: Arc<CallCancellations>,
    /// See [`crate::McpServerOptions::release_memory`].
    release_memory: fn(),
}

impl CodexMcpServer {
    pub(crate) fn new(
        manager: Arc<ThreadManager>,
        cwd: PathBuf,
        approval_timeout: Duration,
        calls: Arc<CallCancellations>,
        release_memory: fn(),
    ) -> Self {
        Self {
            calls,
            release_memory,
            manager,
            cwd,
            approval_timeout,
            threads: std::sync::Mutex::new(HashMap::new()),
            loading: Mutex::new(()),
            initialized: AtomicBool::new(false),
        }
    }

    fn driven(&self, id: ThreadId) -> Option<Arc<DrivenThread>> {
        lock(&self.threads).get(&id).cloned()
    }

    fn keep(&self, new: NewThread) -> Arc<DrivenThread> {
        let driven = Arc::new(DrivenThread {
            thread: new.thread,
            events: Mutex::new(new.events),
        });
        let id = driven.thread.id();
        lock(&self.threads).insert(id, Arc::clone(&driven));
        driven
    }

    fn call(&self, context: &RequestContext<RoleServer>) -> Call {
        let cancelled = self.calls.token(&context.id);
        // The host going away cancels the call too.
        let host_gone = context.ct.clone();
        let link = cancelled.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = host_gone.cancelled() => link.cancel(),
                () = link.cancelled() => {}
            }
        });
        Call {
            peer: context.peer.clone(),
            request_id: context.id.clone(),
            cancelled,
            approval_timeout: self.approval_timeout,
        }
    }

    async fn codex(
        &self,
        arguments: Option<Map<String, Value>>,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let args: CodexArgs =
            match serde_json::from_value(Value::Object(arguments.unwrap_or_default())) {
                Ok(args) => args,
                Err(err) => {
                    return call::result(
                        None,
                        format!("Failed to parse configuration for Codex tool: {err}"),
                        true,
                    );
                }
            };
        let prompt = args.prompt.clone();
        let start = match self.start_options(args) {
            Ok(start) => start,
            Err(message) => return call::result(None, message, true),
        };
        let new = match self.manager.start_thread(start).await {
            Ok(new) => new,
            Err(err) => {
                return call::result(None, format!("Failed to start Codex session: {err}"), true);
            }
        };
        let driven = self.keep(new);
        let configured = session_configured(&driven);
        let call = self.call(context);
        // The reference names a call's first turn after the call.
        let turn_id = call.id_text();
        call::run_turn(&call, &driven, prompt, Some(turn_id), Some(configured)).await
    }

    /// The thread a `codex` call asks for, as the core takes it.
    fn start_options(&self, args: CodexArgs) -> Result<StartThread, String> {
        let mut config =
            codex_utils_json_to_toml::config_overrides(args.config.unwrap_or_default())
                .map_err(|err| format!("Failed to parse configuration for Codex tool: {err}"))?;
        // A profile and a compaction prompt are config keys of their own.
        if let Some(profile) = args.profile {
            config.push(("profile".to_owned(), toml::Value::String(profile)));
        }
        if let Some(prompt) = args.compact_prompt {
            config.push(("compact_prompt".to_owned(), toml::Value::String(prompt)));
        }
        Ok(StartThread {
            model: args.model,
            cwd: args.cwd.map(|cwd| self.cwd.join(cwd)),
            approval_policy: args.approval_policy,
            sandbox: args.sandbox,
            config,
            base_instructions: args.base_instructions,
            developer_instructions: args.developer_instructions,
            ..StartThread::default()
        })
    }

    async fn reply(
        &self,
        arguments: Option<Map<String, Value>>,
        context: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let args: CodexReplyArgs =
            match serde_json::from_value(Value::Object(arguments.unwrap_or_default())) {
                Ok(args) => args,
                Err(err) => {
                    return call::result(
                        None,
                        format!("Failed to parse configuration for Codex tool: {err}"),
                        true,
                    );
                }
            };
        let id = match args.thread() {
            None => {
                return call::result(
                    None,
                    "Failed to parse thread_id: either threadId or conversationId must be provided"
                        .to_owned(),
                    true,
                );
            }
            Some(text) => match text.parse::<ThreadId>() {
                Ok(id) => id,
                Err(err) => {
                    return call::result(None, format!("Failed to parse thread_id: {err}"), true);
                }
            },
        };
        let driven = match self.thread_for_reply(id).await {
            Ok(driven) => driven,
            Err(message) => return call::result(Some(id), message, true),
        };
        let call = self.call(context);
        call::run_turn(&call, &driven, args.prompt, None, None).await
    }

    /// The thread a reply continues: one of ours, or a stored one, resumed (the reference
    /// knows only the threads of its own process).
    async fn thread_for_reply(&self, id: ThreadId) -> Result<Arc<DrivenThread>, String> {
        if let Some(driven) = self.driven(id) {
            return Ok(driven);
        }
        let _loading = self.loading.lock().await;
        if let Some(driven) = self.driven(id) {
            return Ok(driven);
        }
        match self.manager.resume_thread(id, StartThread::default()).await {
            Ok(new) => Ok(self.keep(new)),
            Err(ThreadError::NoRollout(_)) => Err(format!("Session not found for thread_id: {id}")),
            Err(err) => Err(format!("Failed to resume thread {id}: {err}")),
        }
    }
}

/// The first event of a new thread, as the reference sends it.
fn session_configured(driven: &DrivenThread) -> EventMsg {
    let thread = &driven.thread;
    let settings = thread.settings();
    EventMsg::SessionConfigured(SessionConfiguredEvent {
        session_id: thread.id(),
        forked_from_id: None,
        thread_name: None,
        model: settings.model,
        model_provider_id: settings.model_provider,
        approval_policy: settings.approval_policy,
        sandbox_policy: settings.sandbox_policy,
        cwd: settings.cwd.display().to_string(),
        reasoning_effort: settings.reasoning_effort,
        history_log_id: 0,
        history_entry_count: 0,
        initial_messages: None,
        network_proxy: None,
        rollout_path: thread.rollout_path().map(|path| path.display().to_string()),
    })
}

/// No resource, prompt or completion is offered: lists are empty and lookups fail.
fn nothing_named(what: &str, name: &str) -> ErrorData {
    ErrorData::invalid_params(format!("codex-mcp-server offers no {what}: {name}"), None)
}

impl ServerHandler for CodexMcpServer {
    fn get_info(&self) -> InitializeResult {
        let capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_tool_list_changed()
            .build();
        let mut server = Implementation::new("codex-mcp-server", env!("CARGO_PKG_VERSION"));
        server.title = Some("Codex".to_owned());
        InitializeResult::new(capabilities).with_server_info(server)
    }

    fn supported_protocol_versions(&self) -> std::borrow::Cow<'static, [ProtocolVersion]> {
        // Later revisions replace `initialize` and server-to-client requests, which the
        // approvals need.
        std::borrow::Cow::Borrowed(ProtocolVersion::known_up_to(&ProtocolVersion::V_2025_11_25))
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        if self.initialized.swap(true, Ordering::SeqCst) {
            return Err(ErrorData::invalid_request(
                "initialize called more than once",
                None,
            ));
        }
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::definitions()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let result = match request.name.as_ref() {
            tools::CODEX => self.codex(request.arguments, &context).await,
            tools::CODEX_REPLY => self.reply(request.arguments, &context).await,
            other => call::result(None, format!("Unknown tool '{other}'"), true),
        };
        (self.release_memory)();
        Ok(result.into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(ListResourcesResult::with_all_items(Vec::new()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(Vec::new()))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        Err(nothing_named("resources", &request.uri))
    }

    async fn subscribe(
        &self,
        request: SubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Err(nothing_named("resources", &request.uri))
    }

    async fn unsubscribe(
        &self,
        request: UnsubscribeRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Err(nothing_named("resources", &request.uri))
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(Vec::new()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        Err(nothing_named("prompts", &request.name))
    }

    async fn complete(
        &self,
        _request: CompleteRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CompleteResult, ErrorData> {
        Ok(CompleteResult::default())
    }
}

/// The server as rmcp runs it: methods the reference's server knows reach [`CodexMcpServer`];
/// every other one (tasks, discovery, custom methods) is answered as the reference answers an
/// unknown method.
pub(crate) struct Gate(pub CodexMcpServer);

impl Gate {
    fn served(request: &ClientRequest) -> bool {
        matches!(
            request,
            ClientRequest::InitializeRequest(_)
                | ClientRequest::PingRequest(_)
                | ClientRequest::ListToolsRequest(_)
                | ClientRequest::CallToolRequest(_)
                | ClientRequest::ListResourcesRequest(_)
                | ClientRequest::ListResourceTemplatesRequest(_)
                | ClientRequest::ReadResourceRequest(_)
                | ClientRequest::SubscribeRequest(_)
                | ClientRequest::UnsubscribeRequest(_)
                | ClientRequest::ListPromptsRequest(_)
                | ClientRequest::GetPromptRequest(_)
                | ClientRequest::CompleteRequest(_)
        )
    }
}

fn method_not_found(method: &str) -> ErrorData {
    ErrorData::new(
        ErrorCode::METHOD_NOT_FOUND,
        format!("method not found: {method}"),
        Some(json!({"method": method})),
    )
}

impl Service<RoleServer> for Gate {
    async fn handle_request(
        &self,
        request: ClientRequest,
        context: RequestContext<RoleServer>,
    ) -> Result<ServerResult, ErrorData> {
        if matches!(request, ClientRequest::SetLevelRequest(_)) {
            // Logs go to stderr; the level a host asks for changes nothing it receives.
            return Ok(ServerResult::empty(()));
        }
        if !Self::served(&request) {
            return Err(method_not_found(request.method()));
        }
        Service::handle_request(&self.0, request, context).await
    }

    async fn handle_notification(
        &self,
        notification: rmcp::model::ClientNotification,
        context: NotificationContext<RoleServer>,
    ) -> Result<(), ErrorData> {
        Service::handle_notification(&self.0, notification, context).await
    }

    fn get_info(&self) -> InitializeResult {
        ServerHandler::get_info(&self.0)
    }

    fn supported_protocol_versions(&self) -> std::borrow::Cow<'static, [ProtocolVersion]> {
        ServerHandler::supported_protocol_versions(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[test]
    fn unknown_methods_are_named_as_the_reference_names_them() {
        let error = method_not_found("foo/bar");
        assert_eq!(error.code, ErrorCode::METHOD_NOT_FOUND);
        assert_eq!(error.message, "method not found: foo/bar");
        assert_eq!(error.data, Some(json!({"method": "foo/bar"})));
    }
}
