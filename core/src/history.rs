//! The conversation history a thread sends to the model, and how it is rebuilt from a rollout:
//! response items in order, a compaction replacing what came before it, a rollback dropping the
//! last turns. The live thread applies the same functions, so a resumed thread sees exactly
//! what the running one did.

use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::EventMsg;
use codex_rollout::RolloutItem;

use crate::instructions::text_message;

/// Tags of the user messages the agent adds itself; they are context, not user turns.
const CONTEXT_PREFIXES: [&str; 5] = [
    "<environment_context>",
    "# AGENTS.md instructions for",
    "<skill>",
    "<turn_aborted>",
    "<user_instructions>",
];

/// The prose before a compaction summary, telling the model what the summary is.
pub(crate) const SUMMARY_PREFIX: &str = "The conversation so far was condensed to save room. \
The summary below was written from the earlier history; continue the work from it without \
redoing what it says is done:\n";

/// The request that asks the model for a summary when compacting.
pub(crate) const COMPACT_PROMPT: &str = "Summarise this conversation for handing it over: the \
user's goal and constraints, what has been done and decided (with file paths), what is still \
open, and the next steps. Be complete but concise; the summary will replace the history.";

fn first_text(content: &[ContentItem]) -> Option<&str> {
    content.iter().find_map(|item| match item {
        ContentItem::InputText { text } | ContentItem::OutputText { text } => Some(text.as_str()),
        ContentItem::InputImage { .. } => None,
    })
}

/// Whether an item is a message the user typed (the start of a user turn).
pub(crate) fn is_user_turn_start(item: &ResponseItem) -> bool {
    match item {
        ResponseItem::Message { role, content, .. } if role == "user" => {
            let text = first_text(content).unwrap_or_default();
            !CONTEXT_PREFIXES
                .iter()
                .any(|prefix| text.trim_start().starts_with(prefix))
        }
        _ => false,
    }
}

/// Whether an item is context the agent added (developer messages, AGENTS.md, environment).
fn is_context(item: &ResponseItem) -> bool {
    match item {
        ResponseItem::Message { role, .. } if role == "developer" => true,
        ResponseItem::Message { role, .. } if role == "user" => !is_user_turn_start(item),
        _ => false,
    }
}

/// Drops the last `num_turns` user turns (each from a user message to the next one).
pub(crate) fn rollback(history: &mut Vec<ResponseItem>, num_turns: u32) {
    let starts: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, item)| is_user_turn_start(item))
        .map(|(index, _)| index)
        .collect();
    let keep = usize::try_from(num_turns)
        .ok()
        .and_then(|n| starts.len().checked_sub(n))
        .unwrap_or(0);
    if let Some(cut) = starts.get(keep) {
        history.truncate(*cut);
    }
}

/// The history after a compaction: the agent's context messages, the user's own messages
/// (so their wording survives), then the summary as a user message.
pub(crate) fn compacted(history: &[ResponseItem], summary_message: &str) -> Vec<ResponseItem> {
    let mut kept: Vec<ResponseItem> = history
        .iter()
        .filter(|item| (is_context(item) && !is_turn_aborted(item)) || is_user_turn_start(item))
        .cloned()
        .collect();
    kept.push(text_message("user", summary_message.to_owned()));
    kept
}

fn is_turn_aborted(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message { content, .. }
        if first_text(content).is_some_and(|text| text.starts_with("<turn_aborted>")))
}

/// Rebuilds the history from a rollout's items.
pub(crate) fn rebuild<'a>(items: impl IntoIterator<Item = &'a RolloutItem>) -> Vec<ResponseItem> {
    let mut rebuilt = Rebuilt::default();
    for item in items {
        match item {
            RolloutItem::ResponseItem(item) => rebuilt.push(item.clone()),
            other => rebuilt.apply(other),
        }
    }
    rebuilt.into_history()
}

/// The history rebuilt one rollout item at a time, as a rollout is read: the model's items are
/// moved in, and a compaction drops what came before it as soon as it is read, so a long
/// rollout is never held whole.
#[derive(Debug, Default)]
pub(crate) struct Rebuilt {
    history: Vec<ResponseItem>,
}

impl Rebuilt {
    /// One of the model's items, next in the history.
    pub(crate) fn push(&mut self, item: ResponseItem) {
        self.history.push(item);
    }

    /// Any other rollout item: compactions and rollbacks change the history.
    pub(crate) fn apply(&mut self, item: &RolloutItem) {
        match item {
            RolloutItem::ResponseItem(item) => self.history.push(item.clone()),
            RolloutItem::Compacted(compaction) => {
                self.history = compacted(&self.history, &compaction.message);
            }
            RolloutItem::EventMsg(EventMsg::ThreadRolledBack(event)) => {
                rollback(&mut self.history, event.num_turns);
            }
            RolloutItem::SessionMeta(_)
            | RolloutItem::EventMsg(_)
            | RolloutItem::TurnContext(_)
            | RolloutItem::Unknown { .. } => {}
        }
    }

    pub(crate) fn into_history(self) -> Vec<ResponseItem> {
        self.history
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn user(text: &str) -> ResponseItem {
        text_message("user", text.to_owned())
    }

    fn assistant(text: &str) -> ResponseItem {
        text_message("assistant", text.to_owned())
    }

    #[test]
    fn rollback_drops_whole_turns_and_keeps_context() {
        let context = user("<environment_context>\n</environment_context>");
        let mut history = vec![
            context.clone(),
            user("one"),
            assistant("1"),
            user("two"),
            assistant("2"),
        ];
        rollback(&mut history, 1);
        assert_eq!(history, vec![context.clone(), user("one"), assistant("1")]);
        rollback(&mut history, 5);
        assert_eq!(history, vec![context]);
    }

    #[test]
    fn compaction_keeps_context_and_user_messages() {
        let context = text_message("developer", "rules".to_owned());
        let history = vec![context.clone(), user("one"), assistant("1")];
        assert_eq!(
            compacted(&history, "summary"),
            vec![context, user("one"), user("summary")]
        );
    }
}
