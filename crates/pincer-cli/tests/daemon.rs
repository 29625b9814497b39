//! `pincer daemon` and `pincer login` as processes: listening, login links, one daemon per
//! data home, refusing public addresses, and a clean exit on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Daemon, scripted_provider_config};

fn pincer(home: &std::path::Path) -> Command {
    common::pincer_alone(home, &[])
}

fn get(url: &str) -> (u16, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::get(url).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

#[test]
fn daemon_serves_prints_a_login_link_and_stops_on_sigterm() {
    let home = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(home.path());
    assert!(
        daemon.url.starts_with("http://127.0.0.1:"),
        "{}",
        daemon.url
    );
    assert!(
        daemon
            .login_link
            .starts_with(&format!("{}/#login=", daemon.url)),
        "the code travels in the fragment: {}",
        daemon.login_link
    );
    let (status, body) = get(&format!("{}/api/health", daemon.url));
    assert_eq!(status, 200);
    assert!(body.contains("\"service\":\"pincer\""), "{body}");
    // Data needs a login.
    assert_eq!(get(&format!("{}/api/sessions", daemon.url)).0, 401);

    // `pincer login` asks the running daemon for a fresh code.
    let output = pincer(home.path()).arg("login").output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("Log in: {}/#login=", daemon.url)),
        "{stdout}"
    );
    assert!(!stdout.contains(&daemon.login_link), "a new code each time");

    // A second daemon on the same data home is refused and names the first.
    let second = pincer(home.path())
        .args(["daemon", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("already serving this data home") && stderr.contains(&daemon.url),
        "{stderr}"
    );

    let status = daemon.terminate();
    assert!(status.success(), "{status:?}");
    // Once it is gone, `pincer login` says so instead of hanging.
    let output = pincer(home.path()).arg("login").output().unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no Pincer daemon is running"),
        "{output:?}"
    );
}

#[test]
fn daemon_refuses_a_public_address_without_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let output = pincer(home.path())
        .args(["daemon", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--allow-remote"), "{stderr}");
    assert!(
        !home.path().join("gateway.token").exists(),
        "nothing is set up for a refused address"
    );
}

/// Logs a browser in with `code`; returns its cookie header value and key.
fn browser_login(url: &str, code: &str) -> (String, String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{url}/api/login"))
            .json(&serde_json::json!({ "code": code }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let body: serde_json::Value = response.json().await.unwrap();
        (cookie, body["key"].as_str().unwrap().to_owned())
    })
}

/// The status of `GET /api/sessions` as that browser.
fn sessions_status(url: &str, (cookie, key): &(String, String)) -> u16 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        reqwest::Client::new()
            .get(format!("{url}/api/sessions"))
            .header("cookie", cookie)
            .header("x-pincer-key", key)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    })
}

