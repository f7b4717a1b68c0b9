//! The hand-over from `cigen setup` to `cigen continue`: which workflow was
//! hashed and each hashed variant's hash, as JSON under the runtime root.
//! `continue` re-plans from the same checkout and refuses a state whose
//! variants do not match, so the two steps can never disagree silently.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;

const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub format: u32,
    pub workflow: String,
    pub hashes: IndexMap<String, String>,
}

impl State {
    pub fn new(workflow: &str, hashes: IndexMap<String, String>) -> State {
        State {
            format: FORMAT,
            workflow: workflow.to_string(),
            hashes,
        }
    }

    pub fn write(&self, path: &std::path::Path) -> Result<()> {
        let text =
            serde_json::to_string_pretty(self).map_err(|err| Error::Runtime(err.to_string()))?;
        write_atomic(path, format!("{text}\n").as_bytes())
    }

    pub fn read(path: &std::path::Path) -> Result<State> {
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
