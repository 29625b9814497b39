//! The scheduler's runner against a real engine and store and a scripted model, with the
//! wall clock injected (no real waiting for schedules): a due job runs once as a turn of
//! its own session and the ledger says how it ended; runs a stopped engine left are lost,
//! not rerun; start-up jobs run at start; the concurrency limit holds; a run past its
//! time limit is stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{FAST, Harness};
use pincer_core::agent::ApprovalMode;
use pincer_core::clock::ManualWallClock;
use pincer_core::protocol::{JobOp, Op, OpErrorKind, Reply as OpReply, Submission};
use pincer_core::scheduler::JobInfo;
use pincer_core::scheduler::runner::{Runner, RunnerOptions};
use pincer_core::store::{NewJob, Planned, Run, RunStatus, Trigger};
use pincer_testkit::{Reply, ScriptedLlm};

/// 2026-12-07T08:00:00Z.
const T0: i64 = 1_796_630_400;

fn new_job(schedule: &str, options: serde_json::Value) -> NewJob {
    NewJob {
        name: "brief".to_owned(),
        prompt: "Brief me on the day".to_owned(),
        schedule: schedule.to_owned(),
        options,
    }
}

fn runner(h: &Harness, clock: &Arc<ManualWallClock>, concurrency: usize) -> Arc<Runner> {
    Runner::new(
        h.engine.clone(),
        Arc::clone(clock) as Arc<dyn pincer_core::clock::WallClock>,
        RunnerOptions {
            concurrency,
            owner: "engine-test".to_owned(),
            ..RunnerOptions::default()
        },
    )
}

/// Waits (at most 10 s) until run `id` has ended.
async fn ended(h: &Harness, id: &str) -> Run {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let run = h.engine.store().run(id).unwrap().unwrap();
        if run.status.is_final() {
            return run;
        }
        assert!(Instant::now() < deadline, "run still {:?}", run.status);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_due_job_runs_once_as_a_turn_of_its_own_and_the_ledger_says_how_it_ended() {
    let llm = ScriptedLlm::start().await;
    let h = Harness::new(&llm, ApprovalMode::Deny);
    let clock = Arc::new(ManualWallClock::at(T0));
    let store = h.engine.store();
    let job = store
        .create_job(&new_job("every 20m", serde_json::json!({})), T0)
        .unwrap();
    let runner = runner(&h, &clock, 2);
    assert!(runner.recover().unwrap().is_empty());
    assert!(runner.tick().unwrap().is_empty());

    clock.advance(20 * 60 + 3);
    llm.push(Reply::text("Nothing new today.").usage(120, 0, 6));
    let started = runner.tick().unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].scheduled_for, Some(T0 + 20 * 60));
    assert_eq!(started[0].trigger, Trigger::Schedule);
    let run = ended(&h, &started[0].id).await;
    assert_eq!(run.status, RunStatus::Succeeded, "{run:?}");
    assert_eq!(run.output.as_deref(), Some("Nothing new today."));
    assert_eq!((run.input_tokens, run.output_tokens), (120, 6));
    // The run is a session of its own, with the job's prompt as its message.
    let session = run.session_id.clone().unwrap();
    let messages = store.messages(&session).unwrap();
    assert_eq!(messages[0].message.content, "Brief me on the day");
    // Looking again at the same time runs nothing more.
    assert!(runner.tick().unwrap().is_empty());
    assert_eq!(store.runs(Some(&job.id), 10).unwrap().len(), 1);
    assert_eq!(llm.requests().len(), 1);
}

#[tokio::test]
async fn runs_a_stopped_engine_left_are_lost_and_start_up_jobs_run_at_start() {
    let llm = ScriptedLlm::start().await;
    let h = Harness::new(&llm, ApprovalMode::Deny);
    let clock = Arc::new(ManualWallClock::at(T0));
    let store = h.engine.store();
    let hourly = store
        .create_job(&new_job("every 1h", serde_json::json!({})), T0 - 5400)
        .unwrap();
    store
        .plan_runs(
            &hourly.id,
            &[Planned {
                scheduled_for: T0 - 1800,
                trigger: Trigger::Schedule,
                status: RunStatus::Queued,
                reason: None,
            }],
            T0 - 1800,
            T0 - 1800,
        )
        .unwrap();
    // An engine claimed it, then died mid-run (its next instant is half an hour ahead).
    let cut_off = store.claim_run("engine-dead", T0 - 1790).unwrap().unwrap();
    let at_start = store
        .create_job(&new_job("at startup", serde_json::json!({})), T0)
        .unwrap();

    let runner = runner(&h, &clock, 2);
    let lost = runner.recover().unwrap();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0].id, cut_off.id);
    assert_eq!(
        store.run(&cut_off.id).unwrap().unwrap().status,
        RunStatus::Lost
    );

    llm.push(Reply::text("Started."));
    let started = runner.tick().unwrap();
    assert_eq!(started.len(), 1, "{started:?}");
    assert_eq!(started[0].job_id, at_start.id);
    assert_eq!(started[0].trigger, Trigger::Startup);
    assert_eq!(ended(&h, &started[0].id).await.status, RunStatus::Succeeded);
    // The lost run was not run again.
    assert_eq!(llm.requests().len(), 1);
}

