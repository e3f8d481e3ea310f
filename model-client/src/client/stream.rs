//! Reading a streamed answer: server-sent events with an idle timeout, turned into
//! [`ResponseEvent`]s by a wire-specific [`EventParser`].

use std::collections::VecDeque;
use std::time::Duration;

use codex_protocol::protocol::CodexErrorInfo;
use eventsource_stream::Event;
use eventsource_stream::Eventsource;
use futures::FutureExt;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::client::transport::error_chain;
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
    events: BoxStream<'static, Result<Event, ModelError>>,
    parser: P,
    out: Output,
    finished: bool,
}

/// The answer in `response`, parsed by `parser`, starting with the events in `first`.
pub(crate) fn response_stream<P: EventParser>(
    response: reqwest::Response,
    idle_timeout: Duration,
    parser: P,
    first: Output,
) -> ResponseStream {
    let state = State {
        events: sse_events(response, idle_timeout),
        parser,
        out: first,
        finished: false,
    };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.out.pop_front() {
                return Some((item, state));
            }
            if state.finished {
                return None;
            }
            match state.events.next().await {
                Some(Ok(event)) => {
                    state.finished = state.parser.on_event(&event, &mut state.out);
                }
                Some(Err(error)) => {
                    state.out.push_back(Err(error));
                    state.finished = true;
                }
                None => {
                    state.parser.on_end(&mut state.out);
                    state.finished = true;
                }
            }
        }
    }))
}

/// The server-sent events of `response`; silence longer than `idle_timeout` or a broken
/// connection ends it with a retryable error.
fn sse_events(
    response: reqwest::Response,
    idle_timeout: Duration,
) -> BoxStream<'static, Result<Event, ModelError>> {
    let events = response.bytes_stream().eventsource();
    futures::stream::unfold(Some(events), move |events| async move {
        let mut events = events?;
        // An event already parsed, or in bytes already read, is taken without arming the idle
        // timer: a fast stream carries hundreds of events per read, and a timer registered
        // and cancelled for each cost as much as the event. Only a wait is timed.
        let next = match events.next().now_or_never() {
            Some(next) => Ok(next),
            None => tokio::time::timeout(idle_timeout, events.next()).await,
        };
        match next {
            Err(_) => Some((Err(disconnected("idle timeout waiting for SSE")), None)),
            Ok(None) => None,
            Ok(Some(Ok(event))) => Some((Ok(event), Some(events))),
            Ok(Some(Err(error))) => Some((
                Err(disconnected(format!(
                    "stream disconnected before completion: {}",
                    error_chain(&error)
                ))),
                None,
            )),
        }
    })
    .boxed()
}
