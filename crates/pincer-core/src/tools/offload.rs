//! Keeping long tool results out of the context window.
//!
//! A result over the limit is saved in full under the workspace and replaced by its head and
//! tail plus a pointer to the file, so the model can still get at any part of it with
//! `read_file` or `grep` instead of the whole thing costing tokens on every turn.

use std::path::Path;

/// Where offloaded outputs go, relative to the workspace.
pub const OUTPUT_DIR: &str = ".pincer/tool-output";

/// Returns `output` unchanged if it fits in `limit` bytes; otherwise saves it to
/// `<workspace>/.pincer/tool-output/<call_id>.txt` and returns a head/tail summary.
pub fn offload(workspace: &Path, call_id: &str, output: String, limit: usize) -> String {
    if output.len() <= limit {
        return output;
    }
    let total = output.len();
    let head_end = head_cut(&output, limit / 2);
    let tail_start = tail_cut(&output, limit / 4).max(head_end);
    let omitted = tail_start - head_end;
    let head = &output[..head_end];
    let tail = &output[tail_start..];

    let name = format!("{}.txt", sanitize(call_id));
    let dir = workspace.join(OUTPUT_DIR);
    let saved =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join(&name), &output));
    let note = match saved {
        Ok(()) => format!(
            "[… {omitted} bytes omitted; the full output ({total} bytes) is in {OUTPUT_DIR}/{name} — read it with read_file or grep]"
        ),
        Err(e) => {
            tracing::warn!(error = %e, dir = %dir.display(), "could not save offloaded tool output");
            format!(
                "[… {omitted} bytes omitted; the full output ({total} bytes) could not be saved ({e}), so the omitted part is lost]"
            )
        }
    };
    let mut summary = String::with_capacity(head.len() + note.len() + tail.len() + 2);
    summary.push_str(head);
    if !head.is_empty() && !head.ends_with('\n') {
        summary.push('\n');
    }
    summary.push_str(&note);
    summary.push('\n');
    summary.push_str(tail);
    summary
}

/// Makes a call id safe to use as a file name (ids come from the provider, not from us).
fn sanitize(call_id: &str) -> String {
    let cleaned: String = call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    if cleaned.is_empty() {
        "output".to_owned()
    } else {
        cleaned
    }
}

/// End of the head: at most `max` bytes, on a char boundary, at a line end if one is near.
fn head_cut(text: &str, max: usize) -> usize {
    let mut end = max.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    match text[..end].rfind('\n') {
        // Only prefer the line boundary if it does not throw away most of the head.
        Some(nl) if nl + 1 >= end / 2 => nl + 1,
        _ => end,
    }
}

/// Start of the tail: at most `max` bytes from the end, on a char boundary, at a line start
/// if one is near.
fn tail_cut(text: &str, max: usize) -> usize {
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    let window = &text[start..];
    match window.find('\n') {
        Some(nl) if nl < window.len() / 2 => start + nl + 1,
        _ => start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_output_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let out = offload(dir.path(), "call_1", "hello".to_owned(), 5);
        assert_eq!(out, "hello");
        assert!(!dir.path().join(OUTPUT_DIR).exists());
    }

    #[test]
    fn long_output_is_saved_and_summarised() {
        let dir = tempfile::tempdir().unwrap();
        let full: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let out = offload(dir.path(), "call/../x", full.clone(), 400);
        let saved =
            std::fs::read_to_string(dir.path().join(OUTPUT_DIR).join("call____x.txt")).unwrap();
        assert_eq!(saved, full);
        assert!(out.starts_with("line 0\n"));
        assert!(out.ends_with("line 999\n"));
        assert!(out.contains(".pincer/tool-output/call____x.txt"));
        assert!(out.contains(&format!("({} bytes)", full.len())));
        assert!(out.len() < 400 + 200);
        // Cuts land on line boundaries.
        let note_line = out.lines().find(|l| l.starts_with("[…")).unwrap();
        assert!(out.contains(&format!("\n{note_line}\nline ")));
    }

    #[test]
    fn omitted_count_adds_up() {
        let dir = tempfile::tempdir().unwrap();
        let full = "x".repeat(1000);
        let out = offload(dir.path(), "c", full, 100);
        // No newlines: head is 50 bytes, tail 25 bytes.
        assert!(out.contains("[… 925 bytes omitted; the full output (1000 bytes)"));
    }

    #[test]
    fn cuts_respect_char_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let full = "é".repeat(500);
        let out = offload(dir.path(), "c", full, 101);
        assert!(out.contains("bytes omitted"));
        assert!(out.starts_with('é'));
        assert!(out.ends_with('é'));
    }

    #[test]
    fn unwritable_workspace_still_returns_head_and_tail() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the output directory should be makes create_dir_all fail.
        std::fs::write(dir.path().join(".pincer"), "not a dir").unwrap();
        let full: String = (0..100).map(|i| format!("row {i}\n")).collect();
        let out = offload(dir.path(), "c", full, 100);
        assert!(out.starts_with("row 0\n"));
        assert!(out.ends_with("row 99\n"));
        assert!(out.contains("could not be saved"));
    }

    #[test]
    fn empty_call_id_gets_a_name() {
        assert_eq!(sanitize(""), "output");
        assert_eq!(sanitize("toolu_01-AB"), "toolu_01-AB");
    }
}
