//! The method tables: every request, notification and server request of the protocol, each
//! paired with its params and response types.
//!
//! Each table is a single macro invocation. From it come the tagged enums clients see in the
//! generated bindings (`ClientRequest`, `ServerNotification`, ...), the typed parsing the server
//! dispatches on, the list of experimental methods, and the walk over every type the schema
//! exporters need. Adding a method means adding one line here.

use schemars::JsonSchema;
use serde::Deserialize;
use serde::Serialize;
use ts_rs::TS;

use crate::RequestId;
use crate::protocol::fuzzy_file_search::*;
use crate::protocol::no_params::NoParams;
use crate::protocol::v1;
use crate::protocol::v2;

/// Where the JSON Schema file of a method's types lands in the generated tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaFolder {
    Root,
    V1,
    V2,
}

impl SchemaFolder {
    pub fn as_path(self) -> &'static str {
        match self {
            Self::Root => "",
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }
}

/// What the exporters need to know about one method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodInfo {
    pub method: &'static str,
    pub experimental: bool,
}

/// Visits the Rust type of every params, response and notification payload in a table.
pub trait ProtocolTypeVisitor {
    fn visit<T: TS + JsonSchema + 'static>(&mut self, folder: SchemaFolder, experimental: bool);
}

/// Visits every method of a table with its params and response types, for code (tests, docs)
/// that works method by method.
pub trait MethodVisitor {
    fn visit<P, R>(&mut self, method: &'static str, experimental: bool)
    where
        P: Serialize + serde::de::DeserializeOwned + JsonSchema + TS + 'static,
        R: Serialize + serde::de::DeserializeOwned + JsonSchema + TS + 'static;
}

/// Why a request or notification could not be turned into its typed form.
#[derive(Debug)]
pub enum ParseError {
    /// No method of that name exists in the table.
    UnknownMethod(String),
    /// The method exists but its params do not fit the params type.
    InvalidParams(serde_json::Error),
}

/// The params of a method, taken from an envelope: absent params read as `{}` (or `null` for a
/// method without params), so that a method whose fields are all optional can be called bare.
fn parse_params<P: serde::de::DeserializeOwned>(
    params: Option<serde_json::Value>,
) -> Result<P, ParseError> {
    let value = match params {
        Some(value) => value,
        None => match serde_json::from_value::<P>(serde_json::Value::Null) {
            Ok(parsed) => return Ok(parsed),
            Err(_) => serde_json::Value::Object(serde_json::Map::new()),
        },
    };
    serde_json::from_value(value).map_err(ParseError::InvalidParams)
}

macro_rules! experimental_flag {
    () => {
        false
    };
    (experimental) => {
        true
    };
}

macro_rules! client_requests {
    ($(
        $variant:ident $folder:ident $(#[$flag:ident])? $method:literal ($params:ty) -> $response:ty;
    )*) => {
        /// A request from the client, tagged by its method.
        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
        #[serde(tag = "method")]
        pub enum ClientRequest {
            $(
                #[serde(rename = $method)]
                $variant { id: RequestId, params: $params },
            )*
        }

        impl ClientRequest {
            /// Every client request method, in table order.
            pub const METHODS: &'static [MethodInfo] = &[
                $(MethodInfo { method: $method, experimental: experimental_flag!($($flag)?) },)*
            ];

            pub fn id(&self) -> &RequestId {
                match self {
                    $(Self::$variant { id, .. } => id,)*
                }
            }

            pub fn method(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $method,)*
                }
            }

            /// Builds the typed request from the pieces of an envelope.
            pub fn from_parts(
                id: RequestId,
                method: &str,
                params: Option<serde_json::Value>,
            ) -> Result<Self, ParseError> {
                match method {
                    $($method => Ok(Self::$variant { id, params: parse_params(params)? }),)*
                    other => Err(ParseError::UnknownMethod(other.to_string())),
                }
            }

            pub fn visit_methods(visitor: &mut impl MethodVisitor) {
                $(visitor.visit::<$params, $response>($method, experimental_flag!($($flag)?));)*
            }

            pub fn visit_types(visitor: &mut impl ProtocolTypeVisitor) {
                $(
                    visitor.visit::<$params>(SchemaFolder::$folder, experimental_flag!($($flag)?));
                    visitor.visit::<$response>(SchemaFolder::$folder, experimental_flag!($($flag)?));
                )*
            }
        }
    };
}

