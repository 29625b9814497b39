//! `web_fetch`: GET a URL and return its text, HTML converted to Markdown.
//!
//! The model decides which URLs to fetch, and a page it read may have told it to: without a
//! guard it could reach the user's router, cloud metadata endpoints or local services. Hosts
//! are therefore checked before connecting, on every redirect hop, and once more inside the
//! client's DNS resolver so a name cannot resolve to a public address for the check and a
//! private one for the connection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::{Client, StatusCode, Url, header};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Access, ToolError, ToolOutput, ToolSettings, TypedTool, text_output};

const MAX_REDIRECTS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const USER_AGENT: &str = concat!("pincer/", env!("CARGO_PKG_VERSION"));
/// Elements whose content is not page text.
const SKIP_TAGS: [&str; 8] = [
    "script", "style", "noscript", "template", "iframe", "svg", "canvas", "head",
];

/// Holds the HTTP clients, built on first use and reused (connection pools, TLS config).
#[derive(Default)]
pub struct WebFetch {
    /// Resolver refuses non-public addresses.
    guarded: OnceLock<Client>,
    /// For `fetch_allow_private`.
    open: OnceLock<Client>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    url: String,
    max_bytes: Option<usize>,
}

impl TypedTool for WebFetch {
    type Args = Args;
    type Plan = (reqwest::Url, Option<usize>);

    fn name(&self) -> &'static str {
        "web_fetch"
    }

    fn description(&self) -> &'static str {
        "Fetch a public http(s) URL as text (HTML as Markdown); large bodies are truncated."
    }

    fn plan(
        &self,
        args: Args,
        _settings: &ToolSettings,
    ) -> Result<(Access, Self::Plan), ToolError> {
        let url = parse_url(&args.url)?;
        let access = Access::Network {
            url: url.to_string(),
        };
        Ok((access, (url, args.max_bytes)))
    }

    fn run<'a>(
        &'a self,
        plan: Self::Plan,
        settings: &'a ToolSettings,
    ) -> BoxFuture<'a, Result<ToolOutput, ToolError>> {
        Box::pin(text_output(async move {
            let (url, max_bytes) = plan;
            let cap = max_bytes.unwrap_or(usize::MAX).min(settings.fetch_limit);
            let client = self.client(settings.fetch_allow_private)?;
            fetch(&client, url, cap, settings.fetch_allow_private).await
        }))
    }
}

impl WebFetch {
    fn client(&self, allow_private: bool) -> Result<Client, ToolError> {
        let lock = if allow_private {
            &self.open
        } else {
            &self.guarded
        };
        if let Some(client) = lock.get() {
            return Ok(client.clone());
        }
        let mut builder = Client::builder()
            .user_agent(USER_AGENT)
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on our behalf, out of reach of the address checks.
            .no_proxy();
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let client = builder
            .build()
            .map_err(|e| ToolError::Failed(format!("could not set up the HTTP client: {e}")))?;
        // Another call may have won the race; either client is fine.
        Ok(lock.get_or_init(|| client).clone())
    }
}

fn parse_url(raw: &str) -> Result<Url, ToolError> {
    let url = Url::parse(raw.trim())
        .map_err(|e| ToolError::InvalidArguments(format!("bad URL {raw:?}: {e}")))?;
    check_scheme(&url)?;
    Ok(url)
}

fn check_scheme(url: &Url) -> Result<(), ToolError> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(ToolError::InvalidArguments(format!(
            "web_fetch only fetches http and https URLs, not {other}:"
        ))),
    }
}

async fn fetch(
    client: &Client,
    mut url: Url,
    cap: usize,
    allow_private: bool,
) -> Result<String, ToolError> {
    let mut hops = 0;
    let mut response = loop {
        if !allow_private {
            check_host(&url).await?;
        }
        let response = client.get(url.clone()).send().await.map_err(|e| {
            ToolError::Failed(format!("fetching {url} failed: {}", error_chain(&e)))
        })?;
        if !response.status().is_redirection() {
            break response;
        }
        let Some(location) = response.headers().get(header::LOCATION) else {
            break response;
        };
        if hops == MAX_REDIRECTS {
            return Err(ToolError::Failed(format!(
                "too many redirects (more than {MAX_REDIRECTS}), last at {url}"
            )));
        }
        hops += 1;
        let location = location.to_str().map_err(|_| {
            ToolError::Failed(format!("{url} redirected to an unreadable Location header"))
        })?;
        let next = url.join(location).map_err(|e| {
            ToolError::Failed(format!("{url} redirected to a bad URL {location:?}: {e}"))
        })?;
        check_scheme(&next).map_err(|_| {
            ToolError::Failed(format!(
                "{url} redirected to {next}; only http and https are followed"
            ))
        })?;
        tracing::debug!(from = %url, to = %next, "web_fetch: following redirect");
        url = next;
    };

    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let kind = match content_type.as_deref() {
        Some(ct) => classify(ct),
        None => Kind::Unknown,
    };
    if kind == Kind::Binary {
        return Err(ToolError::Failed(format!(
            "{url} returned binary content ({}); web_fetch only returns text",
            content_type.as_deref().unwrap_or("")
        )));
    }

    let mut body: Vec<u8> = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ToolError::Failed(format!("reading {url} failed: {}", error_chain(&e))))?
    {
        let room = cap - body.len();
        if chunk.len() >= room {
            body.extend_from_slice(&chunk[..room]);
            // Stop only once we know there is more than the cap, so an exact fit is not
            // reported as truncated.
            truncated = chunk.len() > room
                || response
                    .chunk()
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|c| !c.is_empty());
            break;
        }
        body.extend_from_slice(&chunk);
    }
    if body.contains(&0) {
        return Err(ToolError::Failed(format!(
            "{url} returned binary content ({}); web_fetch only returns text",
            content_type.as_deref().unwrap_or("no content type")
        )));
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    let is_html = kind == Kind::Html || (kind == Kind::Unknown && looks_like_html(&text));
    let text = if is_html {
        html_to_markdown(text).await?
    } else {
        text
    };

    let mut out = format!("URL: {url}\nStatus: {}", status_line(status));
    if let Some(ct) = &content_type {
        out.push_str(&format!("\nContent-Type: {ct}"));
    }
    out.push_str("\n\n");
    out.push_str(text.trim());
    out.push('\n');
    if truncated {
        out.push_str(&format!(
            "\n[truncated: only the first {cap} bytes of the body were read]\n"
        ));
    }
    Ok(out)
}

