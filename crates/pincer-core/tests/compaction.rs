//! Compaction through the engine against a scripted model: a long tool session goes on past
//! the window, each compaction keeps the paths, commands, numbers and ids of what it
//! compacted verbatim, runs at most once per user turn, flushes durable facts to memory
//! first (also when the provider says the window is full), and a failed compaction is an
//! error the user sees, with nothing changed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{FAST, Harness, final_text};
use pincer_core::agent::ApprovalMode;
use pincer_core::protocol::Event;
use pincer_core::store::Store;
use pincer_testkit::{Reply, ScriptedLlm};

const SUMMARY: &str = "You compact a conversation";
const FLUSH: &str = "You read what a user said";

fn store(h: &Harness) -> Store {
    Store::open(&h.home.path().join("pincer.db")).unwrap()
}

fn compacted(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::Compacted { .. }))
        .count()
}

/// The facts turn `n` of the long session holds.
fn facts_of(n: usize) -> [String; 4] {
    [
        format!("src/mod_{n}/lib_{n}.rs"),
        format!("OPS-{}", 1000 + n),
        format!("{}", 8000 + n),
        format!("echo build-{n}"),
    ]
}

#[tokio::test]
async fn a_200_tool_call_session_goes_on_past_the_window_keeping_what_it_compacted() {
    let llm = ScriptedLlm::start().await;
    let config = format!("{FAST}[memory]\ncontext_window = 8192\n");
    let mut h = Harness::with_config(&llm, "openai", &config, ApprovalMode::Auto);
    llm.answer_system_prefix(
        SUMMARY,
        Reply::text("The user works through numbered build tasks."),
    );
    llm.answer_system_prefix(
        FLUSH,
        Reply::text("- The user tracks build tasks as OPS tickets"),
    );

    let turns = 200;
    let mut per_turn_compactions = Vec::new();
    for n in 0..turns {
        let [path, ticket, port, command] = facts_of(n);
        // No usage reported: the engine's own estimate decides (a scripted server's token
        // counts would calibrate it to nonsense).
        llm.push(
            Reply::tool_call(
                &format!("c{n}"),
                "exec",
                &serde_json::json!({ "command": command }).to_string(),
            )
            .without_usage(),
        );
        llm.push(Reply::text(&format!("Task {n} done: build-{n} printed.")).without_usage());
        let events = h
            .turn(
                "long",
                &format!("Task {n}: check {path} for ticket {ticket} on port {port}."),
            )
            .await;
        assert_eq!(
            final_text(&events),
            format!("Task {n} done: build-{n} printed.")
        );
        per_turn_compactions.push(compacted(&events));
    }
    // It compacted, more than once, never twice in one turn.
    let total: usize = per_turn_compactions.iter().sum();
    assert!(total >= 2, "{total} compactions");
    assert!(per_turn_compactions.iter().all(|&c| c <= 1));

    // Each compaction kept ≥ 95 % of the facts of the turns it compacted, verbatim.
    let store = store(&h);
    let messages = store.messages("long").unwrap();
    let compactions = store.compactions("long").unwrap();
    let mut upto_before = 0;
    for compaction in &compactions {
        let turns_in_span: Vec<usize> = messages
            .iter()
            .filter(|m| m.id > upto_before && m.id <= compaction.upto_message)
            .filter_map(|m| {
                m.message
                    .content
                    .strip_prefix("Task ")
                    .and_then(|rest| rest.split(':').next())
                    .and_then(|n| n.parse().ok())
            })
            .collect();
        assert!(!turns_in_span.is_empty());
        let expected: Vec<String> = turns_in_span.iter().flat_map(|&n| facts_of(n)).collect();
        let kept = expected
            .iter()
            .filter(|fact| compaction.text.contains(fact.as_str()))
            .count();
        let share = kept as f64 / expected.len() as f64;
        println!(
            "compaction up to message {}: {} turns, kept {kept}/{} facts ({:.1} %)",
            compaction.upto_message,
            turns_in_span.len(),
            expected.len(),
            share * 100.0
        );
        assert!(share >= 0.95, "{share}: {}", compaction.text);
        upto_before = compaction.upto_message;
    }

    // What the model saw last: the latest compaction first, then only the recent turns,
    // every call still followed by its result (the scripted server checks the pairing).
    let requests = llm.requests();
    let last = requests
        .iter()
        .rev()
        .find(|r| !r.raw_body.contains(SUMMARY) && !r.raw_body.contains(FLUSH))
        .unwrap();
    let sent = last.body["messages"].as_array().unwrap();
    assert!(
        sent[1]["content"]
            .as_str()
            .unwrap()
            .starts_with("[Pincer: the "),
        "{}",
        sent[1]
    );
    assert!(
        sent.len() < messages.len() / 2,
        "{} messages sent of {}",
        sent.len(),
        messages.len()
    );
    // Well inside the window (about four characters a token for this ASCII session).
    assert!(
        last.raw_body.len() / 4 < 8192,
        "{} bytes",
        last.raw_body.len()
    );
    // Between compactions each request repeats the one before it, byte for byte.
    let turn_requests: Vec<&str> = requests
        .iter()
        .filter(|r| !r.raw_body.contains(SUMMARY) && !r.raw_body.contains(FLUSH))
        .map(|r| r.raw_body.as_str())
        .collect();
    let mut extended = 0;
    for pair in turn_requests.windows(2) {
        let before = &pair[0][..pair[0].rfind("}]").unwrap() + 1];
        if pair[1].starts_with(before) {
            extended += 1;
        }
    }
    let breaks = turn_requests.len() - 1 - extended;
    assert!(
        breaks <= total,
        "{breaks} prefix breaks for {total} compactions"
    );
    // The flush ran before each compaction and saved its fact once.
    assert_eq!(store.memory_count().unwrap(), 1);
    llm.verify();
}

