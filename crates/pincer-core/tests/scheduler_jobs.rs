//! What a job's options do to its runs, against a real engine and store and a scripted
//! model, the wall clock injected: a run that needs an approval waits for it (and says so)
//! and goes on when answered; a job's allowed tools run without asking; spend caps stop a
//! run before the request that would pass them; a reminder is delivered as written with no
//! model asked; a running run is cancelled at once; the `schedule` tool makes a job from the
//! model's call and answers with its next run; a quiet heartbeat costs one request and
//! leaves no trace.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{FAST, Harness};
use pincer_core::agent::ApprovalMode;
use pincer_core::clock::{ManualWallClock, WallClock};
use pincer_core::protocol::{
    ApprovalDecision, Event, FailureKind, JobOp, Op, SessionEvent, Submission,
};
use pincer_core::scheduler::runner::{Runner, RunnerOptions};
use pincer_core::store::{NewJob, Run, RunStatus, Trigger};
use pincer_testkit::{Reply, ScriptedLlm};
use tokio::sync::broadcast;

/// 2026-12-07T08:00:00Z.
const T0: i64 = 1_796_630_400;

struct Setup {
    llm: ScriptedLlm,
    h: Harness,
    runner: Arc<Runner>,
}

async fn setup(config: &str) -> Setup {
    let llm = ScriptedLlm::start().await;
    let h = Harness::with_config(&llm, "openai", config, ApprovalMode::Deny);
    let clock = Arc::new(ManualWallClock::at(T0));
    h.engine
        .use_wall_clock(Arc::clone(&clock) as Arc<dyn WallClock>);
    let runner = Runner::new(
        h.engine.clone(),
        clock as Arc<dyn WallClock>,
        RunnerOptions {
            concurrency: 2,
            owner: "engine-test".to_owned(),
            ..RunnerOptions::default()
        },
    );
    Setup { llm, h, runner }
}

impl Setup {
    /// Makes a job with `options` and starts a run of it now; returns the run.
    fn run_now(&self, prompt: &str, options: serde_json::Value) -> Run {
        let store = self.h.engine.store();
        let job = store
            .create_job(
                &NewJob {
                    name: "Notes".to_owned(),
                    prompt: prompt.to_owned(),
                    schedule: "every 1d".to_owned(),
                    options,
                },
                T0,
            )
            .unwrap();
        let queued = store
            .queue_run_now(&job.id, Trigger::Manual, T0)
            .unwrap()
            .unwrap();
        let started = self.runner.tick().unwrap();
        assert_eq!(started[0].id, queued.id);
        queued
    }

    async fn ended(&self, id: &str) -> Run {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let run = self.h.engine.store().run(id).unwrap().unwrap();
            if run.status.is_final() {
                return run;
            }
            assert!(Instant::now() < deadline, "run still {:?}", run.status);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The next event of `session` that `pick` accepts (at most 10 s).
async fn next_in<T>(
    events: &mut broadcast::Receiver<SessionEvent>,
    session: &str,
    pick: impl Fn(&Event) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("the event within 10 s")
            .unwrap();
        if event.session == session
            && let Some(found) = pick(&event.event)
        {
            return found;
        }
    }
}

fn status_update(event: &Event) -> Option<RunStatus> {
    match event {
        Event::RunUpdated { run, .. } => Some(run.status),
        _ => None,
    }
}

#[tokio::test]
async fn a_run_that_needs_an_approval_waits_for_it_says_so_and_goes_on_when_answered() {
    let s = setup(FAST).await;
    let mut events = s.h.engine.subscribe();
    s.llm.push(Reply::tool_call(
        "c1",
        "write_file",
        r#"{"path":"prices.txt","content":"kettle 39"}"#,
    ));
    s.llm.push(Reply::text("Saved the price."));
    let run = s.run_now(
        "Write the kettle's price to prices.txt",
        serde_json::json!({}),
    );
    assert_eq!(
        next_in(&mut events, &run.id, status_update).await,
        RunStatus::Running
    );
    let call_id = next_in(&mut events, &run.id, |e| match e {
        Event::ApprovalRequested { call_id, .. } => Some(call_id.clone()),
        _ => None,
    })
    .await;
    // The ledger and every surface hear that it waits.
    let waiting = next_in(&mut events, &run.id, |e| match e {
        Event::RunUpdated { run, job_name, .. } => Some((run.status, job_name.clone())),
        _ => None,
    })
    .await;
    assert_eq!(waiting, (RunStatus::WaitingApproval, "Notes".to_owned()));
    assert_eq!(
        s.h.engine.store().run(&run.id).unwrap().unwrap().status,
        RunStatus::WaitingApproval
    );
    // Nothing was written while it waited.
    let file = s.h.home.path().join("workspace/prices.txt");
    assert!(!file.exists());

    s.h.engine
        .submit(Submission::fresh(Op::Approve {
            session: run.id.clone(),
            call_id,
            decision: ApprovalDecision::Once,
        }))
        .unwrap();
    let done = s.ended(&run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:?}");
    assert_eq!(done.output.as_deref(), Some("Saved the price."));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "kettle 39");
    assert_eq!(
        next_in(&mut events, &run.id, |e| status_update(e)
            .filter(|s| s.is_final()))
        .await,
        RunStatus::Succeeded
    );
}

