//! The heads of rollouts: what listing needs from a file's first lines (its `session_meta` and
//! its first user message), read once per file and kept in its row.
//!
//! A row is made in two steps. A stat of the file gives what orders the listings (its name's
//! start time and thread id, its mtime as `updated_at`), so whole folders are indexed quickly;
//! its head is read later ([`read`]): by the page that needs it ([`super::page`]) or by the
//! background fill ([`super::fill`]), whichever comes first. `head_read` says which rows have
//! it.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::fs::File;
use std::io::ErrorKind;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::path::PathBuf;

use codex_protocol::ThreadId;
use codex_protocol::dynamic_tools::DynamicToolSpec;
use codex_protocol::protocol::SessionSource;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use rusqlite::Connection;
use rusqlite::TransactionBehavior;
use rusqlite::params;
use serde::Deserialize;
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::ListQuery;
use super::SourceKind;
use super::Stamp;
use super::ThreadSummary;
use super::path_text;
use crate::line::BaseInstructions;
use crate::line::GitInfo;
use crate::line::SessionMeta;
use crate::paths;

/// What the index keeps of a rollout's head: its `session_meta` fields (without the long ones,
/// such as the base instructions, so that many can be held before they are written) and its
/// first user message.
#[derive(Debug, Clone)]
pub(super) struct Scanned {
    pub(super) id: String,
    pub(super) created_at: i64,
    pub(super) model_provider: Option<String>,
    pub(super) source_kind: &'static str,
    pub(super) source: String,
    pub(super) cwd: String,
    pub(super) cli_version: String,
    pub(super) git: Option<String>,
    /// The first user message; `None` while there is none.
    pub(super) preview: Option<String>,
}

impl Scanned {
    pub(super) fn new(meta: &SessionMeta, path: &Path, preview: Option<String>) -> Scanned {
        Scanned::of(
            meta.id,
            &meta.timestamp,
            &meta.source,
            meta.model_provider.clone(),
            &meta.cwd,
            meta.cli_version.clone(),
            meta.git.as_ref(),
            path,
            preview,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn of(
        id: ThreadId,
        timestamp: &str,
        source: &SessionSource,
        model_provider: Option<String>,
        cwd: &Path,
        cli_version: String,
        git: Option<&GitInfo>,
        path: &Path,
        preview: Option<String>,
    ) -> Scanned {
        Scanned {
            id: id.to_string(),
            created_at: created_at(timestamp, path),
            model_provider,
            source_kind: SourceKind::from(source).as_str(),
            source: serde_json::to_string(source).unwrap_or_default(),
            cwd: path_text(cwd),
            cli_version,
            git: git.and_then(|git| serde_json::to_string(git).ok()),
            preview,
        }
    }

    /// Whether the thread is one `query`'s filters keep (its archived flag aside).
    pub(super) fn matches(&self, query: &ListQuery) -> bool {
        let providers = query.model_providers.as_deref().unwrap_or_default();
        let kinds = query.source_kinds.as_deref().unwrap_or_default();
        (providers.is_empty()
            || self
                .model_provider
                .as_ref()
                .is_some_and(|provider| providers.contains(provider)))
            && (kinds.is_empty() || kinds.iter().any(|kind| kind.as_str() == self.source_kind))
            && query
                .cwd
                .as_ref()
                .is_none_or(|cwd| path_text(cwd) == self.cwd)
    }

    /// The thread as `query` lists it, or `None` when it is not listed: it has no user message
    /// yet, or the filters leave it out.
    pub(super) fn listed(
        &self,
        query: &ListQuery,
        path: PathBuf,
        stamp: Stamp,
    ) -> Option<ThreadSummary> {
        let preview = self.preview.clone()?;
        if !self.matches(query) {
            return None;
        }
        Some(ThreadSummary {
            id: self.id.parse().ok()?,
            path,
            archived: query.archived,
            created_at: self.created_at,
            updated_at: stamp.mtime_secs(),
            model_provider: self.model_provider.clone(),
            source: serde_json::from_str(&self.source).unwrap_or(SessionSource::Unknown),
            cwd: PathBuf::from(&self.cwd),
            cli_version: self.cli_version.clone(),
            git: self
                .git
                .as_ref()
                .and_then(|text| serde_json::from_str(text).ok()),
            preview,
        })
    }
}

/// The `session_meta` fields a head needs, typed as [`SessionMeta`] types them (a payload it
/// refuses is refused here too) but without keeping its unknown fields, whose collection costs
/// more than the rest of the read.
#[derive(Deserialize)]
struct HeadMeta {
    id: ThreadId,
    #[serde(default, rename = "forked_from_id")]
    _forked_from_id: Option<ThreadId>,
    timestamp: String,
    cwd: PathBuf,
    #[serde(rename = "originator")]
    _originator: String,
    cli_version: String,
    #[serde(default = "vscode")]
    source: SessionSource,
    #[serde(default)]
    model_provider: Option<String>,
    #[serde(default, rename = "base_instructions")]
    _base_instructions: Option<BaseInstructions>,
    #[serde(default, rename = "dynamic_tools")]
    _dynamic_tools: Option<Vec<DynamicToolSpec>>,
    #[serde(default)]
    git: Option<GitInfo>,
}

/// Older rollouts have no source; like [`SessionMeta`], they are read as VS Code ones.
fn vscode() -> SessionSource {
    SessionSource::Vscode
}

/// A rollout line, its payload left as text until its type says it is needed.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    payload: &'a RawValue,
}

/// An event payload, as far as the preview goes.
#[derive(Deserialize)]
struct EventHead {
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<serde_json::Value>,
}

/// A head's lines are short, except the `session_meta` with its base instructions: one read
/// usually takes them all.
const READ_BUFFER: usize = 64 * 1024;

/// Reads heads one file after another through one buffer: a buffer this size, freed after
/// each file, would go back to the system each time (the allocator keeps no freed pages), and
/// fault in again for the next.
pub(super) struct HeadReader {
    buf: Vec<u8>,
}

impl HeadReader {
    pub(super) fn new() -> HeadReader {
        HeadReader {
            buf: vec![0; READ_BUFFER],
        }
    }

