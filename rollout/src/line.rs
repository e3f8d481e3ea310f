//! The line format of a rollout file: one JSON object `{timestamp, type, payload}` per line.
//!
//! The known payloads are typed; a line whose type or payload this build does not understand is
//! kept as [`RolloutItem::Unknown`] so that reading and rewriting a file written by a newer program
//! loses nothing.

use std::path::PathBuf;

use codex_protocol::ThreadId;
use codex_protocol::dynamic_tools::DynamicToolSpec;
use codex_protocol::models::ResponseItem;
use codex_protocol::protocol::AskForApproval;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SandboxPolicy;
use codex_protocol::protocol::SessionSource;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::Serializer;
use serde::de::Error as _;
use serde::ser::SerializeStruct;
use serde_json::Map;
use serde_json::Value;
use serde_json::value::RawValue;

/// One line of a rollout file.
#[derive(Debug, Clone, PartialEq)]
pub struct RolloutLine {
    /// When the line was written, RFC 3339 in UTC with milliseconds (`2026-11-24T01:48:36.769Z`).
    pub timestamp: String,
    pub item: RolloutItem,
}

/// The payload of a rollout line, tagged on disk by the line's `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum RolloutItem {
    /// Always the first line: who started the thread, where, and with which instructions.
    SessionMeta(SessionMeta),
    /// An item of the model's conversation (messages, tool calls, reasoning).
    ResponseItem(ResponseItem),
    /// An event of the legacy event stream that is worth replaying on resume.
    EventMsg(EventMsg),
    /// The settings a model request ran with; written once per request.
    TurnContext(TurnContextItem),
    /// The summary that replaced the history before it.
    Compacted(CompactedItem),
    /// A line this build cannot type: an unknown `type`, or a payload its type does not accept.
    Unknown { kind: String, payload: Value },
}

impl RolloutItem {
    /// The on-disk `type` of the line.
    pub fn kind(&self) -> &str {
        match self {
            RolloutItem::SessionMeta(_) => "session_meta",
            RolloutItem::ResponseItem(_) => "response_item",
            RolloutItem::EventMsg(_) => "event_msg",
            RolloutItem::TurnContext(_) => "turn_context",
            RolloutItem::Compacted(_) => "compacted",
            RolloutItem::Unknown { kind, .. } => kind,
        }
    }
}

/// The first line of every rollout.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SessionMeta {
    pub id: ThreadId,
    /// The thread this one was forked from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forked_from_id: Option<ThreadId>,
    /// When the thread started, RFC 3339 in UTC with milliseconds.
    pub timestamp: String,
    pub cwd: PathBuf,
    pub originator: String,
    pub cli_version: String,
    /// Older rollouts have no source; the reference reads those as VS Code ones.
    #[serde(default = "default_source")]
    pub source: SessionSource,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_instructions: Option<BaseInstructions>,
    /// The tools the client declared at start; absent when there were none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_tools: Option<Vec<DynamicToolSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git: Option<GitInfo>,
    /// Fields this build does not know, kept so that a rewrite loses nothing.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_source() -> SessionSource {
    SessionSource::Vscode
}

/// The base instructions the thread was started with.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct BaseInstructions {
    pub text: String,
}

/// The git state of the working directory when the thread started.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct GitInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
}

/// The settings of one model request. Only the fields resume needs are typed; the rest
/// (personality, collaboration mode, truncation policy, ...) travel in `extra`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TurnContextItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    pub cwd: PathBuf,
    pub approval_policy: AskForApproval,
    pub sandbox_policy: SandboxPolicy,
    pub model: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A compaction: the summary message that stands for the history before it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CompactedItem {
    pub message: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Serialize for RolloutLine {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut line = serializer.serialize_struct("RolloutLine", 3)?;
        line.serialize_field("timestamp", &self.timestamp)?;
        line.serialize_field("type", self.item.kind())?;
        match &self.item {
            RolloutItem::SessionMeta(meta) => line.serialize_field("payload", meta)?,
            RolloutItem::ResponseItem(item) => line.serialize_field("payload", item)?,
            RolloutItem::EventMsg(event) => line.serialize_field("payload", event)?,
            RolloutItem::TurnContext(context) => line.serialize_field("payload", context)?,
            RolloutItem::Compacted(compacted) => line.serialize_field("payload", compacted)?,
            RolloutItem::Unknown { payload, .. } => line.serialize_field("payload", payload)?,
        }
        line.end()
    }
}

impl<'de> Deserialize<'de> for RolloutLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The payload is typed straight from its text, without a `Value` in between: long
        // rollouts are read often (resume, read), and most of their bytes are payloads.
        #[derive(Deserialize)]
        struct Raw {
            timestamp: String,
            #[serde(rename = "type")]
            kind: String,
            payload: Box<RawValue>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let item = RolloutItem::from_raw(raw.kind, &raw.payload).map_err(D::Error::custom)?;
        Ok(RolloutLine {
            timestamp: raw.timestamp,
            item,
        })
    }
}

