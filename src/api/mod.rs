//! The CI providers' HTTP APIs at the edge of cigen: continuing a CircleCI
//! pipeline from the setup job, approving approval jobs by name, and
//! listing GitHub Actions caches (the markers of jobs that passed). It owns
//! transport (ureq with rustls over the system CA store), timeouts, retries
//! with bounded backoff, and the reading of the providers' answers. It
//! never prints: failed attempts go to a caller-supplied observer as
//! `AttemptNote`s, results come back as outcomes or `ApiError`s, and no key
//! or token appears in any of them.

mod approval;
mod caches;
mod client;
mod config;
mod continuation;
mod error;
mod exchange;
mod jobs;
mod message;
mod note;
mod retry;
mod secret;
mod tls;

pub use approval::ApproveOutcome;
pub use caches::{CacheEntry, CacheListing};
pub use client::ApiClient;
pub use config::ApiConfig;
pub(crate) use config::{API_URL_ENV, DEFAULT_API_URL, DEFAULT_GITHUB_API_URL, GITHUB_API_URL_ENV};
pub use continuation::{ContinueOutcome, body_json};
pub use error::ApiError;
pub use note::AttemptNote;
pub use retry::RetryPolicy;
pub use secret::Secret;