    /// Reads a rollout up to its first user message; `None` if it has no readable
    /// `session_meta`. Unreadable lines are skipped.
    pub(super) fn read(&mut self, path: &Path) -> Option<Scanned> {
        self.scan(open(path).ok()?, path)
    }

    /// [`HeadReader::read`] of the rollout `name` in `folder`, with the size and mtime of the
    /// file read (one `fstat` of the open file, where a `stat` of the path would look it up
    /// again) and its path.
    pub(super) fn read_stamped_in(
        &mut self,
        folder: &Folder<'_>,
        name: &OsStr,
    ) -> Option<(Scanned, Stamp, PathBuf)> {
        let path = folder.path.join(name);
        let file = match &folder.fd {
            Some(fd) => open_at(fd, name),
            None => open(&path),
        }
        .ok()?;
        let stamp = Stamp::of_metadata(&file.metadata().ok()?);
        Some((self.scan(file, &path)?, stamp, path))
    }

    /// Reads `file` a buffer at a time, so that a head that fits the first read (most do) costs
    /// one `read` and no second one to find the end of the file.
    fn scan(&mut self, mut file: File, path: &Path) -> Option<Scanned> {
        let buf = &mut self.buf;
        let mut meta: Option<HeadMeta> = None;
        // `buf[start..held]` is the line being read.
        let (mut start, mut held) = (0, 0);
        loop {
            if held == buf.len() {
                if start == 0 {
                    buf.resize(buf.len() + READ_BUFFER, 0);
                } else {
                    buf.copy_within(start..held, 0);
                    held -= start;
                    start = 0;
                }
            }
            let got = match file.read(&mut buf[held..]) {
                Ok(got) => got,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                Err(_) => break,
            };
            held += got;
            while let Some(end) = memchr::memchr(b'\n', &buf[start..held]) {
                let line = &buf[start..start + end + 1];
                start += end + 1;
                if let Some(preview) = head_line(line, &mut meta) {
                    return meta.map(|meta| scanned(meta, path, Some(preview)));
                }
            }
            if got == 0 {
                // The last line, unended.
                if start < held
                    && let Some(preview) = head_line(&buf[start..held], &mut meta)
                {
                    return meta.map(|meta| scanned(meta, path, Some(preview)));
                }
                break;
            }
        }
        meta.map(|meta| scanned(meta, path, None))
    }
}

/// A folder of rollouts whose heads are read one after another. Where it could be opened, each
/// rollout is opened by its name in it, so the kernel looks up one name per file and not every
/// folder of the file's path (a tenth of what reading a head costs).
pub(super) struct Folder<'a> {
    path: &'a Path,
    fd: Option<OwnedFd>,
}