impl RolloutLine {
    /// Parses a line whose `type` is known to be `kind` (read from its text without parsing
    /// it) in one pass, typing the payload as it goes; a line that does not fit is parsed the
    /// general way, so the result is always what [`RolloutLine`]'s `Deserialize` gives.
    ///
    /// `event` is the payload's `type` when the line is an `event_msg`: the events a thread's
    /// turns are rebuilt from are typed as their own structs, without serde's buffering of an
    /// internally tagged enum (which doubled the cost of reading a long rollout's events).
    pub(crate) fn parse_of_kind(
        kind: &[u8],
        event: Option<&[u8]>,
        text: &[u8],
    ) -> serde_json::Result<RolloutLine> {
        /// The line with its payload typed in place; the `type` key, already known, is skipped.
        #[derive(Deserialize)]
        struct Typed<T> {
            timestamp: String,
            payload: T,
        }
        fn typed<T: serde::de::DeserializeOwned>(
            text: &[u8],
            wrap: fn(T) -> RolloutItem,
        ) -> Option<RolloutLine> {
            let line: Typed<T> = serde_json::from_slice(text).ok()?;
            Some(RolloutLine {
                timestamp: line.timestamp,
                item: wrap(line.payload),
            })
        }
        let line = match (kind, event) {
            (b"event_msg", Some(b"task_started")) => typed(text, |event| {
                RolloutItem::EventMsg(EventMsg::TaskStarted(event))
            }),
            (b"event_msg", Some(b"task_complete")) => typed(text, |event| {
                RolloutItem::EventMsg(EventMsg::TaskComplete(event))
            }),
            (b"event_msg", Some(b"user_message")) => typed(text, |event| {
                RolloutItem::EventMsg(EventMsg::UserMessage(event))
            }),
            (b"event_msg", Some(b"agent_message")) => typed(text, |event| {
                RolloutItem::EventMsg(EventMsg::AgentMessage(event))
            }),
            (b"event_msg", Some(b"token_count")) => typed(text, |event| {
                RolloutItem::EventMsg(EventMsg::TokenCount(event))
            }),
            _ => None,
        };
        let line = line.or_else(|| match kind {
            b"session_meta" => typed(text, RolloutItem::SessionMeta),
            b"response_item" => typed(text, RolloutItem::ResponseItem),
            b"event_msg" => typed(text, RolloutItem::EventMsg),
            b"turn_context" => typed(text, RolloutItem::TurnContext),
            b"compacted" => typed(text, RolloutItem::Compacted),
            _ => None,
        });
        match line {
            Some(line) => Ok(line),
            None => serde_json::from_slice(text),
        }
    }
}

impl RolloutItem {
    /// Types a payload's text by its line type, like [`RolloutItem::from_parts`], parsing it
    /// into a `Value` only when it does not fit its type.
    fn from_raw(kind: String, payload: &RawValue) -> Result<RolloutItem, serde_json::Error> {
        fn typed<T: serde::de::DeserializeOwned>(
            payload: &RawValue,
            wrap: fn(T) -> RolloutItem,
        ) -> Option<RolloutItem> {
            serde_json::from_str(payload.get()).ok().map(wrap)
        }
        let item = match kind.as_str() {
            "session_meta" => typed(payload, RolloutItem::SessionMeta),
            "response_item" => typed(payload, RolloutItem::ResponseItem),
            "event_msg" => typed(payload, RolloutItem::EventMsg),
            "turn_context" => typed(payload, RolloutItem::TurnContext),
            "compacted" => typed(payload, RolloutItem::Compacted),
            _ => None,
        };
        match item {
            Some(item) => Ok(item),
            None => Ok(RolloutItem::from_parts(
                kind,
                serde_json::from_str(payload.get())?,
            )),
        }
    }

