//! `cigen continue --provider github`: phase 2 in GitHub's `cigen_setup`
//! job. With the state `cigen setup --provider github` left (checked by
//! `continue_`), lists the repository's marker caches (`cigen-job-…`) in
//! one paginated call of the Actions cache API, believes only those on refs
//! this run may restore from, decides which hashed variants skip
//! (`setup::github_skip`), and appends `run_<variant>` and
//! `hash_<variant>` for every hashed variant to `$GITHUB_OUTPUT` in one
//! write (printed instead when it is unset, e.g. run by hand).
//! `CIGEN_SKIP_CACHE=true` lists nothing and skips nothing. Prints what
//! runs, what is skipped and why. `GITHUB_TOKEN` is read here and goes
//! only into the API request: never printed, never written.

use std::io::Write;
use std::path::PathBuf;

use crate::api::CacheListing;
use crate::error::{Error, Result};
use crate::plan::{NodeKind, WorkflowPlan};
use crate::setup::github_refs::RunRefs;
use crate::setup::github_skip::{self, Decision, MARKER_PREFIX};
use crate::setup::state::State;

/// Where GitHub Actions collects a step's outputs.
const OUTPUT_ENV: &str = "GITHUB_OUTPUT";

pub(super) fn run(plan: &WorkflowPlan, state: &State, api_url: Option<&str>) -> Result<()> {
    let decision = if super::continue_::skip_cache() {
        crate::outln!("CIGEN_SKIP_CACHE is set: no markers listed, every job runs");
        None
    } else {
        Some(list_and_decide(plan, state, api_url)?)
    };
    let outputs = github_skip::outputs(&state.hashes, decision.as_ref());
    crate::out!("{}", table(plan, state, decision.as_ref()));
    write_outputs(&outputs)
}

/// Lists the markers and decides which variants skip.
fn list_and_decide(plan: &WorkflowPlan, state: &State, api_url: Option<&str>) -> Result<Decision> {
    let (refs, warning) = RunRefs::from_env()?;
    if let Some(warning) = warning {
        crate::errln!("warning: {warning}");
    }
    let repository = super::client::required_env("GITHUB_REPOSITORY")?;
    let token_set = std::env::var("GITHUB_TOKEN").is_ok_and(|token| !token.trim().is_empty());
    if !token_set {
        return Err(Error::Usage(
            "`GITHUB_TOKEN` is not set: give the step the job's token (`env: GITHUB_TOKEN: ${{ github.token }}`), or set CIGEN_SKIP_CACHE=true to run every job".into(),
        ));
    }
    let token = super::client::secret("GITHUB_TOKEN")?;
    let client = super::client::build_github(api_url)?;
    let listing = client
        .list_caches(&token, &repository, MARKER_PREFIX)
        .map_err(|source| Error::Api {
            doing: Some("listing the job markers failed"),
            source,
        })?;
    if !listing.complete {
        crate::errln!(
            "warning: the cache listing stopped after {} pages; markers on later pages were not read, so their jobs run",
            listing.pages
        );
    }
    let decision = github_skip::decide(plan, &state.hashes, &listing.entries, &refs);
    crate::outln!("{}", listed(&listing, &refs));
    Ok(decision)
}

/// `markers: 7 listed (2 pages, 3 requests), 5 on refs this run may restore from: refs/pull/7/merge, refs/heads/main`.
fn listed(listing: &CacheListing, refs: &RunRefs) -> String {
    let readable = listing
        .entries
        .iter()
        .filter(|entry| refs.role(&entry.git_ref).is_some())
        .count();
    format!(
        "markers: {} listed ({}, {}), {readable} on refs this run may restore from: {}",
        listing.entries.len(),
        counted(listing.pages, "page"),
        counted(listing.requests, "request"),
        refs.list().join(", ")
    )
}

/// `1 page`, `2 pages`.
fn counted(n: u32, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Appends `outputs` to `$GITHUB_OUTPUT` in one write, so a reader never
/// sees half of them; prints them when the variable is unset.
fn write_outputs(outputs: &str) -> Result<()> {
    let Some(path) = std::env::var_os(OUTPUT_ENV).filter(|p| !p.is_empty()) else {
        crate::outln!("{OUTPUT_ENV} is not set; the job outputs:");
        crate::out!("{outputs}");
        return Ok(());
    };
    let path = PathBuf::from(path);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .map_err(|err| Error::io(&path, err))?;
    file.write_all(outputs.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|err| Error::io(&path, err))
}

/// The same columns as on CircleCI: job, run or skip, hash, why.
fn table(plan: &WorkflowPlan, state: &State, decision: Option<&Decision>) -> String {
    let mut rows: Vec<(&str, &str, String, String)> = vec![];
    for node in &plan.nodes {
        let row = match &node.kind {
            NodeKind::Variant { .. } => {
                let hash = super::continue_::short_hash(state, &node.id);
                let (run, why) = why(&node.id, &hash, decision);
                (node.id.as_str(), run, hash, why)
            }
            NodeKind::Record { of } => {
                let skips = decision.is_some_and(|d| d.skips(of));
                let run = if skips { "skip" } else { "run" };
                let hash = super::continue_::short_hash(state, of);
                (
                    node.id.as_str(),
                    run,
                    hash,
                    format!("records {of}'s success"),
                )
            }
            _ => continue,
        };
        rows.push(row);
    }
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(3).max(3);
    let mut out = format!("{:width$}  {:4}  {:12}  WHY\n", "JOB", "RUN?", "HASH");
    for (id, run, hash, why) in &rows {
        out.push_str(&format!("{id:width$}  {run:4}  {hash:12}  {why}\n"));
    }
    let skipped = decision.map_or(0, |d| d.pruned.skipped.len());
    let running = plan.variants().count() - skipped;
    out.push_str(&format!("{running} to run, {skipped} skipped\n"));
    out
}

/// Whether a variant runs, and why.
fn why(id: &str, hash: &str, decision: Option<&Decision>) -> (&'static str, String) {
    let Some(decision) = decision else {
        let why = if hash == "-" {
            "not hashed (no source_files)"
        } else {
            "cigen_skip_cache is set"
        };
        return ("run", why.to_string());
    };
    if decision.skips(id) {
        let on = decision.passed.get(id).map_or("?", String::as_str);
        return ("skip", format!("inputs already passed (marker on {on})"));
    }
    let why = if let Some((_, reason)) = decision.pruned.unskipped.iter().find(|(v, _)| v == id) {
        format!("un-skipped: {reason}")
    } else if hash == "-" {
        "not hashed (no source_files)".to_string()
    } else {
        "no record of these inputs passing on a ref this run may read".to_string()
    };
    ("run", why)
}
