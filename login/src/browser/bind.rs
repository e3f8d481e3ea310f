//! Binding the login server's port. The port is fixed (the issuer only redirects to
//! registered URIs), so one still held is most likely an earlier login server, from this
//! process or another: it is asked once to stop with `GET /cancel`, and the bind is retried.

use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How many times the bind is tried while the port is in use, and how long apart.
const BIND_ATTEMPTS: u32 = 10;
const BIND_RETRY_DELAY: Duration = Duration::from_millis(200);
/// How long connecting to, writing to and reading from the earlier server may each take.
const CANCEL_TIMEOUT: Duration = Duration::from_secs(2);

/// Binds `127.0.0.1:port`. While the port is in use it sends one `GET /cancel` to it and
/// retries, [`BIND_ATTEMPTS`] times in all, [`BIND_RETRY_DELAY`] apart; then it fails with the
/// reference's `Port 127.0.0.1:PORT is already in use`.
pub(crate) async fn bind_login_port(port: u16) -> io::Result<TcpListener> {
    let mut cancel_sent = false;
    let mut attempts = 0;
    loop {
        let error = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await {
            Ok(listener) => return Ok(listener),
            Err(error) => error,
        };
        if error.kind() != io::ErrorKind::AddrInUse {
            return Err(error);
        }
        attempts += 1;
        if !cancel_sent {
            cancel_sent = true;
            if let Err(err) = send_cancel_request(port).await {
                tracing::warn!("could not ask the earlier login server to stop: {err}");
            }
        }
        tokio::time::sleep(BIND_RETRY_DELAY).await;
        if attempts >= BIND_ATTEMPTS {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("Port 127.0.0.1:{port} is already in use"),
            ));
        }
    }
}

/// `GET /cancel` to whatever listens on the port, reading (a little of) its answer so that a
/// login server of ours has acted on it before the bind is retried.
async fn send_cancel_request(port: u16) -> io::Result<()> {
    let timed_out = |what: &str| io::Error::new(io::ErrorKind::TimedOut, what.to_owned());
    let mut stream = timeout(
        CANCEL_TIMEOUT,
        TcpStream::connect((Ipv4Addr::LOCALHOST, port)),
    )
    .await
    .map_err(|_| timed_out("connecting timed out"))??;
    let request =
        format!("GET /cancel HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    timeout(CANCEL_TIMEOUT, stream.write_all(request.as_bytes()))
        .await
        .map_err(|_| timed_out("writing timed out"))??;
    let mut answer = [0u8; 64];
    // Whatever comes back (or nothing, or an error) is fine: only the wait matters.
    let _ = timeout(CANCEL_TIMEOUT, stream.read(&mut answer)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    #[tokio::test]
    async fn a_port_held_by_someone_else_is_asked_to_cancel_then_given_up_on() {
        let holder = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = holder.local_addr().unwrap().port();
        let seen = tokio::spawn(async move {
            let (mut stream, _) = holder.accept().await.unwrap();
            let mut request = vec![0u8; 256];
            let read = stream.read(&mut request).await.unwrap();
            request.truncate(read);
            // Keep the port: hold the listener until the bind gave up.
            (String::from_utf8(request).unwrap(), holder)
        });
        let error = bind_login_port(port).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
        assert_eq!(
            error.to_string(),
            format!("Port 127.0.0.1:{port} is already in use")
        );
        let (request, _holder) = seen.await.unwrap();
        assert!(request.starts_with("GET /cancel HTTP/1.1\r\n"), "{request}");
    }

    #[tokio::test]
    async fn a_port_released_after_the_cancel_is_bound() {
        let holder = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let port = holder.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut stream, _) = holder.accept().await.unwrap();
            drop(holder);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
        });
        let listener = bind_login_port(port).await.unwrap();
        assert_eq!(listener.local_addr().unwrap().port(), port);
    }
}
