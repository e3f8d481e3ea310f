//! [`RolloutStore`]: the entry point, tying the rollout files, the index and the names together.

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::Instant;

use codex_protocol::ThreadId;
use time::OffsetDateTime;

use crate::LoadedRollout;
use crate::RolloutError;
use crate::error::io;
use crate::index::Index;
use crate::index::IndexCounts;
use crate::index::LazyIndex;
use crate::index::ListQuery;
use crate::index::Page;
use crate::line::RolloutItem;
use crate::line::RolloutLine;
use crate::line::SessionMeta;
use crate::names;
use crate::paths;
use crate::reader::read_rollout;
use crate::writer::RolloutWriter;
use crate::writer::format_timestamp;

/// The rollouts of one `$CODEX_HOME`. Cheap to clone; clones share the index connection.
#[derive(Debug, Clone)]
pub struct RolloutStore {
    codex_home: PathBuf,
    index: LazyIndex,
}

impl RolloutStore {
    /// Opens the store, rebuilding or repairing the index as needed. A missing or corrupt index
    /// is not an error.
    pub fn open(codex_home: impl Into<PathBuf>) -> Result<Self, RolloutError> {
        let codex_home = codex_home.into();
        let index = LazyIndex::opened(codex_home.clone(), Index::open(&codex_home)?);
        Ok(RolloutStore { codex_home, index })
    }

    /// Opens the store without the index, which opens when first needed (a list, a lookup by
    /// id, a repair) and catches up with the rollouts (a first build, or what other processes
    /// did since any process last looked) on a background thread, then sweeps. Lists meanwhile
    /// read the newest rollout files when a page can be had from a few of them, and wait for
    /// the index otherwise; lookups by id walk the folders.
    pub fn open_in_background(codex_home: impl Into<PathBuf>) -> Result<Self, RolloutError> {
        let codex_home = codex_home.into();
        let index = LazyIndex::new(codex_home.clone());
        Ok(RolloutStore { codex_home, index })
    }

    /// Opens the index if nothing has, and waits until it has caught up with the rollouts once.
    pub fn wait_for_index(&self) -> Result<(), RolloutError> {
        self.index.get()?.wait_ready();
        Ok(())
    }

    /// Waits, for at most `limit`, until the index's background work (its first build, reading
    /// the heads, a sweep) is done, if the index is open; says whether it is. A process about
    /// to exit waits a little, so that the next one starts from an index that is further along.
    pub fn wait_for_background(&self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        match self.index.once_opened(limit) {
            Ok(index) => index.is_none_or(|index| {
                index.wait_idle(deadline.saturating_duration_since(Instant::now()))
            }),
            Err(()) => false,
        }
    }

    /// Brings the index up to date with files changed behind its back (by another program).
    pub fn repair(&self) -> Result<(), RolloutError> {
        self.index.get()?.repair();
        Ok(())
    }

    /// Starts the rollout of a new thread: creates
    /// `sessions/YYYY/MM/DD/rollout-<start>-<id>.jsonl` and writes `meta` as its first line.
    /// `start` names the file; the reference uses the local time.
    pub fn create(
        &self,
        meta: SessionMeta,
        start: OffsetDateTime,
    ) -> Result<RolloutWriter, RolloutError> {
        let id = meta.id;
        let path = paths::rollout_path(&self.codex_home, id, start);
        // Ids are fresh, so with the index closed this is not worth opening it for: a second
        // file of the same start time and id is refused below all the same.
        if let Some(index) = self.index.if_open()
            && index.find(id)?.is_some()
        {
            return Err(RolloutError::AlreadyExists(id));
        }
        let line = RolloutLine {
            timestamp: format_timestamp(OffsetDateTime::now_utc()),
            item: RolloutItem::SessionMeta(meta),
        };
        RolloutWriter::create_new(path, &line, self.index.clone()).map_err(|err| match err {
            RolloutError::Io { source, .. }
                if source.kind() == std::io::ErrorKind::AlreadyExists =>
            {
                RolloutError::AlreadyExists(id)
            }
            other => other,
        })
    }

    /// Reopens a thread's rollout for appending, ending a torn last line first.
    pub fn resume(&self, id: ThreadId) -> Result<RolloutWriter, RolloutError> {
        let path = self.find(id)?;
        RolloutWriter::open_existing(path, self.index.clone())
    }

    /// The rollout file of a thread, live or archived.
    pub fn find(&self, id: ThreadId) -> Result<PathBuf, RolloutError> {
        let index = self.index.get()?;
        if let Some((path, _)) = index.find(id)?
            && path.exists()
        {
            return Ok(path);
        }
        if !index.is_ready() {
            // Still catching up: the file is wherever its name says.
            return paths::find_by_id(&self.codex_home, id).ok_or(RolloutError::ThreadNotFound(id));
        }
        // The index may not know a file written behind its back yet, or point at a moved one;
        // either changed a folder, which is what catching up looks at.
        index.catch_up();
        match index.find(id)? {
            Some((path, _)) => Ok(path),
            None => Err(RolloutError::ThreadNotFound(id)),
        }
    }

    /// Reads a thread's rollout; see [`crate::read_rollout`].
    pub fn read(&self, id: ThreadId) -> Result<LoadedRollout, RolloutError> {
        read_rollout(&self.find(id)?)
    }

    /// One page of threads, from the index, after it caught up with rollouts that other
    /// processes created, moved, deleted or are writing (see [`crate::IndexCounts`] for what
    /// that costs).
    pub fn list(&self, query: &ListQuery) -> Result<Page, RolloutError> {
        self.index.list(query)
    }

    /// What the index has done to stay up to date since it opened (nothing while it is closed).
    pub fn index_counts(&self) -> IndexCounts {
        self.index
            .if_open()
            .map(|index| index.counts())
            .unwrap_or_default()
    }

    /// Moves a thread's rollout to `archived_sessions/`. Returns the new path.
    pub fn archive(&self, id: ThreadId) -> Result<PathBuf, RolloutError> {
        let from = self.find(id)?;
        let name = file_name_of(&from)?;
        let to = self.codex_home.join(paths::ARCHIVED_DIR).join(name);
        self.rename(&from, &to, true)?;
        Ok(to)
    }

    /// Moves a thread's rollout back to its day folder under `sessions/`. Returns the new path.
    pub fn unarchive(&self, id: ThreadId) -> Result<PathBuf, RolloutError> {
        let from = self.find(id)?;
        let name = file_name_of(&from)?;
        let to =
            paths::live_path(&self.codex_home, name).ok_or(RolloutError::ThreadNotFound(id))?;
        self.rename(&from, &to, false)?;
        Ok(to)
    }

    /// Records a thread's name in `session_index.jsonl`.
    pub fn set_thread_name(&self, id: ThreadId, name: &str) -> Result<(), RolloutError> {
        names::append(&self.codex_home, id, name)
    }

    /// Every named thread's latest name.
    pub fn thread_names(&self) -> Result<HashMap<ThreadId, String>, RolloutError> {
        names::read_all(&self.codex_home)
    }

    fn rename(&self, from: &Path, to: &Path, archived: bool) -> Result<(), RolloutError> {
        if from == to {
            return Ok(());
        }
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::rename(from, to).map_err(io(from))?;
        // A closed index learns of the move from the two folders when it opens.
        if let Some(index) = self.index.if_open() {
            index.moved(from, to, archived);
        }
        Ok(())
    }
}

fn file_name_of(path: &Path) -> Result<&str, RolloutError> {
    path.file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| RolloutError::FileNotFound(path.to_path_buf()))
}
