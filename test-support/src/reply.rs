//! What the mock answers one scripted request with: a stream of events (whole, slow, cut short
//! or hanging) or a plain HTTP error.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderName;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::Response;
use serde_json::Value;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::sse::SseEvent;

/// One scripted answer, built from [`Reply::sse`] or [`Reply::status`] and refined with the
/// methods below.
///
/// ```
/// use std::time::Duration;
/// use codex_test_support::{sse, Reply};
///
/// let rate_limited = Reply::status(429).retry_after(Duration::from_secs(2));
/// let cut = Reply::sse(sse::text_turn("resp-1", "Hello world")).cut_after(3);
/// let slow = Reply::sse(sse::text_turn("resp-2", "Hi")).delay_between_events(Duration::from_millis(50));
/// # let _ = (rate_limited, cut, slow);
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    retry_after: Option<Duration>,
    body: ReplyBody,
}

#[derive(Debug, Clone)]
enum ReplyBody {
    Stream {
        events: Vec<SseEvent>,
        delay: Duration,
        end: StreamEnd,
    },
    /// The OpenAI error object that suits the status.
    DefaultError,
    Fixed {
        content_type: String,
        bytes: Vec<u8>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamEnd {
    /// All events, then the stream ends cleanly.
    Complete,
    /// This many events, then the connection is dropped without ending the body.
    CutAfter(usize),
    /// This many events, then nothing more until the server is dropped.
    HangAfter(usize),
}

impl Reply {
    /// `200 OK` with a `text/event-stream` body sending `events` in order, then ending.
    pub fn sse(events: impl IntoIterator<Item = SseEvent>) -> Self {
        Self {
            status: 200,
            headers: Vec::new(),
            retry_after: None,
            body: ReplyBody::Stream {
                events: events.into_iter().collect(),
                delay: Duration::ZERO,
                end: StreamEnd::Complete,
            },
        }
    }

    /// An HTTP error with the OpenAI error object a real server sends for it (`429`:
    /// `rate_limit_exceeded`, `401`: `invalid_api_key`, `5xx`: `server_error`, ...). Change the
    /// body with [`Reply::json_body`].
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            retry_after: None,
            body: ReplyBody::DefaultError,
        }
    }

    /// Sends `Retry-After` (whole seconds, rounded up) and, on the default `429` body, names the
    /// delay in the message the way OpenAI does ("Please try again in 1.5s").
    pub fn retry_after(mut self, delay: Duration) -> Self {
        self.retry_after = Some(delay);
        self
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Replaces the body with this JSON (`application/json`).
    pub fn json_body(mut self, body: Value) -> Self {
        self.body = ReplyBody::Fixed {
            content_type: "application/json".to_owned(),
            bytes: body.to_string().into_bytes(),
        };
        self
    }

    /// Replaces the body with these bytes and content type.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = ReplyBody::Fixed {
            content_type: content_type.to_owned(),
            bytes: bytes.into(),
        };
        self
    }

    /// Waits this long before each event after the first: a slow stream.
    ///
    /// This and the other stream settings below leave a [`Reply::status`] reply as it is.
    pub fn delay_between_events(mut self, delay: Duration) -> Self {
        if let ReplyBody::Stream { delay: slot, .. } = &mut self.body {
            *slot = delay;
        }
        self
    }

    /// Sends the first `events` events (all of them if there are fewer), then drops the
    /// connection mid-body, as a network failure would: the client sees the stream break, never
    /// its end.
    pub fn cut_after(mut self, events: usize) -> Self {
        if let ReplyBody::Stream { end, .. } = &mut self.body {
            *end = StreamEnd::CutAfter(events);
        }
        self
    }

    /// Sends the first `events` events, then keeps the connection open and silent until the
    /// client goes away or the server is dropped.
    pub fn hang_after(mut self, events: usize) -> Self {
        if let ReplyBody::Stream { end, .. } = &mut self.body {
            *end = StreamEnd::HangAfter(events);
        }
        self
    }

    /// Builds the HTTP response. Streams stop when `shutdown` is cancelled; `active` counts the
    /// streams still running.
    pub(crate) fn into_response(
        self,
        shutdown: CancellationToken,
        active: &Arc<AtomicUsize>,
    ) -> Response {
        let Ok(status) = StatusCode::from_u16(self.status) else {
            let message = format!("mock model server: {} is not an HTTP status", self.status);
            return json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &error_object(&message, "mock_error", None),
            );
        };
        let mut response = match self.body {
            ReplyBody::Stream { events, delay, end } => {
                let stream = EventStream::new(events, delay, end, shutdown, active);
                let mut response = Response::new(Body::from_stream(stream.into_stream()));
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
            ReplyBody::DefaultError => {
                json_response(status, &default_error(status, self.retry_after))
            }
            ReplyBody::Fixed {
                content_type,
                bytes,
            } => {
                let mut response = Response::new(Body::from(bytes));
                if let Ok(value) = HeaderValue::from_str(&content_type) {
                    response.headers_mut().insert(header::CONTENT_TYPE, value);
                }
                response
            }
        };
        *response.status_mut() = status;
        let headers = response.headers_mut();
        if let Some(delay) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(whole_seconds(delay)));
        }
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        response
    }
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The OpenAI error envelope: `{"error": {"message", "type", "code", "param"}}`.
pub(crate) fn error_object(message: &str, kind: &str, code: Option<&str>) -> Value {
    json!({ "error": { "message": message, "type": kind, "code": code, "param": null } })
}

