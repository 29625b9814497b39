//! Background jobs and their run ledger: what runs when, and what became of every run.
//!
//! Exactly once, durably. A scheduled run is a ledger row keyed by (job, scheduled
//! instant), written before anything runs: a crash at any point leaves either no row (and
//! the instant still ahead of the job's `checked_until`, so it is planned again) or the
//! row (and it is never planned twice). Planning moves `checked_until` in the same
//! transaction as the rows it writes. A run is then claimed by one engine (`owner`) with
//! a conditional update; a run an engine claimed and never ended is `lost` once another
//! engine starts on the data home — there is one engine per data home, so its owner is
//! gone — never left running forever and never run again.
//!
//! Times here are the scheduler's wall clock, passed in (unix seconds), never read here.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Job {
    /// Our id, `job-…`.
    pub id: String,
    pub name: String,
    pub prompt: String,
    /// The schedule as the user wrote it (`scheduler::schedule` reads it).
    pub schedule: String,
    /// Intervals count from here (unix seconds).
    pub anchor: i64,
    /// Skill, model, delivery, approvals, timeout, spend cap, missed-run policy: JSON the
    /// scheduler owns.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub options: serde_json::Value,
    pub paused: bool,
    /// Every scheduled instant up to here (unix seconds) has its ledger row, or came
    /// before the job existed.
    pub checked_until: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A job to create.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub name: String,
    pub prompt: String,
    pub schedule: String,
    pub options: serde_json::Value,
}

/// Where a run stands; the last five end it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Queued,
    Running,
    WaitingApproval,
    Succeeded,
    Failed,
    TimedOut,
    Cancelled,
    /// Not run, by the job's missed-run policy (`skip`, or beyond `run each … up to N`).
    Skipped,
    /// Not run: it was due while nothing ran (the process stopped, the machine slept) and
    /// came later than the job's lateness window.
    Missed,
    /// Claimed by an engine that stopped before it ended; not run again.
    Lost,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::WaitingApproval => "waiting_approval",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::TimedOut => "timed_out",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Skipped => "skipped",
            RunStatus::Missed => "missed",
            RunStatus::Lost => "lost",
        }
    }

    fn parse(text: &str) -> RunStatus {
        match text {
            "queued" => RunStatus::Queued,
            "running" => RunStatus::Running,
            "waiting_approval" => RunStatus::WaitingApproval,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "timed_out" => RunStatus::TimedOut,
            "cancelled" => RunStatus::Cancelled,
            "skipped" => RunStatus::Skipped,
            "missed" => RunStatus::Missed,
            _ => RunStatus::Lost,
        }
    }

    /// Whether the run has ended.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            RunStatus::Queued | RunStatus::Running | RunStatus::WaitingApproval
        )
    }
}

/// What started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Its schedule, on time.
    Schedule,
    /// Its schedule, late (after a stop or a sleep), by the missed-run policy.
    CatchUp,
    /// "Run now".
    Manual,
    /// The engine started.
    Startup,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::CatchUp => "catch_up",
            Trigger::Manual => "manual",
            Trigger::Startup => "startup",
        }
    }

    fn parse(text: &str) -> Trigger {
        match text {
            "schedule" => Trigger::Schedule,
            "catch_up" => Trigger::CatchUp,
            "startup" => Trigger::Startup,
            _ => Trigger::Manual,
        }
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Run {
    /// Our id, `run-…`.
    pub id: String,
    pub job_id: String,
    /// The instant it was due (unix seconds); none for "run now".
    pub scheduled_for: Option<i64>,
    pub trigger: Trigger,
    pub status: RunStatus,
    /// Why it ended as it did (or why it was not run).
    pub reason: Option<String>,
    /// The session the run's turn lives in.
    pub session_id: Option<String>,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    /// The run's final text.
    pub output: Option<String>,
}

/// A planned ledger row: one scheduled instant of a job and what becomes of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub scheduled_for: i64,
    pub trigger: Trigger,
    /// `Queued` to run; `Skipped` or `Missed` (with the reason) not to.
    pub status: RunStatus,
    pub reason: Option<String>,
}

