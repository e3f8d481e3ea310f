//! The thread index: a SQLite file, `$CODEX_HOME/threads-index.sqlite`, with one row per rollout
//! file, so that listing never re-reads the rollouts.
//!
//! The rollouts are the truth and the index is only a cache of them:
//! - On open, a missing, unreadable or older-schema index is deleted and rebuilt from a scan; if
//!   even that fails (a read-only `$CODEX_HOME`), an in-memory index is used. Damage further in
//!   is found by a query (which rebuilds it) or by SQLite's integrity check, which reads the
//!   whole file and so runs after the index is ready, in the background.
//! - Then it catches up with the rollouts: at once ([`Index::open`]), or on a background thread
//!   ([`Index::open_in_background`], what the servers use, once a list or a lookup needs the
//!   index: a process that only writes rollouts never opens it, see [`lazy`]). Catching up
//!   only stats files, a folder per transaction, newest first: a row's sort keys come from its
//!   file's name and mtime, and its head (the `session_meta` fields and the first user
//!   message, see [`head`]) is read later, by a page that needs it ([`page`]) or by the
//!   background fill ([`fill`]). Until the fill is done, lists are answered from the newest
//!   rollout files when a few of them give the page ([`newest`]), and wait for the stats
//!   otherwise. The index remembers every folder's mtime as of the last look of any process
//!   (the `folders` table), so a new process re-lists only the folders changed since.
//! - A full repair pass (a sweep) walks the session folders, stats each file, marks the head of
//!   a file that changed other than by growing as unread, and drops rows whose file vanished:
//!   after the first catch-up, on [`crate::RolloutStore::repair`], and in the background every
//!   [`refresh::SWEEP_EVERY`].
//! - Every list (and a lookup miss) first catches up with what other processes (the reference,
//!   or a second server on the same `$CODEX_HOME`) did since the last look, re-listing only the
//!   folders whose entries changed and stat'ing only the files the kernel saw modified;
//!   [`refresh`] says how, and what it cannot see at once.
//! - Our own writers update their row as they append, so a repair finds nothing to do for them.
//! - Several processes may hold the index open: SQLite locks the file, every connection waits
//!   out another's write lock (a busy timeout), writes that follow reads take the lock up front,
//!   and a busy index is never mistaken for a corrupt one (which would be deleted).
//!
//! Per file it stores the path, archived flag, size + mtime for staleness, the start time its
//! name carries (creation order, as the reference sorts: by file name), `updated_at` (the file's
//! mtime, in seconds, as the reference's `thread/list` shows) and the thread id (its name's,
//! then its `session_meta`'s); once the head is read, `created_at` (the `session_meta`
//! timestamp), model provider, source, cwd, cli version, git info and preview (the first user
//! message event, which leaves out the injected AGENTS.md and environment context messages). A
//! file without a readable `session_meta` keeps its row (with the id of its file name), so it
//! is not re-read until it changes; it is never listed.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Condvar;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::Duration;
use std::time::Instant;
use std::time::UNIX_EPOCH;

use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SessionSource;
use rusqlite::Connection;
use rusqlite::ErrorCode;
use rusqlite::OpenFlags;
use rusqlite::OptionalExtension;
use rusqlite::TransactionBehavior;
use rusqlite::params;
use time::OffsetDateTime;
use time::PrimitiveDateTime;

use crate::RolloutError;
use crate::line::GitInfo;
use crate::line::RolloutItem;
use crate::line::RolloutLine;
use crate::paths;

pub(crate) use lazy::LazyIndex;

mod fill;
mod head;
mod lazy;
mod newest;
mod page;
mod refresh;
#[cfg(test)]
mod test_rollouts;
mod watch;

/// The index's file name in `$CODEX_HOME`.
pub const INDEX_FILE_NAME: &str = "threads-index.sqlite";

/// Bumped whenever the table changes; an index with another version is rebuilt.
///
/// The sorted indexes hold only the sort key and the id, none of what reading a head changes,
/// so that writing a head rewrites the row and not also its entries in both orders (a page
/// checks its filters on the rows it reads anyway).
const SCHEMA_VERSION: i64 = 7;

/// How many pages the write-ahead log may hold before a commit copies it into the file (about
/// 40 MB; SQLite's default is 1,000).
const WAL_PAGES_BEFORE_CHECKPOINT: i64 = 10_000;

