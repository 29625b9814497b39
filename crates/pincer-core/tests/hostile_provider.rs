//! A provider is not trusted: absurd headers, huge events and error bodies that echo the
//! key must not crash, stall or leak. Each test runs the engine against a real loopback
//! server that misbehaves on purpose.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, final_text};
use pincer_core::agent::ApprovalMode;
use pincer_core::protocol::{Event, FailureKind};
use pincer_testkit::{Reply, ScriptedLlm};

/// The waits the engine announced before retrying, in milliseconds.
fn retry_delays(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ProviderRetry { delay_ms, .. } => Some(*delay_ms),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_retry_after_asking_for_ages_gives_up_instead_of_crashing() {
    // Each used to panic in `Duration::from_secs_f64` (or would wait for centuries): the
    // turn hung and a release build aborted. Waiting longer than `max_delay` gives up.
    for value in [
        "1e20",
        "18446744073709551616",
        "1e309",
        "inf",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let llm = ScriptedLlm::start().await;
        llm.push(Reply::status(429).header("retry-after", value));
        let mut h = Harness::new(&llm, ApprovalMode::Deny);

        let events = h.turn("s", "hi").await;

        let Some(Event::TurnFailed { error, .. }) = events.last() else {
            panic!("Retry-After: {value}: {events:?}")
        };
        assert_eq!(error.kind, FailureKind::RateLimit, "Retry-After: {value}");
        assert_eq!(retry_delays(&events), Vec::<u64>::new(), "{value}");
        assert_eq!(llm.requests().len(), 1, "Retry-After: {value}");
    }
}

#[tokio::test]
async fn a_meaningless_retry_after_falls_back_to_the_normal_backoff() {
    for value in [
        "NaN",
        "-1",
        "-0.5",
        "soon",
        "1e",
        "0x10",
        "",
        "Mon, 99 Foo 2020",
    ] {
        let llm = ScriptedLlm::start().await;
        llm.push(Reply::status(429).header("retry-after", value));
        llm.push(Reply::text("ok"));
        let mut h = Harness::new(&llm, ApprovalMode::Deny);

        let events = h.turn("s", "hi").await;

        assert_eq!(final_text(&events), "ok", "Retry-After: {value:?}");
        let delays = retry_delays(&events);
        assert_eq!(delays.len(), 1, "Retry-After: {value:?}");
        // FAST's backoff: 5 ms with jitter in [50 %, 100 %].
        assert!((2..=5).contains(&delays[0]), "{value:?}: {delays:?}");
    }
}

#[tokio::test]
async fn a_retry_after_date_in_the_past_means_now() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::status(503).header("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT"));
    llm.push(Reply::text("ok"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);

    let events = h.turn("s", "hi").await;

    assert_eq!(final_text(&events), "ok");
    assert_eq!(retry_delays(&events), vec![0]);
}

#[tokio::test]
async fn a_fractional_retry_after_is_honoured() {
    let llm = ScriptedLlm::start().await;
    llm.push(Reply::status(429).header("retry-after", "0.02"));
    llm.push(Reply::text("ok"));
    let mut h = Harness::new(&llm, ApprovalMode::Deny);

    let events = h.turn("s", "hi").await;

    assert_eq!(final_text(&events), "ok");
    assert_eq!(retry_delays(&events), vec![20]);
}

#[tokio::test]
async fn absurd_token_counts_neither_crash_the_turn_nor_poison_the_usage_totals() {
    // u64::MAX tokens per step used to overflow the turn's sum (a panic in debug, a wrap in
    // release) and could not be stored (SQLite integers are signed).
    for dialect in ["openai", "anthropic"] {
        let llm = ScriptedLlm::start().await;
        llm.push(Reply::tool_call("c1", "list_dir", "{}").usage(u64::MAX, 0, u64::MAX));
        llm.push(Reply::text("done").usage(u64::MAX, 0, u64::MAX));
        let mut h = Harness::with_config(&llm, dialect, common::FAST, ApprovalMode::Deny);

        let events = h.turn("s", "hi").await;

        assert_eq!(final_text(&events), "done", "{dialect}");
        let Some(Event::TurnCompleted { usage, .. }) = events.last() else {
            unreachable!()
        };
        let most = pincer_core::provider::MAX_REPORTED_TOKENS;
        assert_eq!(
            (usage.input_tokens, usage.output_tokens),
            (2 * most, 2 * most)
        );
        let summary = h.engine.store().usage_summary(Some("s")).unwrap();
        assert_eq!(summary.total.requests, 2, "{dialect}: both requests stored");
        assert_eq!(summary.total.input_tokens, 2 * most, "{dialect}");
    }
}
