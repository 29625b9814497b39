//! Long-term memory through the engine, asserted on the requests a scripted model received:
//! a fact saved long ago comes back in a new session's request, with the newest user
//! message and never in the system prompt; recalled text is never saved again; the request
//! prefix stays byte-identical while recall runs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Harness, final_text};
use pincer_core::agent::ApprovalMode;
use pincer_core::protocol::Event;
use pincer_core::store::{RecalledKind, Store};
use pincer_testkit::{Reply, ScriptedLlm};

fn store(h: &Harness) -> Store {
    Store::open(&h.home.path().join("pincer.db")).unwrap()
}

/// The last message of a request body (the newest user message at a turn's first step).
fn last_message(body: &serde_json::Value) -> String {
    let messages = body["messages"].as_array().unwrap();
    messages.last().unwrap()["content"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn system(body: &serde_json::Value) -> String {
    body["messages"][0]["content"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_fact_saved_100_sessions_ago_is_recalled_into_a_new_sessions_request() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);

    llm.push(Reply::tool_call(
        "c1",
        "memory_save",
        r#"{"content":"我每周六去杭州西湖散步","kind":"preference"}"#,
    ));
    llm.push(Reply::text("记住了。"));
    let events = h.turn("first", "记住：我每周六去杭州西湖散步").await;
    assert_eq!(final_text(&events), "记住了。");
    let saved = events
        .iter()
        .find_map(|e| match e {
            Event::ToolCallFinished { output, .. } => Some(output.clone()),
            _ => None,
        })
        .unwrap();
    assert!(saved.starts_with("saved as mem-"), "{saved}");
    let id = saved.trim_start_matches("saved as ").to_owned();

    for n in 0..100 {
        llm.push(Reply::text("ok"));
        h.turn(&format!("filler-{n}"), &format!("what is {n} + {n}?"))
            .await;
    }
    let requests_before = llm.requests().len();

    llm.push(Reply::text("西湖。"));
    let events = h.turn("new", "这个周六我去哪里散步？").await;
    assert_eq!(final_text(&events), "西湖。");
    let recalled = events
        .iter()
        .find_map(|e| match e {
            Event::Recalled { items, .. } => Some(items.clone()),
            _ => None,
        })
        .expect("a Recalled event");
    assert!(
        recalled
            .iter()
            .any(|item| item.kind == RecalledKind::Memory && item.source == id),
        "{recalled:?}"
    );
    let request = &llm.requests()[requests_before];
    let newest = last_message(&request.body);
    assert!(newest.contains("<recalled>"), "{newest}");
    assert!(
        newest.contains(&format!("- memory {id} (you noted, ")),
        "{newest}"
    );
    assert!(newest.contains("我每周六去杭州西湖散步"), "{newest}");
    assert!(newest.ends_with("这个周六我去哪里散步？"), "{newest}");
    assert!(!system(&request.body).contains("西湖"));
    // The first session's own words come back as a past conversation too.
    assert!(newest.contains("- past conversation first ("), "{newest}");

    // The fillers recalled nothing: arithmetic has nothing to do with the lake.
    let filler = &llm.requests()[requests_before - 1];
    assert!(!last_message(&filler.body).contains("<recalled>"));
    // The chat shows what was recalled, from the store, after the turn.
    let shown = store(&h).recalls("new").unwrap();
    assert_eq!(shown, recalled);
    assert!(
        store(&h)
            .memory(&id)
            .unwrap()
            .unwrap()
            .last_recalled
            .is_some()
    );
}

#[tokio::test]
async fn recalling_the_same_memory_for_50_turns_does_not_grow_the_store() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    llm.push(Reply::tool_call(
        "c1",
        "memory_save",
        r#"{"content":"My passport is in the blue folder, ~/docs/id.pdf"}"#,
    ));
    llm.push(Reply::text("Noted."));
    h.turn(
        "setup",
        "Remember: my passport is in the blue folder, ~/docs/id.pdf",
    )
    .await;
    assert_eq!(store(&h).memory_count().unwrap(), 1);

    for turn in 0..50 {
        if turn % 5 == 0 {
            // The model tries to save what it was just shown, as peers' agents do.
            llm.push(Reply::tool_call(
                &format!("c{turn}"),
                "memory_save",
                r#"{"content":"my passport is in the blue folder ~/docs/id.pdf."}"#,
            ));
        }
        llm.push(Reply::text("In the blue folder."));
        // A new session each time: within one session what was recalled stays in its
        // request and is not given again.
        let events = h
            .turn(&format!("asking-{turn}"), "Where is my passport?")
            .await;
        assert!(
            events.iter().any(|e| matches!(e, Event::Recalled { .. })),
            "turn {turn}"
        );
        if turn % 5 == 0 {
            let output = events
                .iter()
                .find_map(|e| match e {
                    Event::ToolCallFinished { output, .. } => Some(output.clone()),
                    _ => None,
                })
                .unwrap();
            assert!(output.starts_with("already remembered as mem-"), "{output}");
        }
    }
    let store = store(&h);
    assert_eq!(store.memory_count().unwrap(), 1);
    // The recalled block is not a message anybody wrote: searching stored conversations
    // for its wording finds nothing.
    assert!(
        store
            .search_messages("From your memory and past conversations", 5)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn within_a_session_a_memory_is_recalled_once() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    llm.push(Reply::tool_call(
        "c1",
        "memory_save",
        r#"{"content":"My passport is in the blue folder"}"#,
    ));
    llm.push(Reply::text("Noted."));
    h.turn("setup", "Remember where my passport is").await;
    let mut recalled = 0;
    for _ in 0..5 {
        llm.push(Reply::text("In the blue folder."));
        let events = h.turn("same", "Where is my passport?").await;
        recalled += events
            .iter()
            .filter(|e| matches!(e, Event::Recalled { items, .. } if items.iter().any(|i| i.kind == RecalledKind::Memory)))
            .count();
    }
    assert_eq!(recalled, 1);
    let last = llm.requests().last().unwrap().body.clone();
    let all = serde_json::to_string(&last["messages"]).unwrap();
    assert_eq!(
        all.matches("My passport is in the blue folder").count(),
        1,
        "{all}"
    );
}

#[tokio::test]
async fn the_request_prefix_stays_byte_identical_across_20_turns_with_recall() {
    let llm = ScriptedLlm::start().await;
    let mut h = Harness::new(&llm, ApprovalMode::Deny);
    // Ten facts, so that recall has something new to give on many turns (within a
    // session each memory is given once).
    let topics = [
        "Kyoto",
        "passport",
        "dentist",
        "wifi",
        "bicycle",
        "piano",
        "garden",
        "insurance",
        "laptop",
        "marathon",
    ];
    for (n, topic) in topics.iter().enumerate() {
        llm.push(Reply::tool_call(
            &format!("c{n}"),
            "memory_save",
            &serde_json::json!({ "content": format!("The {topic} papers are filed away") })
                .to_string(),
        ));
    }
    llm.push(Reply::text("Saved."));
    let events = h.turn("setup", "remember these notes").await;
    assert_eq!(final_text(&events), "Saved.");
    assert_eq!(store(&h).memory_count().unwrap(), 10);

    let first = llm.requests().len();
    for turn in 0..20 {
        if turn % 4 == 1 {
            llm.push(Reply::tool_call(
                &format!("s{turn}"),
                "memory_search",
                r#"{"query":"Kyoto"}"#,
            ));
        }
        llm.push(Reply::text(&format!("answer {turn}")));
        let text = if turn % 2 == 0 {
            format!("question {turn} about the {} papers", topics[turn / 2])
        } else {
            format!("question {turn}: something else entirely")
        };
        h.turn("long", &text).await;
    }
    let requests = llm.requests();
    let mut reused = 0usize;
    let mut total = 0usize;
    for pair in requests[first..].windows(2) {
        let (before, after) = (&pair[0].raw_body, &pair[1].raw_body);
        // Everything up to the end of the earlier request's last message is sent again,
        // byte for byte, in the later one.
        let messages_end = before.rfind(']').unwrap();
        let stem = &before[..messages_end];
        let cut = stem.rfind('}').unwrap() + 1;
        assert!(
            after.starts_with(&before[..cut]),
            "the later request does not repeat the earlier one"
        );
        reused += cut;
        total += after.len();
    }
    let share = reused as f64 / total as f64;
    assert!(share >= 0.95 || requests.len() - first < 3, "{share}");
    let with_recall: Vec<String> = requests[first..]
        .iter()
        .map(|r| last_message(&r.body))
        .filter(|m| m.contains("<recalled>"))
        .collect();
    assert!(with_recall.len() >= 10, "{with_recall:#?}");
}
