//! Appending to a rollout.
//!
//! Each line goes to the file in one `write` of the whole line and its `\n`, on an unbuffered
//! file opened for appending, so a crash can tear at most the last line and never interleaves two.
//! Durability policy: a new file and its folder are fsynced when created (so the thread exists
//! after a power loss); appended lines reach the OS at once (they survive a crash of the
//! process) and are fsynced only when the caller asks with [`RolloutWriter::sync`], for example
//! at the end of a turn, because an fsync per streamed event would cost far more than it saves.
//!
//! A write that fails (a full disk) is cut back off the file, so the file always ends with a
//! whole line and the next line written after space comes back does not land on a fragment.
//!
//! Ephemeral threads simply never create a writer.

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Read;
use std::io::Seek;
use std::io::SeekFrom;
use std::io::Write;
use std::path::Path;
use std::path::PathBuf;

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

use crate::RolloutError;
use crate::error::io;
use crate::index::LazyIndex;
use crate::line::RolloutItem;
use crate::line::RolloutLine;

const LINE_TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `2026-11-24T01:48:36.769Z`: the spelling of line and session timestamps.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(LINE_TIMESTAMP)
        .unwrap_or_default()
}

/// An open rollout that lines are appended to. Made by [`crate::RolloutStore::create`] or
/// [`crate::RolloutStore::resume`], which keep the index in step with what is written.
#[derive(Debug)]
pub struct RolloutWriter {
    file: File,
    path: PathBuf,
    index: LazyIndex,
    /// The length of the file up to its last whole line, which a failed write is cut back to.
    len: u64,
}

impl RolloutWriter {
    /// Creates the file (failing if it exists) and writes its `session_meta` line.
    pub(crate) fn create_new(
        path: PathBuf,
        meta_line: &RolloutLine,
        index: LazyIndex,
    ) -> Result<Self, RolloutError> {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(&path)
            .map_err(io(&path))?;
        let mut writer = RolloutWriter {
            file,
            path,
            index,
            len: 0,
        };
        writer.write_line(meta_line)?;
        writer.sync()?;
        // The new directory entry is only durable once its folder is synced too.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
        Ok(writer)
    }

    /// Opens an existing rollout for appending. A torn last line (no trailing newline) is ended
    /// with one first, so the next line starts clean; the torn text stays and is skipped by
    /// readers, since cutting it off could only lose data.
    pub(crate) fn open_existing(path: PathBuf, index: LazyIndex) -> Result<Self, RolloutError> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|err| {
                if err.kind() == std::io::ErrorKind::NotFound {
                    RolloutError::FileNotFound(path.clone())
                } else {
                    io(&path)(err)
                }
            })?;
        if has_torn_tail(&mut file, &path)? {
            tracing::warn!("ending the torn last line of {}", path.display());
            file.write_all(b"\n").map_err(io(&path))?;
            file.sync_data().map_err(io(&path))?;
        }
        let len = file.metadata().map_err(io(&path))?.len();
        Ok(RolloutWriter {
            file,
            path,
            index,
            len,
        })
    }

    /// Appends an item stamped with the current time.
    pub fn append(&mut self, item: RolloutItem) -> Result<(), RolloutError> {
        let line = RolloutLine {
            timestamp: format_timestamp(OffsetDateTime::now_utc()),
            item,
        };
        self.append_line(&line)
    }

    /// Appends a line as given.
    pub fn append_line(&mut self, line: &RolloutLine) -> Result<(), RolloutError> {
        self.write_line(line)
    }

    /// Makes everything appended so far durable (fsync).
    pub fn sync(&mut self) -> Result<(), RolloutError> {
        self.file.sync_data().map_err(io(&self.path))
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn write_line(&mut self, line: &RolloutLine) -> Result<(), RolloutError> {
        let mut bytes = serde_json::to_vec(line).map_err(RolloutError::Serialize)?;
        bytes.push(b'\n');
        if let Err(err) = self.file.write_all(&bytes) {
            self.cut_back();
            return Err(io(&self.path)(err));
        }
        self.len += bytes.len() as u64;
        self.index.note_append(&self.path, line);
        Ok(())
    }

    /// Cuts off what a failed write left after the last whole line.
    fn cut_back(&mut self) {
        if let Err(err) = self.file.set_len(self.len) {
            tracing::error!(
                "cannot cut the torn last line off {}: {err}",
                self.path.display()
            );
        }
    }
}

/// Whether a non-empty file's last byte is not a newline: a line was cut short.
pub(crate) fn has_torn_tail(file: &mut File, path: &Path) -> Result<bool, RolloutError> {
    let len = file.metadata().map_err(io(path))?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1)).map_err(io(path))?;
    file.read_exact(&mut last).map_err(io(path))?;
    Ok(last[0] != b'\n')
}
