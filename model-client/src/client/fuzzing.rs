//! The entry point of the `sse` fuzz target in `fuzz/` (built only with the `fuzzing` feature):
//! a streamed answer's bytes through the server-sent-events decoder and both wires' parsers,
//! without HTTP around them.

use crate::client::chat::ChatParser;
use crate::client::responses::ResponsesParser;
use crate::client::sse::Event;
use crate::client::sse::SseDecoder;
use crate::client::stream::EventParser;
use crate::client::stream::Output;

/// Feeds `chunks` (the body as the network delivered it) to the SSE decoder and every event to
/// the Responses and the Chat Completions parsers, as a model stream does. Panics when a parser
/// goes on after saying the answer is complete, or ends without saying anything. Events after
/// bytes that are not UTF-8 are not parsed, as a model stream ends there.
pub fn parse_sse(chunks: Vec<Vec<u8>>) {
    let mut decoder = SseDecoder::new();
    let mut events: Vec<Event> = Vec::new();
    'reads: for chunk in chunks.iter().map(Some).chain([None]) {
        match chunk {
            Some(chunk) => decoder.feed(chunk),
            None => decoder.finish(),
        }
        loop {
            match decoder.next_event() {
                Ok(Some(event)) => events.push(event.clone()),
                Ok(None) => break,
                Err(_) => break 'reads,
            }
        }
    }
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
