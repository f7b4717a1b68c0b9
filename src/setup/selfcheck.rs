//! Self-check (DESIGN §7): regenerates `.circleci/config.yml` (CircleCI) or
//! every `.github/workflows/<workflow>.yml` cigen writes (GitHub) in memory
//! and compares it with the committed bytes. Drift prints a unified diff
//! and fails; on CircleCI with commit-on-diff the fix is committed and
//! pushed through the git edge first, and the run still fails so the new
//! commit's pipeline is the one that continues. GitHub never commits.

use crate::drift;
use crate::emit;
use crate::error::{Error, Result};
use crate::fsutil::read_optional;
use crate::git::{self, EnvSnapshot, PushOutcome, SelfCheckCommit};
use crate::model::Project;
use crate::plan::WorkflowPlan;

pub(crate) fn run(project: &Project, plans: &[WorkflowPlan], commit_on_diff: bool) -> Result<()> {
    let rendered = emit::circleci::render(project, plans)?;
    let path = project.root.join(".circleci").join("config.yml");
    let committed = read_optional(&path)?.unwrap_or_default();
    let shown = ".circleci/config.yml";
    let Some(diff) = drift::unified(shown, "committed", &committed, &rendered.config) else {
        crate::outln!("self-check: .circleci/config.yml is up to date");
        return Ok(());
    };
    crate::out!("{diff}");
    if !commit_on_diff {
        return Err(Error::Drift(
            "self-check: .circleci/config.yml is stale: run `cigen generate` and commit it (or enable self_check.commit_on_diff)".into(),
        ));
    }
    let (repo_dir, root) = git::work_tree_of(&project.root).map_err(|source| Error::Git {
        doing: "self-check",
        source,
    })?;
    let file = root.join(".circleci").join("config.yml");
    let env = EnvSnapshot::from_process();
    let request = SelfCheckCommit {
        repo_dir: &repo_dir,
        file: &file,
        contents: rendered.config.as_bytes(),
        env: &env,
    };
    match git::commit_and_push(&request) {
        Ok(PushOutcome::Pushed {
            branch,
            commit,
            remote_url_redacted,
        }) => Err(Error::Drift(format!(
            "self-check: committed the regenerated .circleci/config.yml as {commit} and pushed it to `{branch}` on {remote_url_redacted}; \
             CircleCI runs a new pipeline for that commit, so this one stops here"
        ))),
        Err(source) => Err(Error::Git {
            doing: "self-check: .circleci/config.yml is stale and the fix could not be pushed",
            source,
        }),
    }
}

/// The GitHub self-check: each workflow file cigen writes against the
/// committed one. Drift prints a unified diff per file and fails
/// (`Error::Drift`, exit 1); it never commits (a push made with
/// `GITHUB_TOKEN` starts no workflow run, and pull request checkouts are
/// detached).
pub(crate) fn run_github(project: &Project, plans: &[WorkflowPlan]) -> Result<()> {
    let mut stale = vec![];
    for file in emit::github::render(project, plans)? {
        let committed = read_optional(&project.root.join(&file.path))?.unwrap_or_default();
        match drift::unified(&file.path, "committed", &committed, &file.text) {
            Some(diff) => {
                crate::out!("{diff}");
                stale.push(file.path);
            }
            None => crate::outln!("self-check: {} is up to date", file.path),
        }
    }
    if stale.is_empty() {
        return Ok(());
    }
    Err(Error::Drift(format!(
        "self-check: {} {} stale: run `cigen generate` and commit the result",
        stale.join(", "),
        if stale.len() == 1 { "is" } else { "are" }
    )))
}
