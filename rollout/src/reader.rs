//! Reading a rollout back: every whole line, with torn or unreadable lines skipped and counted.

use std::fs::File;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::Path;
use std::path::PathBuf;

use codex_protocol::models::ResponseItem;
use serde::de::DeserializeOwned;

use crate::RolloutError;
use crate::error::io;
use crate::line::RolloutItem;
use crate::line::RolloutLine;
use crate::line::SessionMeta;

/// A rollout read from disk.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedRollout {
    /// The first `session_meta` line.
    pub meta: SessionMeta,
    /// Every line that parsed, `session_meta` included, in file order.
    pub lines: Vec<RolloutLine>,
    /// How many lines were not JSON rollout lines (a torn tail after a crash, say).
    pub skipped: usize,
}

/// Reads a rollout. Fails only when the file cannot be read or has no `session_meta` line.
pub fn read_rollout(path: &Path) -> Result<LoadedRollout, RolloutError> {
    let mut lines = Vec::new();
    let scanned = scan_rollout(path, |line| lines.push(line))?;
    Ok(LoadedRollout {
        meta: scanned.meta,
        lines,
        skipped: scanned.skipped,
    })
}

/// What [`scan_rollout`] found besides the lines it handed over.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedRollout {
    /// The first `session_meta` line.
    pub meta: SessionMeta,
    /// How many lines were not JSON rollout lines.
    pub skipped: usize,
}

/// Reads a rollout line by line, handing every line that parses to `visit` in file order, so a
/// caller that needs only a summary never holds the whole file. Fails like [`read_rollout`].
pub fn scan_rollout(
    path: &Path,
    mut visit: impl FnMut(RolloutLine),
) -> Result<ScannedRollout, RolloutError> {
    scan(
        path,
        |_| true,
        |line| {
            visit(line);
            ControlFlow::Continue(())
        },
    )
}

/// Like [`scan_rollout`], handing over only the `session_meta` and `event_msg` lines: what a
/// thread's turns are rebuilt from. See [`scan_rollout_events_of`].
pub fn scan_rollout_events(
    path: &Path,
    mut visit: impl FnMut(RolloutLine),
) -> Result<ScannedRollout, RolloutError> {
    scan_rollout_events_of(
        path,
        |_| true,
        |line| {
            visit(line);
            ControlFlow::Continue(())
        },
    )
}

/// Hands `visit` the `session_meta` line and the `event_msg` lines whose event `type`
/// `wanted_event` accepts, until `visit` breaks. The other lines (the model's items, most of a
/// long rollout's bytes, and the events the caller has no use for) are recognised by the types
/// that lead them, as the reference and this crate write them, and skipped without being
/// parsed; a line not written that way is parsed to find out what it is.
pub fn scan_rollout_events_of(
    path: &Path,
    wanted_event: impl Fn(&[u8]) -> bool,
    mut visit: impl FnMut(RolloutLine) -> ControlFlow<()>,
) -> Result<ScannedRollout, RolloutError> {
    scan(
        path,
        |types| match types.line {
            b"session_meta" => true,
            b"event_msg" => types.payload.is_none_or(&wanted_event),
            _ => false,
        },
        |line| match line.item {
            RolloutItem::SessionMeta(_) | RolloutItem::EventMsg(_) => visit(line),
            _ => ControlFlow::Continue(()),
        },
    )
}

/// The types a line leads with, read from its text without parsing it: the line's `type`, and
/// its payload's `type` when the payload is an object that starts with one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTypes<'a> {
    pub line: &'a [u8],
    pub payload: Option<&'a [u8]>,
}

/// What a scan does with a line, decided from its [`LineTypes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Parse it and hand it over.
    Parse,
    /// Hand over where its payload lies in the file, unparsed, for an object payload (any
    /// other line is parsed). The payload is not checked: a torn line whose text still ends in
    /// `}` shows when its payload is read back and does not type.
    Span,
    /// Pass over it.
    Skip,
}

/// How a line written as `{"timestamp":"…","type":"…","payload":…}` is laid out.
struct LineHead<'a> {
    types: LineTypes<'a>,
    /// Where the payload starts in the line.
    payload_at: usize,
}

