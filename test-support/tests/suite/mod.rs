//! Tests against a running mock, through a minimal HTTP/1.1 client on a raw `TcpStream`: it
//! sees the bytes as a model client would, including a body that breaks off.

mod isolation;
mod script;
mod streams;

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Long enough for a loaded machine; only reached when a test is about to fail.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One HTTP exchange in progress: the request is sent, the response is read as it comes.
pub struct Exchange {
    stream: TcpStream,
    received: Vec<u8>,
    closed: bool,
}

impl Exchange {
    /// Sends `method path` with `Connection: close`, the given headers and a body (with its
    /// length when not empty).
    pub async fn send(
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Self {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut request =
            format!("{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(request.as_bytes()).await.unwrap();
        Self {
            stream,
            received: Vec::new(),
            closed: false,
        }
    }

    /// Reads until the connection closes (cleanly or not) and returns the whole response.
    pub async fn finish(mut self) -> HttpResponse {
        tokio::time::timeout(PATIENCE, async {
            while !self.closed {
                self.read_some().await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("the response never ended; so far:\n{}", self.text()));
        HttpResponse::parse(&self.received)
    }

    /// Reads until the raw response contains `needle`.
    pub async fn read_until(&mut self, needle: &str) {
        let found = tokio::time::timeout(PATIENCE, async {
            while !self.text().contains(needle) && !self.closed {
                self.read_some().await;
            }
        })
        .await;
        assert!(
            found.is_ok() && self.text().contains(needle),
            "never received {needle:?}; got:\n{}",
            self.text()
        );
    }

    /// Whether the server closed the connection within `wait`, reading what comes meanwhile.
    pub async fn closes_within(&mut self, wait: Duration) -> bool {
        let _ = tokio::time::timeout(wait, async {
            while !self.closed {
                self.read_some().await;
            }
        })
        .await;
        self.closed
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.received).into_owned()
    }

    async fn read_some(&mut self) {
        let mut buffer = [0_u8; 4096];
        match self.stream.read(&mut buffer).await {
            Ok(0) | Err(_) => self.closed = true,
            Ok(read) => self.received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// Sends a request and reads the whole response.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpResponse {
    Exchange::send(addr, method, path, headers, body)
        .await
        .finish()
        .await
}

/// A response as read off the wire, with a chunked body decoded.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Whether the body ended properly: the last chunk of a chunked body, or all of a
    /// `content-length` body.
    pub complete: bool,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn parse(raw: &[u8]) -> Self {
        let text = String::from_utf8_lossy(raw);
        let (head, rest) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no complete response head in:\n{text}"));
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|line| {
                let (name, value) = line.split_once(':').unwrap();
                (name.trim().to_ascii_lowercase(), value.trim().to_owned())
            })
            .collect();
        let mut response = Self {
            status,
            headers,
            body: String::new(),
            complete: false,
        };
        if response.header("transfer-encoding") == Some("chunked") {
            (response.body, response.complete) = dechunk(rest);
        } else {
            let length: usize = response.header("content-length").unwrap().parse().unwrap();
            response.complete = rest.len() == length;
            response.body = rest.to_owned();
        }
        response
    }
}

impl fmt::Display for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "status {} (complete: {})", self.status, self.complete)?;
        for (name, value) in &self.headers {
            writeln!(f, "{name}: {value}")?;
        }
        write!(f, "\n{}", self.body)
    }
}

/// Decodes a chunked body, as far as it goes; the flag says whether the last chunk came.
fn dechunk(mut rest: &str) -> (String, bool) {
    let mut body = String::new();
    loop {
        let Some((size, tail)) = rest.split_once("\r\n") else {
            return (body, false);
        };
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return (body, tail.starts_with("\r\n"));
        }
        if tail.len() < size + 2 {
            body.push_str(&tail[..tail.len().min(size)]);
            return (body, false);
        }
        body.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
}

/// The `(event, data)` pairs of an SSE body, checking the framing as it goes.
pub fn sse_frames(body: &str) -> Vec<(Option<String>, String)> {
    assert!(
        body.ends_with("\n\n") || body.is_empty(),
        "a partial frame at the end of:\n{body}"
    );
    body.split_terminator("\n\n")
        .map(|frame| {
            let mut name = None;
            let mut data = Vec::new();
            for line in frame.split('\n') {
                if let Some(value) = line.strip_prefix("event: ") {
                    name = Some(value.to_owned());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    data.push(value);
                } else {
                    panic!("not an SSE line: {line:?} in:\n{body}");
                }
            }
            (name, data.join("\n"))
        })
        .collect()
}

/// The event names of an SSE body, in order.
pub fn event_names(body: &str) -> Vec<String> {
    sse_frames(body)
        .into_iter()
        .map(|(name, _)| name.unwrap_or_default())
        .collect()
}
