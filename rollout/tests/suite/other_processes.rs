//! A store that stays open sees what other processes do to the same CODEX_HOME: a second store
//! (another server) and plain file writes (the reference, which knows nothing of the index),
//! at its next list and without reading files that did not change.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;
use std::time::SystemTime;

use codex_protocol::ThreadId;
use codex_rollout::IndexCounts;
use codex_rollout::ListQuery;
use codex_rollout::RolloutLine;
use codex_rollout::RolloutStore;
use codex_rollout::SortKey;
use pretty_assertions::assert_eq;
use time::OffsetDateTime;

use super::support::append_raw;
use super::support::meta;
use super::support::thread;
use super::support::user_message;
use super::support::write_rollout;
use super::support::write_rollout_file;

/// Every listed thread (live or archived) with its preview, newest first.
fn listed(store: &RolloutStore, archived: bool) -> Vec<(ThreadId, String)> {
    let page = store
        .list(&ListQuery {
            limit: 1000,
            archived,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(page.next_cursor, None);
    page.items
        .into_iter()
        .map(|thread| (thread.id, thread.preview))
        .collect()
}

fn ids(listed: &[(ThreadId, String)]) -> HashSet<ThreadId> {
    listed.iter().map(|(id, _)| *id).collect()
}

/// The counts a call added.
fn delta(store: &RolloutStore, call: impl FnOnce()) -> IndexCounts {
    let before = store.index_counts();
    call();
    let after = store.index_counts();
    IndexCounts {
        folders_listed: after.folders_listed - before.folders_listed,
        files_checked: after.files_checked - before.files_checked,
        files_read: after.files_read - before.files_read,
    }
}

/// Sets the mtime of every file and folder under `dir` (and of `dir`) to `at`, deepest first, as
/// a tree written long ago has.
fn age(dir: &Path, at: SystemTime) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            age(&path, at);
        } else {
            std::fs::File::options()
                .append(true)
                .open(&path)
                .unwrap()
                .set_modified(at)
                .unwrap();
        }
    }
    std::fs::File::open(dir).unwrap().set_modified(at).unwrap();
}

fn long_ago() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000)
}

#[test]
fn a_second_store_on_the_same_home_is_seen_without_reopening() {
    let home = tempfile::tempdir().unwrap();
    let first = RolloutStore::open(home.path()).unwrap();
    assert_eq!(listed(&first, false), []);

    let second = RolloutStore::open(home.path()).unwrap();
    let (written, _writer) = thread(&second, 1_700_000_000, "mock", "/w", "from the second");
    assert_eq!(
        listed(&first, false),
        [(written, "from the second".to_string())]
    );

    // A thread the second store started shows once its first user message is appended.
    let at = OffsetDateTime::from_unix_timestamp(1_700_000_100).unwrap();
    let late = ThreadId::new();
    let mut writer = second.create(meta(late, at, "mock", "/w"), at).unwrap();
    assert_eq!(ids(&listed(&first, false)), HashSet::from([written]));
    writer.append(user_message("appended")).unwrap();
    assert_eq!(ids(&listed(&first, false)), HashSet::from([written, late]));

    second.archive(written).unwrap();
    assert_eq!(ids(&listed(&first, false)), HashSet::from([late]));
    assert_eq!(
        listed(&first, true),
        [(written, "from the second".to_string())]
    );
    assert_eq!(
        first.find(written).unwrap(),
        home.path()
            .join("archived_sessions")
            .join(second.find(written).unwrap().file_name().unwrap())
    );
    second.unarchive(written).unwrap();
    assert_eq!(ids(&listed(&first, false)), HashSet::from([written, late]));
    assert_eq!(listed(&first, true), []);
}

