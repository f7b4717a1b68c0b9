//! The git refs a GitHub Actions run may restore caches from, and so the
//! only refs whose markers `cigen continue --provider github` believes:
//! "Workflow runs can restore caches created in either the current branch
//! or the default branch … If a workflow run is triggered for a pull
//! request, it can also restore caches created in the base branch"
//! (https://docs.github.com/en/actions/reference/workflows-and-actions/dependency-caching).
//! So: this run's `GITHUB_REF`, `refs/heads/$GITHUB_BASE_REF` (set for pull
//! requests only), and `refs/heads/<default branch>` from the event payload
//! at `GITHUB_EVENT_PATH` (`repository.default_branch`). A fork's pull
//! request saves under its own `refs/pull/N/merge`, which no other run
//! reads. Input: the environment; output: the refs. Decides no skip.

use std::path::Path;

use crate::error::{Error, Result};

/// Why a ref may be read; ordered closest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum RefRole {
    ThisRun,
    PullRequestBase,
    DefaultBranch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunRefs {
    /// `GITHUB_REF`, e.g. `refs/heads/feature` or `refs/pull/7/merge`.
    pub this_run: String,
    /// `refs/heads/$GITHUB_BASE_REF`, for pull requests.
    pub pull_request_base: Option<String>,
    /// `refs/heads/<repository.default_branch>` of the event payload.
    pub default_branch: Option<String>,
}

impl RunRefs {
    /// From `GITHUB_REF`, `GITHUB_BASE_REF` and `GITHUB_EVENT_PATH`. A
    /// missing `GITHUB_REF` is an error; an event payload that cannot be
    /// read leaves the default branch out (fewer markers, never more) and
    /// says so in the returned warning.
    pub(crate) fn from_env() -> Result<(RunRefs, Option<String>)> {
        let var = |name| {
            std::env::var(name)
                .ok()
                .filter(|v: &String| !v.trim().is_empty())
        };
        let this_run = var("GITHUB_REF").ok_or_else(|| {
            Error::Usage(
                "`GITHUB_REF` is not set: `cigen continue --provider github` runs inside a GitHub Actions job".into(),
            )
        })?;
        let pull_request_base = var("GITHUB_BASE_REF").map(|branch| format!("refs/heads/{branch}"));
        let (default_branch, warning) = match var("GITHUB_EVENT_PATH") {
            None => (None, None),
            Some(path) => match default_branch(Path::new(&path)) {
                Ok(branch) => (branch.map(|b| format!("refs/heads/{b}")), None),
                Err(why) => (
                    None,
                    Some(format!(
                        "{path}: {why}; markers saved on the default branch are not used"
                    )),
                ),
            },
        };
        let refs = RunRefs {
            this_run,
            pull_request_base,
            default_branch,
        };
        Ok((refs, warning))
    }

    /// Why `git_ref` may be read (the closest role first), or `None`.
    pub(crate) fn role(&self, git_ref: &str) -> Option<RefRole> {
        if self.this_run == git_ref {
            Some(RefRole::ThisRun)
        } else if self.pull_request_base.as_deref() == Some(git_ref) {
            Some(RefRole::PullRequestBase)
        } else if self.default_branch.as_deref() == Some(git_ref) {
            Some(RefRole::DefaultBranch)
        } else {
            None
        }
    }

    /// The refs, closest first, without repeats.
    pub(crate) fn list(&self) -> Vec<&str> {
        let mut refs = vec![self.this_run.as_str()];
        for other in [&self.pull_request_base, &self.default_branch]
            .into_iter()
            .flatten()
        {
            if !refs.contains(&other.as_str()) {
                refs.push(other);
            }
        }
        refs
    }
}

/// `repository.default_branch` of the event payload; `None` when the
/// payload has no repository (it always has one on github.com).
fn default_branch(path: &Path) -> std::result::Result<Option<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|err| err.to_string())?;
    let event: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| format!("not a JSON event payload: {err}"))?;
    Ok(event
        .pointer("/repository/default_branch")
        .and_then(serde_json::Value::as_str)
        .filter(|branch| !branch.trim().is_empty())
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pull_request() -> RunRefs {
        RunRefs {
            this_run: "refs/pull/7/merge".into(),
            pull_request_base: Some("refs/heads/release".into()),
            default_branch: Some("refs/heads/main".into()),
        }
    }

    #[test]
    fn this_run_base_and_default_branch_are_readable_nothing_else() {
        let refs = pull_request();
        assert_eq!(refs.role("refs/pull/7/merge"), Some(RefRole::ThisRun));
        assert_eq!(
            refs.role("refs/heads/release"),
            Some(RefRole::PullRequestBase)
        );
        assert_eq!(refs.role("refs/heads/main"), Some(RefRole::DefaultBranch));
        for other in [
            "refs/pull/8/merge",
            "refs/heads/feature",
            "refs/tags/v1",
            "main",
            "refs/heads/main/x",
            "",
        ] {
            assert_eq!(refs.role(other), None, "{other}");
        }
        assert_eq!(
            refs.list(),
            ["refs/pull/7/merge", "refs/heads/release", "refs/heads/main"]
        );
    }

    #[test]
    fn a_push_to_the_default_branch_lists_it_once() {
        let refs = RunRefs {
            this_run: "refs/heads/main".into(),
            pull_request_base: None,
            default_branch: Some("refs/heads/main".into()),
        };
        assert_eq!(refs.list(), ["refs/heads/main"]);
        assert_eq!(refs.role("refs/heads/main"), Some(RefRole::ThisRun));
    }

    #[test]
    fn reads_the_default_branch_from_the_event_payload() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("event.json");
        std::fs::write(&path, r#"{"repository": {"default_branch": "trunk"}}"#).expect("write");
        assert_eq!(default_branch(&path), Ok(Some("trunk".into())));
        std::fs::write(&path, r#"{"schedule": "0 * * * *"}"#).expect("write");
        assert_eq!(default_branch(&path), Ok(None));
        std::fs::write(&path, "{").expect("write");
        assert!(default_branch(&path).is_err());
        assert!(default_branch(&dir.path().join("missing.json")).is_err());
    }
}
