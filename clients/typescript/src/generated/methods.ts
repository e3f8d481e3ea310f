// GENERATED CODE! DO NOT MODIFY BY HAND!
// The method table of the app-server protocol, written by `codex app-server generate-ts-client`.

import type { AddConversationListenerParams, AddConversationSubscriptionResponse, ApplyPatchApprovalParams, ApplyPatchApprovalResponse, ArchiveConversationParams, ArchiveConversationResponse, AuthStatusChangeNotification, CancelLoginChatGptParams, CancelLoginChatGptResponse, ExecCommandApprovalParams, ExecCommandApprovalResponse, ExecOneOffCommandParams, ExecOneOffCommandResponse, ForkConversationParams, ForkConversationResponse, FuzzyFileSearchParams, FuzzyFileSearchResponse, GetAuthStatusParams, GetAuthStatusResponse, GetConversationSummaryParams, GetConversationSummaryResponse, GetUserAgentResponse, GetUserSavedConfigResponse, GitDiffToRemoteParams, GitDiffToRemoteResponse, InitializeParams, InitializeResponse, InterruptConversationParams, InterruptConversationResponse, ListConversationsParams, ListConversationsResponse, LoginApiKeyParams, LoginApiKeyResponse, LoginChatGptCompleteNotification, LoginChatGptResponse, LogoutChatGptResponse, NewConversationParams, NewConversationResponse, RemoveConversationListenerParams, RemoveConversationSubscriptionResponse, ResumeConversationParams, ResumeConversationResponse, SendUserMessageParams, SendUserMessageResponse, SendUserTurnParams, SendUserTurnResponse, SessionConfiguredNotification, SetDefaultModelParams, SetDefaultModelResponse, UserInfoResponse, v2 } from "./protocol";

