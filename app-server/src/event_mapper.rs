//! The event->notification mapper: one thread's `EventMsg`s, in the order the core emits them,
//! become the v2 notifications its subscribers receive.
//!
//! The mapping is a small state machine per thread: it remembers the running turn (its id, and
//! the error that ended it, if any) so that `turn/completed` can say how the turn ended and
//! turn-scoped notifications name their turn. Events that only the legacy stream carries
//! (`agent_message`, `agent_reasoning`, the plain deltas, …) map to nothing here; they travel as
//! `codex/event/*` to v1 listeners only.

use std::collections::HashMap;
use std::time::Instant;

use codex_app_server_protocol::ServerNotification;
use codex_app_server_protocol::v2;
use codex_protocol::ThreadId;
use codex_protocol::parse_command::ParsedCommand;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::McpInvocation;
use codex_protocol::protocol::ReviewRequest;
use codex_utils_elapsed::format_duration;

use crate::wire::event;
use crate::wire::review;
use crate::wire::tools;
use crate::wire::tools::CommandItem;
use crate::wire::tools::McpCallState;

/// The notifications one thread's events turn into.
#[derive(Debug)]
pub(crate) struct ThreadEventMapper {
    thread_id: String,
    turn: Option<RunningTurn>,
    /// Commands whose item started and has not completed, by call id. A command may outlive
    /// its turn (an `exec_command` session), so these are not the turn's.
    commands: HashMap<String, OpenCommand>,
    /// The turn of each patch whose item started and has not completed, by call id.
    patches: HashMap<String, String>,
    /// MCP tool calls whose item started and has not completed, by call id.
    mcp_calls: HashMap<String, OpenMcpCall>,
    /// A review whose turn is about to start: the core enters review mode just before it.
    entering_review: Option<ReviewRequest>,
}

#[derive(Debug)]
struct RunningTurn {
    id: String,
    /// The error that will fail the turn when it ends.
    error: Option<v2::TurnError>,
    /// The turn's latest diff, sent again when the turn ends.
    diff: Option<String>,
    /// When the turn started, for the log line of its end.
    started: Instant,
}

impl RunningTurn {
    fn log_end(&self, thread_id: &str, how: &str) {
        tracing::debug!(
            thread = thread_id,
            turn = %self.id,
            took = %format_duration(self.started.elapsed()),
            "turn {how}"
        );
    }
}

#[derive(Debug)]
struct OpenCommand {
    turn_id: String,
    argv: Vec<String>,
    cwd: String,
    parsed: Vec<ParsedCommand>,
    process_id: Option<String>,
}

#[derive(Debug)]
struct OpenMcpCall {
    turn_id: String,
    invocation: McpInvocation,
}

impl OpenCommand {
    fn item<'a>(&'a self, call_id: &'a str) -> CommandItem<'a> {
        CommandItem {
            call_id,
            argv: &self.argv,
            cwd: &self.cwd,
            parsed: &self.parsed,
            process_id: self.process_id.clone(),
        }
    }
}

impl ThreadEventMapper {
    pub(crate) fn new(thread_id: ThreadId) -> Self {
        Self {
            thread_id: thread_id.to_string(),
            turn: None,
            commands: HashMap::new(),
            patches: HashMap::new(),
            mcp_calls: HashMap::new(),
            entering_review: None,
        }
    }

    /// The id of the running turn, or empty between turns.
    fn turn_id(&self) -> String {
        self.turn
            .as_ref()
            .map(|turn| turn.id.clone())
            .unwrap_or_default()
    }

