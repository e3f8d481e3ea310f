//! Bringing the index up to date with what other processes did to the rollouts (the reference,
//! or a second server on the same `$CODEX_HOME`), without reading the whole sessions tree on
//! every list.
//!
//! Each process remembers the mtime of every folder of the tree (`sessions/`, its year, month
//! and day folders, and `archived_sessions/`) as of its last look. Creating, deleting or renaming
//! a file changes its folder's mtime, and a new day folder changes its month folder's, so a
//! refresh stats each remembered folder (a few hundred after years of use), lists only those
//! whose mtime moved, and checks only the files of changed day folders: a file whose size or
//! mtime changed gets its new stamp, and its head is read again (unless it only grew and its
//! row is complete), and rows of vanished files and folders are dropped. A rename by archive/unarchive changes both
//! folders, so it shows too.
//!
//! Appending to a file changes no folder's mtime. Appends are caught by:
//! - our own writers, in any process, which update the shared index file as they append;
//! - the kernel, which reports every write to a file of a watched folder ([`super::watch`]);
//!   every folder that holds rollouts is watched from this process's first look at it;
//! - stat'ing, on every refresh, the files modified within the last [`HOT_WINDOW`]: the threads
//!   being written now, such as one another program just started;
//! - a full sweep (every folder listed, every file stat'ed) at open, on
//!   [`crate::RolloutStore::repair`], and on a list when the last sweep is [`SWEEP_EVERY`] old.
//!
//! A folder that holds rollouts, listed while watched, is not listed again until the kernel
//! reports an entry of it created, deleted or moved (or that it may have missed one), and its
//! files are stat'ed only when reported written; without this, a folder modified within
//! [`RACY`] of a look (the one a thread was just created in) would be listed, and every file
//! written within [`HOT_WINDOW`] stat'ed, at every list.
//!
//! The limit: where folders cannot be watched (another OS, the kernel's watch limit reached, its
//! event queue overflowed), a rollout idle for longer than [`HOT_WINDOW`] and then appended to
//! by another program (the reference resuming an old thread) shows its new `updated_at` only
//! after the next sweep, so up to [`SWEEP_EVERY`] late (an overflow asks for that sweep at
//! once). Its preview does not change (it is the first user message), unless it had none yet.
//!
//! A folder modified within [`RACY`] of a look is listed again at the next one: a file added in
//! the same tick of the file system's clock could leave the folder's mtime as remembered.

use std::collections::HashMap;
use std::collections::HashSet;
use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::Instant;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use rusqlite::Connection;
use rusqlite::TransactionBehavior;
use rusqlite::params;

use super::Index;
use super::IndexCounts;
use super::Stamp;
use super::State;
use super::head;
use super::mtime_ns;
use super::path_text;
use super::restamp;
use super::watch;
use crate::paths;

/// Files modified this recently are stat'ed on every refresh.
pub(super) const HOT_WINDOW: Duration = Duration::from_secs(60 * 60);

/// How old the last full sweep may be before a list does another.
pub(super) const SWEEP_EVERY: Duration = Duration::from_secs(5 * 60);

/// A folder modified this close to a look is not trusted to be unchanged at the next one.
const RACY: Duration = Duration::from_secs(2);

/// Up to this many folders not under watch have their hot files looked up one folder at a time.
const FEW_FOLDERS: usize = 16;

/// `sessions/YYYY/MM/DD`: the depth of the day folders below `sessions/`.
const DAY_DEPTH: usize = 3;

/// The folders of the rollout tree as this process last listed them.
#[derive(Debug, Default)]
pub(super) struct Folders {
    seen: HashMap<PathBuf, Seen>,
}

#[derive(Debug)]
struct Seen {
    /// The folder's mtime when it was listed; `None` when that was too recent to trust.
    mtime_ns: Option<i64>,
    /// The folders inside it; always empty for the folders that hold rollouts, whose files are
    /// remembered by the index itself.
    subfolders: Vec<PathBuf>,
    /// A folder that holds rollouts, listed (and its files stat'ed) while the kernel watched it,
    /// with no entry changed since: the index holds its files as they are, whatever its mtime,
    /// and every later write to them is reported.
    clean: bool,
}

