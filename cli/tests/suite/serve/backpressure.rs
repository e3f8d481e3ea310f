//! Bounded queues: a client that sends faster than it reads is refused with -32001 rather than
//! growing the server's memory, and it slows down only itself.

use std::time::Duration;
use std::time::Instant;

use pretty_assertions::assert_eq;

use super::INGRESS_CAPACITY;
use super::LOOPBACK;
use super::Server;
use super::TIMEOUT;
use super::Tally;
use super::echo;
use super::echoed;
use super::flood_value;
use super::overloaded;
use super::tally;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_answered_or_refused_once_per_request() {
    const TOTAL: u64 = 10 * INGRESS_CAPACITY;
    let (server, mut client) = Server::stdio(&[]);
    client.initialize(true).await;

    // Every request is written before anything is read. The server's reader never waits, so
    // the writing finishes while the answers pile up behind the full stdout pipe, the
    // outbound queue and then the ingress queue, and the rest are refused.
    client.write_burst(TOTAL, flood_value).await;

    let mut answers = Vec::new();
    for _ in 1..=TOTAL {
        answers.push(client.next().await);
    }
    let Tally { served, refused } = tally(&client, answers, TOTAL, flood_value);
    assert!(
        refused >= 1 && served >= INGRESS_CAPACITY,
        "{served} served and {refused} refused; expected some refused and at least a full \
         ingress queue served\n{}",
        client.report()
    );

    // Refusal is momentary: once the client reads, requests are served again.
    let last = TOTAL + 1;
    client
        .check(echo(last, "again"), echoed(last, "again"))
        .await;
    client.close_input().await;
    assert_eq!(server.exit().await, (Some(0), String::new()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_does_not_hold_up_another() {
    const FLOOD: u64 = 1000;
    const REQUESTS: u64 = 50;
    const FLOOD_TIMEOUT: Duration = Duration::from_secs(25);
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut reader = server.connect().await;
    reader.initialize(true).await;
    let mut stuck = server.connect().await;
    stuck.initialize(true).await;

    // 64 KiB answers the flooding client never reads fill the socket buffers, then its
    // outbound queue, then its ingress queue.
    let big = "x".repeat(64 * 1024);
    let flood = tokio::spawn(async move {
        for id in 1..=FLOOD {
            stuck.send(&echo(id, &big)).await;
        }
        stuck
    });

    let started = Instant::now();
    for id in 1..=REQUESTS {
        let value = format!("while flooding {id}");
        reader.check(echo(id, &value), echoed(id, &value)).await;
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < TIMEOUT,
        "{REQUESTS} round trips took {elapsed:?} beside a flooding client\n{}",
        reader.report()
    );
    // Pushing 64 MiB through a debug build takes a while on a loaded machine; the flood only
    // has to end before the server's stall limit (30 s) drops the client that never reads.
    let mut stuck = match tokio::time::timeout(FLOOD_TIMEOUT, flood).await {
        Ok(Ok(stuck)) => stuck,
        Ok(Err(error)) => panic!("flooding failed: {error}\n{}", server.stderr()),
        Err(_) => panic!("flooding took over {FLOOD_TIMEOUT:?}\n{}", server.stderr()),
    };
    let started = Instant::now();
    for id in REQUESTS + 1..=2 * REQUESTS {
        let value = format!("after flooding {id}");
        reader.check(echo(id, &value), echoed(id, &value)).await;
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed < TIMEOUT,
        "{REQUESTS} round trips took {elapsed:?} beside a stuck client\n{}",
        reader.report()
    );

    // The flooding client was really stuck: some of its requests found its queues full.
    let mut refused = None;
    for _ in 1..=FLOOD {
        let answer = stuck.next().await;
        if answer["error"]["code"] == -32001 {
            refused = Some(answer);
            break;
        }
    }
    let Some(refused) = refused else {
        panic!("no request was refused\n{}", stuck.report());
    };
    let id = refused["id"].as_u64().unwrap_or_default();
    assert_eq!(refused, overloaded(id), "{}", stuck.report());
}
