//! Reading a rollout back: every whole line, with torn or unreadable lines skipped and counted.

use std::io::BufRead;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::Path;

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
    let file = std::fs::File::open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::NotFound {
            RolloutError::FileNotFound(path.to_path_buf())
        } else {
            io(path)(err)
        }
    })?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut text = Vec::new();
    let mut skipped = 0;
    let mut meta = None;
    loop {
        text.clear();
        if reader.read_until(b'\n', &mut text).map_err(io(path))? == 0 {
            break;
        }
        if !wanted(&text) || text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<RolloutLine>(&text) {
            Ok(line) => {
                if let (None, RolloutItem::SessionMeta(found)) = (&meta, &line.item) {
                    meta = Some(found.clone());
                }
                if visit(line).is_break() {
                    break;
                }
            }
            Err(err) => {
                tracing::debug!("skipping an unreadable line of {}: {err}", path.display());
                skipped += 1;
            }
        }
    }
    if skipped > 0 {
        tracing::warn!("skipped {skipped} unreadable line(s) of {}", path.display());
    }
    let meta = meta.ok_or_else(|| RolloutError::NoSessionMeta(path.to_path_buf()))?;
    Ok(ScannedRollout { meta, skipped })
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