macro_rules! server_requests {
    ($(
        $variant:ident $method:literal ($params:ty) -> $response:ty;
    )*) => {
        /// A request from the server to the client (approvals, user input, token refresh).
        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
        #[serde(tag = "method")]
        pub enum ServerRequest {
            $(
                #[serde(rename = $method)]
                $variant { id: RequestId, params: $params },
            )*
        }

        /// The payload of a server request, before the connection layer gives it an id.
        #[derive(Debug, Clone, PartialEq)]
        pub enum ServerRequestPayload {
            $($variant($params),)*
        }

        impl ServerRequestPayload {
            pub fn method(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $method,)*
                }
            }

            pub fn into_request(self, id: RequestId) -> ServerRequest {
                match self {
                    $(Self::$variant(params) => ServerRequest::$variant { id, params },)*
                }
            }
        }

        impl ServerRequest {
            pub const METHODS: &'static [MethodInfo] = &[
                $(MethodInfo { method: $method, experimental: false },)*
            ];

            pub fn id(&self) -> &RequestId {
                match self {
                    $(Self::$variant { id, .. } => id,)*
                }
            }

            pub fn method(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $method,)*
                }
            }

            pub fn visit_methods(visitor: &mut impl MethodVisitor) {
                $(visitor.visit::<$params, $response>($method, false);)*
            }

            pub fn visit_types(visitor: &mut impl ProtocolTypeVisitor) {
                $(
                    visitor.visit::<$params>(SchemaFolder::Root, false);
                    visitor.visit::<$response>(SchemaFolder::Root, false);
                )*
            }
        }
    };
}

macro_rules! server_notifications {
    ($(
        $variant:ident $folder:ident $(#[$flag:ident])? $method:literal ($params:ty);
    )*) => {
        /// A notification from the server, tagged by its method.
        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
        #[serde(tag = "method", content = "params")]
        pub enum ServerNotification {
            $(
                #[serde(rename = $method)]
                $variant($params),
            )*
        }

        impl ServerNotification {
            pub const METHODS: &'static [MethodInfo] = &[
                $(MethodInfo { method: $method, experimental: experimental_flag!($($flag)?) },)*
            ];

            /// Whether `method` is a notification only experimental clients hear.
            pub fn is_experimental_method(method: &str) -> bool {
                Self::METHODS
                    .iter()
                    .any(|info| info.experimental && info.method == method)
            }

            pub fn method(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $method,)*
                }
            }

            /// Visits each notification's params type; the response type is `()`.
            pub fn visit_methods(visitor: &mut impl MethodVisitor) {
                $(visitor.visit::<$params, ()>($method, experimental_flag!($($flag)?));)*
            }

            pub fn visit_types(visitor: &mut impl ProtocolTypeVisitor) {
                $(visitor.visit::<$params>(SchemaFolder::$folder, experimental_flag!($($flag)?));)*
            }
        }
    };
}