/** Each request a client may send, with its params and the result it is answered with. */
export type ClientRequestMethods = {
  "initialize": { params: InitializeParams; result: InitializeResponse };
  "thread/start": { params: v2.ThreadStartParams; result: v2.ThreadStartResponse };
  "thread/resume": { params: v2.ThreadResumeParams; result: v2.ThreadResumeResponse };
  "thread/fork": { params: v2.ThreadForkParams; result: v2.ThreadForkResponse };
  "thread/archive": { params: v2.ThreadArchiveParams; result: v2.ThreadArchiveResponse };
  "thread/unsubscribe": { params: v2.ThreadUnsubscribeParams; result: v2.ThreadUnsubscribeResponse };
  "thread/name/set": { params: v2.ThreadSetNameParams; result: v2.ThreadSetNameResponse };
  "thread/unarchive": { params: v2.ThreadUnarchiveParams; result: v2.ThreadUnarchiveResponse };
  "thread/compact/start": { params: v2.ThreadCompactStartParams; result: v2.ThreadCompactStartResponse };
  "thread/backgroundTerminals/clean": { params: v2.ThreadBackgroundTerminalsCleanParams; result: v2.ThreadBackgroundTerminalsCleanResponse };
  "thread/rollback": { params: v2.ThreadRollbackParams; result: v2.ThreadRollbackResponse };
  "thread/list": { params: v2.ThreadListParams; result: v2.ThreadListResponse };
  "thread/loaded/list": { params: v2.ThreadLoadedListParams; result: v2.ThreadLoadedListResponse };
  "thread/read": { params: v2.ThreadReadParams; result: v2.ThreadReadResponse };
  "skills/list": { params: v2.SkillsListParams; result: v2.SkillsListResponse };
  "skills/remote/read": { params: v2.SkillsRemoteReadParams; result: v2.SkillsRemoteReadResponse };
  "skills/remote/write": { params: v2.SkillsRemoteWriteParams; result: v2.SkillsRemoteWriteResponse };
  "app/list": { params: v2.AppsListParams; result: v2.AppsListResponse };
  "skills/config/write": { params: v2.SkillsConfigWriteParams; result: v2.SkillsConfigWriteResponse };
  "turn/start": { params: v2.TurnStartParams; result: v2.TurnStartResponse };
  "turn/steer": { params: v2.TurnSteerParams; result: v2.TurnSteerResponse };
  "turn/interrupt": { params: v2.TurnInterruptParams; result: v2.TurnInterruptResponse };
  "review/start": { params: v2.ReviewStartParams; result: v2.ReviewStartResponse };
  "model/list": { params: v2.ModelListParams; result: v2.ModelListResponse };
  "experimentalFeature/list": { params: v2.ExperimentalFeatureListParams; result: v2.ExperimentalFeatureListResponse };
  "collaborationMode/list": { params: v2.CollaborationModeListParams; result: v2.CollaborationModeListResponse };
  "mock/experimentalMethod": { params: v2.MockExperimentalMethodParams; result: v2.MockExperimentalMethodResponse };
  "mcpServer/oauth/login": { params: v2.McpServerOauthLoginParams; result: v2.McpServerOauthLoginResponse };
  "config/mcpServer/reload": { params: undefined; result: v2.McpServerRefreshResponse };
  "mcpServerStatus/list": { params: v2.ListMcpServerStatusParams; result: v2.ListMcpServerStatusResponse };
  "account/login/start": { params: v2.LoginAccountParams; result: v2.LoginAccountResponse };
  "account/login/cancel": { params: v2.CancelLoginAccountParams; result: v2.CancelLoginAccountResponse };
  "account/logout": { params: undefined; result: v2.LogoutAccountResponse };
  "account/rateLimits/read": { params: undefined; result: v2.GetAccountRateLimitsResponse };
  "feedback/upload": { params: v2.FeedbackUploadParams; result: v2.FeedbackUploadResponse };
  "command/exec": { params: v2.CommandExecParams; result: v2.CommandExecResponse };
  "config/read": { params: v2.ConfigReadParams; result: v2.ConfigReadResponse };
  "config/value/write": { params: v2.ConfigValueWriteParams; result: v2.ConfigWriteResponse };
  "config/batchWrite": { params: v2.ConfigBatchWriteParams; result: v2.ConfigWriteResponse };
  "configRequirements/read": { params: undefined; result: v2.ConfigRequirementsReadResponse };
  "account/read": { params: v2.GetAccountParams; result: v2.GetAccountResponse };
  "newConversation": { params: NewConversationParams; result: NewConversationResponse };
  "getConversationSummary": { params: GetConversationSummaryParams; result: GetConversationSummaryResponse };
  "listConversations": { params: ListConversationsParams; result: ListConversationsResponse };
  "resumeConversation": { params: ResumeConversationParams; result: ResumeConversationResponse };
  "forkConversation": { params: ForkConversationParams; result: ForkConversationResponse };
  "archiveConversation": { params: ArchiveConversationParams; result: ArchiveConversationResponse };
  "sendUserMessage": { params: SendUserMessageParams; result: SendUserMessageResponse };
  "sendUserTurn": { params: SendUserTurnParams; result: SendUserTurnResponse };
  "interruptConversation": { params: InterruptConversationParams; result: InterruptConversationResponse };
  "addConversationListener": { params: AddConversationListenerParams; result: AddConversationSubscriptionResponse };
  "removeConversationListener": { params: RemoveConversationListenerParams; result: RemoveConversationSubscriptionResponse };
  "gitDiffToRemote": { params: GitDiffToRemoteParams; result: GitDiffToRemoteResponse };
  "loginApiKey": { params: LoginApiKeyParams; result: LoginApiKeyResponse };
  "loginChatGpt": { params: undefined; result: LoginChatGptResponse };
  "cancelLoginChatGpt": { params: CancelLoginChatGptParams; result: CancelLoginChatGptResponse };
  "logoutChatGpt": { params: undefined; result: LogoutChatGptResponse };
  "getAuthStatus": { params: GetAuthStatusParams; result: GetAuthStatusResponse };
  "getUserSavedConfig": { params: undefined; result: GetUserSavedConfigResponse };
  "setDefaultModel": { params: SetDefaultModelParams; result: SetDefaultModelResponse };
  "getUserAgent": { params: undefined; result: GetUserAgentResponse };
  "userInfo": { params: undefined; result: UserInfoResponse };
  "fuzzyFileSearch": { params: FuzzyFileSearchParams; result: FuzzyFileSearchResponse };
  "execOneOffCommand": { params: ExecOneOffCommandParams; result: ExecOneOffCommandResponse };
};

