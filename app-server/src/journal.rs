//! The per-thread notification journal: the `seq` of every notification about a loaded
//! thread, and the last of them kept for `thread/resume` with `afterSeq`.
//!
//! Numbers are given where a notification is fanned out (`registry`), once for every client,
//! from 1 for each load of the thread. The journal keeps frames only once an experimental
//! client has subscribed (nobody else can ask for a replay), and then at most
//! `app_server.event_replay_capacity` of them and `app_server.event_replay_max_bytes` bytes:
//! the oldest go first. A frame is kept once, already carrying its `seq`, and shared with the
//! connections it is written to.

use std::collections::VecDeque;
use std::time::Duration;

use codex_protocol::ThreadId;

use crate::outbound::Frame;

/// What the server keeps for clients that reconnect (`[app_server]` in config).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ReplaySettings {
    /// Notifications each thread's journal keeps.
    pub capacity: usize,
    /// Bytes each thread's journal keeps, at most.
    pub max_bytes: usize,
    /// How long a server request whose client went away waits for another to resume its thread.
    pub request_grace: Duration,
}

impl Default for ReplaySettings {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            max_bytes: 4 << 20,
            request_grace: Duration::from_secs(60),
        }
    }
}

impl ReplaySettings {
    /// The settings of `[app_server]`, defaults where a key is missing or unusable.
    pub(crate) fn from_config(section: Option<&codex_config::AppServerToml>) -> Self {
        let defaults = Self::default();
        let Some(section) = section else {
            return defaults;
        };
        let size = |value: Option<u64>, default: usize| {
            value.map_or(default, |value| {
                usize::try_from(value).unwrap_or(usize::MAX)
            })
        };
        let request_grace = match section.request_reconnect_grace_sec {
            None => defaults.request_grace,
            Some(seconds) => Duration::try_from_secs_f64(seconds).unwrap_or_else(|_| {
                tracing::warn!(
                    "app_server.request_reconnect_grace_sec = {seconds} is not a duration; using {} s",
                    defaults.request_grace.as_secs()
                );
                defaults.request_grace
            }),
        };
        Self {
            capacity: size(section.event_replay_capacity, defaults.capacity),
            max_bytes: size(section.event_replay_max_bytes, defaults.max_bytes),
            request_grace,
        }
    }
}

/// One kept notification.
#[derive(Debug)]
pub(crate) struct Entry {
    pub seq: u64,
    pub method: Box<str>,
    /// The notification with its `seq`.
    pub frame: Frame,
}

/// The journal of one load of one thread.
#[derive(Debug)]
pub(crate) struct Journal {
    id: String,
    /// The `seq` the next notification gets.
    next_seq: u64,
    /// Whether frames are kept: once an experimental client subscribed.
    keeping: bool,
    entries: VecDeque<Entry>,
    bytes: usize,
    capacity: usize,
    max_bytes: usize,
}

/// `afterSeq` asks for notifications the journal no longer holds (or never held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotHeld {
    /// The oldest `seq` the journal holds; the next one to be given when it holds none.
    pub oldest_seq: u64,
}

impl Journal {
    pub(crate) fn new(settings: &ReplaySettings) -> Self {
        Self {
            // A thread id is a fresh UUID: unique for each load, and opaque to clients.
            id: ThreadId::new().to_string(),
            next_seq: 1,
            keeping: false,
            entries: VecDeque::new(),
            bytes: 0,
            capacity: settings.capacity,
            max_bytes: settings.max_bytes,
        }
    }

    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Starts keeping frames, from the next notification on.
    pub(crate) fn keep(&mut self) {
        self.keeping = true;
    }

    /// Numbers the next notification. `sequenced` gives its frame with the `seq` added, asked
    /// for only when someone needs it: the journal itself or an experimental follower.
    pub(crate) fn record(
        &mut self,
        method: &str,
        frame: &Frame,
        experimental_follower: bool,
    ) -> (u64, Option<Frame>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        if !self.keeping && !experimental_follower {
            return (seq, None);
        }
        let sequenced = with_seq(frame, seq);
        if self.keeping {
            self.bytes += sequenced.len();
            self.entries.push_back(Entry {
                seq,
                method: method.into(),
                frame: Frame::clone(&sequenced),
            });
            while self.entries.len() > self.capacity || self.bytes > self.max_bytes {
                match self.entries.pop_front() {
                    Some(dropped) => self.bytes -= dropped.frame.len(),
                    None => break,
                }
            }
        }
        (seq, Some(sequenced))
    }

    /// The kept notifications after `after_seq`, if the journal is `journal_id` (when given)
    /// and still holds every one of them.
    pub(crate) fn after(
        &self,
        after_seq: u64,
        journal_id: Option<&str>,
    ) -> Result<impl Iterator<Item = &Entry>, NotHeld> {
        let oldest_seq = self
            .entries
            .front()
            .map_or(self.next_seq, |entry| entry.seq);
        let wanted = after_seq.saturating_add(1);
        let same_journal = journal_id.is_none_or(|id| id == self.id);
        if !same_journal || wanted < oldest_seq || wanted > self.next_seq {
            return Err(NotHeld { oldest_seq });
        }
        let skip = usize::try_from(wanted - oldest_seq).unwrap_or(usize::MAX);
        Ok(self.entries.iter().skip(skip))
    }

    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        (self.entries.len(), self.bytes)
    }
}

