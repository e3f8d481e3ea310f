//! The index as the store holds it: opened by the first thing that needs it (a list, a lookup by
//! id, a repair), not by the store. A process that only writes rollouts, such as a server whose
//! client starts threads but never lists them, then never runs SQLite, and keeps its code,
//! caches and thread out of memory.
//!
//! A closed index needs no word of what this process writes. A rollout it creates changes its
//! folder, which catching up re-lists when the index opens; a rollout it appends to otherwise
//! was found through the index (a resume), which opened it. And a row another process recorded
//! in between is younger than the hour within which every refresh stats files, or else the
//! sweep after opening finds the change.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use super::Index;
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
    index: Mutex<Option<Index>>,
}

impl LazyIndex {
    /// An index for `codex_home` that opens, catching up in the background, when first needed.
    pub(crate) fn new(codex_home: PathBuf) -> LazyIndex {
        LazyIndex::with(codex_home, None)
    }

    /// An index opened already.
    pub(crate) fn opened(codex_home: PathBuf, index: Index) -> LazyIndex {
        LazyIndex::with(codex_home, Some(index))
    }

    fn with(codex_home: PathBuf, index: Option<Index>) -> LazyIndex {
        LazyIndex {
            shared: Arc::new(Shared {
                codex_home,
                index: Mutex::new(index),
            }),
        }
    }

    /// The index, opened now (see [`Index::open_in_background`]) unless it is open already.
    pub(crate) fn get(&self) -> Result<Index, RolloutError> {
        let mut slot = codex_utils_lock::lock(&self.shared.index);
        if let Some(index) = &*slot {
            return Ok(index.clone());
        }
        let index = Index::open_in_background(&self.shared.codex_home)?;
        *slot = Some(index.clone());
        Ok(index)
    }

    /// The index if something opened it.
    pub(crate) fn if_open(&self) -> Option<Index> {
        codex_utils_lock::lock(&self.shared.index).clone()
    }

    /// Keeps the row of a file we are writing in step with what was just appended, if the
    /// index is open.
    pub(crate) fn note_append(&self, path: &Path, line: &RolloutLine) {
        if let Some(index) = self.if_open() {
            index.note_append(path, line);
        }
    }
}
