//! `ApiClient` owns the HTTP agent (timeouts, system-CA TLS, no redirects,
//! statuses returned rather than raised) and the retry loop every CircleCI
//! and GitHub call goes through: connect failures, attempts without an answer, 429 and
//! 5xx are retried with bounded backoff; anything else ends the loop and is
//! handed back for the endpoint code to
//! interpret (`continuation.rs`, `approval.rs`, `jobs.rs`, `caches.rs`).
//! Failed attempts are reported to the optional observer.

use std::fmt;
use std::sync::Arc;
use std::thread;

use ureq::Agent;

use super::config::{ApiConfig, normalize_base_url};
use super::error::ApiError;
use super::exchange::{self, Answer, Attempt, Call};
use super::message::server_message;
use super::note::{AttemptNote, Observer, human_duration};
use super::retry::RetryPolicy;
use super::secret::Secret;
use super::tls::system_tls_config;

/// A CircleCI or GitHub API client. Cheap to share by reference; holds no secret.
pub struct ApiClient {
    agent: Agent,
    base: String,
    retry: RetryPolicy,
    max_job_pages: u32,
    max_cache_pages: u32,
    observer: Option<Observer>,
}

/// The final answer of a request and what it took to get it.
pub(crate) struct Finished {
    pub answer: Answer,
    pub attempts: u32,
    /// An earlier attempt may have reached the server without an answer
    /// coming back (reset, timeout, cut-off response, 502/504).
    pub unanswered_before: bool,
}

impl ApiClient {
    /// Builds the client. For an https base URL this loads the system CA
    /// store (honouring `SSL_CERT_FILE`); plain http needs no certificates.
    pub fn new(config: ApiConfig) -> Result<Self, ApiError> {
        let (base, https) = normalize_base_url(&config.base_url)?;
        let mut builder = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .user_agent(config.user_agent.as_str());
        if https {
            builder = builder.tls_config(system_tls_config()?);
        }
        Ok(Self {
            agent: Agent::new_with_config(builder.build()),
            base,
            retry: config.retry,
            max_job_pages: config.max_job_pages.max(1),
            max_cache_pages: config.max_cache_pages.max(1),
            observer: None,
        })
    }

    /// Calls `observer` with a note for every failed attempt that will be retried.
    pub fn with_observer(
        mut self,
        observer: impl Fn(&AttemptNote) + Send + Sync + 'static,
    ) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }

    pub(crate) fn max_job_pages(&self) -> u32 {
        self.max_job_pages
    }

    pub(crate) fn max_cache_pages(&self) -> u32 {
        self.max_cache_pages
    }

    /// The path and query of `url` below the base URL (`/…`), or `None`
    /// when `url` is not under it: the only absolute URLs cigen follows
    /// (page links) must not carry the token to another host.
    pub(crate) fn below_base(&self, url: &str) -> Option<String> {
        let prefix = url.get(..self.base.len())?;
        let rest = &url[self.base.len()..];
        (prefix.eq_ignore_ascii_case(&self.base) && rest.starts_with('/')).then(|| rest.to_owned())
    }

    /// Runs `call` until it gets an answer retrying cannot improve, or the
    /// attempts run out. `secret` is the credential in the call; it is only
    /// used here to scrub messages.
    pub(crate) fn perform(&self, call: &Call<'_>, secret: &Secret) -> Result<Finished, ApiError> {
        let request = call.label();
        let max_attempts = self.retry.attempts();
        let mut unanswered_before = false;
        let mut attempt = 1;
        loop {
            let (problem, retry_after) =
                match exchange::attempt(&self.agent, &self.base, call, secret) {
                    Attempt::Answered(answer) if !is_retryable_status(answer.status) => {
                        return Ok(Finished {
                            answer,
                            attempts: attempt,
                            unanswered_before,
                        });
                    }
                    Attempt::Answered(answer) => {
                        // A gateway failure says nothing about whether the API acted.
                        unanswered_before |= matches!(answer.status, 502 | 504);
                        (status_problem(&answer, secret), answer.retry_after)
                    }
                    Attempt::Unanswered(failure) if !failure.retryable => {
                        return Err(ApiError::Transport {
                            request,
                            attempts: attempt,
                            reason: failure.problem,
                        });
                    }
                    Attempt::Unanswered(failure) => {
                        unanswered_before |= failure.maybe_delivered;
                        (failure.problem, None)
                    }
                };
            if attempt >= max_attempts {
                return Err(ApiError::Exhausted {
                    request,
                    attempts: attempt,
                    last: problem,
                });
            }
            let wait = self.retry.wait(attempt, retry_after);
            if let Some(observer) = &self.observer {
                observer(&AttemptNote {
                    request: request.clone(),
                    attempt,
                    max_attempts,
                    problem,
                    retry_in: wait,
                });
            }
            thread::sleep(wait);
            attempt += 1;
        }
    }
}

impl fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base)
            .field("retry", &self.retry)
            .field("max_job_pages", &self.max_job_pages)
            .field("max_cache_pages", &self.max_cache_pages)
            .finish_non_exhaustive()
    }
}

fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..600).contains(&status)
}

/// `503 Service Unavailable: <message>`, plus the server's `Retry-After`.
pub(crate) fn status_problem(answer: &Answer, secret: &Secret) -> String {
    let mut text = status_line(answer.status);
    let message = server_message(&answer.body, secret);
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(&message);
    }
    if let Some(asked) = answer.retry_after {
        text.push_str(&format!(" (retry-after {})", human_duration(asked)));
    }
    text
}

/// `404 Not Found`.
pub(crate) fn status_line(status: u16) -> String {
    let reason = ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|code| code.canonical_reason())
        .unwrap_or("");
    format!("{status} {reason}").trim_end().to_owned()
}
