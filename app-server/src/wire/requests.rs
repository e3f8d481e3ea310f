//! The server's requests to clients, and their answers in core's terms: approvals of commands
//! and file changes (v2 and v1 spellings), and the tools the client runs.

use codex_app_server_protocol::ServerRequestPayload;
use codex_app_server_protocol::v1;
use codex_app_server_protocol::v2;
use codex_protocol::ThreadId;
use codex_protocol::approvals::ApplyPatchApprovalRequestEvent;
use codex_protocol::approvals::ExecApprovalRequestEvent;
use codex_protocol::approvals::ExecPolicyAmendment;
use codex_protocol::dynamic_tools::DynamicToolCallRequest;
use codex_protocol::models::FunctionCallOutputContentItem;
use codex_protocol::protocol::ReviewDecision;
use codex_protocol::request_user_input::RequestUserInputEvent;
use codex_tools::DynamicToolOutput;
use codex_tools::UserInputAnswers;

use super::tools;

/// Asks whether a command may run: `item/commandExecution/requestApproval`, or
/// `execCommandApproval` for a v1 listener.
pub(crate) fn exec_approval(
    thread_id: ThreadId,
    request: &ExecApprovalRequestEvent,
    v1: bool,
) -> ServerRequestPayload {
    if v1 {
        return ServerRequestPayload::ExecCommandApproval(v1::ExecCommandApprovalParams {
            conversation_id: thread_id,
            call_id: request.call_id.clone(),
            command: request.command.clone(),
            cwd: request.cwd.clone(),
            reason: request.reason.clone(),
            parsed_cmd: request.parsed_cmd.clone(),
        });
    }
    ServerRequestPayload::CommandExecutionRequestApproval(
        v2::CommandExecutionRequestApprovalParams {
            thread_id: thread_id.to_string(),
            turn_id: request.turn_id.clone(),
            item_id: request.call_id.clone(),
            reason: request.reason.clone(),
            command: Some(tools::command_line(&request.command)),
            cwd: Some(request.cwd.clone()),
            command_actions: Some(tools::command_actions(&request.parsed_cmd)),
            proposed_execpolicy_amendment: request
                .proposed_execpolicy_amendment
                .as_ref()
                .map(|amendment| v2::ExecPolicyAmendment(amendment.0.clone())),
        },
    )
}

/// Asks whether a patch may be written: `item/fileChange/requestApproval`, or
/// `applyPatchApproval` for a v1 listener.
pub(crate) fn patch_approval(
    thread_id: ThreadId,
    request: &ApplyPatchApprovalRequestEvent,
    v1: bool,
) -> ServerRequestPayload {
    if v1 {
        return ServerRequestPayload::ApplyPatchApproval(v1::ApplyPatchApprovalParams {
            conversation_id: thread_id,
            call_id: request.call_id.clone(),
            file_changes: request.changes.clone(),
            reason: request.reason.clone(),
            grant_root: request.grant_root.clone(),
        });
    }
    ServerRequestPayload::FileChangeRequestApproval(v2::FileChangeRequestApprovalParams {
        thread_id: thread_id.to_string(),
        turn_id: request.turn_id.clone(),
        item_id: request.call_id.clone(),
        reason: request.reason.clone(),
        grant_root: request.grant_root.clone(),
    })
}

pub(crate) fn exec_decision(decision: v2::CommandExecutionApprovalDecision) -> ReviewDecision {
    match decision {
        v2::CommandExecutionApprovalDecision::Accept => ReviewDecision::Approved,
        v2::CommandExecutionApprovalDecision::AcceptForSession => {
            ReviewDecision::ApprovedForSession
        }
        v2::CommandExecutionApprovalDecision::AcceptWithExecpolicyAmendment {
            execpolicy_amendment,
        } => ReviewDecision::ApprovedExecpolicyAmendment {
            proposed_execpolicy_amendment: ExecPolicyAmendment(execpolicy_amendment.0),
        },
        v2::CommandExecutionApprovalDecision::Decline => ReviewDecision::Denied,
        v2::CommandExecutionApprovalDecision::Cancel => ReviewDecision::Abort,
    }
}

pub(crate) fn patch_decision(decision: v2::FileChangeApprovalDecision) -> ReviewDecision {
    match decision {
        v2::FileChangeApprovalDecision::Accept => ReviewDecision::Approved,
        v2::FileChangeApprovalDecision::AcceptForSession => ReviewDecision::ApprovedForSession,
        v2::FileChangeApprovalDecision::Decline => ReviewDecision::Denied,
        v2::FileChangeApprovalDecision::Cancel => ReviewDecision::Abort,
    }
}

/// Asks the client to run one of the tools it declared: `item/tool/call`.
pub(crate) fn dynamic_tool_call(
    thread_id: ThreadId,
    request: &DynamicToolCallRequest,
) -> ServerRequestPayload {
    ServerRequestPayload::DynamicToolCall(v2::DynamicToolCallParams {
        thread_id: thread_id.to_string(),
        turn_id: request.turn_id.clone(),
        call_id: request.call_id.clone(),
        tool: request.tool.clone(),
        arguments: request.arguments.clone(),
    })
}

pub(crate) fn dynamic_tool_output(response: v2::DynamicToolCallResponse) -> DynamicToolOutput {
    DynamicToolOutput {
        content: response
            .content_items
            .into_iter()
            .map(|item| match item {
                v2::DynamicToolCallOutputContentItem::InputText { text } => {
                    FunctionCallOutputContentItem::InputText { text }
                }
                v2::DynamicToolCallOutputContentItem::InputImage { image_url } => {
                    FunctionCallOutputContentItem::InputImage { image_url }
                }
            })
            .collect(),
        success: response.success,
    }
}

/// Asks the user questions through the client: `item/tool/requestUserInput`.
pub(crate) fn user_input(
    thread_id: ThreadId,
    request: &RequestUserInputEvent,
) -> ServerRequestPayload {
    ServerRequestPayload::ToolRequestUserInput(v2::ToolRequestUserInputParams {
        thread_id: thread_id.to_string(),
        turn_id: request.turn_id.clone(),
        item_id: request.call_id.clone(),
        questions: request
            .questions
            .iter()
            .map(|question| v2::ToolRequestUserInputQuestion {
                id: question.id.clone(),
                header: question.header.clone(),
                question: question.question.clone(),
                is_other: question.is_other,
                is_secret: question.is_secret,
                options: question.options.as_ref().map(|options| {
                    options
                        .iter()
                        .map(|option| v2::ToolRequestUserInputOption {
                            label: option.label.clone(),
                            description: option.description.clone(),
                        })
                        .collect()
                }),
            })
            .collect(),
    })
}

pub(crate) fn user_input_answers(response: v2::ToolRequestUserInputResponse) -> UserInputAnswers {
    response
        .answers
        .into_iter()
        .map(|(id, answer)| (id, answer.answers))
        .collect()
}