/// How a run ended, as its runner reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnd {
    pub status: RunStatus,
    pub reason: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: Option<f64>,
    pub output: Option<String>,
}

const JOB_COLUMNS: &str =
    "uid, name, prompt, schedule, anchor, options, paused, checked_until, created_at, updated_at";

const RUN_COLUMNS: &str =
    "r.uid, j.uid, r.scheduled_for, r.trigger, r.status, r.reason, r.session_id,
     r.queued_at, r.started_at, r.ended_at, r.input_tokens, r.output_tokens, r.cost_usd, r.output";

fn job_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let options: String = row.get(5)?;
    Ok(Job {
        id: row.get(0)?,
        name: row.get(1)?,
        prompt: row.get(2)?,
        schedule: row.get(3)?,
        anchor: row.get(4)?,
        options: serde_json::from_str(&options).unwrap_or(serde_json::Value::Null),
        paused: row.get(6)?,
        checked_until: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
    })
}

fn run_row(row: &Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: row.get(0)?,
        job_id: row.get(1)?,
        scheduled_for: row.get(2)?,
        trigger: Trigger::parse(&row.get::<_, String>(3)?),
        status: RunStatus::parse(&row.get::<_, String>(4)?),
        reason: row.get(5)?,
        session_id: row.get(6)?,
        queued_at: row.get(7)?,
        started_at: row.get(8)?,
        ended_at: row.get(9)?,
        input_tokens: row.get::<_, i64>(10)?.max(0) as u64,
        output_tokens: row.get::<_, i64>(11)?.max(0) as u64,
        cost_usd: row.get(12)?,
        output: row.get(13)?,
    })
}

fn new_id(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &id[..12])
}

