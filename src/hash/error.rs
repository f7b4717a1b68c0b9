//! The hash engine's error type. Every failure of `compute` is one of these
//! variants; messages are lowercase and name the variant, pattern or path
//! involved so the caller can print them as they are (cigen's `Error`
//! carries it as the cause of `hashing failed`). This file only describes
//! failures, it never decides them.

use std::fmt;
use std::path::PathBuf;

/// Why hashing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashError {
    /// A source pattern of a variant matched no file: a typo would otherwise
    /// hash to the same value forever and skip the job forever.
    NoMatch { variant: String, pattern: String },
    /// A source pattern could not be compiled, or is not a relative path.
    BadPattern {
        variant: String,
        pattern: String,
        message: String,
    },
    /// Reading a file or directory failed.
    Io { path: PathBuf, message: String },
    /// The repository or its index cannot be used: an unreadable index, a
    /// `.git` file pointing nowhere, a repository that is not SHA-1.
    Git(String),
    /// The caller broke the input contract (a variant listed twice, an
    /// upstream not in the slice), or the engine broke its own: a bug, not
    /// a user error.
    Internal(String),
    /// Variants depend on each other in a cycle; the ids form the cycle,
    /// first id repeated at the end.
    Cycle(Vec<String>),
}

impl HashError {
    pub(crate) fn io(path: impl Into<PathBuf>, err: &std::io::Error) -> Self {
        HashError::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }
}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashError::NoMatch { variant, pattern } => write!(
                f,
                "source pattern `{pattern}` of job `{variant}` matches no file"
            ),
            HashError::BadPattern {
                variant,
                pattern,
                message,
            } => write!(
                f,
                "invalid source pattern `{pattern}` of job `{variant}`: {message}"
            ),
            HashError::Io { path, message } => {
                write!(f, "cannot read `{}`: {message}", path.display())
            }
            HashError::Git(message) | HashError::Internal(message) => f.write_str(message),
            HashError::Cycle(ids) => {
                write!(
                    f,
                    "hashed jobs depend on each other in a cycle: {}",
                    ids.join(" -> ")
                )
            }
        }
    }
}

impl std::error::Error for HashError {}
