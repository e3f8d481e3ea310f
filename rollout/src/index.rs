//! The thread index: a SQLite file, `$CODEX_HOME/threads-index.sqlite`, with one row per rollout
//! file, so that listing never re-reads the rollouts.
//!
//! The rollouts are the truth and the index is only a cache of them:
//! - On open, a missing, corrupt or older-schema index is deleted and rebuilt from a scan; if
//!   even that fails (a read-only `$CODEX_HOME`), an in-memory index is used.
//! - Then, and on every [`crate::RolloutStore::repair`], a cheap repair pass walks the session
//!   folders, stats each file, re-reads only files whose size or mtime changed, and drops rows
//!   whose file vanished. That catches files written by another program (the reference) or
//!   changed behind our back.
//! - Our own writers update their row as they append, so a repair finds nothing to do for them.
//!
//! Per file it stores the thread id, path, archived flag, `created_at` (the `session_meta`
//! timestamp), `updated_at` (the file's mtime, in seconds, as the reference's `thread/list`
//! shows), model provider, source, cwd, cli version, git info, preview (the first user message
//! event, which leaves out the injected AGENTS.md and environment context messages) and size +
//! mtime for staleness. A file without a readable `session_meta` gets a row too (with the id of
//! its file name), so it is not re-read until it changes; it is never listed.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufRead;
use std::io::BufReader;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::time::UNIX_EPOCH;

use codex_protocol::ThreadId;
use codex_protocol::protocol::EventMsg;
use codex_protocol::protocol::SessionSource;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use rusqlite::params;
use rusqlite::types::Value as SqlValue;
use serde::Deserialize;
use time::OffsetDateTime;
use time::PrimitiveDateTime;
use time::format_description::well_known::Rfc3339;

use crate::RolloutError;
use crate::line::GitInfo;
use crate::line::RolloutItem;
use crate::line::RolloutLine;
use crate::line::SessionMeta;
use crate::paths;

/// The index's file name in `$CODEX_HOME`.
pub const INDEX_FILE_NAME: &str = "threads-index.sqlite";

/// Bumped whenever the table changes; an index with another version is rebuilt.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    archived INTEGER NOT NULL,
    file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL,
    id TEXT,
    created_at INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL DEFAULT 0,
    model_provider TEXT,
    source_kind TEXT,
    source TEXT,
    cwd TEXT,
    cli_version TEXT,
    git TEXT,
    preview TEXT NOT NULL DEFAULT '',
    has_user_message INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS files_by_created ON files(archived, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS files_by_updated ON files(archived, updated_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS files_by_id ON files(id);
";

const SUMMARY_COLUMNS: &str = "id, path, archived, created_at, updated_at, model_provider, source, cwd, cli_version, git, preview";

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

/// A shared handle on the index connection.
#[derive(Debug, Clone)]
pub(crate) struct Index {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    conn: Connection,
    codex_home: PathBuf,
}

/// A file's size and mtime, which say whether its row is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    size: i64,
    mtime_ns: i64,
}

impl Stamp {
    fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .map(|since| since.as_nanos() as i64)
            .unwrap_or(0);
        Some(Stamp {
            size: meta.len() as i64,
            mtime_ns,
        })
    }

    fn mtime_secs(self) -> i64 {
        self.mtime_ns.div_euclid(1_000_000_000)
    }
}

impl Index {
    /// Opens (or rebuilds) the index and brings it up to date. A broken index file is not an
    /// error; this fails only when SQLite cannot even make an in-memory database.
    pub(crate) fn open(codex_home: &Path) -> Result<Index, RolloutError> {
        let conn = open_connection(codex_home).map_err(RolloutError::Index)?;
        let index = Index {
            inner: Arc::new(Mutex::new(State {
                conn,
                codex_home: codex_home.to_path_buf(),
            })),
        };
        index.repair();
        Ok(index)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        codex_utils_lock::lock(&self.inner)
    }