impl Store {
    /// Creates a job at `at` (unix seconds): its intervals count from then, and nothing
    /// before then is due.
    pub fn create_job(&self, new: &NewJob, at: i64) -> Result<Job, StoreError> {
        let uid = new_id("job");
        self.conn().execute(
            "INSERT INTO jobs (uid, name, prompt, schedule, anchor, options, checked_until, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?5, ?5)",
            params![
                uid,
                new.name,
                new.prompt,
                new.schedule,
                at,
                new.options.to_string()
            ],
        )?;
        self.job(&uid)?
            .ok_or_else(|| StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// A job that is not deleted.
    pub fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE uid = ?1 AND deleted_at IS NULL"),
                params![id],
                job_row,
            )
            .optional()?)
    }

    /// Every job not deleted, oldest first.
    pub fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs WHERE deleted_at IS NULL ORDER BY id"
        ))?;
        let rows = stmt.query_map([], job_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Changes a job's text, schedule and options. A new schedule counts from `at`:
    /// instants of the old one not yet planned are not planned.
    pub fn update_job(&self, id: &str, new: &NewJob, at: i64) -> Result<Option<Job>, StoreError> {
        let changed = {
            let conn = self.conn();
            let old: Option<String> = conn
                .query_row(
                    "SELECT schedule FROM jobs WHERE uid = ?1 AND deleted_at IS NULL",
                    params![id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(old) = old else {
                return Ok(None);
            };
            let rescheduled = old != new.schedule;
            conn.execute(
                "UPDATE jobs SET name = ?2, prompt = ?3, schedule = ?4, options = ?5, updated_at = ?6,
                     anchor = CASE WHEN ?7 THEN ?6 ELSE anchor END,
                     checked_until = CASE WHEN ?7 THEN max(checked_until, ?6) ELSE checked_until END
                 WHERE uid = ?1",
                params![
                    id,
                    new.name,
                    new.prompt,
                    new.schedule,
                    new.options.to_string(),
                    at,
                    rescheduled
                ],
            )?
        };
        if changed == 0 {
            return Ok(None);
        }
        self.job(id)
    }

    /// Pauses or resumes a job. Instants that pass while it is paused are not run, and
    /// not planned when it resumes.
    pub fn set_job_paused(&self, id: &str, paused: bool, at: i64) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "UPDATE jobs SET paused = ?2, updated_at = ?3,
                 checked_until = CASE WHEN ?2 THEN checked_until ELSE max(checked_until, ?3) END
             WHERE uid = ?1 AND deleted_at IS NULL",
            params![id, paused, at],
        )?;
        Ok(changed > 0)
    }

    /// Deletes a job; its ledger stays (runs name it), its queued runs are cancelled.
    pub fn delete_job(&self, id: &str, at: i64) -> Result<bool, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE jobs SET deleted_at = ?2, updated_at = ?2 WHERE uid = ?1 AND deleted_at IS NULL",
            params![id, at],
        )?;
        tx.execute(
            "UPDATE job_runs SET status = 'cancelled', reason = 'the job was deleted', ended_at = ?2
             WHERE status = 'queued' AND job_id = (SELECT id FROM jobs WHERE uid = ?1)",
            params![id, at],
        )?;
        tx.commit()?;
        Ok(changed > 0)
    }

    /// Writes the ledger rows of `planned` for job `id` and moves its `checked_until` to
    /// `until`, in one transaction. An instant that already has its row keeps it (a plan
    /// made twice writes nothing twice). Returns the rows written.
    pub fn plan_runs(
        &self,
        id: &str,
        planned: &[Planned],
        until: i64,
        at: i64,
    ) -> Result<Vec<Run>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let job: Option<i64> = tx
            .query_row(
                "SELECT id FROM jobs WHERE uid = ?1 AND deleted_at IS NULL",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(job) = job else {
            return Ok(Vec::new());
        };
        let mut written = Vec::new();
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO job_runs (uid, job_id, scheduled_for, trigger, status, reason, queued_at, ended_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CASE WHEN ?5 = 'queued' THEN NULL ELSE ?7 END)",
            )?;
            for plan in planned {
                let uid = new_id("run");
                let added = insert.execute(params![
                    uid,
                    job,
                    plan.scheduled_for,
                    plan.trigger.as_str(),
                    plan.status.as_str(),
                    plan.reason,
                    at
                ])?;
                if added > 0 {
                    written.push(uid);
                }
            }
        }
        tx.execute(
            "UPDATE jobs SET checked_until = max(checked_until, ?2) WHERE id = ?1",
            params![job, until],
        )?;
        tx.commit()?;
        drop(conn);
        written
            .iter()
            .filter_map(|uid| self.run(uid).transpose())
            .collect()
    }

    /// Queues a run of job `id` now, outside its schedule ("run now", or at start-up).
    pub fn queue_run_now(
        &self,
        id: &str,
        trigger: Trigger,
        at: i64,
    ) -> Result<Option<Run>, StoreError> {
        let uid = new_id("run");
        let added = self.conn().execute(
            "INSERT INTO job_runs (uid, job_id, scheduled_for, trigger, status, queued_at)
             SELECT ?1, id, NULL, ?4, 'queued', ?3 FROM jobs WHERE uid = ?2 AND deleted_at IS NULL",
            params![uid, id, at, trigger.as_str()],
        )?;
        if added == 0 {
            return Ok(None);
        }
        self.run(&uid)
    }

    /// Claims the oldest queued run for `owner`: it is `running` from now and no other
    /// claim gets it.
    pub fn claim_run(&self, owner: &str, at: i64) -> Result<Option<Run>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let next: Option<i64> = tx
            .query_row(
                // The partial index's own condition, so SQLite uses it (it does not infer it
                // from `status = 'queued'`): 12 ms → well under 1 at 100k runs.
                "SELECT id FROM job_runs
                 WHERE status IN ('queued', 'running', 'waiting_approval') AND status = 'queued'
                 ORDER BY status, queued_at, id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let Some(next) = next else {
            return Ok(None);
        };
        tx.execute(
            "UPDATE job_runs SET status = 'running', owner = ?2, started_at = ?3
             WHERE id = ?1 AND status = 'queued'",
            params![next, owner, at],
        )?;
        let run = tx.query_row(
            &format!("SELECT {RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.id = ?1"),
            params![next],
            run_row,
        )?;
        tx.commit()?;
        Ok(Some(run))
    }

    /// Names the session a claimed run's turn lives in.
    pub fn set_run_session(&self, run: &str, session: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE job_runs SET session_id = ?2 WHERE uid = ?1",
            params![run, session],
        )?;
        Ok(())
    }

    /// Moves a running run to waiting for an approval and back; false when it was not in
    /// the other state (nothing changed).
    pub fn set_run_waiting(&self, run: &str, waiting: bool) -> Result<bool, StoreError> {
        let (from, to) = if waiting {
            ("running", "waiting_approval")
        } else {
            ("waiting_approval", "running")
        };
        let changed = self.conn().execute(
            "UPDATE job_runs SET status = ?3 WHERE uid = ?1 AND status = ?2",
            params![run, from, to],
        )?;
        Ok(changed > 0)
    }

    /// Ends a run. A run that has already ended keeps its first end.
    pub fn end_run(&self, run: &str, end: &RunEnd, at: i64) -> Result<bool, StoreError> {
        let changed = self.conn().execute(
            "UPDATE job_runs SET status = ?2, reason = ?3, input_tokens = ?4, output_tokens = ?5,
                 cost_usd = ?6, output = ?7, ended_at = ?8
             WHERE uid = ?1 AND status IN ('queued', 'running', 'waiting_approval')",
            params![
                run,
                end.status.as_str(),
                end.reason,
                end.input_tokens as i64,
                end.output_tokens as i64,
                end.cost_usd,
                end.output,
                at
            ],
        )?;
        Ok(changed > 0)
    }

    /// Marks `lost` every run claimed by an engine other than `owner` and not ended: at
    /// most one engine runs per data home, so whoever claimed them has stopped. Returns
    /// them.
    pub fn mark_lost_runs(&self, owner: &str, at: i64) -> Result<Vec<Run>, StoreError> {
        let lost: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT uid FROM job_runs
                 WHERE status IN ('queued', 'running', 'waiting_approval')
                   AND status IN ('running', 'waiting_approval') AND owner IS NOT ?1",
            )?;
            let rows = stmt.query_map(params![owner], |r| r.get(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for uid in &lost {
            self.conn().execute(
                "UPDATE job_runs SET status = 'lost', ended_at = ?2,
                     reason = 'Pincer stopped while it ran; it is not run again'
                 WHERE uid = ?1 AND status IN ('running', 'waiting_approval')",
                params![uid, at],
            )?;
        }
        lost.iter()
            .filter_map(|uid| self.run(uid).transpose())
            .collect()
    }

    pub fn run(&self, id: &str) -> Result<Option<Run>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.uid = ?1"
                ),
                params![id],
                run_row,
            )
            .optional()?)
    }

    /// The ledger, newest first: of one job or of all, at most `limit`.
    pub fn runs(&self, job: Option<&str>, limit: usize) -> Result<Vec<Run>, StoreError> {
        let conn = self.conn();
        // Two statements, so one job's runs come from its index, not a walk of all runs.
        let sql = match job {
            Some(_) => format!(
                "SELECT {RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id
                 WHERE r.job_id = (SELECT id FROM jobs WHERE uid = ?1)
                 ORDER BY r.id DESC LIMIT ?2"
            ),
            None => format!(
                "SELECT {RUN_COLUMNS} FROM job_runs r JOIN jobs j ON j.id = r.job_id
                 WHERE ?1 IS NULL ORDER BY r.id DESC LIMIT ?2"
            ),
        };
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![job, limit as i64], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// What background runs spent: the cost recorded with the runs that ended at or after
    /// `since` (unix seconds), and the sessions of the runs not ended yet, whose cost is
    /// still in their usage.
    pub fn background_spend(&self, since: i64) -> Result<(f64, Vec<String>), StoreError> {
        let conn = self.conn();
        let ended: Option<f64> = conn.query_row(
            "SELECT SUM(cost_usd) FROM job_runs WHERE ended_at IS NOT NULL AND ended_at >= ?1",
            params![since],
            |r| r.get(0),
        )?;
        let mut stmt = conn.prepare_cached(
            // The partial index's condition, then the two statuses it can seek to (a
            // `!= 'queued'` walked every queued run).
            "SELECT session_id FROM job_runs
             WHERE status IN ('queued', 'running', 'waiting_approval')
               AND status IN ('running', 'waiting_approval') AND session_id IS NOT NULL",
        )?;
        let active = stmt.query_map([], |r| r.get(0))?;
        Ok((ended.unwrap_or(0.0), active.collect::<Result<_, _>>()?))
    }

    /// Keeps the ledger bounded: ended runs that ended before `before`, beyond the newest
    /// `keep` of each job, go. Returns how many went.
    pub fn prune_runs(&self, keep: usize, before: i64) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM job_runs WHERE id IN (
                 SELECT id FROM (
                     SELECT id, ended_at,
                            row_number() OVER (PARTITION BY job_id ORDER BY id DESC) AS newer
                     FROM job_runs
                     WHERE status NOT IN ('queued', 'running', 'waiting_approval'))
                 WHERE newer > ?1 AND ended_at < ?2)",
            params![keep as i64, before],
        )?)
    }

    /// The ledger as the Tasks page searches it, newest first, each run with its job's
    /// name (a deleted job's too): of one job or of all, in any of `statuses` (none: any),
    /// whose output, reason or job name contains `text` (ignoring ASCII case; any script),
    /// at most `limit`.
    pub fn search_runs(
        &self,
        job: Option<&str>,
        statuses: &[RunStatus],
        text: &str,
        limit: usize,
    ) -> Result<Vec<(Run, String)>, StoreError> {
        let text = text.trim();
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let wanted: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        let statuses = serde_json::to_string(&wanted).unwrap_or_else(|_| "[]".to_owned());
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RUN_COLUMNS}, j.name FROM job_runs r JOIN jobs j ON j.id = r.job_id
             WHERE (?1 IS NULL OR j.uid = ?1)
               AND (?2 = '[]' OR r.status IN (SELECT value FROM json_each(?2)))
               AND (?3 = '' OR r.output LIKE ?4 ESCAPE '\\' OR r.reason LIKE ?4 ESCAPE '\\'
                    OR j.name LIKE ?4 ESCAPE '\\')
             ORDER BY r.id DESC LIMIT ?5"
        ))?;
        let rows = stmt.query_map(params![job, statuses, text, pattern, limit as i64], |row| {
            Ok((run_row(row)?, row.get::<_, String>(14)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_765_000_000;

    fn job(store: &Store) -> Job {
        store
            .create_job(
                &NewJob {
                    name: "brief".to_owned(),
                    prompt: "brief me".to_owned(),
                    schedule: "every 20m".to_owned(),
                    options: serde_json::json!({"missed": "once"}),
                },
                T0,
            )
            .unwrap()
    }

    fn plan(at: i64, status: RunStatus) -> Planned {
        Planned {
            scheduled_for: at,
            trigger: Trigger::Schedule,
            status,
            reason: None,
        }
    }

    #[test]
    fn an_instant_is_planned_once_however_often_the_plan_is_made() {
        let store = Store::in_memory().unwrap();
        let job = job(&store);
        assert_eq!(job.checked_until, T0);
        let first = store
            .plan_runs(
                &job.id,
                &[plan(T0 + 1200, RunStatus::Queued)],
                T0 + 1300,
                T0 + 1300,
            )
            .unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].status, RunStatus::Queued);
        // After a crash the same plan is made again: nothing is written twice.
        let again = store
            .plan_runs(
                &job.id,
                &[
                    plan(T0 + 1200, RunStatus::Queued),
                    plan(T0 + 2400, RunStatus::Missed),
                ],
                T0 + 2500,
                T0 + 2500,
            )
            .unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].status, RunStatus::Missed);
        assert_eq!(again[0].ended_at, Some(T0 + 2500));
        assert_eq!(store.runs(Some(&job.id), 10).unwrap().len(), 2);
        assert_eq!(
            store.job(&job.id).unwrap().unwrap().checked_until,
            T0 + 2500
        );
    }

    #[test]
    fn a_run_is_claimed_once_and_ends_once() {
        let store = Store::in_memory().unwrap();
        let job = job(&store);
        store
            .plan_runs(
                &job.id,
                &[plan(T0 + 1200, RunStatus::Queued)],
                T0 + 1200,
                T0 + 1200,
            )
            .unwrap();
        let run = store.claim_run("engine-a", T0 + 1201).unwrap().unwrap();
        assert_eq!(run.status, RunStatus::Running);
        assert_eq!(run.started_at, Some(T0 + 1201));
        assert!(store.claim_run("engine-a", T0 + 1202).unwrap().is_none());
        let end = RunEnd {
            status: RunStatus::Succeeded,
            reason: None,
            input_tokens: 120,
            output_tokens: 30,
            cost_usd: Some(0.001),
            output: Some("done".to_owned()),
        };
        assert!(store.end_run(&run.id, &end, T0 + 1260).unwrap());
        let cancelled = RunEnd {
            status: RunStatus::Cancelled,
            ..end.clone()
        };
        assert!(!store.end_run(&run.id, &cancelled, T0 + 1261).unwrap());
        let stored = store.run(&run.id).unwrap().unwrap();
        assert_eq!(stored.status, RunStatus::Succeeded);
        assert_eq!(stored.output.as_deref(), Some("done"));
    }

    #[test]
    fn runs_of_a_stopped_engine_are_lost_not_run_again_and_queued_ones_wait() {
        let store = Store::in_memory().unwrap();
        let job = job(&store);
        store
            .plan_runs(
                &job.id,
                &[
                    plan(T0 + 1200, RunStatus::Queued),
                    plan(T0 + 2400, RunStatus::Queued),
                ],
                T0 + 2400,
                T0 + 2400,
            )
            .unwrap();
        let claimed = store.claim_run("engine-a", T0 + 2401).unwrap().unwrap();
        store.set_run_waiting(&claimed.id, true).unwrap();
        // engine-a dies; engine-b starts.
        let lost = store.mark_lost_runs("engine-b", T0 + 3000).unwrap();
        assert_eq!(lost.len(), 1);
        assert_eq!(lost[0].id, claimed.id);
        assert_eq!(lost[0].status, RunStatus::Lost);
        assert!(lost[0].reason.as_deref().unwrap().contains("not run again"));
        // The one never claimed had no side effect yet: it runs.
        let next = store.claim_run("engine-b", T0 + 3001).unwrap().unwrap();
        assert_eq!(next.scheduled_for, Some(T0 + 2400));
        assert!(
            store
                .mark_lost_runs("engine-b", T0 + 3002)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn pause_resume_reschedule_and_delete_keep_the_ledger_honest() {
        let store = Store::in_memory().unwrap();
        let job = job(&store);
        assert!(store.set_job_paused(&job.id, true, T0 + 100).unwrap());
        assert!(store.set_job_paused(&job.id, false, T0 + 5000).unwrap());
        // What passed while paused is not planned on resume.
        assert_eq!(
            store.job(&job.id).unwrap().unwrap().checked_until,
            T0 + 5000
        );
        let manual = store
            .queue_run_now(&job.id, Trigger::Manual, T0 + 5001)
            .unwrap()
            .unwrap();
        assert_eq!(
            (manual.trigger, manual.scheduled_for),
            (Trigger::Manual, None)
        );
        let second = store
            .queue_run_now(&job.id, Trigger::Manual, T0 + 5002)
            .unwrap()
            .unwrap();
        assert_ne!(manual.id, second.id);
        let renamed = NewJob {
            name: "brief".to_owned(),
            prompt: "brief me".to_owned(),
            schedule: "every 1h".to_owned(),
            options: serde_json::json!({}),
        };
        let updated = store
            .update_job(&job.id, &renamed, T0 + 6000)
            .unwrap()
            .unwrap();
        assert_eq!(
            (updated.anchor, updated.checked_until),
            (T0 + 6000, T0 + 6000)
        );
        assert!(store.delete_job(&job.id, T0 + 7000).unwrap());
        assert!(store.job(&job.id).unwrap().is_none());
        let runs = store.runs(Some(&job.id), 10).unwrap();
        assert!(
            runs.iter().all(|r| r.status == RunStatus::Cancelled),
            "{runs:?}"
        );
        assert!(
            store
                .queue_run_now(&job.id, Trigger::Manual, T0 + 7001)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn pruning_keeps_the_newest_runs_of_each_job_and_every_unended_one() {
        let store = Store::in_memory().unwrap();
        let job = job(&store);
        let planned: Vec<Planned> = (1..=10)
            .map(|n| plan(T0 + n * 60, RunStatus::Missed))
            .collect();
        store
            .plan_runs(&job.id, &planned, T0 + 600, T0 + 600)
            .unwrap();
        store
            .queue_run_now(&job.id, Trigger::Manual, T0 + 601)
            .unwrap();
        assert_eq!(store.prune_runs(3, T0 + 700).unwrap(), 7);
        let left = store.runs(Some(&job.id), 100).unwrap();
        assert_eq!(left.len(), 4);
        assert_eq!(left[0].status, RunStatus::Queued);
    }

    #[test]
    fn runs_are_searched_by_status_and_by_words_of_output_reason_or_job_name() {
        let store = Store::in_memory().unwrap();
        let brief = job(&store);
        let kettle = store
            .create_job(
                &NewJob {
                    name: "水壶 price".to_owned(),
                    prompt: "check the kettle".to_owned(),
                    schedule: "every 1h".to_owned(),
                    options: serde_json::json!({}),
                },
                T0,
            )
            .unwrap();
        let end = |run: &Run, status: RunStatus, reason: Option<&str>, output: Option<&str>| {
            let end = RunEnd {
                status,
                reason: reason.map(str::to_owned),
                input_tokens: 0,
                output_tokens: 0,
                cost_usd: None,
                output: output.map(str::to_owned),
            };
            assert!(store.end_run(&run.id, &end, T0 + 10).unwrap());
        };
        let queue = |job: &Job| {
            store
                .queue_run_now(&job.id, Trigger::Manual, T0 + 1)
                .unwrap()
                .unwrap()
        };
        let ok = queue(&brief);
        end(
            &ok,
            RunStatus::Succeeded,
            None,
            Some("Rain at 50% tomorrow_"),
        );
        let stopped = queue(&kettle);
        end(
            &stopped,
            RunStatus::Cancelled,
            Some("stopped by the user"),
            None,
        );
        let waiting = queue(&kettle);

        let ids =
            |runs: Vec<(Run, String)>| runs.into_iter().map(|(r, _)| r.id).collect::<Vec<_>>();
        // Everything, newest first, with the job's name.
        let all = store.search_runs(None, &[], "", 10).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].0.id, waiting.id);
        assert_eq!(all[0].1, "水壶 price");
        assert_eq!(all[2].1, "brief");
        assert_eq!(
            ids(store.search_runs(Some(&kettle.id), &[], "", 10).unwrap()),
            [waiting.id.as_str(), stopped.id.as_str()]
        );
        assert_eq!(
            ids(store
                .search_runs(None, &[RunStatus::Cancelled, RunStatus::Failed], "", 10)
                .unwrap()),
            [stopped.id.as_str()]
        );
        // Words of the output, the reason or the job's name; case aside; one CJK character.
        assert_eq!(
            ids(store.search_runs(None, &[], "RAIN", 10).unwrap()),
            [ok.id.as_str()]
        );
        assert_eq!(
            ids(store.search_runs(None, &[], "by the user", 10).unwrap()),
            [stopped.id.as_str()]
        );
        assert_eq!(
            ids(store.search_runs(None, &[], "壶", 10).unwrap()),
            [waiting.id.as_str(), stopped.id.as_str()]
        );
        assert_eq!(
            ids(store
                .search_runs(None, &[RunStatus::Queued], "壶", 10)
                .unwrap()),
            [waiting.id.as_str()]
        );
        // LIKE's wildcards are plain characters here.
        assert_eq!(
            ids(store.search_runs(None, &[], "50%", 10).unwrap()),
            [ok.id.as_str()]
        );
        assert_eq!(
            ids(store.search_runs(None, &[], "w_", 10).unwrap()),
            [ok.id.as_str()]
        );
        assert!(store.search_runs(None, &[], "%%", 10).unwrap().is_empty());
        assert_eq!(store.search_runs(None, &[], "_", 10).unwrap().len(), 1);
        assert_eq!(store.search_runs(None, &[], "", 1).unwrap().len(), 1);
        // A deleted job's runs keep its name.
        store.delete_job(&brief.id, T0 + 20).unwrap();
        assert_eq!(
            store.search_runs(None, &[], "rain", 10).unwrap()[0].1,
            "brief"
        );
    }
}
