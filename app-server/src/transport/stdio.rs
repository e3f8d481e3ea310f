//! Newline-delimited JSON over stdin and stdout: one message per line, one client.
//!
//! stdout carries protocol only; everything else a person might read goes to stderr.

use std::io;
use std::sync::Arc;

use tokio::io::AsyncBufRead;
use tokio::io::AsyncBufReadExt;
use tokio::io::AsyncWrite;
use tokio::io::AsyncWriteExt;
use tokio::io::BufReader;
use tokio::io::BufWriter;
use tokio_util::sync::CancellationToken;

use crate::connection_loop::FrameSink;
use crate::connection_loop::FrameSource;
use crate::connection_loop::InboundFrame;
use crate::connection_loop::serve_connection;
use crate::error;
use crate::outbound::Frame;
use crate::outbound::SlowReader;
use crate::state::ServerState;

/// The longest line accepted. Images travel inline as data URLs, so this is generous; past it
/// the line is skipped (and answered) rather than buffered without end.
pub(crate) const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// Bytes of notifications gathered before they are written to stdout.
const STDOUT_BUFFER: usize = 256 * 1024;

pub(crate) async fn serve(state: Arc<ServerState>, shutdown: CancellationToken) {
    let source = LineSource::new(BufReader::new(tokio::io::stdin()), MAX_LINE_BYTES);
    // Tokio writes stdout on a blocking thread, one hand-off per write: a buffer that holds a
    // whole batch of notifications (a streaming turn's deltas) makes that one write per batch.
    let sink = LineSink(BufWriter::with_capacity(STDOUT_BUFFER, tokio::io::stdout()));
    // The one client is the process that started us: never give up on it.
    serve_connection(state, source, sink, SlowReader::Wait, shutdown).await;
}

pub(crate) struct LineSource<R> {
    reader: R,
    max_len: usize,
    at_eof: bool,
}

impl<R: AsyncBufRead + Unpin + Send> LineSource<R> {
    pub(crate) fn new(reader: R, max_len: usize) -> Self {
        Self {
            reader,
            max_len,
            at_eof: false,
        }
    }

    /// Reads up to the next newline. Returns the line (without its newline) and whether it was
    /// cut for length, or `None` at the end of input.
    async fn read_line(&mut self) -> io::Result<Option<(Vec<u8>, bool)>> {
        if self.at_eof {
            return Ok(None);
        }
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                self.at_eof = true;
                return Ok((!line.is_empty() || too_long).then_some((line, too_long)));
            }
            let (chunk, used, done) = match available.iter().position(|&byte| byte == b'\n') {
                Some(end) => (&available[..end], end + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if line.len() + chunk.len() > self.max_len {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            self.reader.consume(used);
            if done {
                return Ok(Some((line, too_long)));
            }
        }
    }
}

impl<R: AsyncBufRead + Unpin + Send> FrameSource for LineSource<R> {
    async fn next_frame(&mut self) -> Option<InboundFrame> {
        loop {
            let (mut line, too_long) = match self.read_line().await {
                Ok(Some(line)) => line,
                Ok(None) => return None,
                Err(err) => {
                    tracing::warn!("reading stdin failed: {err}");
                    return None;
                }
            };
            if too_long {
                return Some(InboundFrame::Unreadable(error::invalid_request(format!(
                    "Invalid request: message longer than {} bytes",
                    self.max_len
                ))));
            }
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(match String::from_utf8(line) {
                Ok(text) => InboundFrame::Text(text),
                Err(err) => InboundFrame::Unreadable(error::parse_error(err)),
            });
        }
    }
}

pub(crate) struct LineSink<W>(pub W);

impl<W: AsyncWrite + Unpin + Send + 'static> FrameSink for LineSink<W> {
    async fn write_batch(&mut self, frames: &[Frame]) -> io::Result<()> {
        for frame in frames {
            self.0.write_all(frame.as_bytes()).await?;
            self.0.write_all(b"\n").await?;
        }
        self.0.flush().await
    }

    async fn finish(mut self) {
        let _ = self.0.flush().await;
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    async fn frames(input: &[u8], max_len: usize) -> Vec<String> {
        let mut source = LineSource::new(BufReader::with_capacity(4, input), max_len);
        let mut seen = Vec::new();
        while let Some(frame) = source.next_frame().await {
            seen.push(match frame {
                InboundFrame::Text(text) => format!("text {text}"),
                InboundFrame::Unreadable(error) => format!("error {}", error.message),
            });
        }
        seen
    }

    #[tokio::test]
    async fn splits_lines_and_skips_blank_ones() {
        assert_eq!(
            frames(b"{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}", 100).await,
            ["text {\"a\":1}", "text {\"b\":2}", "text {\"c\":3}"]
        );
    }

    #[tokio::test]
    async fn answers_long_and_garbled_lines_and_carries_on() {
        assert_eq!(
            frames(b"0123456789abc\n\xff\xfe\n{}\n", 10).await,
            [
                "error Invalid request: message longer than 10 bytes",
                "error Parse error: invalid utf-8 sequence of 1 bytes from index 0",
                "text {}",
            ]
        );
    }
}
