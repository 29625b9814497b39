#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `web_fetch` against a tiny HTTP server on 127.0.0.1.

use std::net::SocketAddr;
use std::path::PathBuf;

use pincer_core::tools::web_fetch::WebFetch;
use pincer_core::tools::{Access, ToolError, ToolExt, ToolSettings};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const PAGE: &str = "<!doctype html><html><head><title>Ignored</title><style>body{color:red}</style></head>\
<body><h1>Title</h1><p>Hello <b>world</b>.</p><script>alert('no')</script></body></html>";

/// Serves a few fixed responses, one request per connection.
async fn serve() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let request = String::from_utf8_lossy(&request);
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, headers, body): (&str, String, Vec<u8>) = match path.as_str() {
                    "/page" => (
                        "200 OK",
                        "Content-Type: text/html; charset=utf-8\r\n".into(),
                        PAGE.into(),
                    ),
                    "/text" => (
                        "200 OK",
                        "Content-Type: text/plain\r\n".into(),
                        b"plain text\n".to_vec(),
                    ),
                    "/big" => (
                        "200 OK",
                        "Content-Type: text/plain\r\n".into(),
                        vec![b'a'; 10_000],
                    ),
                    "/image" => (
                        "200 OK",
                        "Content-Type: image/png\r\n".into(),
                        b"\x89PNG\r\n\x1a\n\0\0".to_vec(),
                    ),
                    "/redirect" => ("302 Found", "Location: /page\r\n".into(), Vec::new()),
                    "/to-file" => (
                        "302 Found",
                        "Location: file:///etc/passwd\r\n".into(),
                        Vec::new(),
                    ),
                    "/loop" => ("302 Found", "Location: /loop\r\n".into(), Vec::new()),
                    "/ua" => {
                        let ua = request
                            .lines()
                            .find_map(|l| {
                                l.strip_prefix("user-agent: ")
                                    .or(l.strip_prefix("User-Agent: "))
                            })
                            .unwrap_or("none")
                            .to_owned();
                        (
                            "200 OK",
                            "Content-Type: text/plain\r\n".into(),
                            ua.into_bytes(),
                        )
                    }
                    _ => (
                        "404 Not Found",
                        "Content-Type: text/plain\r\n".into(),
                        b"nope".to_vec(),
                    ),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}

fn settings(allow_private: bool) -> ToolSettings {
    let mut settings = ToolSettings::new(PathBuf::from("/nonexistent-workspace"));
    settings.fetch_allow_private = allow_private;
    settings
}

async fn fetch(settings: &ToolSettings, url: &str) -> Result<String, ToolError> {
    WebFetch::default()
        .call(json!({"url": url}), settings)
        .await
        .map(|output| output.text)
}

#[tokio::test]
async fn html_is_converted_to_markdown() {
    let addr = serve().await;
    let out = fetch(&settings(true), &format!("http://{addr}/page"))
        .await
        .unwrap();
    assert!(
        out.starts_with(&format!("URL: http://{addr}/page\nStatus: 200 OK\n")),
        "{out}"
    );
    assert!(out.contains("# Title"), "{out}");
    assert!(out.contains("Hello **world**."), "{out}");
    assert!(!out.contains("alert"), "{out}");
    assert!(!out.contains("color:red"), "{out}");
}

#[tokio::test]
async fn text_is_returned_as_is_and_binary_refused() {
    let addr = serve().await;
    let settings = settings(true);
    let out = fetch(&settings, &format!("http://{addr}/text"))
        .await
        .unwrap();
    assert!(out.ends_with("\n\nplain text\n"), "{out}");
    let out = fetch(&settings, &format!("http://{addr}/missing"))
        .await
        .unwrap();
    assert!(out.contains("Status: 404 Not Found"), "{out}");
    let err = fetch(&settings, &format!("http://{addr}/image"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("binary content (image/png)"),
        "{err}"
    );
}

#[tokio::test]
async fn sends_a_pincer_user_agent() {
    let addr = serve().await;
    let out = fetch(&settings(true), &format!("http://{addr}/ua"))
        .await
        .unwrap();
    assert!(out.contains("pincer/"), "{out}");
}

#[tokio::test]
async fn body_is_capped() {
    let addr = serve().await;
    let mut settings = settings(true);
    settings.fetch_limit = 1000;
    let out = fetch(&settings, &format!("http://{addr}/big"))
        .await
        .unwrap();
    assert!(
        out.contains(&format!("\n\n{}\n", "a".repeat(1000))),
        "{out}"
    );
    assert!(!out.contains(&"a".repeat(1001)));
    assert!(
        out.contains("[truncated: only the first 1000 bytes"),
        "{out}"
    );
    // max_bytes lowers the cap further.
    let out = WebFetch::default()
        .call(
            json!({"url": format!("http://{addr}/big"), "max_bytes": 10}),
            &settings,
        )
        .await
        .unwrap()
        .text;
    assert!(out.contains("\n\naaaaaaaaaa\n"), "{out}");
    assert!(out.contains("first 10 bytes"), "{out}");
}

#[tokio::test]
async fn redirects_are_followed_and_checked() {
    let addr = serve().await;
    let settings = settings(true);
    let out = fetch(&settings, &format!("http://{addr}/redirect"))
        .await
        .unwrap();
    assert!(
        out.starts_with(&format!("URL: http://{addr}/page\n")),
        "{out}"
    );
    assert!(out.contains("# Title"), "{out}");
    let err = fetch(&settings, &format!("http://{addr}/to-file"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only http and https"), "{err}");
    let err = fetch(&settings, &format!("http://{addr}/loop"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("too many redirects"), "{err}");
}

#[tokio::test]
async fn private_addresses_are_refused_by_default() {
    let addr = serve().await;
    let settings = settings(false);
    for url in [
        format!("http://{addr}/page"),
        format!("http://localhost:{}/page", addr.port()),
        format!("http://[::1]:{}/page", addr.port()),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/".to_owned(),
        "http://[::ffff:127.0.0.1]/".to_owned(),
    ] {
        let err = fetch(&settings, &url).await.unwrap_err();
        let message = err.to_string();
        assert!(message.contains("private or loopback"), "{url}: {message}");
    }
}

#[tokio::test]
async fn only_http_schemes() {
    let settings = settings(true);
    for url in ["file:///etc/passwd", "ftp://example.com/x", "not a url"] {
        assert!(
            matches!(
                fetch(&settings, url).await,
                Err(ToolError::InvalidArguments(_))
            ),
            "{url}"
        );
        assert!(
            matches!(
                WebFetch::default().access(&json!({"url": url}), &settings),
                Err(ToolError::InvalidArguments(_))
            ),
            "{url}"
        );
    }
    assert_eq!(
        WebFetch::default()
            .access(&json!({"url": "https://example.com/a?b=c"}), &settings)
            .unwrap(),
        Access::Network {
            url: "https://example.com/a?b=c".to_owned()
        }
    );
}
