//! Pages read straight from the newest rollout files, for lists made while the index is still
//! catching up or reading the heads it found (a first start over a large `$CODEX_HOME`, or an
//! index deleted or left far behind): the index would read the same heads, and write them too.
//!
//! Creation order is the order of the file names (start time, then thread id), and a rollout
//! lives in the day folder its name gives, so walking the day folders newest first and each
//! folder's names in reverse meets the threads in exactly the index's order: a page from here is
//! the page the index would give, and its cursor is good for either. Only a few files are read,
//! so this works while few are skipped: a filter that matches rarely, or the `updated_at` order
//! (which only the index knows without a stat of every file), falls back to waiting for the
//! index.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::ffi::OsString;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;

use codex_protocol::ThreadId;

use super::ListQuery;
use super::Page;
use super::SortKey;
use super::ThreadSummary;
use super::decode_cursor;
use super::encode_cursor;
use super::head;
use super::watch;
use crate::RolloutError;
use crate::paths;

/// How many rollouts a page may read beyond its own size before the index is the cheaper way.
const SPARE_READS: usize = 200;

/// The most items a page makes room for at once (the wire asks for 100 at most).
const MOST_HELD: usize = 1024;

/// A rollout named by its file: the sort key of creation order. (A thread id orders as its
/// canonical spelling does, which is how the index orders it.)
#[derive(Debug)]
struct Named {
    stamp: i64,
    id: ThreadId,
    name: OsString,
}

impl Named {
    fn key(&self) -> (i64, ThreadId) {
        (self.stamp, self.id)
    }
}

/// The rollout folders' names, sorted, kept from one page to the next while the kernel reports
/// no entry of the folder created, deleted or moved: a page reads a hundred heads, and listing
/// a folder of 2,000 rollouts again for each page cost about as much. Where folders cannot be
/// watched, every page lists them.
#[derive(Debug, Default)]
pub(super) struct Listings {
    /// Made at the first page, so that an index that never answers from the files watches
    /// nothing.
    watcher: Option<watch::Watcher>,
    newest_first: HashMap<PathBuf, Arc<[Named]>>,
}

impl Listings {
    /// The rollouts of `dir`, newest name first.
    fn newest_first(&mut self, dir: &Path) -> Arc<[Named]> {
        let watcher = self.watcher.get_or_insert_with(watch::Watcher::default);
        let changes = watcher.changes();
        if changes.missed {
            self.newest_first.clear();
        }
        for changed in &changes.folders {
            self.newest_first.remove(changed);
        }
        if let Some(named) = self.newest_first.get(dir) {
            return Arc::clone(named);
        }
        // Watched before it is listed, so that an entry made during the listing is reported.
        let watched = watcher.watch(dir);
        let named: Arc<[Named]> = match newest_first(dir) {
            Ok(named) => named.into(),
            // Not kept: the next page lists the folder again.
            Err(err) => {
                tracing::warn!("cannot read {}: {err}", dir.display());
                return Arc::new([]);
            }
        };
        if watched {
            self.newest_first
                .insert(dir.to_path_buf(), Arc::clone(&named));
        }
        named
    }
}

/// The page `query` asks for, read from the newest files, or `None` when that would read more
/// than a page and [`SPARE_READS`] files.
pub(super) fn page(
    codex_home: &Path,
    query: &ListQuery,
    listings: &Mutex<Listings>,
) -> Result<Option<Page>, RolloutError> {
    if query.sort_key != SortKey::CreatedAt {
        return Ok(None);
    }
    let after = match &query.cursor {
        Some(cursor) => Some(decode_cursor(cursor)?),
        None => None,
    };
    let limit = query.limit.max(1);
    let mut budget = limit + 1 + SPARE_READS;
    let mut found: Vec<((i64, ThreadId), ThreadSummary)> =
        Vec::with_capacity((limit + 1).min(MOST_HELD));
    let mut reader = head::HeadReader::new();
    for dir in folders(
        codex_home,
        query.archived,
        after.as_ref().map(|(key, _)| *key),
    ) {
        let named = codex_utils_lock::lock(listings).newest_first(&dir);
        let start = after.map_or(0, |after| {
            named.partition_point(|named| named.key() >= after)
        });
        let rest = &named[start..];
        if rest.is_empty() {
            continue;
        }
        let folder = head::Folder::open(&dir);
        for named in rest {
            if budget == 0 {
                return Ok(None);
            }
            budget -= 1;
            let Some(summary) = summary(&mut reader, &folder, &named.name, query) else {
                continue;
            };
            found.push((named.key(), summary));
            if found.len() > limit {
                found.truncate(limit);
                let next_cursor = found
                    .last()
                    .map(|((stamp, id), _)| encode_cursor(*stamp, &id.to_string()));
                let items = found.into_iter().map(|(_, summary)| summary).collect();
                return Ok(Some(Page { items, next_cursor }));
            }
        }
    }
    let items = found.into_iter().map(|(_, summary)| summary).collect();
    Ok(Some(Page {
        items,
        next_cursor: None,
    }))
}