#[test]
fn logout_all_ends_every_browser_login_of_the_running_daemon() {
    let home = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(home.path());
    let code = daemon
        .login_link
        .split("#login=")
        .nth(1)
        .unwrap()
        .to_owned();
    let browser = browser_login(&daemon.url, &code);
    assert_eq!(sessions_status(&daemon.url, &browser), 200);

    // `--all` is not optional: there is no "this browser" on the command line.
    let output = pincer(home.path()).arg("logout").output().unwrap();
    assert!(!output.status.success());
    assert_eq!(sessions_status(&daemon.url, &browser), 200);

    let output = pincer(home.path())
        .args(["logout", "--all"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("Ended 1 browser login of "), "{stdout}");
    assert_eq!(sessions_status(&daemon.url, &browser), 401);
    assert!(daemon.terminate().success());
}

/// A memory change while the daemon runs goes to the daemon's engine (a second engine on
/// the data home would wait for the daemon to stop).
#[test]
fn memory_changes_go_through_the_running_daemon() {
    let home = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(home.path());
    let mut child = pincer(home.path())
        .args(["memory", "add", "我每周六去杭州西湖散步"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "`pincer memory add` waited for the data home instead of asking the daemon"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    assert!(
        status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("saved: mem-"));
    let listed = pincer(home.path())
        .args(["memory", "list", "--json"])
        .output()
        .unwrap();
    let memories: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(memories[0]["content"], "我每周六去杭州西湖散步");
    assert!(daemon.terminate().success());
}

/// Background jobs through the running daemon: added (a schedule that cannot run is
/// refused with what to write), run now by the daemon's scheduler as a turn against the
/// configured model, its end in the ledger; paused and removed.
#[test]
fn tasks_are_added_run_paused_and_removed_through_the_running_daemon() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let llm = runtime.block_on(pincer_testkit::ScriptedLlm::start());
    let home = tempfile::tempdir().unwrap();
    scripted_provider_config(home.path(), &llm.base_url(), "");
    let daemon = Daemon::start(home.path());
    let run = |args: &[&str]| {
        let out = pincer(home.path()).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (ok, _, err) = run(&["tasks", "add", "--schedule", "every fortnight", "x"]);
    assert!(!ok);
    assert!(err.contains("every 20m"), "{err}");

    let (ok, out, err) = run(&[
        "tasks",
        "add",
        "--schedule",
        "every 6h",
        "--name",
        "Price check",
        "Check the price of the blue kettle",
    ]);
    assert!(ok, "{err}");
    assert!(out.starts_with("job-"), "{out}");
    assert!(
        out.contains("Price check") && out.contains("next run"),
        "{out}"
    );
    let id = out.split_whitespace().next().unwrap().to_owned();

    llm.push(pincer_testkit::Reply::text("Still 39 euros."));
    let (ok, out, err) = run(&["tasks", "run", &id]);
    assert!(ok, "{err}");
    assert!(out.starts_with("queued run-"), "{out}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let ran = loop {
        let (_, out, _) = run(&["tasks", "runs", &id, "--json"]);
        let runs: serde_json::Value = serde_json::from_str(&out).unwrap();
        if runs[0]["status"] == "succeeded" {
            break runs[0].clone();
        }
        assert!(Instant::now() < deadline, "the run did not end: {runs}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(ran["output"], "Still 39 euros.");
    assert_eq!(ran["trigger"], "manual");
    let request = &llm.requests()[0].body;
    let last = request["messages"].as_array().unwrap().last().unwrap();
    assert!(
        last["content"]
            .as_str()
            .unwrap()
            .ends_with("Check the price of the blue kettle")
    );

    // A reminder is delivered as written, asking no model; an ended run cannot be cancelled.
    let (ok, out, err) = run(&[
        "tasks",
        "add",
        "--reminder",
        "--schedule",
        "every 1h",
        "--deliver",
        "none",
        "Stretch your legs",
    ]);
    assert!(ok, "{err}");
    let reminder = out.split_whitespace().next().unwrap().to_owned();
    let (ok, out, err) = run(&["tasks", "run", &reminder]);
    assert!(ok, "{err}");
    let run_id = out.split_whitespace().nth(1).unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, out, _) = run(&["tasks", "runs", &reminder, "--json"]);
        let runs: serde_json::Value = serde_json::from_str(&out).unwrap();
        if runs[0]["status"] == "succeeded" {
            assert_eq!(runs[0]["output"], "Stretch your legs");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the reminder did not run: {runs}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(llm.requests().len(), 1, "a reminder asks no model");
    let (ok, _, err) = run(&["tasks", "cancel", &run_id]);
    assert!(!ok && err.contains("already ended"), "{err}");
    let (ok, _, err) = run(&["tasks", "edit", &reminder, "--deliver", "sometimes"]);
    assert!(!ok && err.contains("delivery"), "{err}");
    run(&["tasks", "rm", &reminder]);

    let (ok, out, _) = run(&["tasks", "pause", &id]);
    assert!(ok && out.contains("(paused)"), "{out}");
    let (_, out, _) = run(&["tasks", "list", "--json"]);
    let jobs: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(jobs[0]["job"]["paused"], true);
    assert!(jobs[0]["next_run"].is_null());
    let (ok, out, _) = run(&["tasks", "rm", &id]);
    assert!(ok && out.trim() == "removed", "{out}");
    let (_, out, _) = run(&["tasks", "list", "--json"]);
    assert_eq!(out.trim(), "[]");
    // The ledger keeps the run.
    let (_, out, _) = run(&["tasks", "runs", "--json"]);
    assert!(out.contains("Still 39 euros."));
    assert!(daemon.terminate().success());
}

/// Exactly once under `kill -9`: a job due every second runs against a model that takes a
/// while to answer, and the daemon is killed at eight pseudo-random points and started
/// again. Every scheduled second of the whole time has exactly one ledger row (none lost
/// without a record); no instant is run twice (the model got at most one request per run
/// that was ever claimed); the runs a killed daemon held are marked `lost` by the next
/// start, not run again; a graceful stop records its runs `cancelled`.
#[test]
fn killed_at_random_points_the_daemon_runs_no_job_twice_and_loses_none_silently() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let llm = runtime.block_on(pincer_testkit::ScriptedLlm::start());
    // Every request, whenever it comes: a short answer after a delay, so kills land while
    // runs are in flight.
    llm.answer_system_prefix(
        "",
        pincer_testkit::Reply::text("done").delay(Duration::from_millis(300)),
    );
    let home = tempfile::tempdir().unwrap();
    scripted_provider_config(
        home.path(),
        &llm.base_url(),
        "\n[retry]\nmax_attempts = 1\n",
    );
    let added = pincer(home.path())
        .args([
            "tasks",
            "add",
            "--schedule",
            "cron \"* * * * * *\" UTC",
            "--missed",
            "each:3",
            "--name",
            "tick",
            "Say done",
        ])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut seed: u64 = 0x5EED_1234;
    for _ in 0..8 {
        let daemon = Daemon::start(home.path());
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let alive = 400 + (seed >> 33) % 1600;
        std::thread::sleep(Duration::from_millis(alive));
        daemon.kill();
    }
    // A last start: it marks what the killed one held as lost, and runs on a little.
    let daemon = Daemon::start(home.path());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(daemon.terminate().success());

    let store = rusqlite::Connection::open(home.path().join("pincer.db")).unwrap();
    let (created, checked): (i64, i64) = store
        .query_row("SELECT created_at, checked_until FROM jobs", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let mut instants: Vec<i64> = store
        .prepare("SELECT scheduled_for FROM job_runs WHERE scheduled_for IS NOT NULL ORDER BY scheduled_for")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let rows = instants.len();
    instants.dedup();
    assert_eq!(instants.len(), rows, "an instant has two rows");
    let expected: Vec<i64> = (created + 1..=checked).collect();
    assert_eq!(instants, expected, "every scheduled second has its row");
    let claimed: i64 = store
        .query_row(
            "SELECT count(*) FROM job_runs WHERE started_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let requests = llm.requests().len() as i64;
    assert!(
        requests <= claimed,
        "{requests} model requests for {claimed} claimed runs: a run was sent twice"
    );
    assert!(claimed > 0 && requests > 0);
    let statuses: Vec<(String, i64)> = store
        .prepare("SELECT status, count(*) FROM job_runs GROUP BY status ORDER BY status")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    eprintln!(
        "{rows} instants over {} s, {claimed} runs claimed, {requests} requests: {statuses:?}",
        checked - created
    );
    assert!(
        statuses.iter().any(|(s, _)| s == "lost"),
        "some kill should land mid-run: {statuses:?}"
    );
    // The last stop was graceful: what it ran is recorded cancelled, nothing left running.
    assert!(
        !statuses
            .iter()
            .any(|(s, _)| s == "running" || s == "waiting_approval"),
        "{statuses:?}"
    );
}