#[test]
fn rollouts_written_by_another_program_show_at_the_next_list() {
    let home = tempfile::tempdir().unwrap();
    let old = write_rollout(home.path(), 1_600_000_000, "mock", "/w", "old");
    let store = RolloutStore::open(home.path()).unwrap();
    assert_eq!(ids(&listed(&store, false)), HashSet::from([old]));

    // A new file in a new day folder, and one in a day folder the store has seen.
    let new_day = write_rollout(home.path(), 1_700_000_000, "mock", "/w", "new day");
    let same_day = write_rollout(home.path(), 1_600_000_100, "mock", "/w", "same day");
    assert_eq!(
        ids(&listed(&store, false)),
        HashSet::from([old, new_day, same_day])
    );

    // A thread started by the other program, whose first user message comes later: appending
    // changes no folder, but the file is being written now, so it is looked at.
    let (started, path) = write_rollout_file(home.path(), 1_700_000_200, "mock", "/w", None);
    let before = listed(&store, false);
    assert!(!ids(&before).contains(&started));
    let line = RolloutLine {
        timestamp: "2023-11-14T22:20:00.000Z".into(),
        item: user_message("typed later"),
    };
    append_raw(
        &path,
        format!("{}\n", serde_json::to_string(&line).unwrap()).as_bytes(),
    );
    assert!(listed(&store, false).contains(&(started, "typed later".to_string())));

    // Appending to a listed thread moves its updated_at.
    let touched = std::fs::File::options().append(true).open(&path).unwrap();
    append_raw(&path, b"{\"not\":\"a rollout line\"}\n");
    touched
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_900_000_000))
        .unwrap();
    let page = store
        .list(&ListQuery {
            limit: 1,
            sort_key: SortKey::UpdatedAt,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(
        (page.items[0].id, page.items[0].updated_at),
        (started, 1_900_000_000)
    );

    // Archived by moving the file, then deleted.
    let name = path.file_name().unwrap();
    let archived = home.path().join("archived_sessions").join(name);
    std::fs::create_dir_all(archived.parent().unwrap()).unwrap();
    std::fs::rename(&path, &archived).unwrap();
    assert!(!ids(&listed(&store, false)).contains(&started));
    assert_eq!(listed(&store, true), [(started, "typed later".to_string())]);
    std::fs::remove_file(&archived).unwrap();
    assert_eq!(listed(&store, true), []);

    // A whole day folder removed.
    let day = store.find(new_day).unwrap().parent().unwrap().to_path_buf();
    std::fs::remove_dir_all(day).unwrap();
    assert_eq!(ids(&listed(&store, false)), HashSet::from([old, same_day]));
}

#[test]
fn a_list_reads_only_what_changed() {
    let home = tempfile::tempdir().unwrap();
    let day = 86_400;
    let mut written = HashSet::new();
    for n in 0..120 {
        // 12 day folders of 10 rollouts each.
        let at = 1_600_000_000 + (n % 12) * day + n;
        written.insert(write_rollout(home.path(), at, "mock", "/w", "old"));
    }
    age(home.path(), long_ago());
    let store = RolloutStore::open(home.path()).unwrap();
    assert_eq!(store.index_counts().files_read, 120);
    assert_eq!(ids(&listed(&store, false)), written);

    // Nothing changed: no folder is listed, no file looked at.
    let quiet = delta(&store, || {
        assert_eq!(ids(&listed(&store, false)).len(), 120)
    });
    assert_eq!(quiet, IndexCounts::default());

    // A file added to a day folder of ten: that folder is listed and only the new file read.
    let added = write_rollout(home.path(), 1_600_000_000 + 3 * day, "mock", "/w", "added");
    written.insert(added);
    let after = delta(&store, || assert_eq!(ids(&listed(&store, false)), written));
    assert_eq!(
        after,
        IndexCounts {
            folders_listed: 1,
            files_checked: 11,
            files_read: 1,
        }
    );

    // A file in a new month: its year folder, the new month and the new day are listed.
    let month = write_rollout(home.path(), 1_600_000_000 + 90 * day, "mock", "/w", "new");
    written.insert(month);
    let after = delta(&store, || assert_eq!(ids(&listed(&store, false)), written));
    assert_eq!(after.files_read, 1);
    assert!(after.folders_listed <= 5, "{after:?}");
    assert!(after.files_checked <= 12, "{after:?}");

    // What was just written stays under watch for a while, but is not read again.
    let again = delta(&store, || assert_eq!(ids(&listed(&store, false)), written));
    assert_eq!(again.files_read, 0, "{again:?}");
    assert!(again.files_checked <= 12, "{again:?}");
}

#[test]
fn two_stores_writing_and_listing_at_once_both_succeed() {
    let home = tempfile::tempdir().unwrap();
    for n in 0..50 {
        write_rollout(home.path(), 1_600_000_000 + n * 60, "mock", "/w", "old");
    }
    // Both open (and build the index) at the same time.
    let (first, second) = std::thread::scope(|scope| {
        let first = scope.spawn(|| RolloutStore::open(home.path()).unwrap());
        let second = scope.spawn(|| RolloutStore::open(home.path()).unwrap());
        (first.join().unwrap(), second.join().unwrap())
    });
    assert_eq!(listed(&first, false).len(), 50);
    assert_eq!(listed(&second, false).len(), 50);

    let created = std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut created = HashSet::new();
            for n in 0..20 {
                let at = 1_700_000_000 + n * 60;
                let (id, mut writer) = thread(&second, at, "mock", "/w", "busy");
                writer.append(user_message("more")).unwrap();
                created.insert(id);
                created.insert(write_rollout(home.path(), at + 1, "mock", "/w", "raw"));
                second.list(&ListQuery::default()).unwrap();
            }
            created
        });
        for _ in 0..20 {
            first
                .list(&ListQuery {
                    limit: 50,
                    ..ListQuery::default()
                })
                .unwrap();
        }
        writer.join().unwrap()
    });
    let seen = ids(&listed(&first, false));
    assert_eq!(seen.len(), 90);
    assert!(created.is_subset(&seen));
}