/// The folders that hold the threads asked for, newest first: `archived_sessions/`, or the day
/// folders from the newest down, leaving out days after the one `before` (unix seconds of a
/// cursor) falls on, which hold only threads before the cursor.
fn folders(codex_home: &Path, archived: bool, before: Option<i64>) -> Vec<PathBuf> {
    if archived {
        return vec![codex_home.join(paths::ARCHIVED_DIR)];
    }
    let last_day = before
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .map(|at| {
            (
                at.year() as u32,
                u32::from(u8::from(at.month())),
                u32::from(at.day()),
            )
        });
    let mut days = Vec::new();
    for (year, year_dir) in numbered(&codex_home.join(paths::SESSIONS_DIR)) {
        for (month, month_dir) in numbered(&year_dir) {
            for (day, day_dir) in numbered(&month_dir) {
                if last_day.is_none_or(|last| (year, month, day) <= last) {
                    days.push(day_dir);
                }
            }
        }
    }
    days
}

/// The folders inside `dir` named by a number, highest first. Listing the year and month
/// folders is cheap: there are a few dozen even after years of use.
fn numbered(dir: &Path) -> Vec<(u32, PathBuf)> {
    let found = paths::subfolders(dir).unwrap_or_else(|err| {
        tracing::warn!("cannot read {}: {err}", dir.display());
        Vec::new()
    });
    let mut numbered: Vec<(u32, PathBuf)> = found
        .into_iter()
        .filter_map(|path| {
            let number = path.file_name()?.to_str()?.parse().ok()?;
            Some((number, path))
        })
        .collect();
    numbered.sort_by_key(|(number, _)| std::cmp::Reverse(*number));
    numbered
}

/// The rollouts of one folder, newest name first. Each name is parsed once and no path is made
/// for it: a page reads only a page's worth of them.
fn newest_first(dir: &Path) -> std::io::Result<Vec<Named>> {
    let mut named: Vec<Named> = paths::named_rollouts(dir)?
        .into_iter()
        .map(|(at, id, name)| Named {
            stamp: at.assume_utc().unix_timestamp(),
            id,
            name,
        })
        .collect();
    named.sort_unstable_by_key(|named| std::cmp::Reverse(named.key()));
    Ok(named)
}

