use std::time::Duration;

/// One scripted response. The same `Reply` renders as either dialect; the
/// endpoint the request hits decides the wire format.
#[derive(Debug, Clone)]
pub struct Reply {
    pub(crate) status: Option<u16>,
    pub(crate) reasoning: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) tool_calls: Vec<ToolCall>,
    pub(crate) usage: Usage,
    pub(crate) deepseek_cache_fields: bool,
    pub(crate) without_usage: bool,
    pub(crate) retry_after: Option<u64>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) delay: Duration,
    pub(crate) chunk_delay: Duration,
    pub(crate) split: TextSplit,
    pub(crate) cut_after: Option<usize>,
    pub(crate) malformed_chunk: bool,
    pub(crate) hang: bool,
    pub(crate) abort_connection: bool,
}

/// How text and reasoning are cut into stream deltas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextSplit {
    /// About three deltas of similar length (the default).
    Thirds,
    /// One delta per word, trailing whitespace included.
    Words,
}

impl TextSplit {
    pub(crate) fn split(self, s: &str) -> Vec<&str> {
        match self {
            TextSplit::Thirds => split_fragments(s, 3),
            TextSplit::Words => split_words(s),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ToolCall {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) arguments: String,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    pub(crate) input: u64,
    pub(crate) cached: u64,
    pub(crate) output: u64,
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            status: None,
            reasoning: None,
            text: None,
            tool_calls: Vec::new(),
            usage: Usage {
                input: 10,
                cached: 0,
                output: 5,
            },
            deepseek_cache_fields: false,
            without_usage: false,
            retry_after: None,
            headers: Vec::new(),
            delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            split: TextSplit::Thirds,
            cut_after: None,
            malformed_chunk: false,
            hang: false,
            abort_connection: false,
        }
    }
}

impl Reply {
    /// A plain assistant message, streamed as about three deltas (see
    /// [`Reply::word_deltas`] for finer streaming).
    pub fn text(text: &str) -> Reply {
        Reply::default().with_text(text)
    }

    /// One tool call. `arguments` is sent verbatim, so it may be malformed JSON.
    pub fn tool_call(id: &str, name: &str, arguments: &str) -> Reply {
        Reply::tool_calls(&[(id, name, arguments)])
    }

    /// Several parallel tool calls in one response, as `(id, name, arguments)`.
    pub fn tool_calls(calls: &[(&str, &str, &str)]) -> Reply {
        Reply {
            tool_calls: calls
                .iter()
                .map(|(id, name, arguments)| ToolCall {
                    id: (*id).to_owned(),
                    name: (*name).to_owned(),
                    arguments: (*arguments).to_owned(),
                })
                .collect(),
            ..Reply::default()
        }
    }

    /// An HTTP error with the dialect's error JSON body.
    pub fn status(code: u16) -> Reply {
        Reply {
            status: Some(code),
            ..Reply::default()
        }
    }

    /// Text sent before any tool calls of the same response; on a [`Reply::status`], the
    /// error's message.
    pub fn with_text(mut self, text: &str) -> Reply {
        self.text = Some(text.to_owned());
        self
    }

    /// Reasoning sent before the text (`reasoning_content` / a thinking block).
    pub fn reasoning(mut self, text: &str) -> Reply {
        self.reasoning = Some(text.to_owned());
        self
    }

    /// Token usage; `input` includes `cached`, as in OpenAI's accounting.
    pub fn usage(mut self, input: u64, cached: u64, output: u64) -> Reply {
        self.usage = Usage {
            input,
            cached,
            output,
        };
        self
    }

    /// OpenAI dialect only: report cache hits the way DeepSeek does
    /// (`prompt_cache_hit_tokens` / `prompt_cache_miss_tokens`).
    pub fn deepseek_cache_fields(mut self) -> Reply {
        self.deepseek_cache_fields = true;
        self
    }

    /// OpenAI dialect: stream no usage chunk even when `include_usage` is asked for, as
    /// llama-cpp-python's server does.
    pub fn without_usage(mut self) -> Reply {
        self.without_usage = true;
        self
    }

    /// Adds a `Retry-After: <secs>` header.
    pub fn retry_after(mut self, secs: u64) -> Reply {
        self.retry_after = Some(secs);
        self
    }