/// A folder that holds rollouts: a day folder or `archived_sessions/`.
#[derive(Debug)]
struct Leaf {
    dir: PathBuf,
    archived: bool,
    mtime_ns: i64,
    /// Its mtime moved since it was last listed, or it never was: its files must be checked.
    changed: bool,
}

/// What a look at the folders found.
struct Look {
    /// Every folder that holds rollouts, saying which changed.
    leaves: Vec<Leaf>,
    /// Folders appeared or vanished, so rows of vanished ones must be looked for.
    reshaped: bool,
}

/// A remembered folder as the `folders` table holds it: its inner folders joined by newlines.
pub(super) struct FolderRow {
    path: String,
    mtime_ns: Option<i64>,
    subfolders: String,
}

impl Folders {
    /// The folders as the last process to look remembered them in the index, so that a new
    /// process re-lists only the folders changed since, not the whole tree. An unreadable table
    /// remembers nothing.
    pub(super) fn load(conn: &Connection) -> Folders {
        let read = || -> Result<HashMap<PathBuf, Seen>, rusqlite::Error> {
            let mut stmt = conn.prepare("SELECT path, mtime_ns, subfolders FROM folders")?;
            let rows = stmt.query_map([], |row| {
                let subfolders: String = row.get(2)?;
                let seen = Seen {
                    mtime_ns: row.get(1)?,
                    subfolders: subfolders
                        .lines()
                        .filter(|line| !line.is_empty())
                        .map(PathBuf::from)
                        .collect(),
                    clean: false,
                };
                Ok((PathBuf::from(row.get::<_, String>(0)?), seen))
            })?;
            rows.collect()
        };
        match read() {
            Ok(seen) => Folders { seen },
            Err(err) => {
                tracing::warn!("cannot read the remembered rollout folders: {err}");
                Folders::default()
            }
        }
    }

    /// What to write to the `folders` table.
    fn rows(&self) -> Vec<FolderRow> {
        self.seen
            .iter()
            .map(|(path, seen)| FolderRow {
                path: path_text(path),
                mtime_ns: seen.mtime_ns,
                subfolders: seen
                    .subfolders
                    .iter()
                    .map(|dir| path_text(dir))
                    .collect::<Vec<_>>()
                    .join("\n"),
            })
            .collect()
    }

    /// Stats every remembered folder and lists the inner ones whose mtime moved.
    fn look(&mut self, codex_home: &Path, now_ns: i64, counts: &mut IndexCounts) -> Look {
        let mut leaves = Vec::new();
        let mut reshaped = false;
        let mut stack = vec![(codex_home.join(paths::SESSIONS_DIR), 0)];
        while let Some((dir, depth)) = stack.pop() {
            let Some(mtime_ns) = folder_mtime(&dir) else {
                reshaped |= self.seen.remove(&dir).is_some();
                continue;
            };
            let seen = self.seen.get(&dir);
            let changed = seen.and_then(|seen| seen.mtime_ns) != Some(mtime_ns);
            if depth == DAY_DEPTH {
                let changed = changed && !seen.is_some_and(|seen| seen.clean);
                leaves.push(Leaf {
                    dir,
                    archived: false,
                    mtime_ns,
                    changed,
                });
                continue;
            }
            let subfolders = match seen {
                Some(seen) if !changed => seen.subfolders.clone(),
                _ => {
                    counts.folders_listed += 1;
                    reshaped = true;
                    match paths::subfolders(&dir) {
                        Ok(found) => {
                            let seen = Seen {
                                mtime_ns: settled(mtime_ns, now_ns),
                                subfolders: found.clone(),
                                clean: false,
                            };
                            if let Some(before) = self.seen.insert(dir.clone(), seen) {
                                self.forget_gone(&before.subfolders, &found);
                            }
                            found
                        }
                        Err(err) => {
                            tracing::warn!("cannot read {}: {err}", dir.display());
                            self.seen.remove(&dir);
                            Vec::new()
                        }
                    }
                }
            };
            stack.extend(subfolders.into_iter().map(|sub| (sub, depth + 1)));
        }
        let archived = codex_home.join(paths::ARCHIVED_DIR);
        match folder_mtime(&archived) {
            Some(mtime_ns) => {
                let seen = self.seen.get(&archived);
                let clean = seen.is_some_and(|seen| seen.clean);
                let changed = seen.and_then(|seen| seen.mtime_ns) != Some(mtime_ns);
                leaves.push(Leaf {
                    dir: archived,
                    archived: true,
                    mtime_ns,
                    changed: changed && !clean,
                });
            }
            None => reshaped |= self.seen.remove(&archived).is_some(),
        }
        Look { leaves, reshaped }
    }

