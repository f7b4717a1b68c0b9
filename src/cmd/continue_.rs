//! `cigen continue [--dry-run] [--provider P]`: phase 2 in the setup job.
//! Reads the state `cigen setup` left (refused when another provider's
//! setup wrote it or it names other jobs); on GitHub hands over to
//! `continue_github`. On CircleCI: looks for the markers the cache probes
//! restored, writes the skip list, builds and validates the pruned
//! continuation config, and POSTs it to CircleCI (or, dry run, writes the
//! request body with the key redacted). Prints what runs, what is skipped,
//! and why.

use std::collections::BTreeSet;
use std::path::Path;

use crate::api::{Secret, body_json};
use crate::emit::Carry;
use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use crate::model::Workflow;
use crate::plan::{NodeKind, WorkflowPlan};
use crate::provider::Provider;
use crate::setup::continuation::{self, Continuation};
use crate::setup::reference::Ref;
use crate::setup::shape::SummaryReason;
use crate::setup::{paths::Paths, state::State};

/// Set (to `true`) from the `cigen_skip_cache` pipeline parameter: run everything.
pub(super) const SKIP_CACHE_ENV: &str = "CIGEN_SKIP_CACHE";

pub(super) fn run(
    config: Option<&Path>,
    dry_run: bool,
    api_url: Option<&str>,
    provider: Option<Provider>,
) -> Result<()> {
    let (project, plans) = super::load(config)?;
    let provider = super::provider_for(&project, provider)?;
    if provider == Provider::Github && dry_run {
        return Err(Error::Usage(
            "`--dry-run` is for CircleCI only: on GitHub `continue` sends nothing (it only lists caches)".into(),
        ));
    }
    // Refused before anything is printed or written: a missing or unsafe key, a bad API URL.
    let sender = if dry_run || provider == Provider::Github {
        None
    } else {
        let key = super::client::secret("CIRCLE_CONTINUATION_KEY")?;
        Some((key, super::client::build(api_url)?))
    };
    let (workflow, plan) = super::dynamic(&project, &plans)?;
    let paths = Paths::from_env();
    let state = checked_state(&paths, workflow, plan, provider)?;
    if provider == Provider::Github {
        return super::continue_github::run(plan, &state, api_url);
    }
    let force = skip_cache();
    let carry = Carry {
        hashes: &state.hashes,
        values: &state.values,
    };
    let result = continuation::build(
        &project,
        workflow,
        plan,
        &carry,
        &paths,
        force,
        &Ref::from_env(),
    )?;
    let skipped: String = result
        .shape
        .pruned
        .skipped
        .iter()
        .map(|id| format!("{id}\n"))
        .collect();
    write_atomic(&paths.skip_list(&workflow.name), skipped.as_bytes())?;
    write_atomic(&paths.continuation(), result.config.as_bytes())?;
    let parameters = serde_json::Map::new();
    let declared: Vec<String> = project.settings.parameters.keys().cloned().collect();
    continuation::validate(&result.config, &declared, &parameters)?;
    crate::out!("{}", table(plan, &state, &result, force));

    let Some((key, client)) = sender else {
        let body = body_json(&Secret::new("<redacted>"), &result.config, &parameters);
        write_atomic(&paths.request(), body.as_bytes())?;
        crate::outln!(
            "dry run: request body written to {} (key redacted); nothing sent",
            paths.request().display()
        );
        return Ok(());
    };
    let outcome = client
        .continue_pipeline(&key, &result.config, &parameters)
        .map_err(|source| Error::Api {
            doing: Some("continuation failed"),
            source,
        })?;
    crate::outln!("{outcome}");
    Ok(())
}

/// `CIGEN_SKIP_CACHE` is `true` (or `1`): run everything.
pub(super) fn skip_cache() -> bool {
    std::env::var(SKIP_CACHE_ENV).is_ok_and(|v| v == "true" || v == "1")
}

/// The state `cigen setup --provider P` left for this workflow, refused
/// when another provider's setup wrote it or it names other variants or
/// pipeline values than this checkout hashes.
fn checked_state(
    paths: &Paths,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    provider: Provider,
) -> Result<State> {
    let state = State::read(&paths.state())?.for_provider(provider, &paths.state())?;
    let expected: BTreeSet<&str> = plan
        .variants()
        .filter(|n| matches!(n.kind, NodeKind::Variant { hashed: true, .. }))
        .map(|n| n.id.as_str())
        .collect();
    state.check(
        &paths.state(),
        &workflow.name,
        &expected,
        &plan.hash_pipeline_values(workflow),
    )?;
    Ok(state)
}

