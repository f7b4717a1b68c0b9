//! One HTTP attempt and what came of it, classified for the retry loop in
//! `client.rs`: an answer (status, `Retry-After`, body), or no answer, with
//! whether retrying can help and whether the request may have reached the
//! server anyway. This is the only file that talks to ureq per request and
//! the only place a secret is put on the wire (`Circle-Token` or GitHub's
//! `Authorization: Bearer`, or the body the caller built). It never retries
//! and never sleeps.

use std::io;
use std::time::Duration;

use ureq::{Agent, Error as UreqError, RequestBuilder, Timeout};

use super::retry::parse_retry_after;
use super::secret::Secret;

/// Largest response body read (job listings are the big ones).
const MAX_BODY_BYTES: u64 = 16 * 1024 * 1024;

/// The REST API version every GitHub request pins
/// (https://docs.github.com/en/rest/about-the-rest-api/api-versions).
const GITHUB_API_VERSION: &str = "2022-11-28";

/// Which API a call goes to: it decides the headers and how the token is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `Accept: application/json`, token as `Circle-Token`.
    CircleCi,
    /// `Accept: application/vnd.github+json`, `X-GitHub-Api-Version`, token
    /// as `Authorization: Bearer` (https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api).
    GitHub,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// One request to make, possibly several times.
pub(crate) struct Call<'a> {
    pub api: Api,
    pub method: Method,
    /// Path below the base URL, starting with `/` (a followed page link may
    /// carry its own query); never holds a secret.
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    /// Sent as the `Circle-Token` header (CircleCI) or bearer token (GitHub).
    pub token: Option<&'a Secret>,
    /// JSON request body (POST only).
    pub json_body: Option<&'a [u8]>,
    /// A 2xx answer is useless without its body: a cut-off body is retried.
    pub needs_body: bool,
}

impl Call<'_> {
    /// `GET /api/v2/...`: what errors and notes call this request.
    pub(crate) fn label(&self) -> String {
        let method = match self.method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        let path = self.path.split('?').next().unwrap_or_default();
        format!("{method} {path}")
    }
}

/// A response the server completed.
pub(crate) struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    /// The `Link` header (GitHub's pagination), raw.
    pub link: Option<String>,
    /// `x-ratelimit-remaining` is `0`: GitHub refused for the rate limit.
    pub rate_limited: bool,
    pub body: Vec<u8>,
}

/// An attempt that produced no usable response.
pub(crate) struct NoAnswer {
    pub problem: String,
    pub retryable: bool,
    /// The request may have reached the server (it failed after connecting).
    pub maybe_delivered: bool,
}

pub(crate) enum Attempt {
    Answered(Answer),
    Unanswered(NoAnswer),
}

/// Makes one attempt of `call` against `base`. `secret` only scrubs messages.
pub(crate) fn attempt(agent: &Agent, base: &str, call: &Call<'_>, secret: &Secret) -> Attempt {
    let url = format!("{base}{}", call.path);
    let sent = match call.method {
        Method::Get => decorate(agent.get(&url), call).call(),
        Method::Post => {
            let request = decorate(agent.post(&url), call);
            match call.json_body {
                Some(body) => request.content_type("application/json").send(body),
                None => request.send_empty(),
            }
        }
    };
    let mut response = match sent {
        Ok(response) => response,
        Err(err) => return Attempt::Unanswered(classify(&err, secret)),
    };
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = header("retry-after").as_deref().and_then(parse_retry_after);
    let link = header("link");
    let rate_limited = header("x-ratelimit-remaining").is_some_and(|left| left.trim() == "0");
    match response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_vec()
    {
        Ok(body) => Attempt::Answered(Answer {
            status,
            retry_after,
            link,
            rate_limited,
            body,
        }),
        Err(err) if call.needs_body && (200..300).contains(&status) => {
            let mut cut = classify(&err, secret);
            cut.problem = format!("{status} answer cut off: {}", cut.problem);
            Attempt::Unanswered(cut)
        }
        // The status is the answer; the body only carried a message.
        Err(_) => Attempt::Answered(Answer {
            status,
            retry_after,
            link,
            rate_limited,
            body: Vec::new(),
        }),
    }
}

fn decorate<B>(mut request: RequestBuilder<B>, call: &Call<'_>) -> RequestBuilder<B> {
    request = match call.api {
        Api::CircleCi => request.header("Accept", "application/json"),
        Api::GitHub => request
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", GITHUB_API_VERSION),
    };
    for (key, value) in &call.query {
        request = request.query(*key, value);
    }
    if let Some(token) = call.token {
        request = match call.api {
            Api::CircleCi => request.header("Circle-Token", token.expose()),
            Api::GitHub => request.header("Authorization", format!("Bearer {}", token.expose())),
        };
    }
    request
}

/// What a transport error means for retrying.
fn classify(err: &UreqError, secret: &Secret) -> NoAnswer {
    let text = secret.redact(&err.to_string());
    let (problem, retryable, maybe_delivered) = match err {
        UreqError::Timeout(Timeout::Connect | Timeout::Resolve)
        | UreqError::HostNotFound
        | UreqError::ConnectionFailed => (format!("could not connect: {text}"), true, false),
        UreqError::Io(io) if is_connect_error(io) => {
            (format!("could not connect: {text}"), true, false)
        }
        // rustls reports handshake and certificate failures as InvalidData:
        // the same bytes would fail the same way again.
        UreqError::Io(io) if io.kind() == io::ErrorKind::InvalidData => {
            (tls_problem(&text), false, false)
        }
        UreqError::Timeout(_) => (format!("no answer in time: {text}"), true, true),
        UreqError::Io(_) | UreqError::Protocol(_) | UreqError::BodyStalled => {
            (format!("no answer: {text}"), true, true)
        }
        UreqError::Tls(_) | UreqError::Rustls(_) | UreqError::Pem(_) => {
            (tls_problem(&text), false, false)
        }
        _ => (text, false, false),
    };
    NoAnswer {
        problem,
        retryable,
        maybe_delivered,
    }
}

/// A TLS failure, with the fix when the certificate is what failed.
fn tls_problem(text: &str) -> String {
    if text.to_ascii_lowercase().contains("certificate") {
        format!(
            "tls failure: {text} (the server certificate must chain to a ca in the system store; \
             SSL_CERT_FILE can name a pem bundle to trust instead)"
        )
    } else {
        format!("tls failure: {text}")
    }
}

fn is_connect_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::AddrNotAvailable
    )
}