/// The layout of a line written as the reference and this crate write them; `None` for a line
/// written any other way, or whose types hold an escape (parsed to be sure of them).
fn line_head(text: &[u8]) -> Option<LineHead<'_>> {
    const TIMESTAMP: &[u8] = b"{\"timestamp\":\"";
    const TYPE: &[u8] = b",\"type\":\"";
    const PAYLOAD: &[u8] = b",\"payload\":";
    let after_timestamp = TIMESTAMP.len() + memchr::memchr(b'"', text.get(TIMESTAMP.len()..)?)?;
    let (line, after_line) = quoted(text, after_timestamp + 1, TYPE)?;
    let payload_at = after_line + 1 + PAYLOAD.len();
    if !text.get(after_line + 1..)?.starts_with(PAYLOAD) {
        return None;
    }
    let payload = quoted(text, payload_at, b"{\"type\":\"").map(|(kind, _)| kind);
    (!text[..after_timestamp].contains(&b'\\')).then_some(LineHead {
        types: LineTypes { line, payload },
        payload_at,
    })
}

/// The string that follows `prefix` at `at` in `text`, and where its closing quote is; `None`
/// when it is not there or holds an escape.
fn quoted<'a>(text: &'a [u8], at: usize, prefix: &[u8]) -> Option<(&'a [u8], usize)> {
    let start = at + prefix.len();
    if !text.get(at..)?.starts_with(prefix) {
        return None;
    }
    let len = memchr::memchr(b'"', text.get(start..)?)?;
    let value = &text[start..start + len];
    (!value.contains(&b'\\')).then_some((value, start + len))
}

/// One line of a rollout as [`RolloutItems::scan`] hands it over.
// Each line is handed over and consumed at once, never stored in bulk: boxing the parsed line
// would only add an allocation per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ScannedLine<'a> {
    /// A line parsed whole.
    Parsed(RolloutLine),
    /// A line left unparsed: its types, and where its payload lies in the file.
    Span(LineTypes<'a>, ItemSpan),
}

/// Where the payload of a line lies in its rollout file: `len` bytes from `offset`, one JSON
/// object. Rollouts are append-only, so a span stays valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemSpan {
    pub offset: u64,
    pub len: u32,
}

/// A rollout file held open for reading back the model's items that a scan left in it. The
/// open file survives a rename (archiving), and reads never move a shared position.
#[derive(Debug)]
pub struct RolloutItems {
    path: PathBuf,
    file: File,
}

impl RolloutItems {
    /// The model's item at `span`; `None` when its payload is not one this build can type
    /// (a full read keeps such a line as [`RolloutItem::Unknown`], no item of the history) or
    /// not whole JSON (a torn line, which a full read skips).
    pub fn read(&self, span: ItemSpan) -> Result<Option<ResponseItem>, RolloutError> {
        self.read_payload(span)
    }

    /// The payload at `span` as a `T` (a [`TurnContextItem`](crate::TurnContextItem), an
    /// [`EventMsg`](codex_protocol::protocol::EventMsg)); `None` when it does not type.
    pub fn read_payload<T: DeserializeOwned>(
        &self,
        span: ItemSpan,
    ) -> Result<Option<T>, RolloutError> {
        let mut bytes = vec![0; span.len as usize];
        read_exact_at(&self.file, &mut bytes, span.offset).map_err(io(&self.path))?;
        Ok(parse_payload(&bytes, &self.path))
    }

    /// The file the items are read from, as it was named when it was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn parse_payload<T: DeserializeOwned>(bytes: &[u8], path: &Path) -> Option<T> {
    match serde_json::from_slice::<T>(bytes) {
        Ok(item) => Some(item),
        Err(err) => {
            tracing::debug!("an unreadable payload in {}: {err}", path.display());
            None
        }
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::Read;
    use std::io::Seek;
    let mut file = file.try_clone()?;
    file.seek(std::io::SeekFrom::Start(offset))?;
    file.read_exact(buf)
}

impl RolloutItems {
    /// Opens a rollout for [`RolloutItems::scan`]ning it and reading items back.
    pub fn open(path: &Path) -> Result<RolloutItems, RolloutError> {
        Ok(RolloutItems {
            path: path.to_path_buf(),
            file: open(path)?,
        })
    }

