//! The library's `ApiClient` as the API tests drive it against the loopback
//! fakes: short timeouts, a 10–40 ms backoff so retries take no time, and
//! every note the client would print kept for the test to compare.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cigen::api::{ApiClient, ApiConfig, RetryPolicy};

/// The notes (retries, waits) a client reported, in order.
pub type Notes = Arc<Mutex<Vec<String>>>;

/// A configuration for `url`: 2 s to connect, 5 s per request,
/// `max_attempts` tries 10–40 ms apart, a `Retry-After` honoured up to
/// `retry_after_cap`.
pub fn fast_config(url: &str, max_attempts: u32, retry_after_cap: Duration) -> ApiConfig {
    let mut config = ApiConfig::new(url);
    config.connect_timeout = Duration::from_secs(2);
    config.request_timeout = Duration::from_secs(5);
    config.retry = RetryPolicy {
        max_attempts,
        backoff_base: Duration::from_millis(10),
        backoff_cap: Duration::from_millis(40),
        retry_after_cap,
    };
    config
}

/// The client of `config`, and the notes it reports.
pub fn observed(config: ApiConfig) -> (ApiClient, Notes) {
    let notes: Notes = Arc::default();
    let sink = notes.clone();
    let client = ApiClient::new(config)
        .expect("client builds")
        .with_observer(move |note| sink.lock().expect("notes").push(note.to_string()));
    (client, notes)
}

pub fn notes_of(notes: &Notes) -> Vec<String> {
    notes.lock().expect("notes").clone()
}