client_requests! {
    Initialize V1 "initialize" (v1::InitializeParams) -> v1::InitializeResponse;
    ThreadStart V2 "thread/start" (v2::ThreadStartParams) -> v2::ThreadStartResponse;
    ThreadResume V2 "thread/resume" (v2::ThreadResumeParams) -> v2::ThreadResumeResponse;
    ThreadFork V2 "thread/fork" (v2::ThreadForkParams) -> v2::ThreadForkResponse;
    ThreadArchive V2 "thread/archive" (v2::ThreadArchiveParams) -> v2::ThreadArchiveResponse;
    ThreadUnsubscribe V2 #[experimental] "thread/unsubscribe" (v2::ThreadUnsubscribeParams) -> v2::ThreadUnsubscribeResponse;
    ThreadSetName V2 "thread/name/set" (v2::ThreadSetNameParams) -> v2::ThreadSetNameResponse;
    ThreadUnarchive V2 "thread/unarchive" (v2::ThreadUnarchiveParams) -> v2::ThreadUnarchiveResponse;
    ThreadCompactStart V2 "thread/compact/start" (v2::ThreadCompactStartParams) -> v2::ThreadCompactStartResponse;
    ThreadBackgroundTerminalsClean V2 #[experimental] "thread/backgroundTerminals/clean" (v2::ThreadBackgroundTerminalsCleanParams) -> v2::ThreadBackgroundTerminalsCleanResponse;
    ThreadRollback V2 "thread/rollback" (v2::ThreadRollbackParams) -> v2::ThreadRollbackResponse;
    ThreadList V2 "thread/list" (v2::ThreadListParams) -> v2::ThreadListResponse;
    ThreadLoadedList V2 "thread/loaded/list" (v2::ThreadLoadedListParams) -> v2::ThreadLoadedListResponse;
    ThreadRead V2 "thread/read" (v2::ThreadReadParams) -> v2::ThreadReadResponse;
    SkillsList V2 "skills/list" (v2::SkillsListParams) -> v2::SkillsListResponse;
    SkillsRemoteRead V2 "skills/remote/read" (v2::SkillsRemoteReadParams) -> v2::SkillsRemoteReadResponse;
    SkillsRemoteWrite V2 "skills/remote/write" (v2::SkillsRemoteWriteParams) -> v2::SkillsRemoteWriteResponse;
    AppsList V2 "app/list" (v2::AppsListParams) -> v2::AppsListResponse;
    SkillsConfigWrite V2 "skills/config/write" (v2::SkillsConfigWriteParams) -> v2::SkillsConfigWriteResponse;
    TurnStart V2 "turn/start" (v2::TurnStartParams) -> v2::TurnStartResponse;
    TurnSteer V2 "turn/steer" (v2::TurnSteerParams) -> v2::TurnSteerResponse;
    TurnInterrupt V2 "turn/interrupt" (v2::TurnInterruptParams) -> v2::TurnInterruptResponse;
    ReviewStart V2 "review/start" (v2::ReviewStartParams) -> v2::ReviewStartResponse;
    ModelList V2 "model/list" (v2::ModelListParams) -> v2::ModelListResponse;
    ExperimentalFeatureList V2 "experimentalFeature/list" (v2::ExperimentalFeatureListParams) -> v2::ExperimentalFeatureListResponse;
    CollaborationModeList V2 #[experimental] "collaborationMode/list" (v2::CollaborationModeListParams) -> v2::CollaborationModeListResponse;
    MockExperimentalMethod V2 #[experimental] "mock/experimentalMethod" (v2::MockExperimentalMethodParams) -> v2::MockExperimentalMethodResponse;
    McpServerOauthLogin V2 "mcpServer/oauth/login" (v2::McpServerOauthLoginParams) -> v2::McpServerOauthLoginResponse;
    McpServerRefresh V2 "config/mcpServer/reload" (NoParams) -> v2::McpServerRefreshResponse;
    McpServerStatusList V2 "mcpServerStatus/list" (v2::ListMcpServerStatusParams) -> v2::ListMcpServerStatusResponse;
    LoginAccount V2 "account/login/start" (v2::LoginAccountParams) -> v2::LoginAccountResponse;
    CancelLoginAccount V2 "account/login/cancel" (v2::CancelLoginAccountParams) -> v2::CancelLoginAccountResponse;
    LogoutAccount V2 "account/logout" (NoParams) -> v2::LogoutAccountResponse;
    GetAccountRateLimits V2 "account/rateLimits/read" (NoParams) -> v2::GetAccountRateLimitsResponse;
    FeedbackUpload V2 "feedback/upload" (v2::FeedbackUploadParams) -> v2::FeedbackUploadResponse;
    CommandExec V2 "command/exec" (v2::CommandExecParams) -> v2::CommandExecResponse;
    ConfigRead V2 "config/read" (v2::ConfigReadParams) -> v2::ConfigReadResponse;
    ConfigValueWrite V2 "config/value/write" (v2::ConfigValueWriteParams) -> v2::ConfigWriteResponse;
    ConfigBatchWrite V2 "config/batchWrite" (v2::ConfigBatchWriteParams) -> v2::ConfigWriteResponse;
    ConfigRequirementsRead V2 "configRequirements/read" (NoParams) -> v2::ConfigRequirementsReadResponse;
    GetAccount V2 "account/read" (v2::GetAccountParams) -> v2::GetAccountResponse;
    NewConversation V1 "newConversation" (v1::NewConversationParams) -> v1::NewConversationResponse;
    GetConversationSummary V1 "getConversationSummary" (v1::GetConversationSummaryParams) -> v1::GetConversationSummaryResponse;
    ListConversations V1 "listConversations" (v1::ListConversationsParams) -> v1::ListConversationsResponse;
    ResumeConversation V1 "resumeConversation" (v1::ResumeConversationParams) -> v1::ResumeConversationResponse;
    ForkConversation V1 "forkConversation" (v1::ForkConversationParams) -> v1::ForkConversationResponse;
    ArchiveConversation V1 "archiveConversation" (v1::ArchiveConversationParams) -> v1::ArchiveConversationResponse;
    SendUserMessage V1 "sendUserMessage" (v1::SendUserMessageParams) -> v1::SendUserMessageResponse;
    SendUserTurn V1 "sendUserTurn" (v1::SendUserTurnParams) -> v1::SendUserTurnResponse;
    InterruptConversation V1 "interruptConversation" (v1::InterruptConversationParams) -> v1::InterruptConversationResponse;
    AddConversationListener V1 "addConversationListener" (v1::AddConversationListenerParams) -> v1::AddConversationSubscriptionResponse;
    RemoveConversationListener V1 "removeConversationListener" (v1::RemoveConversationListenerParams) -> v1::RemoveConversationSubscriptionResponse;
    GitDiffToRemote V1 "gitDiffToRemote" (v1::GitDiffToRemoteParams) -> v1::GitDiffToRemoteResponse;
    LoginApiKey V1 "loginApiKey" (v1::LoginApiKeyParams) -> v1::LoginApiKeyResponse;
    LoginChatGpt V1 "loginChatGpt" (NoParams) -> v1::LoginChatGptResponse;
    CancelLoginChatGpt V1 "cancelLoginChatGpt" (v1::CancelLoginChatGptParams) -> v1::CancelLoginChatGptResponse;
    LogoutChatGpt V1 "logoutChatGpt" (NoParams) -> v1::LogoutChatGptResponse;
    GetAuthStatus V1 "getAuthStatus" (v1::GetAuthStatusParams) -> v1::GetAuthStatusResponse;
    GetUserSavedConfig V1 "getUserSavedConfig" (NoParams) -> v1::GetUserSavedConfigResponse;
    SetDefaultModel V1 "setDefaultModel" (v1::SetDefaultModelParams) -> v1::SetDefaultModelResponse;
    GetUserAgent V1 "getUserAgent" (NoParams) -> v1::GetUserAgentResponse;
    UserInfo V1 "userInfo" (NoParams) -> v1::UserInfoResponse;
    FuzzyFileSearch Root "fuzzyFileSearch" (FuzzyFileSearchParams) -> FuzzyFileSearchResponse;
    ExecOneOffCommand V1 "execOneOffCommand" (v1::ExecOneOffCommandParams) -> v1::ExecOneOffCommandResponse;
}