    /// The notifications for one event, in the order they are to be sent.
    pub(crate) fn map(&mut self, event: &EventMsg) -> Vec<ServerNotification> {
        let thread_id = self.thread_id.clone();
        match event {
            EventMsg::TaskStarted(started) => {
                self.turn = Some(RunningTurn {
                    id: started.turn_id.clone(),
                    error: None,
                    diff: None,
                    started: Instant::now(),
                });
                // A review turn starts showing its hint, as `review/start` answered, and then
                // enters review mode.
                let Some(request) = self.entering_review.take() else {
                    return vec![ServerNotification::TurnStarted(
                        v2::TurnStartedNotification {
                            thread_id,
                            turn: turn(started.turn_id.clone(), v2::TurnStatus::InProgress, None),
                        },
                    )];
                };
                let turn = review::review_turn(started.turn_id.clone(), &review::hint(&request));
                let mut notifications = vec![ServerNotification::TurnStarted(
                    v2::TurnStartedNotification {
                        thread_id: thread_id.clone(),
                        turn,
                    },
                )];
                let item = review::entered_item(&started.turn_id, &request);
                notifications.extend(self.started_and_completed(&started.turn_id, item));
                notifications
            }
            EventMsg::EnteredReviewMode(request) => match &self.turn {
                Some(running) => {
                    let turn_id = running.id.clone();
                    let item = review::entered_item(&turn_id, request);
                    self.started_and_completed(&turn_id, item)
                }
                None => {
                    self.entering_review = Some(request.clone());
                    Vec::new()
                }
            },
            EventMsg::ExitedReviewMode(exited) => {
                let turn_id = self.turn_id();
                let item = review::exited_item(&turn_id, exited.review_output.as_ref());
                self.started_and_completed(&turn_id, item)
            }
            EventMsg::TaskComplete(complete) => {
                let running = self.turn.take().filter(|turn| turn.id == complete.turn_id);
                if let Some(turn) = &running {
                    turn.log_end(&thread_id, "completed");
                }
                let (error, diff) = running.map_or((None, None), |turn| (turn.error, turn.diff));
                let status = if error.is_some() {
                    v2::TurnStatus::Failed
                } else {
                    v2::TurnStatus::Completed
                };
                // Patches still waiting for a decision were declined; their items completed
                // with the decision.
                self.patches.retain(|_, turn| *turn != complete.turn_id);
                let mut notifications = Vec::new();
                if let Some(diff) = diff {
                    notifications.push(self.diff_updated(complete.turn_id.clone(), diff));
                }
                notifications.push(self.completed(complete.turn_id.clone(), status, error));
                notifications
            }
            EventMsg::TurnAborted(aborted) => {
                let running = self.turn.take();
                if let Some(turn) = &running {
                    turn.log_end(&thread_id, "interrupted");
                }
                let diff = running.as_ref().and_then(|turn| turn.diff.clone());
                let Some(id) = aborted
                    .turn_id
                    .clone()
                    .or_else(|| running.map(|turn| turn.id))
                else {
                    return Vec::new();
                };
                let mut notifications = self.end_interrupted(&id);
                if let Some(diff) = diff {
                    notifications.push(self.diff_updated(id.clone(), diff));
                }
                notifications.push(self.completed(id, v2::TurnStatus::Interrupted, None));
                notifications
            }
            EventMsg::ExecCommandBegin(begin) => {
                let command = OpenCommand {
                    turn_id: begin.turn_id.clone(),
                    argv: begin.command.clone(),
                    cwd: begin.cwd.clone(),
                    parsed: begin.parsed_cmd.clone(),
                    process_id: begin.process_id.clone(),
                };
                let item = command
                    .item(&begin.call_id)
                    .item(v2::CommandExecutionStatus::InProgress, None);
                self.commands.insert(begin.call_id.clone(), command);
                vec![ServerNotification::ItemStarted(
                    v2::ItemStartedNotification {
                        item,
                        thread_id,
                        turn_id: begin.turn_id.clone(),
                    },
                )]
            }
            EventMsg::ExecCommandOutputDelta(delta) => {
                let Some(command) = self.commands.get(&delta.call_id) else {
                    return Vec::new();
                };
                vec![ServerNotification::CommandExecutionOutputDelta(
                    v2::CommandExecutionOutputDeltaNotification {
                        thread_id,
                        turn_id: command.turn_id.clone(),
                        item_id: delta.call_id.clone(),
                        delta: delta.chunk.clone(),
                    },
                )]
            }
            EventMsg::ExecCommandEnd(end) => {
                // A command already completed (its turn was interrupted) stays completed.
                let Some(command) = self.commands.remove(&end.call_id) else {
                    return Vec::new();
                };
                let status = if end.exit_code == 0 {
                    v2::CommandExecutionStatus::Completed
                } else {
                    v2::CommandExecutionStatus::Failed
                };
                vec![ServerNotification::ItemCompleted(
                    v2::ItemCompletedNotification {
                        item: command.item(&end.call_id).item(status, Some(end)),
                        thread_id,
                        turn_id: command.turn_id,
                    },
                )]
            }
            EventMsg::ApplyPatchApprovalRequest(request) => {
                self.patches
                    .insert(request.call_id.clone(), request.turn_id.clone());
                vec![ServerNotification::ItemStarted(
                    v2::ItemStartedNotification {
                        item: tools::file_change_item(
                            &request.call_id,
                            &request.changes,
                            v2::PatchApplyStatus::InProgress,
                        ),
                        thread_id,
                        turn_id: request.turn_id.clone(),
                    },
                )]
            }
            EventMsg::PatchApplyBegin(begin) => {
                // An approved patch's item started with its approval request.
                let announced = self
                    .patches
                    .insert(begin.call_id.clone(), begin.turn_id.clone())
                    .is_some();
                if announced {
                    return Vec::new();
                }
                vec![ServerNotification::ItemStarted(
                    v2::ItemStartedNotification {
                        item: tools::file_change_item(
                            &begin.call_id,
                            &begin.changes,
                            v2::PatchApplyStatus::InProgress,
                        ),
                        thread_id,
                        turn_id: begin.turn_id.clone(),
                    },
                )]
            }
            EventMsg::PatchApplyEnd(end) => {
                if self.patches.remove(&end.call_id).is_none() {
                    return Vec::new();
                }
                let mut notifications = Vec::new();
                let output = if end.stdout.is_empty() {
                    &end.stderr
                } else {
                    &end.stdout
                };
                if !output.is_empty() {
                    notifications.push(ServerNotification::FileChangeOutputDelta(
                        v2::FileChangeOutputDeltaNotification {
                            thread_id: thread_id.clone(),
                            turn_id: end.turn_id.clone(),
                            item_id: end.call_id.clone(),
                            delta: output.clone(),
                        },
                    ));
                }
                let status = if end.success {
                    v2::PatchApplyStatus::Completed
                } else {
                    v2::PatchApplyStatus::Failed
                };
                notifications.push(ServerNotification::ItemCompleted(
                    v2::ItemCompletedNotification {
                        item: tools::file_change_item(&end.call_id, &end.changes, status),
                        thread_id,
                        turn_id: end.turn_id.clone(),
                    },
                ));
                notifications
            }
            EventMsg::TurnDiff(diff) => {
                let turn_id = self.turn_id();
                if let Some(turn) = &mut self.turn {
                    turn.diff = Some(diff.unified_diff.clone());
                }
                // The reference announces each diff twice; clients rely on neither copy.
                let update = self.diff_updated(turn_id, diff.unified_diff.clone());
                vec![update.clone(), update]
            }
            EventMsg::ViewImageToolCall(view) => {
                // Looking at an image is over as soon as it starts; the image itself follows as
                // a user message.
                let item = v2::ThreadItem::ImageView {
                    id: view.call_id.clone(),
                    path: view.path.clone(),
                };
                let turn_id = self.turn_id();
                vec![
                    ServerNotification::ItemStarted(v2::ItemStartedNotification {
                        item: item.clone(),
                        thread_id: thread_id.clone(),
                        turn_id: turn_id.clone(),
                    }),
                    ServerNotification::ItemCompleted(v2::ItemCompletedNotification {
                        item,
                        thread_id,
                        turn_id,
                    }),
                ]
            }
            EventMsg::McpToolCallBegin(begin) => {
                let turn_id = self.turn_id();
                let item = tools::mcp_tool_call_item(
                    &begin.call_id,
                    &begin.invocation,
                    McpCallState::Running,
                );
                self.mcp_calls.insert(
                    begin.call_id.clone(),
                    OpenMcpCall {
                        turn_id: turn_id.clone(),
                        invocation: begin.invocation.clone(),
                    },
                );
                vec![ServerNotification::ItemStarted(
                    v2::ItemStartedNotification {
                        item,
                        thread_id,
                        turn_id,
                    },
                )]
            }
            EventMsg::McpToolCallEnd(end) => {
                let turn_id = self
                    .mcp_calls
                    .remove(&end.call_id)
                    .map_or_else(|| self.turn_id(), |call| call.turn_id);
                let state = McpCallState::Ended {
                    result: &end.result,
                    duration: end.duration,
                };
                vec![ServerNotification::ItemCompleted(
                    v2::ItemCompletedNotification {
                        item: tools::mcp_tool_call_item(&end.call_id, &end.invocation, state),
                        thread_id,
                        turn_id,
                    },
                )]
            }
            EventMsg::PlanUpdate(args) => {
                vec![ServerNotification::TurnPlanUpdated(
                    v2::TurnPlanUpdatedNotification {
                        thread_id,
                        turn_id: self.turn_id(),
                        explanation: args.explanation.clone(),
                        plan: tools::plan(args),
                    },
                )]
            }
            EventMsg::Error(error) => {
                let turn_error = event::turn_error(error);
                if let Some(turn) = &mut self.turn {
                    turn.error = Some(turn_error.clone());
                }
                vec![ServerNotification::Error(v2::ErrorNotification {
                    error: turn_error,
                    will_retry: false,
                    thread_id,
                    turn_id: self.turn_id(),
                })]
            }
            EventMsg::StreamError(error) => {
                vec![ServerNotification::Error(v2::ErrorNotification {
                    error: v2::TurnError {
                        message: error.message.clone(),
                        codex_error_info: error.codex_error_info.as_ref().map(event::error_info),
                        additional_details: error.additional_details.clone(),
                    },
                    will_retry: true,
                    thread_id,
                    turn_id: self.turn_id(),
                })]
            }
            EventMsg::TokenCount(count) => {
                let mut notifications = Vec::new();
                if let Some(info) = &count.info {
                    notifications.push(ServerNotification::ThreadTokenUsageUpdated(
                        v2::ThreadTokenUsageUpdatedNotification {
                            thread_id,
                            turn_id: self.turn_id(),
                            token_usage: event::token_usage(info),
                        },
                    ));
                }
                if let Some(limits) = &count.rate_limits {
                    notifications.push(ServerNotification::AccountRateLimitsUpdated(
                        v2::AccountRateLimitsUpdatedNotification {
                            rate_limits: event::rate_limits(limits),
                        },
                    ));
                }
                notifications
            }
            EventMsg::ItemStarted(started) => {
                vec![ServerNotification::ItemStarted(
                    v2::ItemStartedNotification {
                        item: event::turn_item(&started.item),
                        thread_id,
                        turn_id: started.turn_id.clone(),
                    },
                )]
            }
            EventMsg::ItemCompleted(completed) => {
                vec![ServerNotification::ItemCompleted(
                    v2::ItemCompletedNotification {
                        item: event::turn_item(&completed.item),
                        thread_id,
                        turn_id: completed.turn_id.clone(),
                    },
                )]
            }
            EventMsg::AgentMessageContentDelta(delta) => {
                vec![ServerNotification::AgentMessageDelta(
                    v2::AgentMessageDeltaNotification {
                        thread_id,
                        turn_id: delta.turn_id.clone(),
                        item_id: delta.item_id.clone(),
                        delta: delta.delta.clone(),
                    },
                )]
            }
            EventMsg::PlanDelta(delta) => {
                vec![ServerNotification::PlanDelta(v2::PlanDeltaNotification {
                    thread_id,
                    turn_id: delta.turn_id.clone(),
                    item_id: delta.item_id.clone(),
                    delta: delta.delta.clone(),
                })]
            }
            EventMsg::ReasoningContentDelta(delta) => {
                vec![ServerNotification::ReasoningSummaryTextDelta(
                    v2::ReasoningSummaryTextDeltaNotification {
                        thread_id,
                        turn_id: delta.turn_id.clone(),
                        item_id: delta.item_id.clone(),
                        delta: delta.delta.clone(),
                        summary_index: delta.summary_index,
                    },
                )]
            }
            EventMsg::ReasoningRawContentDelta(delta) => {
                vec![ServerNotification::ReasoningTextDelta(
                    v2::ReasoningTextDeltaNotification {
                        thread_id,
                        turn_id: delta.turn_id.clone(),
                        item_id: delta.item_id.clone(),
                        delta: delta.delta.clone(),
                        content_index: delta.content_index,
                    },
                )]
            }
            EventMsg::AgentReasoningSectionBreak(part) => {
                vec![ServerNotification::ReasoningSummaryPartAdded(
                    v2::ReasoningSummaryPartAddedNotification {
                        thread_id,
                        turn_id: self.turn_id(),
                        item_id: part.item_id.clone(),
                        summary_index: part.summary_index,
                    },
                )]
            }
            EventMsg::ContextCompacted(_) => {
                vec![ServerNotification::ContextCompacted(
                    v2::ContextCompactedNotification {
                        thread_id,
                        turn_id: self.turn_id(),
                    },
                )]
            }
            EventMsg::ThreadNameUpdated(renamed) => {
                vec![ServerNotification::ThreadNameUpdated(
                    v2::ThreadNameUpdatedNotification {
                        thread_id: renamed.thread_id.to_string(),
                        thread_name: renamed.thread_name.clone(),
                    },
                )]
            }
            // The events that become no notification here, by name, so that a new event kind
            // fails to compile until someone decides what it becomes.
            //
            // The legacy stream's own spellings of what the item and content-delta events
            // above already carry; they reach v1 listeners as `codex/event/*` only.
            EventMsg::AgentMessage(_)
            | EventMsg::UserMessage(_)
            | EventMsg::AgentMessageDelta(_)
            | EventMsg::AgentReasoning(_)
            | EventMsg::AgentReasoningDelta(_)
            | EventMsg::AgentReasoningRawContent(_)
            | EventMsg::AgentReasoningRawContentDelta(_)
            | EventMsg::WebSearchBegin(_)
            | EventMsg::WebSearchEnd(_)
            | EventMsg::TerminalInteraction(_)
            | EventMsg::Warning(_)
            | EventMsg::SessionConfigured(_)
            | EventMsg::ThreadRolledBack(_)
            | EventMsg::DeprecationNotice(_)
            | EventMsg::BackgroundEvent(_)
            | EventMsg::RawResponseItem(_)
            | EventMsg::ShutdownComplete
            // Requests to a person or the client: the pump hands them to `approvals` and
            // `client_tools`, whose server requests and items go out from there.
            | EventMsg::ExecApprovalRequest(_)
            | EventMsg::RequestUserInput(_)
            | EventMsg::DynamicToolCallRequest(_)
            // MCP servers starting and asking their user: the reference has no v2 notification
            // for them; the pump sends their `codex/event/*` spelling to every subscriber.
            | EventMsg::ElicitationRequest(_)
            | EventMsg::McpStartupUpdate(_)
            | EventMsg::McpStartupComplete(_)
            // Answers to ops this server never submits, and the work whose v2 items come with
            // later features (undo, skills, collaborating agents).
            | EventMsg::UndoStarted(_)
            | EventMsg::UndoCompleted(_)
            | EventMsg::GetHistoryEntryResponse(_)
            | EventMsg::McpListToolsResponse(_)
            | EventMsg::ListCustomPromptsResponse(_)
            | EventMsg::ListSkillsResponse(_)
            | EventMsg::ListRemoteSkillsResponse(_)
            | EventMsg::RemoteSkillDownloaded(_)
            | EventMsg::SkillsUpdateAvailable
            | EventMsg::CollabAgentSpawnBegin(_)
            | EventMsg::CollabAgentSpawnEnd(_)
            | EventMsg::CollabAgentInteractionBegin(_)
            | EventMsg::CollabAgentInteractionEnd(_)
            | EventMsg::CollabWaitingBegin(_)
            | EventMsg::CollabWaitingEnd(_)
            | EventMsg::CollabCloseBegin(_)
            | EventMsg::CollabCloseEnd(_)
            | EventMsg::CollabResumeBegin(_)
            | EventMsg::CollabResumeEnd(_) => Vec::new(),
        }
    }

