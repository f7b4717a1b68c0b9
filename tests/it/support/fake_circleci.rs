//! A scripted fake CircleCI API for tests: an HTTP/1.1 server on
//! 127.0.0.1:0 (optionally behind rustls) that answers each connection with
//! the next `Reply` of its script — a response, a dropped answer, a reset or
//! a stall — and records every request it read (method, target, headers,
//! body). It is bounded: it accepts at most the script plus a few extra
//! connections (answered 500, so a test sees them) and stops after a minute
//! or when `finish` is called. Loopback only; nothing leaves the machine.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// Longest a server runs.
const LIFETIME: Duration = Duration::from_secs(60);
/// Connections beyond the script that are still accepted (and answered 500).
const EXTRA_CONNECTIONS: usize = 10;
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What the server does with one connection.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Read the request and answer it.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the request, then close without answering: the answer is lost.
    Drop,
    /// Close the connection without reading the request: a reset.
    Reset,
    /// Read the request, wait this long, then close without answering.
    Stall(Duration),
}

impl Reply {
    /// A JSON response.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// CircleCI's usual shape: `{"message": "..."}`.
    pub fn message(status: u16, message: &str) -> Self {
        Self::json(status, serde_json::json!({ "message": message }))
    }

    /// Adds a response header (no effect on non-responses).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

/// A request the server read in full.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The raw value of query parameter `key`.
    pub fn query(&self, key: &str) -> Option<&str> {
        let query = self.target.split_once('?')?.1;
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// First header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }
}

/// A running fake server. Dropping it stops accepting.
pub struct FakeCircleCi {
    url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl FakeCircleCi {
    /// Plain HTTP.
    pub fn start(script: Vec<Reply>) -> Self {
        Self::spawn(script, None)
    }

    /// HTTPS with the given certificate chain and key (PEM files).
    pub fn start_tls(
        script: Vec<Reply>,
        cert_pem: &std::path::Path,
        key_pem: &std::path::Path,
    ) -> Self {
        Self::spawn(script, Some(tls_config(cert_pem, key_pem)))
    }

    /// `http://127.0.0.1:PORT` or `https://…`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Requests read so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("log lock").clone()
    }

    /// Connections accepted so far (a reset reads no request).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Stops the server, waits for its handlers, and returns what it read.
    pub fn finish(mut self) -> Vec<Recorded> {
        self.shutdown();
        self.requests()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            for handler in acceptor.join().unwrap_or_default() {
                let _ = handler.join();
            }
        }
    }

    fn spawn(script: Vec<Reply>, tls: Option<Arc<ServerConfig>>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("local addr").port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let log = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = Acceptor {
            listener,
            script,
            tls,
            log: log.clone(),
            connections: connections.clone(),
            stop: stop.clone(),
        };
        let acceptor = thread::spawn(move || ctx.run());
        FakeCircleCi {
            url: format!("{scheme}://127.0.0.1:{port}"),
            log,
            connections,
            stop,
            acceptor: Some(acceptor),
        }
    }
}

impl Drop for FakeCircleCi {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Acceptor {
    listener: TcpListener,
    script: Vec<Reply>,
    tls: Option<Arc<ServerConfig>>,
    log: Arc<Mutex<Vec<Recorded>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Acceptor {
    fn run(self) -> Vec<JoinHandle<()>> {
        let started = Instant::now();
        let limit = self.script.len() + EXTRA_CONNECTIONS;
        let mut handlers = Vec::new();
        let mut next = 0;
        while !self.stop.load(Ordering::SeqCst) && started.elapsed() < LIFETIME && next < limit {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(_) => {
                    thread::sleep(Duration::from_millis(5));
                    continue;
                }
            };
            self.connections.fetch_add(1, Ordering::SeqCst);
            let reply = self
                .script
                .get(next)
                .cloned()
                .unwrap_or_else(|| Reply::message(500, "fake circleci: script exhausted"));
            next += 1;
            let (tls, log) = (self.tls.clone(), self.log.clone());
            handlers.push(thread::spawn(move || serve(stream, reply, tls, &log)));
        }
        handlers
    }
}

fn serve(
    stream: TcpStream,
    reply: Reply,
    tls: Option<Arc<ServerConfig>>,
    log: &Mutex<Vec<Recorded>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    if let Reply::Reset = reply {
        // Wait until the request arrives, then close with it unread: the
        // kernel answers with a TCP reset.
        let _ = stream.peek(&mut [0u8; 1]);
        return;
    }
    match tls {
        None => converse(stream.try_clone().expect("clone stream"), &reply, log),
        Some(config) => {
            let conn = ServerConnection::new(config).expect("tls session");
            let mut tls_stream = StreamOwned::new(conn, stream.try_clone().expect("clone stream"));
            converse(&mut tls_stream, &reply, log);
            tls_stream.conn.send_close_notify();
            let _ = tls_stream.flush();
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn converse(mut io: impl Read + Write, reply: &Reply, log: &Mutex<Vec<Recorded>>) {
    let Some(request) = read_request(&mut io) else {
        return;
    };
    log.lock().expect("log lock").push(request);
    answer(&mut io, reply);
}

/// Does what `reply` says with a connection whose request was read.
pub fn answer(io: &mut impl Write, reply: &Reply) {
    match reply {
        Reply::Respond {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                reason(*status),
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            let _ = io.write_all(head.as_bytes());
            let _ = io.write_all(body.as_bytes());
            let _ = io.flush();
        }
        Reply::Stall(wait) => thread::sleep(*wait),
        Reply::Drop | Reply::Reset => {}
    }
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body).
pub fn read_request(io: &mut impl Read) -> Option<Recorded> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return None;
        }
        let n = io.read(&mut chunk).ok().filter(|n| *n > 0)?;
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse::<usize>().expect("Content-Length is a number"))
        .unwrap_or(0)
        .min(MAX_BODY_BYTES);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = io.read(&mut chunk).ok().filter(|n| *n > 0)?;
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

fn tls_config(cert_pem: &std::path::Path, key_pem: &std::path::Path) -> Arc<ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_pem)
        .expect("read cert pem")
        .collect::<Result<_, _>>()
        .expect("parse cert pem");
    let key = PrivateKeyDer::from_pem_file(key_pem).expect("read key pem");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("server cert");
    Arc::new(config)
}