    /// Adds a response header sent as given, so a test can send what no sane server would
    /// (`Retry-After: 1e20`). Applies to error replies and streams alike.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Waits this long before sending the response headers.
    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }

    /// Waits this long between SSE events.
    pub fn chunk_delay(mut self, d: Duration) -> Reply {
        self.chunk_delay = d;
        self
    }

    /// Streams text and reasoning one word per delta (trailing whitespace
    /// included) instead of about three deltas, so a long reply arrives as
    /// many events; combine with [`Reply::chunk_delay`] to watch a UI render
    /// it progressively. Tool-call arguments are still sent in about three
    /// pieces. This changes the event count that [`Reply::cut_after`] sees.
    pub fn word_deltas(mut self) -> Reply {
        self.split = TextSplit::Words;
        self
    }

    /// Sends only the first `events` SSE events (counting `[DONE]` and any
    /// malformed event), then ends the body without a terminator.
    pub fn cut_after(mut self, events: usize) -> Reply {
        self.cut_after = Some(events);
        self
    }

    /// Inserts an SSE event whose data is not valid JSON right after the first
    /// event. For a non-streaming request the whole body becomes invalid JSON.
    pub fn malformed_chunk(mut self) -> Reply {
        self.malformed_chunk = true;
        self
    }

    /// After the events, keeps the response open until the server is dropped.
    pub fn hang(mut self) -> Reply {
        self.hang = true;
        self
    }

    /// A one-line description for failure messages, e.g. `text "done"`,
    /// `tool calls [call_1 read_file]` or `HTTP 500`.
    pub(crate) fn summary(&self) -> String {
        if let Some(status) = self.status {
            return format!("HTTP {status}");
        }
        let mut parts = Vec::new();
        if let Some(text) = &self.text {
            let mut short: String = text.chars().take(40).collect();
            if short.len() < text.len() {
                short.push('…');
            }
            parts.push(format!("text {short:?}"));
        }
        if !self.tool_calls.is_empty() {
            let calls: Vec<String> = self
                .tool_calls
                .iter()
                .map(|c| format!("{} {}", c.id, c.name))
                .collect();
            parts.push(format!("tool calls [{}]", calls.join(", ")));
        }
        if parts.is_empty() {
            parts.push("empty reply".to_owned());
        }
        parts.join(" + ")
    }

    /// After the events, fails the body so the connection is torn down
    /// mid-response (the client sees a transport error rather than a clean
    /// end of stream). Usually combined with [`Reply::cut_after`].
    pub fn abort_connection(mut self) -> Reply {
        self.abort_connection = true;
        self
    }
}

/// Splits `s` into about `parts` pieces of similar character count, never
/// inside a UTF-8 sequence and never producing an empty piece.
pub(crate) fn split_fragments(s: &str, parts: usize) -> Vec<&str> {
    let offsets: Vec<usize> = s
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(s.len()))
        .collect();
    let chars = offsets.len() - 1;
    if chars == 0 {
        return Vec::new();
    }
    let parts = parts.clamp(1, chars);
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    for k in 1..=parts {
        let end = offsets.get(k * chars / parts).copied().unwrap_or(s.len());
        out.push(&s[start..end]);
        start = end;
    }
    out
}

/// Splits `s` into words, each keeping the whitespace that follows it
/// (leading whitespace stays with the first word). Never produces an empty
/// piece; the pieces concatenate back to `s`.
pub(crate) fn split_words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev_space = false;
    let mut seen_word = false;
    for (i, c) in s.char_indices() {
        let space = c.is_whitespace();
        if !space && prev_space && seen_word {
            out.push(&s[start..i]);
            start = i;
        }
        seen_word |= !space;
        prev_space = space;
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{split_fragments, split_words};

    #[test]
    fn words_keep_their_trailing_whitespace() {
        assert!(split_words("").is_empty());
        assert_eq!(split_words("one"), ["one"]);
        assert_eq!(split_words("  "), ["  "]);
        assert_eq!(
            split_words("  Hello, wörld!\n\nNext 🦀 "),
            ["  Hello, ", "wörld!\n\n", "Next ", "🦀 "]
        );
        for s in ["a b", " a  b\tc\n", "no-spaces-at-all", "x "] {
            let parts = split_words(s);
            assert_eq!(parts.concat(), s);
            assert!(parts.iter().all(|p| !p.is_empty()));
        }
    }

    #[test]
    fn fragments_reassemble_and_respect_char_boundaries() {
        for s in [
            "",
            "a",
            "ab",
            "abc",
            "abcdefg",
            "héllo wörld",
            "🦀🦀",
            "🦀🦀🦀🦀",
        ] {
            let parts = split_fragments(s, 3);
            assert_eq!(parts.concat(), s);
            assert!(parts.iter().all(|p| !p.is_empty()));
            let chars = s.chars().count();
            assert_eq!(parts.len(), chars.min(3));
        }
    }
}