fn default_error(status: StatusCode, retry_after: Option<Duration>) -> Value {
    match status.as_u16() {
        429 => {
            let wait = retry_after.map_or_else(String::new, |delay| {
                format!(" Please try again in {}s.", delay.as_secs_f64())
            });
            let message = format!("Rate limit reached for requests (mock model server).{wait}");
            error_object(&message, "requests", Some("rate_limit_exceeded"))
        }
        401 => error_object(
            "Incorrect API key provided (mock model server).",
            "invalid_request_error",
            Some("invalid_api_key"),
        ),
        code @ 500..=599 => error_object(
            &format!(
                "The server had an error while processing your request (mock model server, {code})."
            ),
            "server_error",
            None,
        ),
        code => error_object(
            &format!("Mock model server answered {code}."),
            "invalid_request_error",
            None,
        ),
    }
}

/// `Retry-After` holds whole seconds; rounding up keeps a client from retrying too early.
fn whole_seconds(delay: Duration) -> u64 {
    delay.as_secs() + u64::from(delay.subsec_nanos() > 0)
}

/// The body of a streamed reply, produced one event at a time so delays, cuts and hangs happen
/// on the wire between events.
struct EventStream {
    events: VecDeque<SseEvent>,
    sent: usize,
    delay: Duration,
    end: StreamEnd,
    shutdown: CancellationToken,
    finished: bool,
    _active: ActiveStream,
}

impl EventStream {
    fn new(
        mut events: Vec<SseEvent>,
        delay: Duration,
        end: StreamEnd,
        shutdown: CancellationToken,
        active: &Arc<AtomicUsize>,
    ) -> Self {
        match end {
            StreamEnd::Complete => {}
            StreamEnd::CutAfter(count) | StreamEnd::HangAfter(count) => events.truncate(count),
        }
        Self {
            events: events.into(),
            sent: 0,
            delay,
            end,
            shutdown,
            finished: false,
            _active: ActiveStream::new(active),
        }
    }

    fn into_stream(self) -> impl futures::Stream<Item = Result<String, io::Error>> + Send {
        futures::stream::unfold(self, Self::next)
    }

    async fn next(mut self) -> Option<(Result<String, io::Error>, Self)> {
        if self.finished {
            return None;
        }
        if let Some(event) = self.events.pop_front() {
            if self.sent > 0 && !self.delay.is_zero() {
                tokio::select! {
                    () = tokio::time::sleep(self.delay) => {}
                    () = self.shutdown.cancelled() => return self.abort("the mock server stopped"),
                }
            }
            self.sent += 1;
            return Some((Ok(event.encode()), self));
        }
        match self.end {
            StreamEnd::Complete => None,
            StreamEnd::CutAfter(_) => {
                // The server drops unflushed output along with the connection; one turn of
                // the runtime lets it write out the events sent so far (test-sized streams fit
                // the socket buffer), so the client receives every one before the break.
                tokio::task::yield_now().await;
                self.abort("scripted cut")
            }
            StreamEnd::HangAfter(_) => {
                self.shutdown.cancelled().await;
                self.abort("the mock server stopped")
            }
        }
    }

    /// An error item makes the server drop the connection without the body's last chunk.
    fn abort(mut self, why: &str) -> Option<(Result<String, io::Error>, Self)> {
        self.finished = true;
        let error = io::Error::new(io::ErrorKind::ConnectionAborted, why.to_owned());
        Some((Err(error), self))
    }
}

/// Counts a stream as running for as long as its body exists.
struct ActiveStream(Arc<AtomicUsize>);

impl ActiveStream {
    fn new(active: &Arc<AtomicUsize>) -> Self {
        active.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(active))
    }
}

impl Drop for ActiveStream {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::from_secs(2)), 2);
        assert_eq!(whole_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(whole_seconds(Duration::ZERO), 0);
    }

    #[test]
    fn default_errors_follow_the_openai_shape() {
        let rate_limited = default_error(
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_millis(1500)),
        );
        assert_eq!(rate_limited["error"]["code"], "rate_limit_exceeded");
        assert_eq!(
            rate_limited["error"]["message"],
            "Rate limit reached for requests (mock model server). Please try again in 1.5s."
        );
        assert_eq!(
            default_error(StatusCode::UNAUTHORIZED, None)["error"]["code"],
            "invalid_api_key"
        );
        assert_eq!(
            default_error(StatusCode::BAD_GATEWAY, None)["error"]["type"],
            "server_error"
        );
        assert_eq!(
            default_error(StatusCode::BAD_REQUEST, None)["error"]["type"],
            "invalid_request_error"
        );
    }
}