#[tokio::test]
async fn a_jobs_allowed_tools_run_unasked_and_with_deny_the_rest_is_refused() {
    let s = setup(FAST).await;
    s.llm.push(Reply::tool_call(
        "c1",
        "write_file",
        r#"{"path":"a.txt","content":"allowed"}"#,
    ));
    s.llm.push(Reply::text("Done."));
    let run = s.run_now(
        "Write a.txt",
        serde_json::json!({"approvals": {"allow": ["write_file"]}}),
    );
    assert_eq!(s.ended(&run.id).await.status, RunStatus::Succeeded);
    let workspace = s.h.home.path().join("workspace");
    assert_eq!(
        std::fs::read_to_string(workspace.join("a.txt")).unwrap(),
        "allowed"
    );

    s.llm.push(Reply::tool_call(
        "c2",
        "write_file",
        r#"{"path":"b.txt","content":"refused"}"#,
    ));
    s.llm.push(Reply::text("I could not write it."));
    let run = s.run_now(
        "Write b.txt",
        serde_json::json!({"approvals": {"mode": "deny", "allow": ["exec"]}}),
    );
    let done = s.ended(&run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{done:?}");
    assert!(!workspace.join("b.txt").exists());
    // The model was told why.
    let last = s.llm.requests().last().unwrap().raw_body.clone();
    assert!(last.contains("approvals are set to deny"), "{last}");
}

/// `scripted-model` costs $1 per million input tokens and $10 per million output tokens.
const PRICED: &str = "[pricing.scripted-model]\ninput = 1.0\noutput = 10.0\n";

#[tokio::test]
async fn a_job_spend_cap_stops_the_run_before_the_request_that_would_pass_it() {
    let s = setup(&format!("{FAST}{PRICED}")).await;
    // The first request costs $0.20: the cap ($0.10) is passed, so no second is sent.
    s.llm
        .push(Reply::tool_call("c1", "list_dir", r#"{"path":"."}"#).usage(100_000, 0, 10_000));
    let run = s.run_now(
        "Look around",
        serde_json::json!({"spend_cap_usd": 0.10, "approvals": {"allow": ["list_dir"]}}),
    );
    let done = s.ended(&run.id).await;
    assert_eq!(done.status, RunStatus::Failed, "{done:?}");
    let reason = done.reason.unwrap();
    assert!(
        reason.contains("$0.2000") && reason.contains("$0.10 cap"),
        "{reason}"
    );
    assert_eq!(s.llm.requests().len(), 1);
    // Its cost and tokens are the job's.
    assert!(
        (done.cost_usd.unwrap() - 0.2).abs() < 1e-9,
        "{:?}",
        done.cost_usd
    );
    assert_eq!((done.input_tokens, done.output_tokens), (100_000, 10_000));
    let failure = s.h.engine.store().turn_ends(&run.id).unwrap();
    assert_eq!(
        failure.last().unwrap().failure_kind,
        Some(FailureKind::SpendCap)
    );
}

#[tokio::test]
async fn the_days_cap_across_background_runs_stops_the_next_run() {
    let s = setup(&format!(
        "{FAST}{PRICED}[scheduler]\ndaily_spend_usd = 0.05\n"
    ))
    .await;
    s.llm
        .push(Reply::text("Spent six cents.").usage(10_000, 0, 5_000));
    let first = s.run_now("First", serde_json::json!({}));
    let first = s.ended(&first.id).await;
    assert_eq!(first.status, RunStatus::Succeeded);
    assert!((first.cost_usd.unwrap() - 0.06).abs() < 1e-9);

    let second = s.run_now("Second", serde_json::json!({}));
    let second = s.ended(&second.id).await;
    assert_eq!(second.status, RunStatus::Failed, "{second:?}");
    assert!(
        second.reason.as_deref().unwrap().contains("daily cap"),
        "{second:?}"
    );
    assert_eq!(s.llm.requests().len(), 1);
    // A chat turn is not background work: the cap does not touch it.
    s.llm.push(Reply::text("Hello!"));
    let mut events = s.h.engine.subscribe();
    s.h.engine.session("chat").user_turn("hi").unwrap();
    let end = next_in(&mut events, "chat", |e| e.ends_turn().then(|| e.clone())).await;
    assert!(matches!(end, Event::TurnCompleted { .. }), "{end:?}");
}

#[tokio::test]
async fn a_reminder_is_delivered_as_written_without_asking_a_model() {
    let s = setup(FAST).await;
    let mut events = s.h.engine.subscribe();
    let run = s.run_now("Call Ana", serde_json::json!({"kind": "reminder"}));
    let done = s.ended(&run.id).await;
    assert_eq!(done.status, RunStatus::Succeeded);
    assert_eq!(done.output.as_deref(), Some("Call Ana"));
    assert!(s.llm.requests().is_empty());
    let (status, delivery) = next_in(&mut events, &run.id, |e| match e {
        Event::RunUpdated { run, delivery, .. } => Some((run.status, *delivery)),
        _ => None,
    })
    .await;
    assert_eq!(status, RunStatus::Succeeded);
    assert_eq!(delivery, pincer_core::scheduler::Delivery::Notify);
}

#[tokio::test]
async fn cancelling_a_run_stops_its_model_request_at_once_and_a_queued_one_never_starts() {
    let s = setup(FAST).await;
    s.llm
        .push(Reply::text("slow answer").delay(Duration::from_secs(8)));
    let run = s.run_now("Take your time", serde_json::json!({}));
    // Wait until the request is out.
    let deadline = Instant::now() + Duration::from_secs(5);
    while s.llm.requests().is_empty() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let asked = Instant::now();
    s.h.engine
        .submit(Submission::fresh(Op::Job {
            change: JobOp::CancelRun {
                run: run.id.clone(),
            },
        }))
        .unwrap();
    let done = s.ended(&run.id).await;
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(done.status, RunStatus::Cancelled);
    assert_eq!(done.reason.as_deref(), Some("stopped by the user"));

    let store = s.h.engine.store();
    let queued = store
        .queue_run_now(&run.job_id, Trigger::Manual, T0)
        .unwrap()
        .unwrap();
    s.h.engine
        .submit(Submission::fresh(Op::Job {
            change: JobOp::CancelRun {
                run: queued.id.clone(),
            },
        }))
        .unwrap();
    let gone = store.run(&queued.id).unwrap().unwrap();
    assert_eq!(gone.status, RunStatus::Cancelled);
    assert!(s.runner.tick().unwrap().is_empty());
    let again =
        s.h.engine
            .submit(Submission::fresh(Op::Job {
                change: JobOp::CancelRun { run: queued.id },
            }))
            .unwrap_err();
    assert!(again.message.contains("already ended"), "{}", again.message);
}

#[tokio::test]
async fn the_schedule_tool_makes_a_job_from_the_models_call_and_answers_with_its_next_run() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Ask);
    let clock = Arc::new(ManualWallClock::at(T0));
    h.engine
        .use_wall_clock(Arc::clone(&clock) as Arc<dyn WallClock>);
    llm.push(Reply::tool_call(
        "c1",
        "use_tool",
        r#"{"name":"schedule","arguments":{"action":"create","name":"Call Ana","prompt":"Call Ana","schedule":"in 20m","reminder":true}}"#,
    ));
    llm.push(Reply::text("Done: I will remind you at 08:20 UTC."));
    h.engine
        .session("chat")
        .user_turn("in 20 minutes remind me to call Ana")
        .unwrap();
    // Making a job is the user's decision: it is asked, in words.
    let summary = next_in(&mut h.events, "chat", |e| match e {
        Event::ApprovalRequested {
            summary, call_id, ..
        } => Some((summary.clone(), call_id.clone())),
        _ => None,
    })
    .await;
    assert!(
        summary.0.contains("create a reminder \"Call Ana\"")
            && summary.0.contains("once at Mon 7 Dec 2026 08:20 UTC"),
        "{}",
        summary.0
    );
    h.engine
        .submit(Submission::fresh(Op::Approve {
            session: "chat".to_owned(),
            call_id: summary.1,
            decision: ApprovalDecision::Once,
        }))
        .unwrap();
    let output = next_in(&mut h.events, "chat", |e| match e {
        Event::ToolCallFinished { output, .. } => Some(output.clone()),
        _ => None,
    })
    .await;
    assert!(
        output.starts_with("reminder job-") && output.contains("once at Mon 7 Dec 2026 08:20 UTC"),
        "{output}"
    );
    // The model was given the job in words, to tell the user.
    let _ = next_in(&mut h.events, "chat", |e| e.ends_turn().then_some(())).await;
    let second = &llm.requests()[1].raw_body;
    assert!(
        second.contains("once at Mon 7 Dec 2026 08:20 UTC"),
        "{second}"
    );
    let jobs = h.engine.store().jobs().unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].schedule, "at 2026-12-07T08:20:00Z");
    assert_eq!(jobs[0].options["kind"], "reminder");

    // Listing asks nobody.
    llm.push(Reply::tool_call(
        "c2",
        "use_tool",
        r#"{"name":"schedule","arguments":{"action":"list"}}"#,
    ));
    llm.push(Reply::text("You have one reminder."));
    h.engine
        .session("chat")
        .user_turn("what is scheduled?")
        .unwrap();
    let listed = next_in(&mut h.events, "chat", |e| match e {
        Event::ApprovalRequested { .. } => Some(None),
        Event::ToolCallFinished { output, .. } => Some(Some(output.clone())),
        _ => None,
    })
    .await
    .expect("listing needs no approval");
    assert!(listed.contains("Call Ana"), "{listed}");
    let _ = next_in(&mut h.events, "chat", |e| e.ends_turn().then_some(())).await;
}

