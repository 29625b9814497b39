//! The agent loop end to end against a scripted OpenAI-compatible server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{FAST, Harness, final_text, streamed_text, tool_results};
use pincer_core::agent::ApprovalMode;
use pincer_core::model::Usage;
use pincer_core::protocol::{ApprovalDecision, DecidedBy, Event, FailureKind, Op, Submission};
use pincer_testkit::{Reply, ScriptedLlm};
use pretty_assertions::assert_eq;

#[tokio::test]
async fn streams_text_and_records_usage() {
    let llm = ScriptedLlm::start().await;
    llm.push(
        Reply::text("Hello there, how can I help?")
            .reasoning("thinking")
            .usage(120, 100, 9),
    );
    let mut h = Harness::new(&llm, ApprovalMode::Deny);

    let events = h.turn("s", "hi").await;

    assert!(
        events
            .iter()
            .filter(|e| matches!(e, Event::TextDelta { .. }))
            .count()
            >= 2,
        "streamed in pieces"
    );
    assert_eq!(streamed_text(&events), "Hello there, how can I help?");
    let reasoning: String = events
        .iter()
        .filter_map(|e| match e {
            Event::ReasoningDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(reasoning, "thinking", "reasoning_content passed through");
    assert_eq!(final_text(&events), "Hello there, how can I help?");
    let Some(Event::TurnCompleted { usage, steps, .. }) = events.last() else {
        unreachable!()
    };
    assert_eq!(
        (*usage, *steps),
        (
            Usage {
                input_tokens: 120,
                cached_input_tokens: 100,
                output_tokens: 9,
                estimated: false,
            },
            1
        )
    );

    let summary = h.engine.store().usage_summary(Some("s")).unwrap();
    assert_eq!(
        (summary.total.requests, summary.total.cached_input_tokens),
        (1, 100)
    );
    let request = &llm.requests()[0];
    assert_eq!(request.headers["authorization"], "Bearer sk-test");
    assert_eq!(request.body["stream_options"]["include_usage"], true);
}

#[tokio::test]
async fn usage_a_server_does_not_report_is_estimated_and_marked() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text(&"word ".repeat(40)).without_usage());
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let events = h.turn("s", "hi").await;
    let Some(Event::TurnCompleted { usage, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert!(usage.estimated);
    assert_eq!(usage.output_tokens, 50, "200 characters at four a token");
    let prompt_bytes = llm.requests()[0].raw_body.len() as u64;
    assert!(
        usage.input_tokens > prompt_bytes / 8 && usage.input_tokens < prompt_bytes / 3,
        "{} tokens for a {prompt_bytes}-byte request",
        usage.input_tokens
    );
    let summary = h.engine.store().usage_summary(Some("s")).unwrap();
    assert_eq!(summary.total.estimated_requests, 1);
}

#[tokio::test]
async fn deepseek_cache_hit_tokens_count_as_cached() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("ok").usage(50, 40, 2).deepseek_cache_fields());
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let events = h.turn("s", "hi").await;
    let Some(Event::TurnCompleted { usage, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert_eq!(usage.cached_input_tokens, 40);
}

#[tokio::test]
async fn one_tool_call_runs_and_its_result_goes_back() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_call(
        "call_1",
        "read_file",
        r#"{"path":"notes.txt"}"#,
    ));
    llm.push(Reply::text("The note says hello."));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    std::fs::write(h.workspace().join("notes.txt"), "hello from the note").unwrap();

    let events = h.turn("s", "what does the note say?").await;

    assert_eq!(final_text(&events), "The note says hello.");
    let finished = events.iter().find_map(|e| match e {
        Event::ToolCallFinished {
            name,
            outcome,
            output,
            ..
        } => Some((name.clone(), outcome.is_ok(), output.clone())),
        _ => None,
    });
    assert_eq!(
        finished,
        Some((
            "read_file".to_owned(),
            true,
            "hello from the note".to_owned()
        ))
    );
    let second = &llm.requests()[1].body;
    assert_eq!(
        tool_results(second),
        vec![("call_1".to_owned(), "hello from the note".to_owned())]
    );
    let assistant = &second["messages"][2];
    assert_eq!(
        assistant["tool_calls"][0]["function"]["arguments"],
        r#"{"path":"notes.txt"}"#
    );
    let audit = h.engine.store().audit("s").unwrap();
    assert_eq!(
        (
            audit[0].tool.as_str(),
            audit[0].decision.as_str(),
            audit[0].decided_by.as_str(),
            audit[0].outcome.as_str()
        ),
        ("read_file", "allow", "policy", "ok")
    );
}