    /// Completes the items an interrupted turn left running: its commands were killed and its
    /// patches were not written (or not entirely). The reference leaves them open forever.
    fn end_interrupted(&mut self, turn_id: &str) -> Vec<ServerNotification> {
        let mut notifications = Vec::new();
        let mut commands: Vec<(String, OpenCommand)> = self
            .commands
            .extract_if(|_, command| command.turn_id == turn_id)
            .collect();
        commands.sort_by(|a, b| a.0.cmp(&b.0));
        for (call_id, command) in commands {
            notifications.push(ServerNotification::ItemCompleted(
                v2::ItemCompletedNotification {
                    item: command
                        .item(&call_id)
                        .item(v2::CommandExecutionStatus::Failed, None),
                    thread_id: self.thread_id.clone(),
                    turn_id: command.turn_id.clone(),
                },
            ));
        }
        // The interrupt dropped the turn's MCP calls (and told their servers): they failed.
        let mut mcp_calls: Vec<(String, OpenMcpCall)> = self
            .mcp_calls
            .extract_if(|_, call| call.turn_id == turn_id)
            .collect();
        mcp_calls.sort_by(|a, b| a.0.cmp(&b.0));
        for (call_id, call) in mcp_calls {
            let item =
                tools::mcp_tool_call_item(&call_id, &call.invocation, McpCallState::Interrupted);
            notifications.push(ServerNotification::ItemCompleted(
                v2::ItemCompletedNotification {
                    item,
                    thread_id: self.thread_id.clone(),
                    turn_id: call.turn_id,
                },
            ));
        }
        // A patch is written in one go between its begin and end events, which the interrupt
        // does not split; one still waiting for approval gets its item completed with the
        // decision (the approval task sends it).
        self.patches.retain(|_, turn| turn != turn_id);
        notifications
    }

