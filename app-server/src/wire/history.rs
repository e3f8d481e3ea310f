//! Rebuilding a thread's turns and items from its rollout, for `thread/read`, `thread/resume`,
//! `thread/fork` and `thread/rollback`.
//!
//! Only the events the reference rebuilds from are used: turn boundaries (`task_started`,
//! `task_complete`, `turn_aborted`), user and agent messages, reasoning, errors and rollbacks.
//! Rebuilt items are numbered `item-1`, `item-2`, … across the whole thread, as the reference
//! does; turn ids are those the turns had when they ran.

use std::collections::HashMap;

use codex_app_server_protocol::v2;
use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_rollout::RolloutItem;

use super::event;
use super::input;

/// The turns of a thread whose rollout holds `items`, oldest first. `active_turn` is the turn the
/// thread is running now, if any: an unfinished turn that is not it was cut off (the server
/// stopped or crashed mid-turn) and shows as `interrupted`, not as forever in progress.
pub(crate) fn rebuild_turns<'a>(
    items: impl IntoIterator<Item = &'a RolloutItem>,
    active_turn: Option<&str>,
) -> Vec<v2::Turn> {
    let mut builder = HistoryBuilder::default();
    for item in items {
        builder.item(item);
    }
    builder.into_turns(active_turn)
}

/// Whether an event of this `type` is one the turns are rebuilt from (see [`HistoryBuilder`]):
/// a read passes over the others (token counts, deltas, tool events) without parsing them.
pub(crate) fn is_turn_event(kind: &[u8]) -> bool {
    matches!(
        kind,
        b"task_started"
            | b"task_complete"
            | b"turn_aborted"
            | b"user_message"
            | b"agent_message"
            | b"agent_reasoning"
            | b"agent_reasoning_raw_content"
            | b"item_completed"
            | b"error"
            | b"thread_rolled_back"
    )
}

/// Builds the turns one rollout item at a time, so a stored rollout can be read without holding
/// all of it (see [`rebuild_turns`]).
#[derive(Debug, Default)]
pub(crate) struct HistoryBuilder {
    turns: Vec<v2::Turn>,
    /// Where the first finished turn with each id is in `turns`: a late `task_complete` or
    /// `turn_aborted` finds its turn without a search, so a thread of many turns is rebuilt in
    /// linear time.
    positions: HashMap<String, usize>,
    current: Option<PendingTurn>,
    /// How many items were numbered so far.
    items: u64,
}

#[derive(Debug)]
struct PendingTurn {
    turn: v2::Turn,
    /// Opened by a `task_started` event. A turn opened implicitly (by an older rollout without
    /// turn events) ends at the next user message, and is dropped if it stayed empty.
    explicit: bool,
}

impl HistoryBuilder {
    pub(crate) fn item(&mut self, item: &RolloutItem) {
        if let RolloutItem::EventMsg(event) = item {
            self.event(event);
        }
    }

    /// The turns built so far; see [`rebuild_turns`] for `active_turn`.
    pub(crate) fn into_turns(mut self, active_turn: Option<&str>) -> Vec<v2::Turn> {
        self.finish_current();
        let mut turns = self.turns;
        for turn in &mut turns {
            if turn.status == v2::TurnStatus::InProgress && Some(turn.id.as_str()) != active_turn {
                turn.status = v2::TurnStatus::Interrupted;
            }
        }
        turns
    }

