//! Reading a rollout back: every whole line, with torn or unreadable lines skipped and counted.

use std::fs::File;
use std::io::BufRead;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::Path;
use std::path::PathBuf;

use codex_protocol::models::ResponseItem;

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
    scan(path, |line| {
        visit(line);
        ControlFlow::Continue(())
    })
}

/// Like [`scan_rollout`], handing over only the `session_meta` and `event_msg` lines: what a
/// thread's turns are rebuilt from. The other lines (the model's items, most of a long
/// rollout's bytes) are recognised by the `type` that leads them, as the reference and this
/// crate write them, and skipped without being parsed; a line that does not start that way is
/// parsed to find out.
pub fn scan_rollout_events(
    path: &Path,
    mut visit: impl FnMut(RolloutLine),
) -> Result<ScannedRollout, RolloutError> {
    scan_lines(
        path,
        |text| {
            leading_type(text).is_none_or(|kind| kind == b"session_meta" || kind == b"event_msg")
        },
        |line| {
            if matches!(
                line.item,
                RolloutItem::SessionMeta(_) | RolloutItem::EventMsg(_)
            ) {
                visit(line);
            }
            ControlFlow::Continue(())
        },
    )
}

/// The `type` of a line written as `{"timestamp":"…","type":"…",…`, without parsing it; `None`
/// for a line written any other way.
fn leading_type(text: &[u8]) -> Option<&[u8]> {
    let rest = text.strip_prefix(b"{\"timestamp\":\"")?;
    let end = rest.iter().position(|byte| *byte == b'"')?;
    let rest = rest.get(end + 1..)?.strip_prefix(b",\"type\":\"")?;
    let end = rest.iter().position(|byte| *byte == b'"')?;
    rest.get(..end)
}

/// One line of a rollout as [`RolloutItems::scan`] hands it over.
// Each line is handed over and consumed at once, never stored in bulk: boxing the parsed line
// would only add an allocation per line.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ScannedLine {
    /// A line parsed whole.
    Parsed(RolloutLine),
    /// A `response_item` line left unparsed: where its payload lies in the file.
    ModelItem(ItemSpan),
}

