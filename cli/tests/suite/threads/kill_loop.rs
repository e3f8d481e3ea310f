//! `kill -9` at random points of a turn, fifty times over one `CODEX_HOME`: whatever moment the
//! server dies at, every thread it saved stays listable, readable and resumable, and no torn
//! line is ever read as a record (nor has the next record written onto it).
//!
//! The points are drawn from a seeded generator; the seed is printed, and
//! `CODEX_KILL_LOOP_SEED=<seed>` replays a failing run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use codex_test_support::Reply;
use codex_test_support::sse;
use serde_json::Value;
use serde_json::json;

use super::live::Live;
use super::live::thread_id;
use crate::suite::serve::Client;

const ROUNDS: usize = 50;

/// splitmix64: enough randomness to pick kill points, and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % bound
    }
}

fn seed() -> u64 {
    match std::env::var("CODEX_KILL_LOOP_SEED") {
        Ok(seed) => seed.parse().expect("CODEX_KILL_LOOP_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |since| since.as_nanos() as u64),
    }
}

/// What is on disk for one thread.
struct Saved {
    /// The file holds its `session_meta`: the thread exists and must be readable.
    has_meta: bool,
    /// The file holds a user message: `thread/list` must show it.
    has_user_message: bool,
}

/// Reads a rollout as the server left it and checks that no record was written onto a torn
/// line: every line is a whole record, or a fragment cut off by the kill that holds no more
/// than one record's start. Returns what the file holds.
fn check_rollout(path: &PathBuf, context: &str) -> Saved {
    let Ok(bytes) = std::fs::read(path) else {
        return Saved {
            has_meta: false,
            has_user_message: false,
        };
    };
    let text = String::from_utf8_lossy(&bytes);
    let mut saved = Saved {
        has_meta: false,
        has_user_message: false,
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (number, line) in lines.iter().enumerate() {
        let starts = line.matches("{\"timestamp\":").count();
        assert!(
            starts <= 1,
            "{context}: line {} of {} holds two records, one written onto a torn one:\n{line}",
            number + 1,
            path.display()
        );
        // A line that does not parse is torn: the kill cut a write short. It may be the last
        // line, or one that a later server ended with a newline before appending.
        if let Ok(record) = serde_json::from_str::<Value>(line) {
            saved.has_meta |= record["type"] == "session_meta";
            saved.has_user_message |=
                record["type"] == "event_msg" && record["payload"]["type"] == "user_message";
        }
    }
    saved
}

/// Every thread the test started, with its rollout path.
type Threads = BTreeMap<String, PathBuf>;

/// Checks that every saved thread is listed and readable, and resumes `resume`.
async fn check_threads(client: &mut Client, threads: &Threads, context: &str, next_id: &mut u64) {
    let mut id = || {
        *next_id += 1;
        *next_id
    };
    let listed = client
        .request(&json!({"id": id(), "method": "thread/list", "params": {"limit": 200, "modelProviders": []}}))
        .await;
    let listed: Vec<&str> = listed["result"]["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{context}: thread/list failed\n{}", client.report()))
        .iter()
        .filter_map(|thread| thread["id"].as_str())
        .collect();
    let listed: Vec<String> = listed.into_iter().map(str::to_owned).collect();
    for (thread, path) in threads {
        let saved = check_rollout(path, context);
        if saved.has_user_message {
            assert!(
                listed.contains(thread),
                "{context}: thread {thread} was saved with a user message but is not listed\n{}",
                client.report()
            );
        }
        if saved.has_meta {
            let read = client
                .request(&json!({"id": id(), "method": "thread/read", "params": {"threadId": thread, "includeTurns": true}}))
                .await;
            assert!(
                read["result"]["thread"]["turns"].is_array(),
                "{context}: thread/read of {thread} failed: {read}\n{}",
                client.report()
            );
        }
    }
}

#[tokio::test]
async fn kill_9_at_random_points_of_a_turn_loses_no_saved_thread() {
    let seed = seed();
    eprintln!("kill loop seed: {seed} (CODEX_KILL_LOOP_SEED={seed} replays it)");
    let mut rng = Rng(seed);
    let live = Live::new().await;
    let mut threads = Threads::new();
    let mut last: Option<String> = None;
    for round in 0..ROUNDS {
        let context = format!("seed {seed}, round {round}");
        // Twenty words, 15 ms apart: the kill lands before, during or after the answer.
        let text: String = (0..20).map(|n| format!("w{round}x{n} ")).collect();
        live.model.enqueue(
            Reply::sse(sse::text_turn(&format!("resp-{round}"), &text))
                .delay_between_events(Duration::from_millis(15)),
        );
        let (server, mut client) = live.serve().await;
        let mut next_id = 0;
        check_threads(&mut client, &threads, &context, &mut next_id).await;

        // Every other round resumes the last thread; the others start a new one.
        let resumed = match (&last, rng.below(2)) {
            (Some(thread), 0) if check_rollout(&threads[thread], &context).has_meta => {
                let answer = client
                    .request(&json!({"id": 1000, "method": "thread/resume", "params": {"threadId": thread}}))
                    .await;
                assert!(
                    answer["result"]["thread"].is_object(),
                    "{context}: thread/resume of {thread} failed: {answer}\n{}",
                    client.report()
                );
                Some(thread.clone())
            }
            _ => None,
        };
        let thread = match resumed {
            Some(thread) => thread,
            None => {
                let answer = client
                    .request(&json!({"id": 1001, "method": "thread/start", "params": {"cwd": live.work}}))
                    .await;
                let result = &answer["result"];
                assert!(
                    result.is_object(),
                    "{context}: {answer}\n{}",
                    client.report()
                );
                let thread = thread_id(result);
                let path = result["thread"]["path"].as_str().unwrap_or_default();
                threads.insert(thread.clone(), PathBuf::from(path));
                thread
            }
        };
        last = Some(thread.clone());
        client
            .send(&json!({"id": 1002, "method": "turn/start", "params": {
                "threadId": thread, "input": [{"type": "text", "text": format!("round {round}")}],
            }}))
            .await;
        tokio::time::sleep(Duration::from_millis(rng.below(400))).await;
        server.signal("KILL");
        let _ = server.exit().await;
    }

    // A last server, started normally: everything saved is there, and every saved thread
    // resumes.
    let (_server, mut client) = live.serve().await;
    let mut next_id = 0;
    check_threads(
        &mut client,
        &threads,
        &format!("seed {seed}, at the end"),
        &mut next_id,
    )
    .await;
    for (thread, path) in &threads {
        if !check_rollout(path, "at the end").has_meta {
            continue;
        }
        next_id += 1;
        let answer = client
            .request(
                &json!({"id": next_id, "method": "thread/resume", "params": {"threadId": thread}}),
            )
            .await;
        assert!(
            answer["result"]["thread"].is_object(),
            "seed {seed}: thread/resume of {thread} failed: {answer}\n{}",
            client.report()
        );
    }
}
