//! The hand-over from `cigen setup` to `cigen continue`: the provider the
//! jobs were hashed for, which workflow was hashed, each hashed variant's
//! hash, and the pipeline values the hashes cover (the continuation carries
//! them to the jobs), as JSON under the runtime root. `continue` re-plans
//! from the same checkout and refuses a state of another provider or whose
//! variants or values do not match, so the two steps can never disagree
//! silently.

use std::collections::{BTreeMap, BTreeSet};
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

    /// Refuses a state written for another workflow, other hashed variants
    /// (`hashed`) or other pipeline values (`values`, the names this
    /// configuration's hashes cover) than this configuration has.
    pub(crate) fn check(
        &self,
        path: &Path,
        workflow: &str,
        hashed: &BTreeSet<&str>,
        values: &[String],
    ) -> Result<(), StateError> {
        let at = || path.to_path_buf();
        if self.workflow != workflow {
            return Err(StateError::OtherWorkflow {
                path: at(),
                state: self.workflow.clone(),
                config: workflow.to_string(),
            });
        }
        let jobs = Difference::of(self.hashes.keys(), hashed.iter().copied());
        if !jobs.is_empty() {
            return Err(StateError::OtherJobs(at(), jobs));
        }
        let values = Difference::of(self.values.keys(), values);
        if !values.is_empty() {
            return Err(StateError::OtherValues(at(), values));
        }
        Ok(())
    }
}

/// The names only the state has and those only the configuration has, sorted.
#[derive(Debug)]
pub struct Difference {
    state_only: Vec<String>,
    config_only: Vec<String>,
}

impl Difference {
    fn of<'a>(
        state: impl IntoIterator<Item = &'a String>,
        config: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Difference {
        let state: BTreeSet<&str> = state.into_iter().map(String::as_str).collect();
        let config: BTreeSet<String> = config.into_iter().map(|n| n.as_ref().to_string()).collect();
        Difference {
            state_only: state
                .iter()
                .filter(|n| !config.contains(**n))
                .map(ToString::to_string)
                .collect(),
            config_only: config
                .iter()
                .filter(|n| !state.contains(n.as_str()))
                .cloned()
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.state_only.is_empty() && self.config_only.is_empty()
    }
}

impl fmt::Display for Difference {
    /// `only in the state: a, b; only in this configuration: c`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sides = [
            ("only in the state", &self.state_only),
            ("only in this configuration", &self.config_only),
        ];
        let shown: Vec<String> = sides
            .iter()
            .filter(|(_, names)| !names.is_empty())
            .map(|(side, names)| format!("{side}: {}", names.join(", ")))
            .collect();
        f.write_str(&shown.join("; "))
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
    /// `cigen setup` wrote it for another provider: its hashes are of that
    /// provider's jobs.
    OtherProvider {
        path: PathBuf,
        written: &'static str,
        asked: &'static str,
    },
    /// It was written for another dynamic workflow than this configuration's.
    OtherWorkflow {
        path: PathBuf,
        state: String,
        config: String,
    },
    /// It holds other hashed variants than this configuration has: it was
    /// written for another checkout or configuration.
    OtherJobs(PathBuf, Difference),
    /// It holds other pipeline values than this configuration's hashes
    /// cover (same jobs, but their steps reference other values).
    OtherValues(PathBuf, Difference),
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
            StateError::OtherWorkflow {
                path,
                state,
                config,
            } => write!(
                f,
                "{} was written for workflow `{state}`, but this configuration's dynamic workflow is `{config}`: run `cigen setup` again",
                path.display()
            ),
            StateError::OtherJobs(path, jobs) => write!(
                f,
                "{} was written for other hashed jobs than this configuration has ({jobs}): run `cigen setup` again",
                path.display()
            ),
            StateError::OtherValues(path, values) => write!(
                f,
                "{} holds other pipeline values than this configuration's hashes cover ({values}): run `cigen setup` again",
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
            | StateError::OtherProvider { .. }
            | StateError::OtherWorkflow { .. }
            | StateError::OtherJobs(..)
            | StateError::OtherValues(..) => None,
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

    #[test]
    fn check_names_the_jobs_or_values_only_one_side_has() {
        let path = Path::new("state.json");
        let hashes = IndexMap::from([("a".to_string(), "1".to_string())]);
        let values = BTreeMap::from([("pipeline.git.branch".to_string(), "main".to_string())]);
        let state = State::new(Provider::Circleci, "main", hashes, values);
        let check = |hashed: &[&str], values: &[&str]| {
            let values: Vec<String> = values.iter().map(ToString::to_string).collect();
            match state.check(path, "main", &hashed.iter().copied().collect(), &values) {
                Ok(()) => "ok".to_string(),
                Err(err) => err.to_string(),
            }
        };
        assert_eq!(check(&["a"], &["pipeline.git.branch"]), "ok");
        assert_eq!(
            check(&["b", "c"], &["pipeline.git.branch"]),
            "state.json was written for other hashed jobs than this configuration has (only in the state: a; only in this configuration: b, c): run `cigen setup` again"
        );
        assert_eq!(
            check(&["a"], &[]),
            "state.json holds other pipeline values than this configuration's hashes cover (only in the state: pipeline.git.branch): run `cigen setup` again"
        );
    }
}
