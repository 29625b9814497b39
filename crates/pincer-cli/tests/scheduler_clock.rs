//! The scheduler of a running `pincer daemon` against its real wall clock, moved under it
//! with libfaketime (Debian's `faketime` package): a simulated suspend (the process stopped
//! with SIGSTOP while its clock moves on, then SIGCONT) and the clock set forward and back
//! while it runs. The daemon reads the faked time through `SystemTime::now`, as it reads
//! the real one; its monotonic clock (tokio's timers) is left alone, so only the runner's
//! look at the wall clock at least every 60 s can notice the change — nothing in Pincer
//! is mocked or told.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{Daemon, scripted_provider_config};
use nix::sys::signal::{Signal, kill};
use pincer_testkit::{Reply, ScriptedLlm};
use serde_json::Value;

const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
/// The runner looks at the wall clock at least this often (scheduler/runner.rs): the bound
/// the issue sets for noticing a suspend or a clock change.
const CHECK_EVERY: Duration = Duration::from_secs(60);
/// For polling the ledger with a CLI process on a busy two-core machine.
const SLACK: Duration = Duration::from_secs(5);
/// The same bound on the daemon's own clock, which the ledger records in whole seconds:
/// set from a whole second, it may read up to a second more than the time that passed.
const CHECK_EVERY_SECS: i64 = 60 + 1;