fn status_line(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// reqwest's top-level message ("error sending request") hides the cause the model needs.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Html,
    Text,
    Binary,
    Unknown,
}

fn classify(content_type: &str) -> Kind {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime.is_empty() {
        return Kind::Unknown;
    }
    if mime == "text/html" || mime == "application/xhtml+xml" {
        return Kind::Html;
    }
    if mime.starts_with("text/") {
        return Kind::Text;
    }
    let Some(subtype) = mime.split('/').nth(1) else {
        return Kind::Unknown;
    };
    const TEXTUAL: [&str; 12] = [
        "json",
        "xml",
        "javascript",
        "ecmascript",
        "yaml",
        "toml",
        "csv",
        "x-sh",
        "sql",
        "graphql",
        "markdown",
        "x-www-form-urlencoded",
    ];
    if TEXTUAL.iter().any(|t| subtype.contains(t)) {
        Kind::Text
    } else {
        Kind::Binary
    }
}

fn looks_like_html(text: &str) -> bool {
    let start: String = text
        .trim_start()
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    start.starts_with("<!doctype html") || start.starts_with("<html")
}

async fn html_to_markdown(html: String) -> Result<String, ToolError> {
    // Converting a large page is CPU work; the converter is also not Send.
    tokio::task::spawn_blocking(move || {
        htmd::HtmlToMarkdown::builder()
            .skip_tags(SKIP_TAGS.to_vec())
            .build()
            .convert(&html)
    })
    .await
    .map_err(|e| ToolError::Failed(format!("converting HTML failed: {e}")))?
    .map_err(|e| ToolError::Failed(format!("converting HTML failed: {e}")))
}

async fn check_host(url: &Url) -> Result<(), ToolError> {
    let host = url
        .host_str()
        .ok_or_else(|| ToolError::InvalidArguments(format!("{url} has no host")))?;
    let port = url.port_or_known_default().unwrap_or(80);
    // IPv6 literals come bracketed in URLs; lookup_host wants them bare.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| ToolError::Failed(format!("could not resolve {host}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(ToolError::Failed(format!(
            "could not resolve {host}: no addresses"
        )));
    }
    if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(ToolError::Failed(format!(
            "refusing to fetch {url}: {host} resolves to {}, a private or loopback (non-public) address; local and private network access is disabled",
            bad.ip()
        )));
    }
    Ok(())
}

/// The client's resolver: the same check as [`check_host`], at connection time.
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                let message = format!(
                    "{host} resolves to {}, a private or loopback address",
                    bad.ip()
                );
                return Err(message.into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, …).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach IPv4 hosts; judge the embedded address.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(Ipv4Addr::new(
            (segments[6] >> 8) as u8,
            segments[6] as u8,
            (segments[7] >> 8) as u8,
            segments[7] as u8,
        ));
    }
    if segments[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::new(
            (segments[1] >> 8) as u8,
            segments[1] as u8,
            (segments[2] >> 8) as u8,
            segments[2] as u8,
        ));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // old site-local fec0::/10
        || segments[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated) and ::/96
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().unwrap())
    }

    #[test]
    fn private_addresses_are_refused() {
        for addr in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:c0a8:0101::1",
        ] {
            assert!(!public(addr), "{addr} should not be public");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert!(public(addr), "{addr} should be public");
        }
    }

    #[test]
    fn content_types() {
        assert_eq!(classify("text/html; charset=utf-8"), Kind::Html);
        assert_eq!(classify("text/plain"), Kind::Text);
        assert_eq!(classify("application/json"), Kind::Text);
        assert_eq!(classify("application/rss+xml"), Kind::Text);
        assert_eq!(classify("image/png"), Kind::Binary);
        assert_eq!(classify("application/pdf"), Kind::Binary);
        assert_eq!(classify("application/octet-stream"), Kind::Binary);
    }
}