    fn event(&mut self, event: &EventMsg) {
        match event {
            EventMsg::TaskStarted(started) => {
                self.finish_current();
                self.current = Some(PendingTurn {
                    turn: new_turn(started.turn_id.clone(), v2::TurnStatus::InProgress),
                    explicit: true,
                });
            }
            EventMsg::UserMessage(message) => {
                if self.current.as_ref().is_some_and(|turn| !turn.explicit) {
                    self.finish_current();
                }
                let id = self.next_item_id();
                let content = input::user_message_content(message);
                self.turn()
                    .items
                    .push(v2::ThreadItem::UserMessage { id, content });
            }
            EventMsg::AgentMessage(message) => {
                if message.message.is_empty() {
                    return;
                }
                let id = self.next_item_id();
                let text = message.message.clone();
                self.turn()
                    .items
                    .push(v2::ThreadItem::AgentMessage { id, text });
            }
            EventMsg::AgentReasoning(reasoning) => self.reasoning(&reasoning.text, false),
            EventMsg::AgentReasoningRawContent(reasoning) => self.reasoning(&reasoning.text, true),
            // A plan-mode plan is no model item: its completion is what the rollout keeps.
            EventMsg::ItemCompleted(completed) => {
                if let codex_protocol::items::TurnItem::Plan(plan) = &completed.item
                    && !plan.text.is_empty()
                {
                    let id = self.next_item_id();
                    let text = plan.text.clone();
                    self.turn().items.push(v2::ThreadItem::Plan { id, text });
                }
            }
            EventMsg::Error(error) => {
                if let Some(current) = &mut self.current {
                    current.turn.status = v2::TurnStatus::Failed;
                    current.turn.error = Some(event::turn_error(error));
                }
            }
            EventMsg::TurnAborted(aborted) => {
                let interrupt = |turn: &mut v2::Turn| turn.status = v2::TurnStatus::Interrupted;
                let matching = aborted.turn_id.as_deref().and_then(|id| {
                    if self.current.as_ref().is_some_and(|turn| turn.turn.id == id) {
                        None
                    } else {
                        self.finished_turn(id)
                    }
                });
                match matching {
                    Some(turn) => interrupt(turn),
                    None => {
                        if let Some(current) = &mut self.current {
                            interrupt(&mut current.turn);
                        }
                        self.finish_current();
                    }
                }
            }
            EventMsg::TaskComplete(complete) => {
                let complete_turn = |turn: &mut v2::Turn| {
                    if turn.status == v2::TurnStatus::InProgress {
                        turn.status = v2::TurnStatus::Completed;
                    }
                };
                let completes_current = self
                    .current
                    .as_ref()
                    .is_some_and(|current| current.turn.id == complete.turn_id);
                if !completes_current && let Some(turn) = self.finished_turn(&complete.turn_id) {
                    complete_turn(turn);
                    return;
                }
                if let Some(current) = &mut self.current {
                    complete_turn(&mut current.turn);
                }
                self.finish_current();
            }
            EventMsg::ThreadRolledBack(rollback) => {
                self.finish_current();
                let keep = self
                    .turns
                    .len()
                    .saturating_sub(usize::try_from(rollback.num_turns).unwrap_or(usize::MAX));
                self.turns.truncate(keep);
                self.positions.retain(|_, at| *at < keep);
                // Numbering carries on after the items that remain.
                self.items = self.turns.iter().map(|turn| turn.items.len() as u64).sum();
            }
            _ => {}
        }
    }

    fn reasoning(&mut self, text: &str, raw: bool) {
        if text.is_empty() {
            return;
        }
        if let Some(v2::ThreadItem::Reasoning {
            summary, content, ..
        }) = self.turn().items.last_mut()
        {
            if raw { content } else { summary }.push(text.to_owned());
            return;
        }
        let id = self.next_item_id();
        let (summary, content) = if raw {
            (Vec::new(), vec![text.to_owned()])
        } else {
            (vec![text.to_owned()], Vec::new())
        };
        self.turn().items.push(v2::ThreadItem::Reasoning {
            id,
            summary,
            content,
        });
    }

    /// The turn being built, opened implicitly if there is none.
    fn turn(&mut self) -> &mut v2::Turn {
        &mut self
            .current
            .get_or_insert_with(|| PendingTurn {
                turn: new_turn(ThreadId::new().to_string(), v2::TurnStatus::Completed),
                explicit: false,
            })
            .turn
    }

    fn next_item_id(&mut self) -> String {
        self.items += 1;
        format!("item-{}", self.items)
    }

    /// The first finished turn with this id.
    fn finished_turn(&mut self, id: &str) -> Option<&mut v2::Turn> {
        let at = *self.positions.get(id)?;
        self.turns.get_mut(at)
    }