/// The first 12 hex digits of a variant's hash, or `-` when it has none.
pub(super) fn short_hash(state: &State, variant: &str) -> String {
    state
        .hashes
        .get(variant)
        .map(|h| h[..12.min(h.len())].to_string())
        .unwrap_or_else(|| "-".into())
}

/// Whether a variant runs, and why; a job left to run that is not certain
/// to run here says so (cigen never decides it from filters).
fn decide(id: &str, hash: &str, result: &Continuation, force: bool) -> (&'static str, String) {
    let shape = &result.shape;
    if shape.pruned.skipped.iter().any(|s| s == id) {
        let what = if shape.pruned.stand_ins.contains(id) {
            "no-op stand-in"
        } else {
            "removed"
        };
        return ("skip", format!("inputs already passed: {what}"));
    }
    let why = if let Some((_, reason)) = shape.pruned.unskipped.iter().find(|(v, _)| v == id) {
        format!("un-skipped: {reason}")
    } else if hash == "-" {
        "not hashed (no source_files)".to_string()
    } else if force {
        "cigen_skip_cache is set".to_string()
    } else {
        "no record of these inputs passing".to_string()
    };
    if shape.certainty.certain.contains(id) {
        ("run", why)
    } else {
        ("run", format!("{why}; may not run here (filters)"))
    }
}

fn table(plan: &WorkflowPlan, state: &State, result: &Continuation, force: bool) -> String {
    let pruned = &result.shape.pruned;
    let mut rows: Vec<(String, &str, String, String)> = vec![];
    for node in &plan.nodes {
        match &node.kind {
            NodeKind::Variant { .. } => {
                let hash = short_hash(state, &node.id);
                let (decision, why) = decide(&node.id, &hash, result, force);
                rows.push((node.id.clone(), decision, hash, why));
            }
            // A record job goes and stays with its variant (see `plan::prune`).
            NodeKind::Record { of } => {
                let decision = if pruned.plan.node(&node.id).is_some() {
                    "run"
                } else {
                    "skip"
                };
                let why = format!("records {of}'s success");
                rows.push((node.id.clone(), decision, short_hash(state, of), why));
            }
            NodeKind::Check => {
                let why = "required check (no-op): requires every job not behind an approval";
                rows.push((node.id.clone(), "run", "-".into(), why.into()));
            }
            NodeKind::Approval {
                gate_of: Some(job), ..
            } if pruned.stand_ins.contains(&node.id) => {
                let why = format!("gate of skipped {job}: no-op stand-in, nothing waits for it");
                rows.push((node.id.clone(), "skip", "-".into(), why));
            }
            NodeKind::Approval { .. } | NodeKind::Shim { .. } | NodeKind::Summary { .. } => {}
        }
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(3).max(3);
    let mut out = format!("{:width$}  {:4}  {:12}  WHY\n", "JOB", "RUN?", "HASH");
    for (id, decision, hash, why) in rows {
        out.push_str(&format!("{id:width$}  {decision:4}  {hash:12}  {why}\n"));
    }
    for id in &pruned.dropped {
        out.push_str(&format!(
            "{id:width$}  {:4}  {:12}  dropped: nothing left needs this approval\n",
            "drop", "-"
        ));
    }
    let running = pruned.running().count();
    let skipped = pruned.skipped.len();
    let how = if pruned.stand_ins.is_empty() {
        "removed"
    } else {
        "no-op stand-ins"
    };
    if skipped > 0 {
        out.push_str(&format!("{running} to run, {skipped} skipped ({how})\n"));
    } else {
        out.push_str(&format!("{running} to run, 0 skipped\n"));
    }
    out.push_str(&summary_line(result, running));
    out
}

/// The closing line: why the skip-summary job was added, if it was.
fn summary_line(result: &Continuation, running: usize) -> String {
    let Some(reason) = result.shape.summary else {
        return String::new();
    };
    let name = result
        .shape
        .pruned
        .plan
        .nodes
        .iter()
        .find(|n| matches!(n.kind, NodeKind::Summary { .. }))
        .map_or("the skip-summary job", |n| n.id.as_str());
    let why = match reason {
        SummaryReason::Tag => "a tag pipeline: no job is certain to run on a tag".to_string(),
        SummaryReason::NothingCertain
            if running == 0 && result.shape.pruned.stand_ins.is_empty() =>
        {
            "every job's inputs already passed and every job was removed".to_string()
        }
        SummaryReason::NothingCertain => "no job left is certain to run here (filters)".to_string(),
        SummaryReason::CheckUncertain => {
            "none of the required check's requirements is certain to run here (filters)".to_string()
        }
    };
    format!("{why}: added {name}\n")
}
