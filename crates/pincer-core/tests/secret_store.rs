//! The secret store against what this machine really has: a Secret Service on the session
//! bus (scripts/test.sh runs this under `dbus-run-session` with gnome-keyring, and again
//! without any bus), and the move of the old plain-text `secrets.toml` into the store.
//!
//! `PINCER_EXPECT_SECRET_STORE` (`keyring` or `file`) says which store the run must find;
//! without it the test still checks that the store and its warning agree.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use pincer_core::config::{FileConfig, LEGACY_SECRETS_FILE, Settings};
use pincer_core::secrets::{
    INDEX_FILE, KEY_FILE, STORE_FILE, SecretStore, SecretsError, StoreChoice, StoreKind,
};

const SENTINEL: &str = "sk-SENTINEL-legacy-5f3a9c1e7b";

fn expected() -> Option<StoreKind> {
    match std::env::var("PINCER_EXPECT_SECRET_STORE").ok()?.as_str() {
        "keyring" => Some(StoreKind::Keyring),
        "file" => Some(StoreKind::EncryptedFile),
        "locked" => None,
        other => panic!("PINCER_EXPECT_SECRET_STORE={other:?}: expected keyring, file or locked"),
    }
}

fn expect_locked() -> bool {
    std::env::var("PINCER_EXPECT_SECRET_STORE").as_deref() == Ok("locked")
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<String> {
    let mut hits = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap();
        if bytes
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
        {
            hits.push(entry.display().to_string());
        }
    }
    hits
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn saved_secrets_go_to_the_keyring_when_one_runs_else_to_an_encrypted_file_with_a_warning() {
    let home = tempfile::tempdir().unwrap();
    let mut store = SecretStore::open(home.path(), StoreChoice::Auto).unwrap();
    if expect_locked() {
        // A keyring runs but cannot be used: an error that says what to do, and no
        // quiet fallback to a weaker store.
        let err = store.set("bridge:test", SENTINEL).unwrap_err();
        assert!(matches!(err, SecretsError::KeyringLocked { .. }), "{err:?}");
        assert!(err.to_string().contains("unlock it"), "{err}");
        assert_eq!(
            walk(home.path()),
            Vec::<std::path::PathBuf>::new(),
            "nothing written"
        );
        return;
    }
    store.set("bridge:test", SENTINEL).unwrap();
    let status = store.status().unwrap();
    if let Some(expected) = expected() {
        assert_eq!(status.kind, expected, "{status:?}");
    }
    match status.kind {
        StoreKind::Keyring => {
            assert_eq!(status.warning, None);
            assert!(
                !home.path().join(STORE_FILE).exists() && !home.path().join(KEY_FILE).exists(),
                "the keyring holds the secret; no file does"
            );
        }
        StoreKind::EncryptedFile => {
            let warning = status.warning.expect("the fallback is announced");
            assert!(
                warning.contains("not the OS keyring") && warning.contains("no OS keyring"),
                "{warning}"
            );
            assert!(home.path().join(STORE_FILE).exists());
        }
    }
    let again = SecretStore::open(home.path(), StoreChoice::Auto).unwrap();
    assert_eq!(again.get("bridge:test").unwrap().as_deref(), Some(SENTINEL));
    assert_eq!(
        files_containing(home.path(), SENTINEL),
        Vec::<String>::new()
    );
    let mut again = again;
    again.remove("bridge:test").unwrap();
    assert_eq!(again.get("bridge:test").unwrap(), None);
}

#[test]
fn a_plain_text_secrets_file_is_moved_into_the_store_and_removed() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[[providers]]\npreset = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n\n\
         [[providers]]\npreset = \"deepseek\"\napi_key_env = \"MY_DS_KEY\"\n",
    )
    .unwrap();
    std::fs::write(
        home.path().join(LEGACY_SECRETS_FILE),
        format!("[keys]\nopenai = \"{SENTINEL}\"\ndeepseek = \"sk-ignored-because-env\"\n"),
    )
    .unwrap();

    if expect_locked() {
        // The keys stay where they were until the keyring can take them.
        let err = FileConfig::load(home.path()).unwrap_err();
        assert!(err.to_string().contains("unlock it"), "{err}");
        assert!(home.path().join(LEGACY_SECRETS_FILE).exists());
        assert!(!home.path().join(STORE_FILE).exists(), "no quiet fallback");
        return;
    }
    let file = FileConfig::load(home.path()).unwrap();
    assert!(
        !home.path().join(LEGACY_SECRETS_FILE).exists(),
        "the plain-text file is gone"
    );
    assert_eq!(file.providers[0].api_key.as_deref(), Some(SENTINEL));
    assert!(!format!("{file:?}").contains(SENTINEL), "Debug hides it");
    // A provider that names its own variable keeps using it.
    assert_eq!(file.providers[1].api_key, None);
    let index = std::fs::read_to_string(home.path().join(INDEX_FILE)).unwrap();
    assert!(index.contains("provider:openai"), "{index}");
    assert_eq!(
        files_containing(home.path(), SENTINEL),
        Vec::<String>::new()
    );

    // Read again (the file is gone now): the key comes from the store, and the settings
    // know it as a secret to take out of tool results.
    let file = FileConfig::load(home.path()).unwrap();
    let env: [(&str, &str); 0] = [];
    let settings = Settings::resolve(home.path().to_path_buf(), file, &env, None).unwrap();
    assert_eq!(settings.providers[0].api_key.as_deref(), Some(SENTINEL));
    assert_eq!(
        settings.redactor.redact(&format!("KEY={SENTINEL}")),
        "KEY=[redacted secret]"
    );
    assert!(
        !format!("{settings:?}").contains(SENTINEL),
        "Debug hides it"
    );
}

#[test]
fn a_saved_key_is_not_used_for_another_url() {
    // The store is beside the point here: pinned to the file, whatever this machine has.
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        "[secrets]\nstore = \"file\"\n\n[[providers]]\npreset = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\n",
    )
    .unwrap();
    std::fs::write(
        home.path().join(LEGACY_SECRETS_FILE),
        format!("[keys]\nopenai = \"{SENTINEL}\"\n"),
    )
    .unwrap();
    FileConfig::load(home.path()).unwrap();
    // Someone edits the URL in config.toml by hand: the saved key stays behind.
    std::fs::write(
        home.path().join("config.toml"),
        "[secrets]\nstore = \"file\"\n\n[[providers]]\npreset = \"openai\"\nbase_url = \"http://127.0.0.1:8/v1\"\nmodel = \"m\"\n",
    )
    .unwrap();
    let file = FileConfig::load(home.path()).unwrap();
    assert_eq!(file.providers[0].api_key, None);
}

/// Run by `scripts/test.sh` on a bus that delivers no replies
/// (`PINCER_EXPECT_SECRET_STORE=unanswered`): asking the keyring fails within seconds with
/// an error that says it did not answer, instead of hanging every command for ever.
#[test]
fn a_keyring_bus_that_never_answers_is_an_error_not_a_hang() {
    if std::env::var("PINCER_EXPECT_SECRET_STORE").as_deref() != Ok("unanswered") {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let err = SecretStore::open(home.path(), StoreChoice::Auto)
        .and_then(|mut store| store.set("bridge:test", SENTINEL))
        .unwrap_err();
    assert!(err.to_string().contains("did not answer"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(
        walk(home.path()),
        Vec::<std::path::PathBuf>::new(),
        "nothing written"
    );
}
