#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The Tasks page's API against a real gateway, engine and scheduler on loopback, with the
//! model a scripted server: jobs are created, changed, paused, run and deleted through the
//! engine (a schedule it refuses comes back in its own words), a schedule previews its
//! next five runs, a run waiting for an approval says what it waits for and what it has
//! spent so far, a running run is cancelled, and the history is searched by status and
//! words.

mod common;

use std::time::Duration;

use common::{TestGateway, config_for, expect_error, post_json, status_and_json};
use pincer_core::protocol::{Event, Op, Submission};
use pincer_core::store::RunStatus;
use pincer_gateway::wire::ServerMessage;
use pincer_testkit::Reply;
use pretty_assertions::assert_eq;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A gateway whose engine prices the scripted model and runs a scheduler, as the daemon.
async fn gateway() -> TestGateway {
    let gw = TestGateway::start().await;
    let config = format!(
        "{}\n[pricing.\"test-model\"]\ninput = 1.0\noutput = 2.0\n",
        config_for(&gw.llm.base_url())
    );
    std::fs::write(gw.home().join("config.toml"), config).unwrap();
    gw.engine
        .submit(Submission::fresh(Op::ReloadSettings))
        .expect("settings reload");
    pincer_core::scheduler::runner::start(&gw.engine);
    gw
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_and_json(request.send().await.expect("request")).await
}

async fn post(gw: &TestGateway, client: &reqwest::Client, path: &str, body: Value) -> Value {
    let (status, reply) = status_and_json(post_json(client, &gw.url(path), &body).await).await;
    assert!(status.is_success(), "POST {path} {body}: {status} {reply}");
    reply
}

