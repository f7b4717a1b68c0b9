//! `AttemptNote` is one line about one failed attempt that will be retried,
//! handed to the caller's observer as it happens so the setup job's log shows
//! why it is waiting. Notes are built only from the request line, status
//! lines, error kinds and server messages already scrubbed of secrets.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Receives a note for every failed attempt before the client waits and retries.
pub(crate) type Observer = Arc<dyn Fn(&AttemptNote) + Send + Sync>;

/// A failed attempt and the wait before the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptNote {
    /// Method and path, e.g. `POST /api/v2/pipeline/continue`.
    pub request: String,
    /// 1-based number of the attempt that failed.
    pub attempt: u32,
    pub max_attempts: u32,
    /// What went wrong, e.g. `503 Service Unavailable` or `no answer: timed out`.
    pub problem: String,
    /// Wait before the next attempt.
    pub retry_in: Duration,
}

impl fmt::Display for AttemptNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "attempt {}/{} ({}): {}, retrying in {}",
            self.attempt,
            self.max_attempts,
            self.request,
            self.problem,
            human_duration(self.retry_in)
        )
    }
}

/// `250ms`, `2s`, `1.5s`.
pub(crate) fn human_duration(d: Duration) -> String {
    let millis = d.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis % 1000 == 0 {
        format!("{}s", millis / 1000)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// "1 attempt", "3 attempts".
pub(crate) fn attempts_phrase(n: u32) -> String {
    if n == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{n} attempts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_a_log_line() {
        let note = AttemptNote {
            request: "POST /api/v2/pipeline/continue".into(),
            attempt: 2,
            max_attempts: 5,
            problem: "503 Service Unavailable".into(),
            retry_in: Duration::from_secs(2),
        };
        assert_eq!(
            note.to_string(),
            "attempt 2/5 (POST /api/v2/pipeline/continue): 503 Service Unavailable, retrying in 2s"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(human_duration(Duration::from_secs(30)), "30s");
    }
}
