//! Checks of `requires_any` that need the settings: an empty list is an
//! error; a single trigger on a job without `approval: true` is a plain
//! `requires` and only warns; and with circleci a provider but no
//! `setup.approve_context` the shims get no `CIRCLE_TOKEN`, so they could
//! never approve the gate (warning; GitHub has no shims);
//! with github a provider, a hand gate next to triggers is left out there
//! (warning).
//! Resolving the names is `requires.rs`'s job.

use super::settings::Settings;
use crate::config::{Loaded, LoadedJob};
use crate::error::Result;
use crate::provider::Provider;

pub(super) fn check(
    loaded: &Loaded,
    settings: &Settings,
    job: &LoadedJob,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let Some(triggers) = &job.raw.requires_any else {
        return Ok(());
    };
    let at = loaded.error(&job.origin, &["requires_any"], None);
    let place = at.place();
    if triggers.is_empty() {
        return Err(at
            .message("`requires_any` is empty: list the jobs any one of which starts this job, or remove the key")
            .into());
    }
    if let [only] = &triggers[..]
        && !job.raw.approval
    {
        warnings.push(format!(
            "{place}: `requires_any` has one job: write `requires: [{only}]` (one trigger is an OR of one), or add `approval: true` to also allow starting the job by hand"
        ));
    }
    let provider = |p| settings.providers.contains(&p);
    if job.raw.approval && provider(Provider::Github) {
        warnings.push(format!(
            "{place}: `approval: true` next to `requires_any` is left out on GitHub Actions: a job starts only once all it needs finished, so a gate nobody approves would hold every trigger; the job runs when any trigger passes"
        ));
    }
    if settings.setup.approve_context.is_empty() && provider(Provider::Circleci) {
        warnings.push(format!(
            "{place}: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it"
        ));
    }
    Ok(())
}
