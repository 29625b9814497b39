//! A static file over real HTTP/1.1 on loopback, as a model host serves a GGUF: `Range`
//! requests answered with 206, and the first response optionally cut after some bytes (a
//! dropped connection), to test resuming downloads. Blocking, one thread.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct FileServer {
    url: String,
    ranges: Arc<Mutex<Vec<Option<String>>>>,
}

impl FileServer {
    /// Serves `body` at `/<name>`; the first response stops after `cut_first_after` bytes
    /// of body when given.
    pub fn start(
        body: Vec<u8>,
        name: &str,
        cut_first_after: Option<usize>,
    ) -> std::io::Result<FileServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let url = format!("http://{}/{name}", listener.local_addr()?);
        let ranges = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&ranges);
        let body = Arc::new(body);
        std::thread::Builder::new()
            .name("file-server".to_owned())
            .spawn(move || {
                let mut cut = cut_first_after;
                for stream in listener.incoming().flatten() {
                    let range = serve(stream, &body, cut.take());
                    if let Ok(mut seen) = seen.lock() {
                        seen.push(range);
                    }
                }
            })?;
        Ok(FileServer { url, ranges })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `Range` header of each request served so far (`None`: no range asked).
    pub fn ranges(&self) -> Vec<Option<String>> {
        self.ranges.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

fn serve(mut stream: TcpStream, body: &[u8], cut: Option<usize>) -> Option<String> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut range = None;
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_owned());
        }
    }
    let start = range
        .as_deref()
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|n| n.parse::<usize>().ok());
    let head = match start {
        Some(start) if start >= body.len() => {
            let _ = write!(
                stream,
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                body.len()
            );
            return range;
        }
        Some(start) => format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {start}-{}/{}\r\nContent-Length: {}\r\n",
            body.len() - 1,
            body.len(),
            body.len() - start
        ),
        None => format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n", body.len()),
    };
    let from = start.unwrap_or(0);
    let _ = write!(
        stream,
        "{head}Content-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
    );
    let end = cut.map_or(body.len(), |n| (from + n).min(body.len()));
    let _ = stream.write_all(&body[from..end]);
    let _ = stream.flush();
    // Dropping the stream closes it: a cut response ends short of its Content-Length.
    range
}
