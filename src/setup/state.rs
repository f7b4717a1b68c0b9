//! The hand-over from `cigen setup` to `cigen continue`: which workflow was
//! hashed, each hashed variant's hash, and the pipeline values the hashes
//! cover (the continuation carries them to the jobs), as JSON under the
//! runtime root. `continue` re-plans from the same checkout and refuses a
//! state whose variants or values do not match, so the two steps can never
//! disagree silently.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;

/// 2: `values` added.
const FORMAT: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct State {
    pub format: u32,
    pub workflow: String,
    pub hashes: IndexMap<String, String>,
    /// Pipeline value name → the value the hashes cover. (Defaulted so an
    /// older file is refused for its format, not for a missing field.)
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

impl State {
    pub(crate) fn new(
        workflow: &str,
        hashes: IndexMap<String, String>,
        values: BTreeMap<String, String>,
    ) -> State {
        State {
            format: FORMAT,
            workflow: workflow.to_string(),
            hashes,
            values,
        }
    }

    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|err| Error::Internal(format!("the state does not serialize: {err}")))?;
        write_atomic(path, format!("{text}\n").as_bytes())
    }

    pub(crate) fn read(path: &Path) -> Result<State, StateError> {
        let at = || path.to_path_buf();
        let text = std::fs::read_to_string(path).map_err(|err| StateError::Missing(at(), err))?;
        let state: State =
            serde_json::from_str(&text).map_err(|err| StateError::Unreadable(at(), err))?;
        if state.format != FORMAT {
            return Err(StateError::Format(at(), state.format));
        }
        Ok(state)
    }
}

/// Why `cigen continue` cannot use the state file at the path each holds.
#[derive(Debug)]
pub enum StateError {
    /// It cannot be read (most often: `cigen setup` did not run).
    Missing(PathBuf, std::io::Error),
    /// It is not JSON of a state.
    Unreadable(PathBuf, serde_json::Error),
    /// An other cigen version wrote it, in this format.
    Format(PathBuf, u32),
    /// It holds other variants or pipeline values than this configuration
    /// hashes: it was written for another checkout or configuration.
    OtherJobs(PathBuf),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Missing(path, err) => {
                write!(f, "{}: {err} (run `cigen setup` first)", path.display())
            }
            StateError::Unreadable(path, err) => {
                write!(f, "{}: not a cigen state file: {err}", path.display())
            }
            StateError::Format(path, format) => write!(
                f,
                "{}: state format {format} is not {FORMAT}: run `cigen setup` with this cigen version",
                path.display()
            ),
            StateError::OtherJobs(path) => write!(
                f,
                "{} was written for other jobs than this configuration has: run `cigen setup` again",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Missing(_, err) => Some(err),
            StateError::Unreadable(_, err) => Some(err),
            StateError::Format(..) | StateError::OtherJobs(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_a_format_1_state_is_refused_for_its_format() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.json");
        let values = BTreeMap::from([("pipeline.git.branch".to_string(), "main".to_string())]);
        let state = State::new("main", IndexMap::new(), values);
        state.write(&path).expect("written");
        assert_eq!(State::read(&path).expect("read"), state);

        std::fs::write(&path, r#"{"format": 1, "workflow": "main", "hashes": {}}"#).expect("write");
        let err = State::read(&path).expect_err("refused");
        assert!(err.to_string().contains("state format 1 is not 2"), "{err}");
    }
}
