//! A server-sent-events decoder: a body's bytes in, as the network delivers them, events out,
//! by the rules of the WHATWG HTML standard's "event stream" format (`data`, `event`, `id` and
//! `retry` fields, comments, CR, LF or CRLF line ends, a leading byte order mark).
//!
//! The bytes not yet decoded stay in one buffer, and a position walks through it; the buffer is
//! compacted only when a read arrives, so a read carrying hundreds of events costs one move of
//! what was left, not one per event. The event handed out is borrowed from the decoder and its
//! strings are reused from one event to the next.

use std::time::Duration;

/// One dispatched event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Event {
    /// The `event` field, or `message` when the event had none.
    pub event: String,
    /// The `data` fields, joined by line feeds.
    pub data: String,
    /// The last `id` the stream set (it carries over to later events).
    pub id: String,
    /// The event's `retry` field, when it had a valid one.
    pub retry: Option<Duration>,
}

/// The stream is not UTF-8: the line starting at the decoder's position does not decode.
#[derive(Debug, thiserror::Error)]
#[error("UTF8 error: {0}")]
pub(crate) struct InvalidUtf8(#[from] std::str::Utf8Error);

const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Default)]
pub(crate) struct SseDecoder {
    buffer: Vec<u8>,
    /// Where the next line starts in `buffer`.
    position: usize,
    /// How far past `position` the search for a line end has already looked, so a long line
    /// arriving in many reads is searched once.
    searched: usize,
    /// Whether a leading byte order mark was looked for.
    bom_checked: bool,
    /// The body ended: a final CR ends its line, and what is left after it is dropped.
    ended: bool,
    /// The fields of the event being read. Its `id` is the stream's last event id.
    pending: Event,
    /// The event last handed out; its strings are reused for the next.
    dispatched: Event,
}