/// Where the payload of a `response_item` line lies in its rollout file: `len` bytes from
/// `offset`, one JSON object. Rollouts are append-only, so a span stays valid.
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
    /// (a full read keeps such a line as [`RolloutItem::Unknown`], no item of the history).
    pub fn read(&self, span: ItemSpan) -> Result<Option<ResponseItem>, RolloutError> {
        let mut bytes = vec![0; span.len as usize];
        read_exact_at(&self.file, &mut bytes, span.offset).map_err(io(&self.path))?;
        Ok(parse_payload(&bytes, &self.path))
    }

    /// The file the items are read from, as it was named when it was opened.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn parse_payload(bytes: &[u8], path: &Path) -> Option<ResponseItem> {
    match serde_json::from_slice::<ResponseItem>(bytes) {
        Ok(item) => Some(item),
        Err(err) => {
            tracing::debug!("an unreadable model item in {}: {err}", path.display());
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

    /// Reads the rollout once, for resuming it: every line is handed to `visit` in file order,
    /// parsed, except the `response_item` lines whose payload `type` `keep_in_file` accepts:
    /// those are checked to be whole JSON and handed over as spans of the file, to be read back
    /// with [`RolloutItems::read`] when needed. So a long thread's tool outputs are never all
    /// in memory. Lines not written the way the reference and this crate write them
    /// (`timestamp`, `type`, `payload`, in that order) are parsed whole. Fails like
    /// [`read_rollout`].
    pub fn scan(
        &self,
        keep_in_file: impl Fn(&[u8]) -> bool,
        mut visit: impl FnMut(ScannedLine),
    ) -> Result<ScannedRollout, RolloutError> {
        let path = self.path.as_path();
        let mut reader = BufReader::with_capacity(256 * 1024, &self.file);
        let mut text = Vec::new();
        let mut offset = 0u64;
        let mut tally = Tally::default();
        loop {
            text.clear();
            let read = reader.read_until(b'\n', &mut text).map_err(io(path))?;
            if read == 0 {
                break;
            }
            let start = offset;
            offset += read as u64;
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Some((at, len)) = payload_span(&text).filter(|&(at, len)| {
                text.get(at..at + len)
                    .and_then(payload_type)
                    .is_some_and(&keep_in_file)
            }) {
                // Whole JSON, or a torn line, skipped as the full parse would skip it.
                if serde_json::from_slice::<serde::de::IgnoredAny>(&text).is_ok()
                    && let Ok(len) = u32::try_from(len)
                {
                    visit(ScannedLine::ModelItem(ItemSpan {
                        offset: start + at as u64,
                        len,
                    }));
                } else {
                    tracing::debug!("skipping an unreadable line of {}", path.display());
                    tally.skipped += 1;
                }
                continue;
            }
            if let Some(line) = tally.parse(&text, path) {
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
    /// Parses a line, counting it when it is no rollout line.
    fn parse(&mut self, text: &[u8], path: &Path) -> Option<RolloutLine> {
        match serde_json::from_slice::<RolloutLine>(text) {
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

/// Where the payload of a `response_item` line written as
/// `{"timestamp":"…","type":"response_item","payload":{…}}` lies in it (start, length).
fn payload_span(text: &[u8]) -> Option<(usize, usize)> {
    const AFTER_TYPE: &[u8] = b",\"payload\":";
    if leading_type(text)? != b"response_item" {
        return None;
    }
    let type_end = text
        .windows(AFTER_TYPE.len())
        .take(128)
        .position(|window| window == AFTER_TYPE)?;
    let start = type_end + AFTER_TYPE.len();
    let trimmed = text.trim_ascii_end();
    let end = trimmed.len().checked_sub(1)?;
    (trimmed.get(end) == Some(&b'}') && text.get(start) == Some(&b'{') && start < end)
        .then_some((start, end - start))
}

/// The `type` a payload written as `{"type":"…",…` leads with.
fn payload_type(payload: &[u8]) -> Option<&[u8]> {
    let rest = payload.strip_prefix(b"{\"type\":\"")?;
    let end = rest.iter().position(|byte| *byte == b'"')?;
    rest.get(..end)
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
    let scanned = scan(path, |line| match line.item {
        RolloutItem::SessionMeta(_) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })?;
    Ok(scanned.meta)
}

/// Reads lines until `visit` breaks or the file ends.
fn scan(
    path: &Path,
    visit: impl FnMut(RolloutLine) -> ControlFlow<()>,
) -> Result<ScannedRollout, RolloutError> {
    scan_lines(path, |_| true, visit)
}

/// Reads lines until `visit` breaks or the file ends, parsing only those `wanted` says yes to.
fn scan_lines(
    path: &Path,
    wanted: impl Fn(&[u8]) -> bool,
    mut visit: impl FnMut(RolloutLine) -> ControlFlow<()>,
) -> Result<ScannedRollout, RolloutError> {
    let file = open(path)?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut text = Vec::new();
    let mut tally = Tally::default();
    loop {
        text.clear();
        if reader.read_until(b'\n', &mut text).map_err(io(path))? == 0 {
            break;
        }
        if !wanted(&text) || text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if let Some(line) = tally.parse(&text, path)
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

    #[test]
    fn an_events_scan_hands_over_the_meta_and_events_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rollout.jsonl");
        let lines = [
            r#"{"timestamp":"2025-01-01T00:00:00.000Z","type":"session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2025-01-01T00:00:00.000Z","cwd":"/w","originator":"t","cli_version":"0.101.0"}}"#,
            r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}"#,
            r#"{"timestamp":"2025-01-01T00:00:01.000Z","type":"event_msg","payload":{"type":"user_message","message":"hi","images":[]}}"#,
            // Keys in another order: parsed to find out what it is.
            r#"{"type":"event_msg","timestamp":"2025-01-01T00:00:02.000Z","payload":{"type":"agent_message","message":"hello"}}"#,
            r#"{"type":"response_item","timestamp":"2025-01-01T00:00:02.000Z","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"hello"}]}}"#,
            r#"{"timestamp":"2025-01-01T00:00:03.000Z","type":"turn_context","payload":{"cwd":"/w"}}"#,
            // A torn event line is skipped and counted; a torn model item is only skipped.
            r#"{"timestamp":"2025-01-01T00:00:04.000Z","type":"event_msg","payload":{"type":"agent_mes"#,
            r#"{"timestamp":"2025-01-01T00:00:04.000Z","type":"response_item","payload":{"ty"#,
        ];
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();

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
