//! The MCP side of the server, the same over stdio and HTTP: the handshake (logged, optionally
//! slow), the tools of `tools.rs`, and five paged text resources with one template.

use std::borrow::Cow;
use std::process::Child;
use std::process::Command;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use rmcp::ErrorData;
use rmcp::ServerHandler;
use rmcp::model::CallToolRequestParams;
use rmcp::model::CallToolResponse;
use rmcp::model::CallToolResult;
use rmcp::model::CancelledNotificationParam;
use rmcp::model::ContentBlock;
use rmcp::model::ElicitRequestParams;
use rmcp::model::ElicitationSchema;
use rmcp::model::ErrorCode;
use rmcp::model::Implementation;
use rmcp::model::InitializeRequestParams;
use rmcp::model::InitializeResult;
use rmcp::model::JsonObject;
use rmcp::model::ListResourceTemplatesResult;
use rmcp::model::ListResourcesResult;
use rmcp::model::ListToolsResult;
use rmcp::model::PaginatedRequestParams;
use rmcp::model::ProtocolVersion;
use rmcp::model::ReadResourceRequestParams;
use rmcp::model::ReadResourceResponse;
use rmcp::model::ReadResourceResult;
use rmcp::model::Resource;
use rmcp::model::ResourceContents;
use rmcp::model::ResourceTemplate;
use rmcp::model::ServerCapabilities;
use rmcp::model::ServerConfig;
use rmcp::model::Tool;
use rmcp::service::NotificationContext;
use rmcp::service::RequestContext;
use rmcp::service::RoleServer;
use serde_json::Value;
use serde_json::json;

use crate::chatgpt_apps::Connector;
use crate::event_log::EventLog;
use crate::tools::ToolName;

/// How many resources there are (`test://resource/1` to `test://resource/5`).
const RESOURCE_COUNT: usize = 5;
/// Resources per `resources/list` page, small so that paging is exercised.
const RESOURCES_PER_PAGE: usize = 2;
const RESOURCE_URI_PREFIX: &str = "test://resource/";
const RESOURCE_MIME_TYPE: &str = "text/plain";

/// What the command line decided about the MCP side.
pub struct Settings {
    pub log: EventLog,
    pub startup_delay: Duration,
    /// The tools offered, in `tools/list` order.
    pub tools: Vec<ToolName>,
    pub resources: bool,
    /// With `--chatgpt-apps`, the connectors whose tools are offered too.
    pub connectors: Vec<Connector>,
}

/// The server handler. Cheap to clone: the HTTP transport makes one per session, and all of them
/// share the settings and the children they spawned.
#[derive(Clone)]
pub struct TestServer {
    settings: Arc<Settings>,
    /// The `sleep 600` grandchildren of `spawn_child`, kept so that they are not reaped behind
    /// the test's back: the test checks them by pid.
    children: Arc<Mutex<Vec<Child>>>,
}

impl TestServer {
    pub fn new(settings: Settings) -> Self {
        Self {
            settings: Arc::new(settings),
            children: Arc::default(),
        }
    }

