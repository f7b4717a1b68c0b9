//! The GitHub setup job's decision: which hashed variants skip, from the
//! marker caches a listing found. A variant passed when a cache keyed
//! exactly `cigen-job-<variant>-<hash>` was saved on a ref this run may
//! restore from (`github_refs`); markers are matched by key alone, so the
//! cache `version` (compression, paths) does not matter. Then the same
//! workspace rule as on CircleCI (`plan::prune`): the producer of a
//! workspace some job that runs attaches is un-skipped. No job is dormant
//! here (cigen does not read GitHub's conditions), so every consumer keeps
//! its producers. Output: the decision and the job outputs
//! `run_<variant>` / `hash_<variant>` for `$GITHUB_OUTPUT`. Pure: no
//! environment, no I/O.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;

use super::github_refs::RunRefs;
use crate::api::CacheEntry;
use crate::plan::WorkflowPlan;
use crate::plan::prune::{Pruned, SkippedJobs, prune};

/// Every marker key starts so; the listing asks for this prefix.
pub(crate) const MARKER_PREFIX: &str = "cigen-job-";

/// The cache key a passed variant's job saved.
pub(crate) fn marker_key(variant: &str, hash: &str) -> String {
    format!("{MARKER_PREFIX}{variant}-{hash}")
}

#[derive(Debug, Clone)]
pub(crate) struct Decision {
    /// Hashed variant → the ref its marker was found on (the closest one).
    pub passed: BTreeMap<String, String>,
    /// The plan pruned by `passed` (which variants skip, which were un-skipped and why).
    pub pruned: Pruned,
}

impl Decision {
    pub(crate) fn skips(&self, variant: &str) -> bool {
        self.pruned.skipped.iter().any(|v| v == variant)
    }
}

/// Decides from the listed caches; `entries` empty (nothing listed) skips nothing.
pub(crate) fn decide(
    plan: &WorkflowPlan,
    hashes: &IndexMap<String, String>,
    entries: &[CacheEntry],
    refs: &RunRefs,
) -> Decision {
    let passed = passed(hashes, entries, refs);
    let skip: BTreeSet<String> = passed.keys().cloned().collect();
    let pruned = prune(
        plan,
        &skip,
        &BTreeSet::new(),
        &BTreeSet::new(),
        SkippedJobs::Remove,
    );
    Decision { passed, pruned }
}

/// The hashed variants with a marker under their exact key on a readable
/// ref, each with the closest such ref.
fn passed(
    hashes: &IndexMap<String, String>,
    entries: &[CacheEntry],
    refs: &RunRefs,
) -> BTreeMap<String, String> {
    let mut found: BTreeMap<&str, Vec<(_, &str)>> = BTreeMap::new();
    for entry in entries {
        if let Some(role) = refs.role(&entry.git_ref) {
            found
                .entry(entry.key.as_str())
                .or_default()
                .push((role, entry.git_ref.as_str()));
        }
    }
    hashes
        .iter()
        .filter_map(|(variant, hash)| {
            let closest = found
                .get(marker_key(variant, hash).as_str())?
                .iter()
                .min()?;
            Some((variant.clone(), closest.1.to_owned()))
        })
        .collect()
}

/// `run_<v>=true|false` and `hash_<v>=<hash>` for every hashed variant, in
/// plan order, one per line: the `$GITHUB_OUTPUT` format
/// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands).
pub(crate) fn outputs(hashes: &IndexMap<String, String>, decision: Option<&Decision>) -> String {
    let mut text = String::new();
    for (variant, hash) in hashes {
        let runs = !decision.is_some_and(|d| d.skips(variant));
        text.push_str(&format!("run_{variant}={runs}\nhash_{variant}={hash}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Node;

    const H: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn variant(id: &str, persists: bool, attaches: bool, requires: &[&str]) -> Node {
        Node::test_variant(id, requires, persists, attaches)
    }

    fn plan() -> WorkflowPlan {
        WorkflowPlan::new(
            "main".into(),
            vec![
                variant("build", true, false, &[]),
                variant("test", false, true, &["build"]),
                variant("lint", false, false, &[]),
            ],
        )
    }

    fn hashes() -> IndexMap<String, String> {
        ["build", "test", "lint"]
            .iter()
            .map(|v| ((*v).to_string(), H.to_string()))
            .collect()
    }

    fn on_main() -> RunRefs {
        RunRefs {
            this_run: "refs/heads/feature".into(),
            pull_request_base: None,
            default_branch: Some("refs/heads/main".into()),
        }
    }

    fn marker(variant: &str, hash: &str, git_ref: &str) -> CacheEntry {
        CacheEntry {
            key: marker_key(variant, hash),
            git_ref: git_ref.into(),
        }
    }

    #[test]
    fn only_an_exact_key_on_a_readable_ref_skips() {
        let entries = [
            marker("lint", H, "refs/heads/main"),
            // Right key, a ref this run may not read: a false skip if believed.
            marker("test", H, "refs/heads/other"),
            marker("test", H, "refs/pull/3/merge"),
            // Readable ref, keys that only look alike.
            marker("build", &H[..63], "refs/heads/feature"),
            CacheEntry {
                key: format!("{}x", marker_key("build", H)),
                git_ref: "refs/heads/feature".into(),
            },
            marker("buil", H, "refs/heads/feature"),
        ];
        let decision = decide(&plan(), &hashes(), &entries, &on_main());
        assert_eq!(
            decision.passed,
            BTreeMap::from([("lint".to_string(), "refs/heads/main".to_string())])
        );
        assert_eq!(decision.pruned.skipped, ["lint"]);
        assert_eq!(
            outputs(&hashes(), Some(&decision)),
            format!(
                "run_build=true\nhash_build={H}\nrun_test=true\nhash_test={H}\nrun_lint=false\nhash_lint={H}\n"
            )
        );
    }

    #[test]
    fn the_producer_of_a_workspace_a_running_job_attaches_runs() {
        let entries = [marker("build", H, "refs/heads/main")];
        let decision = decide(&plan(), &hashes(), &entries, &on_main());
        assert!(decision.passed.contains_key("build"));
        assert!(!decision.skips("build"));
        assert_eq!(
            decision.pruned.unskipped,
            [(
                "build".to_string(),
                "workspace producer for test".to_string()
            )]
        );
        // Once its consumer skips too, so does the producer.
        let both = [
            marker("build", H, "refs/heads/main"),
            marker("test", H, "refs/heads/feature"),
        ];
        let decision = decide(&plan(), &hashes(), &both, &on_main());
        assert_eq!(decision.pruned.skipped, ["build", "test"]);
    }

    #[test]
    fn the_closest_ref_is_reported() {
        let entries = [
            marker("lint", H, "refs/heads/main"),
            marker("lint", H, "refs/heads/feature"),
        ];
        let decision = decide(&plan(), &hashes(), &entries, &on_main());
        assert_eq!(decision.passed["lint"], "refs/heads/feature");
    }

    #[test]
    fn without_a_decision_everything_runs() {
        let text = outputs(&hashes(), None);
        assert_eq!(text.matches("=true\n").count(), 3);
        assert!(!text.contains("=false"));
    }
}