    /// Re-reads changed files, adds new ones, drops vanished ones.
    pub(crate) fn repair(&self) {
        let mut state = self.lock();
        if let Err(err) = repair(&mut state) {
            tracing::warn!("thread index repair failed, rebuilding it: {err}");
            match rebuild_connection(&state.codex_home) {
                Ok(conn) => state.conn = conn,
                Err(err) => tracing::warn!("thread index rebuild failed: {err}"),
            }
            if let Err(err) = repair(&mut state) {
                tracing::warn!("thread index rebuild failed: {err}");
            }
        }
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
        let result = state.conn.execute(
            "UPDATE files SET path = ?2, archived = ?3 WHERE path = ?1",
            params![path_text(from), path_text(to), archived],
        );
        if let Err(err) = result {
            tracing::warn!("thread index update failed for {}: {err}", to.display());
        }
    }

    /// One page. An index that breaks while in use (its file corrupted or deleted under us) is
    /// rebuilt from the rollouts and asked again, so the caller never sees it.
    pub(crate) fn list(&self, query: &ListQuery) -> Result<Page, RolloutError> {
        let mut state = self.lock();
        match list(&state.conn, query) {
            Err(RolloutError::Index(err)) => {
                tracing::warn!("thread index failed while listing, rebuilding it: {err}");
                state.conn = rebuild_connection(&state.codex_home).map_err(RolloutError::Index)?;
                repair(&mut state).map_err(RolloutError::Index)?;
                list(&state.conn, query)
            }
            other => other,
        }
    }
}

fn open_connection(codex_home: &Path) -> Result<Connection, rusqlite::Error> {
    match try_open(&codex_home.join(INDEX_FILE_NAME)) {
        Ok(conn) => Ok(conn),
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
            let conn = Connection::open_in_memory()?;
            conn.execute_batch(SCHEMA)?;
            Ok(conn)
        }
    }
}

fn try_open(path: &Path) -> Result<Connection, rusqlite::Error> {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |row| row.get(0))?;
    if check != "ok" {
        return Err(rusqlite::Error::InvalidQuery);
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let has_table: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'files'",
        [],
        |row| row.get(0),
    )?;
    if has_table && version != SCHEMA_VERSION {
        return Err(rusqlite::Error::InvalidQuery);
    }
    // WAL with NORMAL sync: an update per appended line costs no fsync, and a crash can lose
    // only the newest updates, which the next repair pass recovers from the rollouts.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(conn)
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn repair(state: &mut State) -> Result<(), rusqlite::Error> {
    let on_disk = paths::walk_rollouts(&state.codex_home);
    let tx = state.conn.transaction()?;
    let mut known: HashMap<String, (Stamp, bool)> = HashMap::new();
    {
        let mut stmt = tx.prepare("SELECT path, file_size, file_mtime_ns, archived FROM files")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                Stamp {
                    size: row.get(1)?,
                    mtime_ns: row.get(2)?,
                },
                row.get::<_, bool>(3)?,
            ))
        })?;
        for row in rows {
            let (path, stamp, archived) = row?;
            known.insert(path, (stamp, archived));
        }
    }
    for (path, archived) in on_disk {
        let key = path_text(&path);
        let Some(stamp) = Stamp::of(&path) else {
            continue;
        };
        if known.remove(&key) == Some((stamp, archived)) {
            continue;
        }
        let scanned = scan(&path);
        upsert(&tx, &key, archived, stamp, scanned.as_ref())?;
    }
    for gone in known.keys() {
        tx.execute("DELETE FROM files WHERE path = ?1", params![gone])?;
    }
    tx.commit()
}

/// What a scan of one rollout found.
struct Scanned {
    meta: SessionMeta,
    preview: Option<String>,
}

