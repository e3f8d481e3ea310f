//! Writers that race: two services on one folder (as two servers would be), many threads.
//! With `expectedVersion`, exactly one of two writers based on the same version wins; without
//! it, every write lands, none is lost.

use std::sync::Arc;
use std::sync::Barrier;

use codex_config::ConfigEdit;
use codex_config::MergeStrategy;
use codex_config::WriteError;
use codex_config::WriteRequest;
use pretty_assertions::assert_eq;
use serde_json::json;

use super::Fixture;

fn set(key: &str, value: i64, expected_version: Option<String>) -> WriteRequest {
    WriteRequest {
        edits: vec![ConfigEdit {
            key_path: key.to_owned(),
            value: json!(value),
            merge_strategy: MergeStrategy::Replace,
        }],
        file_path: None,
        expected_version,
    }
}

#[test]
fn of_two_writers_with_the_same_version_one_wins_and_one_conflicts() {
    let fixture = Fixture::new();
    fixture.write("home/config.toml", "# shared\nstart = 0\n");
    for round in 0..20 {
        let version = fixture
            .service()
            .load(None)
            .user_layer()
            .unwrap()
            .version
            .clone();
        let barrier = Arc::new(Barrier::new(2));
        let writers: Vec<_> = ["a", "b"]
            .into_iter()
            .map(|key| {
                // Each writer has its own service, as two server processes would.
                let service = fixture.service();
                let barrier = Arc::clone(&barrier);
                let request = set(&format!("k{round}{key}"), round, Some(version.clone()));
                std::thread::spawn(move || {
                    barrier.wait();
                    service.write(request)
                })
            })
            .collect();
        let results: Vec<_> = writers
            .into_iter()
            .map(|writer| writer.join().unwrap())
            .collect();
        let conflicts = results
            .iter()
            .filter(|result| matches!(result, Err(WriteError::VersionConflict)))
            .count();
        let successes = results.iter().filter(|result| result.is_ok()).count();
        assert_eq!((successes, conflicts), (1, 1), "round {round}: {results:?}");
        let file = fixture.user_config();
        let written = ["a", "b"]
            .into_iter()
            .filter(|key| file.contains(&format!("k{round}{key} = {round}")))
            .count();
        assert_eq!(written, 1, "round {round}:\n{file}");
    }
}

#[test]
fn writers_without_a_version_never_lose_an_update() {
    let fixture = Fixture::new();
    fixture.write("home/config.toml", "# shared\n");
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let service = fixture.service();
            std::thread::spawn(move || {
                for round in 0..10 {
                    service
                        .write(set(&format!("w{writer}.r{round}"), round, None))
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let config: toml::Table = toml::from_str(&fixture.user_config()).unwrap();
    for writer in 0..8 {
        for round in 0..10 {
            assert_eq!(
                config[&format!("w{writer}")][&format!("r{round}")].as_integer(),
                Some(round),
                "w{writer}.r{round} is missing:\n{}",
                fixture.user_config()
            );
        }
    }
    // A file of comments only keeps them (after the new keys, where toml_edit puts a
    // document's trailing comments).
    assert!(fixture.user_config().ends_with("# shared\n"));
}
