//! Pages from the index, reading the heads they need that the index does not have yet.
//!
//! A page walks the rows in its order (from the cursor on, by a seek on the sort key and the
//! id, which the index's sorted tables answer without counting the rows before it). A row whose
//! head is known is kept or left out by the query itself; a row whose head is not is fetched
//! too, its head read (outside the index's lock) and written back, and the filters applied to
//! it here. So a page reads at most the heads of the rows it walks past, and a filter that
//! matches rarely walks further, in growing batches.

use std::path::PathBuf;

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;

use super::Index;
use super::ListQuery;
use super::Page;
use super::SortKey;
use super::Stamp;
use super::ThreadSummary;
use super::decode_cursor;
use super::encode_cursor;
use super::head;
use super::head::Unread;
use super::path_text;
use crate::RolloutError;
use crate::line::GitInfo;

/// The most rows one step of a page fetches; a sparse filter over unread heads reads this many
/// heads between two looks at the index.
const MAX_BATCH: usize = 1024;

/// A row as a page walks it.
struct Walked {
    /// The sort key and id, where the walk goes on from.
    key: i64,
    id: String,
    path: PathBuf,
    stamp: Stamp,
    found: Found,
}

/// What a walked row holds.
enum Found {
    Listed(Box<ThreadSummary>),
    /// Its head is still to be read.
    Unread,
    /// Something unreadable (a warning says what).
    Broken,
}

/// One page of `query`, from an index that has every file's row (see [`super::Index::list`]).
pub(super) fn list(index: &Index, query: &ListQuery) -> Result<Page, RolloutError> {
    let limit = query.limit.max(1);
    let mut seek = match &query.cursor {
        Some(cursor) => {
            let (key, id) = decode_cursor(cursor)?;
            Some((key, id.to_string()))
        }
        None => None,
    };
    let mut batch = limit + 1;
    let mut found: Vec<(ThreadSummary, i64)> = Vec::new();
    loop {
        let rows = walk(&index.lock().conn, query, seek.as_ref(), batch)?;
        let ended = rows.len() < batch;
        let unread: Vec<Unread> = rows
            .iter()
            .filter(|row| matches!(row.found, Found::Unread))
            .map(|row| Unread {
                path: row.path.clone(),
                id: row.id.clone(),
                stamp: row.stamp,
            })
            .collect();
        let mut heads = read_heads(index, unread)?.into_iter();
        for row in rows {
            seek = Some((row.key, row.id.clone()));
            let summary = match row.found {
                Found::Listed(summary) => Some(*summary),
                Found::Unread => heads
                    .next()
                    .and_then(|(_, scanned)| scanned)
                    .and_then(|scanned| scanned.listed(query, row.path, row.stamp)),
                Found::Broken => None,
            };
            if let Some(summary) = summary {
                found.push((summary, row.key));
                if found.len() > limit {
                    return Ok(page_of(found, limit));
                }
            }
        }
        if ended {
            return Ok(page_of(found, limit));
        }
        batch = (batch * 2).min(MAX_BATCH);
    }
}

fn page_of(mut found: Vec<(ThreadSummary, i64)>, limit: usize) -> Page {
    let next_cursor = if found.len() > limit {
        found.truncate(limit);
        found
            .last()
            .map(|(last, key)| encode_cursor(*key, &last.id.to_string()))
    } else {
        None
    };
    Page {
        items: found.into_iter().map(|(summary, _)| summary).collect(),
        next_cursor,
    }
}

/// Reads the heads of `rows` unlocked and writes them back; in `rows`' order.
fn read_heads(
    index: &Index,
    rows: Vec<Unread>,
) -> Result<Vec<(Unread, Option<head::Scanned>)>, RolloutError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let heads = head::read_all(rows);
    let mut state = index.lock();
    state.counts.files_read += heads.len() as u64;
    head::write_all(&mut state.conn, &heads).map_err(RolloutError::Index)?;
    Ok(heads)
}

