//! `cigen setup [--self-check] [--commit-on-diff] [--provider P]`: phase 1
//! in the setup job. Optionally self-checks the committed entrypoint, then
//! hashes every hashed variant of the dynamic workflow (with the pipeline
//! values the entrypoint hands it) as the provider renders it, on CircleCI
//! writes each variant's key file for its `restore_cache` probe (GitHub
//! needs none: `continue` lists the markers), and leaves the state — the
//! provider, hashes and the values they cover — for `cigen continue`.

use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use crate::model::Project;
use crate::plan::WorkflowPlan;
use crate::provider::Provider;
use crate::setup::{hashes, paths::Paths, selfcheck, state::State, values};

pub(super) fn run(
    config: Option<&Path>,
    self_check: bool,
    commit_on_diff: bool,
    provider: Option<Provider>,
) -> Result<()> {
    let started = Instant::now();
    let (project, plans) = super::load(config)?;
    let provider = super::provider_for(&project, provider)?;
    check(&project, &plans, provider, self_check, commit_on_diff)?;
    let checked = started.elapsed();
    let (workflow, plan) = super::dynamic(&project, &plans)?;
    let values = values::from_env(&project, workflow, plan)?;
    let report = hashes::compute(&project, workflow, plan, &values, provider)?;
    let hashed = started.elapsed();
    let paths = Paths::from_env();
    if provider == Provider::Circleci {
        for (variant, hash) in &report.hashes {
            let key = hashes::job_key(plan, variant, hash).ok_or_else(|| {
                Error::Internal(format!("hashed variant `{variant}` is not in the plan"))
            })?;
            write_atomic(&paths.job_key(variant), key.as_bytes())?;
        }
    }
    State::new(provider, &workflow.name, report.hashes.clone(), values).write(&paths.state())?;
    let stats = &report.stats;
    crate::outln!(
        "cigen setup: {} hashed variants of `{}` ({} files: {} from the git index, {} hashed from content)",
        report.hashes.len(),
        workflow.name,
        stats.files_matched,
        stats.files_from_index,
        stats.files_hashed_from_content
    );
    let written = match provider {
        Provider::Circleci => format!(
            "key files under {}",
            paths.root.join("setup_keys").display()
        ),
        Provider::Github => format!("state in {}", paths.state().display()),
    };
    crate::outln!(
        "  timings: load+self-check {:.0} ms, hashing {:.0} ms, total {:.0} ms; {written}",
        checked.as_secs_f64() * 1e3,
        (hashed - checked).as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3,
    );
    Ok(())
}

/// The self-check the flags ask for, as the provider has it.
fn check(
    project: &Project,
    plans: &[WorkflowPlan],
    provider: Provider,
    self_check: bool,
    commit_on_diff: bool,
) -> Result<()> {
    match provider {
        Provider::Circleci => {
            if commit_on_diff {
                check_push_tokens()?;
            }
            if self_check || commit_on_diff {
                selfcheck::run(project, plans, commit_on_diff)?;
            }
        }
        Provider::Github if commit_on_diff => {
            return Err(Error::Usage(
                "`--commit-on-diff` is for CircleCI only: on GitHub the self-check reports drift and fails without committing (a push made with GITHUB_TOKEN starts no workflow run, and pull request checkouts are detached)".into(),
            ));
        }
        Provider::Github if self_check => selfcheck::run_github(project, plans)?,
        Provider::Github => {}
    }
    Ok(())
}

/// The HTTPS push tokens are masked in git's messages like API secrets, so
/// the same rule applies: one too short to mask safely is refused.
fn check_push_tokens() -> Result<()> {
    for name in crate::git::TOKEN_VARS {
        if let Ok(value) = std::env::var(name)
            && !value.trim().is_empty()
        {
            crate::api::Secret::from_env(name, value).map_err(Error::Usage)?;
        }
    }
    Ok(())
}