/// Waits on the socket for `run`'s update with `status`.
async fn run_update(ws: &mut common::Ws, run: &str, status: RunStatus) -> pincer_core::store::Run {
    let (message, _) = ws
        .next_matching(&format!("{run} {}", status.as_str()), |m| {
            matches!(m, ServerMessage::Event { event: Event::RunUpdated { run: r, .. }, .. }
                if r.id == run && r.status == status)
        })
        .await;
    match message {
        ServerMessage::Event {
            event: Event::RunUpdated { run, .. },
            ..
        } => *run,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn jobs_are_made_changed_paused_and_deleted_through_the_engine() {
    let gw = gateway().await;
    let client = gw.logged_in_client().await;

    // Refusals are the engine's own words.
    for (body, reason) in [
        (
            json!({"name": "x", "prompt": "y", "schedule": "every fortnight"}),
            "fortnight",
        ),
        (
            json!({"name": "x", "prompt": "y", "schedule": "every 1h", "options": {"spend_cap": 1}}),
            "spend_cap_usd",
        ),
        (
            json!({"name": " ", "prompt": "y", "schedule": "every 1h"}),
            "name is empty",
        ),
    ] {
        let message = expect_error(
            post_json(&client, &gw.url("/api/jobs"), &body).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(message.contains(reason), "{body}: {message}");
    }

    let (status, made) = status_and_json(
        post_json(
            &client,
            &gw.url("/api/jobs"),
            &json!({
                "name": "Kettle price",
                "prompt": "Check the kettle's price",
                "schedule": "every 2h",
                "options": {"missed": {"policy": "skip"}, "delivery": "none", "spend_cap_usd": 0.5},
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["job"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("job-"), "{id}");
    let upcoming: Vec<i64> = serde_json::from_value(made["upcoming"].clone()).unwrap();
    assert_eq!(upcoming.len(), 5);
    assert!(
        upcoming.windows(2).all(|w| w[1] - w[0] == 7200),
        "{upcoming:?}"
    );
    assert_eq!(made["next_run"], json!(upcoming[0]));
    assert!(
        made["description"]
            .as_str()
            .unwrap()
            .starts_with("every 2 hours"),
        "{made}"
    );
    assert_eq!(made["last_run"], Value::Null);
    assert_eq!(made["job"]["options"]["delivery"], "none");

    let (_, listed) = gw.get(&client, "/api/jobs").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["job"]["name"], "Kettle price");
    let (status, shown) = gw.get(&client, &format!("/api/jobs/{id}")).await;
    assert_eq!((status, &shown["job"]["id"]), (StatusCode::OK, &json!(id)));
    let (status, _) = gw.get(&client, "/api/jobs/job-nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let url = gw.url(&format!("/api/jobs/{id}"));
    let (status, changed) = send(
        &client,
        reqwest::Method::PATCH,
        &url,
        Some(json!({"name": "Kettle", "schedule": "cron \"30 8 * * 1-5\" Europe/Lisbon"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["job"]["name"], "Kettle");
    assert_eq!(changed["job"]["prompt"], "Check the kettle's price");
    assert!(
        changed["description"]
            .as_str()
            .unwrap()
            .starts_with("every weekday (Monday to Friday) at 08:30 Europe/Lisbon"),
        "{changed}"
    );
    let (status, refused) = send(
        &client,
        reqwest::Method::PATCH,
        &url,
        Some(json!({"schedule": "cron \"0 9 * * *\""})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("zone"),
        "{refused}"
    );

    let paused = post(&gw, &client, &format!("/api/jobs/{id}/pause"), json!({})).await;
    assert_eq!(paused["job"]["paused"], true);
    assert_eq!(paused["upcoming"], json!([]));
    assert!(
        paused["description"]
            .as_str()
            .unwrap()
            .ends_with("(paused)")
    );
    let resumed = post(&gw, &client, &format!("/api/jobs/{id}/resume"), json!({})).await;
    assert_eq!(resumed["job"]["paused"], false);
    assert_eq!(resumed["upcoming"].as_array().unwrap().len(), 5);

    let (status, _) = send(&client, reqwest::Method::DELETE, &url, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = gw.get(&client, &format!("/api/jobs/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&client, reqwest::Method::DELETE, &url, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let message = expect_error(
        post_json(&client, &gw.url(&format!("/api/jobs/{id}/run")), &json!({})).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert!(message.contains(&id), "{message}");

    // Nothing without a login.
    let (status, _) = gw.get(&gw.anonymous(), "/api/jobs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = gw.get(&gw.anonymous(), "/api/runs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_schedule_previews_its_next_five_runs_or_says_what_to_write() {
    let gw = gateway().await;
    let client = gw.logged_in_client().await;
    let preview = post(
        &gw,
        &client,
        "/api/schedule-preview",
        json!({"schedule": "cron \"0 9 * * MON\" Europe/Lisbon"}),
    )
    .await;
    assert!(
        preview["description"]
            .as_str()
            .unwrap()
            .starts_with("every Monday at 09:00 Europe/Lisbon"),
        "{preview}"
    );
    let runs: Vec<i64> = serde_json::from_value(preview["upcoming"].clone()).unwrap();
    assert_eq!(runs.len(), 5);
    assert!(
        runs.windows(2).all(|w| w[1] - w[0] == 7 * 86_400),
        "{runs:?}"
    );
    let startup = post(
        &gw,
        &client,
        "/api/schedule-preview",
        json!({"schedule": "at startup"}),
    )
    .await;
    assert_eq!(
        startup,
        json!({"description": "at start-up", "upcoming": []})
    );
    for (spec, words) in [
        ("every 0m", "every"),
        ("cron \"0 9 * * *\" Mars/Olympus", "Mars/Olympus"),
        ("cron \"0 0 30 2 *\" UTC", "never"),
    ] {
        let message = expect_error(
            post_json(
                &client,
                &gw.url("/api/schedule-preview"),
                &json!({ "schedule": spec }),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(message.contains(words), "{spec}: {message}");
    }
}

#[tokio::test]
async fn runs_wait_for_approvals_show_their_spend_end_and_are_searched() {
    let gw = gateway().await;
    let client = gw.logged_in_client().await;
    let mut ws = gw.ws().await;
    let job = post(
        &gw,
        &client,
        "/api/jobs",
        json!({"name": "水壶 watch", "prompt": "Check the kettle", "schedule": "every 1d"}),
    )
    .await;
    let id = job["job"]["id"].as_str().unwrap().to_owned();

    gw.llm.push(
        Reply::tool_call(
            "call_k1",
            "write_file",
            r#"{"path":"kettle/notes.txt","content":"27 euros\n"}"#,
        )
        .usage(1000, 0, 200),
    );
    gw.llm
        .push(Reply::text("The kettle costs 27 euros today.").usage(500, 0, 100));
    let queued = post(&gw, &client, &format!("/api/jobs/{id}/run"), json!({})).await;
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["trigger"], "manual");
    let run = queued["id"].as_str().unwrap().to_owned();

    run_update(&mut ws, &run, RunStatus::WaitingApproval).await;
    let (status, waiting) = gw.get(&client, "/api/runs?status=waiting_approval").await;
    assert_eq!(status, StatusCode::OK, "{waiting}");
    let waiting = &waiting.as_array().unwrap()[0];
    assert_eq!(waiting["id"], json!(run));
    assert_eq!(waiting["job_name"], "水壶 watch");
    assert_eq!(waiting["session_id"], json!(run));
    let approval = &waiting["approval"];
    assert_eq!(approval["tool"], "write_file");
    assert!(
        approval["summary"]
            .as_str()
            .unwrap()
            .contains("kettle/notes.txt"),
        "{approval}"
    );
    // What the run spent so far: its first request, priced.
    assert_eq!(waiting["spend"]["requests"], 1);
    assert_eq!(waiting["spend"]["input_tokens"], 1000);
    assert_eq!(waiting["spend"]["output_tokens"], 200);
    let cost = waiting["spend"]["cost_usd"].as_f64().unwrap();
    assert!((cost - 0.0014).abs() < 1e-9, "{cost}");

    ws.approve(&run, approval["call_id"].as_str().unwrap(), "once")
        .await;
    let ended = run_update(&mut ws, &run, RunStatus::Succeeded).await;
    assert_eq!(
        ended.output.as_deref(),
        Some("The kettle costs 27 euros today.")
    );
    let (_, found) = gw.get(&client, "/api/runs?q=27%20EUROS").await;
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["status"], "succeeded");
    assert_eq!(found[0]["input_tokens"], 1500);
    assert_eq!(found[0]["spend"], Value::Null);
    assert_eq!(found[0]["approval"], Value::Null);
    assert!(found[0]["cost_usd"].as_f64().unwrap() > 0.0);
    let (_, by_name) = gw.get(&client, "/api/runs?q=%E5%A3%B6").await; // 壶
    assert_eq!(by_name.as_array().unwrap().len(), 1);
    let (status, one) = gw.get(&client, &format!("/api/runs/{run}")).await;
    assert_eq!(
        (status, &one["job_name"]),
        (StatusCode::OK, &json!("水壶 watch"))
    );
    let (_, listed) = gw.get(&client, "/api/jobs").await;
    assert_eq!(listed[0]["last_run"]["id"], json!(run));

    // A run cancelled while it waits for its model's answer ends `cancelled`.
    gw.llm
        .push(Reply::text("Still thinking").delay(Duration::from_secs(60)));
    let queued = post(&gw, &client, &format!("/api/jobs/{id}/run"), json!({})).await;
    let slow = queued["id"].as_str().unwrap().to_owned();
    gw.llm.wait_for_requests(3).await;
    let (_, running) = gw
        .get(
            &client,
            &format!("/api/runs?job={id}&status=running,waiting_approval"),
        )
        .await;
    assert_eq!(running[0]["id"], json!(slow), "{running}");
    let (status, _) = send(
        &client,
        reqwest::Method::POST,
        &gw.url(&format!("/api/runs/{slow}/cancel")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let cancelled = run_update(&mut ws, &slow, RunStatus::Cancelled).await;
    assert_eq!(cancelled.reason.as_deref(), Some("stopped by the user"));
    let message = expect_error(
        client
            .post(gw.url(&format!("/api/runs/{slow}/cancel")))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("already ended"), "{message}");
    let (status, _) = send(
        &client,
        reqwest::Method::POST,
        &gw.url("/api/runs/run-nope/cancel"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, history) = gw
        .get(&client, "/api/runs?status=cancelled,succeeded&limit=10")
        .await;
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["cancelled", "succeeded"]);
    let (_, none) = gw.get(&client, "/api/runs?status=failed").await;
    assert_eq!(none, json!([]));
    let message = expect_error(
        client
            .get(gw.url("/api/runs?status=done"))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("succeeded"), "{message}");

    // A deleted job's runs stay in the history under its name.
    let (status, _) = send(
        &client,
        reqwest::Method::DELETE,
        &gw.url(&format!("/api/jobs/{id}")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, kept) = gw.get(&client, "/api/runs").await;
    assert_eq!(kept.as_array().unwrap().len(), 2);
    assert_eq!(kept[0]["job_name"], "水壶 watch");
}

#[tokio::test]
async fn a_reminder_runs_without_a_model_and_is_delivered_as_written() {
    let gw = gateway().await;
    let client = gw.logged_in_client().await;
    let mut ws = gw.ws().await;
    let job = post(
        &gw,
        &client,
        "/api/jobs",
        json!({"name": "Stretch", "prompt": "Stand up and stretch", "schedule": "every 45m",
               "options": {"kind": "reminder"}}),
    )
    .await;
    let id = job["job"]["id"].as_str().unwrap();
    let run = post(&gw, &client, &format!("/api/jobs/{id}/run"), json!({})).await;
    let ended = run_update(&mut ws, run["id"].as_str().unwrap(), RunStatus::Succeeded).await;
    assert_eq!(ended.output.as_deref(), Some("Stand up and stretch"));
    assert!(gw.llm.requests().is_empty());
}
