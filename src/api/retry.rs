//! `RetryPolicy` decides how many times a request is tried and how long to
//! wait between tries: exponential backoff from a base, capped, and a server's
//! `Retry-After` honoured up to its own cap. Pure arithmetic: it never sleeps
//! and knows nothing about HTTP beyond that one header's meaning.

use std::time::Duration;

/// Attempts and waits for one API request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total tries, the first included; 0 is treated as 1.
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub backoff_base: Duration,
    /// Longest backoff wait.
    pub backoff_cap: Duration,
    /// Longest wait granted to a server's `Retry-After`.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// `max_attempts`, at least 1.
    pub(crate) fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// Backoff before retry number `retry` (1 = after the first failure):
    /// base, 2×base, 4×base, … never above the cap.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        self.backoff_base
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.backoff_cap)
            .min(self.backoff_cap)
    }

    /// Wait before retry number `retry`: the server's `Retry-After` (capped)
    /// when it asked for one, but never less than the backoff.
    pub(crate) fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = self.backoff(retry);
        match retry_after {
            Some(asked) => asked.min(self.retry_after_cap).max(backoff),
            None => backoff,
        }
    }
}

/// Parses a `Retry-After` header given in seconds. HTTP dates are ignored
/// (the caller falls back to backoff).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(10),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = policy();
        let waits: Vec<u64> = (1..=7).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let p = policy();
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        assert_eq!(
            p.wait(1, Some(Duration::from_secs(500))),
            Duration::from_secs(10)
        );
        assert_eq!(
            p.wait(3, Some(Duration::from_secs(1))),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn zero_attempts_means_one() {
        let p = RetryPolicy {
            max_attempts: 0,
            ..policy()
        };
        assert_eq!(p.attempts(), 1);
    }

    #[test]
    fn retry_after_seconds_only() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