    /// Reads the rollout once, for resuming it: each line goes to `visit` in file order as
    /// `take` says from its [`LineTypes`]: parsed, as a span of the file (whose payload is read
    /// back with [`RolloutItems::read`] when needed, so a long thread's tool outputs are never
    /// all in memory), or not at all. Lines not written the way the
    /// reference and this crate write them (`timestamp`, `type`, `payload`, in that order) are
    /// parsed whole. Fails like [`read_rollout`].
    pub fn scan(
        &self,
        take: impl Fn(LineTypes<'_>) -> Take,
        mut visit: impl FnMut(ScannedLine<'_>),
    ) -> Result<ScannedRollout, RolloutError> {
        let path = self.path.as_path();
        let mut lines = LineReader::new(&self.file);
        let mut tally = Tally::default();
        while let Some((start, text)) = lines.next_line().map_err(io(path))? {
            let head = line_head(text);
            let taken = match &head {
                Some(head) => take(head.types),
                None if text.iter().all(u8::is_ascii_whitespace) => Take::Skip,
                None => Take::Parse,
            };
            if taken == Take::Skip {
                continue;
            }
            if taken == Take::Span
                && let Some(head) = &head
                && let Some(len) = payload_len(text, head)
            {
                visit(ScannedLine::Span(
                    head.types,
                    ItemSpan {
                        offset: start + head.payload_at as u64,
                        len,
                    },
                ));
                continue;
            }
            if let Some(line) = tally.parse(text, head.as_ref(), path) {
                visit(ScannedLine::Parsed(line));
            }
        }
        tally.finish(path)
    }
}

/// What a scan found besides the lines: the first `session_meta`, how many lines it skipped.
#[derive(Default)]
struct Tally {
    meta: Option<SessionMeta>,
    skipped: usize,
}

impl Tally {
    /// Parses a line (in one pass when its layout is known), counting it when it is no rollout
    /// line.
    fn parse(
        &mut self,
        text: &[u8],
        head: Option<&LineHead<'_>>,
        path: &Path,
    ) -> Option<RolloutLine> {
        let parsed = match head {
            Some(head) => RolloutLine::parse_of_kind(head.types.line, head.types.payload, text),
            None => serde_json::from_slice::<RolloutLine>(text),
        };
        match parsed {
            Ok(line) => {
                if let (None, RolloutItem::SessionMeta(found)) = (&self.meta, &line.item) {
                    self.meta = Some(found.clone());
                }
                Some(line)
            }
            Err(err) => {
                tracing::debug!("skipping an unreadable line of {}: {err}", path.display());
                self.skipped += 1;
                None
            }
        }
    }

    fn finish(self, path: &Path) -> Result<ScannedRollout, RolloutError> {
        let skipped = self.skipped;
        if skipped > 0 {
            tracing::warn!("skipped {skipped} unreadable line(s) of {}", path.display());
        }
        let meta = self
            .meta
            .ok_or_else(|| RolloutError::NoSessionMeta(path.to_path_buf()))?;
        Ok(ScannedRollout { meta, skipped })
    }
}

/// The length of a line's payload, an object that runs to the `}` closing the line; `None` for
/// a line that does not end so (a torn one, parsed to be skipped).
fn payload_len(text: &[u8], head: &LineHead<'_>) -> Option<u32> {
    if text.get(head.payload_at) != Some(&b'{') {
        return None;
    }
    let trimmed = text.trim_ascii_end();
    let end = trimmed.len().checked_sub(1)?;
    if trimmed[end] != b'}' || end <= head.payload_at {
        return None;
    }
    u32::try_from(end - head.payload_at).ok()
}

/// Splits a file into lines over large blocks, handing out each line (its `\n` included) as a
/// slice of the block with its offset in the file. The block grows only to hold a line longer
/// than it.
struct LineReader<R> {
    source: R,
    block: Vec<u8>,
    /// The unread bytes are `block[start..end]`.
    start: usize,
    end: usize,
    /// The file offset of `block[start]`.
    offset: u64,
    at_eof: bool,
}

impl<R: Read> LineReader<R> {
    const BLOCK: usize = 1 << 20;

    fn new(source: R) -> Self {
        LineReader {
            source,
            block: Vec::new(),
            start: 0,
            end: 0,
            offset: 0,
            at_eof: false,
        }
    }

    /// The next line and its offset; the last line may lack its `\n`.
    fn next_line(&mut self) -> std::io::Result<Option<(u64, &[u8])>> {
        // How much of the unread bytes is known to hold no `\n`.
        let mut searched = 0;
        loop {
            if let Some(at) = memchr::memchr(b'\n', &self.block[self.start + searched..self.end]) {
                return Ok(Some(self.consume(searched + at + 1)));
            }
            searched = self.end - self.start;
            if self.at_eof {
                if searched == 0 {
                    return Ok(None);
                }
                return Ok(Some(self.consume(searched)));
            }
            self.fill()?;
        }
    }

    fn consume(&mut self, len: usize) -> (u64, &[u8]) {
        let (start, offset) = (self.start, self.offset);
        self.start += len;
        self.offset += len as u64;
        (offset, &self.block[start..start + len])
    }

    /// Reads more after the unread bytes, moving them to the front of the block first.
    fn fill(&mut self) -> std::io::Result<()> {
        if self.block.is_empty() {
            self.block.resize(Self::BLOCK, 0);
        }
        if self.start > 0 {
            self.block.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.block.len() {
            self.block.resize(self.block.len() * 2, 0);
        }
        let read = loop {
            match self.source.read(&mut self.block[self.end..]) {
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                read => break read?,
            }
        };
        self.end += read;
        self.at_eof = read == 0;
        Ok(())
    }
}

fn open(path: &Path) -> Result<File, RolloutError> {
    File::open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::NotFound {
            RolloutError::FileNotFound(path.to_path_buf())
        } else {
            io(path)(err)
        }
    })
}

/// The first `session_meta` line of a rollout, reading no further than it.
pub fn read_session_meta(path: &Path) -> Result<SessionMeta, RolloutError> {
    let scanned = scan(
        path,
        |_| true,
        |line| match line.item {
            RolloutItem::SessionMeta(_) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        },
    )?;
    Ok(scanned.meta)
}

/// Reads lines until `visit` breaks or the file ends, parsing only those whose types `wanted`
/// accepts (and those whose types cannot be read without parsing them).
fn scan(
    path: &Path,
    wanted: impl Fn(LineTypes<'_>) -> bool,
    mut visit: impl FnMut(RolloutLine) -> ControlFlow<()>,
) -> Result<ScannedRollout, RolloutError> {
    let file = open(path)?;
    let mut lines = LineReader::new(file);
    let mut tally = Tally::default();
    while let Some((_, text)) = lines.next_line().map_err(io(path))? {
        let head = line_head(text);
        let skip = match &head {
            Some(head) => !wanted(head.types),
            None => text.iter().all(u8::is_ascii_whitespace),
        };
        if skip {
            continue;
        }
        if let Some(line) = tally.parse(text, head.as_ref(), path)
            && visit(line).is_break()
        {
            break;
        }
    }
    tally.finish(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Lines come out whole with their offsets, whatever the block size: lines longer than a
    /// block, a blank line, and a last line without its newline.
    #[test]
    fn the_line_reader_splits_across_blocks() {
        let long = "x".repeat(3 * LineReader::<&[u8]>::BLOCK + 5);
        let text = format!("a\n{long}\n\nlast");
        let mut reader = LineReader::new(text.as_bytes());
        let mut lines = Vec::new();
        while let Some((offset, line)) = reader.next_line().unwrap() {
            lines.push((offset, String::from_utf8(line.to_vec()).unwrap()));
        }
        let long_end = 2 + long.len() as u64 + 1;
        assert_eq!(
            lines,
            [
                (0, "a\n".to_owned()),
                (2, format!("{long}\n")),
                (long_end, "\n".to_owned()),
                (long_end + 1, "last".to_owned()),
            ]
        );
    }

    /// The types are read from the text only where there is no doubt about them.
    #[test]
    fn line_types_are_read_from_the_usual_layout_only() {
        let types = |text: &str| {
            line_head(text.as_bytes()).map(|head| {
                let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
                (text(head.types.line), head.types.payload.map(text))
            })
        };
        let owned =
            |line: &str, payload: Option<&str>| Some((line.to_owned(), payload.map(str::to_owned)));
        assert_eq!(
            types(r#"{"timestamp":"t","type":"event_msg","payload":{"type":"token_count"}}"#),
            owned("event_msg", Some("token_count"))
        );
        assert_eq!(
            types(r#"{"timestamp":"t","type":"turn_context","payload":{"cwd":"/"}}"#),
            owned("turn_context", None)
        );
        assert_eq!(
            types(r#"{"timestamp":"t","type":"event_msg","payload":{"type":"task\u005fstarted"}}"#),
            owned("event_msg", None)
        );
        for unusual in [
            r#"{"type":"event_msg","timestamp":"t","payload":{}}"#,
            r#"{"timestamp":"t\"","type":"event_msg","payload":{}}"#,
            r#"{"timestamp":"t","type":"event\u005fmsg","payload":{}}"#,
            r#"{"timestamp":"t","type":"event_msg"}"#,
            r#"{"timestamp":"t""#,
        ] {
            assert_eq!(types(unusual), None, "{unusual}");
        }
    }

    const META: &str = r#"{"timestamp":"2025-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2025-01-01T00:00:00.000Z","cwd":"/w","originator":"t","cli_version":"0.101.0"}}"#;

    /// A rollout of these lines in a new temporary folder.
    fn rollout_of(lines: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        (dir, path)
    }

    /// An events scan parses only the events asked for, and stops when told to.
    #[test]
    fn an_events_scan_passes_over_unwanted_events_and_stops_early() {
        let (_dir, path) = rollout_of(&[
            META,
            r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"event_msg","payload":{"type":"agent_message","message":"skipped"}}"#,
            r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"event_msg","payload":{"type":"user_message","message":"one","images":[]}}"#,
            r#"{"timestamp":"2025-01-01T00:00:02.000Z","type":"event_msg","payload":{"type":"user_message","message":"two","images":[]}}"#,
        ]);
        let mut messages = Vec::new();
        let scanned = scan_rollout_events_of(
            &path,
            |kind| kind == b"user_message",
            |line| {
                messages.push(serde_json::to_value(&line).unwrap()["payload"]["message"].clone());
                if messages.len() == 2 {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            },
        )
        .unwrap();
        assert_eq!(
            messages,
            [serde_json::Value::Null, serde_json::Value::from("one")]
        );
        assert_eq!(scanned.skipped, 0);
    }

    #[test]
    fn an_events_scan_hands_over_the_meta_and_events_only() {
        let (_dir, path) = rollout_of(&[
            META,
            r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}"#,
            r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"event_msg","payload":{"type":"user_message","message":"hi","images":[]}}"#,
            // Keys in another order: parsed to find out what it is.
            r#"{"type":"event_msg","timestamp":"2025-01-01T00:00:02.000Z","payload":{"type":"agent_message","message":"hello"}}"#,
            r#"{"type":"response_item","timestamp":"2025-01-01T00:00:02.000Z","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hello"}]}}"#,
            r#"{"timestamp":"2025-01-01T00:00:03.000Z","type":"turn_context","payload":{"cwd":"/w"}}"#,
            // A torn event line is skipped and counted; a torn model item is only skipped.
            r#"{"timestamp":"2025-01-01T00:00:04.000Z","type":"event_msg","payload":{"type":"agent_mes"#,
            r#"{"timestamp":"2025-01-01T00:00:04.000Z","type":"response_item","payload":{"ty"#,
        ]);

        let mut kinds = Vec::new();
        let scanned = scan_rollout_events(&path, |line| {
            kinds.push(serde_json::to_value(&line).unwrap()["payload"]["type"].clone());
        })
        .unwrap();
        assert_eq!(
            kinds,
            [
                serde_json::Value::Null,
                "user_message".into(),
                "agent_message".into()
            ]
        );
        assert_eq!(scanned.skipped, 1);
        assert_eq!(scanned.meta.cwd, Path::new("/w"));

        // The full scan sees every line.
        let mut all = 0;
        let full = scan_rollout(&path, |_| all += 1).unwrap();
        assert_eq!((all, full.skipped), (6, 2));
    }
}
