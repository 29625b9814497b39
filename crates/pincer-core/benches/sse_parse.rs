//! CPU cost of parsing one large SSE event that arrives in small pieces (issue 11,
//! finding 21: a 2 MB event took 8.5 s in a debug build with the old parser).
//!
//! `cargo bench -p pincer-core --bench sse_parse` (release); for a debug build,
//! `cargo bench -p pincer-core --bench sse_parse --profile dev`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use pincer_core::provider::sse::Parser;

fn main() {
    for (size_mb, chunk) in [
        (2, 64),
        (2, 4 * 1024),
        (2, 16 * 1024),
        (8, 64),
        (8, 16 * 1024),
    ] {
        let payload = "x".repeat(size_mb * 1024 * 1024);
        let stream = format!("data: {payload}\n\n");
        let runs = 5;
        let mut best = f64::MAX;
        for _ in 0..runs {
            let started = Instant::now();
            let mut parser = Parser::new();
            let mut out = Vec::new();
            for piece in stream.as_bytes().chunks(chunk) {
                parser.feed(piece, &mut out).unwrap();
            }
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].data.len(), payload.len());
            best = best.min(started.elapsed().as_secs_f64());
        }
        println!(
            "one {size_mb} MB event in {chunk}-byte chunks: best of {runs} {:.1} ms",
            best * 1000.0
        );
    }
}
