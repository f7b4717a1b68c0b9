//! `Secret` owns a continuation key or API token and keeps it out of every
//! message. Debug and Display print `***`; `expose` is the one way to read the
//! value (for the request that carries it), and `redact` scrubs the value out
//! of text that came back from the network before that text reaches an error,
//! an attempt note or a log line. There is deliberately no `Serialize`.

use std::fmt;

/// A credential that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the header or body that carries it. Never format it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is empty or only whitespace.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// `text` with every occurrence of the value (raw or trimmed) replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for needle in [self.0.as_str(), self.0.trim()] {
            if !needle.is_empty() {
                out = out.replace(needle, "***");
            }
        }
        out
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let secret = Secret::new("hunter2-key");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
        assert_eq!(secret.expose(), "hunter2-key");
    }

    #[test]
    fn redacts_raw_and_trimmed_values() {
        let secret = Secret::new(" abc123 \n");
        assert_eq!(secret.redact("key abc123 was bad"), "key *** was bad");
        assert_eq!(Secret::new("").redact("unchanged"), "unchanged");
    }

    #[test]
    fn blank_is_empty() {
        assert!(Secret::new("  ").is_empty());
        assert!(!Secret::new("k").is_empty());
    }
}