impl SseDecoder {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a read of the body.
    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        if self.position > 0 {
            self.buffer.drain(..self.position);
            self.position = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The body ended: no more [`SseDecoder::feed`].
    pub(crate) fn finish(&mut self) {
        self.ended = true;
    }

    /// Whether [`SseDecoder::finish`] was called.
    pub(crate) fn is_finished(&self) -> bool {
        self.ended
    }

    /// The next complete event in the bytes fed so far, or `None` until more arrive.
    pub(crate) fn next_event(&mut self) -> Result<Option<&Event>, InvalidUtf8> {
        if !self.bom_checked {
            let available = &self.buffer[self.position..];
            if available.len() < BOM.len() && BOM.starts_with(available) && !self.ended {
                return Ok(None);
            }
            if available.starts_with(BOM) {
                self.position += BOM.len();
            }
            self.bom_checked = true;
        }
        while let Some((start, end)) = self.next_line() {
            let line = std::str::from_utf8(&self.buffer[start..end])?;
            if line.is_empty() {
                if self.dispatch() {
                    return Ok(Some(&self.dispatched));
                }
                continue;
            }
            let (name, value) = match line.split_once(':') {
                // A comment.
                Some(("", _)) => continue,
                Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            let pending = &mut self.pending;
            match name {
                "event" => value.clone_into(&mut pending.event),
                "data" => {
                    pending.data.push_str(value);
                    pending.data.push('\n');
                }
                "id" if !value.contains('\0') => value.clone_into(&mut pending.id),
                "retry" => {
                    if let Ok(millis) = value.parse::<u64>() {
                        pending.retry = Some(Duration::from_millis(millis));
                    }
                }
                _ => {}
            }
        }
        Ok(None)
    }

    /// The bounds of the next complete line in `buffer`, without its end, moving `position`
    /// past it.
    fn next_line(&mut self) -> Option<(usize, usize)> {
        let start = self.position;
        let rest = &self.buffer[start + self.searched..];
        let Some(found) = memchr::memchr2(b'\n', b'\r', rest) else {
            self.searched = self.buffer.len() - start;
            return None;
        };
        let end = start + self.searched + found;
        let after = match self.buffer[end] {
            b'\r' => match self.buffer.get(end + 1) {
                Some(b'\n') => end + 2,
                Some(_) => end + 1,
                // A CR at the end of what was read may be the first half of a CRLF.
                None if !self.ended => {
                    self.searched = end - start;
                    return None;
                }
                None => end + 1,
            },
            _ => end + 1,
        };
        self.position = after;
        self.searched = 0;
        Some((start, end))
    }

    /// Ends the pending event at a blank line: answers whether it had data (and is now
    /// `dispatched`); the event type, data and retry start afresh either way, the id carries
    /// over.
    fn dispatch(&mut self) -> bool {
        let pending = &mut self.pending;
        if pending.data.is_empty() {
            pending.event.clear();
            pending.retry = None;
            return false;
        }
        let dispatched = &mut self.dispatched;
        std::mem::swap(&mut dispatched.data, &mut pending.data);
        dispatched.data.pop();
        pending.data.clear();
        if pending.event.is_empty() {
            "message".clone_into(&mut dispatched.event);
        } else {
            std::mem::swap(&mut dispatched.event, &mut pending.event);
            pending.event.clear();
        }
        dispatched.id.clone_from(&pending.id);
        dispatched.retry = pending.retry.take();
        true
    }
}

#[cfg(test)]
mod tests {
    use pretty_assertions::assert_eq;

    use super::*;

    /// Decodes `chunks` as successive reads of one body.
    fn decode(chunks: &[&[u8]]) -> Result<Vec<Event>, String> {
        let mut decoder = SseDecoder::new();
        let mut events = Vec::new();
        for chunk in chunks.iter().map(Some).chain([None]) {
            match chunk {
                Some(chunk) => decoder.feed(chunk),
                None => decoder.finish(),
            }
            while let Some(event) = decoder.next_event().map_err(|error| error.to_string())? {
                events.push(event.clone());
            }
        }
        Ok(events)
    }

    fn event(name: &str, data: &str) -> Event {
        Event {
            event: name.to_owned(),
            data: data.to_owned(),
            ..Event::default()
        }
    }

    #[track_caller]
    fn check(body: &str, expected: &[Event]) {
        assert_eq!(
            decode(&[body.as_bytes()]),
            Ok(expected.to_vec()),
            "{body:?}"
        );
    }

    /// A stream exercising every rule, and the events it carries.
    fn sample() -> (Vec<u8>, Vec<Event>) {
        let mut body = BOM.to_vec();
        body.extend_from_slice(
            ": a comment\r\n\
             event: response.output_text.delta\r\n\
             data: {\"delta\":\"caf\u{e9} \u{1F600}\"}\r\n\r\n\
             id: 7\rretry: 1500\rdata\rdata:  two spaces\r\r\
             event:named\ndata:x\nunknown: field\n\n\
             data: no blank line before the end"
                .as_bytes(),
        );
        let events = vec![
            event(
                "response.output_text.delta",
                "{\"delta\":\"caf\u{e9} \u{1F600}\"}",
            ),
            Event {
                event: "message".to_owned(),
                data: "\n two spaces".to_owned(),
                id: "7".to_owned(),
                retry: Some(Duration::from_millis(1500)),
            },
            Event {
                id: "7".to_owned(),
                ..event("named", "x")
            },
        ];
        (body, events)
    }

    #[test]
    fn every_split_of_a_stream_gives_the_same_events() {
        let (body, expected) = sample();
        assert_eq!(decode(&[&body]), Ok(expected.clone()));
        for split in 0..=body.len() {
            let (first, second) = body.split_at(split);
            assert_eq!(
                decode(&[first, second]),
                Ok(expected.clone()),
                "split at {split}"
            );
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode(&bytes), Ok(expected));
    }

    #[test]
    fn fields_follow_the_standard() {
        // Events without data are not dispatched, and forget their type and retry.
        check(
            "event: lost\nretry: 9\n\ndata: d\n\n",
            &[event("message", "d")],
        );
        // `data` lines join with line feeds; an empty value still adds a line.
        check("data: a\ndata:\ndata: b\n\n", &[event("message", "a\n\nb")]);
        // An id with NUL is ignored; ids carry over to later events.
        let with_id = |data: &str| Event {
            id: "1".to_owned(),
            ..event("message", data)
        };
        check(
            "id: 1\ndata: a\n\nid: x\0y\ndata: b\n\n",
            &[with_id("a"), with_id("b")],
        );
        // A retry that is not only digits is ignored.
        check("retry: 1.5\ndata: a\n\n", &[event("message", "a")]);
        // Only one space after the colon is taken off; field names are case-sensitive.
        check("Data: x\ndata:\t y\n\n", &[event("message", "\t y")]);
        // A byte order mark is taken off only at the start.
        check(
            "\u{feff}data: a\n\n\u{feff}data: b\n\n",
            &[event("message", "a")],
        );
    }

    #[test]
    fn the_end_of_the_body_ends_a_final_cr_line_and_drops_an_unfinished_event() {
        assert_eq!(
            decode(&[b"data: a\r", b"\r"]),
            Ok(vec![event("message", "a")])
        );
        assert_eq!(decode(&[b"data: a\n", b"data: b\n"]), Ok(vec![]));
        assert_eq!(decode(&[b"\xEF\xBB"]), Ok(vec![]));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_an_error() {
        let result = decode(&[b"data: a\n\ndata: \xFF\n\n"]);
        assert!(
            result
                .as_ref()
                .is_err_and(|error| error.starts_with("UTF8 error")),
            "{result:?}"
        );
    }

    #[test]
    fn a_long_line_in_many_reads_is_searched_once() {
        let mut decoder = SseDecoder::new();
        let line = "x".repeat(1000);
        decoder.feed(b"data: ");
        for chunk in line.as_bytes().chunks(10) {
            decoder.feed(chunk);
            assert_eq!(decoder.next_event().ok(), Some(None));
            assert_eq!(decoder.searched, decoder.buffer.len());
        }
        decoder.feed(b"\n\n");
        assert_eq!(
            decoder.next_event().ok().flatten().cloned(),
            Some(event("message", &line))
        );
    }
}
