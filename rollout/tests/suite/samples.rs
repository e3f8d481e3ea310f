//! The rollouts written by the reference are listed, read and resumed.

use codex_protocol::ThreadId;
use codex_rollout::ListQuery;
use codex_rollout::RolloutStore;
use codex_rollout::SortKey;
use pretty_assertions::assert_eq;

use super::support::install_samples;
use super::support::samples;
use super::support::user_message;

#[test]
fn reference_rollouts_are_listed_read_and_resumed() {
    let home = tempfile::tempdir().unwrap();
    let installed = install_samples(home.path());
    assert_eq!(installed.len(), 8);
    let store = RolloutStore::open(home.path()).unwrap();

    for archived in [false, true] {
        for sort_key in [SortKey::CreatedAt, SortKey::UpdatedAt] {
            let query = ListQuery {
                limit: 100,
                archived,
                sort_key,
                ..ListQuery::default()
            };
            let page = store.list(&query).unwrap();
            let mut listed: Vec<ThreadId> = page.items.iter().map(|t| t.id).collect();
            listed.sort();
            let mut expected: Vec<ThreadId> = installed
                .iter()
                .filter(|(_, a)| *a == archived)
                .map(|(id, _)| *id)
                .collect();
            expected.sort();
            assert_eq!(listed, expected);
        }
    }

    let page = store
        .list(&ListQuery {
            limit: 100,
            ..ListQuery::default()
        })
        .unwrap();
    for summary in &page.items {
        assert_eq!(summary.model_provider.as_deref(), Some("mock"));
        assert_eq!(summary.cwd, std::path::Path::new("/home/user/project"));
        assert!(!summary.preview.is_empty());
        assert!(
            !summary.preview.contains("AGENTS.md"),
            "{}",
            summary.preview
        );
        let loaded = store.read(summary.id).unwrap();
        assert_eq!(loaded.skipped, 0);
    }
    let exec = page.items.iter().find(|t| t.git.is_some()).unwrap();
    assert_eq!(exec.preview, "run echo");
    assert_eq!(exec.git.as_ref().unwrap().branch.as_deref(), Some("main"));

    // Resume appends after the reference's last line.
    let id = page.items[0].id;
    let before = store.read(id).unwrap().lines.len();
    store
        .resume(id)
        .unwrap()
        .append(user_message("resumed"))
        .unwrap();
    let after = store.read(id).unwrap();
    assert_eq!(after.lines.len(), before + 1);
    assert_eq!(after.skipped, 0);
}

#[test]
fn the_reference_session_index_is_read() {
    let home = tempfile::tempdir().unwrap();
    std::fs::copy(
        samples().join("session_index.jsonl"),
        home.path().join("session_index.jsonl"),
    )
    .unwrap();
    let store = RolloutStore::open(home.path()).unwrap();
    let id: ThreadId = "01a20b3d-aa18-7602-8d76-9117fcf7bcc1".parse().unwrap();
    assert_eq!(
        store.thread_names().unwrap().get(&id).map(String::as_str),
        Some("My sample thread")
    );
}