/// How long a connection waits for another process's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    folder TEXT NOT NULL,
    archived INTEGER NOT NULL,
    file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL,
    file_stamp INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    id TEXT,
    head_read INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT 0,
    model_provider TEXT,
    source_kind TEXT,
    source TEXT,
    cwd TEXT,
    cli_version TEXT,
    git TEXT,
    preview TEXT NOT NULL DEFAULT '',
    has_user_message INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS folders (
    path TEXT PRIMARY KEY,
    mtime_ns INTEGER,
    subfolders TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_by_stamp ON files(archived, file_stamp DESC, id DESC);
CREATE INDEX IF NOT EXISTS files_by_updated ON files(archived, updated_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS files_by_id ON files(id);
CREATE INDEX IF NOT EXISTS files_by_folder ON files(folder, file_mtime_ns);
CREATE INDEX IF NOT EXISTS files_by_mtime ON files(file_mtime_ns);
CREATE INDEX IF NOT EXISTS files_unread ON files(file_stamp DESC, id DESC) WHERE head_read = 0;
";

/// Which key a listing is sorted by (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    CreatedAt,
    UpdatedAt,
}

/// The kind of client or process that started a thread, for filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Cli,
    Vscode,
    Exec,
    Mcp,
    SubAgent,
    Unknown,
}

impl SourceKind {
    fn as_str(self) -> &'static str {
        match self {
            SourceKind::Cli => "cli",
            SourceKind::Vscode => "vscode",
            SourceKind::Exec => "exec",
            SourceKind::Mcp => "mcp",
            SourceKind::SubAgent => "subagent",
            SourceKind::Unknown => "unknown",
        }
    }
}

impl From<&SessionSource> for SourceKind {
    fn from(source: &SessionSource) -> Self {
        match source {
            SessionSource::Cli => SourceKind::Cli,
            SessionSource::Vscode => SourceKind::Vscode,
            SessionSource::Exec => SourceKind::Exec,
            SessionSource::Mcp => SourceKind::Mcp,
            SessionSource::Subagent(_) => SourceKind::SubAgent,
            SessionSource::Unknown => SourceKind::Unknown,
        }
    }
}

/// One page request. Like the reference, only threads with at least one user message are
/// listed (a thread that was started and never used is not shown).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// The `next_cursor` of the previous page, or `None` for the first page.
    pub cursor: Option<String>,
    /// Page size; 0 is read as 1.
    pub limit: usize,
    pub sort_key: SortKey,
    /// Only these providers; `None` or empty means any.
    pub model_providers: Option<Vec<String>>,
    /// Only these sources; `None` or empty means any.
    pub source_kinds: Option<Vec<SourceKind>>,
    /// Archived threads instead of live ones.
    pub archived: bool,
    /// Only threads started in exactly this directory.
    pub cwd: Option<PathBuf>,
}

/// A page of threads, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<ThreadSummary>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// What the index knows of a thread: enough for `thread/list` without opening the rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub path: PathBuf,
    pub archived: bool,
    /// Unix seconds of the `session_meta` timestamp.
    pub created_at: i64,
    /// Unix seconds of the file's last modification.
    pub updated_at: i64,
    pub model_provider: Option<String>,
    pub source: SessionSource,
    pub cwd: PathBuf,
    pub cli_version: String,
    pub git: Option<GitInfo>,
    /// The first user message, or empty.
    pub preview: String,
}

/// What the index has done to stay up to date since the store was opened: for tests and
/// diagnostics, to see that a list looks at what changed rather than at every file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexCounts {
    /// Folders whose entries were listed.
    pub folders_listed: u64,
    /// Rollout files stat'ed.
    pub files_checked: u64,
    /// Rollout files opened and read.
    pub files_read: u64,
}

/// A shared handle on the index connection.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    inner: Arc<Mutex<State>>,
    progress: Arc<Progress>,
    codex_home: Arc<PathBuf>,
    /// The folder listings of the pages answered from the files, until the first build has
    /// read the heads; dropped then.
    listings: Arc<Mutex<newest::Listings>>,
}

