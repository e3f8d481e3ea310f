//! Two writers at once, on two connections of one server and on two server processes: with
//! the same `expectedVersion` exactly one wins and the other is told of the conflict; without
//! versions both land. The file keeps what neither touched.

use pretty_assertions::assert_eq;
use serde_json::Value;
use serde_json::json;

use super::Folders;
use super::user_version;
use super::write;
use super::write_outcome;
use crate::suite::serve::Client;

const START: &str = "# shared by two clients\nmodel = \"o3\" # keep\n";

/// Sends both writes before reading either answer, so the server handles them side by side.
async fn race(a: &mut Client, b: &mut Client, write_a: Value, write_b: Value) -> (Value, Value) {
    a.send(&write_a).await;
    b.send(&write_b).await;
    let answer_a = a.answer(&write_a["id"]).await;
    let answer_b = b.answer(&write_b["id"]).await;
    (answer_a, answer_b)
}

async fn check_one_conflict_per_round(folders: &Folders, a: &mut Client, b: &mut Client) {
    for round in 0..5_u64 {
        let version = user_version(a, 100 + round).await;
        let (answer_a, answer_b) = race(
            a,
            b,
            write(
                200 + round,
                &format!("a{round}"),
                json!(round),
                Some(&version),
            ),
            write(
                300 + round,
                &format!("b{round}"),
                json!(round),
                Some(&version),
            ),
        )
        .await;
        let mut outcomes = vec![write_outcome(&answer_a), write_outcome(&answer_b)];
        outcomes.sort();
        assert_eq!(
            outcomes,
            ["configVersionConflict", "ok"],
            "round {round}\n{}\n{}",
            a.report(),
            b.report()
        );
        let conflict = if answer_a.get("error").is_some() {
            &answer_a
        } else {
            &answer_b
        };
        assert_eq!(
            conflict["error"],
            json!({
                "code": -32600,
                "message": "Configuration was modified since last read. Fetch latest version \
                            and retry.",
                "data": {"config_write_error_code": "configVersionConflict"},
            })
        );
        let file = folders.read_user_config();
        let landed = [format!("a{round} = {round}"), format!("b{round} = {round}")]
            .iter()
            .filter(|line| file.contains(line.as_str()))
            .count();
        assert_eq!(landed, 1, "round {round}:\n{file}");
    }

    // Without versions, neither overwrites the other.
    let (answer_a, answer_b) = race(
        a,
        b,
        write(400, "free_a", json!("a"), None),
        write(401, "free_b", json!("b"), None),
    )
    .await;
    assert_eq!(
        (write_outcome(&answer_a), write_outcome(&answer_b)),
        ("ok".into(), "ok".into())
    );
    let file = folders.read_user_config();
    assert!(file.starts_with(START), "{file}");
    assert!(
        file.contains("free_a = \"a\"") && file.contains("free_b = \"b\""),
        "{file}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_connections_of_one_server_lose_no_update() {
    let folders = Folders::new();
    folders.write_user_config(START);
    let server = folders.websocket(&[]).await;
    let mut a = server.connect().await;
    a.initialize(false).await;
    let mut b = server.connect().await;
    b.initialize(false).await;
    check_one_conflict_per_round(&folders, &mut a, &mut b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_lose_no_update() {
    let folders = Folders::new();
    folders.write_user_config(START);
    let (_first, mut a) = folders.stdio().await;
    let (_second, mut b) = folders.stdio().await;
    check_one_conflict_per_round(&folders, &mut a, &mut b).await;
}
