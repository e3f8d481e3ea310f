//! The index: rebuilt when deleted or corrupt, repaired when stale, exact under sparse filters.

use std::collections::HashSet;

use codex_protocol::ThreadId;
use codex_rollout::INDEX_FILE_NAME;
use codex_rollout::ListQuery;
use codex_rollout::Page;
use codex_rollout::RolloutLine;
use codex_rollout::RolloutStore;
use codex_rollout::SortKey;
use codex_rollout::SourceKind;
use pretty_assertions::assert_eq;
use time::OffsetDateTime;

use super::support::append_raw;
use super::support::install_samples;
use super::support::meta;
use super::support::thread;
use super::support::user_message;
use super::support::write_rollout;

fn all(store: &RolloutStore, query: ListQuery) -> Vec<Page> {
    let mut pages = Vec::new();
    let mut query = query;
    loop {
        let page = store.list(&query).unwrap();
        let next = page.next_cursor.clone();
        pages.push(page);
        match next {
            Some(cursor) => query.cursor = Some(cursor),
            None => return pages,
        }
    }
}

fn ids(pages: &[Page]) -> Vec<ThreadId> {
    pages
        .iter()
        .flat_map(|p| p.items.iter().map(|t| t.id))
        .collect()
}

#[test]
fn sparse_filters_page_exactly() {
    let home = tempfile::tempdir().unwrap();
    let mut matching = Vec::new();
    for n in 0..300 {
        // Some share a second, so ties are broken by id.
        let at = 1_700_000_000 + (n / 3) * 60;
        let provider = if n % 100 == 7 { "rare" } else { "common" };
        let id = write_rollout(home.path(), at, provider, "/w", &format!("thread {n}"));
        if provider == "rare" {
            matching.push(id);
        }
    }
    let store = RolloutStore::open(home.path()).unwrap();
    for sort_key in [SortKey::CreatedAt, SortKey::UpdatedAt] {
        let query = ListQuery {
            limit: 2,
            sort_key,
            model_providers: Some(vec!["rare".to_string()]),
            ..ListQuery::default()
        };
        let pages = all(&store, query);
        assert_eq!(
            pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
            [2, 1]
        );
        let got = ids(&pages);
        assert_eq!(
            got.iter().collect::<HashSet<_>>(),
            matching.iter().collect::<HashSet<_>>()
        );
    }
    // Created-at order is newest first, and every thread shows up once across small pages.
    let pages = all(
        &store,
        ListQuery {
            limit: 7,
            ..ListQuery::default()
        },
    );
    let got = ids(&pages);
    assert_eq!(got.len(), 300);
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 300);
    let created: Vec<i64> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|t| t.created_at))
        .collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]));

    let none = store
        .list(&ListQuery {
            limit: 5,
            source_kinds: Some(vec![SourceKind::Cli]),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(none.items.len(), 0);
    let by_cwd = store
        .list(&ListQuery {
            limit: 500,
            cwd: Some("/w".into()),
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(by_cwd.items.len(), 300);
}

#[test]
fn a_deleted_or_corrupt_index_is_rebuilt_with_the_same_results() {
    let home = tempfile::tempdir().unwrap();
    install_samples(home.path());
    let store = RolloutStore::open(home.path()).unwrap();
    thread(&store, 1_700_000_000, "other", "/w", "ours");
    let query = ListQuery {
        limit: 3,
        ..ListQuery::default()
    };
    let before = all(&store, query.clone());
    drop(store);

    let index = home.path().join(INDEX_FILE_NAME);
    assert!(index.exists());
    std::fs::remove_file(&index).unwrap();
    let rebuilt = RolloutStore::open(home.path()).unwrap();
    assert_eq!(all(&rebuilt, query.clone()), before);
    drop(rebuilt);

    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", index.display()));
    }
    std::fs::write(
        &index,
        b"this is not a sqlite database, just garbage bytes ...",
    )
    .unwrap();
    let rebuilt = RolloutStore::open(home.path()).unwrap();
    assert_eq!(all(&rebuilt, query), before);
}

#[test]
fn an_index_damaged_past_its_header_is_rebuilt_by_a_background_open() {
    let home = tempfile::tempdir().unwrap();
    for n in 0..200 {
        write_rollout(home.path(), 1_700_000_000 + n * 60, "mock", "/w", "hello");
    }
    let query = ListQuery {
        limit: 50,
        ..ListQuery::default()
    };
    let store = RolloutStore::open(home.path()).unwrap();
    let before = all(&store, query.clone());
    drop(store);

    // Opening reads only the first page (the header and the schema); the rest is garbage.
    let index = home.path().join(INDEX_FILE_NAME);
    let mut bytes = std::fs::read(&index).unwrap();
    assert!(bytes.len() > 4 * 4096, "a small index: {}", bytes.len());
    for byte in &mut bytes[4096..] {
        *byte = 0xAB;
    }
    std::fs::write(&index, bytes).unwrap();

    let store = RolloutStore::open_in_background(home.path()).unwrap();
    store.wait_for_index().unwrap();
    assert!(store.wait_for_background(std::time::Duration::from_secs(30)));
    assert_eq!(all(&store, query), before);
}

#[test]
fn a_stale_index_is_repaired() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (kept, writer) = thread(&store, 1_700_000_000, "mock", "/w", "kept");
    let (removed, removed_writer) = thread(&store, 1_700_000_100, "mock", "/w", "removed");
    let kept_path = writer.path().to_path_buf();
    let removed_path = removed_writer.path().to_path_buf();
    drop((writer, removed_writer));
    // A thread started but unused, whose first user message arrives behind the index's back.
    let at = OffsetDateTime::from_unix_timestamp(1_700_000_200).unwrap();
    let late = ThreadId::new();
    let late_path = store
        .create(meta(late, at, "mock", "/w"), at)
        .unwrap()
        .path()
        .to_path_buf();
    drop(store);

    std::fs::remove_file(&removed_path).unwrap();
    let added = write_rollout(home.path(), 1_700_000_300, "mock", "/w", "added");
    let line = RolloutLine {
        timestamp: "2023-11-14T22:20:00.000Z".into(),
        item: user_message("late"),
    };
    append_raw(
        &late_path,
        format!("{}\n", serde_json::to_string(&line).unwrap()).as_bytes(),
    );
    // Make sure the mtime moves even on coarse-grained file systems.
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(&kept_path)
        .unwrap();
    file.set_modified(
        std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000),
    )
    .unwrap();

    let store = RolloutStore::open(home.path()).unwrap();
    let page = store
        .list(&ListQuery {
            limit: 10,
            sort_key: SortKey::UpdatedAt,
            ..ListQuery::default()
        })
        .unwrap();
    let listed: Vec<(ThreadId, &str)> = page
        .items
        .iter()
        .map(|t| (t.id, t.preview.as_str()))
        .collect();
    assert_eq!(
        listed[0],
        (kept, "kept"),
        "the touched file is the most recently updated"
    );
    let listed: HashSet<_> = listed.into_iter().collect();
    assert_eq!(
        listed,
        HashSet::from([(kept, "kept"), (added, "added"), (late, "late")])
    );
    assert!(store.find(removed).is_err());
    assert_eq!(page.items[0].updated_at, 1_800_000_000);

    // A file added while the store is open is found on demand.
    let later = write_rollout(home.path(), 1_700_000_400, "mock", "/w", "later");
    assert_eq!(store.read(later).unwrap().meta.id, later);
}

