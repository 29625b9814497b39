//! Entry points for the fuzz targets in `fuzz/` and the tests that replay their corpus:
//! each takes arbitrary bytes, feeds them to a parser of foreign input the way the engine
//! does, and panics only on a bug (a panic, or a broken invariant checked here).
//!
//! Compiled for tests and with the `fuzzing` feature; not part of the engine's API.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use crate::model::ToolCall;
use crate::provider::ProviderError;
use crate::provider::redact::{REDACTED, redact};
use crate::provider::retry_after;
use crate::provider::sse::{Parser, SseError};
use crate::retry::RetryPolicy;
use crate::skills::Catalog;
use crate::skills::definition::Definition;
use crate::skills::frontmatter;
use crate::tools::{Access, ToolRegistry, ToolSettings, arguments_object, dispatch};

/// One fuzz target's entry point: any bytes in, a panic only on a bug.
pub type Target = fn(&[u8]);

/// The fuzz targets, by the name of their folder under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("sse", sse),
    ("provider_error", provider_error),
    ("tool_arguments", tool_arguments),
    ("skill_md", skill_md),
    ("local_output", local_output),
    ("gguf_header", gguf_header),
];

/// The SSE parser: a body fed in the pieces the first byte picks must give the same events
/// as the body fed at once, and the parser must look at each byte about once.
pub fn sse(data: &[u8]) {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let whole = parse_sse(body, body.len().max(1), false);
    let piece = usize::from(split % 16) + 1;
    // The high bit: an empty chunk after each piece, as a body stream may yield.
    let pieces = parse_sse(body, piece, split & 0x80 != 0);
    assert_eq!(
        whole.0, pieces.0,
        "pieces of {piece} bytes change the events"
    );
    assert_eq!(
        whole.1, pieces.1,
        "pieces of {piece} bytes change the outcome"
    );
    // Each byte once, plus a LF after a CR counted when it is skipped.
    assert!(
        pieces.2 <= body.len() + 3,
        "scanned {} bytes of {}",
        pieces.2,
        body.len()
    );
}

fn parse_sse(
    body: &[u8],
    piece: usize,
    empties: bool,
) -> (
    Vec<crate::provider::sse::Event>,
    Result<(), SseError>,
    usize,
) {
    let mut parser = Parser::new();
    let mut events = Vec::new();
    for chunk in body.chunks(piece) {
        let mut fed = parser.feed(chunk, &mut events);
        if empties && fed.is_ok() {
            fed = parser.feed(&[], &mut events);
        }
        if let Err(e) = fed {
            return (events, Err(e), parser.scanned());
        }
    }
    (events, Ok(()), parser.scanned())
}

/// What a provider's error response goes through: `Retry-After`, the status and body,
/// the retry decision and the key's redaction. The first line of `data` is the header
/// value, the second the key, the rest the body; two bytes after the first line pick the
/// status.
pub fn provider_error(data: &[u8]) {
    let mut lines = data.splitn(3, |b| *b == b'\n');
    let header = lines.next().unwrap_or_default();
    let key = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let body = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let wait = retry_after::parse(header, now);
    if let Some(wait) = wait {
        assert!(wait <= retry_after::LONGEST, "{wait:?}");
    }
    let status = 400 + u16::from(header.first().copied().unwrap_or(0)) % 200;
    let error = ProviderError::from_status("fuzz", status, wait, &body);
    let kind = error.kind();
    let error = error.redact(&key);
    assert_eq!(error.kind(), kind, "redaction changed the kind");
    let policy = RetryPolicy::default();
    for attempt in 1..=policy.max_attempts {
        if let Some(delay) = policy.delay(attempt, error.retry_after()) {
            assert!(delay <= policy.max_delay, "{delay:?}");
        }
    }
    let _ = error.to_string();
    // A key that cannot be mistaken for the mark itself never survives redaction.
    if !key.is_empty() && !key.contains(['[', ']']) && !REDACTED.contains(key.as_str()) {
        let redacted = redact(&body, &key);
        assert!(!redacted.contains(&key), "the key survived in {redacted:?}");
    }
}

/// How the engine turns a model's tool call into a plan: `use_tool` unwrapping, the
/// arguments object, then the tool's own parsing and planning (never its run). The first
/// byte picks the tool, the rest is the raw arguments text.
pub fn tool_arguments(data: &[u8]) {
    let Some((&pick, raw)) = data.split_first() else {
        return;
    };
    let (registry, settings) = tools();
    let mut names: Vec<&str> = registry.names().collect();
    names.push(dispatch::USE);
    let name = names[usize::from(pick) % names.len()];
    let call = ToolCall {
        id: "call_fuzz".to_owned(),
        provider_id: None,
        name: name.to_owned(),
        arguments: String::from_utf8_lossy(raw).into_owned(),
    };
    let unwrapped = dispatch::unwrap(&call);
    let call = unwrapped.as_ref().unwrap_or(&call);
    let tool = dispatch::find(registry, &Catalog::default(), &call.name);
    let Ok(args) = arguments_object(&call.arguments) else {
        return;
    };
    let Some(tool) = tool else {
        return;
    };
    // Errors are answers for the model. Only reads inside the scratch workspace run (on
    // the files `tools()` put there); anything else stops at the plan.
    let Ok(prepared) = tool.prepare(&args, settings) else {
        return;
    };
    if matches!(prepared.access, Access::Read { inside: true, .. }) {
        let _ = runtime().block_on(prepared.run());
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("a runtime for the fuzz target: {e}"))
    })
}

