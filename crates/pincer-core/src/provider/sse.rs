//! Server-sent events from a response body, with transport failures named as cut streams.
//!
//! Parsed here rather than with `eventsource-stream`, which searched the whole buffered
//! line again for every chunk that arrived: one 2 MB event cost seconds of CPU (quadratic
//! in the event's size). This parser looks at each byte once; it follows the HTML
//! standard's event stream rules for the fields the dialects read (`event`, `data`).

use futures::{Stream, StreamExt};

use super::ProviderError;

/// The largest event kept: far above any real chunk (a whole file written by a tool call
/// arrives in many small events), low enough that an endless line cannot exhaust memory.
pub const MAX_EVENT_BYTES: usize = 32 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field, `message` when the event had none.
    pub event: String,
    /// The `data:` lines joined by line feeds.
    pub data: String,
}

/// Why a stream could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    #[error("an event is larger than {MAX_EVENT_BYTES} bytes")]
    TooLarge,
}

/// An incremental parser: feed it the body's chunks as they come.
#[derive(Debug, Default)]
pub struct Parser {
    /// The current line's bytes so far (its end not seen yet).
    line: Vec<u8>,
    /// The previous chunk ended with CR: a LF starting this one belongs to it.
    after_cr: bool,
    /// Past the first bytes, where a byte-order mark may stand.
    started: bool,
    event_type: String,
    data: String,
    /// Bytes looked at, for tests that check the work stays linear.
    scanned: usize,
}

impl Parser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes`, appending every event they complete to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Event>) -> Result<(), SseError> {
        if !self.started {
            // The mark may be split across chunks: wait until three bytes are in.
            let mut head = std::mem::take(&mut self.line);
            head.extend_from_slice(bytes);
            if head.len() < 3 && b"\xEF\xBB\xBF".starts_with(&head) {
                self.line = head;
                return Ok(());
            }
            self.started = true;
            let rest = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head).to_vec();
            return self.feed(&rest, out);
        }
        if bytes.is_empty() {
            // Keeps `after_cr`: the LF may still come.
            return Ok(());
        }
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
            self.scanned += 1;
        }
        self.after_cr = false;
        while let Some(end) = memchr::memchr2(b'\n', b'\r', bytes) {
            self.scanned += end + 1;
            let terminator = bytes[end];
            if self.line.is_empty() {
                self.line_done(&bytes[..end], out)?;
            } else {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&bytes[..end]);
                self.line_done(&line, out)?;
                // Keep the allocation for the next long line.
                line.clear();
                self.line = line;
            }
            bytes = &bytes[end + 1..];
            if terminator == b'\r' {
                match bytes.first() {
                    Some(b'\n') => {
                        bytes = &bytes[1..];
                        self.scanned += 1;
                    }
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        self.scanned += bytes.len();
        if self.line.len() + bytes.len() + self.data.len() > MAX_EVENT_BYTES {
            return Err(SseError::TooLarge);
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    /// How many bytes the parser has looked at so far.
    pub fn scanned(&self) -> usize {
        self.scanned
    }

    fn line_done(&mut self, line: &[u8], out: &mut Vec<Event>) -> Result<(), SseError> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(());
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                if self.data.len() + value.len() + 1 > MAX_EVENT_BYTES {
                    return Err(SseError::TooLarge);
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            // `id` and `retry` matter to a reconnecting browser, not to one request.
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<Event>) {
        let event_type = std::mem::take(&mut self.event_type);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the line feed after the last data line
        out.push(Event {
            event: if event_type.is_empty() {
                "message".to_owned()
            } else {
                event_type
            },
            data,
        });
    }
}

pub(super) fn events(
    provider: &str,
    response: reqwest::Response,
) -> impl Stream<Item = Result<Event, ProviderError>> + Send + 'static {
    let provider = provider.to_owned();
    let mut body = response.bytes_stream();
    async_stream::stream! {
        let mut parser = Parser::new();
        let mut ready = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    yield Err(ProviderError::StreamCut { provider: provider.clone(), detail: e.to_string() });
                    return;
                }
            };
            if let Err(e) = parser.feed(&chunk, &mut ready) {
                yield Err(ProviderError::Malformed { provider: provider.clone(), detail: e.to_string() });
                return;
            }
            for event in ready.drain(..) {
                yield Ok(event);
            }
        }
        // An event not closed by a blank line when the body ends is dropped, as the
        // standard says; the dialects then report the stream as cut.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in(chunks: &[&[u8]]) -> Vec<Event> {
        let mut parser = Parser::new();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed(chunk, &mut out).unwrap();
        }
        out
    }

    fn event(event: &str, data: &str) -> Event {
        Event {
            event: event.to_owned(),
            data: data.to_owned(),
        }
    }

    #[test]
    fn fields_lines_and_terminators() {
        let stream = b"\xEF\xBB\xBF: comment\r\nevent: delta\r\ndata: one\rdata:two\n\ndata\n\nid: 7\nretry: 10\n\ndata: [DONE]\n\ndata: unfinished";
        let expected = vec![
            event("delta", "one\ntwo"),
            event("message", ""),
            event("message", "[DONE]"),
        ];
        // `data` alone is an empty data line, so the second event has empty data.
        assert_eq!(parse_in(&[stream]), expected);
        // Every split gives the same events, CR LF and the mark cut in half included.
        for at in 0..stream.len() {
            assert_eq!(
                parse_in(&[&stream[..at], &stream[at..]]),
                expected,
                "split at {at}"
            );
        }
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(parse_in(&bytewise), expected);
        // An empty chunk between CR and LF does not make the LF a line of its own.
        assert_eq!(
            parse_in(&[b"data: a\r", b"", b"\ndata: b\n\n"]),
            vec![event("message", "a\nb")]
        );
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(
            parse_in(&[b"data: a\xFFb\n\n"]),
            vec![event("message", "a\u{FFFD}b")]
        );
    }

    #[test]
    fn a_huge_event_fed_in_small_chunks_is_parsed_in_linear_work() {
        // A 4 MB data line in 64-byte chunks: the old parser searched the whole buffered
        // line again per chunk, about 65,000 × 2 MB of scanning.
        let payload = "x".repeat(4 * 1024 * 1024);
        let stream = format!("data: {payload}\n\n");
        let mut parser = Parser::new();
        let mut out = Vec::new();
        for chunk in stream.as_bytes().chunks(64) {
            parser.feed(chunk, &mut out).unwrap();
        }
        assert_eq!(out, vec![event("message", &payload)]);
        assert!(
            parser.scanned() <= stream.len() + 16,
            "scanned {} bytes of {}",
            parser.scanned(),
            stream.len()
        );
    }

    #[test]
    fn an_endless_event_is_refused() {
        let mut parser = Parser::new();
        let mut out = Vec::new();
        let chunk = vec![b'x'; 1024 * 1024];
        parser.feed(b"data: ", &mut out).unwrap();
        let mut refused = false;
        for _ in 0..40 {
            if parser.feed(&chunk, &mut out) == Err(SseError::TooLarge) {
                refused = true;
                break;
            }
        }
        assert!(refused);
    }
}
