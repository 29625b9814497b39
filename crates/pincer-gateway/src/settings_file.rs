//! Reads and rewrites `config.toml` (providers, approval rules) and the saved provider keys
//! (in the secret store) for the Settings page. Everything else in config.toml, comments
//! included, is kept.

use std::path::Path;

use pincer_core::config::{
    CONFIG_FILE, FileConfig, ProcessEnv, ProviderEntry, SavedKeys, Settings, migrate_legacy_keys,
};
use pincer_core::policy::PolicyConfig;
use pincer_core::secrets::{SecretStore, write_private};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use crate::error::ApiError;
use crate::wire::ProviderInput;

/// The config file as text and as parsed, plus the saved keys and their store.
pub struct Current {
    pub text: String,
    pub file: FileConfig,
    pub store: SecretStore,
    pub keys: SavedKeys,
}

pub fn read(home: &Path) -> Result<Current, ApiError> {
    let path = home.join(CONFIG_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(ApiError::internal(format!(
                "could not read {}: {e}",
                path.display()
            )));
        }
    };
    let file = FileConfig::parse(&path, &text).map_err(ApiError::internal)?;
    let mut store = SecretStore::open(home, file.secrets.store).map_err(ApiError::internal)?;
    migrate_legacy_keys(home, &file, &mut store).map_err(ApiError::internal)?;
    let keys = SavedKeys::load(&store).map_err(ApiError::internal)?;
    Ok(Current {
        text,
        file,
        store,
        keys,
    })
}

