//! Writing, reading, resuming, archiving and naming threads.

use codex_protocol::ThreadId;
use codex_rollout::ListQuery;
use codex_rollout::RolloutError;
use codex_rollout::RolloutItem;
use codex_rollout::RolloutStore;
use pretty_assertions::assert_eq;

use super::support::append_raw;
use super::support::thread;
use super::support::user_message;

fn live(store: &RolloutStore) -> Vec<ThreadId> {
    let query = ListQuery {
        limit: 100,
        ..ListQuery::default()
    };
    store
        .list(&query)
        .unwrap()
        .items
        .iter()
        .map(|t| t.id)
        .collect()
}

#[test]
fn written_lines_read_back_and_list() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (id, mut writer) = thread(&store, 1_700_000_000, "mock", "/w", "hello");
    writer.append(user_message("again")).unwrap();
    let path = writer.path().to_path_buf();
    assert!(
        path.ends_with(format!(
            "sessions/2023/11/14/rollout-2023-11-14T22-13-20-{id}.jsonl"
        )),
        "{}",
        path.display()
    );

    let loaded = store.read(id).unwrap();
    assert_eq!(loaded.meta.id, id);
    assert_eq!(loaded.skipped, 0);
    let kinds: Vec<&str> = loaded.lines.iter().map(|l| l.item.kind()).collect();
    assert_eq!(kinds, ["session_meta", "event_msg", "event_msg"]);
    assert_eq!(loaded.lines[1].item, user_message("hello"));

    let page = store
        .list(&ListQuery {
            limit: 10,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let summary = &page.items[0];
    assert_eq!(summary.id, id);
    assert_eq!(summary.preview, "hello");
    assert_eq!(summary.path, path);
    assert_eq!(summary.created_at, 1_700_000_000);
    assert_eq!(page.next_cursor, None);
}

#[test]
fn a_thread_without_user_messages_is_not_listed_but_can_be_read() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let at = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let id = ThreadId::new();
    store
        .create(super::support::meta(id, at, "mock", "/w"), at)
        .unwrap();
    assert_eq!(live(&store), Vec::<ThreadId>::new());
    assert_eq!(store.read(id).unwrap().lines.len(), 1);
    assert!(matches!(
        store.create(super::support::meta(id, at, "mock", "/w"), at),
        Err(RolloutError::AlreadyExists(_))
    ));
}

#[test]
fn a_torn_last_line_is_tolerated_by_read_list_and_resume() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (id, writer) = thread(&store, 1_700_000_000, "mock", "/w", "hello");
    let path = writer.path().to_path_buf();
    drop(writer);
    append_raw(
        &path,
        br#"{"timestamp":"2026-01-01T00:00:00.000Z","type":"event_msg","payl"#,
    );

    let loaded = store.read(id).unwrap();
    assert_eq!((loaded.lines.len(), loaded.skipped), (2, 1));

    let reopened = RolloutStore::open(home.path()).unwrap();
    assert_eq!(live(&reopened), vec![id]);

    let mut writer = reopened.resume(id).unwrap();
    writer.append(user_message("after the crash")).unwrap();
    let loaded = reopened.read(id).unwrap();
    assert_eq!(loaded.skipped, 1);
    assert_eq!(
        loaded.lines.last().unwrap().item,
        user_message("after the crash")
    );
}

#[test]
fn a_half_written_file_is_skipped_by_listing_and_fails_reading() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (good, _writer) = thread(&store, 1_700_000_000, "mock", "/w", "hello");
    let broken = ThreadId::new();
    let dir = home.path().join("sessions/2023/11/14");
    let path = dir.join(format!("rollout-2023-11-14T22-13-21-{broken}.jsonl"));
    std::fs::write(
        &path,
        br#"{"timestamp":"2023-11-14T22:13:21.000Z","type":"session_meta","payload":{"id":"#,
    )
    .unwrap();

    let reopened = RolloutStore::open(home.path()).unwrap();
    assert_eq!(live(&reopened), vec![good]);
    assert!(matches!(
        reopened.read(broken),
        Err(RolloutError::NoSessionMeta(_))
    ));
    assert!(matches!(
        codex_rollout::read_rollout(&dir.join("missing.jsonl")),
        Err(RolloutError::FileNotFound(_))
    ));
}

#[test]
fn archive_and_unarchive_move_the_file_and_the_listing() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (id, writer) = thread(&store, 1_700_000_000, "mock", "/w", "hello");
    let live_path = writer.path().to_path_buf();
    drop(writer);

    let archived_path = store.archive(id).unwrap();
    assert_eq!(
        archived_path,
        home.path()
            .join("archived_sessions")
            .join(live_path.file_name().unwrap())
    );
    assert!(!live_path.exists() && archived_path.exists());
    assert_eq!(live(&store), Vec::<ThreadId>::new());
    let archived = store
        .list(&ListQuery {
            limit: 10,
            archived: true,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(
        archived
            .items
            .iter()
            .map(|t| (t.id, t.archived))
            .collect::<Vec<_>>(),
        [(id, true)]
    );
    assert_eq!(store.read(id).unwrap().meta.id, id);

    // A fresh index agrees.
    let reopened = RolloutStore::open(home.path()).unwrap();
    assert_eq!(reopened.find(id).unwrap(), archived_path);

    assert_eq!(store.unarchive(id).unwrap(), live_path);
    assert_eq!(live(&store), vec![id]);
}

#[test]
fn thread_names_latest_wins_and_torn_lines_are_skipped() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (a, b) = (ThreadId::new(), ThreadId::new());
    assert!(store.thread_names().unwrap().is_empty());
    store.set_thread_name(a, "first").unwrap();
    store.set_thread_name(b, "other").unwrap();
    append_raw(&home.path().join("session_index.jsonl"), br#"{"id":"torn"#);
    store.set_thread_name(a, "second").unwrap();
    let names = store.thread_names().unwrap();
    assert_eq!(names.get(&a).map(String::as_str), Some("second"));
    assert_eq!(names.get(&b).map(String::as_str), Some("other"));
    assert_eq!(names.len(), 2);
}

#[test]
fn unknown_lines_are_kept() {
    let home = tempfile::tempdir().unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let (id, writer) = thread(&store, 1_700_000_000, "mock", "/w", "hello");
    append_raw(
        writer.path(),
        b"{\"timestamp\":\"t\",\"type\":\"future\",\"payload\":{\"x\":1}}\n",
    );
    let loaded = store.read(id).unwrap();
    assert!(matches!(&loaded.lines[2].item, RolloutItem::Unknown { kind, .. } if kind == "future"));
}