server_requests! {
    CommandExecutionRequestApproval "item/commandExecution/requestApproval" (v2::CommandExecutionRequestApprovalParams) -> v2::CommandExecutionRequestApprovalResponse;
    FileChangeRequestApproval "item/fileChange/requestApproval" (v2::FileChangeRequestApprovalParams) -> v2::FileChangeRequestApprovalResponse;
    ToolRequestUserInput "item/tool/requestUserInput" (v2::ToolRequestUserInputParams) -> v2::ToolRequestUserInputResponse;
    DynamicToolCall "item/tool/call" (v2::DynamicToolCallParams) -> v2::DynamicToolCallResponse;
    ChatgptAuthTokensRefresh "account/chatgptAuthTokens/refresh" (v2::ChatgptAuthTokensRefreshParams) -> v2::ChatgptAuthTokensRefreshResponse;
    ApplyPatchApproval "applyPatchApproval" (v1::ApplyPatchApprovalParams) -> v1::ApplyPatchApprovalResponse;
    ExecCommandApproval "execCommandApproval" (v1::ExecCommandApprovalParams) -> v1::ExecCommandApprovalResponse;
}

server_notifications! {
    Error V2 "error" (v2::ErrorNotification);
    ThreadStarted V2 "thread/started" (v2::ThreadStartedNotification);
    ThreadNameUpdated V2 "thread/name/updated" (v2::ThreadNameUpdatedNotification);
    ThreadStatusChanged V2 #[experimental] "thread/status/changed" (v2::ThreadStatusChangedNotification);
    ThreadClosed V2 #[experimental] "thread/closed" (v2::ThreadClosedNotification);
    ServerRequestResolved V2 #[experimental] "serverRequest/resolved" (v2::ServerRequestResolvedNotification);
    ThreadTokenUsageUpdated V2 "thread/tokenUsage/updated" (v2::ThreadTokenUsageUpdatedNotification);
    TurnStarted V2 "turn/started" (v2::TurnStartedNotification);
    TurnCompleted V2 "turn/completed" (v2::TurnCompletedNotification);
    TurnDiffUpdated V2 "turn/diff/updated" (v2::TurnDiffUpdatedNotification);
    TurnPlanUpdated V2 "turn/plan/updated" (v2::TurnPlanUpdatedNotification);
    ItemStarted V2 "item/started" (v2::ItemStartedNotification);
    ItemCompleted V2 "item/completed" (v2::ItemCompletedNotification);
    RawResponseItemCompleted V2 "rawResponseItem/completed" (v2::RawResponseItemCompletedNotification);
    AgentMessageDelta V2 "item/agentMessage/delta" (v2::AgentMessageDeltaNotification);
    PlanDelta V2 "item/plan/delta" (v2::PlanDeltaNotification);
    CommandExecutionOutputDelta V2 "item/commandExecution/outputDelta" (v2::CommandExecutionOutputDeltaNotification);
    TerminalInteraction V2 "item/commandExecution/terminalInteraction" (v2::TerminalInteractionNotification);
    FileChangeOutputDelta V2 "item/fileChange/outputDelta" (v2::FileChangeOutputDeltaNotification);
    McpToolCallProgress V2 "item/mcpToolCall/progress" (v2::McpToolCallProgressNotification);
    McpServerOauthLoginCompleted V2 "mcpServer/oauthLogin/completed" (v2::McpServerOauthLoginCompletedNotification);
    AccountUpdated V2 "account/updated" (v2::AccountUpdatedNotification);
    AccountRateLimitsUpdated V2 "account/rateLimits/updated" (v2::AccountRateLimitsUpdatedNotification);
    AppListUpdated V2 "app/list/updated" (v2::AppListUpdatedNotification);
    ReasoningSummaryTextDelta V2 "item/reasoning/summaryTextDelta" (v2::ReasoningSummaryTextDeltaNotification);
    ReasoningSummaryPartAdded V2 "item/reasoning/summaryPartAdded" (v2::ReasoningSummaryPartAddedNotification);
    ReasoningTextDelta V2 "item/reasoning/textDelta" (v2::ReasoningTextDeltaNotification);
    ContextCompacted V2 "thread/compacted" (v2::ContextCompactedNotification);
    DeprecationNotice V2 "deprecationNotice" (v2::DeprecationNoticeNotification);
    ConfigWarning V2 "configWarning" (v2::ConfigWarningNotification);
    WindowsWorldWritableWarning V2 "windows/worldWritableWarning" (v2::WindowsWorldWritableWarningNotification);
    AccountLoginCompleted V2 "account/login/completed" (v2::AccountLoginCompletedNotification);
    AuthStatusChange V1 "authStatusChange" (v1::AuthStatusChangeNotification);
    LoginChatGptComplete V1 "loginChatGptComplete" (v1::LoginChatGptCompleteNotification);
    SessionConfigured V1 "sessionConfigured" (v1::SessionConfiguredNotification);
}

/// A notification from the client. The only one is `initialized`, which ends the handshake.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, JsonSchema, TS)]
#[serde(tag = "method")]
pub enum ClientNotification {
    #[serde(rename = "initialized")]
    Initialized,
}
