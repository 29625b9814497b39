//! Keeping long tool results out of the context window.
//!
//! A result over the limit is saved in full and replaced by its head and tail plus a
//! pointer to the file, so the model can still get at any part of it with `read_file` or
//! `grep` instead of the whole thing costing tokens on every turn.
//!
//! The files live in the data home, `<home>/tool-output/<session>/<call id>.txt`, never in
//! the workspace: a workspace is whatever was cloned into it, and a planted
//! `.pincer/tool-output` link would turn a plain read into a write anywhere. Every step is
//! opened relative to the one before without following links, the file is created fresh
//! (never opened if it exists) and owner-only, and it is named only by our own ids. The
//! session's reads may reach its own folder ([`super::ToolSettings::own_output`]); the
//! folder goes when the session is deleted.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, openat};
use nix::sys::stat::{Mode, mkdirat};

/// The folder of offloaded outputs, in the data home.
pub const OUTPUT_DIR: &str = "tool-output";

/// Where `session`'s outputs go under `root` (`<home>/tool-output`).
pub fn session_dir(root: &Path, session: &str) -> PathBuf {
    root.join(sanitize(session))
}

/// Deletes `session`'s offloaded outputs, if any.
pub fn remove_session(root: &Path, session: &str) -> io::Result<()> {
    // `remove_dir_all` does not follow links found inside.
    match std::fs::remove_dir_all(session_dir(root, session)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Returns `output` unchanged if it fits in `limit` bytes; otherwise saves it to
/// `<root>/<session>/<call_id>.txt` (`root` being `<home>/tool-output`, whose parent must
/// exist) and returns a head/tail summary that says where the rest is.
pub fn offload(root: &Path, session: &str, call_id: &str, output: String, limit: usize) -> String {
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
    let path = session_dir(root, session).join(&name);
    let note = match save(root, &sanitize(session), &name, output.as_bytes()) {
        Ok(()) => format!(
            "[… {omitted} bytes omitted; the full output ({total} bytes) is in {} — read parts of it with read_file (offset, limit) or search it with grep]",
            path.display()
        ),
        Err(e) => {
            tracing::warn!(error = %e, path = %path.display(), "could not save offloaded tool output");
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

/// Writes `<root>/<session>/<name>` without following a link at any step below `root`'s
/// parent, creating the folders (0700) as needed and the file fresh (0600).
fn save(root: &Path, session: &str, name: &str, bytes: &[u8]) -> io::Result<()> {
    let (Some(parent), Some(root_name)) = (root.parent(), root.file_name()) else {
        return Err(io::Error::other("no folder for tool output"));
    };
    let parent = File::open(parent)?;
    let root = private_dir(&parent, root_name)?;
    let session = private_dir(&root, std::ffi::OsStr::new(session))?;
    let file = openat(
        &session,
        name,
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    )?;
    File::from(file).write_all(bytes)
}

/// The folder `name` in `parent`, created owner-only if missing; a link there is refused.
fn private_dir(parent: &impl std::os::fd::AsFd, name: &std::ffi::OsStr) -> io::Result<OwnedFd> {
    match mkdirat(parent, name, Mode::from_bits_truncate(0o700)) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(openat(
        parent,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?)
}

/// Makes an id safe to use as a file name. Call ids are ours (`tc-…`) and session ids are
/// checked when a session starts, so this only guards against a caller that forgot.
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
    use std::os::unix::fs::PermissionsExt;

    /// A data home and its output folder.
    fn home() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(OUTPUT_DIR);
        (dir, root)
    }

    #[test]
    fn short_output_is_unchanged() {
        let (_dir, root) = home();
        let out = offload(&root, "s", "call_1", "hello".to_owned(), 5);
        assert_eq!(out, "hello");
        assert!(!root.exists());
    }

    #[test]
    fn long_output_is_saved_privately_and_summarised() {
        let (_dir, root) = home();
        let full: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let out = offload(&root, "s1", "call/../x", full.clone(), 400);
        let path = root.join("s1/call____x.txt");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), full);
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&root.join("s1")), 0o700);
        assert!(out.starts_with("line 0\n"));
        assert!(out.ends_with("line 999\n"));
        assert!(out.contains(&path.display().to_string()), "{out}");
        assert!(out.contains(&format!("({} bytes)", full.len())));
        assert!(out.len() < 400 + 300);
        // Cuts land on line boundaries.
        let note_line = out.lines().find(|l| l.starts_with("[…")).unwrap();
        assert!(out.contains(&format!("\n{note_line}\nline ")));
    }

    #[test]
    fn an_existing_file_or_link_is_never_written() {
        let (dir, root) = home();
        let target = dir.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        std::fs::create_dir_all(root.join("s")).unwrap();
        std::os::unix::fs::symlink(&target, root.join("s/c.txt")).unwrap();
        let out = offload(&root, "s", "c", "x".repeat(1000), 100);
        assert!(out.contains("could not be saved"), "{out}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }

    #[test]
    fn a_linked_folder_is_never_written_into() {
        let (dir, root) = home();
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &root).unwrap();
        let out = offload(&root, "s", "c", "x".repeat(1000), 100);
        assert!(out.contains("could not be saved"), "{out}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }

    #[test]
    fn removing_a_session_removes_its_outputs_only() {
        let (_dir, root) = home();
        offload(&root, "a", "c", "x".repeat(1000), 100);
        offload(&root, "b", "c", "x".repeat(1000), 100);
        remove_session(&root, "a").unwrap();
        remove_session(&root, "never-offloaded").unwrap();
        assert!(!root.join("a").exists());
        assert!(root.join("b/c.txt").is_file());
    }

    #[test]
    fn omitted_count_adds_up() {
        let (_dir, root) = home();
        let full = "x".repeat(1000);
        let out = offload(&root, "s", "c", full, 100);
        // No newlines: head is 50 bytes, tail 25 bytes.
        assert!(out.contains("[… 925 bytes omitted; the full output (1000 bytes)"));
    }

    #[test]
    fn cuts_respect_char_boundaries() {
        let (_dir, root) = home();
        let full = "é".repeat(500);
        let out = offload(&root, "s", "c", full, 101);
        assert!(out.contains("bytes omitted"));
        assert!(out.starts_with('é'));
        assert!(out.ends_with('é'));
    }

    #[test]
    fn an_unwritable_home_still_returns_head_and_tail() {
        let (dir, root) = home();
        // A file where the output folder should be makes opening it fail.
        std::fs::write(&root, "not a dir").unwrap();
        let full: String = (0..100).map(|i| format!("row {i}\n")).collect();
        let out = offload(&root, "s", "c", full, 100);
        assert!(out.starts_with("row 0\n"));
        assert!(out.ends_with("row 99\n"));
        assert!(out.contains("could not be saved"));
        drop(dir);
    }

    #[test]
    fn empty_ids_get_a_name() {
        assert_eq!(sanitize(""), "output");
        assert_eq!(sanitize("toolu_01-AB"), "toolu_01-AB");
    }
}
