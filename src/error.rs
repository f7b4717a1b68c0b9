//! The one error type of cigen. Every module's failure folds into `Error`,
//! which knows its exit code (1 runtime failure or drift, 2 usage or invalid
//! configuration) and renders as `error: …`, the location, then a hint.
//! Nothing here may print secrets: callers put none into messages.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// Invalid configuration: names the file, line (when known) and key.
    Config(Box<ConfigError>),
    /// Bad command-line usage or environment.
    Usage(String),
    /// Generated files differ from what is committed (`generate --check`).
    Drift(String),
    /// I/O, git, network: the run failed, the configuration may be fine.
    Runtime(String),
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
            Error::Drift(_) | Error::Runtime(_) => 1,
        }
    }

    pub(crate) fn io(path: &std::path::Path, err: &std::io::Error) -> Error {
        Error::Runtime(format!("{}: {err}", path.display()))
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
}

impl From<ConfigError> for Error {
    fn from(err: ConfigError) -> Self {
        Error::Config(Box::new(err))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(err) => {
                let location = match err.line {
                    Some(line) => format!("{}:{line}", err.file.display()),
                    None => err.file.display().to_string(),
                };
                write!(f, "{location}: `{}`: {}", err.key, err.message)?;
                if let Some(hint) = &err.hint {
                    write!(f, "\n  hint: {hint}")?;
                }
                Ok(())
            }
            Error::Usage(message) | Error::Drift(message) | Error::Runtime(message) => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for Error {}

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