#[tokio::test]
async fn the_providers_window_full_error_compacts_flushes_and_sends_again() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    llm.answer_system_prefix(SUMMARY, Reply::text("Trip planning for Kyoto."));
    llm.answer_system_prefix(
        FLUSH,
        Reply::text("- The user is going to Kyoto in May\n- The user prefers night trains"),
    );
    for text in [
        "We go to Kyoto in May, booking ref KX-2291.",
        "I prefer night trains; the 21:40 from Tokyo.",
        "Hotel near Gion, confirmation 77123.",
    ] {
        llm.push(Reply::text("Noted."));
        h.turn("trip", text).await;
    }
    llm.push(
        Reply::status(400).with_text(
            "This model's maximum context length is 8192 tokens (context_length_exceeded)",
        ),
    );
    llm.push(Reply::text("Your train leaves at 21:40."));
    let events = h.turn("trip", "When does my train leave?").await;
    assert_eq!(final_text(&events), "Your train leaves at 21:40.");
    let facts_saved = events
        .iter()
        .find_map(|e| match e {
            Event::Compacted { facts_saved, .. } => Some(*facts_saved),
            _ => None,
        })
        .expect("compacted after the provider's error");
    assert_eq!(facts_saved, 2);
    let store = store(&h);
    assert_eq!(store.memory_count().unwrap(), 2);
    let compaction = store.latest_compaction("trip").unwrap().unwrap();
    for fact in ["KX-2291", "21:40", "77123"] {
        assert!(
            compaction.text.contains(fact),
            "{fact}: {}",
            compaction.text
        );
    }
    // The retry carried the compaction in place of the older turns.
    let retry = llm.requests().last().unwrap().body.clone();
    let first = retry["messages"][1]["content"].as_str().unwrap();
    assert!(first.contains("Trip planning for Kyoto."), "{first}");
    // All messages are still stored; `expand` reads them back.
    assert!(store.messages("trip").unwrap().len() >= 7);
    llm.verify();
}

#[tokio::test]
async fn a_compaction_that_fails_ends_the_turn_with_an_error_and_changes_nothing() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    llm.answer_system_prefix(FLUSH, Reply::text("- none"));
    llm.answer_system_prefix(SUMMARY, Reply::status(400).with_text("bad request"));
    for text in ["first thing", "second thing"] {
        llm.push(Reply::text("ok"));
        h.turn("s", text).await;
    }
    llm.push(Reply::status(400).with_text("context_length_exceeded: too long"));
    let events = h.turn("s", "third thing").await;
    let Some(Event::TurnFailed { error, .. }) = events.last() else {
        panic!("{events:?}")
    };
    assert!(
        error.message.contains("could not compact the conversation"),
        "{}",
        error.message
    );
    assert!(store(&h).latest_compaction("s").unwrap().is_none());
    // The next turn goes on with the whole history.
    llm.push(Reply::text("still here"));
    let events = h.turn("s", "fourth").await;
    assert_eq!(final_text(&events), "still here");
    let sent = llm.requests().last().unwrap().body["messages"]
        .as_array()
        .unwrap()
        .len();
    assert!(sent >= 7, "{sent}");
}