impl Folder<'_> {
    pub(super) fn open(path: &Path) -> Folder<'_> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        Folder {
            path,
            fd: nix::fcntl::open(path, flags, Mode::empty()).ok(),
        }
    }
}

/// Opens a rollout to read its head (see [`open_at`]).
fn open(path: &Path) -> std::io::Result<File> {
    open_at(nix::fcntl::AT_FDCWD, path)
}

/// Opens the rollout `name` in the folder `dir` to read its head, without updating its access
/// time where the system allows (the file's owner may): the first read of a file written since
/// it was last read would otherwise write its inode, a journal entry per rollout for a fresh
/// index.
fn open_at<P: ?Sized + nix::NixPath>(dir: impl AsFd, name: &P) -> std::io::Result<File> {
    let dir = dir.as_fd();
    let open =
        |flags: OFlag| nix::fcntl::openat(dir, name, flags | OFlag::O_CLOEXEC, Mode::empty());
    #[cfg(target_os = "linux")]
    match open(OFlag::O_RDONLY | OFlag::O_NOATIME) {
        Err(nix::errno::Errno::EPERM) => {}
        other => return Ok(File::from(other?)),
    }
    Ok(File::from(open(OFlag::O_RDONLY)?))
}

/// Takes in one line of a head: keeps the first `session_meta` in `meta`; returns the
/// preview at the first user message.
fn head_line(line: &[u8], meta: &mut Option<HeadMeta>) -> Option<String> {
    if passed_over(line) {
        return None;
    }
    let line = serde_json::from_slice::<Line>(line).ok()?;
    match line.kind.as_ref() {
        // A line without a string timestamp is not a rollout line.
        "session_meta"
            if meta.is_none() && line.timestamp.is_some_and(|at| at.get().starts_with('"')) =>
        {
            *meta = serde_json::from_str(line.payload.get()).ok();
            None
        }
        "event_msg" => {
            let event = serde_json::from_str::<EventHead>(line.payload.get()).ok()?;
            if event.kind.as_deref() != Some("user_message") {
                return None;
            }
            Some(match event.message {
                Some(serde_json::Value::String(text)) => text,
                _ => String::new(),
            })
        }
        _ => None,
    }
}