    /// Types a payload by its line type, falling back to `Unknown` rather than failing: the line
    /// was whole JSON, so it is data worth keeping even when this build cannot read it.
    fn from_parts(kind: String, payload: Value) -> RolloutItem {
        fn typed<T: serde::de::DeserializeOwned>(
            kind: &str,
            payload: &Value,
            wrap: fn(T) -> RolloutItem,
        ) -> Option<RolloutItem> {
            match T::deserialize(payload) {
                Ok(value) => Some(wrap(value)),
                Err(err) => {
                    tracing::debug!("keeping an unreadable {kind} payload as it is: {err}");
                    None
                }
            }
        }
        let item = match kind.as_str() {
            "session_meta" => typed(&kind, &payload, RolloutItem::SessionMeta),
            "response_item" => typed(&kind, &payload, RolloutItem::ResponseItem),
            "event_msg" => typed(&kind, &payload, RolloutItem::EventMsg),
            "turn_context" => typed(&kind, &payload, RolloutItem::TurnContext),
            "compacted" => typed(&kind, &payload, RolloutItem::Compacted),
            _ => None,
        };
        item.unwrap_or(RolloutItem::Unknown { kind, payload })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn every_sample_line_is_typed_and_round_trips() {
        let mut lines = 0;
        let mut mismatches = Vec::new();
        let samples = codex_test_support::reference_dir().join("rollouts");
        for entry in std::fs::read_dir(samples).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if !name.ends_with(".jsonl") || name == "session_index.jsonl" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (number, text) in text.lines().enumerate() {
                let line: RolloutLine = serde_json::from_str(text).unwrap();
                let at = format!("{name}:{}", number + 1);
                if matches!(line.item, RolloutItem::Unknown { .. }) {
                    mismatches.push(format!("{at} did not fit its type: {text}"));
                }
                let original: Value = serde_json::from_str(text).unwrap();
                let written = serde_json::to_value(&line).unwrap();
                if written != original {
                    mismatches.push(format!("{at}\n  read:    {original}\n  written: {written}"));
                }
                lines += 1;
            }
        }
        assert!(lines > 100, "only {lines} sample lines found");
        assert_eq!(mismatches, Vec::<String>::new());
    }

    /// Found by the `rollout` fuzz target: a number with more digits than a double holds read
    /// as a neighbour of its nearest double, so writing the line and reading it again changed
    /// it. Numbers are now parsed to the nearest double (serde_json's `float_roundtrip`).
    #[test]
    fn a_long_number_reads_back_as_written() {
        let digits = "9999999999999999999999999999999999999999999999999999999258400";
        let text = format!(
            r#"{{"timestamp":"2026-11-24T01:48:40.361Z","type":"unknown_kind","payload":{{"n":{digits}}}}}"#
        );
        let line: RolloutLine = serde_json::from_str(&text).unwrap();
        let written = serde_json::to_string(&line).unwrap();
        let again: RolloutLine = serde_json::from_str(&written).unwrap();
        assert_eq!(again, line, "{written}");
    }

    /// Typing a line by the types it leads with gives what the general parse gives, for every
    /// sample line, and for events that do not fit their struct.
    #[test]
    fn a_line_typed_by_its_kind_is_the_line_the_general_parse_gives() {
        let samples = codex_test_support::reference_dir().join("rollouts");
        let mut texts = vec![
            r#"{"timestamp":"t","type":"event_msg","payload":{"type":"user_message","message":3}}"#.to_owned(),
            r#"{"timestamp":"t","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":null}}"#.to_owned(),
            r#"{"timestamp":"t","type":"event_msg","payload":{"type":"task_started","turn_id":"a","model_context_window":null}}"#.to_owned(),
        ];
        for entry in std::fs::read_dir(samples).unwrap() {
            let path = entry.unwrap().path();
            let rollout = path.extension().is_some_and(|ext| ext == "jsonl")
                && path
                    .file_name()
                    .is_some_and(|name| name != "session_index.jsonl");
            if rollout {
                let text = std::fs::read_to_string(&path).unwrap();
                texts.extend(text.lines().map(str::to_owned));
            }
        }
        let mut events = 0;
        for text in &texts {
            let general: Value = serde_json::from_str(text).unwrap();
            let kind = general["type"].as_str().unwrap_or_default();
            let event = general["payload"]["type"]
                .as_str()
                .filter(|_| kind == "event_msg");
            events += usize::from(event.is_some());
            let typed = RolloutLine::parse_of_kind(
                kind.as_bytes(),
                event.map(str::as_bytes),
                text.as_bytes(),
            )
            .unwrap();
            let general: RolloutLine = serde_json::from_str(text).unwrap();
            assert_eq!(typed, general, "{text}");
        }
        assert!(events > 20, "only {events} sample events");
    }

    #[test]
    fn unknown_payloads_survive_a_round_trip() {
        for text in [
            r#"{"timestamp":"t","type":"future_kind","payload":{"a":1}}"#,
            r#"{"timestamp":"t","type":"event_msg","payload":{"type":"not_an_event_yet","x":[1]}}"#,
            r#"{"timestamp":"t","type":"response_item","payload":{"type":"message","role":3}}"#,
        ] {
            let line: RolloutLine = serde_json::from_str(text).unwrap();
            assert!(matches!(line.item, RolloutItem::Unknown { .. }), "{text}");
            let original: Value = serde_json::from_str(text).unwrap();
            assert_eq!(serde_json::to_value(&line).unwrap(), original);
        }
    }
}