/// A config entry from what the page sent, keeping what the page does not edit (a key
/// variable, an inline key, the dialect) from the entry of the same name. A key variable
/// or inline key is kept only while the URL stays the same: a key must not follow a URL
/// change the user did not type a key for.
pub fn provider_entry(input: &ProviderInput, existing: &[ProviderEntry]) -> ProviderEntry {
    let non_empty = |v: &Option<String>| {
        v.as_ref()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let mut entry = ProviderEntry {
        preset: non_empty(&input.preset),
        name: non_empty(&input.name),
        base_url: non_empty(&input.base_url),
        model: non_empty(&input.model),
        ..ProviderEntry::default()
    };
    if let Some(old) = existing.iter().find(|e| e.label() == entry.label()) {
        entry.dialect = old.dialect;
        entry.images = old.images;
        if entry.effective_base_url() == old.effective_base_url() {
            entry.api_key_env = old.api_key_env.clone();
            if input.api_key.is_none() {
                entry.api_key = old.api_key.clone();
            }
        }
    }
    entry
}

/// Replaces the `[[providers]]` of `text`.
pub fn with_providers(text: &str, entries: &[ProviderEntry]) -> Result<String, ApiError> {
    let mut doc = parse(text)?;
    let heading = leading_comments(doc.get("providers"));
    let mut array = ArrayOfTables::new();
    for entry in entries {
        let mut table = Table::new();
        let mut set = |key: &str, v: &Option<String>| {
            if let Some(v) = v {
                table.insert(key, value(v.as_str()));
            }
        };
        set("preset", &entry.preset);
        set("name", &entry.name);
        set("base_url", &entry.base_url);
        set("model", &entry.model);
        set("api_key_env", &entry.api_key_env);
        set("api_key", &entry.api_key);
        if let Some(dialect) = entry.dialect {
            let name = match dialect {
                pincer_core::provider::Dialect::OpenAi => "openai",
                pincer_core::provider::Dialect::Anthropic => "anthropic",
                pincer_core::provider::Dialect::Local => "local",
            };
            table.insert("dialect", value(name));
        }
        if let Some(images) = entry.images {
            table.insert("images", value(images));
        }
        array.push(table);
    }
    if let (Some(heading), Some(first)) = (heading, array.get_mut(0)) {
        first.decor_mut().set_prefix(heading);
    }
    if array.is_empty() {
        doc.remove("providers");
    } else {
        doc.insert("providers", Item::ArrayOfTables(array));
    }
    Ok(doc.to_string())
}

/// Replaces the `[policy]` table of `text`.
pub fn with_policy(text: &str, policy: &PolicyConfig) -> Result<String, ApiError> {
    let mut doc = parse(text)?;
    let rendered = toml::to_string(policy).map_err(ApiError::internal)?;
    let policy_doc = parse(&rendered)?;
    let mut table = policy_doc.as_table().clone();
    if let Some(heading) = leading_comments(doc.get("policy")) {
        table.decor_mut().set_prefix(heading);
    }
    doc.insert("policy", Item::Table(table));
    Ok(doc.to_string())
}

/// The comments above a table (above the first one of an array): when the table opens the
/// file, they are the file's own header, which replacing the table must not drop.
fn leading_comments(item: Option<&Item>) -> Option<toml_edit::RawString> {
    let table = match item? {
        Item::Table(table) => table,
        Item::ArrayOfTables(array) => array.get(0)?,
        _ => return None,
    };
    table.decor().prefix().cloned()
}

fn parse(text: &str) -> Result<DocumentMut, ApiError> {
    text.parse::<DocumentMut>()
        .map_err(|e| ApiError::internal(format!("config.toml does not parse: {e}")))
}

/// Checks `text` + the keys make valid settings, then writes the file and the keys that
/// changed. Returns the settings to run with and what was written. Nothing is written when
/// the result would not load.
pub fn save(
    home: &Path,
    workspace_override: Option<std::path::PathBuf>,
    text: String,
    mut current: Current,
) -> Result<(Settings, Current), ApiError> {
    let path = home.join(CONFIG_FILE);
    let file = FileConfig::parse(&path, &text).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut with_keys = file.clone();
    with_keys.apply_saved_keys(&current.keys);
    let settings = Settings::resolve_allowing_no_provider(
        home.to_path_buf(),
        with_keys,
        &ProcessEnv,
        workspace_override,
    )
    .map_err(|e| ApiError::bad_request(e.to_string()))?;
    // Keys first: a store that refuses (a locked keyring) leaves config.toml as it was.
    current
        .keys
        .save(&mut current.store)
        .map_err(ApiError::internal)?;
    write_private(&path, text.as_bytes())
        .map_err(|e| ApiError::internal(format!("could not write {}: {e}", path.display())))?;
    Ok((
        settings,
        Current {
            text,
            file,
            ..current
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pincer_core::policy::{ExecRule, Verdict};

    #[test]
    fn rewrites_providers_and_policy_keeping_the_rest() {
        let text = "# my settings\nworkspace = \"/w\"\n\n[agent]\nmax_steps = 7 # keep\n\n[[providers]]\npreset = \"deepseek\"\napi_key_env = \"DS\"\n";
        let existing = FileConfig::parse(Path::new("c.toml"), text)
            .unwrap()
            .providers;
        let entries = vec![
            provider_entry(
                &ProviderInput {
                    preset: Some("openai".into()),
                    base_url: Some("http://127.0.0.1:9/v1".into()),
                    model: Some("m".into()),
                    ..ProviderInput::default()
                },
                &existing,
            ),
            provider_entry(
                &ProviderInput {
                    preset: Some("deepseek".into()),
                    ..ProviderInput::default()
                },
                &existing,
            ),
        ];
        let text = with_providers(text, &entries).unwrap();
        let policy = PolicyConfig {
            exec: Verdict::Deny,
            exec_rules: vec![ExecRule::new("git status", Verdict::Allow)],
            ..PolicyConfig::default()
        };
        let text = with_policy(&text, &policy).unwrap();
        assert!(text.starts_with("# my settings\n"), "{text}");
        assert!(text.contains("max_steps = 7 # keep"), "{text}");
        let file = FileConfig::parse(Path::new("c.toml"), &text).unwrap();
        assert_eq!(file.providers.len(), 2);
        assert_eq!(
            file.providers[0].base_url.as_deref(),
            Some("http://127.0.0.1:9/v1")
        );
        assert_eq!(file.providers[1].api_key_env.as_deref(), Some("DS"));
        assert_eq!(file.policy, policy);
        assert_eq!(file.agent.max_steps, 7);
    }
}
