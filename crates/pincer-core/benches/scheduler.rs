//! What the scheduler costs (docs/benchmarks.md, "Scheduler"): with 1,000 jobs, one look
//! (`plan_due` + `next_due`, what the runner does at each wake) in CPU time, how often it
//! wakes in a quiet minute, and the memory the jobs take; then the ledger at 100k runs:
//! the queries the surfaces and the runner make.
//!
//! `cargo bench -p pincer-core --bench scheduler` (release). Knobs: `BENCH_JOBS=1000`,
//! `BENCH_RUNS=100000`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/measure.rs"]
mod measure;

use measure::{cpu_ms, percentile};

use pincer_core::scheduler::planner::{next_due, plan_due};
use pincer_core::store::{NewJob, Planned, RunStatus, Store, Trigger};

/// 2026-12-07T00:00:00Z.
const T0: i64 = 1_796_601_600;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let jobs = env("BENCH_JOBS", 1000);
    let runs = env("BENCH_RUNS", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("pincer.db")).unwrap();
    let zones = [
        "Europe/Lisbon",
        "America/New_York",
        "Asia/Shanghai",
        "Australia/Lord_Howe",
    ];
    let before = rss_kb();
    let mut ids = Vec::new();
    for n in 0..jobs {
        // Daily and weekly crons at scattered times, and intervals from 15 minutes up.
        let schedule = match n % 3 {
            0 => format!("cron \"{} {} * * *\" {}", n % 60, n % 24, zones[n % 4]),
            1 => format!(
                "cron \"{} {} * * {}\" {}",
                n % 60,
                (n / 3) % 24,
                n % 7,
                zones[n % 4]
            ),
            _ => format!("every {}m", 15 + n % 240),
        };
        let job = store
            .create_job(
                &NewJob {
                    name: format!("job {n}"),
                    prompt: "check".to_owned(),
                    schedule,
                    options: serde_json::json!({}),
                },
                T0,
            )
            .unwrap();
        ids.push(job.id);
    }
    let after_jobs = rss_kb();

    // A quiet stretch: the runner wakes at each next due instant (or each minute) and
    // looks; count the wakes of a day and time each look.
    let mut now = T0 + 1;
    let end = T0 + 86_400;
    let (mut wakes, mut looks, mut planned) = (0u64, Vec::new(), 0usize);
    while now < end {
        let c = cpu_ms();
        planned += plan_due(&store, now).unwrap().len();
        let next = next_due(&store, now).unwrap();
        looks.push(cpu_ms() - c);
        wakes += 1;
        now = next.map_or(now + 60, |at| at.min(now + 60)).max(now + 1);
    }
    println!("## {jobs} jobs over one day\n");
    println!(
        "- wakes: {wakes} in 1,440 minutes ({:.2} a minute), {planned} runs planned",
        wakes as f64 / 1440.0
    );
    println!(
        "- one look (`plan_due` + `next_due`), CPU ms p50 / p95 / max: {:.2} / {:.2} / {:.2}",
        percentile(&mut looks, 0.5),
        percentile(&mut looks, 0.95),
        percentile(&mut looks, 1.0)
    );
    println!(
        "- busy share of one core: {:.3} %",
        looks.iter().sum::<f64>() / 86_400_000.0 * 100.0
    );
    println!(
        "- RSS: {} KB before the jobs, {} KB after creating them, {} KB after the day",
        before,
        after_jobs,
        rss_kb()
    );

    // The ledger at `runs` rows.
    let per_job = (runs / jobs).max(1);
    for (j, id) in ids.iter().enumerate() {
        let planned: Vec<Planned> = (0..per_job)
            .map(|k| Planned {
                scheduled_for: T0 + 100_000 + (k * 3600 + j) as i64,
                trigger: Trigger::Schedule,
                status: if k % 10 == 0 {
                    RunStatus::Missed
                } else {
                    RunStatus::Queued
                },
                reason: None,
            })
            .collect();
        store
            .plan_runs(id, &planned, T0 + 100_000, T0 + 100_000)
            .unwrap();
    }
    let time = |f: &mut dyn FnMut()| {
        let mut samples = Vec::new();
        for _ in 0..50 {
            let c = cpu_ms();
            f();
            samples.push(cpu_ms() - c);
        }
        format!(
            "{:.2} / {:.2}",
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.95)
        )
    };
    println!("\n## The ledger at {} runs\n", per_job * jobs);
    println!("CPU ms p50 / p95 (50 calls each):\n");
    println!("| query | ms |\n|---|---|");
    println!(
        "| newest 50 runs of all jobs (`runs(None, 50)`) | {} |",
        time(&mut || {
            store.runs(None, 50).unwrap();
        })
    );
    println!(
        "| newest 50 runs of one job | {} |",
        time(&mut || {
            store.runs(Some(&ids[jobs / 2]), 50).unwrap();
        })
    );
    let mut at = T0 + 200_000;
    println!(
        "| claim the next queued run (`claim_run`) | {} |",
        time(&mut || {
            at += 1;
            store.claim_run("bench", at).unwrap();
        })
    );
    println!(
        "| runs of a stopped engine (`mark_lost_runs`) | {} |",
        time(&mut || {
            store.mark_lost_runs("bench", at).unwrap();
        })
    );
    // Before every model request of a background run, with `[scheduler] daily_spend_usd`.
    println!(
        "| what background runs spent today (`background_spend`) | {} |",
        time(&mut || {
            store.background_spend(at - 86_400).unwrap();
        })
    );
    // The Tasks page's history search: words in no run (the whole ledger is read).
    println!(
        "| history search, words found nowhere (`search_runs`, 50) | {} |",
        time(&mut || {
            store.search_runs(None, &[], "kettle", 50).unwrap();
        })
    );
}
