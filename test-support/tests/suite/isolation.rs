//! The mock runs apart from the test's runtime: it keeps serving, on the real clock, while the
//! test blocks its thread or pauses tokio's clock.

use std::io::Read as _;
use std::io::Write as _;
use std::time::Duration;

use codex_test_support::MockModelServer;
use codex_test_support::Reply;
use codex_test_support::sse;

/// A request made with blocking std IO, on the test's own (runtime) thread.
fn blocking_post(addr: std::net::SocketAddr) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(super::PATIENCE)).unwrap();
    let request = format!(
        "POST /v1/responses HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[tokio::test(start_paused = true)]
async fn the_mock_serves_a_test_that_blocks_its_thread_with_its_clock_paused() {
    let server = MockModelServer::start().await.unwrap();
    server.enqueue(
        Reply::sse(sse::text_turn("resp-1", "Hello there"))
            .delay_between_events(Duration::from_millis(20)),
    );

    // A mock on this runtime could not answer while the thread blocks here, nor sleep between
    // events with the clock paused.
    let response = blocking_post(server.addr());
    assert!(
        response.contains("event: response.completed\n"),
        "{response}"
    );
    assert!(response.ends_with("0\r\n\r\n"), "{response}");

    // With the clock paused and nothing else to do, a timeout kept on this runtime would fire
    // at once; the mock keeps it on its own.
    let addr = server.addr();
    let second = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        blocking_post(addr)
    });
    let requests = server
        .wait_for_requests(2, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(requests.len(), 2);
    assert!(second.join().unwrap().contains("no scripted reply left"));
}