/// What the index would list for this file under `query`: nothing for a file without a
/// `session_meta` or a user message, or one the filters leave out.
fn summary(
    reader: &mut head::HeadReader,
    folder: &head::Folder<'_>,
    name: &OsStr,
    query: &ListQuery,
) -> Option<ThreadSummary> {
    let (scanned, stamp, path) = reader.read_stamped_in(folder, name)?;
    scanned.listed(query, path, stamp)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;
    use crate::index::Index;
    use pretty_assertions::assert_eq;

    fn write(home: &Path, at: i64, n: u32, provider: &str, message: Option<&str>) -> String {
        crate::index::test_rollouts::write(home, at, n, provider, message).0
    }

    /// 120 threads over 4 days, some sharing a second, some never used, a few with a rare
    /// provider.
    fn home() -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        for n in 0..120 {
            let at = 1_700_000_000 + i64::from(n % 4) * 86_400 + i64::from(n / 3);
            let provider = if n % 40 == 9 { "rare" } else { "mock" };
            let message = (n % 11 != 5).then_some("hello");
            write(home.path(), at, n, provider, message);
        }
        home
    }

    fn ids(page: &Page) -> Vec<String> {
        page.items.iter().map(|t| t.id.to_string()).collect()
    }

    /// Every page of `query`, each asked with the previous page's cursor.
    fn pages(mut query: ListQuery, mut ask: impl FnMut(&ListQuery) -> Option<Page>) -> Vec<Page> {
        let mut pages = Vec::new();
        while let Some(page) = ask(&query) {
            let next = page.next_cursor.clone();
            pages.push(page);
            match next {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        pages
    }

    #[test]
    fn pages_from_the_files_are_the_pages_of_the_index() {
        let home = home();
        let query = ListQuery {
            limit: 7,
            ..ListQuery::default()
        };
        let from_files = pages(query.clone(), |query| {
            page(home.path(), query, &Mutex::default()).unwrap()
        });
        let index = Index::open(home.path()).unwrap();
        let from_index = pages(query.clone(), |query| Some(index.list(query).unwrap()));
        assert_eq!(from_files, from_index);
        let listed: usize = from_files.iter().map(|page| page.items.len()).sum();
        assert_eq!(listed, 120 - 11, "the threads never used are left out");

        // A cursor from either side is good for the other.
        let second = ListQuery {
            cursor: from_index[0].next_cursor.clone(),
            ..query.clone()
        };
        assert_eq!(
            page(home.path(), &second, &Mutex::default())
                .unwrap()
                .unwrap(),
            from_index[1]
        );

        // Filters read what the index holds.
        let rare = ListQuery {
            limit: 2,
            model_providers: Some(vec!["rare".to_string()]),
            ..ListQuery::default()
        };
        let from_files = pages(rare.clone(), |query| {
            page(home.path(), query, &Mutex::default()).unwrap()
        });
        let from_index = pages(rare, |query| Some(index.list(query).unwrap()));
        assert_eq!(from_files, from_index);
        // Of the three rare threads, one was never used.
        assert_eq!(from_files.iter().flat_map(ids).count(), 2);
    }

    #[test]
    fn lists_while_the_heads_are_read_come_from_the_files() {
        let home = home();
        let query = ListQuery {
            limit: 10,
            ..ListQuery::default()
        };
        let index = Index::connect(home.path()).unwrap();
        // Caught up, every file with its row and no head read: the index would read the
        // page's heads; the files give the same page without it.
        assert_eq!(crate::index::catch_up_once(&index), Some(true));
        index.progress.update(|flags| flags.ready = true);
        let from_files = index.list(&query).unwrap();
        assert_eq!(index.counts().files_read, 0);

        crate::index::fill::fill(&index);
        index.progress.update(|flags| flags.filled = true);
        let read = index.counts().files_read;
        assert_eq!(index.list(&query).unwrap(), from_files);
        assert_eq!(index.counts().files_read, read, "the fill read every head");
    }

    #[test]
    fn a_kept_listing_sees_the_files_made_and_removed_since() {
        let home = home();
        let listings = Mutex::default();
        let query = ListQuery {
            limit: 3,
            ..ListQuery::default()
        };
        let ask = |query: &ListQuery| page(home.path(), query, &listings).unwrap().unwrap();
        let first = ask(&query);
        let second = ask(&ListQuery {
            cursor: first.next_cursor.clone(),
            ..query.clone()
        });

        // Newer than any (the newest day is day 3 of `home`) and in the same folder.
        let (made, _) = crate::index::test_rollouts::write(
            home.path(),
            1_700_000_000 + 3 * 86_400 + 1_000,
            500,
            "mock",
            Some("hello"),
        );
        let now = ask(&query);
        assert_eq!(ids(&now)[0], made);
        assert_eq!(ids(&now)[1..], ids(&first)[..2]);

        std::fs::remove_file(&first.items[0].path).unwrap();
        let now = ask(&query);
        assert_eq!(
            ids(&now),
            [made.clone()]
                .into_iter()
                .chain(ids(&first)[1..].to_vec())
                .collect::<Vec<_>>()
        );
        let after_first = ListQuery {
            cursor: first.next_cursor.clone(),
            ..query.clone()
        };
        assert_eq!(ask(&after_first), second, "the cursor needs no listed file");
    }

    #[test]
    fn a_page_that_would_read_too_many_files_is_left_to_the_index() {
        let home = home();
        for n in 200..(200 + SPARE_READS as u32 + 20) {
            write(home.path(), 1_800_000_000 + i64::from(n), n, "mock", None);
        }
        let unused_first = ListQuery {
            limit: 5,
            ..ListQuery::default()
        };
        assert_eq!(
            page(home.path(), &unused_first, &Mutex::default()).unwrap(),
            None
        );
        let by_update = ListQuery {
            limit: 5,
            sort_key: SortKey::UpdatedAt,
            ..ListQuery::default()
        };
        assert_eq!(
            page(home.path(), &by_update, &Mutex::default()).unwrap(),
            None
        );
    }

    #[test]
    fn lists_before_the_index_caught_up_are_answered_right() {
        let home = home();
        let expected = {
            let built = Index::open(home.path()).unwrap();
            let query = ListQuery {
                limit: 10,
                model_providers: Some(vec!["rare".to_string()]),
                ..ListQuery::default()
            };
            (
                built
                    .list(&ListQuery {
                        limit: 10,
                        ..ListQuery::default()
                    })
                    .unwrap(),
                built.list(&query).unwrap(),
            )
        };
        std::fs::remove_file(home.path().join(crate::INDEX_FILE_NAME)).unwrap();

        // An index that has not caught up (its build not even started): the first page comes
        // from the files at once...
        let index = Index::connect(home.path()).unwrap();
        assert!(!index.is_ready());
        let (sent, answered) = mpsc::channel();
        let listing = index.clone();
        std::thread::spawn(move || {
            let first = listing.list(&ListQuery {
                limit: 10,
                ..ListQuery::default()
            });
            sent.send(first.unwrap()).unwrap();
            // ...and a sparse filter waits for the index.
            let rare = listing.list(&ListQuery {
                limit: 10,
                model_providers: Some(vec!["rare".to_string()]),
                ..ListQuery::default()
            });
            sent.send(rare.unwrap()).unwrap();
        });
        let first = answered.recv_timeout(Duration::from_secs(20)).unwrap();
        assert_eq!(first, expected.0);
        assert!(!index.is_ready());
        index.build();
        let rare = answered.recv_timeout(Duration::from_secs(20)).unwrap();
        assert_eq!(rare, expected.1);
    }
}