    fn diff_updated(&self, turn_id: String, diff: String) -> ServerNotification {
        ServerNotification::TurnDiffUpdated(v2::TurnDiffUpdatedNotification {
            thread_id: self.thread_id.clone(),
            turn_id,
            diff,
        })
    }

    /// An item that starts and completes at once.
    fn started_and_completed(
        &self,
        turn_id: &str,
        item: v2::ThreadItem,
    ) -> Vec<ServerNotification> {
        vec![
            ServerNotification::ItemStarted(v2::ItemStartedNotification {
                item: item.clone(),
                thread_id: self.thread_id.clone(),
                turn_id: turn_id.to_owned(),
            }),
            ServerNotification::ItemCompleted(v2::ItemCompletedNotification {
                item,
                thread_id: self.thread_id.clone(),
                turn_id: turn_id.to_owned(),
            }),
        ]
    }

    fn completed(
        &self,
        id: String,
        status: v2::TurnStatus,
        error: Option<v2::TurnError>,
    ) -> ServerNotification {
        ServerNotification::TurnCompleted(v2::TurnCompletedNotification {
            thread_id: self.thread_id.clone(),
            turn: turn(id, status, error),
        })
    }
}

/// A turn as the turn notifications show it: without its items, which went out one by one.
fn turn(id: String, status: v2::TurnStatus, error: Option<v2::TurnError>) -> v2::Turn {
    v2::Turn {
        id,
        items: Vec::new(),
        status,
        error,
    }
}

