//! Reading, in the background, the heads that stats left unread, oldest thread first: pages
//! walk from the newest and read the heads they meet themselves, so the two meet in the middle
//! instead of reading the same files. A batch per transaction, so that a process stopped midway
//! keeps what it read and a list waits for at most one batch's write.

use rusqlite::Connection;
use rusqlite::params;

use super::Index;
use super::Stamp;
use super::head;
use super::head::Unread;

/// Heads read between two writes.
const BATCH: usize = 128;

/// Reads every unread head. Stops early only when the index fails (a list will then rebuild
/// it); returns how many heads it read.
pub(super) fn fill(index: &Index) -> u64 {
    let mut read = 0;
    loop {
        let rows = match unread(&index.lock().conn) {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!("cannot look for unread heads in the thread index: {err}");
                return read;
            }
        };
        if rows.is_empty() {
            return read;
        }
        let heads = head::read_all(rows);
        read += heads.len() as u64;
        let mut state = index.lock();
        state.counts.files_read += heads.len() as u64;
        if let Err(err) = head::write_all(&mut state.conn, &heads) {
            tracing::warn!("cannot write heads to the thread index: {err}");
            return read;
        }
    }
}

/// The next rows whose head is unread, oldest first.
fn unread(conn: &Connection) -> Result<Vec<Unread>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT path, id, file_size, file_mtime_ns FROM files
         WHERE head_read = 0 ORDER BY file_stamp, id LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![BATCH as i64], |row| {
        Ok(Unread {
            path: row.get::<_, String>(0)?.into(),
            id: row.get(1)?,
            stamp: Stamp {
                size: row.get(2)?,
                mtime_ns: row.get(3)?,
            },
        })
    })?;
    rows.collect()
}