/// A local model's call that could not be read (see `local::output`) is answered with
/// why and what it wrote, so the model can write it again; the turn goes on.
#[tokio::test]
async fn a_malformed_local_tool_call_gets_an_error_that_quotes_it() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_call(
        "call_1",
        "malformed_tool_call",
        r#"{"error":"the tool call is not valid JSON (EOF)","written":"{\"name\": \"read_fi"}"#,
    ));
    llm.push(Reply::text("Sorry, let me try again."));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let events = h.turn("s", "read notes.txt").await;
    assert_eq!(final_text(&events), "Sorry, let me try again.");
    let (_, result) = tool_results(&llm.requests()[1].body).remove(0);
    assert!(
        result.contains("could not be read: the tool call is not valid JSON")
            && result.contains(r#"You wrote: {"name": "read_fi"#)
            && result.contains("<tool_call>"),
        "{result}"
    );
}

#[tokio::test]
async fn parallel_tool_calls_all_get_results_in_order() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_calls(&[
        ("a", "read_file", r#"{"path":"one.txt"}"#),
        ("b", "read_file", r#"{"path":"two.txt"}"#),
        ("c", "list_dir", "{}"),
    ]));
    llm.push(Reply::text("done"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    std::fs::write(h.workspace().join("one.txt"), "1").unwrap();
    std::fs::write(h.workspace().join("two.txt"), "2").unwrap();

    let events = h.turn("s", "read both").await;

    assert_eq!(final_text(&events), "done");
    let results = tool_results(&llm.requests()[1].body);
    let ids: Vec<_> = results.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, vec!["a", "b", "c"]);
    assert_eq!((results[0].1.as_str(), results[1].1.as_str()), ("1", "2"));
    assert!(
        results[2].1.contains("one.txt") && results[2].1.contains("two.txt"),
        "{}",
        results[2].1
    );
}

#[tokio::test]
async fn malformed_arguments_and_unknown_tools_become_tool_errors() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_calls(&[
        ("bad", "read_file", r#"{"path": "x"#),
        ("ghost", "teleport", "{}"),
    ]));
    llm.push(Reply::text("sorry"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);

    let events = h.turn("s", "go").await;

    assert_eq!(final_text(&events), "sorry");
    let results = tool_results(&llm.requests()[1].body);
    assert!(
        results[0]
            .1
            .starts_with("error: invalid arguments: not valid JSON"),
        "{}",
        results[0].1
    );
    assert!(
        results[1]
            .1
            .starts_with("error: there is no tool named `teleport`"),
        "{}",
        results[1].1
    );
    assert!(results[1].1.contains("read_file"), "lists the real tools");
    let messages = llm.requests()[1].body["messages"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(
        messages.len(),
        5,
        "system, user, assistant, two tool results"
    );
}

#[tokio::test]
async fn rate_limit_then_success_after_backoff() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::status(429).retry_after(0));
    llm.push(Reply::status(503));
    llm.push(Reply::text("finally"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);

    let events = h.turn("s", "hi").await;

    assert_eq!(final_text(&events), "finally");
    let retries: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::ProviderRetry {
                attempt,
                delay_ms,
                reason,
                ..
            } => Some((*attempt, *delay_ms, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2, "{retries:?}");
    assert_eq!(
        (retries[0].0, retries[0].1),
        (1, 0),
        "Retry-After: 0 is honoured"
    );
    assert!(
        retries[0].2.message.contains("HTTP 429"),
        "{}",
        retries[0].2
    );
    assert_eq!(retries[0].2.kind, FailureKind::RateLimit);
    assert_eq!(retries[1].0, 2);
    assert!(
        (5..=10).contains(&retries[1].1),
        "second backoff is 2 × 5 ms with jitter: {}",
        retries[1].1
    );
    let summary = h.engine.store().usage_summary(Some("s")).unwrap();
    assert_eq!(
        (summary.total.requests, summary.total.failed_requests),
        (3, 2)
    );
}

#[tokio::test]
async fn auth_errors_fail_fast_with_words_a_user_understands() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::status(401));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let events = h.turn("s", "hi").await;
    let Some(Event::TurnFailed { error, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert!(
        error
            .message
            .starts_with("the API key was rejected by openai (HTTP 401)"),
        "{error}"
    );
    assert_eq!(error.kind, FailureKind::Auth);
    assert_eq!(llm.requests().len(), 1, "no retry on 401");
}

#[tokio::test]
async fn server_errors_fall_back_to_the_next_provider() {
    let primary = ScriptedLlm::start().await;
    let backup = ScriptedLlm::start().await;
    for _ in 0..3 {
        primary.push(Reply::status(500));
    }
    backup.push(Reply::text("from the backup"));
    let config = format!(
        "{FAST}\n[[providers]]\nname = \"backup\"\ndialect = \"anthropic\"\nbase_url = \"{}\"\nmodel = \"claude-test\"\napi_key = \"sk-ant\"\n",
        backup.base_url()
    );
    let mut h = Harness::with_config(&primary, "openai", &config, ApprovalMode::Deny);

    let events = h.turn("s", "hi").await;

    assert_eq!(final_text(&events), "from the backup");
    let fallback = events.iter().find_map(|e| match e {
        Event::ProviderFallback { from, to, reason } => {
            Some((from.clone(), to.clone(), reason.clone()))
        }
        _ => None,
    });
    let (from, to, reason) = fallback.expect("fallback announced");
    assert_eq!((from.as_str(), to.as_str()), ("openai", "backup"));
    assert!(reason.message.contains("HTTP 500"), "{reason}");
    assert_eq!(reason.kind, FailureKind::Server);
    assert_eq!(
        primary.requests().len(),
        3,
        "retried up to max_attempts first"
    );
    assert_eq!(backup.requests()[0].path, "/v1/messages");
    assert_eq!(backup.requests()[0].headers["x-api-key"], "sk-ant");
}

#[tokio::test]
async fn stream_cut_before_output_is_retried() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("never seen").cut_after(1));
    llm.push(Reply::text("whole answer").malformed_chunk());
    llm.push(Reply::text("whole answer"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let events = h.turn("s", "hi").await;
    assert_eq!(final_text(&events), "whole answer");
    let reasons: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::ProviderRetry { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect();
    assert!(reasons[0].message.contains("cut off"), "{reasons:?}");
    assert!(reasons[1].message.contains("malformed"), "{reasons:?}");
}

#[tokio::test]
async fn stream_cut_mid_answer_fails_the_turn_and_keeps_the_partial_text() {
    let llm = ScriptedLlm::start().await;
    // role chunk + two text chunks, then the connection drops.
    llm.push(
        Reply::text("The answer is forty-two, because")
            .cut_after(3)
            .abort_connection(),
    );
    llm.push(Reply::text("continuing"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);

    let events = h.turn("s", "question").await;

    let Some(Event::TurnFailed { error, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert!(error.message.contains("cut off"), "{error}");
    assert_eq!(error.kind, FailureKind::Network);
    let partial = streamed_text(&events);
    assert!(
        !partial.is_empty() && "The answer is forty-two, because".starts_with(&partial),
        "{partial}"
    );
    assert_eq!(
        llm.requests().len(),
        1,
        "no retry once text reached the user"
    );

    let events = h.turn("s", "go on").await;
    assert_eq!(final_text(&events), "continuing");
    let messages = &llm.requests()[1].body["messages"];
    assert_eq!(messages[2]["role"], "assistant");
    assert_eq!(
        messages[2]["content"].as_str(),
        Some(partial.as_str()),
        "partial answer kept in history"
    );
}

#[tokio::test]
async fn cancellation_stops_the_stream_and_keeps_what_happened() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("partial words").cut_after(3).hang());
    llm.push(Reply::text("fresh"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let session = h.session("s");
    session.user_turn("long task".to_owned()).unwrap();
    let mut seen = h.until("s", |e| matches!(e, Event::TextDelta { .. })).await;

    session.interrupt();
    seen.extend(h.until_end("s").await);

    assert!(
        matches!(seen.last(), Some(Event::TurnCancelled { .. })),
        "{seen:?}"
    );
    let partial = streamed_text(&seen);
    assert!(
        !partial.is_empty() && "partial words".starts_with(&partial),
        "{partial}"
    );
    let events = h.turn("s", "next").await;
    assert_eq!(final_text(&events), "fresh");
    let messages = &llm.requests()[1].body["messages"];
    assert_eq!(
        messages[2]["content"].as_str(),
        Some(partial.as_str()),
        "what the user saw is kept"
    );
    // A stopped request is counted, but it is not a failure.
    let summary = h.engine.store().usage_summary(Some("s")).unwrap();
    assert_eq!(summary.total.requests, 2);
    assert_eq!(summary.total.failed_requests, 0);
}

#[tokio::test]
async fn cancellation_kills_a_running_command() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_calls(&[
        (
            "slow",
            "exec",
            r#"{"command":"sleep 30 && touch finished"}"#,
        ),
        ("after", "read_file", r#"{"path":"x"}"#),
    ]));
    llm.push(Reply::text("ok"));
    let mut h = Harness::new(&llm, ApprovalMode::Auto);
    let session = h.session("s");
    session.user_turn("run it".to_owned()).unwrap();
    h.until(
        "s",
        |e| matches!(e, Event::ToolCallRequested { name, .. } if name == "exec"),
    )
    .await;

    let started = std::time::Instant::now();
    session.interrupt();
    let events = h.until_end("s").await;

    assert!(
        matches!(events.last(), Some(Event::TurnCancelled { .. })),
        "{events:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let results: Vec<_> = h
        .engine
        .store()
        .messages("s")
        .unwrap()
        .into_iter()
        .filter(|m| m.message.tool_call_id.is_some())
        .collect();
    assert_eq!(results.len(), 2, "every call has a result");
    assert!(results.iter().all(|m| m.message.is_error));
    let events = h.turn("s", "again").await;
    assert_eq!(final_text(&events), "ok");
    assert!(!h.workspace().join("finished").exists());
}

#[tokio::test]
async fn step_limit_stops_a_looping_model() {
    let llm = ScriptedLlm::start().await;
    for i in 0..2 {
        llm.push(Reply::tool_call(&format!("c{i}"), "list_dir", "{}"));
    }
    let config = format!("{FAST}\n[agent]\nmax_steps = 2\n");
    let mut h = Harness::with_config(&llm, "openai", &config, ApprovalMode::Deny);
    let events = h.turn("s", "loop").await;
    assert!(
        matches!(
            events.last(),
            Some(Event::StepLimitReached { limit: 2, .. })
        ),
        "{events:?}"
    );
    assert_eq!(llm.requests().len(), 2);
}

#[tokio::test]
async fn approval_is_asked_and_a_denial_reaches_the_model() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_call(
        "w",
        "write_file",
        r#"{"path":"out.txt","content":"data"}"#,
    ));
    llm.push(Reply::text("ok, I did not write it"));
    let mut h = Harness::new(&llm, ApprovalMode::Ask);
    let session = h.session("s");
    session.user_turn("write".to_owned()).unwrap();

    let seen = h
        .until("s", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    let Some(Event::ApprovalRequested {
        call_id,
        tool,
        summary,
        pattern,
    }) = seen.last()
    else {
        unreachable!()
    };
    assert_eq!(
        (tool.as_str(), pattern.as_str()),
        ("write_file", "write_file")
    );
    assert!(call_id.starts_with("tc-"), "the engine's own id: {call_id}");
    assert!(summary.contains("out.txt"), "{summary}");
    session.approve(h.asked(), ApprovalDecision::Deny).unwrap();
    let events = h.until_end("s").await;

    assert_eq!(final_text(&events), "ok, I did not write it");
    assert!(!h.workspace().join("out.txt").exists());
    let results = tool_results(&llm.requests()[1].body);
    assert!(
        results[0].1.starts_with("error: denied"),
        "{}",
        results[0].1
    );
    let audit = h.engine.store().audit("s").unwrap();
    assert_eq!(
        (
            audit[0].decision.as_str(),
            audit[0].decided_by.as_str(),
            audit[0].outcome.as_str()
        ),
        ("deny", "user", "denied")
    );
}

#[tokio::test]
async fn session_grant_is_remembered_for_the_session_only() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_call(
        "w1",
        "write_file",
        r#"{"path":"a.txt","content":"1"}"#,
    ));
    llm.push(Reply::tool_call(
        "w2",
        "write_file",
        r#"{"path":"b.txt","content":"2"}"#,
    ));
    llm.push(Reply::text("both written"));
    let mut h = Harness::new(&llm, ApprovalMode::Ask);
    let session = h.session("s");
    session.user_turn("write two".to_owned()).unwrap();
    h.until("s", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    session
        .approve(h.asked(), ApprovalDecision::Session)
        .unwrap();

    let events = h.until_end("s").await;

    assert_eq!(final_text(&events), "both written");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ApprovalRequested { .. })),
        "second write not asked"
    );
    assert!(events.iter().any(|e| matches!(
        e,
        Event::ApprovalResolved {
            decision: ApprovalDecision::Once,
            by: DecidedBy::Remembered,
            ..
        }
    )));
    assert_eq!(
        std::fs::read_to_string(h.workspace().join("b.txt")).unwrap(),
        "2"
    );

    // Another session asks again.
    llm.push(Reply::tool_call(
        "w3",
        "write_file",
        r#"{"path":"c.txt","content":"3"}"#,
    ));
    llm.push(Reply::text("done"));
    let other = h.session("other");
    other.user_turn("write".to_owned()).unwrap();
    h.until("other", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    other.approve(h.asked(), ApprovalDecision::Once).unwrap();
    assert_eq!(final_text(&h.until_end("other").await), "done");
}

#[tokio::test]
async fn always_grant_survives_a_restart() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_call("e1", "exec", r#"{"command":"pwd"}"#));
    llm.push(Reply::text("ran"));
    let mut h = Harness::new(&llm, ApprovalMode::Ask);
    let session = h.session("s");
    session.user_turn("echo".to_owned()).unwrap();
    let seen = h
        .until("s", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    assert!(
        matches!(seen.last(), Some(Event::ApprovalRequested { pattern, .. }) if pattern == "exec:pwd")
    );
    session
        .approve(h.asked(), ApprovalDecision::Always)
        .unwrap();
    assert_eq!(final_text(&h.until_end("s").await), "ran");

    let mut h = h.restart(ApprovalMode::Ask);
    llm.push(Reply::tool_call("e2", "exec", r#"{"command":"pwd -P"}"#));
    llm.push(Reply::text("ran again"));
    let events = h.turn("new-session", "echo again").await;
    assert_eq!(final_text(&events), "ran again");
    let results = tool_results(&llm.requests()[3].body);
    assert!(
        results[0].1.contains(h.workspace().to_str().unwrap()),
        "{results:?}"
    );
}

#[tokio::test]
async fn escapes_from_the_workspace_are_refused_even_with_auto_approval() {
    let llm = ScriptedLlm::start().await;
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret").unwrap();
    let mut h = Harness::new(&llm, ApprovalMode::Auto);
    let workspace = h.workspace();
    std::os::unix::fs::symlink(outside.path(), workspace.join("link")).unwrap();
    let relative = pathdiff(&outside.path().join("secret.txt"), &workspace);
    llm.push(Reply::tool_calls(&[
        ("dots", "read_file", &format!(r#"{{"path":"{relative}"}}"#)),
        ("sym", "read_file", r#"{"path":"link/secret.txt"}"#),
        (
            "write",
            "write_file",
            r#"{"path":"link/new.txt","content":"x"}"#,
        ),
    ]));
    llm.push(Reply::text("refused"));

    let events = h.turn("s", "read it").await;

    assert_eq!(final_text(&events), "refused");
    let results = tool_results(&llm.requests()[1].body);
    for (id, content) in &results {
        assert!(
            content.starts_with("error: denied: the policy does not allow this"),
            "{id}: {content}"
        );
        assert!(!content.contains("top secret"));
    }
    assert!(!outside.path().join("new.txt").exists());
}

/// `target` relative to `base`, climbing with `..`.
fn pathdiff(target: &std::path::Path, base: &std::path::Path) -> String {
    let depth = base.components().count() - 1;
    let up = "../".repeat(depth);
    format!(
        "{up}{}",
        target.display().to_string().trim_start_matches('/')
    )
}

#[tokio::test]
async fn large_results_are_offloaded_to_a_file() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::tool_call(
        "big",
        "read_file",
        r#"{"path":"big.txt"}"#,
    ));
    llm.push(Reply::text("summarised"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    let big: String = (0..5000).map(|i| format!("line {i}\n")).collect();
    std::fs::write(h.workspace().join("big.txt"), &big).unwrap();

    let events = h.turn("s", "read big").await;

    assert_eq!(final_text(&events), "summarised");
    let results = tool_results(&llm.requests()[1].body);
    let content = &results[0].1;
    assert!(
        content.len() < 16 * 1024,
        "model got {} bytes",
        content.len()
    );
    assert!(content.starts_with("line 0\n"), "head kept");
    assert!(content.trim_end().ends_with("line 4999"), "tail kept");
    // Named by the engine's id for the call, never the provider's (which repeats).
    let call_id = events
        .iter()
        .find_map(|e| match e {
            Event::ToolCallRequested { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .unwrap();
    assert!(call_id.starts_with("tc-"), "{call_id}");
    // In the data home, by session: see tests/boundaries.rs.
    let offloaded = h
        .home
        .path()
        .canonicalize()
        .unwrap()
        .join(format!("tool-output/s/{call_id}.txt"));
    assert!(
        content.contains(&offloaded.display().to_string()),
        "{content}"
    );
    let saved = std::fs::read_to_string(&offloaded).unwrap();
    assert_eq!(saved, big);
}

#[tokio::test]
async fn a_session_continues_after_a_restart() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("Noted: your cat is called Miso."));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    h.turn("work", "my cat is called Miso").await;

    let mut h = h.restart(ApprovalMode::Deny);
    llm.push(Reply::text("You told me your cat is called Miso."));
    let events = h.turn("work", "what did I tell you before?").await;

    assert_eq!(final_text(&events), "You told me your cat is called Miso.");
    let messages = llm.requests()[1].body["messages"]
        .as_array()
        .unwrap()
        .clone();
    let roles: Vec<_> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["system", "user", "assistant", "user"]);
    assert!(
        messages[1]["content"]
            .as_str()
            .unwrap()
            .ends_with("my cat is called Miso")
    );
    assert_eq!(messages[2]["content"], "Noted: your cat is called Miso.");
}

#[tokio::test]
async fn request_prefix_is_byte_identical_across_ten_turns() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    std::fs::write(h.workspace().join("a.txt"), "A").unwrap();
    for turn in 0..10 {
        if turn % 3 == 1 {
            llm.push(Reply::tool_call(
                &format!("c{turn}"),
                "read_file",
                r#"{"path":"a.txt"}"#,
            ));
        }
        llm.push(Reply::text(&format!("answer {turn}")));
        let events = h.turn("s", &format!("question {turn}")).await;
        final_text(&events);
    }
    let bodies: Vec<String> = llm.requests().into_iter().map(|r| r.raw_body).collect();
    assert_eq!(bodies.len(), 13);
    for pair in bodies.windows(2) {
        // Everything but the closing `]}` of the messages array must reappear byte for byte.
        let previous = pair[0].strip_suffix("]}").expect("messages come last");
        assert!(
            pair[1].starts_with(previous),
            "prefix changed at byte {}",
            previous
                .bytes()
                .zip(pair[1].bytes())
                .take_while(|(a, b)| a == b)
                .count()
        );
    }
    let first: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
    let last: serde_json::Value = serde_json::from_str(&bodies[12]).unwrap();
    assert_eq!(first["tools"], last["tools"]);
    assert_eq!(
        first["messages"][0], last["messages"][0],
        "system prompt unchanged"
    );
    let system = first["messages"][0]["content"].as_str().unwrap();
    assert!(!system.contains("2026"), "no clock in the system prompt");
    let user = last["messages"].as_array().unwrap().last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        user.starts_with('[') && user.ends_with("question 9"),
        "time rides in the user message: {user}"
    );
}

#[tokio::test]
async fn an_idle_session_frees_its_actor_and_continues_where_it_was() {
    let llm = ScriptedLlm::start().await;
    let config = format!("{FAST}\n[agent]\nsession_idle_secs = 1\n");
    let mut h = Harness::with_config(&llm, "openai", &config, ApprovalMode::Ask);
    let session = h.session("s");
    llm.push(Reply::tool_call(
        "w1",
        "write_file",
        r#"{"path":"a.txt","content":"1"}"#,
    ));
    llm.push(Reply::text("first done"));
    session
        .user_turn("remember the word kumquat".to_owned())
        .unwrap();
    h.until("s", |e| matches!(e, Event::ApprovalRequested { .. }))
        .await;
    session
        .approve(h.asked(), ApprovalDecision::Session)
        .unwrap();
    assert_eq!(final_text(&h.until_end("s").await), "first done");
    assert_eq!(h.engine.active_sessions(), 1);

    // Idle for longer than session_idle_secs: the actor and its in-memory history go.
    // On a paused clock the idle second passes as soon as everything waits, taking no
    // real time; the clock runs again before the next turn talks to the server.
    tokio::time::pause();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while h.engine.active_sessions() > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the idle actor never stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::resume();

    // The same handle still works; the history comes back from the store, and the grant
    // "for this session" still holds.
    llm.push(Reply::tool_call(
        "w2",
        "write_file",
        r#"{"path":"b.txt","content":"2"}"#,
    ));
    llm.push(Reply::text("second done"));
    assert!(session.user_turn("what was the word?".to_owned()).is_ok());
    let events = h.until_end("s").await;
    assert_eq!(final_text(&events), "second done");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::ApprovalRequested { .. })),
        "the session grant survived the restart of the actor"
    );
    let requests = llm.requests();
    let last = &requests[requests.len() - 2].raw_body;
    assert!(last.contains("kumquat"), "history reloaded: {last}");
    assert_eq!(h.engine.active_sessions(), 1);
}

#[tokio::test]
async fn paused_work_waits_in_its_queue_and_starts_on_resume() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::text("done after the pause"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    h.engine
        .submit(Submission::fresh(Op::SetPaused { paused: true }))
        .unwrap();
    assert!(h.engine.is_paused());
    assert!(
        h.session("s")
            .user_turn("sort my photos".to_owned())
            .is_ok()
    );
    // Nothing may start while paused: no event and no model request in this window.
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), h.events.recv()).await;
    assert!(quiet.is_err(), "a turn started while paused: {quiet:?}");
    assert_eq!(llm.requests().len(), 0);
    assert!(!h.engine.is_busy("s"));

    h.engine
        .submit(Submission::fresh(Op::SetPaused { paused: false }))
        .unwrap();
    let events = h.until_end("s").await;
    assert!(matches!(&events[0], Event::TurnStarted { text, .. } if text == "sort my photos"));
    assert_eq!(final_text(&events), "done after the pause");
}
