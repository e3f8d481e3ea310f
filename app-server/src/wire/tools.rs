//! How the agent's tool calls look on the wire: `commandExecution`, `fileChange` and
//! `mcpToolCall` items, the command actions a client shows, plans, and the items of declined
//! approvals.

use std::collections::BTreeMap;
use std::time::Duration;

use codex_app_server_protocol::v2;
use codex_protocol::approvals::ApplyPatchApprovalRequestEvent;
use codex_protocol::approvals::ExecApprovalRequestEvent;
use codex_protocol::mcp::CallToolResult;
use codex_protocol::parse_command::ParsedCommand;
use codex_protocol::plan_tool::StepStatus;
use codex_protocol::plan_tool::UpdatePlanArgs;
use codex_protocol::protocol as core;

/// A command as one line, the way the reference shows it: the argv joined with shell quoting
/// (`/bin/bash -lc 'echo hi'`).
pub(crate) fn command_line(argv: &[String]) -> String {
    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
}

/// What a command does, for display: the tools' reading of it (`ParsedCommand`), one action
/// each.
pub(crate) fn command_actions(parsed: &[ParsedCommand]) -> Vec<v2::CommandAction> {
    parsed.iter().map(command_action).collect()
}

fn command_action(parsed: &ParsedCommand) -> v2::CommandAction {
    match parsed.clone() {
        ParsedCommand::Read { cmd, name, path } => v2::CommandAction::Read {
            command: cmd,
            name,
            path,
        },
        ParsedCommand::ListFiles { cmd, path } => {
            v2::CommandAction::ListFiles { command: cmd, path }
        }
        ParsedCommand::Search { cmd, query, path } => v2::CommandAction::Search {
            command: cmd,
            query,
            path,
        },
        ParsedCommand::Unknown { cmd } => v2::CommandAction::Unknown { command: cmd },
    }
}

/// A command's item; the fields a running command has not produced yet are null.
pub(crate) struct CommandItem<'a> {
    pub call_id: &'a str,
    pub argv: &'a [String],
    pub cwd: &'a str,
    pub parsed: &'a [ParsedCommand],
    pub process_id: Option<String>,
}

