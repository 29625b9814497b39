//! The heartbeat (`[heartbeat]`, off by default): a periodic check-in with a minimal
//! context — a checklist file the user writes, not the main conversation — optionally on a
//! cheaper model, within active hours. It is a job like any other (ledger rows, costs
//! attributed to it, visible and pausable on the Tasks page), kept in step with the config
//! by [`sync`]. A reply of [`NOTHING_TO_DO`] ends the run after that one request, notifies
//! nobody, and its session is deleted: no trace in history, recall or memory.

use std::path::{Path, PathBuf};

use chrono::{Local, NaiveTime, TimeZone};
use serde::Deserialize;

use super::options::JobKind;
use crate::store::{Job, NewJob, Store, StoreError};

/// What the model answers when the checklist needs nothing.
pub const NOTHING_TO_DO: &str = "HEARTBEAT_OK";

/// The heartbeat job's name in the ledger and on the Tasks page.
pub const NAME: &str = "Heartbeat";

/// The run's message: the instruction, then the checklist.
const INSTRUCTION: &str = "Heartbeat check-in. Go through the checklist below; do what it asks only if something needs the user's attention now, and then say what in a few lines. If nothing does, reply exactly HEARTBEAT_OK and nothing else.";

/// `[heartbeat]` as the user writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HeartbeatSection {
    pub enabled: bool,
    /// An interval: `30m`, `1h`.
    pub every: String,
    /// The checklist, relative to the data home unless absolute.
    pub checklist: PathBuf,
    /// A configured provider's name to ask first (a cheaper model).
    pub model: Option<String>,
    /// `08:00-22:00` in local time; outside it a due check-in is skipped. None: always.
    pub active_hours: Option<String>,
    /// US dollars one check-in may spend.
    pub spend_cap_usd: Option<f64>,
}

impl Default for HeartbeatSection {
    fn default() -> Self {
        Self {
            enabled: false,
            every: "30m".to_owned(),
            checklist: PathBuf::from("HEARTBEAT.md"),
            model: None,
            active_hours: None,
            spend_cap_usd: None,
        }
    }
}

/// Resolved and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    pub enabled: bool,
    /// The job's schedule spec: `every 30m`.
    pub schedule: String,
    pub checklist: PathBuf,
    pub model: Option<String>,
    pub active_hours: Option<(NaiveTime, NaiveTime)>,
    pub spend_cap_usd: Option<f64>,
}

impl HeartbeatSection {
    /// Checks the section; `home` anchors a relative checklist path.
    pub fn resolve(&self, home: &Path) -> Result<Heartbeat, String> {
        let schedule = format!("every {}", self.every.trim());
        super::Schedule::parse(&schedule)
            .map_err(|e| format!("[heartbeat] every = {:?}: {e}", self.every))?;
        let active_hours = self.active_hours.as_deref().map(parse_hours).transpose()?;
        if let Some(cap) = self.spend_cap_usd
            && !(cap.is_finite() && cap > 0.0)
        {
            return Err("[heartbeat] spend_cap_usd must be a positive amount".to_owned());
        }
        Ok(Heartbeat {
            enabled: self.enabled,
            schedule,
            checklist: if self.checklist.is_absolute() {
                self.checklist.clone()
            } else {
                home.join(&self.checklist)
            },
            model: self.model.clone(),
            active_hours,
            spend_cap_usd: self.spend_cap_usd,
        })
    }
}

fn parse_hours(text: &str) -> Result<(NaiveTime, NaiveTime), String> {
    let bad = || format!("[heartbeat] active_hours = {text:?}: write it as \"08:00-22:00\"");
    let (from, to) = text.split_once('-').ok_or_else(bad)?;
    let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
    let (from, to) = (time(from)?, time(to)?);
    if from == to {
        return Err(bad());
    }
    Ok((from, to))
}

impl Heartbeat {
    /// Whether `now` (unix seconds) is within the active hours, in local time. A span
    /// like `22:00-06:00` runs over midnight.
    pub fn active_at(&self, now: i64) -> bool {
        let Some((from, to)) = self.active_hours else {
            return true;
        };
        let Some(local) = Local.timestamp_opt(now, 0).single() else {
            return true;
        };
        let at = local.time();
        if from < to {
            from <= at && at < to
        } else {
            at >= from || at < to
        }
    }