/** Each request the server may send (approvals, user input, client tools, token refresh), with its params and the result the client answers with. */
export type ServerRequestMethods = {
  "item/commandExecution/requestApproval": { params: v2.CommandExecutionRequestApprovalParams; result: v2.CommandExecutionRequestApprovalResponse };
  "item/fileChange/requestApproval": { params: v2.FileChangeRequestApprovalParams; result: v2.FileChangeRequestApprovalResponse };
  "item/tool/requestUserInput": { params: v2.ToolRequestUserInputParams; result: v2.ToolRequestUserInputResponse };
  "item/tool/call": { params: v2.DynamicToolCallParams; result: v2.DynamicToolCallResponse };
  "account/chatgptAuthTokens/refresh": { params: v2.ChatgptAuthTokensRefreshParams; result: v2.ChatgptAuthTokensRefreshResponse };
  "applyPatchApproval": { params: ApplyPatchApprovalParams; result: ApplyPatchApprovalResponse };
  "execCommandApproval": { params: ExecCommandApprovalParams; result: ExecCommandApprovalResponse };
};

/** Each notification the server may send, with its params. */
export type ServerNotificationMethods = {
  "error": v2.ErrorNotification;
  "thread/started": v2.ThreadStartedNotification;
  "thread/name/updated": v2.ThreadNameUpdatedNotification;
  "thread/status/changed": v2.ThreadStatusChangedNotification;
  "thread/closed": v2.ThreadClosedNotification;
  "serverRequest/resolved": v2.ServerRequestResolvedNotification;
  "thread/tokenUsage/updated": v2.ThreadTokenUsageUpdatedNotification;
  "turn/started": v2.TurnStartedNotification;
  "turn/completed": v2.TurnCompletedNotification;
  "turn/diff/updated": v2.TurnDiffUpdatedNotification;
  "turn/plan/updated": v2.TurnPlanUpdatedNotification;
  "item/started": v2.ItemStartedNotification;
  "item/completed": v2.ItemCompletedNotification;
  "rawResponseItem/completed": v2.RawResponseItemCompletedNotification;
  "item/agentMessage/delta": v2.AgentMessageDeltaNotification;
  "item/plan/delta": v2.PlanDeltaNotification;
  "item/commandExecution/outputDelta": v2.CommandExecutionOutputDeltaNotification;
  "item/commandExecution/terminalInteraction": v2.TerminalInteractionNotification;
  "item/fileChange/outputDelta": v2.FileChangeOutputDeltaNotification;
  "item/mcpToolCall/progress": v2.McpToolCallProgressNotification;
  "mcpServer/oauthLogin/completed": v2.McpServerOauthLoginCompletedNotification;
  "account/updated": v2.AccountUpdatedNotification;
  "account/rateLimits/updated": v2.AccountRateLimitsUpdatedNotification;
  "app/list/updated": v2.AppListUpdatedNotification;
  "item/reasoning/summaryTextDelta": v2.ReasoningSummaryTextDeltaNotification;
  "item/reasoning/summaryPartAdded": v2.ReasoningSummaryPartAddedNotification;
  "item/reasoning/textDelta": v2.ReasoningTextDeltaNotification;
  "thread/compacted": v2.ContextCompactedNotification;
  "deprecationNotice": v2.DeprecationNoticeNotification;
  "configWarning": v2.ConfigWarningNotification;
  "windows/worldWritableWarning": v2.WindowsWorldWritableWarningNotification;
  "account/login/completed": v2.AccountLoginCompletedNotification;
  "authStatusChange": AuthStatusChangeNotification;
  "loginChatGptComplete": LoginChatGptCompleteNotification;
  "sessionConfigured": SessionConfiguredNotification;
};