    /// Drops what is remembered under the folders of `before` that are not in `now`.
    fn forget_gone(&mut self, before: &[PathBuf], now: &[PathBuf]) {
        for gone in before.iter().filter(|dir| !now.contains(dir)) {
            self.seen.retain(|dir, _| !dir.starts_with(gone));
        }
    }

    /// Records that the index holds a leaf's files as of the leaf's mtime; `watched`: and the
    /// leaf was watched before they were listed.
    fn remember(&mut self, leaf: &Leaf, now_ns: i64, watched: bool) {
        let seen = Seen {
            mtime_ns: settled(leaf.mtime_ns, now_ns),
            subfolders: Vec::new(),
            clean: watched,
        };
        self.seen.insert(leaf.dir.clone(), seen);
    }

    /// Takes what the kernel reported: a leaf whose entries changed, or that is no longer
    /// watched, is no longer clean; none is when changes may have been missed.
    fn take_report(&mut self, report: &watch::Changes, watcher: &watch::Watcher) {
        for (dir, seen) in &mut self.seen {
            if report.missed || report.folders.contains(dir) || !watcher.watching(dir) {
                seen.clean = false;
            }
        }
    }

    /// Whether `dir` is a clean leaf (see [`Seen::clean`]).
    fn is_clean(&self, dir: &Path) -> bool {
        self.seen.get(dir).is_some_and(|seen| seen.clean)
    }
}

/// A folder's mtime, or `None` if it is gone (or not a folder).
fn folder_mtime(dir: &Path) -> Option<i64> {
    let meta = std::fs::metadata(dir).ok()?;
    meta.is_dir().then(|| mtime_ns(&meta))
}

/// The mtime to remember, unless it is too close to now to rule out a change in the same tick.
/// A future mtime (a skewed clock) is never trusted, which costs a listing, never a miss.
fn settled(mtime_ns: i64, now_ns: i64) -> Option<i64> {
    (mtime_ns < now_ns - RACY.as_nanos() as i64).then_some(mtime_ns)
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_nanos() as i64)
        .unwrap_or(0)
}

/// What a refresh writes to the index.
enum Change {
    /// A new file, or one changed other than by growing: its row with the new stamp and its
    /// head to be read.
    Stat {
        path: String,
        archived: bool,
        stamp: Stamp,
    },
    /// The file only grew since its row was complete: only its size and mtime move.
    Restamp {
        path: String,
        stamp: Stamp,
    },
    Delete {
        path: String,
    },
    DeleteFolder {
        folder: String,
    },
    /// A rollout folder whose files the index now holds as of this mtime.
    Folder {
        folder: String,
        mtime_ns: Option<i64>,
    },
    /// Every folder of the tree as this process knows it, replacing what was remembered.
    Folders(Vec<FolderRow>),
}

/// A row, as far as its staleness goes.
struct Known {
    stamp: Stamp,
    archived: bool,
    /// It has a thread id and a preview, which appending to the file cannot change.
    complete: bool,
}