/// Reads a rollout up to its first user message. Unreadable lines are skipped.
fn scan(path: &Path) -> Option<Scanned> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "type")]
        kind: String,
        payload: HeadPayload,
    }
    #[derive(Deserialize)]
    struct HeadPayload {
        #[serde(rename = "type")]
        kind: Option<String>,
        message: Option<serde_json::Value>,
    }

    let file = File::open(path).ok()?;
    let mut reader = BufReader::new(file);
    let mut meta = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Ok(head) = serde_json::from_slice::<Head>(&buf) else {
            continue;
        };
        match (head.kind.as_str(), head.payload.kind.as_deref()) {
            ("session_meta", _) if meta.is_none() => {
                if let Ok(line) = serde_json::from_slice::<RolloutLine>(&buf)
                    && let RolloutItem::SessionMeta(found) = line.item
                {
                    meta = Some(found);
                }
            }
            ("event_msg", Some("user_message")) => {
                let preview = match head.payload.message {
                    Some(serde_json::Value::String(text)) => text,
                    _ => String::new(),
                };
                return meta.map(|meta| Scanned {
                    meta,
                    preview: Some(preview),
                });
            }
            _ => {}
        }
    }
    meta.map(|meta| Scanned {
        meta,
        preview: None,
    })
}

fn created_at(meta: &SessionMeta, path: &Path) -> i64 {
    if let Ok(at) = OffsetDateTime::parse(&meta.timestamp, &Rfc3339) {
        return at.unix_timestamp();
    }
    path.file_name()
        .and_then(|name| name.to_str())
        .and_then(paths::parse_file_name)
        .map(|(stamp, _)| stamp.assume_utc().unix_timestamp())
        .unwrap_or(0)
}

fn upsert(
    conn: &Connection,
    path: &str,
    archived: bool,
    stamp: Stamp,
    scanned: Option<&Scanned>,
) -> Result<(), rusqlite::Error> {
    conn.execute("DELETE FROM files WHERE path = ?1", params![path])?;
    let Some(Scanned { meta, preview }) = scanned else {
        // The id from the file name still lets `find` report what is wrong with the file.
        let id = Path::new(path)
            .file_name()
            .and_then(|name| name.to_str())
            .and_then(paths::parse_file_name)
            .map(|(_, id)| id.to_string());
        conn.execute(
            "INSERT INTO files (path, archived, file_size, file_mtime_ns, id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![path, archived, stamp.size, stamp.mtime_ns, id],
        )?;
        return Ok(());
    };
    let source = serde_json::to_string(&meta.source).unwrap_or_default();
    let git = meta
        .git
        .as_ref()
        .and_then(|git| serde_json::to_string(git).ok());
    conn.execute(
        "INSERT INTO files (path, archived, file_size, file_mtime_ns, id, created_at, updated_at,
             model_provider, source_kind, source, cwd, cli_version, git, preview, has_user_message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            path,
            archived,
            stamp.size,
            stamp.mtime_ns,
            meta.id.to_string(),
            created_at(meta, Path::new(path)),
            stamp.mtime_secs(),
            meta.model_provider,
            SourceKind::from(&meta.source).as_str(),
            source,
            path_text(&meta.cwd),
            meta.cli_version,
            git,
            preview.clone().unwrap_or_default(),
            preview.is_some(),
        ],
    )?;
    Ok(())
}