/// Waits (at most 10 s) for the scripted model to have received `n` flush requests.
async fn flush_requests(llm: &ScriptedLlm, n: usize) -> Vec<serde_json::Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let flushes: Vec<serde_json::Value> = llm
            .requests()
            .into_iter()
            .map(|r| r.body)
            .filter(|body| {
                body["messages"][0]["content"]
                    .as_str()
                    .is_some_and(|s| s.starts_with(FLUSH))
            })
            .collect();
        if flushes.len() >= n {
            return flushes;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} flush requests within 10 s, {n} expected",
            flushes.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_session_gone_idle_saves_what_the_user_said_and_reads_each_message_once() {
    let llm = ScriptedLlm::start().await;
    let config = format!("{FAST}[agent]\nsession_idle_secs = 1\n");
    let mut h = Harness::with_config(&llm, "openai", &config, ApprovalMode::Deny);
    llm.answer_system_prefix(
        FLUSH,
        Reply::text("- The user's locker code is 4417\n- none"),
    );
    llm.push(Reply::text("Got it."));
    h.turn("s", "my locker code is 4417, by the way").await;

    // A second later the session is idle: the engine flushes without being asked.
    let flushes = flush_requests(&llm, 1).await;
    let asked = flushes[0]["messages"][1]["content"].as_str().unwrap();
    assert!(asked.contains("my locker code is 4417"), "{asked}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let saved = loop {
        let found = store(&h).search_memories("4417", None, 5).unwrap();
        if let Some(memory) = found.into_iter().next() {
            break memory;
        }
        assert!(std::time::Instant::now() < deadline, "nothing saved");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(saved.content, "The user's locker code is 4417");
    assert_eq!(saved.source_session.as_deref(), Some("s"));
    assert_eq!(store(&h).memory_count().unwrap(), 1);

    // The next idle period reads only what is new.
    llm.push(Reply::text("Nice."));
    h.turn("s", "I moved to Porto last week").await;
    let flushes = flush_requests(&llm, 2).await;
    let asked = flushes[1]["messages"][1]["content"].as_str().unwrap();
    assert!(asked.contains("I moved to Porto"), "{asked}");
    assert!(!asked.contains("4417"), "{asked}");
    // The same fact again is not a second memory.
    assert_eq!(store(&h).memory_count().unwrap(), 1);
    // Nothing reached a surface: the flush is not a turn.
    assert!(h.events.try_recv().is_err());
}

#[tokio::test]
async fn a_message_sent_while_the_idle_flush_runs_does_not_wait_for_it() {
    let llm = ScriptedLlm::start().await;
    let config = format!("{FAST}[agent]\nsession_idle_secs = 1\n");
    let mut h = Harness::with_config(&llm, "openai", &config, ApprovalMode::Deny);
    // The flush's request never gets an answer (a slow model, a stalled server).
    llm.answer_system_prefix(
        FLUSH,
        Reply::text("- never").delay(std::time::Duration::from_secs(60)),
    );
    llm.push(Reply::text("Got it."));
    h.turn("s", "my locker code is 4417").await;
    flush_requests(&llm, 1).await;

    // The flush hangs; the next message is answered at once, not after the request's
    // ten-second timeout (the harness fails a turn silent for ten seconds).
    llm.push(Reply::text("Sure."));
    let events = h.turn("s", "and what else?").await;
    assert_eq!(final_text(&events), "Sure.");
    // Nothing was saved, and the mark did not move: the next idle period reads both.
    assert_eq!(store(&h).memory_count().unwrap(), 0);
    let flushes = flush_requests(&llm, 2).await;
    let asked = flushes[1]["messages"][1]["content"].as_str().unwrap();
    assert!(
        asked.contains("4417") && asked.contains("what else"),
        "{asked}"
    );
}