#[cfg(test)]
mod tests {
    use codex_protocol::items::AgentMessageContent;
    use codex_protocol::items::AgentMessageItem;
    use codex_protocol::items::ReasoningItem;
    use codex_protocol::items::TurnItem;
    use codex_protocol::items::UserMessageItem;
    use codex_protocol::protocol::*;
    use codex_protocol::user_input::UserInput;
    use pretty_assertions::assert_eq;
    use serde_json::Value;
    use serde_json::json;

    use super::*;

    const TURN: &str = "turn-1";

    fn thread() -> ThreadId {
        "01a20b3d-99df-7283-adbf-ba337026147a".parse().unwrap()
    }

    /// Maps `events` in order and returns the notifications as the wire spells them.
    fn check(events: Vec<EventMsg>, expected: Value) {
        let mut mapper = ThreadEventMapper::new(thread());
        let sent: Vec<Value> = events
            .iter()
            .flat_map(|event| mapper.map(event))
            .map(|notification| serde_json::to_value(&notification).unwrap())
            .collect();
        assert_eq!(Value::Array(sent), expected);
    }

    fn started() -> EventMsg {
        EventMsg::TaskStarted(TurnStartedEvent {
            turn_id: TURN.into(),
            model_context_window: Some(258400),
            collaboration_mode_kind: Default::default(),
        })
    }

    fn complete() -> EventMsg {
        EventMsg::TaskComplete(TurnCompleteEvent {
            turn_id: TURN.into(),
            last_agent_message: None,
        })
    }

    fn item(started: bool, item: TurnItem) -> EventMsg {
        if started {
            EventMsg::ItemStarted(ItemStartedEvent {
                thread_id: thread(),
                turn_id: TURN.into(),
                item,
            })
        } else {
            EventMsg::ItemCompleted(ItemCompletedEvent {
                thread_id: thread(),
                turn_id: TURN.into(),
                item,
            })
        }
    }

    fn agent_message(id: &str, text: &str) -> TurnItem {
        TurnItem::AgentMessage(AgentMessageItem {
            id: id.into(),
            content: if text.is_empty() {
                Vec::new()
            } else {
                vec![AgentMessageContent::Text { text: text.into() }]
            },
            phase: None,
        })
    }

    fn usage(total: i64) -> TokenUsage {
        TokenUsage {
            input_tokens: total * 2 / 3,
            cached_input_tokens: 0,
            output_tokens: total / 3,
            reasoning_output_tokens: 0,
            total_tokens: total,
        }
    }

