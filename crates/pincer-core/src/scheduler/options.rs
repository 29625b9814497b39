//! What a job's options say beyond its schedule: what a run is (a turn of the agent, or a
//! reminder delivered as written), what it may do unattended, where its result goes, what
//! it may spend, and the missed-run timing ([`Timing`]). Stored as JSON with the job;
//! checked once, by the engine, when a job is created or changed.

use serde::{Deserialize, Serialize};

use super::planner::Timing;

/// Every key a job's options may have; anything else is refused by name.
const KNOWN_KEYS: &[&str] = &[
    "missed",
    "lateness_secs",
    "timeout_secs",
    "kind",
    "approvals",
    "delivery",
    "spend_cap_usd",
    "skill",
    "model",
];

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobOptions {
    #[serde(flatten)]
    pub timing: Timing,
    #[serde(default)]
    pub kind: JobKind,
    #[serde(default)]
    pub approvals: Unattended,
    #[serde(default)]
    pub delivery: Delivery,
    /// A run that has spent this much (US dollars, by the models' prices) is stopped
    /// before its next model request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub spend_cap_usd: Option<f64>,
    /// A skill the run uses, as if the prompt began with `/skill`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub skill: Option<String>,
    /// The name of a configured provider to ask first (e.g. a cheaper model); the others
    /// stay its fallbacks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub model: Option<String>,
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// The prompt is a user message to the agent; the run is its turn.
    #[default]
    Agent,
    /// The prompt is delivered as written, at its time; no model is asked, so no model can
    /// decide a reminder is not worth sending.
    Reminder,
    /// The check-in `[heartbeat]` keeps (one job, made and changed from the config).
    Heartbeat,
}

/// How a run answers what the policy would ask the user about.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Unattended {
    #[serde(default)]
    pub mode: UnattendedMode,
    /// Allowed without asking in this job's runs: a tool's name (`web_fetch`: every call),
    /// an approval pattern as an approval request shows it (`exec:git status`), or a
    /// pattern's beginning followed by `*` (`exec:git *`). What the policy denies stays
    /// denied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum UnattendedMode {
    /// Anything not allowed pauses the run (`waiting_approval`) and asks through the
    /// desktop notification, the tray and the Tasks page; the run's time limit goes on.
    #[default]
    Ask,
    /// Anything not allowed is refused and the run goes on without it.
    Deny,
}

/// Where a run's result goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// A desktop notification with the result (the app shows it; the ledger keeps it).
    #[default]
    Notify,
    /// Only the ledger and the Tasks page. Failures still notify.
    None,
}

impl JobOptions {
    /// Reads stored options; what does not read is the defaults (the job says so when
    /// checked again).
    pub fn of(options: &serde_json::Value) -> JobOptions {
        serde_json::from_value(options.clone()).unwrap_or_default()
    }

    /// Checks options a surface sent; the message says what is wrong.
    pub fn parse(options: &serde_json::Value) -> Result<JobOptions, String> {
        let Some(map) = options.as_object() else {
            return Err("the job's options are not an object".to_owned());
        };
        if let Some(unknown) = map.keys().find(|k| !KNOWN_KEYS.contains(&k.as_str())) {
            return Err(format!(
                "the job's options have no {unknown:?} (known: {})",
                KNOWN_KEYS.join(", ")
            ));
        }
        // Each option alone first, so a bad value is named by its key.
        for (key, value) in map {
            let alone = serde_json::json!({ key: value });
            if let Err(e) = serde_json::from_value::<JobOptions>(alone) {
                return Err(format!("the job's option {key:?} is not valid: {e}"));
            }
        }
        let parsed: JobOptions = serde_json::from_value(options.clone())
            .map_err(|e| format!("the job's options are not valid: {e}"))?;
        if parsed.kind == JobKind::Heartbeat {
            return Err(
                "the heartbeat is set up in [heartbeat] of config.toml, not as a job".to_owned(),
            );
        }
        if parsed.timing.lateness_secs < 0 {
            return Err("lateness_secs cannot be negative".to_owned());
        }
        if parsed.timing.timeout_secs == Some(0) {
            return Err("timeout_secs must be at least 1".to_owned());
        }
        if let Some(cap) = parsed.spend_cap_usd
            && !(cap.is_finite() && cap > 0.0)
        {
            return Err("spend_cap_usd must be a positive amount of US dollars".to_owned());
        }
        for entry in &parsed.approvals.allow {
            if entry.trim().is_empty() || entry.chars().count() > 200 {
                return Err(
                    "an allowed tool or pattern is empty or longer than 200 characters".to_owned(),
                );
            }
        }
        if let Some(skill) = &parsed.skill
            && (skill.is_empty() || skill.chars().any(char::is_whitespace))
        {
            return Err(format!("{skill:?} is not a skill's name"));
        }
        Ok(parsed)
    }
}

impl Unattended {
    /// Whether this job's runs may run a call of `tool` whose approval pattern is
    /// `pattern` without asking.
    pub fn allows(&self, tool: &str, pattern: &str) -> bool {
        self.allow.iter().any(|entry| {
            entry == tool
                || entry == pattern
                || entry
                    .strip_suffix('*')
                    .is_some_and(|prefix| pattern.starts_with(prefix))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn options_read_with_defaults_and_refuse_what_they_do_not_know() {
        let o = JobOptions::parse(&json!({})).unwrap();
        assert_eq!(o.kind, JobKind::Agent);
        assert_eq!(o.approvals.mode, UnattendedMode::Ask);
        assert_eq!(o.delivery, Delivery::Notify);
        assert_eq!(o.timing.lateness_secs, 3600);
        let o = JobOptions::parse(&json!({
            "kind": "reminder", "delivery": "none", "spend_cap_usd": 0.5,
            "approvals": {"mode": "deny", "allow": ["web_fetch", "exec:git *"]},
            "missed": {"policy": "skip"}, "timeout_secs": 60
        }))
        .unwrap();
        assert_eq!(o.kind, JobKind::Reminder);
        assert_eq!(o.timing.timeout_secs, Some(60));
        let err = JobOptions::parse(&json!({"spend_cap": 1})).unwrap_err();
        assert!(
            err.contains("\"spend_cap\"") && err.contains("spend_cap_usd"),
            "{err}"
        );
        assert!(JobOptions::parse(&json!({"spend_cap_usd": -1})).is_err());
        let err = JobOptions::parse(&json!({"delivery": "sometimes"})).unwrap_err();
        assert!(
            err.contains("\"delivery\"") && err.contains("`notify`"),
            "{err}"
        );
        assert!(JobOptions::parse(&json!({"kind": "cron"})).is_err());
        assert!(JobOptions::parse(&json!({"skill": "two words"})).is_err());
        assert!(JobOptions::parse(&json!([])).is_err());
    }

    #[test]
    fn allowed_entries_match_a_tool_a_pattern_or_a_prefix() {
        let u = Unattended {
            mode: UnattendedMode::Ask,
            allow: vec![
                "web_fetch".into(),
                "exec:git *".into(),
                "write:notes.md".into(),
            ],
        };
        assert!(u.allows("web_fetch", "web_fetch:example.com"));
        assert!(u.allows("exec", "exec:git status"));
        assert!(!u.allows("exec", "exec:rm -rf x"));
        assert!(u.allows("write_file", "write:notes.md"));
        assert!(!u.allows("write_file", "write:other.md"));
    }
}
