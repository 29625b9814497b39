//! Which inherited environment variables a command or skill tool must not see: Pincer's
//! own key variables always, and anything that looks like a credential.

use std::ffi::{OsStr, OsString};

use crate::provider::presets::PRESETS;

/// Pincer's own variables, and every vendor variable a preset reads a key from, plus the
/// `api_key_env` names the configuration adds. Never passed on, even when a skill asks.
pub fn key_variables(configured: &[String]) -> Vec<String> {
    let mut names: Vec<String> = PRESETS
        .iter()
        .filter_map(|preset| preset.key_env)
        .map(str::to_owned)
        .chain(std::iter::once("PINCER_API_KEY".to_owned()))
        .chain(configured.iter().cloned())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether a skill may be given the variable `name` it declares: never one Pincer reads a
/// key from (`key_env`), never one of Pincer's own.
pub(crate) fn may_pass(name: &str, key_env: &[String]) -> bool {
    !is_pincer(name) && !key_env.iter().any(|k| k == name)
}

fn is_pincer(name: &str) -> bool {
    name.to_ascii_uppercase().starts_with("PINCER_")
}

/// Name endings that mark a credential (compared in upper case).
const SECRET_SUFFIXES: &[&str] = &[
    "_KEY",
    "_APIKEY",
    "_TOKEN",
    "_SECRET",
    "_PASSWORD",
    "_PASSWD",
    "_PASS",
    "_PWD",
    "_PAT",
    "_CREDENTIALS",
    "_CREDENTIAL",
    "_AUTH",
    "_COOKIE",
];

/// Words that mark a credential anywhere in a name.
const SECRET_WORDS: &[&str] = &[
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "TOKEN",
    "APIKEY",
];

/// Whole names that are credentials.
const SECRET_NAMES: &[&str] = &["API_KEY", "APIKEY", "TOKEN", "PASSWORD", "SECRET", "KEY"];

/// Whether an inherited variable looks like a credential, by its name or (a URL with a
/// password in it, e.g. `DATABASE_URL=postgres://u:p@db/x`) by its value.
pub(crate) fn is_secret(name: &str, value: &OsStr) -> bool {
    let upper = name.to_ascii_uppercase();
    is_pincer(&upper)
        || SECRET_NAMES.contains(&upper.as_str())
        || SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
        || SECRET_WORDS.iter().any(|w| upper.contains(w))
        || value.to_str().is_some_and(has_userinfo_password)
}

/// `scheme://user:password@host…`: a URL carrying a password.
fn has_userinfo_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(userinfo, _)| userinfo.contains(':'))
}

/// The inherited variables to remove from a child's environment: credentials unless the
/// caller keeps them (`keep`, a skill's declared variables, minus [`may_pass`] refusals),
/// and every key variable. Variables the caller set itself (`set`) are meant for the child.
pub(crate) fn removals(
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    keep: &[String],
    key_env: &[String],
    set: &[OsString],
) -> Vec<OsString> {
    inherited
        .into_iter()
        .filter(|(name, value)| {
            if set.contains(name) {
                return false;
            }
            let text = name.to_string_lossy();
            let kept = keep.iter().any(|k| *k == text) && may_pass(&text, key_env);
            key_env.iter().any(|k| *k == text) || (is_secret(&text, value) && !kept)
        })
        .map(|(name, _)| name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(n, v)| (OsString::from(n), OsString::from(v)))
            .collect()
    }

    #[test]
    fn credentials_by_name_and_value_are_removed() {
        let secret = [
            ("PINCER_API_KEY", "x"),
            ("OPENAI_API_KEY", "x"),
            ("API_KEY", "x"),
            ("OPENAI_KEY", "x"),
            ("MY_ANTHROPIC_KEY", "x"),
            ("GITHUB_PAT", "x"),
            ("github_token", "x"),
            ("GH_TOKEN", "x"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("AWS_SESSION_TOKEN", "x"),
            ("DB_PASS", "x"),
            ("DB_PASSWD", "x"),
            ("DB_PASSWORD", "x"),
            ("MYSQL_PWD", "x"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "/k.json"),
            ("NPM_CONFIG__AUTH", "x"),
            ("DATABASE_URL", "postgres://app:hunter2@db.local:5432/app"),
            ("REDIS", "redis://:hunter2@localhost:6379"),
        ];
        let harmless = [
            ("PATH", "/usr/bin"),
            ("HOME", "/home/me"),
            ("PWD", "/w"),
            ("OLDPWD", "/"),
            ("LANG", "C.UTF-8"),
            ("CARGO_HOME", "/c"),
            ("SSH_AUTH_SOCK", "/run/ssh"),
            ("SSH_ASKPASS", "/usr/bin/ask"),
            ("HTTP_PROXY", "http://proxy.local:3128"),
            ("DOCS_URL", "https://user@example.com/x"),
            ("KEYMAP", "us"),
        ];
        let mut all = secret.to_vec();
        all.extend(harmless);
        let mut removed = removals(os(&all), &[], &[], &[]);
        removed.sort();
        let mut expected: Vec<OsString> = secret.iter().map(|(n, _)| n.into()).collect();
        expected.sort();
        assert_eq!(removed, expected);
    }

    #[test]
    fn key_variables_go_whatever_their_name_and_whoever_asks() {
        let keys = key_variables(&["MYKEYVAR".to_owned()]);
        for name in [
            "PINCER_API_KEY",
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "MYKEYVAR",
        ] {
            assert!(keys.iter().any(|k| k == name), "{name}");
        }
        let env = os(&[
            ("MYKEYVAR", "sk-1"),
            ("PINCER_API_KEY", "sk-2"),
            ("OPENAI_API_KEY", "sk-3"),
            ("WEATHER_API_KEY", "w"),
            ("PINCER_SKILL_DIR", "/s"),
        ]);
        let keep = [
            "MYKEYVAR".to_owned(),
            "PINCER_API_KEY".to_owned(),
            "OPENAI_API_KEY".to_owned(),
            "WEATHER_API_KEY".to_owned(),
        ];
        let mut removed = removals(env, &keep, &keys, &["PINCER_SKILL_DIR".into()]);
        removed.sort();
        assert_eq!(
            removed,
            vec![
                OsString::from("MYKEYVAR"),
                "OPENAI_API_KEY".into(),
                "PINCER_API_KEY".into()
            ]
        );
    }
}