/// The next `batch` rows after `seek` that `query` may list: those whose head says so, and
/// those whose head is unread.
fn walk(
    conn: &Connection,
    query: &ListQuery,
    seek: Option<&(i64, String)>,
    batch: usize,
) -> Result<Vec<Walked>, RolloutError> {
    let key = match query.sort_key {
        // Like the reference, creation order is the order of the file names: the start time
        // they carry, then the thread id.
        SortKey::CreatedAt => "file_stamp",
        SortKey::UpdatedAt => "updated_at",
    };
    let mut filters = String::new();
    let mut args: Vec<SqlValue> = vec![SqlValue::Integer(i64::from(query.archived))];
    let mut any_of = |filters: &mut String, column: &str, values: Vec<String>| {
        if values.is_empty() {
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        filters.push_str(&format!(" AND {column} IN ({marks})"));
        args.extend(values.into_iter().map(SqlValue::Text));
    };
    if let Some(providers) = &query.model_providers {
        any_of(&mut filters, "model_provider", providers.clone());
    }
    if let Some(kinds) = &query.source_kinds {
        let kinds = kinds.iter().map(|kind| kind.as_str().to_string()).collect();
        any_of(&mut filters, "source_kind", kinds);
    }
    if let Some(cwd) = &query.cwd {
        filters.push_str(" AND cwd = ?");
        args.push(SqlValue::Text(path_text(cwd)));
    }
    let mut sql = format!(
        "SELECT {key}, id, path, file_size, file_mtime_ns, head_read, created_at, updated_at,
             model_provider, source, cwd, cli_version, git, preview
         FROM files
         WHERE archived = ? AND id IS NOT NULL
             AND (head_read = 0 OR (has_user_message = 1{filters}))"
    );
    if let Some((at, id)) = seek {
        sql.push_str(&format!(" AND ({key}, id) < (?, ?)"));
        args.extend([SqlValue::Integer(*at), SqlValue::Text(id.clone())]);
    }
    sql.push_str(&format!(" ORDER BY {key} DESC, id DESC LIMIT ?"));
    args.push(SqlValue::Integer(batch as i64));

    let mut stmt = conn.prepare_cached(&sql).map_err(RolloutError::Index)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), |row| {
            walked(row, query.archived)
        })
        .map_err(RolloutError::Index)?;
    rows.collect::<Result<_, _>>().map_err(RolloutError::Index)
}

