//! A stand-in for GitHub's Actions cache listing
//! (`GET /repos/{owner}/{repo}/actions/caches`) on 127.0.0.1:0, plain
//! HTTP: it holds caches in the order they were created, filters them by
//! the `key` prefix, sorts by `direction`, serves pages of at most
//! `page_size` (whatever `per_page` asks), and links the next page the way
//! GitHub does, through `/repositories/{id}/…` with a `Link: rel="next"`.
//! It checks the bearer token (401 "Bad credentials" otherwise) and can
//! answer 403 like a token without `actions: read`. The first connections
//! can be answered by `faults` instead (5xx, 429, a reset…). It records
//! every request it read, stops after a minute, and never leaves loopback.

use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::json;

use super::fake_circleci::{Recorded, Reply, answer, read_request};

const LIFETIME: Duration = Duration::from_secs(60);
/// Connections served at most (faults included).
const MAX_CONNECTIONS: usize = 200;
/// The id GitHub's page links use for the repository.
pub const REPOSITORY_ID: u64 = 4242;

/// A cache entry as the stand-in stores it.
#[derive(Debug, Clone)]
pub struct Cache {
    pub key: String,
    pub git_ref: String,
}

impl Cache {
    pub fn new(key: impl Into<String>, git_ref: impl Into<String>) -> Cache {
        Cache {
            key: key.into(),
            git_ref: git_ref.into(),
        }
    }
}

/// What the stand-in holds and how it answers.
#[derive(Debug, Clone)]
pub struct Repository {
    /// `owner/name`.
    pub name: String,
    /// Oldest first.
    pub caches: Vec<Cache>,
    /// Most entries per page, whatever `per_page` asks.
    pub page_size: usize,
    /// The token it accepts.
    pub token: String,
    /// Answer 403 as for a token without `actions: read`.
    pub forbidden: bool,
    /// Answers for the first connections, before any real one.
    pub faults: Vec<Reply>,
    /// Base URL of the page links, when not the server's own.
    pub link_base: Option<String>,
}

impl Repository {
    pub fn new(name: &str, token: &str, caches: Vec<Cache>) -> Repository {
        Repository {
            name: name.into(),
            caches,
            page_size: 100,
            token: token.into(),
            forbidden: false,
            faults: vec![],
            link_base: None,
        }
    }
}

/// A running stand-in. Dropping it stops accepting.
pub struct FakeGitHub {
    url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<Vec<JoinHandle<()>>>>,
}

impl FakeGitHub {
    pub fn start(repository: Repository) -> FakeGitHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("addr").port()
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let server = Server {
            repository,
            url: url.clone(),
        };
        let (accept_log, accept_stop) = (log.clone(), stop.clone());
        let acceptor =
            thread::spawn(move || accept(&listener, &Arc::new(server), &accept_log, &accept_stop));
        FakeGitHub {
            url,
            log,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the server, waits for its handlers, and returns what it read.
    pub fn finish(mut self) -> Vec<Recorded> {
        self.shutdown();
        self.log.lock().expect("log").clone()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            for handler in acceptor.join().unwrap_or_default() {
                let _ = handler.join();
            }
        }
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct Server {
    repository: Repository,
    url: String,
}

fn accept(
    listener: &TcpListener,
    server: &Arc<Server>,
    log: &Arc<Mutex<Vec<Recorded>>>,
    stop: &AtomicBool,
) -> Vec<JoinHandle<()>> {
    let started = Instant::now();
    let mut handlers = vec![];
    let mut served = 0;
    while !stop.load(Ordering::SeqCst) && started.elapsed() < LIFETIME && served < MAX_CONNECTIONS {
        let Ok((stream, _)) = listener.accept() else {
            thread::sleep(Duration::from_millis(5));
            continue;
        };
        let fault = server.repository.faults.get(served).cloned();
        served += 1;
        let (server, log) = (server.clone(), log.clone());
        handlers.push(thread::spawn(move || serve(stream, fault, &server, &log)));
    }
    handlers
}

fn serve(stream: TcpStream, fault: Option<Reply>, server: &Server, log: &Mutex<Vec<Recorded>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    if let Some(Reply::Reset) = fault {
        let _ = stream.peek(&mut [0u8; 1]);
        return;
    }
    let mut io = stream.try_clone().expect("clone stream");
    let Some(request) = read_request(&mut io) else {
        return;
    };
    let reply = fault.unwrap_or_else(|| server.answer(&request));
    log.lock().expect("log").push(request);
    answer(&mut io, &reply);
    let _ = stream.shutdown(Shutdown::Both);
}

impl Server {
    fn answer(&self, request: &Recorded) -> Reply {
        let repo = &self.repository;
        if request.header("authorization") != Some(&format!("Bearer {}", repo.token)) {
            return Reply::json(
                401,
                json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
            );
        }
        let by_name = format!("/repos/{}/actions/caches", repo.name);
        let by_id = format!("/repositories/{REPOSITORY_ID}/actions/caches");
        if request.method != "GET" || (request.path() != by_name && request.path() != by_id) {
            return Reply::json(404, json!({"message": "Not Found", "status": "404"}));
        }
        if repo.forbidden {
            return Reply::json(
                403,
                json!({"message": "Resource not accessible by integration", "status": "403"}),
            );
        }
        self.page(request)
    }

    fn page(&self, request: &Recorded) -> Reply {
        let prefix = decode(request.query("key").unwrap_or_default());
        let mut matching: Vec<(usize, &Cache)> = self
            .repository
            .caches
            .iter()
            .enumerate()
            .filter(|(_, c)| c.key.starts_with(&prefix))
            .collect();
        if request.query("direction") != Some("asc") {
            matching.reverse();
        }
        let asked: usize = request
            .query("per_page")
            .and_then(|n| n.parse().ok())
            .unwrap_or(30);
        let size = asked.min(self.repository.page_size).max(1);
        let page: usize = request
            .query("page")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let last = matching.len().div_ceil(size).max(1);
        let items: Vec<serde_json::Value> = matching
            .iter()
            .skip((page - 1) * size)
            .take(size)
            .map(|(id, c)| {
                json!({"id": id, "ref": c.git_ref, "key": c.key, "version": "v1",
                       "last_accessed_at": "2026-01-01T00:00:00Z", "created_at": "2026-01-01T00:00:00Z",
                       "size_in_bytes": 22})
            })
            .collect();
        let mut reply = Reply::json(
            200,
            json!({"total_count": matching.len(), "actions_caches": items}),
        );
        if page < last {
            let base = self.repository.link_base.as_deref().unwrap_or(&self.url);
            let link = |n: usize| {
                format!(
                    "{base}/repositories/{REPOSITORY_ID}/actions/caches?key={}&per_page={size}&page={n}&sort=created_at&direction=asc",
                    request.query("key").unwrap_or_default()
                )
            };
            let header = format!(
                "<{}>; rel=\"next\", <{}>; rel=\"last\"",
                link(page + 1),
                link(last)
            );
            reply = reply.with_header("Link", &header);
        }
        reply
    }
}

/// Percent-decoding of the query values the client sends (`-` and
/// letters are sent as they are; anything else is decoded byte by byte).
fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%'
            && let Some(byte) = value
                .get(at + 1..at + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            at += 3;
            continue;
        }
        out.push(bytes[at]);
        at += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