#[test]
fn an_index_corrupted_while_open_is_rebuilt_on_the_next_list() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (id, _writer) = thread(&store, 1_700_000_000, "mock", "/w", "hello");
    let index = home.path().join(INDEX_FILE_NAME);
    std::fs::write(&index, vec![0xAB; 8192]).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::write(format!("{}{suffix}", index.display()), vec![0xCD; 8192]);
    }
    let page = store
        .list(&ListQuery {
            limit: 10,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![id]
    );
}

#[test]
fn a_store_that_only_writes_never_opens_the_index() {
    let home = tempfile::tempdir().unwrap();
    let index = home.path().join(INDEX_FILE_NAME);
    let store = RolloutStore::open_in_background(home.path()).unwrap();
    let (first, mut writer) = thread(&store, 1_700_000_000, "mock", "/w", "hello");
    writer.append(user_message("and more")).unwrap();
    let (second, _writer) = thread(&store, 1_700_000_100, "mock", "/w", "again");
    assert!(store.wait_for_background(std::time::Duration::from_secs(5)));
    assert!(!index.exists(), "writing rollouts opened the index");

    // The first list opens it, and it knows what was written while it was closed.
    let pages = all(
        &store,
        ListQuery {
            limit: 1,
            ..ListQuery::default()
        },
    );
    store.wait_for_index().unwrap();
    assert!(index.exists());
    let listed: Vec<(ThreadId, String)> = pages
        .iter()
        .flat_map(|page| &page.items)
        .map(|thread| (thread.id, thread.preview.clone()))
        .collect();
    assert_eq!(
        listed,
        vec![(second, "again".to_string()), (first, "hello".to_string())]
    );
}