/// Debian's libfaketime, the variant for threaded programs; fails, saying how to install
/// it, when it is missing (the tests would prove nothing without it).
fn libfaketime() -> PathBuf {
    let candidates = [
        format!(
            "/usr/lib/{}-linux-gnu/faketime/libfaketimeMT.so.1",
            std::env::consts::ARCH
        ),
        "/usr/lib/faketime/libfaketimeMT.so.1".to_owned(),
        "/usr/local/lib/faketime/libfaketimeMT.so.1".to_owned(),
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
        .unwrap_or_else(|| {
            panic!(
                "libfaketime is not installed (looked for {candidates:?}); these tests move \
                 the daemon's wall clock with it: `apt-get install faketime` (scripts/test.sh \
                 installs it)"
            )
        })
}

fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The daemon's wall clock: the real one plus an offset in a file that libfaketime reads
/// at every look, so the test can set it while the daemon runs (or is stopped).
struct FakeClock {
    file: PathBuf,
}

impl FakeClock {
    /// A clock that reads `offset` seconds from the real one.
    fn new(dir: &Path, offset: i64) -> Self {
        let clock = Self {
            file: dir.join("faketime.rc"),
        };
        clock.write(offset);
        clock
    }

    /// `command` runs on this clock.
    fn apply(&self, command: &mut Command) {
        command
            .env("LD_PRELOAD", libfaketime())
            .env("FAKETIME_TIMESTAMP_FILE", &self.file)
            // Read the file at every look, so a change takes at once.
            .env("FAKETIME_NO_CACHE", "1")
            // Timers keep counting real time, as they do when the clock is set; in a real
            // suspend they stop, which a SIGSTOP short enough for no timer to expire shows.
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    }

    /// From now on the daemon's clock reads `unix` (seconds), and runs on from there.
    fn set(&self, unix: i64) {
        self.write(unix - real_now());
    }

    /// What the daemon's clock reads now (to the second).
    fn now(&self) -> i64 {
        let text = std::fs::read_to_string(&self.file).unwrap();
        real_now() + text.trim().parse::<i64>().unwrap()
    }

    fn write(&self, offset: i64) {
        // Renamed into place: the daemon never reads a half-written file.
        let next = self.file.with_extension("next");
        std::fs::write(&next, format!("{offset:+}\n")).unwrap();
        std::fs::rename(&next, &self.file).unwrap();
    }
}

/// A daemon on a faked clock with a scripted model that answers "done" to every request.
/// (Field order is drop order: the daemon goes first.)
struct Setup {
    daemon: Daemon,
    clock: FakeClock,
    llm: ScriptedLlm,
    home: tempfile::TempDir,
}

impl Setup {
    fn start() -> Self {
        let llm = ScriptedLlm::start_in_background();
        llm.answer_system_prefix("", Reply::text("done"));
        let home = tempfile::tempdir().unwrap();
        scripted_provider_config(
            home.path(),
            &llm.base_url(),
            "\n[retry]\nmax_attempts = 1\n",
        );
        // A day behind the real clock, so the job's times show whose clock stamped them.
        let clock = FakeClock::new(home.path(), -DAY);
        let mut command = common::pincer_alone(home.path(), &["daemon", "--listen", "127.0.0.1:0"]);
        clock.apply(&mut command);
        let daemon = Daemon::spawn(command);
        Self {
            daemon,
            clock,
            llm,
            home,
        }
    }

    /// `pincer …` (not on the faked clock: changes go to the daemon, which stamps them).
    fn pincer(&self, args: &[&str]) -> String {
        let out = common::pincer_alone(self.home.path(), args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pincer {args:?}: {}",
            common::text(&out.stderr)
        );
        common::text(&out.stdout)
    }

    /// Adds an hourly job with `options` through the daemon; its id and anchor (the
    /// daemon's time when it was added: its instants are the anchor plus whole hours).
    fn add_hourly(&self, options: &[&str]) -> (String, i64) {
        let mut args = vec!["tasks", "add", "--schedule", "every 1h", "--name", "hourly"];
        args.extend_from_slice(options);
        args.push("Say done");
        let out = self.pincer(&args);
        let id = out.split_whitespace().next().unwrap().to_owned();
        assert!(id.starts_with("job-"), "{out}");
        let shown: Value =
            serde_json::from_str(&self.pincer(&["tasks", "show", &id, "--json"])).unwrap();
        let anchor = shown["job"]["job"]["anchor"].as_i64().unwrap();
        assert!(
            (anchor - (real_now() - DAY)).abs() < 60,
            "the job was stamped {} s from the real time, not a day behind it: the daemon does \
             not run on the faked clock (libfaketime not preloaded?); its stderr: {}",
            anchor - real_now(),
            self.daemon.stderr()
        );
        (id, anchor)
    }

    /// The job's ledger (`pincer tasks runs JOB --json`), each row as "+Nh trigger status"
    /// (N hours after the anchor), oldest instant first, then the runs now ("- manual …")
    /// in the order they were asked for.
    fn ledger(&self, job: &str, anchor: i64) -> (Vec<String>, Vec<Value>) {
        let mut runs: Vec<Value> =
            serde_json::from_str(&self.pincer(&["tasks", "runs", job, "--json"])).unwrap();
        runs.sort_by_key(|run| {
            (
                run["scheduled_for"].as_i64().unwrap_or(i64::MAX),
                run["queued_at"].as_i64(),
            )
        });
        let rows = runs
            .iter()
            .map(|run| {
                let at = match run["scheduled_for"].as_i64() {
                    Some(at) if (at - anchor) % HOUR == 0 => format!("+{}h", (at - anchor) / HOUR),
                    Some(at) => format!("+{}s", at - anchor),
                    None => "-".to_owned(),
                };
                format!(
                    "{at} {} {}",
                    run["trigger"].as_str().unwrap(),
                    run["status"].as_str().unwrap()
                )
            })
            .collect();
        (rows, runs)
    }

    /// Polls the ledger until `done` says so; how long that took. Fails after `within`,
    /// showing the ledger and the daemon's stderr.
    fn wait_for(
        &self,
        what: &str,
        job: &str,
        anchor: i64,
        within: Duration,
        done: impl Fn(&[String]) -> bool,
    ) -> Duration {
        let start = Instant::now();
        loop {
            let (rows, _) = self.ledger(job, anchor);
            if done(&rows) {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "{what}: not within {within:?}; the ledger: {rows:#?}; the daemon's stderr: {}",
                self.daemon.stderr()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// The issue's "a simulated suspend (process stopped with SIGSTOP, clock moved, SIGCONT)
/// fires the due job once within 60 s of resume": an hourly job that runs only the latest
/// missed instant; the daemon sleeps through two of them.
#[test]
fn a_suspended_daemon_runs_the_due_job_once_within_a_minute_of_resuming() {
    let t = Setup::start();
    let (id, anchor) = t.add_hourly(&["--missed", "once", "--lateness", "7200"]);
    // Adding the job woke the runner, which looked and sleeps now (the next instant is an
    // hour away): close to a whole check interval passes before it looks again.
    kill(t.daemon.pid(), Signal::SIGSTOP).unwrap();
    // Asleep for two hours and five minutes: the instants at +1 h and +2 h pass.
    let resumed_at = anchor + 2 * HOUR + 5 * 60;
    t.clock.set(resumed_at);
    kill(t.daemon.pid(), Signal::SIGCONT).unwrap();

    let fired = t.wait_for(
        "the instants passed in the suspend are planned",
        &id,
        anchor,
        CHECK_EVERY + SLACK,
        |rows| !rows.is_empty(),
    );
    t.wait_for(
        "the catch-up run ends",
        &id,
        anchor,
        Duration::from_secs(15),
        |rows| {
            rows.iter()
                .all(|row| !row.ends_with(" queued") && !row.ends_with(" running"))
        },
    );
    let (rows, runs) = t.ledger(&id, anchor);
    assert_eq!(rows, ["+1h schedule skipped", "+2h catch_up succeeded"]);
    assert!(
        runs[0]["reason"]
            .as_str()
            .unwrap()
            .contains("the job runs only the latest missed run"),
        "{runs:#?}"
    );
    assert_eq!(runs[1]["output"], "done");
    // It started within a minute of resuming, by the daemon's own clock.
    let started = runs[1]["started_at"].as_i64().unwrap();
    assert!(
        (resumed_at..=resumed_at + CHECK_EVERY_SECS).contains(&started),
        "started {} s after resuming",
        started - resumed_at
    );
    eprintln!(
        "the due job started {} s after the daemon resumed, by its clock (seen {fired:?} after SIGCONT)",
        started - resumed_at
    );
    assert_eq!(t.llm.requests().len(), 1, "one run, one model request");
    assert!(t.daemon.terminate().success());
}

/// The wall clock set forward while the daemon runs (the user, an NTP correction): the
/// instants it passed are recorded by the job's policy and the ones it runs run once; then
/// set back before the newest instant that ran, so the clock passes it a second time:
/// nothing runs again, while the daemon goes on working (a run now still runs).
#[test]
fn a_wall_clock_set_forward_records_missed_runs_by_policy_and_set_back_reruns_nothing() {
    let t = Setup::start();
    // The latest two missed instants run; a missed instant more than 3 h late never does.
    let (id, anchor) = t.add_hourly(&["--missed", "each:2", "--lateness", "10800"]);
    // Four hours and five minutes forward: the instants at +1 h … +4 h pass.
    let set_at = anchor + 4 * HOUR + 5 * 60;
    t.clock.set(set_at);
    let noticed = t.wait_for(
        "the instants the clock jumped over are planned",
        &id,
        anchor,
        CHECK_EVERY + SLACK,
        |rows| !rows.is_empty(),
    );
    t.wait_for(
        "the catch-up runs end",
        &id,
        anchor,
        Duration::from_secs(15),
        |rows| {
            rows.iter()
                .all(|row| !row.ends_with(" queued") && !row.ends_with(" running"))
        },
    );
    let after_forward = [
        "+1h schedule missed",
        "+2h schedule skipped",
        "+3h catch_up succeeded",
        "+4h catch_up succeeded",
    ];
    let (rows, runs) = t.ledger(&id, anchor);
    assert_eq!(rows, after_forward);
    assert!(
        runs[0]["reason"]
            .as_str()
            .unwrap()
            .contains("beyond the job's lateness window"),
        "{runs:#?}"
    );
    assert!(
        runs[1]["reason"]
            .as_str()
            .unwrap()
            .contains("the job runs at most the latest 2 missed runs"),
        "{runs:#?}"
    );
    for run in &runs[2..] {
        let started = run["started_at"].as_i64().unwrap();
        assert!(
            (set_at..=set_at + CHECK_EVERY_SECS).contains(&started),
            "started {} s after the clock was set",
            started - set_at
        );
        assert_eq!(run["output"], "done");
    }
    eprintln!(
        "the clock set forward was noticed {} s later, by the daemon's clock (seen after {noticed:?})",
        runs[2]["started_at"].as_i64().unwrap() - set_at
    );
    assert_eq!(t.llm.requests().len(), 2, "two runs, two model requests");

    // Back to 15 s before the +4 h instant, which has run.
    let newest = anchor + 4 * HOUR;
    t.clock.set(newest - 15);
    // A run now makes the runner look at once; it is claimed at the daemon's time, so its
    // start says when the runner looked. The first look is before the instant …
    let manual = |count: usize| {
        t.pincer(&["tasks", "run", &id]);
        t.wait_for(
            "the run now ends",
            &id,
            anchor,
            Duration::from_secs(15),
            |rows| {
                rows.iter()
                    .filter(|row| row.as_str() == "- manual succeeded")
                    .count()
                    == count
            },
        );
        let (rows, runs) = t.ledger(&id, anchor);
        assert_eq!(rows[..4], after_forward, "nothing scheduled runs again");
        assert_eq!(rows.len(), 4 + count, "{rows:#?}");
        runs.last().unwrap()["started_at"].as_i64().unwrap()
    };
    let looked = manual(1);
    assert!(looked < newest, "{looked} is not before {newest}");
    // … the second once the clock has passed it again (the daemon's clock runs at the
    // real pace: some 15 s).
    while t.clock.now() <= newest + 1 {
        std::thread::sleep(Duration::from_millis(100));
    }
    let looked = manual(2);
    assert!(looked > newest, "{looked} is not after {newest}");
    assert_eq!(
        t.llm.requests().len(),
        4,
        "two catch-up runs and two runs now, no other model request"
    );
    assert!(t.daemon.terminate().success());
}