    fn limits() -> RateLimitSnapshot {
        RateLimitSnapshot {
            limit_id: Some("codex".into()),
            limit_name: None,
            primary: None,
            secondary: None,
            credits: None,
            plan_type: None,
        }
    }

    fn n(method: &str, params: Value) -> Value {
        json!({"method": method, "params": params})
    }

    const LIMITS: &str = r#"{"limitId": "codex", "limitName": null, "primary": null, "secondary": null, "credits": null, "planType": null}"#;

    #[test]
    fn a_review_turn_shows_its_hint_and_enters_and_leaves_review_mode() {
        let request = ReviewRequest {
            target: ReviewTarget::UncommittedChanges,
            user_facing_hint: Some("current changes".into()),
        };
        let exited =
            |review_output| EventMsg::ExitedReviewMode(ExitedReviewModeEvent { review_output });
        let review =
            |id: &str, kind: &str, text: &str| json!({"type": kind, "id": id, "review": text});
        let item_pair = |item: Value| {
            vec![
                n(
                    "item/started",
                    json!({"item": item, "threadId": thread().to_string(), "turnId": TURN}),
                ),
                n(
                    "item/completed",
                    json!({"item": item, "threadId": thread().to_string(), "turnId": TURN}),
                ),
            ]
        };
        let mut expected = vec![n(
            "turn/started",
            json!({"threadId": thread().to_string(), "turn": {
                "id": TURN,
                "items": [{"type": "userMessage", "id": TURN, "content": [
                    {"type": "text", "text": "current changes", "text_elements": []}
                ]}],
                "status": "inProgress",
                "error": null,
            }}),
        )];
        expected.extend(item_pair(review(
            TURN,
            "enteredReviewMode",
            "current changes",
        )));
        expected.extend(item_pair(review(
            TURN,
            "exitedReviewMode",
            "Reviewer failed to output a response.",
        )));
        expected.push(n(
            "turn/completed",
            json!({"threadId": thread().to_string(), "turn": {"id": TURN, "items": [], "status": "completed", "error": null}}),
        ));
        check(
            vec![
                EventMsg::EnteredReviewMode(request),
                started(),
                exited(None),
                complete(),
            ],
            Value::Array(expected),
        );
    }

