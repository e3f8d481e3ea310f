//! Listing a large store: a fresh server answers the first pages from the newest rollouts while
//! its index is built, and a rollout that another process appends to is seen by the next list.

use std::path::Path;
use std::path::PathBuf;
use std::time::Duration;
use std::time::SystemTime;

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::samples;
use super::session_meta;
use crate::suite::config::Folders;

/// `n` copies of the `text-turn` sample, one every `step` seconds from 2024-01-01 (all within
/// that January) under fresh ids, written where and as the reference names them. Returns
/// (id, path), oldest first.
fn clones(home: &Path, n: u64, step: u64) -> Vec<(String, PathBuf)> {
    let text = std::fs::read_to_string(samples().join("text-turn.jsonl")).unwrap();
    let original = session_meta(&text)["id"].as_str().unwrap().to_owned();
    (0..n)
        .map(|k| {
            let id = format!("0190a000-0000-7000-8000-{k:012x}");
            let secs = k * step;
            let day = 1 + secs / 86_400;
            assert!(day <= 31, "the clones stay within January");
            let (hour, minute, second) = (secs % 86_400 / 3600, secs % 3600 / 60, secs % 60);
            let dir = home.join(format!("sessions/2024/01/{day:02}"));
            std::fs::create_dir_all(&dir).unwrap();
            let name =
                format!("rollout-2024-01-{day:02}T{hour:02}-{minute:02}-{second:02}-{id}.jsonl");
            let path = dir.join(name);
            std::fs::write(&path, text.replace(&original, &id)).unwrap();
            (id, path)
        })
        .collect()
}

/// Sets the mtime of every file and folder under `dir` (and of `dir`) to `at`.
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

fn ids(answer: &Value) -> Vec<String> {
    answer["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {answer}"))
        .iter()
        .map(|thread| thread["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_fresh_server_pages_through_a_store_it_has_not_indexed_yet() {
    let folders = Folders::new();
    folders.write_user_config("model_provider = \"mock\"\n");
    // 2,000 threads over 10 days: far more than a page, so the index is still being built
    // when the first page is asked for.
    let stored = clones(&folders.home(), 2000, 432);
    let newest: Vec<String> = stored.iter().rev().map(|(id, _)| id.clone()).collect();
    let (_server, mut client) = folders.stdio().await;

    let mut listed = Vec::new();
    let mut cursor = Value::Null;
    for id in 1..=3 {
        let page = client
            .request(&json!({"id": id, "method": "thread/list", "params": {"limit": 25, "cursor": cursor}}))
            .await;
        listed.extend(ids(&page));
        cursor = page["result"]["nextCursor"].clone();
        assert!(cursor.is_string(), "{}", client.report());
    }
    assert_eq!(listed, newest[..75], "{}", client.report());

    // The updated_at order comes from the index, waited for: every file was written in order,
    // so the newest update is the newest thread.
    let by_update = client
        .request(&json!({"id": 4, "method": "thread/list", "params": {"limit": 5, "sortKey": "updated_at"}}))
        .await;
    let mut expected_by_mtime: Vec<(SystemTime, String)> = stored
        .iter()
        .map(|(id, path)| (path.metadata().unwrap().modified().unwrap(), id.clone()))
        .collect();
    expected_by_mtime.sort();
    let got = ids(&by_update);
    assert_eq!(got.len(), 5, "{}", client.report());
    let newest_mtime = expected_by_mtime.last().unwrap().0;
    for id in &got {
        let (mtime, _) = expected_by_mtime
            .iter()
            .find(|(_, known)| known == id)
            .unwrap();
        // Whole seconds, as thread/list shows them.
        let secs = |at: SystemTime| at.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs(*mtime), secs(newest_mtime), "{}", client.report());
    }
}

#[tokio::test]
async fn a_rollout_another_process_appends_to_is_seen_by_the_next_list() {
    let folders = Folders::new();
    folders.write_user_config("model_provider = \"mock\"\n");
    let stored = clones(&folders.home(), 3, 60);
    // Written years ago, so nothing about them is recent when the server starts.
    let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    age(&folders.home().join("sessions"), long_ago);
    for (n, (_, path)) in stored.iter().enumerate() {
        let at = long_ago + Duration::from_secs(60 * n as u64);
        std::fs::File::options()
            .append(true)
            .open(path)
            .unwrap()
            .set_modified(at)
            .unwrap();
    }
    let (_server, mut client) = folders.stdio().await;
    let by_update = json!({"method": "thread/list", "params": {"sortKey": "updated_at"}});
    let ask = |id: u64| {
        let mut request = by_update.clone();
        request["id"] = json!(id);
        request
    };
    let before = client.request(&ask(1)).await;
    let expected: Vec<String> = stored.iter().rev().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids(&before), expected, "{}", client.report());

    // Another process appends a line to the oldest one, as the reference resuming it would.
    let (oldest, path) = &stored[0];
    let line = r#"{"timestamp":"2024-01-02T00:00:00.000Z","type":"event_msg","payload":{"type":"agent_message","message":"appended elsewhere"}}"#;
    let status = std::process::Command::new("sh")
        .args(["-c", "printf '%s\\n' \"$0\" >> \"$1\"", line])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());

    let after = client.request(&ask(2)).await;
    let got = ids(&after);
    assert_eq!(&got[0], oldest, "{}", client.report());
    let updated = after["result"]["data"][0]["updatedAt"].as_i64().unwrap();
    let mtime = path
        .metadata()
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert_eq!(updated, mtime, "{}", client.report());
}
