//! The one error type of cigen. Every module's failure folds into `Error`:
//! the edges' own errors (`HashError`, `ApiError`, `GitError`, the setup
//! state's `StateError`, I/O) as typed causes, configuration errors with
//! their file, line and key. It knows its exit code (1 runtime failure or
//! drift, 2 usage or invalid configuration) and renders its message on one
//! line, context first and then the cause (`continuation failed: POST …
//! was rejected …`), with a hint line where there is one. `source()` hands
//! out the cause for code that wants more than the text. Nothing here may
//! print secrets: the causes were scrubbed before they got here.

use std::fmt;
use std::path::PathBuf;

use crate::api::ApiError;
use crate::git::GitError;
use crate::hash::HashError;
use crate::setup::StateError;

#[derive(Debug)]
pub enum Error {
    /// Invalid configuration: names the file, line (when known) and key.
    Config(Box<ConfigError>),
    /// Bad command-line usage or environment.
    Usage(String),
    /// Generated files differ from what is committed (`generate --check`).
    Drift(String),
    /// A file or directory could not be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Hashing failed for a reason other than the configuration (whose
    /// faults become `Config`): an unreadable file or git index.
    Hash(HashError),
    /// A CircleCI API call failed; `doing` names what for, when the
    /// request in the message does not say enough.
    Api {
        doing: Option<&'static str>,
        source: ApiError,
    },
    /// A git operation failed; `doing` names what for.
    Git {
        doing: &'static str,
        source: GitError,
    },
    /// `cigen continue` cannot use what `cigen setup` left.
    State(StateError),
    /// The continuation config failed its checks; nothing was sent.
    Continuation(String),
    /// cigen broke its own contract: a bug, reported rather than panicking.
    Internal(String),
}

#[derive(Debug, Clone)]
pub struct ConfigError {
    pub(crate) file: PathBuf,
    pub(crate) line: Option<usize>,
    pub(crate) key: String,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            // Only building the client fails so: the API URL or the CA
            // store the environment points at.
            Error::Api {
                source: ApiError::InvalidBaseUrl { .. } | ApiError::CaStore { .. },
                ..
            } => 2,
            Error::Drift(_)
            | Error::Io { .. }
            | Error::Hash(_)
            | Error::Api { .. }
            | Error::Git { .. }
            | Error::State(_)
            | Error::Continuation(_)
            | Error::Internal(_) => 1,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl ConfigError {
    pub(crate) fn new(
        file: impl Into<PathBuf>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            file: file.into(),
            line: None,
            key: key.into(),
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub(crate) fn key(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    pub(crate) fn line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    pub(crate) fn hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// `FILE:LINE` (or `FILE` without a line), as a warning starts.
    pub(crate) fn place(&self) -> String {
        place(&self.file, self.line)
    }
}

/// `FILE:LINE`, or `FILE` without a line: where a warning or note points.
pub(crate) fn place(file: &std::path::Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", file.display()),
        None => file.display().to_string(),
    }
}

impl From<ConfigError> for Error {
    fn from(err: ConfigError) -> Self {
        Error::Config(Box::new(err))
    }
}

impl From<StateError> for Error {
    fn from(err: StateError) -> Self {
        Error::State(err)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.file.display())?,
            None => write!(f, "{}", self.file.display())?,
        }
        write!(f, ": `{}`: {}", self.key, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(err) => err.fmt(f),
            Error::Usage(message) | Error::Drift(message) => f.write_str(message),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Hash(source) => write!(f, "hashing failed: {source}"),
            Error::Api {
                doing: Some(doing),
                source,
            } => write!(f, "{doing}: {source}"),
            Error::Api {
                doing: None,
                source,
            } => source.fmt(f),
            Error::Git { doing, source } => write!(f, "{doing}: {source}"),
            Error::State(source) => source.fmt(f),
            Error::Continuation(why) => {
                write!(f, "continuation config is invalid, not sending it: {why}")
            }
            Error::Internal(what) => write!(f, "internal: {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Hash(source) => Some(source),
            Error::Api { source, .. } => Some(source),
            Error::Git { source, .. } => Some(source),
            Error::State(source) => Some(source),
            Error::Config(_)
            | Error::Usage(_)
            | Error::Drift(_)
            | Error::Continuation(_)
            | Error::Internal(_) => None,
        }
    }
}

/// The closest candidate to `name`, for "did you mean" hints.
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_follows_its_context_on_one_line_and_stays_reachable() {
        let err = Error::Api {
            doing: Some("continuation failed"),
            source: ApiError::Exhausted {
                request: "POST /api/v2/pipeline/continue".into(),
                attempts: 5,
                last: "503 Service Unavailable".into(),
            },
        };
        assert_eq!(
            err.to_string(),
            "continuation failed: POST /api/v2/pipeline/continue failed after 5 attempts: 503 Service Unavailable"
        );
        let cause = std::error::Error::source(&err).expect("a cause");
        assert!(cause.downcast_ref::<ApiError>().is_some());
        assert_eq!(err.exit_code(), 1);
    }

    #[test]
    fn a_client_the_environment_cannot_build_is_a_usage_error() {
        let err = Error::Api {
            doing: None,
            source: ApiError::InvalidBaseUrl {
                url: "ftp://x".into(),
                reason: "not http(s)".into(),
            },
        };
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().starts_with("invalid circleci api url"));
    }
}