fn note_append(conn: &Connection, path: &Path, line: &RolloutLine) -> Result<(), rusqlite::Error> {
    let key = path_text(path);
    let Some(stamp) = Stamp::of(path) else {
        return Ok(());
    };
    match &line.item {
        RolloutItem::SessionMeta(meta) => {
            let exists: bool = conn.query_row(
                "SELECT count(*) > 0 FROM files WHERE path = ?1 AND id IS NOT NULL",
                params![key],
                |row| row.get(0),
            )?;
            if !exists {
                let archived = path
                    .parent()
                    .and_then(|dir| dir.file_name())
                    .is_some_and(|name| name == paths::ARCHIVED_DIR);
                let scanned = Scanned {
                    meta: meta.clone(),
                    preview: None,
                };
                return upsert(conn, &key, archived, stamp, Some(&scanned));
            }
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
    conn.execute(
        "UPDATE files SET file_size = ?2, file_mtime_ns = ?3, updated_at = ?4 WHERE path = ?1",
        params![key, stamp.size, stamp.mtime_ns, stamp.mtime_secs()],
    )?;
    Ok(())
}

fn encode_cursor(key: i64, id: &str) -> String {
    let stamp = OffsetDateTime::from_unix_timestamp(key)
        .ok()
        .and_then(|at| at.format(paths::FILE_TIMESTAMP).ok())
        .unwrap_or_default();
    format!("{stamp}|{id}")
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), RolloutError> {
    let invalid = || RolloutError::InvalidCursor(cursor.to_string());
    let (stamp, id) = cursor.split_once('|').ok_or_else(invalid)?;
    let stamp = PrimitiveDateTime::parse(stamp, paths::FILE_TIMESTAMP).map_err(|_| invalid())?;
    let id: ThreadId = id.parse().map_err(|_| invalid())?;
    Ok((stamp.assume_utc().unix_timestamp(), id.to_string()))
}

fn list(conn: &Connection, query: &ListQuery) -> Result<Page, RolloutError> {
    let column = match query.sort_key {
        SortKey::CreatedAt => "created_at",
        SortKey::UpdatedAt => "updated_at",
    };
    let mut sql = format!(
        "SELECT {SUMMARY_COLUMNS}, {column} FROM files
         WHERE id IS NOT NULL AND has_user_message = 1 AND archived = ?"
    );
    let mut args: Vec<SqlValue> = vec![SqlValue::Integer(i64::from(query.archived))];
    let mut any_of = |sql: &mut String, column: &str, values: Vec<String>| {
        if values.is_empty() {
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        sql.push_str(&format!(" AND {column} IN ({marks})"));
        args.extend(values.into_iter().map(SqlValue::Text));
    };
    if let Some(providers) = &query.model_providers {
        any_of(&mut sql, "model_provider", providers.clone());
    }
    if let Some(kinds) = &query.source_kinds {
        let kinds = kinds.iter().map(|kind| kind.as_str().to_string()).collect();
        any_of(&mut sql, "source_kind", kinds);
    }
    if let Some(cwd) = &query.cwd {
        sql.push_str(" AND cwd = ?");
        args.push(SqlValue::Text(path_text(cwd)));
    }
    if let Some(cursor) = &query.cursor {
        let (key, id) = decode_cursor(cursor)?;
        sql.push_str(&format!(" AND ({column} < ? OR ({column} = ? AND id < ?))"));
        args.extend([
            SqlValue::Integer(key),
            SqlValue::Integer(key),
            SqlValue::Text(id),
        ]);
    }
    let limit = query.limit.max(1);
    sql.push_str(&format!(" ORDER BY {column} DESC, id DESC LIMIT ?"));
    args.push(SqlValue::Integer(limit as i64 + 1));

    let mut stmt = conn.prepare(&sql).map_err(RolloutError::Index)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |row| {
            Ok((summary_from_row(row)?, row.get::<_, i64>(11)?))
        })
        .map_err(RolloutError::Index)?;
    let mut items = Vec::new();
    let mut keys = Vec::new();
    for row in rows {
        let (summary, key) = row.map_err(RolloutError::Index)?;
        if let Some(summary) = summary {
            items.push(summary);
            keys.push(key);
        }
    }
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items
            .last()
            .zip(keys.get(limit - 1))
            .map(|(last, key)| encode_cursor(*key, &last.id.to_string()))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// A row as a summary; `None` (and a warning) if the row holds something unreadable.
fn summary_from_row(row: &rusqlite::Row<'_>) -> Result<Option<ThreadSummary>, rusqlite::Error> {
    let id: String = row.get(0)?;
    let Ok(id) = id.parse::<ThreadId>() else {
        tracing::warn!("thread index holds an invalid id {id:?}");
        return Ok(None);
    };
    let source: Option<String> = row.get(6)?;
    let source = source
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(SessionSource::Unknown);
    let git: Option<String> = row.get(9)?;
    Ok(Some(ThreadSummary {
        id,
        path: PathBuf::from(row.get::<_, String>(1)?),
        archived: row.get(2)?,
        created_at: row.get(3)?,
        updated_at: row.get(4)?,
        model_provider: row.get(5)?,
        source,
        cwd: PathBuf::from(row.get::<_, Option<String>>(7)?.unwrap_or_default()),
        cli_version: row.get::<_, Option<String>>(8)?.unwrap_or_default(),
        git: git.and_then(|text| serde_json::from_str(&text).ok()),
        preview: row.get(10)?,
    }))
}