    /// The options of the heartbeat's job.
    fn options(&self) -> serde_json::Value {
        let mut options = serde_json::json!({
            "kind": "heartbeat",
            "missed": {"policy": "skip"},
            "approvals": {"mode": "deny"},
        });
        if let Some(model) = &self.model {
            options["model"] = model.clone().into();
        }
        if let Some(cap) = self.spend_cap_usd {
            options["spend_cap_usd"] = cap.into();
        }
        options
    }
}

/// The heartbeat's job, if there is one.
pub fn job(store: &Store) -> Result<Option<Job>, StoreError> {
    Ok(store
        .jobs()?
        .into_iter()
        .find(|job| super::JobOptions::of(&job.options).kind == JobKind::Heartbeat))
}

/// Keeps the heartbeat's job in step with the config at `now`: made when enabled (with
/// the config's interval, model and cap), paused when disabled. A heartbeat the user
/// paused on the Tasks page stays paused; one the config paused resumes when enabled again.
pub fn sync(store: &Store, config: &Heartbeat, now: i64) -> Result<(), StoreError> {
    let existing = job(store)?;
    let mut options = config.options();
    match existing {
        None if config.enabled => {
            store.create_job(
                &NewJob {
                    name: NAME.to_owned(),
                    prompt: INSTRUCTION.to_owned(),
                    schedule: config.schedule.clone(),
                    options,
                },
                now,
            )?;
        }
        None => {}
        Some(job) => {
            let paused_by_config = job.options["paused_by_config"] == true;
            if !config.enabled {
                if !job.paused {
                    options["paused_by_config"] = true.into();
                    store.update_job(&job.id, &renewed(&job, config, options), now)?;
                    store.set_job_paused(&job.id, true, now)?;
                }
                return Ok(());
            }
            let wanted = renewed(&job, config, options);
            if wanted.schedule != job.schedule || wanted.options != job.options {
                store.update_job(&job.id, &wanted, now)?;
            }
            if paused_by_config && job.paused {
                store.set_job_paused(&job.id, false, now)?;
            }
        }
    }
    Ok(())
}

fn renewed(job: &Job, config: &Heartbeat, options: serde_json::Value) -> NewJob {
    NewJob {
        name: job.name.clone(),
        prompt: INSTRUCTION.to_owned(),
        schedule: config.schedule.clone(),
        options,
    }
}

/// The largest checklist a check-in sends (a check-in is meant to be small and cheap).
pub const MAX_CHECKLIST_BYTES: u64 = 16 * 1024;

/// What a heartbeat run asks: the instruction and the checklist; `Ok(None)` when the
/// checklist is missing or empty (nothing to check, no request); why not, when it cannot
/// be read or is too large.
pub fn message(config: &Heartbeat) -> Result<Option<String>, String> {
    let path = &config.checklist;
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "could not read the checklist {}: {e}",
                path.display()
            ));
        }
    };
    if size > MAX_CHECKLIST_BYTES {
        return Err(format!(
            "the checklist {} is {size} bytes; a check-in sends at most {MAX_CHECKLIST_BYTES}",
            path.display()
        ));
    }
    let checklist = std::fs::read_to_string(path)
        .map_err(|e| format!("could not read the checklist {}: {e}", path.display()))?;
    let checklist = checklist.trim();
    if checklist.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "{INSTRUCTION}\n\n<checklist>\n{checklist}\n</checklist>"
    )))
}