#[derive(Debug)]
struct State {
    conn: Connection,
    codex_home: PathBuf,
    /// The rollout folders as last listed, so a refresh re-lists only changed ones.
    folders: refresh::Folders,
    /// When the last full repair ran; `None` before the first one succeeded.
    last_sweep: Option<Instant>,
    /// Changes may have been missed (the watcher's queue overflowed): sweep at the next list.
    sweep_soon: bool,
    watcher: watch::Watcher,
    counts: IndexCounts,
}

/// Where the background work on the index stands.
#[derive(Debug, Default)]
struct Progress {
    flags: Mutex<Flags>,
    changed: Condvar,
}

#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    /// The index has caught up with the rollouts at least once since it was opened: every
    /// file has its row, though not every row its head.
    ready: bool,
    /// Work runs on a background thread: the first build (catching up, reading the heads,
    /// sweeping) or a later sweep.
    working: bool,
    /// The first build has read the heads it found unread (or ended without). Until then the
    /// newest rows' heads are mostly unread, and a page from the files costs less than one
    /// that reads and writes heads in the index while the build writes there too.
    filled: bool,
}

impl Progress {
    fn flags(&self) -> Flags {
        *codex_utils_lock::lock(&self.flags)
    }

    fn update(&self, change: impl FnOnce(&mut Flags)) {
        change(&mut codex_utils_lock::lock(&self.flags));
        self.changed.notify_all();
    }

