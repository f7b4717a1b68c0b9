//! The hand-over from `cigen setup` to `cigen continue`: the provider the
//! jobs were hashed for, which workflow was hashed, each hashed variant's
//! hash, and the pipeline values the hashes cover (the continuation carries
//! them to the jobs), as JSON under the runtime root. `continue` re-plans
//! from the same checkout and refuses a state of another provider or whose
//! variants or values do not match, so the two steps can never disagree
//! silently.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use crate::provider::Provider;

/// 2: `values` added. 3: `provider` added.
const FORMAT: u32 = 3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct State {
    pub format: u32,
    /// The provider whose rendered jobs were hashed. (Defaulted so an older
    /// file is refused for its format, not for a missing field.)
    #[serde(default = "older_state")]
    pub provider: Provider,
    pub workflow: String,
    pub hashes: IndexMap<String, String>,
    /// Pipeline value name → the value the hashes cover. (Defaulted so an
    /// older file is refused for its format, not for a missing field.)
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

/// What a state written before format 3 was hashed for.
fn older_state() -> Provider {
    Provider::Circleci
}

impl State {
    pub(crate) fn new(
        provider: Provider,
        workflow: &str,
        hashes: IndexMap<String, String>,
        values: BTreeMap<String, String>,
    ) -> State {
        State {
            format: FORMAT,
            provider,
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

    /// `self`, if `cigen setup` wrote it for `provider`.
    pub(crate) fn for_provider(self, provider: Provider, path: &Path) -> Result<State, StateError> {
        if self.provider == provider {
            return Ok(self);
        }
        Err(StateError::OtherProvider {
            path: path.to_path_buf(),
            written: self.provider.name(),
            asked: provider.name(),
        })
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
    /// `cigen setup` wrote it for another provider: its hashes are of that
    /// provider's jobs.
    OtherProvider {
        path: PathBuf,
        written: &'static str,
        asked: &'static str,
    },
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
            StateError::OtherProvider {
                path,
                written,
                asked,
            } => write!(
                f,
                "{} was written by `cigen setup --provider {written}`, not for {asked}: run `cigen setup --provider {asked}` first",
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
            StateError::Format(..)
            | StateError::OtherJobs(_)
            | StateError::OtherProvider { .. } => None,
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
        let state = State::new(Provider::Github, "main", IndexMap::new(), values);
        state.write(&path).expect("written");
        assert_eq!(State::read(&path).expect("read"), state);

        std::fs::write(&path, r#"{"format": 1, "workflow": "main", "hashes": {}}"#).expect("write");
        let err = State::read(&path).expect_err("refused");
        assert!(err.to_string().contains("state format 1 is not 3"), "{err}");
    }

    #[test]
    fn a_state_of_another_provider_is_refused() {
        let path = Path::new("/tmp/cigen/state.json");
        let state = State::new(Provider::Circleci, "main", IndexMap::new(), BTreeMap::new());
        assert!(state.clone().for_provider(Provider::Circleci, path).is_ok());
        let err = state
            .for_provider(Provider::Github, path)
            .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "/tmp/cigen/state.json was written by `cigen setup --provider circleci`, not for github: run `cigen setup --provider github` first"
        );
    }
}