/// The built-in tools over a scratch workspace with a few files, which nothing writes to.
fn tools() -> &'static (ToolRegistry, ToolSettings) {
    static TOOLS: OnceLock<(ToolRegistry, ToolSettings)> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let workspace = std::env::temp_dir().join(format!("pincer-fuzz-{}", std::process::id()));
        let made = std::fs::create_dir_all(workspace.join("sub"))
            .and_then(|()| std::fs::write(workspace.join("a.txt"), "one\ntwo\n\nfour é 🦀\n"))
            .and_then(|()| std::fs::write(workspace.join("sub/b.rs"), "fn main() {}\n"))
            .and_then(|()| std::fs::write(workspace.join("empty"), ""))
            .and_then(|()| std::fs::write(workspace.join("bin.dat"), b"\xff\x00\xfe"))
            .and_then(|()| workspace.canonicalize());
        let workspace = made.unwrap_or_else(|e| panic!("the fuzz workspace: {e}"));
        (ToolRegistry::builtin(), ToolSettings::new(workspace))
    })
}

/// A `SKILL.md` as the loader reads it: frontmatter and body, then the fields.
pub fn skill_md(data: &[u8]) {
    if let Ok(parsed) = frontmatter::parse(data) {
        let _ = Definition::from_fields(&parsed.fields);
    }
}

/// A local model's output (`local::output`): fed in the pieces the first byte picks, the
/// parser gives the same text, reasoning and tool calls as fed at once.
pub fn local_output(data: &[u8]) {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(body);
    let tools = split & 0x80 != 0;
    let whole = parse_output(&[text.as_ref()], tools);
    let size = usize::from(split % 16) + 1;
    let chars: Vec<char> = text.chars().collect();
    let pieces: Vec<String> = chars.chunks(size).map(|c| c.iter().collect()).collect();
    let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
    assert_eq!(
        whole,
        parse_output(&pieces, tools),
        "pieces of {size} characters change the output"
    );
}

/// The events for `pieces`, runs of text and of reasoning merged.
fn parse_output(pieces: &[&str], tools: bool) -> Vec<crate::model::StreamEvent> {
    use crate::model::StreamEvent;
    let mut parser = crate::local::output::OutputParser::new(tools);
    let mut events: Vec<StreamEvent> = pieces.iter().flat_map(|p| parser.push(p)).collect();
    events.extend(parser.finish());
    let mut merged: Vec<StreamEvent> = Vec::new();
    for event in events {
        match (merged.last_mut(), event) {
            (Some(StreamEvent::TextDelta(a)), StreamEvent::TextDelta(b))
            | (Some(StreamEvent::ReasoningDelta(a)), StreamEvent::ReasoningDelta(b)) => {
                a.push_str(&b);
            }
            (_, event) => merged.push(event),
        }
    }
    merged
}