    async fn call(
        &self,
        tool: ToolName,
        arguments: &JsonObject,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        match tool {
            ToolName::Echo => {
                let text = string_argument(arguments, "text")?;
                Ok(text_result(format!("echo: {text}")))
            }
            ToolName::EchoStructured => {
                let text = string_argument(arguments, "text")?;
                let mut result = text_result(format!("echo: {text}"));
                result.structured_content = Some(json!({"echo": text}));
                Ok(result)
            }
            ToolName::Fail => {
                let message = optional_string_argument(arguments, "message")?;
                Ok(CallToolResult::error(vec![ContentBlock::text(
                    message.unwrap_or("tool failed"),
                )]))
            }
            ToolName::Error => {
                let message = optional_string_argument(arguments, "message")?;
                Err(ErrorData::new(
                    ErrorCode(-32000),
                    message.unwrap_or("kaboom").to_owned(),
                    None,
                ))
            }
            ToolName::Sleep => {
                let ms = arguments.get("ms").and_then(Value::as_u64).ok_or_else(|| {
                    invalid_params("argument `ms` must be a non-negative integer")
                })?;
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(ms)) => {
                        Ok(text_result(format!("slept {ms} ms")))
                    }
                    () = context.ct.cancelled() => {
                        self.settings.log.record(json!({"event": "sleep_cancelled", "ms": ms}));
                        Err(ErrorData::new(ErrorCode::INTERNAL_ERROR, "sleep cancelled", None))
                    }
                }
            }
            ToolName::Pid => Ok(text_result(std::process::id().to_string())),
            ToolName::SpawnChild => {
                let child = Command::new("sleep")
                    .arg("600")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(|error| {
                        internal_error(format!("cannot spawn `sleep 600`: {error}"))
                    })?;
                let pid = child.id();
                self.children
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(child);
                self.settings
                    .log
                    .record(json!({"event": "spawn_child", "pid": pid}));
                Ok(text_result(pid.to_string()))
            }
            ToolName::Env => {
                let env: serde_json::Map<String, Value> = std::env::vars_os()
                    .map(|(name, value)| {
                        (
                            name.to_string_lossy().into_owned(),
                            Value::String(value.to_string_lossy().into_owned()),
                        )
                    })
                    .collect();
                Ok(text_result(Value::Object(env).to_string()))
            }
            ToolName::Cwd => {
                let cwd = std::env::current_dir().map_err(|error| {
                    internal_error(format!("cannot read the working directory: {error}"))
                })?;
                Ok(text_result(cwd.to_string_lossy().into_owned()))
            }
            ToolName::Elicit => {
                let message = string_argument(arguments, "message")?;
                self.elicit(message, context).await
            }
        }
    }

    async fn elicit(
        &self,
        message: &str,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let requested_schema = ElicitationSchema::builder()
            .optional_bool("confirm", false)
            .build()
            .map_err(internal_error)?;
        let params = ElicitRequestParams::FormElicitationParams {
            meta: None,
            message: message.to_owned(),
            requested_schema,
        };
        let answer = context
            .peer
            .create_elicitation(params)
            .await
            .map_err(|error| internal_error(format!("elicitation/create failed: {error}")))?;
        // The action's wire name (`accept`, `decline`, `cancel`) is what the test asserts on.
        let action = serde_json::to_value(&answer.action)
            .ok()
            .and_then(|action| action.as_str().map(str::to_owned))
            .ok_or_else(|| internal_error("the elicitation action has no wire name"))?;
        self.settings.log.record(json!({
            "event": "elicitation",
            "action": action,
            "content": answer.content,
        }));
        Ok(text_result(action))
    }

    fn require_resources(&self) -> Result<(), ErrorData> {
        if self.settings.resources {
            Ok(())
        } else {
            Err(ErrorData::new(
                ErrorCode::METHOD_NOT_FOUND,
                "resources are turned off (--no-resources)",
                None,
            ))
        }
    }
}

impl ServerHandler for TestServer {
    fn get_info(&self) -> ServerConfig {
        let capabilities = if self.settings.resources {
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build()
        } else {
            ServerCapabilities::builder().enable_tools().build()
        };
        InitializeResult::new(capabilities)
            .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
            .with_server_info(Implementation::new(
                "test-mcp-server",
                env!("CARGO_PKG_VERSION"),
            ))
    }