    fn finish_current(&mut self) {
        if let Some(current) = self.current.take()
            && (current.explicit || !current.turn.items.is_empty())
        {
            self.positions
                .entry(current.turn.id.clone())
                .or_insert(self.turns.len());
            self.turns.push(current.turn);
        }
    }
}

fn new_turn(id: String, status: v2::TurnStatus) -> v2::Turn {
    v2::Turn {
        id,
        items: Vec::new(),
        status,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use codex_protocol::protocol::*;
    use pretty_assertions::assert_eq;

    use super::*;

    fn user(text: &str) -> RolloutItem {
        RolloutItem::EventMsg(EventMsg::UserMessage(UserMessageEvent {
            message: text.into(),
            images: Some(vec!["https://example.com/a.png".into()]),
            local_images: Vec::new(),
            text_elements: Vec::new(),
        }))
    }

    fn event(event: EventMsg) -> RolloutItem {
        RolloutItem::EventMsg(event)
    }

    fn agent(text: &str) -> RolloutItem {
        event(EventMsg::AgentMessage(AgentMessageEvent {
            message: text.into(),
        }))
    }

    fn started(id: &str) -> RolloutItem {
        event(EventMsg::TaskStarted(TurnStartedEvent {
            turn_id: id.into(),
            model_context_window: None,
            collaboration_mode_kind: Default::default(),
        }))
    }

    /// Each turn as its status and `id type` per item.
    fn shape(turns: &[v2::Turn]) -> Vec<(v2::TurnStatus, Vec<String>)> {
        turns
            .iter()
            .map(|turn| {
                let items = turn
                    .items
                    .iter()
                    .map(|item| {
                        let value = serde_json::to_value(item).unwrap();
                        format!(
                            "{} {}",
                            value["id"].as_str().unwrap(),
                            value["type"].as_str().unwrap()
                        )
                    })
                    .collect();
                (turn.status, items)
            })
            .collect()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|item| (*item).to_owned()).collect()
    }

    #[test]
    fn rollouts_without_turn_events_get_one_turn_per_user_message() {
        let turns = rebuild_turns(
            &[
                user("one"),
                agent("reply"),
                event(EventMsg::AgentReasoning(AgentReasoningEvent {
                    text: "first".into(),
                })),
                event(EventMsg::AgentReasoning(AgentReasoningEvent {
                    text: "second".into(),
                })),
                event(EventMsg::AgentReasoningRawContent(
                    AgentReasoningRawContentEvent { text: "raw".into() },
                )),
                agent(""),
                user("two"),
            ],
            None,
        );
        assert_eq!(
            shape(&turns),
            [
                (
                    v2::TurnStatus::Completed,
                    strings(&[
                        "item-1 userMessage",
                        "item-2 agentMessage",
                        "item-3 reasoning"
                    ])
                ),
                (v2::TurnStatus::Completed, strings(&["item-4 userMessage"])),
            ]
        );
        assert_eq!(
            serde_json::to_value(&turns[0].items[2]).unwrap(),
            serde_json::json!({"type": "reasoning", "id": "item-3", "summary": ["first", "second"], "content": ["raw"]})
        );
        assert_eq!(
            serde_json::to_value(&turns[0].items[0]).unwrap()["content"],
            serde_json::json!([{"type": "text", "text": "one", "text_elements": []}, {"type": "image", "url": "https://example.com/a.png"}])
        );
    }

    /// The reference's sample rollouts give the same turns when only the events
    /// [`is_turn_event`] accepts are read.
    #[test]
    fn the_turn_events_are_all_the_turns_need() {
        let samples = codex_test_support::reference_dir().join("rollouts");
        let mut rollouts = 0;
        for entry in std::fs::read_dir(samples).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".jsonl") || name == "session_index.jsonl" {
                continue;
            }
            let items: Vec<RolloutItem> = codex_rollout::read_rollout(&path)
                .unwrap()
                .lines
                .into_iter()
                .map(|line| line.item)
                .collect();
            let turn_events = items.iter().filter(|item| match item {
                RolloutItem::EventMsg(event) => {
                    let value = serde_json::to_value(event).unwrap();
                    is_turn_event(value["type"].as_str().unwrap().as_bytes())
                }
                _ => false,
            });
            // Turns opened without a `task_started` get new ids each time: compare the rest.
            let all = shape(&rebuild_turns(&items, None));
            assert_eq!(shape(&rebuild_turns(turn_events, None)), all, "{name}");
            assert!(!all.is_empty(), "{name}");
            rollouts += 1;
        }
        assert!(rollouts > 5, "only {rollouts} sample rollouts");
    }

    fn complete(id: &str) -> RolloutItem {
        event(EventMsg::TaskComplete(TurnCompleteEvent {
            turn_id: id.into(),
            last_agent_message: None,
        }))
    }

    /// A `task_complete` for a turn that already ended completes that turn, not the current
    /// one, and a turn a rollback dropped is found no more, even where a later turn took its
    /// place.
    #[test]
    fn late_completions_find_their_turn() {
        let items = [
            started("t1"),
            user("a"),
            started("t2"),
            user("b"),
            complete("t1"),
            started("t3"),
            user("c"),
            event(EventMsg::ThreadRolledBack(ThreadRolledBackEvent {
                num_turns: 2,
            })),
            started("t4"),
            user("d"),
            started("t5"),
            user("e"),
            // t2 was where t4 is now.
            complete("t2"),
        ];
        let turns = rebuild_turns(&items, None);
        let shape: Vec<(&str, v2::TurnStatus)> = turns
            .iter()
            .map(|turn| (turn.id.as_str(), turn.status))
            .collect();
        assert_eq!(
            shape,
            [
                ("t1", v2::TurnStatus::Completed),
                ("t4", v2::TurnStatus::Interrupted),
                ("t5", v2::TurnStatus::Completed),
            ]
        );
    }

    #[test]
    fn errors_aborts_and_rollbacks() {
        let items = [
            started("t1"),
            user("fails"),
            event(EventMsg::Error(ErrorEvent {
                message: "boom".into(),
                codex_error_info: Some(CodexErrorInfo::InternalServerError),
            })),
            event(EventMsg::TaskComplete(TurnCompleteEvent {
                turn_id: "t1".into(),
                last_agent_message: None,
            })),
            started("t2"),
            user("stopped"),
            event(EventMsg::TurnAborted(TurnAbortedEvent {
                turn_id: Some("t2".into()),
                reason: TurnAbortReason::Interrupted,
            })),
            started("t3"),
            user("rolled back"),
            event(EventMsg::ThreadRolledBack(ThreadRolledBackEvent {
                num_turns: 1,
            })),
            started("t4"),
            user("still running"),
        ];
        let turns = rebuild_turns(&items, Some("t4"));
        let ids: Vec<&str> = turns.iter().map(|turn| turn.id.as_str()).collect();
        assert_eq!(ids, ["t1", "t2", "t4"]);
        assert_eq!(
            shape(&turns),
            [
                (v2::TurnStatus::Failed, strings(&["item-1 userMessage"])),
                (
                    v2::TurnStatus::Interrupted,
                    strings(&["item-2 userMessage"])
                ),
                (v2::TurnStatus::InProgress, strings(&["item-3 userMessage"])),
            ]
        );
        // Not running any more (the server stopped mid-turn): the last turn was cut off.
        let stopped = rebuild_turns(&items, None);
        assert_eq!(stopped[2].status, v2::TurnStatus::Interrupted);
        assert_eq!(stopped[1].status, v2::TurnStatus::Interrupted);
        assert_eq!(stopped[0].status, v2::TurnStatus::Failed);
        assert_eq!(
            turns[0].error,
            Some(v2::TurnError {
                message: "boom".into(),
                codex_error_info: Some(v2::CodexErrorInfo::InternalServerError),
                additional_details: None,
            })
        );
    }
}
