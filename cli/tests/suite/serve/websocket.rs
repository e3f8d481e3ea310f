//! WebSocket clients: per-connection state and routing, many clients at once, the health
//! endpoints, refusing browsers, the capability token, and the frames beside messages.

use futures::SinkExt;
use pretty_assertions::assert_eq;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::Client;
use super::LOOPBACK;
use super::Server;
use super::check_handshake;
use super::echo;
use super::echoed;

#[tokio::test]
async fn each_connection_does_its_own_handshake() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut first = server.connect().await;
    check_handshake(&mut first).await;
    // A second connection starts uninitialised although the first is initialised, and its
    // handshake leaves the first one as it was.
    let mut second = server.connect().await;
    check_handshake(&mut second).await;
    first.check(echo(6, "first"), echoed(6, "first")).await;
}

/// Sends `echo(id, "{tag}-{id}")` for ids `1..=count` without waiting, then reads `count`
/// messages and checks they are exactly the answers, each once. A last request checks that
/// nothing else was waiting in between.
async fn pipeline(client: &mut Client, tag: &str, count: u64) {
    for id in 1..=count {
        client.send(&echo(id, &format!("{tag}-{id}"))).await;
    }
    let mut answers = Vec::new();
    for _ in 1..=count {
        answers.push(client.next().await);
    }
    answers.sort_by_key(|answer| answer["id"].as_u64());
    let expected: Vec<Value> = (1..=count)
        .map(|id| echoed(id, &format!("{tag}-{id}")))
        .collect();
    assert_eq!(answers, expected, "{}", client.report());
    let last = count + 1;
    client.send(&echo(last, tag)).await;
    let answer = client.next().await;
    assert_eq!(answer, echoed(last, tag), "{}", client.report());
}

#[tokio::test]
async fn connections_using_the_same_ids_get_only_their_own_answers() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    a.initialize(true).await;
    b.initialize(true).await;
    tokio::join!(pipeline(&mut a, "a", 100), pipeline(&mut b, "b", 100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_clients_get_every_answer_once_and_only_their_own() {
    const CLIENTS: usize = 200;
    const REQUESTS: u64 = 50;
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(server.connect().await);
    }
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(number, mut client)| {
            tokio::spawn(async move {
                client.initialize(true).await;
                pipeline(&mut client, &format!("client{number}"), REQUESTS).await;
            })
        })
        .collect();
    for task in tasks {
        if let Err(error) = task.await {
            panic!(
                "a client failed: {error}\nserver stderr:\n{}",
                server.stderr()
            );
        }
    }
}

/// Both health endpoints answer 200, without any header.
async fn check_healthy(server: &Server) {
    assert_eq!(
        server.http_get("/readyz", &[]).await,
        (200, "ready\n".to_owned())
    );
    assert_eq!(
        server.http_get("/healthz", &[]).await,
        (200, "ok\n".to_owned())
    );
}

#[tokio::test]
async fn health_endpoints_answer_while_the_server_accepts() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    assert_eq!(
        server.stderr(),
        format!(
            "codex app-server (WebSockets)\n  listening on: ws://{}\n  note: binds localhost \
             only (use SSH port-forwarding for remote access)\n",
            server.address()
        )
    );
    check_healthy(&server).await;
}

#[tokio::test]
async fn requests_from_web_pages_are_refused() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let origin = [("Origin", "https://example.com")];
    let refused = (403, "cross-origin requests are not allowed\n".to_owned());
    assert_eq!(server.http_get("/healthz", &origin).await, refused);
    assert_eq!(server.http_get("/readyz", &origin).await, refused);
    assert_eq!(server.refused(&origin).await, refused);
    assert_eq!(
        server.refused(&[("Origin", "null")]).await,
        refused,
        "a sandboxed page sends `Origin: null`"
    );
    // The same handshake without the header is accepted.
    let mut client = server.connect().await;
    client.initialize(false).await;
}

