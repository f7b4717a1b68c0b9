//! `cigen hash [--provider P]`: prints the hash of every hashed variant of
//! the dynamic workflow (or one, `--job`), as text or a JSON map, for the
//! provider's rendered jobs. Same code path as `setup`, pipeline values
//! read from the same variables (unset: the declared default), so what it
//! prints is what the setup job looks for.

use std::path::Path;

use indexmap::IndexMap;

use crate::error::{Error, Result};
use crate::plan::{NodeKind, WorkflowPlan};
use crate::provider::Provider;
use crate::setup::values;

pub(super) fn run(
    config: Option<&Path>,
    jobs: &[String],
    json: bool,
    provider: Option<Provider>,
) -> Result<()> {
    let (project, plans) = super::load(config)?;
    let provider = super::provider_for(&project, provider)?;
    let (workflow, plan) = super::dynamic(&project, &plans)?;
    let values = values::from_env(&project, workflow, plan)?;
    let report = crate::setup::hashes::compute(&project, workflow, plan, &values, provider)?;
    let mut selected = report.hashes.clone();
    if !jobs.is_empty() {
        for job in jobs {
            check_job(&report.hashes, plan, job)?;
        }
        selected.retain(|variant, _| jobs.iter().any(|job| is_of(plan, variant, job)));
    }
    if json {
        let text = serde_json::to_string_pretty(&selected)
            .map_err(|err| Error::Internal(format!("the hashes do not serialize: {err}")))?;
        crate::outln!("{text}");
    } else {
        let width = selected.keys().map(String::len).max().unwrap_or(0);
        for (variant, hash) in &selected {
            crate::outln!("{variant:width$}  {hash}");
        }
    }
    Ok(())
}

/// `variant` is `job` itself or one of its arch variants.
fn is_of(plan: &WorkflowPlan, variant: &str, job: &str) -> bool {
    variant == job
        || plan
            .node(variant)
            .is_some_and(|n| matches!(&n.kind, NodeKind::Variant { job: j, .. } if j == job))
}

/// `job` names a hashed job or variant; otherwise says why it has no hash.
fn check_job(hashes: &IndexMap<String, String>, plan: &WorkflowPlan, job: &str) -> Result<()> {
    if hashes.keys().any(|variant| is_of(plan, variant, job)) {
        return Ok(());
    }
    let hashed: Vec<String> = hashes.keys().map(|v| format!("`{v}`")).collect();
    let hashed = if hashed.is_empty() {
        "no job has `source_files`".to_string()
    } else {
        format!("hashed: {}", hashed.join(", "))
    };
    if plan.variants().any(|node| is_of(plan, &node.id, job)) {
        return Err(Error::Usage(format!(
            "job `{job}` has no `source_files`, so it has no hash ({hashed})"
        )));
    }
    let names = plan.variants().flat_map(|node| match &node.kind {
        NodeKind::Variant { job, .. } => [node.id.as_str(), job.as_str()],
        _ => [node.id.as_str(), node.id.as_str()],
    });
    let hint = crate::error::suggest(job, names)
        .map(|h| format!("\n  hint: {h}"))
        .unwrap_or_default();
    Err(Error::Usage(format!(
        "no job or variant `{job}` in workflow `{}` ({hashed}){hint}",
        plan.name
    )))
}