/// Whether a heartbeat's answer says there is nothing to do.
pub fn nothing_to_do(answer: &str) -> bool {
    let answer = answer
        .trim()
        .trim_matches(|c: char| c == '.' || c == '*' || c == '`');
    answer.eq_ignore_ascii_case(NOTHING_TO_DO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_resolves_or_says_what_to_write() {
        let home = Path::new("/home/u/.pincer");
        let hb = HeartbeatSection::default().resolve(home).unwrap();
        assert!(!hb.enabled);
        assert_eq!(hb.schedule, "every 30m");
        assert_eq!(hb.checklist, home.join("HEARTBEAT.md"));
        let bad = HeartbeatSection {
            every: "fortnightly".to_owned(),
            ..HeartbeatSection::default()
        };
        assert!(bad.resolve(home).unwrap_err().contains("[heartbeat] every"));
        let hours = HeartbeatSection {
            active_hours: Some("8-22".to_owned()),
            ..HeartbeatSection::default()
        };
        assert!(hours.resolve(home).unwrap_err().contains("08:00-22:00"));
    }

    #[test]
    fn active_hours_may_run_over_midnight() {
        let at = |h: u32, m: u32| {
            Local
                .with_ymd_and_hms(2026, 12, 7, h, m, 0)
                .single()
                .unwrap()
                .timestamp()
        };
        let day = Heartbeat {
            active_hours: Some(parse_hours("08:00-22:00").unwrap()),
            ..HeartbeatSection::default().resolve(Path::new("/")).unwrap()
        };
        assert!(day.active_at(at(8, 0)) && day.active_at(at(21, 59)));
        assert!(!day.active_at(at(22, 0)) && !day.active_at(at(3, 0)));
        let night = Heartbeat {
            active_hours: Some(parse_hours("22:00-06:00").unwrap()),
            ..day
        };
        assert!(night.active_at(at(23, 0)) && night.active_at(at(5, 59)));
        assert!(!night.active_at(at(12, 0)));
    }

    #[test]
    fn a_checklist_that_is_missing_empty_unreadable_or_too_large_sends_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let hb = HeartbeatSection::default().resolve(tmp.path()).unwrap();
        assert_eq!(message(&hb), Ok(None));
        std::fs::write(&hb.checklist, "  \n").unwrap();
        assert_eq!(message(&hb), Ok(None));
        std::fs::write(&hb.checklist, "- kettle price").unwrap();
        assert!(
            message(&hb)
                .unwrap()
                .unwrap()
                .ends_with("<checklist>\n- kettle price\n</checklist>")
        );
        std::fs::write(&hb.checklist, [0xff, 0xfe]).unwrap();
        assert!(
            message(&hb)
                .unwrap_err()
                .contains("could not read the checklist")
        );
        std::fs::write(&hb.checklist, "x".repeat(MAX_CHECKLIST_BYTES as usize + 1)).unwrap();
        assert!(message(&hb).unwrap_err().contains("at most 16384"));
    }

    #[test]
    fn nothing_to_do_is_the_token_alone() {
        assert!(nothing_to_do("HEARTBEAT_OK"));
        assert!(nothing_to_do("  `HEARTBEAT_OK`.\n"));
        assert!(!nothing_to_do(
            "HEARTBEAT_OK, but your kettle is 29 euros now"
        ));
        assert!(!nothing_to_do("The kettle is 29 euros."));
    }

    #[test]
    fn sync_makes_pauses_and_resumes_the_job_with_the_config() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(&tmp.path().join("pincer.db")).unwrap();
        let mut hb = HeartbeatSection::default().resolve(tmp.path()).unwrap();
        sync(&store, &hb, 1000).unwrap();
        assert!(job(&store).unwrap().is_none(), "off by default: no job");
        hb.enabled = true;
        sync(&store, &hb, 1000).unwrap();
        let made = job(&store).unwrap().unwrap();
        assert_eq!(
            (made.name.as_str(), made.schedule.as_str()),
            (NAME, "every 30m")
        );
        sync(&store, &hb, 2000).unwrap();
        assert_eq!(store.jobs().unwrap().len(), 1, "made once");
        assert_eq!(job(&store).unwrap().unwrap().updated_at, made.updated_at);
        hb.schedule = "every 1h".to_owned();
        sync(&store, &hb, 3000).unwrap();
        assert_eq!(job(&store).unwrap().unwrap().schedule, "every 1h");
        hb.enabled = false;
        sync(&store, &hb, 4000).unwrap();
        assert!(job(&store).unwrap().unwrap().paused);
        hb.enabled = true;
        sync(&store, &hb, 5000).unwrap();
        assert!(!job(&store).unwrap().unwrap().paused);
        // Paused by the user: it stays so.
        store.set_job_paused(&made.id, true, 6000).unwrap();
        sync(&store, &hb, 7000).unwrap();
        assert!(job(&store).unwrap().unwrap().paused);
    }
}