#[tokio::test]
async fn pages_from_an_allowed_origin_connect_and_every_other_origin_is_refused() {
    let allowed = "http://127.0.0.1:8123";
    let args = [
        "--ws-allow-origin",
        allowed,
        "--ws-allow-origin",
        "https://app.example",
    ];
    let mut server = Server::websocket(LOOPBACK, &args, &[]).await;
    // The banner's last line names the allowed origins.
    let banner = server
        .wait_for_stderr(|text| text.contains("web pages may connect from"))
        .await;
    assert_eq!(
        banner,
        format!(
            "codex app-server (WebSockets)\n  listening on: ws://{}\n  note: binds localhost \
             only (use SSH port-forwarding for remote access)\n  note: web pages may connect \
             from: http://127.0.0.1:8123, https://app.example\n",
            server.address()
        )
    );
    for origin in [allowed, "https://app.example"] {
        let connected = server.connect_with(&[("Origin", origin)]).await;
        let (mut client, _) = connected.unwrap_or_else(|error| {
            panic!(
                "origin {origin} was refused: {error}\nserver stderr:\n{}",
                server.stderr()
            )
        });
        client.initialize(true).await;
        client.check(echo(1, origin), echoed(1, origin)).await;
    }
    let refused = (403, "cross-origin requests are not allowed\n".to_owned());
    // Exact match only: no other port, scheme, subdomain, trailing slash or letter case.
    for origin in [
        "http://127.0.0.1:8124",
        "https://127.0.0.1:8123",
        "http://127.0.0.1:8123/",
        "https://evil.app.example",
        "HTTPS://APP.EXAMPLE",
        "https://example.com",
        "null",
    ] {
        assert_eq!(
            server.refused(&[("Origin", origin)]).await,
            refused,
            "with `Origin: {origin}`"
        );
    }
    assert_eq!(
        server
            .http_get("/healthz", &[("Origin", "https://example.com")])
            .await,
        refused
    );
    // Programs, which send no `Origin`, still connect.
    let mut client = server.connect().await;
    client.initialize(false).await;
}