    /// Only the versions with an `initialize` handshake: the clients under test (and the
    /// reference) use it, and the log and `--startup-delay-ms` hang on it.
    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(ProtocolVersion::known_up_to(
            &ProtocolVersion::LATEST_WITH_INITIALIZE,
        ))
    }

    async fn initialize(
        &self,
        request: InitializeRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<InitializeResult, ErrorData> {
        self.settings.log.record(json!({
            "event": "initialize",
            "clientInfo": request.client_info,
            "capabilities": request.capabilities,
            "protocolVersion": request.protocol_version,
        }));
        if !self.settings.startup_delay.is_zero() {
            tokio::time::sleep(self.settings.startup_delay).await;
        }
        context.peer.set_peer_info(request.clone());
        self.negotiate_initialize(&request)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let mut tools: Vec<Tool> = self.settings.tools.iter().map(|tool| tool.tool()).collect();
        tools.extend(self.settings.connectors.iter().map(connector_tool));
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        self.settings.log.record(json!({
            "event": "tools/call",
            "name": request.name,
            "arguments": request.arguments,
        }));
        if let Some(connector) = self
            .settings
            .connectors
            .iter()
            .find(|connector| connector.tool_name() == request.name)
        {
            return Ok(CallToolResponse::from(text_result(format!(
                "searched {}",
                connector.name
            ))));
        }
        let tool = request
            .name
            .parse::<ToolName>()
            .ok()
            .filter(|tool| self.settings.tools.contains(tool))
            .ok_or_else(|| invalid_params(format!("unknown tool `{}`", request.name)))?;
        let arguments = request.arguments.unwrap_or_default();
        self.call(tool, &arguments, &context)
            .await
            .map(CallToolResponse::from)
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        self.require_resources()?;
        let start = match request.and_then(|request| request.cursor) {
            None => 0,
            Some(cursor) => cursor
                .parse::<usize>()
                .ok()
                .filter(|start| *start < RESOURCE_COUNT)
                .ok_or_else(|| invalid_params(format!("invalid cursor `{cursor}`")))?,
        };
        let end = (start + RESOURCES_PER_PAGE).min(RESOURCE_COUNT);
        let resources = (start + 1..=end).map(resource).collect();
        let mut result = ListResourcesResult::with_all_items(resources);
        result.next_cursor = (end < RESOURCE_COUNT).then(|| end.to_string());
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        self.require_resources()?;
        let template =
            ResourceTemplate::new(format!("{RESOURCE_URI_PREFIX}{{id}}"), "resource-by-id")
                .with_title("Test resource by id")
                .with_description("One of the test resources, by its number")
                .with_mime_type(RESOURCE_MIME_TYPE);
        Ok(ListResourceTemplatesResult::with_all_items(vec![template]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        self.require_resources()?;
        let id = request
            .uri
            .strip_prefix(RESOURCE_URI_PREFIX)
            .and_then(|id| id.parse::<usize>().ok())
            .filter(|id| (1..=RESOURCE_COUNT).contains(id))
            .ok_or_else(|| {
                ErrorData::resource_not_found(
                    format!("unknown resource `{}`", request.uri),
                    Some(json!({"uri": request.uri})),
                )
            })?;
        let contents = ResourceContents::text(format!("resource {id}"), request.uri)
            .with_mime_type(RESOURCE_MIME_TYPE);
        Ok(ReadResourceResult::new(vec![contents]).into())
    }

    async fn on_cancelled(
        &self,
        notification: CancelledNotificationParam,
        _context: NotificationContext<RoleServer>,
    ) {
        self.settings.log.record(json!({
            "event": "notifications/cancelled",
            "requestId": notification.request_id,
            "reason": notification.reason,
        }));
    }
}

fn resource(id: usize) -> Resource {
    Resource::new(
        format!("{RESOURCE_URI_PREFIX}{id}"),
        format!("resource-{id}"),
    )
    .with_title(format!("Test resource {id}"))
    .with_mime_type(RESOURCE_MIME_TYPE)
}

fn text_result(text: String) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

fn string_argument<'a>(arguments: &'a JsonObject, name: &str) -> Result<&'a str, ErrorData> {
    optional_string_argument(arguments, name)?
        .ok_or_else(|| invalid_params(format!("missing string argument `{name}`")))
}

fn optional_string_argument<'a>(
    arguments: &'a JsonObject,
    name: &str,
) -> Result<Option<&'a str>, ErrorData> {
    match arguments.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(invalid_params(format!(
            "argument `{name}` must be a string"
        ))),
    }
}

fn invalid_params(message: impl Into<Cow<'static, str>>) -> ErrorData {
    ErrorData::new(ErrorCode::INVALID_PARAMS, message, None)
}

fn internal_error(message: impl ToString) -> ErrorData {
    ErrorData::new(ErrorCode::INTERNAL_ERROR, message.to_string(), None)
}

/// A connector's one tool, tagged with the connector as the ChatGPT gateway tags its tools.
fn connector_tool(connector: &Connector) -> Tool {
    let mut schema = JsonObject::new();
    schema.insert("type".to_owned(), json!("object"));
    let mut tool = Tool::new(
        connector.tool_name(),
        format!("Searches {}.", connector.name),
        schema,
    );
    let mut meta = JsonObject::new();
    meta.insert("connector_id".to_owned(), json!(connector.id));
    meta.insert("connector_name".to_owned(), json!(connector.name));
    tool.meta = Some(rmcp::model::MetaObject(meta));
    tool
}
