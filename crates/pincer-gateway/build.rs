//! Copies the built web UI (`ui/dist`) into OUT_DIR for rust-embed. Without a build, embeds
//! a page that says how to make one, so the crate still compiles and tests still run.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("ui");
    let dist = manifest.join("../../ui/dist");
    println!("cargo:rerun-if-changed={}", dist.display());
    let _ = std::fs::remove_dir_all(&out);
    if let Err(e) = std::fs::create_dir_all(&out) {
        fail(&format!("could not create {}: {e}", out.display()));
    }
    if dist.join("index.html").is_file() {
        // A built UI that cannot be embedded must stop the build, not ship a broken page.
        if let Err(e) = copy_dir(&dist, &out) {
            fail(&format!(
                "could not copy the web UI from {}: {e}",
                dist.display()
            ));
        }
    } else {
        println!(
            "cargo:warning=ui/dist is missing: the binary will serve a placeholder page (build the UI with `npm ci && npm run build` in ui/)"
        );
        if let Err(e) = std::fs::write(out.join("index.html"), PLACEHOLDER) {
            fail(&format!("could not write the placeholder page: {e}"));
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

const PLACEHOLDER: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pincer</title></head>
<body><h1>Pincer</h1>
<p>This build of Pincer has no web UI: it was compiled before <code>ui/dist</code> existed.
Run <code>scripts/start.sh</code>, or <code>npm ci &amp;&amp; npm run build</code> in <code>ui/</code>
and rebuild. The API under <code>/api</code> works.</p></body></html>
"#;