/// Whether a line is one the head has no use for, told by its first bytes alone where they are
/// laid out as both writers lay them out: the timestamp, the line's type, and for an event the
/// payload's type first. Most of a head is such lines (the instructions and context messages
/// before the first user message), and parsing them cost more than the rest of the read. A line
/// laid out any other way is parsed, so this only ever skips what parsing would skip.
fn passed_over(line: &[u8]) -> bool {
    let Some(rest) = line
        .strip_prefix(br#"{"timestamp":""#)
        .and_then(after_plain_string)
        .and_then(|rest| rest.strip_prefix(br#","type":""#))
    else {
        return false;
    };
    match plain_string(rest) {
        Some((b"session_meta", _)) | None => false,
        Some((b"event_msg", rest)) => rest
            .strip_prefix(br#","payload":{"type":""#)
            .and_then(plain_string)
            .is_some_and(|(kind, _)| kind != b"user_message"),
        Some(_) => true,
    }
}

/// Splits `bytes`, the inside of a JSON string, at its closing quote: the string and what
/// follows the quote. `None` if an escape comes first (the string may not read as it is written).
fn plain_string(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = memchr::memchr2(b'"', b'\\', bytes)?;
    (bytes[end] == b'"').then(|| (&bytes[..end], &bytes[end + 1..]))
}

fn after_plain_string(bytes: &[u8]) -> Option<&[u8]> {
    plain_string(bytes).map(|(_, rest)| rest)
}

fn scanned(meta: HeadMeta, path: &Path, preview: Option<String>) -> Scanned {
    Scanned::of(
        meta.id,
        &meta.timestamp,
        &meta.source,
        meta.model_provider,
        &meta.cwd,
        meta.cli_version,
        meta.git.as_ref(),
        path,
        preview,
    )
}

fn created_at(timestamp: &str, path: &Path) -> i64 {
    if let Ok(at) = OffsetDateTime::parse(timestamp, &Rfc3339) {
        return at.unix_timestamp();
    }
    path.file_name()
        .and_then(|name| name.to_str())
        .and_then(paths::parse_file_name)
        .map(|(stamp, _)| stamp.assume_utc().unix_timestamp())
        .unwrap_or(0)
}

/// A row whose head is to be read: its file as the row knows it.
#[derive(Debug, Clone)]
pub(super) struct Unread {
    pub(super) path: PathBuf,
    /// The id the row holds (its file name's, until the head is read).
    pub(super) id: String,
    pub(super) stamp: Stamp,
}

/// Reads the heads of `rows`.
pub(super) fn read_all(rows: Vec<Unread>) -> Vec<(Unread, Option<Scanned>)> {
    let mut reader = HeadReader::new();
    rows.into_iter()
        .map(|row| {
            let scanned = reader.read(&row.path);
            (row, scanned)
        })
        .collect()
}

/// Fills a row with its head, unless its stamp moved since (see [`write_all`]).
const FILL: &str = "UPDATE files SET head_read = 1, created_at = ?4, model_provider = ?5,
        source_kind = ?6, source = ?7, cwd = ?8, cli_version = ?9, git = ?10, preview = ?11,
        has_user_message = ?12
    WHERE path = ?1 AND file_size = ?2 AND file_mtime_ns = ?3 AND head_read = 0";

fn fill(
    conn: &Connection,
    path: &str,
    stamp: Stamp,
    scanned: &Scanned,
) -> Result<usize, rusqlite::Error> {
    conn.prepare_cached(FILL)?.execute(params![
        path,
        stamp.size,
        stamp.mtime_ns,
        scanned.created_at,
        scanned.model_provider,
        scanned.source_kind,
        scanned.source,
        scanned.cwd,
        scanned.cli_version,
        scanned.git,
        scanned.preview.as_deref().unwrap_or_default(),
        scanned.preview.is_some(),
    ])
}

/// Writes heads to their rows, in one transaction. A row whose file changed since the stat the
/// read followed (a refresh gave it a new stamp meanwhile) keeps waiting for its head, which
/// may be older than its stamp; so does a row another reader has filled already.
pub(super) fn write_all(
    conn: &mut Connection,
    heads: &[(Unread, Option<Scanned>)],
) -> Result<(), rusqlite::Error> {
    if heads.is_empty() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for (row, scanned) in heads {
        let path = path_text(&row.path);
        let Some(scanned) = scanned else {
            tx.prepare_cached(
                "UPDATE files SET head_read = 1, has_user_message = 0, preview = ''
                 WHERE path = ?1 AND file_size = ?2 AND file_mtime_ns = ?3 AND head_read = 0",
            )?
            .execute(params![path, row.stamp.size, row.stamp.mtime_ns])?;
            continue;
        };
        // Only where the head names another thread than the file name does: a changed id
        // moves the row in every index that holds it.
        if fill(&tx, &path, row.stamp, scanned)? > 0 && scanned.id != row.id {
            tx.prepare_cached("UPDATE files SET id = ?2 WHERE path = ?1")?
                .execute(params![path, scanned.id])?;
        }
    }
    tx.commit()
}

/// Writes what a stat of a file says: a new row, named by the file, its head to be read. An
/// existing row gets the new stamp (and its head is to be read again) when `overwrite`, and is
/// left alone otherwise. Says whether it wrote.
pub(super) fn stat_row(
    conn: &Connection,
    path: &Path,
    archived: bool,
    stamp: Stamp,
    overwrite: bool,
) -> Result<bool, rusqlite::Error> {
    let named = path
        .file_name()
        .and_then(|name| name.to_str())
        .and_then(paths::parse_file_name);
    let file_stamp = named.map_or(0, |(at, _)| at.assume_utc().unix_timestamp());
    let id = named.map(|(_, id)| id.to_string());
    let on_conflict = if overwrite {
        "DO UPDATE SET archived = excluded.archived, file_size = excluded.file_size,
             file_mtime_ns = excluded.file_mtime_ns, updated_at = excluded.updated_at,
             head_read = 0"
    } else {
        "DO NOTHING"
    };
    let written = conn
        .prepare_cached(&format!(
            "INSERT INTO files (path, folder, archived, file_size, file_mtime_ns, file_stamp,
                 updated_at, id, head_read)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0)
             ON CONFLICT(path) {on_conflict}"
        ))?
        .execute(params![
            path_text(path),
            super::folder_text(path),
            archived,
            stamp.size,
            stamp.mtime_ns,
            file_stamp,
            stamp.mtime_secs(),
            id,
        ])?;
    Ok(written > 0)
}

/// Writes the whole row of a file whose head is known (one our writer has just started), unless
/// it has one.
pub(super) fn insert_known(
    conn: &Connection,
    path: &Path,
    archived: bool,
    stamp: Stamp,
    scanned: &Scanned,
) -> Result<(), rusqlite::Error> {
    if stat_row(conn, path, archived, stamp, false)? {
        let key = path_text(path);
        fill(conn, &key, stamp, scanned)?;
        conn.execute(
            "UPDATE files SET id = ?2 WHERE path = ?1 AND id IS NOT ?2",
            params![key, scanned.id],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::RolloutItem;
    use crate::line::RolloutLine;
    use pretty_assertions::assert_eq;

    /// The head as the full line parser reads it: the reference for [`HeadReader::read`].
    fn read_slowly(path: &Path) -> Option<Scanned> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut meta = None;
        for line in text.lines() {
            let Ok(line) = serde_json::from_str::<RolloutLine>(line) else {
                continue;
            };
            match line.item {
                RolloutItem::SessionMeta(found) if meta.is_none() => meta = Some(found),
                RolloutItem::EventMsg(codex_protocol::protocol::EventMsg::UserMessage(event)) => {
                    return meta.map(|meta| Scanned::new(&meta, path, Some(event.message)));
                }
                _ => {}
            }
        }
        meta.map(|meta| Scanned::new(&meta, path, None))
    }

    fn fields(scanned: Option<Scanned>) -> Option<String> {
        scanned.map(|scanned| format!("{scanned:?}"))
    }

    #[test]
    fn heads_read_as_the_line_parser_reads_them() {
        let samples = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../test-support/fixtures/reference-0.101.0/rollouts");
        let mut checked = 0;
        for entry in std::fs::read_dir(&samples).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|ext| ext == "jsonl") {
                assert_eq!(
                    fields(HeadReader::new().read(&path)),
                    fields(read_slowly(&path)),
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
        assert!(checked > 0);

        // Payloads the line parser refuses are refused here too, and a missing source is VS
        // Code's.
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            r#"{"timestamp":"2020-09-13T12:26:40.000Z","type":"session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2020-09-13T12:26:40.000Z","cwd":"/w","originator":"t","cli_version":"0.1","extra":[1]}}"#,
            r#"{"timestamp":"2020-09-13T12:26:40.000Z","type":"session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2020-09-13T12:26:40.000Z","cwd":"/w","cli_version":"0.1"}}"#,
            r#"{"timestamp":"2020-09-13T12:26:40.000Z","type":"session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2020-09-13T12:26:40.000Z","cwd":"/w","originator":"t","cli_version":"0.1","base_instructions":"text"}}"#,
            r#"{"type":"session_meta","payload":{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2020-09-13T12:26:40.000Z","cwd":"/w","originator":"t","cli_version":"0.1"}}"#,
        ];
        let message = r#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"event_msg","payload":{"type":"user_message","message":"hi \"there\"","images":[]}}"#;
        // Writes `text` as the rollout `name` and reads its head both ways.
        let reads_as_parsed = |name: &str, text: String, case: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            assert_eq!(
                fields(HeadReader::new().read(&path)),
                fields(read_slowly(&path)),
                "{case}"
            );
        };
        for (n, meta) in cases.iter().enumerate() {
            reads_as_parsed(&format!("{n}.jsonl"), format!("{meta}\n{message}\n"), meta);
        }
        // Lines laid out otherwise than the writers lay them out are parsed, not passed over:
        // an escaped type, a payload whose type comes later, a second type.
        let meta = cases[0];
        let tricky = [
            r#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"event\u005fmsg","payload":{"type":"user_message","message":"escaped type"}}"#,
            r#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"event_msg","payload":{"message":"type later","type":"user_message"}}"#,
            r#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"event_msg","payload":{"type":"user\u005fmessage","message":"escaped kind"}}"#,
            r#"{"type":"event_msg","timestamp":"2020-09-13T12:26:41.000Z","payload":{"type":"user_message","message":"type first"}}"#,
            r#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"response_item","type":"event_msg","payload":{"type":"user_message","message":"two types"}}"#,
        ];
        for (n, line) in tricky.iter().enumerate() {
            reads_as_parsed(
                &format!("tricky-{n}.jsonl"),
                format!("{meta}\n{line}\n{message}\n"),
                line,
            );
        }
        assert!(passed_over(
            br#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"response_item","payload":{}}"#
        ));
        assert!(passed_over(
            br#"{"timestamp":"2020-09-13T12:26:41.000Z","type":"event_msg","payload":{"type":"task_started"}}"#
        ));
        assert!(!passed_over(message.as_bytes()));
        assert!(!passed_over(meta.as_bytes()));

        // Lines longer than the buffer, a last line without its newline, and one reader for
        // several files.
        let long = format!(
            r#"{{"timestamp":"2020-09-13T12:26:40.000Z","type":"session_meta","payload":{{"id":"01a20b3d-9c0b-7013-ad7f-e4e60e59123d","timestamp":"2020-09-13T12:26:40.000Z","cwd":"/w","originator":"t","cli_version":"0.1","base_instructions":{{"text":"{}"}}}}}}"#,
            "x".repeat(3 * READ_BUFFER)
        );
        let mut reader = HeadReader::new();
        for (n, text) in [
            format!("{long}\n{message}\n"),
            format!("{}\n{long}\n{message}", cases[2]),
            format!("{long}\n{long}"),
            format!("{}\n{message}", cases[0]),
        ]
        .iter()
        .enumerate()
        {
            let path = dir.path().join(format!("long-{n}.jsonl"));
            std::fs::write(&path, text).unwrap();
            let read = reader.read(&path);
            assert!(read.is_some(), "case {n}");
            assert_eq!(fields(read), fields(read_slowly(&path)), "case {n}");
        }
        assert!(
            HeadReader::new()
                .read(&dir.path().join("0.jsonl"))
                .is_some()
        );
        assert!(
            HeadReader::new()
                .read(&dir.path().join("1.jsonl"))
                .is_none()
        );
    }
}
