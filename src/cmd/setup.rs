//! `cigen setup [--self-check] [--commit-on-diff]`: phase 1 in the setup
//! job. Optionally self-checks the committed entrypoint, then hashes every
//! hashed variant of the dynamic workflow (with the pipeline values the
//! entrypoint hands it), writes each variant's key file for its
//! `restore_cache` probe, and leaves the state — hashes and the values
//! they cover — for `cigen continue`.

use std::path::Path;
use std::time::Instant;

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use crate::setup::{hashes, paths::Paths, selfcheck, state::State, values};

pub fn run(config: Option<&Path>, self_check: bool, commit_on_diff: bool) -> Result<()> {
    let started = Instant::now();
    let (project, plans) = super::load(config)?;
    if commit_on_diff {
        check_push_tokens()?;
    }
    if self_check || commit_on_diff {
        selfcheck::run(&project, &plans, commit_on_diff)?;
    }
    let checked = started.elapsed();
    let (workflow, plan) = super::dynamic(&project, &plans)?;
    let values = values::from_env(&project, workflow, plan)?;
    let report = hashes::compute(&project, workflow, plan, &values)?;
    let hashed = started.elapsed();
    let paths = Paths::from_env();
    for (variant, hash) in &report.hashes {
        let key = hashes::job_key(plan, variant, hash).ok_or_else(|| {
            Error::Runtime(format!("hashed variant `{variant}` is not in the plan"))
        })?;
        write_atomic(&paths.job_key(variant), key.as_bytes())?;
    }
    State::new(&workflow.name, report.hashes.clone(), values).write(&paths.state())?;
    let stats = &report.stats;
    crate::outln!(
        "cigen setup: {} hashed variants of `{}` ({} files: {} from the git index, {} hashed from content)",
        report.hashes.len(),
        workflow.name,
        stats.files_matched,
        stats.files_from_index,
        stats.files_hashed_from_content
    );
    crate::outln!(
        "  timings: load+self-check {:.0} ms, hashing {:.0} ms, total {:.0} ms; key files under {}",
        checked.as_secs_f64() * 1e3,
        (hashed - checked).as_secs_f64() * 1e3,
        started.elapsed().as_secs_f64() * 1e3,
        paths.root.join("setup_keys").display()
    );
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
