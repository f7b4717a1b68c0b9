//! `Secret` owns a continuation key or API token and keeps it out of every
//! message. Debug and Display print `***`; `expose` is the one way to read the
//! value (for the request that carries it), and `redact` scrubs the value out
//! of text that came back from the network before that text reaches an error,
//! an attempt note or a log line. There is deliberately no `Serialize`.

use std::fmt;

/// Secrets shorter than this are refused where they are read: masking a
/// one-letter value would mangle every message it occurs in
/// ("Connec***ion refused"), and no real key or token is that short.
pub(super) const MIN_SECRET_LEN: usize = 8;

/// A credential that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value of environment variable `name`, refused (with a message
    /// that never shows it) when shorter than `MIN_SECRET_LEN` characters.
    pub(crate) fn from_env(name: &str, value: String) -> Result<Self, String> {
        let length = value.trim().chars().count();
        if length < MIN_SECRET_LEN {
            return Err(format!(
                "`{name}` is too short ({length} characters): expected a real key or token of at least {MIN_SECRET_LEN}; cigen refuses it rather than mask every occurrence of it in its messages"
            ));
        }
        Ok(Self(value))
    }

    /// The raw value, for the header or body that carries it. Never format it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// True when the value is empty or only whitespace.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }

    /// `text` with every occurrence of the value (raw or trimmed) replaced by `***`.
    pub(crate) fn redact(&self, text: &str) -> String {
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
    fn short_values_are_refused_without_showing_them() {
        let err = Secret::from_env("CIRCLE_TOKEN", "t".into()).expect_err("too short");
        assert_eq!(
            err,
            "`CIRCLE_TOKEN` is too short (1 characters): expected a real key or token of at least 8; cigen refuses it rather than mask every occurrence of it in its messages"
        );
        assert!(Secret::from_env("K", " 1234567 ".into()).is_err());
        assert!(Secret::from_env("K", "12345678".into()).is_ok());
    }

    #[test]
    fn blank_is_empty() {
        assert!(Secret::new("  ").is_empty());
        assert!(!Secret::new("k").is_empty());
    }
}