/// Brings the index up to date: everything when `full`, else only what changed since the last
/// look (see the module docs). Says whether every rollout folder was listed and checked, as a
/// full sweep does. The index is locked only for moments: a folder's files are stat'ed and read
/// unlocked, and each folder's rows are written in a transaction of their own, with the
/// folder's mtime, so a build cut short keeps what it did and a list waits for at most one
/// folder.
pub(super) fn refresh(index: &Index, full: bool) -> Result<bool, rusqlite::Error> {
    let now_ns = now_ns();
    let mut counts = IndexCounts::default();
    let reported;
    let mut fresh = full.then(Folders::default);
    let Look { leaves, reshaped } = {
        let mut state = index.lock();
        let State {
            folders,
            codex_home,
            watcher,
            sweep_soon,
            ..
        } = &mut *state;
        // What the kernel saw since the last look, taken before looking: what happens after
        // is in the next report.
        reported = watcher.changes();
        *sweep_soon |= reported.missed;
        folders.take_report(&reported, watcher);
        fresh
            .as_mut()
            .unwrap_or(folders)
            .look(codex_home, now_ns, &mut counts)
    };
    {
        // Watched before their files are checked, so no later change goes unreported.
        let mut state = index.lock();
        for leaf in &leaves {
            state.watcher.watch(&leaf.dir);
        }
    }
    let mut changed: Vec<&Leaf> = leaves.iter().filter(|leaf| leaf.changed).collect();
    // Newest first, where lists look.
    changed.sort_by(|a, b| b.dir.cmp(&a.dir));
    let mut covered = changed.len() == leaves.len();
    let mut checked = Vec::new();
    for leaf in changed {
        // Rows before files: a row whose file was created before the rows were read is then
        // surely listed, so it is not taken for vanished.
        let folder = path_text(&leaf.dir);
        let mut known = known_rows(&index.lock().conn, "folder = ?1", params![folder])?;
        let files = match paths::rollout_files(&leaf.dir) {
            Ok(files) => files,
            Err(err) => {
                tracing::warn!("cannot read {}: {err}", leaf.dir.display());
                covered = false;
                continue;
            }
        };
        counts.folders_listed += 1;
        let mut changes = Vec::new();
        for path in files {
            let row = known.remove(&path_text(&path));
            changes.extend(check(&mut counts, &path, leaf.archived, row));
        }
        changes.extend(known.into_keys().map(|path| Change::Delete { path }));
        let mtime_ns = settled(leaf.mtime_ns, now_ns);
        changes.push(Change::Folder { folder, mtime_ns });
        let mut state = index.lock();
        apply(&mut state.conn, changes)?;
        let watched = state.watcher.watching(&leaf.dir);
        state.folders.remember(leaf, now_ns, watched);
        if let Some(fresh) = &mut fresh {
            fresh.remember(leaf, now_ns, watched);
        }
        checked.push(leaf);
    }

    let mut state = index.lock();
    // The files being written now, unless their folder's files were all just checked, or
    // the kernel reports every write to them.
    let listed: HashSet<&Path> = checked.iter().map(|leaf| leaf.dir.as_path()).collect();
    let cutoff = now_ns - HOT_WINDOW.as_nanos() as i64;
    // Few folders left to look in (the usual case once every folder was listed under watch):
    // ask for theirs only, rather than walk every hot row of the watched ones.
    let unwatched: Vec<String> = leaves
        .iter()
        .filter(|leaf| !listed.contains(leaf.dir.as_path()) && !state.folders.is_clean(&leaf.dir))
        .map(|leaf| path_text(&leaf.dir))
        .collect();
    let hot = if unwatched.len() <= FEW_FOLDERS {
        let mut hot = HashMap::new();
        for folder in unwatched {
            hot.extend(known_rows(
                &state.conn,
                "folder = ?1 AND file_mtime_ns >= ?2",
                params![folder, cutoff],
            )?);
        }
        hot
    } else {
        known_rows(&state.conn, "file_mtime_ns >= ?1", params![cutoff])?
    };
    let mut changes = Vec::new();
    let mut looked = HashSet::new();
    for (key, row) in hot {
        let path = PathBuf::from(key);
        let known = |dir: &Path| listed.contains(dir) || state.folders.is_clean(dir);
        if path.parent().is_some_and(known) {
            continue;
        }
        changes.extend(check(&mut counts, &path, row.archived, Some(row)));
        looked.insert(path);
    }
    // And the files the kernel saw modified, however old they were.
    for path in reported.files {
        let in_listed = path.parent().is_some_and(|dir| listed.contains(dir));
        if in_listed || looked.contains(&path) || !paths::is_rollout_name(&path) {
            continue;
        }
        let archived = path
            .parent()
            .and_then(|dir| dir.file_name())
            .is_some_and(|name| name == paths::ARCHIVED_DIR);
        let mut row = known_rows(&state.conn, "path = ?1", params![path_text(&path)])?;
        let row = row.remove(&path_text(&path));
        changes.extend(check(&mut counts, &path, archived, row));
    }

    // A folder can only vanish from a folder that changed, so a quiet tree skips this query.
    if reshaped {
        let on_disk: HashSet<String> = leaves.iter().map(|leaf| path_text(&leaf.dir)).collect();
        let mut stmt = state.conn.prepare("SELECT DISTINCT folder FROM files")?;
        let folders = stmt.query_map([], |row| row.get::<_, String>(0))?;
        for folder in folders {
            let folder = folder?;
            if !on_disk.contains(&folder) {
                changes.push(Change::DeleteFolder { folder });
            }
        }
    }
    if let Some(fresh) = fresh {
        state.folders = fresh;
    }
    if reshaped || full {
        // The tree's shape moved: remember it whole, for the next process to start from.
        changes.push(Change::Folders(state.folders.rows()));
    }
    apply(&mut state.conn, changes)?;
    if full {
        state.last_sweep = Some(Instant::now());
        state.sweep_soon = false;
    }
    let total = &mut state.counts;
    total.folders_listed += counts.folders_listed;
    total.files_checked += counts.files_checked;
    total.files_read += counts.files_read;
    tracing::debug!(
        full,
        folders_listed = counts.folders_listed,
        files_checked = counts.files_checked,
        files_read = counts.files_read,
        "thread index refreshed"
    );
    Ok(covered)
}