#[tokio::test]
async fn an_allowed_origin_must_be_an_origin_and_needs_a_websocket_listener() {
    for (args, message) in [
        (
            vec!["--listen", LOOPBACK, "--ws-allow-origin", "null"],
            "--ws-allow-origin null would admit every sandboxed page",
        ),
        (
            vec!["--listen", LOOPBACK, "--ws-allow-origin", "http://host/"],
            "--ws-allow-origin http://host/: an origin is",
        ),
        (
            vec!["--ws-allow-origin", "http://127.0.0.1:1"],
            "--ws-allow-origin applies to WebSocket listeners only",
        ),
    ] {
        let (code, stderr) = Server::codex(&args, &[]).exit().await;
        assert_eq!(code, Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

/// A server started with the capability token `s3cret` upgrades only handshakes that present
/// it, and answers health checks without it.
async fn check_token_is_required(server: &Server) {
    let refused = (401, "missing or wrong capability token\n".to_owned());
    assert_eq!(server.refused(&[]).await, refused);
    for wrong in [
        "Bearer wrong",
        "Bearer s3cre",
        "Bearer s3cret2",
        "s3cret",
        "Basic s3cret",
    ] {
        assert_eq!(
            server.refused(&[("Authorization", wrong)]).await,
            refused,
            "with `Authorization: {wrong}`"
        );
    }
    // Health checks need no token.
    check_healthy(server).await;
    let connected = server
        .connect_with(&[("Authorization", "Bearer s3cret")])
        .await;
    let (mut client, _) = connected.unwrap_or_else(|error| {
        panic!(
            "the right token was refused: {error}\nserver stderr:\n{}",
            server.stderr()
        )
    });
    client.initialize(true).await;
    client.check(echo(1, "in"), echoed(1, "in")).await;
}

/// A WebSocket server on `listen` that requires the capability token `s3cret`, and the
/// directory holding its token file.
async fn start_with_token(listen: &str) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("no temp dir");
    let file = dir.path().join("token");
    // Surrounding whitespace is not part of the token.
    std::fs::write(&file, "  s3cret\n").expect("writing the token");
    let auth = [
        "--ws-auth",
        "capability-token",
        "--ws-token-file",
        file.to_str().expect("a UTF-8 path"),
    ];
    (Server::websocket(listen, &auth, &[]).await, dir)
}

#[tokio::test]
async fn the_capability_token_guards_the_upgrade() {
    let (server, _dir) = start_with_token(LOOPBACK).await;
    check_token_is_required(&server).await;
}

#[tokio::test]
async fn a_non_loopback_listener_starts_with_a_token_and_requires_it() {
    let (server, _dir) = start_with_token("ws://0.0.0.0:0").await;
    assert_eq!(
        server.stderr(),
        format!(
            "codex app-server (WebSockets)\n  listening on: ws://0.0.0.0:{}\n  note: clients \
             must send `Authorization: Bearer <token>`\n",
            server.announced().port()
        )
    );
    check_token_is_required(&server).await;
}

#[tokio::test]
async fn an_offer_of_compression_is_accepted_without_compressing() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let offer = [(
        "Sec-WebSocket-Extensions",
        "permessage-deflate; client_max_window_bits",
    )];
    let (mut client, headers) = server
        .connect_with(&offer)
        .await
        .unwrap_or_else(|error| panic!("the offer was refused: {error}\n{}", server.stderr()));
    assert_eq!(
        headers.get("sec-websocket-extensions"),
        None,
        "the server must not negotiate an extension it does not apply"
    );
    client.initialize(true).await;
    let long = "compressible ".repeat(1000);
    client.check(echo(1, &long), echoed(1, &long)).await;
}

#[tokio::test]
async fn pings_are_answered_and_a_close_frame_ends_the_connection() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut client = server.connect().await;
    client.initialize(true).await;

    let payload = b"are you there".to_vec();
    client.note("sending a ping");
    let sent = client
        .websocket()
        .send(Message::Ping(payload.clone().into()))
        .await;
    assert!(sent.is_ok(), "{sent:?}\n{}", client.report());
    let pong = client.next_frame().await;
    assert_eq!(
        pong,
        Some(Message::Pong(payload.into())),
        "{}",
        client.report()
    );
    client
        .check(echo(1, "after ping"), echoed(1, "after ping"))
        .await;

    client.note("sending a close frame");
    let closing = client
        .websocket()
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        })))
        .await;
    assert!(closing.is_ok(), "{closing:?}\n{}", client.report());
    client.expect_close().await;

    // The server carries on for everyone else.
    let mut other = server.connect().await;
    other.initialize(false).await;
    check_healthy(&server).await;
}

/// A binary frame is not read as JSON: the connection is closed with 1003 (unsupported data)
/// and the reason, and the server carries on for everyone else.
#[tokio::test]
async fn a_binary_frame_closes_the_connection_with_1003() {
    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut client = server.connect().await;
    client.initialize(false).await;
    client.note("sending a binary frame");
    let request = echo(1, "binary").to_string();
    let sent = client
        .websocket()
        .send(Message::Binary(request.into_bytes().into()))
        .await;
    assert!(sent.is_ok(), "{sent:?}\n{}", client.report());
    let mut frames = Vec::new();
    while let Some(frame) = client.next_frame().await {
        frames.push(frame);
    }
    assert_eq!(
        frames,
        [Message::Close(Some(CloseFrame {
            code: CloseCode::Unsupported,
            reason: "binary frames are not supported; send JSON-RPC in text frames".into(),
        }))],
        "{}",
        client.report()
    );
    let mut other = server.connect().await;
    other.initialize(true).await;
    other.check(echo(2, "text"), echoed(2, "text")).await;
}

/// A client that opens a connection and never finishes its upgrade request (slow-loris) is
/// dropped once the server's 10 s for the request head are over.
#[tokio::test]
async fn a_connection_that_never_finishes_its_upgrade_is_closed() {
    use tokio::io::AsyncReadExt;
    use tokio::io::AsyncWriteExt;

    let server = Server::websocket(LOOPBACK, &[], &[]).await;
    let mut stream = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), stream.read(&mut buf))
        .await
        .expect("the server kept the connection open for 30 s");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "{read:?}: {}",
        String::from_utf8_lossy(&buf)
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(9));
    check_healthy(&server).await;
}