#[tokio::test]
async fn the_concurrency_limit_holds_and_a_run_past_its_time_limit_is_stopped() {
    let llm = ScriptedLlm::start().await;
    let h = Harness::with_config(&llm, "openai", FAST, ApprovalMode::Deny);
    let clock = Arc::new(ManualWallClock::at(T0));
    let store = h.engine.store();
    let slow = store
        .create_job(
            &new_job("every 1h", serde_json::json!({"timeout_secs": 1})),
            T0,
        )
        .unwrap();
    let first = store
        .queue_run_now(&slow.id, Trigger::Manual, T0)
        .unwrap()
        .unwrap();
    let second = store
        .queue_run_now(&slow.id, Trigger::Manual, T0)
        .unwrap()
        .unwrap();
    // The model takes longer than the job allows.
    llm.push(Reply::text("too late").delay(Duration::from_secs(8)));
    llm.push(Reply::text("second"));
    let runner = runner(&h, &clock, 1);
    let started = runner.tick().unwrap();
    assert_eq!(started.len(), 1);
    assert_eq!(started[0].id, first.id);
    assert!(runner.tick().unwrap().is_empty(), "one at a time");
    assert_eq!(
        store.run(&second.id).unwrap().unwrap().status,
        RunStatus::Queued
    );

    let timed_out = ended(&h, &first.id).await;
    assert_eq!(timed_out.status, RunStatus::TimedOut, "{timed_out:?}");
    assert!(timed_out.reason.as_deref().unwrap().contains("time limit"));
    // Room again: the second runs.
    let deadline = Instant::now() + Duration::from_secs(10);
    while runner.tick().unwrap().is_empty()
        && store.run(&second.id).unwrap().unwrap().status == RunStatus::Queued
    {
        assert!(Instant::now() < deadline, "the second run never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let done = ended(&h, &second.id).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:?}");
}

fn job_op(h: &Harness, change: JobOp) -> Result<OpReply, pincer_core::protocol::OpError> {
    h.engine.submit(Submission::fresh(Op::Job { change }))
}

fn info(reply: OpReply) -> JobInfo {
    match reply {
        OpReply::Job { job } => *job,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn jobs_are_made_and_changed_through_the_engine_which_refuses_what_cannot_run() {
    let llm = ScriptedLlm::start().await;
    let h = Harness::new(&llm, ApprovalMode::Deny);
    let clock = Arc::new(ManualWallClock::at(T0));
    h.engine
        .use_wall_clock(Arc::clone(&clock) as Arc<dyn pincer_core::clock::WallClock>);
    let create = |schedule: &str| JobOp::Create {
        name: "Monday brief".to_owned(),
        prompt: "Brief me on the week".to_owned(),
        schedule: schedule.to_owned(),
        options: None,
    };
    let bad = job_op(&h, create("every fortnight")).unwrap_err();
    assert_eq!(bad.kind, OpErrorKind::Invalid);
    assert!(bad.message.contains("every 20m"), "{}", bad.message);
    let no_zone = job_op(&h, create("cron \"0 9 * * MON\"")).unwrap_err();
    assert!(no_zone.message.contains("time zone"), "{}", no_zone.message);

    let made = info(job_op(&h, create("cron \"0 9 * * MON\" Europe/Lisbon")).unwrap());
    // 2026-12-07 is a Monday; at 08:00 UTC (08:00 in Lisbon) the next run is 09:00 today.
    assert_eq!(made.next_run, Some(T0 + 3600));
    assert_eq!(
        made.description,
        "every Monday at 09:00 Europe/Lisbon, next run Mon 7 Dec 09:00"
    );
    let id = made.job.id.clone();

    let paused = info(job_op(&h, JobOp::Pause { id: id.clone() }).unwrap());
    assert!(paused.job.paused && paused.next_run.is_none());
    assert!(paused.description.ends_with("(paused)"));
    let resumed = info(job_op(&h, JobOp::Resume { id: id.clone() }).unwrap());
    assert_eq!(resumed.next_run, Some(T0 + 3600));

    let changed = info(
        job_op(
            &h,
            JobOp::Update {
                id: id.clone(),
                name: None,
                prompt: None,
                schedule: Some("every 2h".to_owned()),
                options: Some(serde_json::json!({"missed": {"policy": "skip"}})),
            },
        )
        .unwrap(),
    );
    assert_eq!(changed.next_run, Some(T0 + 7200));
    assert_eq!(changed.job.name, "Monday brief");
    let bad_options = job_op(
        &h,
        JobOp::Update {
            id: id.clone(),
            name: None,
            prompt: None,
            schedule: None,
            options: Some(serde_json::json!({"missed": {"policy": "sometimes"}})),
        },
    )
    .unwrap_err();
    assert_eq!(bad_options.kind, OpErrorKind::Invalid);

    // Run now, through the runner.
    let queued = match job_op(&h, JobOp::RunNow { id: id.clone() }).unwrap() {
        OpReply::RunQueued { run } => *run,
        other => panic!("{other:?}"),
    };
    llm.push(Reply::text("Here is your week."));
    let runner = runner(&h, &clock, 1);
    let started = runner.tick().unwrap();
    assert_eq!(started[0].id, queued.id);
    assert_eq!(ended(&h, &queued.id).await.status, RunStatus::Succeeded);

    // Paused work (the tray's Pause) plans but starts nothing.
    h.engine
        .submit(Submission::fresh(Op::SetPaused { paused: true }))
        .unwrap();
    job_op(&h, JobOp::RunNow { id: id.clone() }).unwrap();
    assert!(runner.tick().unwrap().is_empty());

    job_op(&h, JobOp::Delete { id: id.clone() }).unwrap();
    let gone = job_op(&h, JobOp::RunNow { id }).unwrap_err();
    assert_eq!(gone.kind, OpErrorKind::NotFound);
}
