//! Self-check (DESIGN §7): regenerates `.circleci/config.yml` in memory and
//! compares it with the committed bytes. Drift prints a unified diff and
//! fails; with commit-on-diff the fix is committed and pushed through the
//! git edge first, and the run still fails so the new commit's pipeline is
//! the one that continues.

use std::path::{Path, PathBuf};

use crate::drift;
use crate::emit;
use crate::error::{Error, Result};
use crate::fsutil::read_optional;
use crate::git::{self, EnvSnapshot, PushOutcome, SelfCheckCommit};
use crate::model::Project;
use crate::plan::WorkflowPlan;

pub(crate) fn run(project: &Project, plans: &[WorkflowPlan], commit_on_diff: bool) -> Result<()> {
    let rendered = emit::render(project, plans)?;
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
    let (repo_dir, file) = repository_path(&path)?;
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
        Err(err) => Err(Error::Runtime(format!(
            "self-check: .circleci/config.yml is stale and the fix could not be pushed: {err}"
        ))),
    }
}

/// The work tree root holding `path`, and `path` relative to it.
fn repository_path(path: &Path) -> Result<(PathBuf, PathBuf)> {
    let dir = path
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).map_err(|err| Error::io(dir, &err))?;
    let repo = git2::Repository::discover(&dir).map_err(|err| {
        Error::Runtime(format!(
            "self-check: not a git repository: {}",
            err.message()
        ))
    })?;
    let Some(workdir) = repo.workdir() else {
        return Err(Error::Runtime(
            "self-check: the repository has no work tree".into(),
        ));
    };
    let workdir = std::fs::canonicalize(workdir).map_err(|err| Error::io(workdir, &err))?;
    let relative = dir
        .strip_prefix(&workdir)
        .map_err(|_| Error::Runtime("self-check: config is outside the work tree".into()))?;
    Ok((
        workdir.clone(),
        relative.join(".circleci").join("config.yml"),
    ))
}