/// A GGUF file's header (`local::gguf`), as `pincer model add` reads a downloaded file.
pub fn gguf_header(data: &[u8]) {
    let _ = crate::local::gguf::parse_bytes(data);
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;

    fn corpus_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
    }

    /// Every committed input, crashes found by fuzzing included, replays without a panic.
    #[test]
    fn the_fuzz_corpus_replays() {
        for (target, run) in TARGETS {
            let dir = corpus_root().join(target);
            let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|entry| entry.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            inputs.sort();
            assert!(!inputs.is_empty(), "{} is empty", dir.display());
            for input in inputs {
                let bytes =
                    std::fs::read(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
                let outcome = std::panic::catch_unwind(|| run(&bytes));
                assert!(outcome.is_ok(), "{target}: {} panics", input.display());
            }
        }
    }

    /// Lines an event stream is made of, so random streams reach every branch.
    fn sse_stream() -> impl Strategy<Value = Vec<u8>> {
        let line = prop_oneof![
            "data:[ a-z\u{e9}\u{1F980}]{0,12}",
            "event: ?[a-z_]{0,8}",
            ":[ -~]{0,8}",
            "(id|retry|data|event)",
            "[ -~]{0,10}",
            Just(String::new()),
        ];
        let end = prop_oneof![Just("\n"), Just("\r\n"), Just("\r"), Just("")];
        (
            any::<u8>(),
            any::<bool>(),
            proptest::collection::vec((line, end), 0..12),
        )
            .prop_map(|(split, bom, lines)| {
                let mut out = vec![split];
                if bom {
                    out.extend_from_slice("\u{feff}".as_bytes());
                }
                for (line, end) in lines {
                    out.extend_from_slice(line.as_bytes());
                    out.extend_from_slice(end.as_bytes());
                }
                out
            })
    }

    fn provider_response() -> impl Strategy<Value = Vec<u8>> {
        let header = prop_oneof![
            "[0-9]{1,30}(\\.[0-9]{0,5})?",
            "-?[0-9.e+-]{0,12}",
            "(inf|NaN|infinity|-inf)",
            "(Mon|Fri), [0-9]{2} (Jan|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
            "[ -~]{0,20}",
        ];
        let key = "(sk-)?[A-Za-z0-9_\u{e9}-]{0,24}";
        (header, key, "[ -~\u{e9}]{0,80}", any::<bool>()).prop_map(|(header, key, body, echo)| {
            let body = if echo {
                format!(r#"{{"error":{{"message":"bad key {key}: {body}"}}}}"#)
            } else {
                body
            };
            format!("{header}\n{key}\n{body}").into_bytes()
        })
    }

    fn tool_call() -> impl Strategy<Value = Vec<u8>> {
        let value = prop_oneof![
            Just("\"\"".to_owned()),
            "\"[ -~]{0,16}\"",
            "-?[0-9]{1,22}(\\.[0-9]+)?(e[0-9]{1,3})?",
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
            "\"(\\.\\./|/|~/|[a-z.]{1,6}/?){0,5}\"",
        ];
        let key = "(path|content|old_text|new_text|pattern|command|url|max_bytes|timeout|name|arguments|offset|limit|glob|depth|[a-z]{1,6})";
        (
            any::<u8>(),
            proptest::collection::vec((key, value), 0..5),
            "[ -~]{0,8}",
        )
            .prop_map(|(pick, fields, tail)| {
                let body: Vec<String> =
                    fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                let mut out = vec![pick];
                out.extend_from_slice(format!("{{{}}}{tail}", body.join(",")).as_bytes());
                out
            })
    }

    fn skill_file() -> impl Strategy<Value = Vec<u8>> {
        let field = prop_oneof![
            "name: [a-z-]{0,12}",
            "description: [ -~]{0,30}",
            "always: (true|false|yes|1)",
            "metadata: \\{[ -~]{0,30}\\}",
            // Absurd timeouts too (finding 4: `1e20` crashed the loader).
            "metadata:\n  pincer:\n    tools:\n      - name: [a-z_]{1,8}\n        description: [a-z ]{0,8}\n        command: [a-z {}]{0,12}\n        timeout: (-?[0-9]{1,25}(\\.[0-9])?|[0-9]e[0-9]{1,3}|\\.nan|-?\\.inf)",
            "metadata:\n  openclaw:\n    requires:\n      bins: \\[[a-z, ]{0,12}\\]\n    always: (true|false)",
            "requires:\n  env: \\[[A-Z_, ]{0,20}\\]",
            "[ -~]{0,20}",
        ];
        (proptest::collection::vec(field, 0..6), "[ -~\n]{0,40}").prop_map(|(fields, body)| {
            format!("---\n{}\n---\n{body}", fields.join("\n")).into_bytes()
        })
    }

    proptest! {
        // The default case count keeps `cargo test` quick; scripts/fuzz.sh raises it with
        // PROPTEST_CASES where no nightly toolchain can run cargo-fuzz.
        #[test]
        fn sse_streams_parse_the_same_in_any_pieces(data in sse_stream()) {
            sse(&data);
        }

        #[test]
        fn sse_survives_any_bytes(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            sse(&data);
        }

        #[test]
        fn provider_errors_never_panic_nor_leak_the_key(data in provider_response()) {
            provider_error(&data);
        }

        #[test]
        fn tool_arguments_never_panic(data in tool_call()) {
            tool_arguments(&data);
        }

        #[test]
        fn skill_files_never_panic(data in skill_file()) {
            skill_md(&data);
        }

        #[test]
        fn local_output_parses_the_same_in_any_pieces(
            pick in any::<u8>(),
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("<tool_call>"), Just("</tool_call>"), Just("<think>"), Just("</think>"),
                    Just("{\"name\": \"ls\", \"arguments\": {}}"), Just("<"), Just("\n"),
                    Just("杭州"), Just("text "),
                ],
                0..12,
            ),
        ) {
            let mut data = vec![pick];
            data.extend(parts.concat().into_bytes());
            local_output(&data);
        }

        #[test]
        fn gguf_headers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            let mut bytes = b"GGUF\x03\0\0\0".to_vec();
            bytes.extend(data);
            gguf_header(&bytes);
        }
    }
}
