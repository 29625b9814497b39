//! Text from the model, tools and files never reaches the terminal as control sequences:
//! the real `pincer` binary against a scripted model that tries to redraw the approval
//! prompt, retitle the window and write the clipboard.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{pincer, text};

use pincer_testkit::{Reply, ScriptedLlm};

/// Clears the line and redraws it, so `? allow:` would show only the harmless command.
const REDRAW: &str = "touch pwned; echo PWNED\r\u{1b}[2K\u{1b}[1A";
/// Sets the window title (OSC 0) and writes the clipboard (OSC 52).
const OSC: &str = "\u{1b}]0;owned title\u{7}\u{1b}]52;c;cm0gLXJmIH4=\u{1b}\\";
/// The one-character CSI and a right-to-left override.
const C1_AND_BIDI: &str = "\u{9b}2J \u{202e}txt.sh";

/// Control bytes a terminal acts on: C0 except newline and tab, DEL, and the UTF-8 form
/// of C1 (0xC2 0x80–0x9F) and of the bidi controls.
fn controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.char_indices()
        .filter(|(_, c)| {
            (c.is_control() && *c != '\n' && *c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        })
        .map(|(at, c)| format!("U+{:04X} at {at}", c as u32))
        .collect()
}

#[test]
fn hostile_commands_answers_and_file_names_reach_the_terminal_escaped() {
    let llm = ScriptedLlm::start_in_background();
    let home = tempfile::tempdir().unwrap();
    let command = format!("{REDRAW}ls -la");
    llm.push(Reply::tool_call(
        "a",
        "exec",
        &serde_json::json!({ "command": command }).to_string(),
    ));
    // A failing read: the error quotes the path, and failures are printed.
    llm.push(Reply::tool_call(
        "b",
        "read_file",
        &serde_json::json!({ "path": format!("missing{OSC}") }).to_string(),
    ));
    llm.push(Reply::text(&format!(
        "Done.{OSC}\r\u{1b}[2KAll good {C1_AND_BIDI}\u{7f}\n"
    )));
    let out = common::run_with_stdin(
        pincer(
            home.path(),
            &llm.base_url(),
            &["run", "--session", "t", "list files"],
        ),
        "n\n",
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        controls(&out.stdout),
        Vec::<String>::new(),
        "stdout: {stdout:?}"
    );
    assert_eq!(
        controls(&out.stderr),
        Vec::<String>::new(),
        "stderr: {stderr:?}"
    );
    // What was hidden is now on screen, on the prompt's own line.
    let prompt = stderr
        .lines()
        .find(|line| line.starts_with("? allow:"))
        .unwrap_or_else(|| panic!("no approval prompt: {stderr}"));
    assert!(
        prompt.contains("touch pwned; echo PWNED⟨CR⟩⟨ESC⟩[2K⟨ESC⟩[1Als -la"),
        "{prompt}"
    );
    assert!(
        stderr.contains("missing⟨ESC⟩]0;owned title⟨BEL⟩"),
        "{stderr}"
    );
    assert!(
        stdout.contains("Done.⟨ESC⟩]0;owned title⟨BEL⟩⟨ESC⟩]52;c;cm0gLXJmIH4=⟨ESC⟩\\⟨CR⟩⟨ESC⟩[2KAll good ⟨U+009B⟩2J ⟨U+202E⟩txt.sh⟨DEL⟩"),
        "{stdout}"
    );
    assert!(!home.path().join("workspace/pwned").exists());

    // The stored session shown later is escaped the same way.
    let show = pincer(home.path(), &llm.base_url(), &["sessions", "show", "t"])
        .output()
        .unwrap();
    assert!(show.status.success(), "{}", text(&show.stderr));
    assert_eq!(
        controls(&show.stdout),
        Vec::<String>::new(),
        "{}",
        text(&show.stdout)
    );
    assert!(text(&show.stdout).contains("Done.⟨ESC⟩]0;owned title"));
}
