//! The hand-over from `cigen setup` to `cigen continue`: which workflow was
//! hashed, each hashed variant's hash, and the pipeline values the hashes
//! cover (the continuation carries them to the jobs), as JSON under the
//! runtime root. `continue` re-plans from the same checkout and refuses a
//! state whose variants or values do not match, so the two steps can never
//! disagree silently.

use std::collections::BTreeMap;

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

    pub(crate) fn write(&self, path: &std::path::Path) -> Result<()> {
        let text =
            serde_json::to_string_pretty(self).map_err(|err| Error::Runtime(err.to_string()))?;
        write_atomic(path, format!("{text}\n").as_bytes())
    }

    pub(crate) fn read(path: &std::path::Path) -> Result<State> {
        let text = std::fs::read_to_string(path).map_err(|err| {
            Error::Runtime(format!(
                "{}: {err} (run `cigen setup` first)",
                path.display()
            ))
        })?;
        let state: State = serde_json::from_str(&text).map_err(|err| {
            Error::Runtime(format!("{}: not a cigen state file: {err}", path.display()))
        })?;
        if state.format != FORMAT {
            return Err(Error::Runtime(format!(
                "{}: state format {} is not {FORMAT}: run `cigen setup` with this cigen version",
                path.display(),
                state.format
            )));
        }
        Ok(state)
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