/// The rows matching `filter` (with `args`), by path.
fn known_rows(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<HashMap<String, Known>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT path, file_size, file_mtime_ns, archived,
             head_read = 1 AND id IS NOT NULL AND has_user_message = 1
         FROM files WHERE {filter}"
    ))?;
    let rows = stmt.query_map(args, |row| {
        let known = Known {
            stamp: Stamp {
                size: row.get(1)?,
                mtime_ns: row.get(2)?,
            },
            archived: row.get(3)?,
            complete: row.get(4)?,
        };
        Ok((row.get::<_, String>(0)?, known))
    })?;
    rows.collect()
}

/// Stats a file and says what its row needs, reading the file only when appending cannot
/// explain the change.
fn check(
    counts: &mut IndexCounts,
    path: &Path,
    archived: bool,
    row: Option<Known>,
) -> Option<Change> {
    counts.files_checked += 1;
    let key = path_text(path);
    let stamp = match Stamp::of(path) {
        Ok(stamp) => stamp,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return row.map(|_| Change::Delete { path: key });
        }
        Err(err) => {
            tracing::warn!("cannot stat {}: {err}", path.display());
            return None;
        }
    };
    match row {
        Some(row) if row.archived == archived && row.stamp == stamp => None,
        Some(row) if row.archived == archived && row.complete && stamp.size >= row.stamp.size => {
            Some(Change::Restamp { path: key, stamp })
        }
        _ => Some(Change::Stat {
            path: key,
            archived,
            stamp,
        }),
    }
}

