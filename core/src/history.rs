//! The conversation history a thread sends to the model, and how it is rebuilt from a rollout:
//! response items in order, a compaction replacing what came before it, a rollback dropping the
//! last turns. The live thread applies the same functions, so a resumed thread sees exactly
//! what the running one did.
//!
//! A resumed thread's history leaves the model's items other than messages (tool calls and
//! their outputs, reasoning: most of a long rollout's bytes) in the rollout file, as
//! [`HistoryItem::Stored`] spans read back when a request is built. Messages stay in memory:
//! rollbacks and compactions look at them, and they are small.

use std::sync::Arc;

use codex_protocol::models::ContentItem;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::EventMsg;
use codex_rollout::ItemSpan;
use codex_rollout::RolloutError;
use codex_rollout::RolloutItem;
use codex_rollout::RolloutItems;

use crate::instructions::text_message;

/// One item of the history. Cloning one is cheap: each request takes a copy of the history
/// from the thread's state, and a deep copy of every item for every request grew a long
/// session's memory by what the allocator kept of the freed copies.
#[derive(Debug, Clone)]
pub(crate) enum HistoryItem {
    /// Held in memory, shared with the copies requests take.
    Kept(Arc<ResponseItem>),
    /// Left in the thread's rollout file; never a message.
    Stored {
        file: Arc<RolloutItems>,
        span: ItemSpan,
    },
}

impl From<ResponseItem> for HistoryItem {
    fn from(item: ResponseItem) -> Self {
        HistoryItem::Kept(Arc::new(item))
    }
}

impl HistoryItem {
    fn kept(&self) -> Option<&ResponseItem> {
        match self {
            HistoryItem::Kept(item) => Some(item.as_ref()),
            HistoryItem::Stored { .. } => None,
        }
    }

    /// How many bytes the item takes in a request, about: the stored text's length for one
    /// left in the file.
    pub(crate) fn size(&self) -> usize {
        match self {
            HistoryItem::Kept(item) => serde_json::to_string(item).map_or(0, |text| text.len()),
            HistoryItem::Stored { span, .. } => span.len as usize,
        }
    }
}

/// Whether the model's item with this payload `type` is left in the rollout file on resume.
pub(crate) fn stays_in_file(kind: &[u8]) -> bool {
    kind != b"message"
}

/// The history as the model is sent it, reading the stored items back from the rollout. An
/// item whose text no longer types is left out, as a full read of the rollout would.
pub(crate) fn materialize(history: &[HistoryItem]) -> Result<Vec<ResponseItem>, RolloutError> {
    let mut items = Vec::with_capacity(history.len());
    for item in history {
        match item {
            HistoryItem::Kept(item) => items.push(ResponseItem::clone(item)),
            HistoryItem::Stored { file, span } => items.extend(file.read(*span)?),
        }
    }
    Ok(items)
}

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
pub(crate) fn rollback(history: &mut Vec<HistoryItem>, num_turns: u32) {
    let starts: Vec<usize> = history
        .iter()
        .enumerate()
        .filter(|(_, item)| item.kept().is_some_and(is_user_turn_start))
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
pub(crate) fn compacted(history: &[HistoryItem], summary_message: &str) -> Vec<HistoryItem> {
    let mut kept: Vec<HistoryItem> = history
        .iter()
        .filter(|item| {
            item.kept().is_some_and(|item| {
                (is_context(item) && !is_turn_aborted(item)) || is_user_turn_start(item)
            })
        })
        .cloned()
        .collect();
    kept.push(text_message("user", summary_message.to_owned()).into());
    kept
}

fn is_turn_aborted(item: &ResponseItem) -> bool {
    matches!(item, ResponseItem::Message { content, .. }
        if first_text(content).is_some_and(|text| text.starts_with("<turn_aborted>")))
}

/// Rebuilds the history from a rollout's items.
pub(crate) fn rebuild<'a>(items: impl IntoIterator<Item = &'a RolloutItem>) -> Vec<HistoryItem> {
    let mut rebuilt = Rebuilt::default();
    for item in items {
        match item {
            RolloutItem::ResponseItem(item) => rebuilt.push(item.clone().into()),
            other => rebuilt.apply(other),
        }
    }
    rebuilt.into_history()
}

/// The history rebuilt one rollout item at a time, as a rollout is read: the model's items are
/// moved in (or their spans, for those left in the file), and a compaction drops what came
/// before it as soon as it is read, so a long rollout is never held whole.
#[derive(Debug, Default)]
pub(crate) struct Rebuilt {
    history: Vec<HistoryItem>,
}

impl Rebuilt {
    /// One of the model's items, next in the history.
    pub(crate) fn push(&mut self, item: HistoryItem) {
        self.history.push(item);
    }

