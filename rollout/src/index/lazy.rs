//! The index as the store holds it: opened by the first thing that needs it (a list, a lookup by
//! id, a repair), not by the store. A process that only writes rollouts, such as a server whose
//! client starts threads but never lists them, then never runs SQLite, and keeps its code,
//! caches and thread out of memory. A list opens it on a background thread and is answered
//! from the files meanwhile when it can be; a lookup or a repair opens it, or waits for that
//! opening, on its own thread.
//!
//! A closed (or opening) index needs no word of what this process writes. A rollout it creates changes its
//! folder, which catching up re-lists when the index opens; a rollout it appends to otherwise
//! was found through the index (a resume), which opened it. And a row another process recorded
//! in between is younger than the hour within which every refresh stats files, or else the
//! sweep after opening finds the change.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Condvar;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;

use super::Index;
use super::ListQuery;
use super::Page;
use super::newest;
use crate::RolloutError;
use crate::line::RolloutLine;

/// A shared handle on the index, which may not be open yet.
#[derive(Debug, Clone)]
pub(crate) struct LazyIndex {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    codex_home: PathBuf,
    index: Mutex<Slot>,
    /// Signalled when an opening on a background thread ends, opened or not.
    opening_ended: Condvar,
    /// The folder listings of pages answered from the files, shared with the index once open.
    listings: Arc<Mutex<newest::Listings>>,
}

/// Ends an opening under way, with the index or (also when the opening panics) without, and
/// wakes those waiting for it.
struct OpeningEnds<'a>(&'a Shared);

impl OpeningEnds<'_> {
    fn end(self, index: Option<Index>) {
        if let Some(index) = index {
            *codex_utils_lock::lock(&self.0.index) = Slot::Open(index);
        }
        // Drop closes the slot if it is still opening, and wakes the waiters.
    }
}

impl Drop for OpeningEnds<'_> {
    fn drop(&mut self) {
        let mut slot = codex_utils_lock::lock(&self.0.index);
        if matches!(*slot, Slot::Opening) {
            *slot = Slot::Closed;
        }
        drop(slot);
        self.0.opening_ended.notify_all();
    }
}

#[derive(Debug)]
enum Slot {
    Closed,
    /// A background thread is opening the file.
    Opening,
    Open(Index),
}

impl LazyIndex {
    /// An index for `codex_home` that opens, catching up in the background, when first needed.
    pub(crate) fn new(codex_home: PathBuf) -> LazyIndex {
        LazyIndex::with(codex_home, Slot::Closed)
    }

    /// An index opened already.
    pub(crate) fn opened(codex_home: PathBuf, index: Index) -> LazyIndex {
        LazyIndex::with(codex_home, Slot::Open(index))
    }

    fn with(codex_home: PathBuf, slot: Slot) -> LazyIndex {
        LazyIndex {
            shared: Arc::new(Shared {
                codex_home,
                index: Mutex::new(slot),
                opening_ended: Condvar::new(),
                listings: Arc::default(),
            }),
        }
    }

    /// The index, opened now unless it is open already (or being opened: then once it is); it
    /// catches up in the background.
    pub(crate) fn get(&self) -> Result<Index, RolloutError> {
        let mut slot = self.slot();
        loop {
            match &*slot {
                Slot::Open(index) => return Ok(index.clone()),
                Slot::Opening => {
                    slot = match self.shared.opening_ended.wait(slot) {
                        Ok(slot) => slot,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                }
                Slot::Closed => break,
            }
        }
        let index =
            Index::connect_sharing(&self.shared.codex_home, Arc::clone(&self.shared.listings))?;
        index.build_in_background();
        *slot = Slot::Open(index.clone());
        Ok(index)
    }

    /// One page. The first list opens the index on a background thread (making a new index
    /// file takes milliseconds: four files created) and is answered from the files meanwhile
    /// when it can be; see [`Index::list`].
    pub(crate) fn list(&self, query: &ListQuery) -> Result<Page, RolloutError> {
        if let Some(index) = self.open_in_background() {
            return index.list(query);
        }
        if let Some(page) = newest::page(&self.shared.codex_home, query, &self.shared.listings)? {
            return Ok(page);
        }
        self.get()?.list(query)
    }

    /// The index if it is open; otherwise `None`, with a background thread opening it and
    /// then building it.
    fn open_in_background(&self) -> Option<Index> {
        let mut slot = self.slot();
        match &*slot {
            Slot::Open(index) => return Some(index.clone()),
            Slot::Opening => return None,
            Slot::Closed => *slot = Slot::Opening,
        }
        drop(slot);
        let shared = Arc::clone(&self.shared);
        let spawned = std::thread::Builder::new()
            .name(super::BUILD_THREAD.to_string())
            .spawn(move || {
                super::yield_to_requests();
                let ending = OpeningEnds(&shared);
                let opened =
                    Index::connect_sharing(&shared.codex_home, Arc::clone(&shared.listings));
                // A failure is left for the next `get`, which tries again and reports it.
                let index = opened.ok();
                ending.end(index.clone());
                if let Some(index) = index {
                    index.build();
                }
            });
        if let Err(err) = spawned {
            tracing::warn!("cannot start the thread index worker: {err}");
            OpeningEnds(&self.shared).end(None);
        }
        None
    }

    /// The index if something opened it, after waiting for at most `limit` for an opening
    /// under way; `Err` if it still is.
    pub(crate) fn once_opened(&self, limit: Duration) -> Result<Option<Index>, ()> {
        let slot = self.slot();
        let waited = self
            .shared
            .opening_ended
            .wait_timeout_while(slot, limit, |slot| matches!(slot, Slot::Opening));
        let slot = match waited {
            Ok((slot, _)) => slot,
            Err(poisoned) => poisoned.into_inner().0,
        };
        match &*slot {
            Slot::Open(index) => Ok(Some(index.clone())),
            Slot::Closed => Ok(None),
            Slot::Opening => Err(()),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        codex_utils_lock::lock(&self.shared.index)
    }

    /// The index if something opened it.
    pub(crate) fn if_open(&self) -> Option<Index> {
        match &*self.slot() {
            Slot::Open(index) => Some(index.clone()),
            Slot::Closed | Slot::Opening => None,
        }
    }

    /// Keeps the row of a file we are writing in step with what was just appended, if the
    /// index is open.
    pub(crate) fn note_append(&self, path: &Path, line: &RolloutLine) {
        if let Some(index) = self.if_open() {
            index.note_append(path, line);
        }
    }
}
