//! Reads what Pincer needs from a GGUF file's header without loading the model: its name,
//! architecture, context length and chat template. Used to register a model (`pincer model
//! add`), to list models, and to refuse a file that is not a GGUF before the runtime sees it.

use std::io::{self, BufReader, Read};
use std::path::Path;

use thiserror::Error;

/// The header fields Pincer uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GgufInfo {
    /// `general.name`, when the file has one.
    pub name: Option<String>,
    /// `general.architecture`, e.g. `llama`, `qwen2`.
    pub architecture: Option<String>,
    /// `<architecture>.context_length`: the window the model was trained with.
    pub context_length: Option<u64>,
    /// `tokenizer.chat_template` (Jinja).
    pub chat_template: Option<String>,
    /// `general.file_type`, llama.cpp's number for the quantization.
    pub file_type: Option<u64>,
}

impl GgufInfo {
    /// The chat template renders a tool list (Qwen's `<tool_call>` format and the like).
    pub fn template_has_tools(&self) -> bool {
        self.chat_template
            .as_deref()
            .is_some_and(|t| t.contains("tools") && t.contains("tool_call"))
    }
}

#[derive(Debug, Error)]
pub enum GgufError {
    #[error("could not read {path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path} is not a GGUF model file (it does not start with \"GGUF\")")]
    NotGguf { path: String },
    #[error("{path} is a GGUF version {version} file; versions 2 and 3 are supported")]
    Version { path: String, version: u32 },
    #[error("{path} has a malformed GGUF header: {reason}")]
    Malformed { path: String, reason: String },
}

/// Strings longer than this in a header are refused (a chat template is a few KB).
const MAX_STRING: u64 = 4 << 20;
/// More header entries than this are refused (real files have a few dozen).
const MAX_KEYS: u64 = 1 << 16;

/// Reads the header of the GGUF file at `path`.
pub fn read_info(path: &Path) -> Result<GgufInfo, GgufError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|source| GgufError::Io {
        path: shown.clone(),
        source,
    })?;
    parse(BufReader::new(file)).map_err(|e| match e {
        ParseError::Io(source) if source.kind() == io::ErrorKind::UnexpectedEof => {
            GgufError::Malformed {
                path: shown,
                reason: "the file ends inside its header".to_owned(),
            }
        }
        ParseError::Io(source) => GgufError::Io {
            path: shown,
            source,
        },
        ParseError::NotGguf => GgufError::NotGguf { path: shown },
        ParseError::Version(version) => GgufError::Version {
            path: shown,
            version,
        },
        ParseError::Malformed(reason) => GgufError::Malformed {
            path: shown,
            reason,
        },
    })
}

/// Parses a header from memory; for the fuzz target. `Err` holds why it was refused.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn parse_bytes(bytes: &[u8]) -> Result<GgufInfo, String> {
    parse(bytes).map_err(|e| format!("{e:?}"))
}

#[derive(Debug)]
enum ParseError {
    Io(io::Error),
    NotGguf,
    Version(u32),
    Malformed(String),
}

impl From<io::Error> for ParseError {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// A metadata value, kept only for the types Pincer reads.
enum Value {
    String(String),
    Unsigned(u64),
    Other,
}

fn parse(mut r: impl Read) -> Result<GgufInfo, ParseError> {
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)?;
    if &magic != b"GGUF" {
        return Err(ParseError::NotGguf);
    }
    let version = read_u32(&mut r)?;
    if !(2..=3).contains(&version) {
        return Err(ParseError::Version(version));
    }
    let _tensors = read_u64(&mut r)?;
    let keys = read_u64(&mut r)?;
    if keys > MAX_KEYS {
        return Err(ParseError::Malformed(format!("{keys} metadata entries")));
    }
    let mut info = GgufInfo::default();
    let mut context_lengths = Vec::new();
    for _ in 0..keys {
        let key = read_string(&mut r)?;
        let kind = read_u32(&mut r)?;
        let value = read_value(&mut r, kind, 0)?;
        match (key.as_str(), value) {
            ("general.name", Value::String(s)) => info.name = Some(s),
            ("general.architecture", Value::String(s)) => info.architecture = Some(s),
            ("tokenizer.chat_template", Value::String(s)) => info.chat_template = Some(s),
            ("general.file_type", Value::Unsigned(n)) => info.file_type = Some(n),
            (k, Value::Unsigned(n)) if k.ends_with(".context_length") => {
                context_lengths.push((k.trim_end_matches(".context_length").to_owned(), n));
            }
            _ => {}
        }
    }
    info.context_length = context_lengths
        .iter()
        .find(|(arch, _)| Some(arch) == info.architecture.as_ref())
        .map(|(_, n)| *n);
    Ok(info)
}

