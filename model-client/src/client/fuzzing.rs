//! The entry point of the `sse` fuzz target in `fuzz/` (built only with the `fuzzing` feature):
//! a streamed answer's bytes through the server-sent-events decoder and both wires' parsers,
//! without HTTP around them.

use std::convert::Infallible;

use eventsource_stream::Event;
use eventsource_stream::Eventsource;
use futures::StreamExt;

use crate::client::chat::ChatParser;
use crate::client::responses::ResponsesParser;
use crate::client::stream::EventParser;
use crate::client::stream::Output;

/// Feeds `chunks` (the body as the network delivered it) to the SSE decoder and every event to
/// the Responses and the Chat Completions parsers, as a model stream does. Panics when a parser
/// goes on after saying the answer is complete, or ends without saying anything.
pub fn parse_sse(chunks: Vec<Vec<u8>>) {
    let events = futures::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>)).eventsource();
    let events: Vec<Event> = futures::executor::block_on(events.collect::<Vec<_>>())
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    run(ResponsesParser, &events);
    run(ChatParser::default(), &events);
}

fn run(mut parser: impl EventParser, events: &[Event]) {
    let mut out = Output::new();
    let finished = events.iter().any(|event| parser.on_event(event, &mut out));
    if !finished {
        parser.on_end(&mut out);
        assert!(
            !out.is_empty(),
            "a stream that ended early must end with an error or a completion"
        );
    }
}
