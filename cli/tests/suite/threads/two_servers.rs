//! Two servers on one CODEX_HOME: a server that keeps running lists threads that another
//! process wrote after it started, at its next `thread/list`, without a restart.

use codex_test_support::Reply;
use codex_test_support::sse;
use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::thread_id;
use super::live::turn;
use crate::suite::serve::Client;
use crate::suite::serve::TIMEOUT;

/// The ids `thread/list` answers with, in order.
async fn list(client: &mut Client, id: u64) -> Vec<String> {
    let answer = client
        .request(&json!({"id": id, "method": "thread/list", "params": {}}))
        .await;
    let data = answer["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}\n{}", client.report()));
    data.iter()
        .map(|thread| thread["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until the rollout at `path` holds a line containing `needle`: the other server
/// records from a background task, and only a written rollout can be listed.
async fn written(path: &str, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path} never held {needle}:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_running_server_lists_threads_another_server_wrote() {
    let live = Live::new().await;
    live.model
        .enqueue(Reply::sse(sse::text_turn("resp-1", "Hello from B")));
    let (_first, mut first) = live.serve().await;
    assert_eq!(list(&mut first, 1).await, Vec::<String>::new());

    let (_second, mut second) = live.serve().await;
    let started = live.start_thread(&mut second, 1, json!({})).await;
    let thread = thread_id(&started);
    turn(&mut second, 2, &thread, "written by the second server").await;
    let path = started["thread"]["path"].as_str().unwrap().to_owned();
    let text = written(&path, "written by the second server").await;
    assert_eq!(
        list(&mut first, 2).await,
        [thread.as_str()],
        "{}",
        first.report()
    );

    // A rollout that a program which knows nothing of the index (the reference) drops into the
    // same day folder: the same thread under another id.
    let last = thread.chars().last().unwrap();
    let copy = format!(
        "{}{}",
        &thread[..thread.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let copy_path = path.replace(&thread, &copy);
    std::fs::write(&copy_path, text.replace(&thread, &copy)).unwrap();
    let mut listed = list(&mut first, 3).await;
    listed.sort();
    let mut expected = vec![thread.clone(), copy.clone()];
    expected.sort();
    assert_eq!(listed, expected, "{}", first.report());

    // And archived by the second server: gone from the first one's live list.
    let archived = second
        .request(&json!({"id": 3, "method": "thread/archive", "params": {"threadId": thread}}))
        .await;
    assert_eq!(archived["result"], json!({}), "{}", second.report());
    assert_eq!(list(&mut first, 4).await, [copy], "{}", first.report());
    let answer = first
        .request(&json!({"id": 5, "method": "thread/list", "params": {"archived": true}}))
        .await;
    let ids: Vec<&Value> = answer["result"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|thread| &thread["id"])
        .collect();
    assert_eq!(ids, [&json!(thread)], "{}", first.report());
}