fn walked(row: &rusqlite::Row<'_>, archived: bool) -> Result<Walked, rusqlite::Error> {
    let id: String = row.get(1)?;
    let path = PathBuf::from(row.get::<_, String>(2)?);
    let stamp = Stamp {
        size: row.get(3)?,
        mtime_ns: row.get(4)?,
    };
    let head_read: bool = row.get(5)?;
    let found = match id.parse() {
        _ if !head_read => Found::Unread,
        Err(_) => {
            tracing::warn!("thread index holds an invalid id {id:?}");
            Found::Broken
        }
        Ok(thread_id) => {
            let source: Option<String> = row.get(9)?;
            let git: Option<String> = row.get(12)?;
            Found::Listed(Box::new(ThreadSummary {
                id: thread_id,
                path: path.clone(),
                archived,
                created_at: row.get(6)?,
                updated_at: row.get(7)?,
                model_provider: row.get(8)?,
                source: source
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or(codex_protocol::protocol::SessionSource::Unknown),
                cwd: PathBuf::from(row.get::<_, Option<String>>(10)?.unwrap_or_default()),
                cli_version: row.get::<_, Option<String>>(11)?.unwrap_or_default(),
                git: git.and_then(|text| serde_json::from_str::<GitInfo>(&text).ok()),
                preview: row.get(13)?,
            }))
        }
    };
    Ok(Walked {
        key: row.get(0)?,
        id,
        path,
        stamp,
        found,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::index::SourceKind;
    use crate::index::refresh;
    use pretty_assertions::assert_eq;

    /// Writes a rollout named by `at` (unix seconds), its mtime `updated` seconds later.
    fn write(home: &Path, at: i64, updated: i64, n: u32, provider: &str, message: Option<&str>) {
        let (_, path) = crate::index::test_rollouts::write(home, at, n, provider, message);
        let mtime = std::time::UNIX_EPOCH + std::time::Duration::from_secs((at + updated) as u64);
        std::fs::File::open(&path)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
    }

    /// 150 threads over 5 days, some sharing a second, updated in another order than created,
    /// some never used, a few with a rare provider.
    fn home() -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        for n in 0..150u32 {
            let at = 1_700_000_000 + i64::from(n % 5) * 86_400 + i64::from(n / 4);
            let updated = i64::from((n * 37) % 150) * 1000;
            let provider = if n % 40 == 9 { "rare" } else { "mock" };
            let message = (n % 11 != 5).then_some("hello");
            write(home.path(), at, updated, n, provider, message);
        }
        home
    }

    fn all_pages(index: &Index, mut query: ListQuery) -> Vec<Page> {
        let mut pages = Vec::new();
        loop {
            let page = index.list(&query).unwrap();
            let next = page.next_cursor.clone();
            pages.push(page);
            match next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return pages,
            }
        }
    }

    fn queries() -> Vec<ListQuery> {
        let base = ListQuery {
            limit: 7,
            ..ListQuery::default()
        };
        vec![
            base.clone(),
            ListQuery {
                sort_key: SortKey::UpdatedAt,
                ..base.clone()
            },
            ListQuery {
                limit: 2,
                model_providers: Some(vec!["rare".to_string()]),
                ..base.clone()
            },
            ListQuery {
                sort_key: SortKey::UpdatedAt,
                model_providers: Some(vec!["rare".to_string()]),
                ..base.clone()
            },
            ListQuery {
                source_kinds: Some(vec![SourceKind::Exec]),
                ..base.clone()
            },
            ListQuery {
                cwd: Some("/w".into()),
                source_kinds: Some(vec![SourceKind::Cli]),
                ..base
            },
        ]
    }

    #[test]
    fn pages_before_the_heads_are_read_are_the_pages_after() {
        let home = home();
        let expected: Vec<Vec<Page>> = {
            let built = Index::open(home.path()).unwrap();
            queries()
                .into_iter()
                .map(|query| all_pages(&built, query))
                .collect()
        };
        assert_eq!(
            expected[0].iter().map(|p| p.items.len()).sum::<usize>(),
            136
        );
        assert_eq!(expected[4].iter().map(|p| p.items.len()).sum::<usize>(), 0);
        std::fs::remove_file(home.path().join(crate::INDEX_FILE_NAME)).unwrap();

        // Every row stat'ed, no head read: a page reads the heads of the rows it walks past.
        let index = Index::connect(home.path()).unwrap();
        refresh::refresh(&index, true).unwrap();
        index.progress.update(|flags| flags.ready = true);
        assert_eq!(index.counts().files_read, 0);
        let first = index
            .list(&ListQuery {
                limit: 5,
                sort_key: SortKey::UpdatedAt,
                ..ListQuery::default()
            })
            .unwrap();
        assert_eq!(first, expected[1][0].clone().truncated(5));
        let read = index.counts().files_read;
        assert!((6..=18).contains(&read), "{read} heads read");

        for (query, expected) in queries().into_iter().zip(&expected) {
            assert_eq!(&all_pages(&index, query.clone()), expected, "{query:?}");
        }
        assert_eq!(index.counts().files_read, 150, "every head read once");
    }

    impl Page {
        /// The first `limit` items, as a page of that size.
        fn truncated(mut self, limit: usize) -> Page {
            let last = &self.items[limit - 1];
            let key = last.updated_at;
            self.next_cursor = Some(encode_cursor(key, &last.id.to_string()));
            self.items.truncate(limit);
            self
        }
    }
}