    /// Waits until `done` holds.
    fn wait(&self, done: impl Fn(Flags) -> bool) {
        let mut flags = codex_utils_lock::lock(&self.flags);
        while !done(*flags) {
            flags = match self.changed.wait(flags) {
                Ok(flags) => flags,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
    }

    /// Waits until `done` holds or `limit` has passed; says whether it holds.
    fn wait_for(&self, limit: Duration, done: impl Fn(Flags) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut flags = codex_utils_lock::lock(&self.flags);
        while !done(*flags) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            flags = match self.changed.wait_timeout(flags, left) {
                Ok((flags, _)) => flags,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        true
    }
}

/// Marks the index ready when dropped, so a background build that panics never leaves a list
/// waiting for it.
struct ReadyOnDrop(Arc<Progress>);

impl Drop for ReadyOnDrop {
    fn drop(&mut self) {
        self.0.update(|flags| flags.ready = true);
    }
}

/// Ends background work when dropped, however it ends (a build that panics while reading
/// heads leaves none for the pages to wait on either).
struct IdleOnDrop(Arc<Progress>);

impl Drop for IdleOnDrop {
    fn drop(&mut self) {
        self.0.update(|flags| {
            flags.working = false;
            flags.filled = true;
        });
    }
}

/// A file's size and mtime, which say whether its row is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: i64,
    mtime_ns: i64,
}

impl Stamp {
    fn of(path: &Path) -> std::io::Result<Stamp> {
        Ok(Stamp::of_metadata(&std::fs::metadata(path)?))
    }

    fn of_metadata(meta: &std::fs::Metadata) -> Stamp {
        Stamp {
            size: meta.len() as i64,
            mtime_ns: mtime_ns(meta),
        }
    }

    fn mtime_secs(self) -> i64 {
        self.mtime_ns.div_euclid(1_000_000_000)
    }
}

/// A file's or folder's mtime in nanoseconds since the epoch; 0 if the platform has none.
fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
        .map(|since| since.as_nanos() as i64)
        .unwrap_or(0)
}

/// Another connection holds the lock for longer than the busy timeout: the index is fine, only
/// busy, and must not be rebuilt (deleted) over it.
fn is_busy(err: &rusqlite::Error) -> bool {
    matches!(
        err.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

impl Index {
    /// Opens (or rebuilds) the index and brings it up to date. A broken index file is not an
    /// error; this fails only when SQLite cannot even make an in-memory database.
    pub(crate) fn open(codex_home: &Path) -> Result<Index, RolloutError> {
        let index = Index::connect_sharing(codex_home, Arc::default())?;
        index.check_integrity();
        index.repair();
        fill::fill(&index);
        index.progress.update(|flags| {
            flags.ready = true;
            flags.filled = true;
        });
        Ok(index)
    }

    /// Has a background thread catch up with the rollouts (then read the heads, then sweep);
    /// lists meanwhile are answered from the newest rollout files when they can be (see
    /// [`newest`]).
    fn build_in_background(&self) {
        let worker = self.clone();
        let spawned = std::thread::Builder::new()
            .name(BUILD_THREAD.to_string())
            .spawn(move || {
                yield_to_requests();
                worker.build();
            });
        if let Err(err) = spawned {
            tracing::warn!("cannot start the thread index worker, indexing now: {err}");
            self.build();
        }
    }

    #[cfg(test)]
    fn connect(codex_home: &Path) -> Result<Index, RolloutError> {
        Index::connect_sharing(codex_home, Arc::default())
    }

    /// Opens the index file (making it if need be), with `listings` for its pages from the
    /// files.
    fn connect_sharing(
        codex_home: &Path,
        listings: Arc<Mutex<newest::Listings>>,
    ) -> Result<Index, RolloutError> {
        let conn = open_connection(codex_home).map_err(RolloutError::Index)?;
        let folders = refresh::Folders::load(&conn);
        Ok(Index {
            inner: Arc::new(Mutex::new(State {
                conn,
                codex_home: codex_home.to_path_buf(),
                folders,
                last_sweep: None,
                sweep_soon: false,
                watcher: watch::Watcher::default(),
                counts: IndexCounts::default(),
            })),
            progress: Arc::new(Progress::default()),
            codex_home: Arc::new(codex_home.to_path_buf()),
            listings,
        })
    }

    /// The background build: catch up from what the index remembers (its folders as of the
    /// last look of any process), say it is ready, read the heads, then sweep unless catching
    /// up already looked at every file.
    fn build(&self) {
        let ready = ReadyOnDrop(Arc::clone(&self.progress));
        self.progress.update(|flags| flags.working = true);
        let idle = IdleOnDrop(Arc::clone(&self.progress));
        // Another process holding the index's write lock for long must not make this one
        // answer from a half-built index: wait it out a while (each try waits the busy timeout).
        let mut covered = None;
        for _ in 0..BUILD_TRIES {
            covered = catch_up_once(self);
            if covered.is_some() {
                break;
            }
        }
        let covered = covered.unwrap_or(false);
        drop(ready);
        // After the index is ready: the check reads the whole file (60 ms at 100k threads), and
        // the pages read meanwhile fail on a broken index anyway, which rebuilds it.
        let covered = covered && !self.check_integrity();
        fill::fill(self);
        self.progress.update(|flags| flags.filled = true);
        *codex_utils_lock::lock(&self.listings) = newest::Listings::default();
        if covered {
            self.lock().last_sweep = Some(Instant::now());
        } else {
            up_to_date(self, true);
            fill::fill(self);
        }
        checkpoint(&self.codex_home);
        drop(idle);
    }

    /// Rebuilds the index, empty, if SQLite finds it damaged; says whether it did. Opening reads
    /// only the header and the schema, so damage further in is found here (or by a query).
    fn check_integrity(&self) -> bool {
        let mut state = self.lock();
        let check = state
            .conn
            .query_row("PRAGMA quick_check", [], |row| row.get::<_, String>(0));
        match check {
            Ok(answer) if answer == "ok" => return false,
            Err(err) if is_busy(&err) => return false,
            Ok(answer) => tracing::warn!("thread index damaged, rebuilding it: {answer}"),
            Err(err) => tracing::warn!("thread index unreadable, rebuilding it: {err}"),
        }
        match rebuild_connection(&state.codex_home) {
            Ok(conn) => state.conn = conn,
            Err(err) => tracing::warn!("thread index rebuild failed: {err}"),
        }
        true
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        codex_utils_lock::lock(&self.inner)
    }

    /// Whether the index has caught up with the rollouts since it was opened.
    pub(crate) fn is_ready(&self) -> bool {
        self.progress.flags().ready
    }

    /// Waits for the index to catch up with the rollouts once since it was opened.
    pub(crate) fn wait_ready(&self) {
        self.progress.wait(|flags| flags.ready);
    }

    /// Waits for the background work, if any runs, to end, for at most `limit`; says whether
    /// it ended.
    pub(crate) fn wait_idle(&self, limit: Duration) -> bool {
        self.progress.wait_for(limit, |flags| !flags.working)
    }

    /// Stats every rollout: re-reads changed files, adds new ones, drops vanished ones.
    pub(crate) fn repair(&self) {
        up_to_date(self, true);
    }

    /// Catches up with what other processes did since the last look, looking only at the
    /// folders that changed and the files being written now.
    pub(crate) fn catch_up(&self) {
        up_to_date(self, false);
    }

    /// Starts a full sweep on a background thread when the last one is
    /// [`refresh::SWEEP_EVERY`] old and none runs.
    fn sweep_if_due(&self) {
        let due = {
            let state = self.lock();
            state.sweep_soon
                || state
                    .last_sweep
                    .is_some_and(|at| at.elapsed() >= refresh::SWEEP_EVERY)
        };
        if !due {
            return;
        }
        let mut start = false;
        self.progress.update(|flags| {
            start = flags.ready && !flags.working;
            flags.working |= start;
        });
        if !start {
            return;
        }
        let worker = self.clone();
        let sweep = move || {
            yield_to_requests();
            let _idle = IdleOnDrop(Arc::clone(&worker.progress));
            up_to_date(&worker, true);
            fill::fill(&worker);
        };
        if let Err(err) = std::thread::Builder::new()
            .name("thread-index-sweep".to_string())
            .spawn(sweep)
        {
            tracing::warn!("cannot start a thread index sweep: {err}");
            self.progress.update(|flags| flags.working = false);
        }
    }

    /// What the index has done to stay up to date so far.
    pub(crate) fn counts(&self) -> IndexCounts {
        self.lock().counts
    }

    /// Keeps the row of a file we are writing in step with what was just appended.
    pub(crate) fn note_append(&self, path: &Path, line: &RolloutLine) {
        let state = self.lock();
        if let Err(err) = note_append(&state.conn, path, line) {
            tracing::warn!("thread index update failed for {}: {err}", path.display());
        }
    }

    /// The newest rollout of a thread, live ones first.
    pub(crate) fn find(&self, id: ThreadId) -> Result<Option<(PathBuf, bool)>, RolloutError> {
        let state = self.lock();
        state
            .conn
            .query_row(
                "SELECT path, archived FROM files WHERE id = ?1 ORDER BY archived ASC LIMIT 1",
                params![id.to_string()],
                |row| Ok((PathBuf::from(row.get::<_, String>(0)?), row.get(1)?)),
            )
            .optional()
            .map_err(RolloutError::Index)
    }

    /// Records that a rollout was renamed (archived or unarchived).
    pub(crate) fn moved(&self, from: &Path, to: &Path, archived: bool) {
        let state = self.lock();
        // OR REPLACE: a refresh may have found the file at its new place already.
        let result = state.conn.execute(
            "UPDATE OR REPLACE files SET path = ?2, folder = ?3, archived = ?4 WHERE path = ?1",
            params![path_text(from), path_text(to), folder_text(to), archived],
        );
        if let Err(err) = result {
            tracing::warn!("thread index update failed for {}: {err}", to.display());
        }
    }

    /// One page. Until the first build has read the heads, a page is read from the newest
    /// rollout files if that is cheap ([`newest::page`]), else from the index once it has
    /// caught up (the list waits for that). From the
    /// index, the list first catches up with other processes, then reads the heads it walks
    /// past that are unread ([`page`]); a full sweep runs in the background when the last one
    /// is [`refresh::SWEEP_EVERY`] old. An index that breaks while in use (its file corrupted
    /// or deleted under us) is rebuilt from the rollouts and asked again, so the caller never
    /// sees it.
    pub(crate) fn list(&self, query: &ListQuery) -> Result<Page, RolloutError> {
        let flags = self.progress.flags();
        if !flags.filled {
            if let Some(page) = newest::page(&self.codex_home, query, &self.listings)? {
                return Ok(page);
            }
            if !flags.ready {
                self.wait_ready();
            }
        }
        up_to_date(self, false);
        self.sweep_if_due();
        let answer = page::list(self, query);
        match answer {
            Err(RolloutError::Index(err)) if !is_busy(&err) => {
                tracing::warn!("thread index failed while listing, rebuilding it: {err}");
                self.lock().conn =
                    rebuild_connection(&self.codex_home).map_err(RolloutError::Index)?;
                refresh::refresh(self, true).map_err(RolloutError::Index)?;
                page::list(self, query)
            }
            other => other,
        }
    }
}

/// The name of the thread that builds the index.
const BUILD_THREAD: &str = "thread-index";

/// The nice value of the index's background threads.
const BACKGROUND_NICE: i32 = 10;

/// Lowers the calling thread's priority (on Linux the nice value is the thread's): on a
/// laptop's few cores, a first build reading thousands of rollouts should not slow the
/// answers the server gives meanwhile, the pages read from the files among them.
fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    if let Err(err) = rustix::process::setpriority_process(None, BACKGROUND_NICE) {
        tracing::debug!("cannot lower the thread index worker's priority: {err}");
    }
}

/// How many times a background build tries to catch up while another process keeps the
/// index busy, before it answers from what the index holds.
const BUILD_TRIES: usize = 12;

/// Catches up, like [`up_to_date`], or `None` when the index stayed busy.
fn catch_up_once(index: &Index) -> Option<bool> {
    match refresh::refresh(index, false) {
        Ok(covered) => Some(covered),
        Err(err) if is_busy(&err) => {
            tracing::warn!("thread index busy while catching up, trying again: {err}");
            None
        }
        Err(_) => Some(up_to_date(index, false)),
    }
}

/// Refreshes the index (see [`refresh`]); says whether every rollout folder was looked at. A
/// broken index is rebuilt; a busy one (another process writing for longer than the busy
/// timeout) is left as it is, to catch up at the next look.
fn up_to_date(index: &Index, full: bool) -> bool {
    let err = match refresh::refresh(index, full) {
        Ok(covered) => return covered,
        Err(err) => err,
    };
    if is_busy(&err) {
        tracing::warn!("thread index busy, answering from what it holds: {err}");
        return false;
    }
    tracing::warn!("thread index refresh failed, rebuilding it: {err}");
    match rebuild_connection(&index.codex_home) {
        Ok(conn) => index.lock().conn = conn,
        Err(err) => tracing::warn!("thread index rebuild failed: {err}"),
    }
    match refresh::refresh(index, true) {
        Ok(covered) => covered,
        Err(err) => {
            tracing::warn!("thread index rebuild failed: {err}");
            false
        }
    }
}

/// Copies the write-ahead log into the index file, through a connection of its own: a
/// checkpoint syncs the file (10 ms and more), and lists must not wait for it behind the shared
/// connection's lock. Nothing to do for an index in memory (this then finds no file to open).
fn checkpoint(codex_home: &Path) {
    let path = codex_home.join(INDEX_FILE_NAME);
    let done =
        Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_WRITE).and_then(|conn| {
            conn.busy_timeout(BUSY_TIMEOUT)?;
            conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
        });
    if let Err(err) = done {
        tracing::debug!("thread index checkpoint failed: {err}");
    }
}

fn open_connection(codex_home: &Path) -> Result<Connection, rusqlite::Error> {
    match try_open(&codex_home.join(INDEX_FILE_NAME)) {
        Ok(conn) => Ok(conn),
        Err(err) if is_busy(&err) => {
            // Another process holds the file; deleting it would pull it from under that one.
            tracing::warn!("thread index busy, indexing in memory: {err}");
            in_memory()
        }
        Err(err) => {
            tracing::warn!("thread index unusable, rebuilding it: {err}");
            rebuild_connection(codex_home)
        }
    }
}

/// Deletes the index file and starts an empty one; in memory if the file cannot be made.
fn rebuild_connection(codex_home: &Path) -> Result<Connection, rusqlite::Error> {
    let path = codex_home.join(INDEX_FILE_NAME);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    match try_open(&path) {
        Ok(conn) => Ok(conn),
        Err(err) => {
            tracing::warn!(
                "cannot create {}, indexing in memory: {err}",
                path.display()
            );
            in_memory()
        }
    }
}

fn in_memory() -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open_in_memory()?;
    stable_plans(&conn)?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Keeps each statement's plan whatever is bound to it. Otherwise SQLite plans a statement
/// again whenever a value its plan may depend on is bound anew (a `LIMIT ?`), which cost a
/// page more than reading its rows.
fn stable_plans(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

fn try_open(path: &Path) -> Result<Connection, rusqlite::Error> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    stable_plans(&conn)?;
    // WAL with NORMAL sync: an update per appended line costs no fsync, and a crash can lose
    // only the newest updates, which the next repair pass recovers from the rollouts.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // A checkpoint copies the log into the file and syncs it (10 ms and more) inside whichever
    // commit crosses the threshold, and a page waits for it behind the index's lock: with the
    // default 1,000 pages, twice while a fresh server lists 2,000 new threads. The background
    // build checkpoints when it is done instead.
    conn.pragma_update(None, "wal_autocheckpoint", WAL_PAGES_BEFORE_CHECKPOINT)?;
    // One transaction for the check and the creation, so a process opening the file while
    // another creates it sees either no table or the table with its version, never a table
    // without one (which it would take for an old schema and delete).
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let has_table: bool = tx.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'files'",
        [],
        |row| row.get(0),
    )?;
    if has_table && version != SCHEMA_VERSION {
        return Err(rusqlite::Error::InvalidQuery);
    }
    tx.execute_batch(SCHEMA)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(conn)
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The folder a row's file is in, as the `folder` column spells it.
fn folder_text(path: &Path) -> String {
    path.parent().map(path_text).unwrap_or_default()
}

/// Moves a row's size, mtime and `updated_at` to the file's new ones.
fn restamp(conn: &Connection, path: &str, stamp: Stamp) -> Result<(), rusqlite::Error> {
    conn.execute(
        "UPDATE files SET file_size = ?2, file_mtime_ns = ?3, updated_at = ?4 WHERE path = ?1",
        params![path, stamp.size, stamp.mtime_ns, stamp.mtime_secs()],
    )?;
    Ok(())
}

fn note_append(conn: &Connection, path: &Path, line: &RolloutLine) -> Result<(), rusqlite::Error> {
    let key = path_text(path);
    let Ok(stamp) = Stamp::of(path) else {
        return Ok(());
    };
    match &line.item {
        RolloutItem::SessionMeta(meta) => {
            let archived = path
                .parent()
                .and_then(|dir| dir.file_name())
                .is_some_and(|name| name == paths::ARCHIVED_DIR);
            let scanned = head::Scanned::new(meta, path, None);
            head::insert_known(conn, path, archived, stamp, &scanned)?;
        }
        RolloutItem::EventMsg(EventMsg::UserMessage(event)) => {
            conn.execute(
                "UPDATE files SET preview = ?2, has_user_message = 1
                 WHERE path = ?1 AND has_user_message = 0",
                params![key, event.message],
            )?;
        }
        _ => {}
    }
    restamp(conn, &key, stamp)
}

fn encode_cursor(key: i64, id: &str) -> String {
    let stamp = OffsetDateTime::from_unix_timestamp(key)
        .ok()
        .and_then(|at| at.format(paths::FILE_TIMESTAMP).ok())
        .unwrap_or_default();
    format!("{stamp}|{id}")
}

fn decode_cursor(cursor: &str) -> Result<(i64, ThreadId), RolloutError> {
    let invalid = || RolloutError::InvalidCursor(cursor.to_string());
    let (stamp, id) = cursor.split_once('|').ok_or_else(invalid)?;
    let stamp = PrimitiveDateTime::parse(stamp, paths::FILE_TIMESTAMP).map_err(|_| invalid())?;
    let id: ThreadId = id.parse().map_err(|_| invalid())?;
    Ok((stamp.assume_utc().unix_timestamp(), id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_past_the_header_is_found_after_opening_and_the_index_rebuilt() {
        let home = tempfile::tempdir().unwrap();
        for n in 0..200 {
            test_rollouts::write(
                home.path(),
                1_700_000_000 + i64::from(n),
                n,
                "p",
                Some("hi"),
            );
        }
        drop(Index::open(home.path()).unwrap());
        let file = home.path().join(INDEX_FILE_NAME);
        let mut bytes = std::fs::read(&file).unwrap();
        assert!(bytes.len() > 4 * 4096, "a small index: {}", bytes.len());
        bytes[4096..].fill(0xAB);
        std::fs::write(&file, bytes).unwrap();

        let index = Index::connect(home.path()).unwrap();
        assert!(index.check_integrity(), "the damage went unseen");
        assert!(!index.check_integrity(), "the rebuilt index is damaged");
    }
}
