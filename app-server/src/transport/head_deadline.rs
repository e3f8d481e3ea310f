//! A deadline on a connection's first HTTP request head.
//!
//! A client that opens a TCP connection and then sends its upgrade request a byte at a time (or
//! never) would hold a socket and a task for ever (slow-loris). [`HeadDeadline`] wraps the
//! listener so that each connection's reads fail with `TimedOut` once [`HEAD_DEADLINE`] has
//! passed without the end of the first request head (`\r\n\r\n`); hyper then drops the
//! connection. After the head, reads are not timed: an upgraded WebSocket may stay idle.

use std::io;
use std::pin::Pin;
use std::task::Context;
use std::task::Poll;
use std::time::Duration;

use tokio::io::AsyncRead;
use tokio::io::AsyncWrite;
use tokio::io::ReadBuf;
use tokio::time::Sleep;

/// How long a client has to send its whole first request head.
pub(crate) const HEAD_DEADLINE: Duration = Duration::from_secs(10);

/// A listener whose connections must send their first request head within `deadline`.
pub(crate) struct HeadDeadline<L> {
    pub(crate) inner: L,
    pub(crate) deadline: Duration,
}

impl<L: axum::serve::Listener> axum::serve::Listener for HeadDeadline<L> {
    type Io = DeadlineIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.inner.accept().await;
        (DeadlineIo::new(io, self.deadline), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection whose reads time out until the end of its first request head was read.
pub(crate) struct DeadlineIo<T> {
    inner: T,
    /// `None` once the head is complete.
    deadline: Option<Pin<Box<Sleep>>>,
    /// How many bytes of `\r\n\r\n` the bytes read so far end with.
    matched: usize,
}

impl<T> DeadlineIo<T> {
    fn new(inner: T, deadline: Duration) -> Self {
        Self {
            inner,
            deadline: Some(Box::pin(tokio::time::sleep(deadline))),
            matched: 0,
        }
    }

    /// Follows the bytes just read; clears the deadline at the end of the head.
    fn note(&mut self, bytes: &[u8]) {
        const END: &[u8] = b"\r\n\r\n";
        for &byte in bytes {
            self.matched = if byte == END[self.matched] {
                self.matched + 1
            } else if byte == b'\r' {
                1
            } else {
                0
            };
            if self.matched == END.len() {
                self.deadline = None;
                return;
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for DeadlineIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(deadline) = this.deadline.as_mut()
            && deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the request head did not arrive in time",
            )));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.deadline.is_some() && matches!(polled, Poll::Ready(Ok(()))) {
            let read = buf.filled()[before..].to_vec();
            this.note(&read);
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for DeadlineIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;
    use tokio::io::AsyncReadExt;
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_head_that_never_ends_times_out() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = DeadlineIo::new(server, Duration::from_secs(10));
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let read = server.read(&mut buf).await.unwrap();
        assert_eq!(read, 25);
        let error = server.read(&mut buf).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_whole_head_reads_wait_as_long_as_they_like() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = DeadlineIo::new(server, Duration::from_secs(10));
        // The end of the head split across two writes.
        client.write_all(b"GET / HTTP/1.1\r\n\r").await.unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(server.read(&mut buf).await.unwrap(), 17);
        client.write_all(b"\n").await.unwrap();
        assert_eq!(server.read(&mut buf).await.unwrap(), 1);
        tokio::time::sleep(Duration::from_secs(60)).await;
        client.write_all(b"later").await.unwrap();
        let read = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..read], b"later");
    }
}