/// `frame`, a notification whose `params` is an object, with `"seq": seq` added to its params.
/// Notifications are written `{"method":…,"params":{…}}`, params last, so this is a splice;
/// anything else is parsed and rewritten.
pub(crate) fn with_seq(frame: &Frame, seq: u64) -> Frame {
    if let Some(body) = frame.strip_suffix("}}")
        && body.contains("\"params\":{")
    {
        let separator = if body.ends_with('{') { "" } else { "," };
        return Frame::from(format!("{body}{separator}\"seq\":{seq}}}}}"));
    }
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(frame) else {
        return Frame::clone(frame);
    };
    if let Some(params) = value
        .get_mut("params")
        .and_then(serde_json::Value::as_object_mut)
    {
        params.insert("seq".into(), seq.into());
    }
    Frame::from(value.to_string())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use serde_json::Value;
    use serde_json::json;

    use super::*;

    fn settings(capacity: usize, max_bytes: usize) -> ReplaySettings {
        ReplaySettings {
            capacity,
            max_bytes,
            request_grace: Duration::ZERO,
        }
    }

    fn frame(text: &str) -> Frame {
        Frame::from(format!(
            r#"{{"method":"item/agentMessage/delta","params":{{"delta":"{text}"}}}}"#
        ))
    }

    fn seqs<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<u64> {
        entries.map(|entry| entry.seq).collect()
    }

    #[test]
    fn seq_is_added_to_the_params() {
        let check = |frame: &str, expected: Value| {
            let sequenced = with_seq(&Frame::from(frame), 7);
            assert_eq!(serde_json::from_str::<Value>(&sequenced).unwrap(), expected);
        };
        check(
            r#"{"method":"a","params":{"x":{"y":1}}}"#,
            json!({"method": "a", "params": {"x": {"y": 1}, "seq": 7}}),
        );
        check(
            r#"{"method":"a","params":{}}"#,
            json!({"method": "a", "params": {"seq": 7}}),
        );
        check(
            r#"{"params":{"x":1},"method":"a"}"#,
            json!({"method": "a", "params": {"x": 1, "seq": 7}}),
        );
    }

    #[test]
    fn numbers_run_from_one_and_frames_are_kept_once_asked() {
        let mut journal = Journal::new(&settings(10, 1 << 20));
        assert_eq!(journal.record("m", &frame("a"), false), (1, None));
        assert_eq!(journal.record("m", &frame("b"), true).0, 2);
        journal.keep();
        for text in ["c", "d"] {
            journal.record("m", &frame(text), false);
        }
        // Kept from 3 on: 2 is gone, 3 and 4 are there, asking after the last is empty.
        assert_eq!(
            journal.after(1, None).err(),
            Some(NotHeld { oldest_seq: 3 })
        );
        assert_eq!(seqs(journal.after(2, None).unwrap()), [3, 4]);
        assert_eq!(seqs(journal.after(3, Some(journal.id())).unwrap()), [4]);
        assert_eq!(seqs(journal.after(4, None).unwrap()), Vec::<u64>::new());
        // The future, and another load's journal, are refused.
        assert!(journal.after(5, None).is_err());
        assert_eq!(
            journal.after(3, Some("other")).err(),
            Some(NotHeld { oldest_seq: 3 })
        );
    }

    #[test]
    fn the_oldest_go_first_past_the_count_or_the_bytes() {
        let mut journal = Journal::new(&settings(3, 1 << 20));
        journal.keep();
        for _ in 0..5 {
            journal.record("m", &frame("x"), false);
        }
        assert_eq!(seqs(journal.after(2, None).unwrap()), [3, 4, 5]);

        let one = with_seq(&frame("x"), 1).len();
        let mut journal = Journal::new(&settings(100, one * 2));
        journal.keep();
        for _ in 0..5 {
            journal.record("m", &frame("x"), false);
        }
        assert_eq!(journal.held(), (2, one * 2));
        assert_eq!(
            journal.after(0, None).err(),
            Some(NotHeld { oldest_seq: 4 })
        );
    }

    #[test]
    fn config_values_override_the_defaults() {
        let section = codex_config::AppServerToml {
            event_replay_capacity: Some(5),
            event_replay_max_bytes: None,
            request_reconnect_grace_sec: Some(-1.0),
        };
        assert_eq!(
            ReplaySettings::from_config(Some(&section)),
            ReplaySettings {
                capacity: 5,
                ..ReplaySettings::default()
            }
        );
        assert_eq!(ReplaySettings::from_config(None), ReplaySettings::default());
    }
}
