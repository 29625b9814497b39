#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Connection limits with real sockets: a client that never finishes its request headers
//! is dropped after the header timeout, and at the connection cap idle connections make
//! room for new ones, so a flood of half-open sockets cannot keep the owner out.

mod common;

use std::time::{Duration, Instant};

use common::{TestGateway, WAIT};
use pincer_gateway::ConnectionLimits;
use pretty_assertions::assert_eq;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Whether the server closes `stream` within `wait` (EOF or reset), reading and
/// discarding whatever it sends first.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

/// Reads one HTTP/1.1 response with a `Content-Length`; returns its status.
async fn read_response(stream: &mut TcpStream) -> u16 {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if data.len() >= end + 4 + length {
                return head.split_whitespace().nth(1).unwrap().parse().unwrap();
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, stream.read(&mut buf))
            .await
            .expect("a response within 10 s")
            .expect("read");
        assert!(
            n > 0,
            "the server closed the connection instead of answering"
        );
        data.extend_from_slice(&buf[..n]);
    }
}

fn request(gw: &TestGateway, path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\n{extra}Connection: keep-alive\r\n\r\n",
        gw.addr
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_trickles_its_headers_is_dropped_after_the_timeout() {
    let timeout = Duration::from_millis(300);
    let gw = TestGateway::start_with_limits(ConnectionLimits {
        header_timeout: timeout,
        ..ConnectionLimits::default()
    })
    .await;
    let mut stream = TcpStream::connect(gw.addr).await.unwrap();
    let started = Instant::now();
    stream
        .write_all(format!("GET /api/health HTTP/1.1\r\nHost: {}\r\n", gw.addr).as_bytes())
        .await
        .unwrap();
    // One more header byte every 50 ms: never a complete request, never silent.
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for byte in b"X-Slow: ".iter().cycle() {
            if writer.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(WAIT, async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    trickle.abort();
    assert!(
        closed.is_ok(),
        "a trickling client was still connected after 10 s"
    );
    assert!(
        started.elapsed() >= timeout - Duration::from_millis(50),
        "dropped before the timeout: {:?}",
        started.elapsed()
    );

    // An idle keep-alive connection is closed after the same time.
    let mut stream = TcpStream::connect(gw.addr).await.unwrap();
    stream
        .write_all(request(&gw, "/api/health", "").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_response(&mut stream).await, 200);
    assert!(
        closed_within(&mut stream, WAIT).await,
        "an idle keep-alive connection stayed open"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn at_the_cap_idle_connections_make_room_and_the_owner_is_served() {
    const CAP: usize = 8;
    let gw = TestGateway::start_with_limits(ConnectionLimits {
        header_timeout: Duration::from_secs(60),
        max_connections: CAP,
    })
    .await;
    // A cap's worth of sockets that never send a byte, then as many again.
    let mut idle = Vec::new();
    for _ in 0..CAP * 3 {
        idle.push(TcpStream::connect(gw.addr).await.unwrap());
    }
    // The owner's client connects after all of them and is served at once.
    let started = Instant::now();
    let (status, body) = gw.get(&gw.bearer_client(), "/api/sessions").await;
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() < WAIT, "{:?}", started.elapsed());

    // The oldest idle sockets were closed to make room (the header timeout is a minute,
    // so only the cap can have closed them) …
    let (old, recent) = idle.split_at_mut(CAP * 2 + 1);
    for (i, stream) in old.iter_mut().enumerate() {
        assert!(
            closed_within(stream, WAIT).await,
            "idle socket {i} of {} is still open past the cap",
            CAP * 3
        );
    }
    // … and the newest ones are still served.
    for stream in recent.iter_mut() {
        stream
            .write_all(request(&gw, "/api/health", "").as_bytes())
            .await
            .unwrap();
        assert_eq!(read_response(stream).await, 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_that_carried_an_authenticated_request_is_never_pushed_out() {
    const CAP: usize = 4;
    let gw = TestGateway::start_with_limits(ConnectionLimits {
        header_timeout: Duration::from_secs(60),
        max_connections: CAP,
    })
    .await;
    let bearer = format!("Authorization: Bearer {}\r\n", gw.token());
    let mut owner = TcpStream::connect(gw.addr).await.unwrap();
    owner
        .write_all(request(&gw, "/api/sessions", &bearer).as_bytes())
        .await
        .unwrap();
    assert_eq!(read_response(&mut owner).await, 200);

    // A flood of idle sockets, then one more to be sure the flood has been accepted.
    let mut flood = Vec::new();
    for _ in 0..CAP * 4 {
        flood.push(TcpStream::connect(gw.addr).await.unwrap());
    }
    assert!(
        closed_within(&mut flood[0], WAIT).await,
        "the flood reached the cap"
    );
    owner
        .write_all(request(&gw, "/api/sessions", &bearer).as_bytes())
        .await
        .unwrap();
    assert_eq!(
        read_response(&mut owner).await,
        200,
        "the owner's connection"
    );

    // An unauthenticated request protects nothing: its connection can be pushed out.
    let mut anonymous = TcpStream::connect(gw.addr).await.unwrap();
    anonymous
        .write_all(request(&gw, "/api/health", "").as_bytes())
        .await
        .unwrap();
    assert_eq!(read_response(&mut anonymous).await, 200);
    let mut more = Vec::new();
    for _ in 0..CAP * 2 {
        more.push(TcpStream::connect(gw.addr).await.unwrap());
    }
    assert!(closed_within(&mut anonymous, WAIT).await);
}
