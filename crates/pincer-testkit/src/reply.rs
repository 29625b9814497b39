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
    pub(crate) delay: Duration,
    pub(crate) chunk_delay: Duration,
    pub(crate) cut_after: Option<usize>,
    pub(crate) malformed_chunk: bool,
    pub(crate) hang: bool,
    pub(crate) abort_connection: bool,
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
            delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            cut_after: None,
            malformed_chunk: false,
            hang: false,
            abort_connection: false,
        }
    }
}

impl Reply {
    /// A plain assistant message, streamed as about three deltas.
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

    /// Text sent before any tool calls of the same response.
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

#[cfg(test)]
mod tests {
    use super::split_fragments;

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