    /// Any other rollout item: compactions and rollbacks change the history.
    pub(crate) fn apply(&mut self, item: &RolloutItem) {
        match item {
            RolloutItem::ResponseItem(item) => self.history.push(item.clone().into()),
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

    pub(crate) fn into_history(self) -> Vec<HistoryItem> {
        self.history
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use codex_rollout::ScannedLine;
    use codex_rollout::Take;
    use pretty_assertions::assert_eq;

    fn user(text: &str) -> ResponseItem {
        text_message("user", text.to_owned())
    }

    fn assistant(text: &str) -> ResponseItem {
        text_message("assistant", text.to_owned())
    }

    fn kept(items: Vec<ResponseItem>) -> Vec<HistoryItem> {
        items.into_iter().map(HistoryItem::from).collect()
    }

    fn sent(history: &[HistoryItem]) -> Vec<ResponseItem> {
        materialize(history).unwrap()
    }

    #[test]
    fn rollback_drops_whole_turns_and_keeps_context() {
        let context = user("<environment_context>\n</environment_context>");
        let mut history = kept(vec![
            context.clone(),
            user("one"),
            assistant("1"),
            user("two"),
            assistant("2"),
        ]);
        rollback(&mut history, 1);
        assert_eq!(
            sent(&history),
            vec![context.clone(), user("one"), assistant("1")]
        );
        rollback(&mut history, 5);
        assert_eq!(sent(&history), vec![context]);
    }

    #[test]
    fn compaction_keeps_context_and_user_messages() {
        let context = text_message("developer", "rules".to_owned());
        let history = kept(vec![context.clone(), user("one"), assistant("1")]);
        assert_eq!(
            sent(&compacted(&history, "summary")),
            vec![context, user("one"), user("summary")]
        );
    }

    /// A rollout read for resuming: the tool items stay in the file, and the history built from
    /// their spans is the one a full read builds, compaction and rollback included; a torn
    /// line is left out of both.
    #[test]
    fn a_history_left_in_the_file_reads_back_as_the_full_read_builds_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let head = r#"{"timestamp":"2025-01-01T00:00:00.000Z","type":"#;
        let lines = [
            r#""session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2025-01-01T00:00:00.000Z","cwd":"/w","originator":"t","cli_version":"0.101.0"}}"#,
            r#""response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"one"}]}}"#,
            r#""response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{\"cmd\":\"true\"}","call_id":"c1"}}"#,
            r#""response_item","payload":{"type":"function_call_output","call_id":"c1","output":"line\nüñí\"quoted\""}}"#,
            r#""response_item","payload":{"type":"reasoning","summary":[{"type":"summary_text","text":"think"}],"encrypted_content":null}}"#,
            r#""response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"1"}]}}"#,
            r#""compacted","payload":{"message":"summary of one"}}"#,
            r#""response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"two"}]}}"#,
            r#""response_item","payload":{"type":"function_call_output","call_id":"c2","output":"two's"}}"#,
            r#""response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"three"}]}}"#,
            r#""response_item","payload":{"type":"custom_tool_call_output","call_id":"c3","output":"three's"}}"#,
            r#""event_msg","payload":{"type":"thread_rolled_back","num_turns":1}}"#,
            r#""response_item","payload":{"type":"function_call_output","call_id":"c4","output":"four's"}}"#,
            // Torn: left out, whether the scan parses it or (ending in `}`) leaves it in the
            // file to be found unreadable when read back.
            r#""response_item","payload":{"type":"function_call_output","call_id":"c5","outp"#,
            r#""response_item","payload":{"type":"function_call_output","call_id":"c6","output":"x"}"#,
        ];
        let text: String = lines.iter().map(|line| format!("{head}{line}\n")).collect();
        std::fs::write(&path, text).unwrap();

        let file = Arc::new(RolloutItems::open(&path).unwrap());
        let mut rebuilt = Rebuilt::default();
        let mut spans = 0;
        let scanned = file
            .scan(
                |types| match types.payload {
                    Some(kind) if types.line == b"response_item" && stays_in_file(kind) => {
                        Take::Span
                    }
                    _ => Take::Parse,
                },
                |line| match line {
                    ScannedLine::Span(_, span) => {
                        spans += 1;
                        rebuilt.push(HistoryItem::Stored {
                            file: file.clone(),
                            span,
                        });
                    }
                    ScannedLine::Parsed(line) => rebuilt.apply(&line.item),
                },
            )
            .unwrap();
        let full_skipped = codex_rollout::read_rollout(&path).unwrap().skipped;
        assert_eq!((scanned.skipped, full_skipped, spans), (1, 2, 7));
        let full = codex_rollout::read_rollout(&path).unwrap();
        let expected = sent(&rebuild(full.lines.iter().map(|line| &line.item)));
        assert_eq!(sent(&rebuilt.into_history()), expected);
        // The compaction and the rollback left three of the seven spans in the history, one
        // of them the torn line's, which reads back as nothing.
        assert_eq!(expected.len(), 5);
    }
}
