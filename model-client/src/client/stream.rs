//! Reading a streamed answer: server-sent events with an idle timeout, turned into
//! [`ResponseEvent`]s by a wire-specific [`EventParser`].

use std::collections::VecDeque;
use std::time::Duration;

use codex_protocol::protocol::CodexErrorInfo;
use futures::FutureExt;
use tokio::time::Instant;

use crate::client::sse::Event;
use crate::client::sse::SseDecoder;
use crate::model::ModelError;
use crate::model::ResponseEvent;
use crate::model::ResponseStream;

pub(crate) type Output = VecDeque<Result<ResponseEvent, ModelError>>;

/// Turns one wire's events into [`ResponseEvent`]s.
pub(crate) trait EventParser: Send + 'static {
    /// Handles one event, pushing what it means onto `out`; returns `true` once the answer is
    /// complete (or failed), after which the stream ends.
    fn on_event(&mut self, event: &Event, out: &mut Output) -> bool;

    /// The server ended the stream before [`EventParser::on_event`] said it was complete.
    fn on_end(&mut self, out: &mut Output);
}

/// A stream that broke off: the turn loop may send the request again.
pub(crate) fn disconnected(message: impl Into<String>) -> ModelError {
    ModelError {
        message: message.into(),
        info: CodexErrorInfo::ResponseStreamDisconnected {
            http_status_code: None,
        },
        retryable: true,
    }
}

struct State<P> {
    response: reqwest::Response,
    decoder: SseDecoder,
    idle_timeout: Duration,
    parser: P,
    out: Output,
    finished: bool,
}

/// The answer in `response`, parsed by `parser`, starting with the events in `first`. Silence
/// longer than `idle_timeout` between events, or a broken connection, ends it with a retryable
/// error.
pub(crate) fn response_stream<P: EventParser>(
    response: reqwest::Response,
    idle_timeout: Duration,
    parser: P,
    first: Output,
) -> ResponseStream {
    let state = State {
        response,
        decoder: SseDecoder::new(),
        idle_timeout,
        parser,
        out: first,
        finished: false,
    };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        // When the wait for the next event began, once a read had to wait.
        let mut waiting_since: Option<Instant> = None;
        loop {
            if let Some(item) = state.out.pop_front() {
                return Some((item, state));
            }
            if state.finished {
                return None;
            }
            let body_ended = state.decoder.is_finished();
            match state.decoder.next_event() {
                Ok(Some(event)) => {
                    state.finished = state.parser.on_event(event, &mut state.out);
                    waiting_since = None;
                    continue;
                }
                Ok(None) if body_ended => {
                    state.parser.on_end(&mut state.out);
                    state.finished = true;
                    continue;
                }
                Ok(None) => {}
                Err(error) => {
                    state.out.push_back(Err(disconnected(format!(
                        "stream disconnected before completion: {error}"
                    ))));
                    state.finished = true;
                    continue;
                }
            }
            // Bytes already read are taken without arming the idle timer: a fast stream
            // carries hundreds of events per read, and a timer registered and cancelled for
            // each cost as much as the event. Only a wait is timed, from its start to the next
            // event, however many reads that takes.
            let read = match state.response.chunk().now_or_never() {
                Some(read) => read,
                None => {
                    let deadline =
                        *waiting_since.get_or_insert_with(Instant::now) + state.idle_timeout;
                    match tokio::time::timeout_at(deadline, state.response.chunk()).await {
                        Ok(read) => read,
                        Err(_) => {
                            state
                                .out
                                .push_back(Err(disconnected("idle timeout waiting for SSE")));
                            state.finished = true;
                            continue;
                        }
                    }
                }
            };
            match read {
                Ok(Some(bytes)) => state.decoder.feed(&bytes),
                Ok(None) => state.decoder.finish(),
                Err(error) => {
                    // Worded as the decoder this one replaced worded it.
                    state.out.push_back(Err(disconnected(format!(
                        "stream disconnected before completion: Transport error: {error}"
                    ))));
                    state.finished = true;
                }
            }
        }
    }))
}