#[tokio::test]
async fn a_quiet_heartbeat_costs_one_request_and_leaves_no_trace_and_a_finding_is_delivered() {
    let s = setup(&format!(
        "{FAST}{PRICED}[heartbeat]\nenabled = true\nevery = \"30m\"\n"
    ))
    .await;
    let store = s.h.engine.store();
    // Something private in the main conversation, which the check-in must not see.
    s.llm.push(Reply::text("Noted."));
    let mut events = s.h.engine.subscribe();
    s.h.engine
        .session("main")
        .user_turn("my kettle budget is 35 euros, keep it secret")
        .unwrap();
    let _ = next_in(&mut events, "main", |e| e.ends_turn().then_some(())).await;
    std::fs::write(
        s.h.home.path().join("HEARTBEAT.md"),
        "- Is the blue kettle under 30 euros on the shop page?",
    )
    .unwrap();

    // The config makes the job; nothing is due yet.
    assert!(s.runner.tick().unwrap().is_empty());
    let job = pincer_core::scheduler::heartbeat::job(store)
        .unwrap()
        .unwrap();
    assert_eq!(job.schedule, "every 30m");

    let advance = |secs: i64| {
        let clock = Arc::new(ManualWallClock::at(secs));
        s.h.engine
            .use_wall_clock(Arc::clone(&clock) as Arc<dyn WallClock>);
        Runner::new(
            s.h.engine.clone(),
            clock as Arc<dyn WallClock>,
            RunnerOptions {
                owner: "engine-test".to_owned(),
                ..RunnerOptions::default()
            },
        )
    };
    let runner = advance(T0 + 30 * 60 + 1);
    s.llm.push(Reply::text("HEARTBEAT_OK").usage(300, 0, 4));
    let started = runner.tick().unwrap();
    assert_eq!(started.len(), 1, "{started:?}");
    let quiet = s.ended(&started[0].id).await;
    assert_eq!(quiet.status, RunStatus::Succeeded, "{quiet:?}");
    assert_eq!(quiet.reason.as_deref(), Some("nothing to do"));
    assert_eq!(quiet.output, None);
    assert_eq!(quiet.input_tokens, 300, "its cost is the heartbeat's");
    // One request, with the checklist and none of the main conversation.
    assert_eq!(s.llm.requests().len(), 2);
    let asked = &s.llm.requests()[1].raw_body;
    assert!(asked.contains("blue kettle under 30 euros"), "{asked}");
    assert!(!asked.contains("35 euros"), "{asked}");
    // No trace: its session is gone.
    assert!(store.messages(&quiet.id).unwrap().is_empty());
    let delivery = next_in(&mut events, &quiet.id, |e| match e {
        Event::RunUpdated { run, delivery, .. } if run.status.is_final() => Some(*delivery),
        _ => None,
    })
    .await;
    assert_eq!(delivery, pincer_core::scheduler::Delivery::None);

    // Half an hour later something needs the user: it is delivered and kept.
    let runner = advance(T0 + 60 * 60 + 1);
    s.llm.push(Reply::text("The blue kettle is 29 euros now."));
    let started = runner.tick().unwrap();
    let found = s.ended(&started[0].id).await;
    assert_eq!(
        found.output.as_deref(),
        Some("The blue kettle is 29 euros now.")
    );
    let delivery = next_in(&mut events, &found.id, |e| match e {
        Event::RunUpdated { run, delivery, .. } if run.status.is_final() => Some(*delivery),
        _ => None,
    })
    .await;
    assert_eq!(delivery, pincer_core::scheduler::Delivery::Notify);
    assert!(!store.messages(&found.id).unwrap().is_empty());
}
