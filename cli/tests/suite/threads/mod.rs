//! The thread and turn methods of a running `codex app-server`: stored threads read from the
//! reference's own rollouts (`stored`), running threads and turns against the mock model
//! (`live`), the agent's tools and approvals (`tools`), and skills (`skills`).
//!
//! Each test gets a temporary CODEX_HOME and talks to the server with the client of `serve`.

mod client_tools;
mod exec_rules;
mod faults;
mod kill_loop;
mod listing;
pub(crate) mod live;
mod long_history;
mod modes;
mod reconnect;
mod resilience;
mod skills;
mod slow_reader;
mod stored;
pub(crate) mod tools;
mod two_servers;
mod v1;
mod web_search;

use std::path::Path;
use std::path::PathBuf;

use serde_json::Value;

/// The reference's rollout samples.
fn samples() -> PathBuf {
    codex_test_support::reference_dir().join("rollouts")
}

/// The first line of a sample, parsed.
fn session_meta(text: &str) -> Value {
    let first = text.lines().next().expect("a sample has a first line");
    serde_json::from_str::<Value>(first).expect("the first line is JSON")["payload"].clone()
}

/// Copies every reference rollout sample into `codex_home`, where and under the name the
/// reference would have written it. Returns the path of each, by sample name (`text-turn`).
fn install_samples(codex_home: &Path) -> Vec<(String, String, PathBuf)> {
    let mut installed = Vec::new();
    for entry in std::fs::read_dir(samples()).expect("the samples folder exists") {
        let path = entry.expect("a readable folder").path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let Some(sample) = name.strip_suffix(".jsonl") else {
            continue;
        };
        if sample == "session_index" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let meta = session_meta(&text);
        let id = meta["id"].as_str().unwrap().to_owned();
        let timestamp = meta["timestamp"].as_str().unwrap();
        let (date, time) = timestamp.split_once('T').unwrap();
        let file = format!("rollout-{date}T{}-{id}.jsonl", time[..8].replace(':', "-"));
        let dir = if sample == "archived" {
            codex_home.join("archived_sessions")
        } else {
            let mut parts = date.split('-');
            let mut dir = codex_home.join("sessions");
            for _ in 0..3 {
                dir = dir.join(parts.next().unwrap());
            }
            dir
        };
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&file), text).unwrap();
        installed.push((sample.to_owned(), id, dir.join(file)));
    }
    installed.sort();
    installed
}