fn apply(conn: &mut Connection, changes: Vec<Change>) -> Result<(), rusqlite::Error> {
    if changes.is_empty() {
        return Ok(());
    }
    // Take the write lock up front, waiting out another process's writer (the busy timeout),
    // rather than failing when a read transaction cannot be upgraded.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for change in changes {
        match change {
            Change::Stat {
                path,
                archived,
                stamp,
            } => {
                head::stat_row(&tx, Path::new(&path), archived, stamp, true)?;
            }
            Change::Restamp { path, stamp } => restamp(&tx, &path, stamp)?,
            Change::Delete { path } => {
                tx.execute("DELETE FROM files WHERE path = ?1", params![path])?;
            }
            Change::DeleteFolder { folder } => {
                tx.execute("DELETE FROM files WHERE folder = ?1", params![folder])?;
            }
            Change::Folder { folder, mtime_ns } => {
                tx.execute(
                    "INSERT OR REPLACE INTO folders (path, mtime_ns, subfolders)
                     VALUES (?1, ?2, '')",
                    params![folder, mtime_ns],
                )?;
            }
            Change::Folders(rows) => {
                tx.execute("DELETE FROM folders", [])?;
                for row in rows {
                    tx.execute(
                        "INSERT INTO folders (path, mtime_ns, subfolders) VALUES (?1, ?2, ?3)",
                        params![row.path, row.mtime_ns, row.subfolders],
                    )?;
                }
            }
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ListQuery;
    use crate::index::INDEX_FILE_NAME;
    use crate::index::Index;
    use crate::index::watch;
    use pretty_assertions::assert_eq;

    const ID: &str = "01a20b3d-9c0b-7013-ad7f-e4e60e59123d";
    const OTHER_ID: &str = "01a20b3d-9c0b-7013-ad7f-e4e60e59123e";

    fn set_mtime(path: &Path, secs: u64) {
        let at = UNIX_EPOCH + Duration::from_secs(secs);
        std::fs::File::open(path).unwrap().set_modified(at).unwrap();
    }

    /// The lines of a rollout of thread `id` with `messages` user messages.
    fn rollout_text(id: &str, messages: usize) -> String {
        let mut text = format!(
            r#"{{"timestamp":"2020-09-13T12:26:40.000Z","type":"session_meta","payload":{{"id":"{id}","timestamp":"2020-09-13T12:26:40.000Z","cwd":"/w","originator":"t","cli_version":"0.101.0"}}}}"#
        );
        text.push('\n');
        for _ in 0..messages {
            text.push_str(r#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"event_msg","payload":{"type":"user_message","message":"hi","images":[]}}"#);
            text.push('\n');
        }
        text
    }

    /// Writes the rollout of thread `id` into its day folder, as another program would.
    fn write(home: &Path, id: &str, messages: usize) -> PathBuf {
        let day = home.join("sessions/2020/09/13");
        std::fs::create_dir_all(&day).unwrap();
        let path = day.join(format!("rollout-2020-09-13T12-26-40-{id}.jsonl"));
        std::fs::write(&path, rollout_text(id, messages)).unwrap();
        path
    }

    fn listed(index: &Index) -> Vec<(String, i64)> {
        let query = ListQuery {
            limit: 10,
            ..ListQuery::default()
        };
        let page = index.list(&query).unwrap();
        let threads = page.items.iter();
        threads
            .map(|thread| (thread.id.to_string(), thread.updated_at))
            .collect()
    }

    /// A home with one rollout of thread [`ID`], its file and folders untouched for years.
    fn idle_home() -> (tempfile::TempDir, PathBuf) {
        let home = tempfile::tempdir().unwrap();
        let path = write(home.path(), ID, 1);
        set_mtime(&path, LONG_AGO);
        for dir in [
            "sessions/2020/09/13",
            "sessions/2020/09",
            "sessions/2020",
            "sessions",
        ] {
            set_mtime(&home.path().join(dir), LONG_AGO);
        }
        (home, path)
    }

    const LONG_AGO: u64 = 1_600_000_000;

    /// Appends a line as another program would, and sets the file's mtime to `at`.
    fn append_line(path: &Path, at: u64) {
        let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        let line = r#"{"timestamp":"2020-09-13T12:26:42.000Z","type":"event_msg","payload":{"type":"agent_message","message":"later"}}"#;
        std::io::Write::write_all(&mut file, format!("{line}\n").as_bytes()).unwrap();
        file.set_modified(UNIX_EPOCH + Duration::from_secs(at))
            .unwrap();
    }

    #[test]
    fn an_idle_rollout_appended_by_another_program_shows_at_the_next_list() {
        let (home, path) = idle_home();
        let index = Index::open(home.path()).unwrap();
        assert_eq!(listed(&index), [(ID.to_string(), LONG_AGO as i64)]);

        // Long before the hot window, and no folder changed: the kernel's report gives it away.
        append_line(&path, LONG_AGO + 1000);
        let before = index.counts();
        assert_eq!(listed(&index), [(ID.to_string(), LONG_AGO as i64 + 1000)]);
        let after = index.counts();
        assert_eq!(after.files_checked - before.files_checked, 1);
        assert_eq!(
            after.files_read, before.files_read,
            "grown, so only restamped"
        );
    }

    #[test]
    fn an_append_the_watcher_missed_shows_at_the_next_sweep() {
        let (home, path) = idle_home();
        let index = Index::open(home.path()).unwrap();
        assert_eq!(listed(&index), [(ID.to_string(), LONG_AGO as i64)]);
        // A watcher that watches nothing, as where watching is not possible.
        index.lock().watcher = watch::Watcher::default();

        // Neither its folder nor its recent writes give it away, so it keeps its old updated_at
        // until a sweep (the limit the module docs name).
        append_line(&path, LONG_AGO + 1000);
        index.catch_up();
        assert_eq!(listed(&index), [(ID.to_string(), LONG_AGO as i64)]);

        // A list finds the sweep due and starts it in the background; the list after it shows
        // what it found.
        index.lock().last_sweep = Instant::now().checked_sub(SWEEP_EVERY);
        listed(&index);
        assert!(index.wait_idle(Duration::from_secs(60)));
        assert_eq!(listed(&index), [(ID.to_string(), LONG_AGO as i64 + 1000)]);
        assert_eq!(index.counts().files_read, 1, "grown, so only restamped");
    }

    #[test]
    fn a_folder_just_written_is_listed_again_only_when_its_entries_change() {
        // Everything written now: the folder's mtime is too recent to trust, and every file is
        // within the hot window.
        let home = tempfile::tempdir().unwrap();
        let first = write(home.path(), ID, 1);
        let index = Index::open(home.path()).unwrap();
        let mut ids: Vec<String> = listed(&index).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, [ID]);

        // Nothing changed: the kernel would have said, so no file is stat'ed, and of the
        // folders only those above the day folder (a few entries each) are listed again.
        let before = index.counts();
        listed(&index);
        let after = index.counts();
        assert_eq!(after.files_checked, before.files_checked);
        assert_eq!(after.files_read, before.files_read);
        assert!(
            after.folders_listed - before.folders_listed <= 3,
            "{after:?}"
        );

        // A new file in the same folder, within the same second.
        let second = write(home.path(), OTHER_ID, 1);
        let before = index.counts();
        ids = listed(&index).into_iter().map(|(id, _)| id).collect();
        ids.sort();
        assert_eq!(ids, [ID, OTHER_ID]);
        let after = index.counts();
        assert_eq!(after.files_checked - before.files_checked, 2);
        assert_eq!(after.files_read - before.files_read, 1);

        // Moved out and deleted.
        std::fs::rename(&second, home.path().join("elsewhere.jsonl")).unwrap();
        let ids: Vec<String> = listed(&index).into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, [ID]);
        std::fs::remove_file(&first).unwrap();
        assert_eq!(listed(&index), []);
    }

    #[test]
    fn a_list_waits_out_another_process_holding_the_write_lock() {
        let home = tempfile::tempdir().unwrap();
        write(home.path(), ID, 1);
        let index = Index::open(home.path()).unwrap();
        let file = home.path().join(INDEX_FILE_NAME);

        // Another process writes to the index for a while; meanwhile a rollout appears, so the
        // next list has something to write.
        let mut other = rusqlite::Connection::open(&file).unwrap();
        let lock = other
            .transaction_with_behavior(TransactionBehavior::Exclusive)
            .unwrap();
        lock.execute("CREATE TABLE marker (x)", []).unwrap();
        write(home.path(), OTHER_ID, 1);
        let listing = std::thread::spawn(move || listed(&index));
        std::thread::sleep(Duration::from_millis(300));
        lock.commit().unwrap();
        let mut ids: Vec<String> = listing
            .join()
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ids.sort();
        assert_eq!(ids, [ID, OTHER_ID]);
        // The same file, not one rebuilt over the other process.
        drop(other);
        let reopened = rusqlite::Connection::open(&file).unwrap();
        let marked: bool = reopened
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'marker'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert!(marked);
    }
}