export const CLIENT_REQUEST_METHODS = [
  "initialize",
  "thread/start",
  "thread/resume",
  "thread/fork",
  "thread/archive",
  "thread/unsubscribe",
  "thread/name/set",
  "thread/unarchive",
  "thread/compact/start",
  "thread/backgroundTerminals/clean",
  "thread/rollback",
  "thread/list",
  "thread/loaded/list",
  "thread/read",
  "skills/list",
  "skills/remote/read",
  "skills/remote/write",
  "app/list",
  "skills/config/write",
  "turn/start",
  "turn/steer",
  "turn/interrupt",
  "review/start",
  "model/list",
  "experimentalFeature/list",
  "collaborationMode/list",
  "mock/experimentalMethod",
  "mcpServer/oauth/login",
  "config/mcpServer/reload",
  "mcpServerStatus/list",
  "account/login/start",
  "account/login/cancel",
  "account/logout",
  "account/rateLimits/read",
  "feedback/upload",
  "command/exec",
  "config/read",
  "config/value/write",
  "config/batchWrite",
  "configRequirements/read",
  "account/read",
  "newConversation",
  "getConversationSummary",
  "listConversations",
  "resumeConversation",
  "forkConversation",
  "archiveConversation",
  "sendUserMessage",
  "sendUserTurn",
  "interruptConversation",
  "addConversationListener",
  "removeConversationListener",
  "gitDiffToRemote",
  "loginApiKey",
  "loginChatGpt",
  "cancelLoginChatGpt",
  "logoutChatGpt",
  "getAuthStatus",
  "getUserSavedConfig",
  "setDefaultModel",
  "getUserAgent",
  "userInfo",
  "fuzzyFileSearch",
  "execOneOffCommand",
] as const;

export const EXPERIMENTAL_CLIENT_REQUEST_METHODS = [
  "thread/unsubscribe",
  "thread/backgroundTerminals/clean",
  "collaborationMode/list",
  "mock/experimentalMethod",
] as const;

export const SERVER_REQUEST_METHODS = [
  "item/commandExecution/requestApproval",
  "item/fileChange/requestApproval",
  "item/tool/requestUserInput",
  "item/tool/call",
  "account/chatgptAuthTokens/refresh",
  "applyPatchApproval",
  "execCommandApproval",
] as const;

export const SERVER_NOTIFICATION_METHODS = [
  "error",
  "thread/started",
  "thread/name/updated",
  "thread/status/changed",
  "thread/closed",
  "serverRequest/resolved",
  "thread/tokenUsage/updated",
  "turn/started",
  "turn/completed",
  "turn/diff/updated",
  "turn/plan/updated",
  "item/started",
  "item/completed",
  "rawResponseItem/completed",
  "item/agentMessage/delta",
  "item/plan/delta",
  "item/commandExecution/outputDelta",
  "item/commandExecution/terminalInteraction",
  "item/fileChange/outputDelta",
  "item/mcpToolCall/progress",
  "mcpServer/oauthLogin/completed",
  "account/updated",
  "account/rateLimits/updated",
  "app/list/updated",
  "item/reasoning/summaryTextDelta",
  "item/reasoning/summaryPartAdded",
  "item/reasoning/textDelta",
  "thread/compacted",
  "deprecationNotice",
  "configWarning",
  "windows/worldWritableWarning",
  "account/login/completed",
  "authStatusChange",
  "loginChatGptComplete",
  "sessionConfigured",
] as const;
