#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `EngineLink::Remote`: a surface in another process drives the gateway's engine over the
//! WebSocket exactly as it would an engine of its own — the same submissions, replies,
//! refusals, events and catch-up status.

mod common;

use std::time::Duration;

use common::{TestGateway, WAIT};
use pincer_core::protocol::{
    ApprovalDecision, ApprovalMode, Event, Op, OpErrorKind, Reply as OpReply, Submission,
};
use pincer_gateway::link::{EngineLink, LinkError, LinkEvent, LinkEvents, RemoteEngine};
use pincer_testkit::Reply;
use pretty_assertions::assert_eq;

async fn remote(gw: &TestGateway) -> EngineLink {
    let url = format!("http://{}", gw.addr);
    EngineLink::Remote(RemoteEngine::connect(gw.home(), &url).await.unwrap())
}

/// The next event of `session`, skipping other sessions'.
async fn next_event(events: &mut LinkEvents, session: &str) -> Event {
    loop {
        let received = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("an event in time")
            .expect("the link is open");
        if let LinkEvent::Event(event) = received
            && event.session == session
        {
            return event.event;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_remote_link_runs_a_turn_with_an_approval_like_a_local_one() {
    let gw = TestGateway::start().await;
    gw.llm.push(Reply::tool_call(
        "w",
        "write_file",
        r#"{"path":"remote.txt","content":"over the socket"}"#,
    ));
    gw.llm.push(Reply::text("written remotely"));
    let link = remote(&gw).await;
    assert!(link.local().is_none());
    let (status, mut events) = link.subscribe_live();
    assert!(status.turns.is_empty() && !status.paused, "{status:?}");

    let turn = Submission::fresh(Op::UserTurn {
        session: "r1".to_owned(),
        text: "write it".to_owned(),
        approvals: Some(ApprovalMode::Ask),
        job: None,
    });
    let turn_id = turn.id.clone();
    let queued_as = match link.submit(turn).await.unwrap() {
        OpReply::TurnQueued { turn_id } => turn_id,
        other => panic!("a user turn is answered with its turn id, not {other:?}"),
    };

    let call_id = loop {
        match next_event(&mut events, "r1").await {
            Event::ApprovalRequested { call_id, .. } => break call_id,
            Event::TurnStarted { turn_id, .. } => {
                assert_eq!(
                    turn_id, queued_as,
                    "the turn carries the id its reply named"
                );
            }
            Event::ModelRequest { .. } => {}
            Event::ToolCallRequested { .. } | Event::Usage { .. } => {}
            other => panic!("unexpected before the approval: {other:?}"),
        }
    };
    // A surface connecting now sees the running turn, waiting for its answer.
    let (status, _) = remote(&gw).await.subscribe_live();
    assert_eq!(status.turns.len(), 1);
    assert_eq!(status.turns[0].submission, turn_id);
    assert_eq!(status.turns[0].pending_approvals().count(), 1);

    link.submit(Submission::fresh(Op::Approve {
        session: "r1".to_owned(),
        call_id: call_id.clone(),
        decision: ApprovalDecision::Once,
    }))
    .await
    .unwrap();
    let text = loop {
        if let Event::TurnCompleted { text, .. } = next_event(&mut events, "r1").await {
            break text;
        }
    };
    assert_eq!(text, "written remotely");
    assert_eq!(
        std::fs::read_to_string(gw.workspace().join("remote.txt")).unwrap(),
        "over the socket"
    );

    // Answering it again is refused the way the engine refuses it, kind and all.
    let again = link
        .submit(Submission::fresh(Op::Approve {
            session: "r1".to_owned(),
            call_id,
            decision: ApprovalDecision::Once,
        }))
        .await
        .unwrap_err();
    assert_eq!(again.kind, OpErrorKind::NotFound, "{again:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn queries_and_pause_travel_over_the_link() {
    let gw = TestGateway::start().await;
    let link = remote(&gw).await;
    let mut paused = link.watch_paused();
    assert!(!link.is_paused());

    link.submit(Submission::fresh(Op::SetPaused { paused: true }))
        .await
        .unwrap();
    tokio::time::timeout(WAIT, paused.wait_for(|p| *p))
        .await
        .expect("the pause reaches the link")
        .unwrap();
    assert!(gw.engine.is_paused());

    match link.submit(Submission::fresh(Op::Status)).await.unwrap() {
        OpReply::Status(status) => assert!(status.paused),
        other => panic!("a status query answers with the status, not {other:?}"),
    }
    let bad = link
        .submit(Submission::new("not a valid id!".to_owned(), Op::Status))
        .await
        .unwrap_err();
    assert_eq!(bad.kind, OpErrorKind::Invalid, "{bad:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_refused_at_connect() {
    let gw = TestGateway::start().await;
    let other_home = tempfile::tempdir().unwrap();
    std::fs::write(other_home.path().join("gateway.token"), "not-the-token\n").unwrap();
    let url = format!("http://{}", gw.addr);
    let refused = tokio::time::timeout(
        Duration::from_secs(10),
        RemoteEngine::connect(other_home.path(), &url),
    )
    .await
    .unwrap();
    assert!(
        matches!(refused, Err(LinkError::Connect { .. })),
        "{:?}",
        refused.err()
    );
}
