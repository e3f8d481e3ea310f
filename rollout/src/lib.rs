//! Thread persistence on disk, compatible with codex-cli 0.101.0.
//!
//! Every thread is an append-only JSONL "rollout" under
//! `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-YYYY-MM-DDThh-mm-ss-<thread id>.jsonl`, or flat in
//! `$CODEX_HOME/archived_sessions/` once archived, in the reference's line format ([`RolloutLine`]).
//! Thread names live in `$CODEX_HOME/session_index.jsonl`. A SQLite index
//! (`$CODEX_HOME/threads-index.sqlite`) makes listing cheap; it is a cache of the rollouts and is
//! rebuilt or repaired from them whenever it is missing, corrupt or stale, and each list first
//! catches up with rollouts other processes wrote, looking only at folders that changed.
//!
//! ```no_run
//! # fn main() -> Result<(), codex_rollout::RolloutError> {
//! use codex_rollout::{ListQuery, RolloutStore};
//! let store = RolloutStore::open("/home/user/.codex")?;
//! let page = store.list(&ListQuery { limit: 20, ..ListQuery::default() })?;
//! for thread in page.items {
//!     let rollout = store.read(thread.id)?;
//!     let _ = rollout.lines.len();
//! }
//! # Ok(())
//! # }
//! ```

mod error;
mod index;
mod line;
mod names;
mod paths;
mod reader;
mod store;
mod writer;

pub use error::RolloutError;
pub use index::INDEX_FILE_NAME;
pub use index::IndexCounts;
pub use index::ListQuery;
pub use index::Page;
pub use index::SortKey;
pub use index::SourceKind;
pub use index::ThreadSummary;
pub use line::BaseInstructions;
pub use line::CompactedItem;
pub use line::GitInfo;
pub use line::RolloutItem;
pub use line::RolloutLine;
pub use line::SessionMeta;
pub use line::TurnContextItem;
pub use paths::rollout_path;
pub use reader::ItemSpan;
pub use reader::LineTypes;
pub use reader::LoadedRollout;
pub use reader::RolloutItems;
pub use reader::ScannedLine;
pub use reader::ScannedRollout;
pub use reader::Take;
pub use reader::read_rollout;
pub use reader::read_session_meta;
pub use reader::scan_rollout;
pub use reader::scan_rollout_events;
pub use reader::scan_rollout_events_of;
pub use store::RolloutStore;
pub use writer::RolloutWriter;
pub use writer::format_timestamp;
