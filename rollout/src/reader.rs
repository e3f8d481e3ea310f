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
    mut visit: impl FnMut(RolloutLine) -> ControlFlow<()>,
) -> Result<ScannedRollout, RolloutError> {
    let file = std::fs::File::open(path).map_err(|err| {
        if err.kind() == std::io::ErrorKind::NotFound {
            RolloutError::FileNotFound(path.to_path_buf())
        } else {
            io(path)(err)
        }
    })?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut text = Vec::new();
    let mut skipped = 0;
    let mut meta = None;
    loop {
        text.clear();
        if reader.read_until(b'\n', &mut text).map_err(io(path))? == 0 {
            break;
        }
        if text.iter().all(u8::is_ascii_whitespace) {
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