    #[test]
    fn a_text_turn() {
        let thread = thread().to_string();
        let user = TurnItem::UserMessage(UserMessageItem {
            id: "u1".into(),
            content: vec![UserInput::Text {
                text: "say hello".into(),
                text_elements: Vec::new(),
            }],
        });
        let limits_json: Value = serde_json::from_str(LIMITS).unwrap();
        check(
            vec![
                started(),
                item(true, user.clone()),
                item(false, user),
                EventMsg::TokenCount(TokenCountEvent {
                    info: None,
                    rate_limits: Some(limits()),
                }),
                item(true, agent_message("m1", "")),
                EventMsg::AgentMessageContentDelta(AgentMessageContentDeltaEvent {
                    thread_id: thread.clone(),
                    turn_id: TURN.into(),
                    item_id: "m1".into(),
                    delta: "Hello".into(),
                }),
                // The legacy stream's copies map to nothing.
                EventMsg::AgentMessageDelta(AgentMessageDeltaEvent {
                    delta: "Hello".into(),
                }),
                item(false, agent_message("m1", "Hello")),
                EventMsg::AgentMessage(AgentMessageEvent {
                    message: "Hello".into(),
                }),
                EventMsg::TokenCount(TokenCountEvent {
                    info: Some(TokenUsageInfo {
                        total_token_usage: usage(15),
                        last_token_usage: usage(15),
                        model_context_window: Some(258400),
                    }),
                    rate_limits: Some(limits()),
                }),
                complete(),
            ],
            json!([
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "item/started",
                    json!({"item": {"type": "userMessage", "id": "u1", "content": [{"type": "text", "text": "say hello", "text_elements": []}]}, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/completed",
                    json!({"item": {"type": "userMessage", "id": "u1", "content": [{"type": "text", "text": "say hello", "text_elements": []}]}, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "account/rateLimits/updated",
                    json!({"rateLimits": limits_json})
                ),
                n(
                    "item/started",
                    json!({"item": {"type": "agentMessage", "id": "m1", "text": ""}, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/agentMessage/delta",
                    json!({"threadId": thread, "turnId": TURN, "itemId": "m1", "delta": "Hello"})
                ),
                n(
                    "item/completed",
                    json!({"item": {"type": "agentMessage", "id": "m1", "text": "Hello"}, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "thread/tokenUsage/updated",
                    json!({"threadId": thread, "turnId": TURN, "tokenUsage": {
                    "total": {"totalTokens": 15, "inputTokens": 10, "cachedInputTokens": 0, "outputTokens": 5, "reasoningOutputTokens": 0},
                    "last": {"totalTokens": 15, "inputTokens": 10, "cachedInputTokens": 0, "outputTokens": 5, "reasoningOutputTokens": 0},
                    "modelContextWindow": 258400}})
                ),
                n(
                    "account/rateLimits/updated",
                    json!({"rateLimits": limits_json})
                ),
                n(
                    "turn/completed",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "completed", "error": null}})
                ),
            ]),
        );
    }

    #[test]
    fn reasoning_summary_parts_and_deltas() {
        let thread = thread().to_string();
        let reasoning = |summary: Vec<String>| {
            TurnItem::Reasoning(ReasoningItem {
                id: "r1".into(),
                summary_text: summary,
                raw_content: Vec::new(),
            })
        };
        let part = |index: i64| {
            EventMsg::AgentReasoningSectionBreak(AgentReasoningSectionBreakEvent {
                item_id: "r1".into(),
                summary_index: index,
            })
        };
        let delta = |text: &str, index: i64| {
            EventMsg::ReasoningContentDelta(ReasoningContentDeltaEvent {
                thread_id: thread.clone(),
                turn_id: TURN.into(),
                item_id: "r1".into(),
                delta: text.into(),
                summary_index: index,
            })
        };
        let raw = EventMsg::ReasoningRawContentDelta(ReasoningRawContentDeltaEvent {
            thread_id: thread.clone(),
            turn_id: TURN.into(),
            item_id: "r1".into(),
            delta: "raw".into(),
            content_index: 0,
        });
        check(
            vec![
                started(),
                item(true, reasoning(Vec::new())),
                part(0),
                delta("Considering", 0),
                part(1),
                delta("Deciding", 1),
                raw,
                item(
                    false,
                    reasoning(vec!["Considering".into(), "Deciding".into()]),
                ),
            ],
            json!([
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "item/started",
                    json!({"item": {"type": "reasoning", "id": "r1", "summary": [], "content": []}, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/reasoning/summaryPartAdded",
                    json!({"threadId": thread, "turnId": TURN, "itemId": "r1", "summaryIndex": 0})
                ),
                n(
                    "item/reasoning/summaryTextDelta",
                    json!({"threadId": thread, "turnId": TURN, "itemId": "r1", "delta": "Considering", "summaryIndex": 0})
                ),
                n(
                    "item/reasoning/summaryPartAdded",
                    json!({"threadId": thread, "turnId": TURN, "itemId": "r1", "summaryIndex": 1})
                ),
                n(
                    "item/reasoning/summaryTextDelta",
                    json!({"threadId": thread, "turnId": TURN, "itemId": "r1", "delta": "Deciding", "summaryIndex": 1})
                ),
                n(
                    "item/reasoning/textDelta",
                    json!({"threadId": thread, "turnId": TURN, "itemId": "r1", "delta": "raw", "contentIndex": 0})
                ),
                n(
                    "item/completed",
                    json!({"item": {"type": "reasoning", "id": "r1", "summary": ["Considering", "Deciding"], "content": []}, "threadId": thread, "turnId": TURN})
                ),
            ]),
        );
    }

    #[test]
    fn viewing_an_image_is_an_item_started_and_completed_at_once() {
        let thread = thread().to_string();
        let item = json!({"type": "imageView", "id": "call-1", "path": "/w/dot.png"});
        check(
            vec![
                started(),
                EventMsg::ViewImageToolCall(ViewImageToolCallEvent {
                    call_id: "call-1".into(),
                    path: "/w/dot.png".into(),
                }),
            ],
            json!([
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "item/started",
                    json!({"item": item, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/completed",
                    json!({"item": item, "threadId": thread, "turnId": TURN})
                ),
            ]),
        );
    }

    #[test]
    fn an_error_fails_the_turn_and_a_stream_error_says_it_retries() {
        let thread = thread().to_string();
        let message = "We're currently experiencing high demand, which may cause temporary errors.";
        let error = json!({"message": message, "codexErrorInfo": "internalServerError", "additionalDetails": null});
        check(
            vec![
                started(),
                EventMsg::StreamError(StreamErrorEvent {
                    message: "Reconnecting... 1/5".into(),
                    codex_error_info: Some(CodexErrorInfo::ResponseStreamDisconnected {
                        http_status_code: None,
                    }),
                    additional_details: Some("eof".into()),
                }),
                EventMsg::Error(ErrorEvent {
                    message: message.into(),
                    codex_error_info: Some(CodexErrorInfo::InternalServerError),
                }),
                complete(),
                // The next turn starts clean.
                started(),
                complete(),
            ],
            json!([
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "error",
                    json!({"error": {"message": "Reconnecting... 1/5", "codexErrorInfo": {"responseStreamDisconnected": {"httpStatusCode": null}}, "additionalDetails": "eof"}, "willRetry": true, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "error",
                    json!({"error": error, "willRetry": false, "threadId": thread, "turnId": TURN})
                ),
                n(
                    "turn/completed",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "failed", "error": error}})
                ),
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "turn/completed",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "completed", "error": null}})
                ),
            ]),
        );
    }

