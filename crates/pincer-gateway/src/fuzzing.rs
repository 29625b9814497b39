//! Entry points for the fuzz targets in `fuzz/` and the tests that replay their corpus
//! (see `pincer_core::fuzzing`). Compiled for tests and with the `fuzzing` feature.

use crate::wire::ServerMessage;
use crate::ws;

/// One fuzz target's entry point: any bytes in, a panic only on a bug.
pub type Target = fn(&[u8]);

/// The fuzz targets, by the name of their folder under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Target)] = &[("ws_message", ws_message)];

/// A WebSocket text message, read the way the server reads a client's (and the way a
/// client, `pincer` attached to a daemon, reads the server's). A submission that decodes
/// must survive a round trip; a refusal must encode as the answer sent back.
pub fn ws_message(data: &[u8]) {
    // The WebSocket layer hands on text frames only as valid UTF-8.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match ws::decode(text) {
        Ok(submission) => {
            let _ = submission.op.session();
            let again = serde_json::to_string(&submission)
                .map_err(|e| e.to_string())
                .and_then(|json| ws::decode(&json).map_err(|_| json));
            assert_eq!(again.as_ref().ok(), Some(&submission), "{again:?}");
        }
        Err(refusal) => {
            assert!(serde_json::to_string(&refusal).is_ok(), "{refusal:?}");
        }
    }
    let _ = serde_json::from_str::<ServerMessage>(text);
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;

    /// Every committed input, crashes found by fuzzing included, replays without a panic.
    #[test]
    fn the_fuzz_corpus_replays() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
        for (target, run) in TARGETS {
            let dir = root.join(target);
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

    fn client_message() -> impl Strategy<Value = String> {
        let op = prop_oneof![
            "user_turn",
            "interrupt",
            "approve",
            "interrupt_all",
            "set_paused",
            "status",
            "delete_session",
            "set_skill_enabled",
            "reload_skills",
            "reload_settings",
            "[a-z_]{0,10}",
        ];
        let value = prop_oneof![
            "\"[ -~\u{e9}\u{1F980}]{0,12}\"",
            "-?[0-9]{1,20}(\\.[0-9]+)?",
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("[]".to_owned()),
            Just("{}".to_owned()),
            Just("\"\\ud800\"".to_owned()),
        ];
        let key = "(session|text|approvals|call_id|decision|paused|name|enabled|id|[a-z]{1,5})";
        (
            "\"[ -~]{0,10}\"",
            op,
            proptest::collection::vec((key, value), 0..5),
        )
            .prop_map(|(id, op, fields)| {
                let fields: String = fields
                    .iter()
                    .map(|(k, v)| format!(",\"{k}\":{v}"))
                    .collect();
                format!("{{\"id\":{id},\"op\":{{\"type\":\"{op}\"{fields}}}}}")
            })
    }

    proptest! {
        #[test]
        fn client_messages_decode_or_are_refused(text in client_message()) {
            ws_message(text.as_bytes());
        }

        #[test]
        fn any_text_is_decoded_or_refused(data in proptest::collection::vec(any::<u8>(), 0..128)) {
            ws_message(&data);
        }
    }
}