impl CommandItem<'_> {
    pub(crate) fn item(
        &self,
        status: v2::CommandExecutionStatus,
        end: Option<&core::ExecCommandEndEvent>,
    ) -> v2::ThreadItem {
        v2::ThreadItem::CommandExecution {
            id: self.call_id.to_owned(),
            command: command_line(self.argv),
            cwd: self.cwd.to_owned(),
            process_id: self.process_id.clone(),
            status,
            command_actions: command_actions(self.parsed),
            aggregated_output: end
                .map(|end| end.aggregated_output.clone())
                .filter(|output| !output.is_empty()),
            exit_code: end.map(|end| end.exit_code),
            duration_ms: end.map(|end| i64::try_from(end.duration.as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

/// The item of a command the user declined: it never ran.
pub(crate) fn declined_command(request: &ExecApprovalRequestEvent) -> v2::ThreadItem {
    CommandItem {
        call_id: &request.call_id,
        argv: &request.command,
        cwd: &request.cwd,
        parsed: &request.parsed_cmd,
        process_id: None,
    }
    .item(v2::CommandExecutionStatus::Declined, None)
}

/// The item of a patch the user declined: nothing was written.
pub(crate) fn declined_patch(request: &ApplyPatchApprovalRequestEvent) -> v2::ThreadItem {
    file_change_item(
        &request.call_id,
        &request.changes,
        v2::PatchApplyStatus::Declined,
    )
}

pub(crate) fn file_change_item(
    call_id: &str,
    changes: &BTreeMap<String, core::FileChange>,
    status: v2::PatchApplyStatus,
) -> v2::ThreadItem {
    v2::ThreadItem::FileChange {
        id: call_id.to_owned(),
        changes: file_changes(changes),
        status,
    }
}

fn file_changes(changes: &BTreeMap<String, core::FileChange>) -> Vec<v2::FileUpdateChange> {
    changes
        .iter()
        .map(|(path, change)| {
            let (kind, diff) = match change {
                core::FileChange::Add { content } => (v2::PatchChangeKind::Add, content.clone()),
                core::FileChange::Delete { content } => {
                    (v2::PatchChangeKind::Delete, content.clone())
                }
                core::FileChange::Update {
                    unified_diff,
                    move_path,
                } => (
                    v2::PatchChangeKind::Update {
                        move_path: move_path.clone(),
                    },
                    unified_diff.clone(),
                ),
            };
            v2::FileUpdateChange {
                path: path.clone(),
                kind,
                diff,
            }
        })
        .collect()
}

pub(crate) fn plan(args: &UpdatePlanArgs) -> Vec<v2::TurnPlanStep> {
    args.plan
        .iter()
        .map(|item| v2::TurnPlanStep {
            step: item.step.clone(),
            status: match item.status {
                StepStatus::Pending => v2::TurnPlanStepStatus::Pending,
                StepStatus::InProgress => v2::TurnPlanStepStatus::InProgress,
                StepStatus::Completed => v2::TurnPlanStepStatus::Completed,
            },
        })
        .collect()
}

/// Where an MCP tool call stands, for its item.
#[derive(Debug, Clone, Copy)]
pub(crate) enum McpCallState<'a> {
    Running,
    /// The turn was interrupted before the call ended.
    Interrupted,
    Ended {
        result: &'a Result<CallToolResult, String>,
        duration: Duration,
    },
}

/// An MCP tool call's item. A result the server marked as an error fails the item but keeps
/// its content; a call that failed has an error instead.
pub(crate) fn mcp_tool_call_item(
    call_id: &str,
    invocation: &core::McpInvocation,
    state: McpCallState<'_>,
) -> v2::ThreadItem {
    let (status, result, error, duration_ms) = match state {
        McpCallState::Running => (v2::McpToolCallStatus::InProgress, None, None, None),
        McpCallState::Interrupted => (v2::McpToolCallStatus::Failed, None, None, None),
        McpCallState::Ended { result, duration } => {
            let duration_ms = Some(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX));
            match result {
                Ok(result) => {
                    let status = if result.is_error == Some(true) {
                        v2::McpToolCallStatus::Failed
                    } else {
                        v2::McpToolCallStatus::Completed
                    };
                    let result = v2::McpToolCallResult {
                        content: result.content.clone(),
                        structured_content: result.structured_content.clone(),
                    };
                    (status, Some(result), None, duration_ms)
                }
                Err(message) => {
                    let error = v2::McpToolCallError {
                        message: message.clone(),
                    };
                    (
                        v2::McpToolCallStatus::Failed,
                        None,
                        Some(error),
                        duration_ms,
                    )
                }
            }
        }
    };
    v2::ThreadItem::McpToolCall {
        id: call_id.to_owned(),
        server: invocation.server.clone(),
        tool: invocation.tool.clone(),
        status,
        arguments: invocation.arguments.clone().unwrap_or_default(),
        result,
        error,
        duration_ms,
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    fn bash(script: &str) -> Vec<String> {
        vec!["/bin/bash".into(), "-lc".into(), script.into()]
    }

    #[test]
    fn commands_show_as_one_line_and_their_readings_as_actions() {
        assert_eq!(
            command_line(&bash("touch a.txt && echo ok")),
            "/bin/bash -lc 'touch a.txt && echo ok'"
        );
        let parsed = [
            ParsedCommand::Read {
                cmd: "cat a.txt".into(),
                name: "a.txt".into(),
                path: "docs/a.txt".into(),
            },
            ParsedCommand::ListFiles {
                cmd: "ls".into(),
                path: None,
            },
            ParsedCommand::Search {
                cmd: "rg foo src".into(),
                query: Some("foo".into()),
                path: Some("src".into()),
            },
            ParsedCommand::Unknown { cmd: "make".into() },
        ];
        assert_eq!(
            serde_json::to_value(command_actions(&parsed)).unwrap(),
            serde_json::json!([
                {"type": "read", "command": "cat a.txt", "name": "a.txt", "path": "docs/a.txt"},
                {"type": "listFiles", "command": "ls", "path": null},
                {"type": "search", "command": "rg foo src", "query": "foo", "path": "src"},
                {"type": "unknown", "command": "make"},
            ])
        );
    }
}