    #[test]
    fn an_interrupted_turn_compaction_and_renames() {
        let id = thread();
        let thread = id.to_string();
        check(
            vec![
                started(),
                EventMsg::ContextCompacted(ContextCompactedEvent),
                EventMsg::TurnAborted(TurnAbortedEvent {
                    turn_id: None,
                    reason: TurnAbortReason::Interrupted,
                }),
                // Nothing runs: an abort without a turn says nothing.
                EventMsg::TurnAborted(TurnAbortedEvent {
                    turn_id: None,
                    reason: TurnAbortReason::Interrupted,
                }),
                EventMsg::ThreadNameUpdated(ThreadNameUpdatedEvent {
                    thread_id: id,
                    thread_name: Some("named".into()),
                }),
            ],
            json!([
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "thread/compacted",
                    json!({"threadId": thread, "turnId": TURN})
                ),
                n(
                    "turn/completed",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "interrupted", "error": null}})
                ),
                n(
                    "thread/name/updated",
                    json!({"threadId": thread, "threadName": "named"})
                ),
            ]),
        );
    }

    fn mcp_begin(call_id: &str, tool: &str, arguments: Option<Value>) -> EventMsg {
        EventMsg::McpToolCallBegin(McpToolCallBeginEvent {
            call_id: call_id.into(),
            invocation: McpInvocation {
                server: "stub".into(),
                tool: tool.into(),
                arguments,
            },
        })
    }

    fn mcp_end(
        call_id: &str,
        tool: &str,
        arguments: Option<Value>,
        result: Result<codex_protocol::mcp::CallToolResult, String>,
    ) -> EventMsg {
        EventMsg::McpToolCallEnd(McpToolCallEndEvent {
            call_id: call_id.into(),
            invocation: McpInvocation {
                server: "stub".into(),
                tool: tool.into(),
                arguments,
            },
            duration: std::time::Duration::from_micros(1500),
            result,
        })
    }

    fn call_result(text: &str, is_error: Option<bool>) -> codex_protocol::mcp::CallToolResult {
        codex_protocol::mcp::CallToolResult {
            content: vec![json!({"type": "text", "text": text})],
            structured_content: None,
            is_error,
            meta: None,
        }
    }

    fn mcp_item(
        call_id: &str,
        tool: &str,
        arguments: Value,
        status: &str,
        result: Value,
        error: Value,
        duration: Value,
    ) -> Value {
        json!({"type": "mcpToolCall", "id": call_id, "server": "stub", "tool": tool, "status": status, "arguments": arguments, "result": result, "error": error, "durationMs": duration})
    }

    #[test]
    fn mcp_tool_calls_are_items_that_complete_or_fail() {
        let thread = thread().to_string();
        let ping = json!({"text": "ping"});
        let message = "tool call error: tool call failed for `stub/fail`\n\nCaused by:\n    tools/call failed: Mcp error: -32000: kaboom";
        let structured = codex_protocol::mcp::CallToolResult {
            structured_content: Some(json!({"a": 1})),
            ..call_result("{}", None)
        };
        check(
            vec![
                started(),
                mcp_begin("call-1", "echo", Some(ping.clone())),
                mcp_end(
                    "call-1",
                    "echo",
                    Some(ping.clone()),
                    Ok(call_result("echo: ping", None)),
                ),
                mcp_begin("call-2", "iserror", Some(json!({}))),
                mcp_end(
                    "call-2",
                    "iserror",
                    Some(json!({})),
                    Ok(call_result("it broke", Some(true))),
                ),
                mcp_begin("call-3", "fail", None),
                mcp_end("call-3", "fail", None, Err(message.into())),
                mcp_end("call-4", "structured", None, Ok(structured)),
            ],
            json!([
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "item/started",
                    json!({"item": mcp_item("call-1", "echo", ping.clone(), "inProgress", Value::Null, Value::Null, Value::Null), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/completed",
                    json!({"item": mcp_item("call-1", "echo", ping, "completed", json!({"content": [{"type": "text", "text": "echo: ping"}], "structuredContent": null}), Value::Null, json!(1)), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/started",
                    json!({"item": mcp_item("call-2", "iserror", json!({}), "inProgress", Value::Null, Value::Null, Value::Null), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/completed",
                    json!({"item": mcp_item("call-2", "iserror", json!({}), "failed", json!({"content": [{"type": "text", "text": "it broke"}], "structuredContent": null}), Value::Null, json!(1)), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/started",
                    json!({"item": mcp_item("call-3", "fail", Value::Null, "inProgress", Value::Null, Value::Null, Value::Null), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/completed",
                    json!({"item": mcp_item("call-3", "fail", Value::Null, "failed", Value::Null, json!({"message": message}), json!(1)), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/completed",
                    json!({"item": mcp_item("call-4", "structured", Value::Null, "completed", json!({"content": [{"type": "text", "text": "{}"}], "structuredContent": {"a": 1}}), Value::Null, json!(1)), "threadId": thread, "turnId": TURN})
                ),
            ]),
        );
    }

    #[test]
    fn an_interrupt_fails_the_mcp_calls_it_cut_short() {
        let thread = thread().to_string();
        check(
            vec![
                started(),
                mcp_begin("call-1", "slow", Some(json!({}))),
                EventMsg::TurnAborted(TurnAbortedEvent {
                    turn_id: Some(TURN.into()),
                    reason: TurnAbortReason::Interrupted,
                }),
            ],
            json!([
                n(
                    "turn/started",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "inProgress", "error": null}})
                ),
                n(
                    "item/started",
                    json!({"item": mcp_item("call-1", "slow", json!({}), "inProgress", Value::Null, Value::Null, Value::Null), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "item/completed",
                    json!({"item": mcp_item("call-1", "slow", json!({}), "failed", Value::Null, Value::Null, Value::Null), "threadId": thread, "turnId": TURN})
                ),
                n(
                    "turn/completed",
                    json!({"threadId": thread, "turn": {"id": TURN, "items": [], "status": "interrupted", "error": null}})
                ),
            ]),
        );
    }
}