fn read_value(r: &mut impl Read, kind: u32, depth: u32) -> Result<Value, ParseError> {
    Ok(match kind {
        0 | 1 | 7 => Value::Unsigned(u64::from(read_n::<1>(r)?[0])),
        2 | 3 => Value::Unsigned(u64::from(u16::from_le_bytes(read_n(r)?))),
        4 => Value::Unsigned(u64::from(read_u32(r)?)),
        5 => Value::Unsigned(u64::from(read_u32(r)?)),
        6 => {
            read_n::<4>(r)?;
            Value::Other
        }
        8 => Value::String(read_string(r)?),
        9 => {
            if depth > 2 {
                return Err(ParseError::Malformed("arrays nested too deep".to_owned()));
            }
            let item = read_u32(r)?;
            let count = read_u64(r)?;
            for _ in 0..count {
                read_value(r, item, depth + 1)?;
            }
            Value::Other
        }
        10 | 11 => Value::Unsigned(read_u64(r)?),
        12 => {
            read_n::<8>(r)?;
            Value::Other
        }
        other => return Err(ParseError::Malformed(format!("unknown value type {other}"))),
    })
}

fn read_n<const N: usize>(r: &mut impl Read) -> Result<[u8; N], ParseError> {
    let mut buf = [0u8; N];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

fn read_u32(r: &mut impl Read) -> Result<u32, ParseError> {
    Ok(u32::from_le_bytes(read_n(r)?))
}

fn read_u64(r: &mut impl Read) -> Result<u64, ParseError> {
    Ok(u64::from_le_bytes(read_n(r)?))
}

fn read_string(r: &mut impl Read) -> Result<String, ParseError> {
    let len = read_u64(r)?;
    if len > MAX_STRING {
        return Err(ParseError::Malformed(format!("a {len}-byte string")));
    }
    let mut bytes = Vec::new();
    r.take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err(ParseError::Io(io::ErrorKind::UnexpectedEof.into()));
    }
    String::from_utf8(bytes).map_err(|_| ParseError::Malformed("a string is not UTF-8".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> Vec<u8> {
        let mut out = (s.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(s.as_bytes());
        out
    }

    fn header(entries: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend((entries.len() as u64).to_le_bytes());
        for (key, kind, value) in entries {
            out.extend(string(key));
            out.extend(kind.to_le_bytes());
            out.extend(value);
        }
        out
    }

    #[test]
    fn reads_name_architecture_context_and_template_past_arrays() {
        let mut tokens = 8u32.to_le_bytes().to_vec();
        tokens.extend(2u64.to_le_bytes());
        tokens.extend(string("<s>"));
        tokens.extend(string("hi"));
        let bytes = header(&[
            ("general.architecture", 8, string("qwen2")),
            ("general.name", 8, string("Qwen2.5 0.5B Instruct")),
            ("tokenizer.ggml.tokens", 9, tokens),
            ("llama.context_length", 4, 2048u32.to_le_bytes().to_vec()),
            ("qwen2.context_length", 4, 32768u32.to_le_bytes().to_vec()),
            ("general.file_type", 4, 15u32.to_le_bytes().to_vec()),
            (
                "tokenizer.chat_template",
                8,
                string("{% if tools %}<tool_call>{% endif %}"),
            ),
        ]);
        let info = parse(&bytes[..]).unwrap();
        assert_eq!(info.name.as_deref(), Some("Qwen2.5 0.5B Instruct"));
        assert_eq!(info.architecture.as_deref(), Some("qwen2"));
        assert_eq!(
            info.context_length,
            Some(32768),
            "the architecture's own key"
        );
        assert_eq!(info.file_type, Some(15));
        assert!(info.template_has_tools());
    }

    #[test]
    fn refuses_what_is_not_a_gguf_and_truncated_or_hostile_headers() {
        assert!(matches!(
            parse(&b"PK\x03\x04rest"[..]),
            Err(ParseError::NotGguf)
        ));
        let mut bytes = header(&[("general.name", 8, string("x"))]);
        bytes.truncate(bytes.len() - 1);
        assert!(matches!(parse(&bytes[..]), Err(ParseError::Io(_))));
        let mut huge = b"GGUF".to_vec();
        huge.extend(3u32.to_le_bytes());
        huge.extend(0u64.to_le_bytes());
        huge.extend(1u64.to_le_bytes());
        huge.extend(u64::MAX.to_le_bytes());
        assert!(matches!(parse(&huge[..]), Err(ParseError::Malformed(_))));
        let mut old = b"GGUF".to_vec();
        old.extend(1u32.to_le_bytes());
        assert!(matches!(parse(&old[..]), Err(ParseError::Version(1))));
    }
}
