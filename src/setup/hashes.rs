//! The one code path from a plan to job hashes: builds a `HashInput` per
//! hashed variant (the provider's canonical rendered job, expanded source
//! globs, nearest hashed upstream variants, referenced pipeline values) and
//! runs the hash engine. `cigen hash`, `cigen setup` and `cigen continue`
//! all come through here; `generate` checks through `canonical_job` that
//! every hashed job has a canonical form for every configured provider.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_yaml::Value;

use crate::config::{Seg, Source};
use crate::emit;
use crate::error::{ConfigError, Error, Result};
use crate::hash::canonical::{self, CanonicalError};
use crate::hash::{self, HashError, HashInput, HashOptions, HashReport};
use crate::model::{Job, Project, Workflow};
use crate::plan::{NodeKind, WorkflowPlan};
use crate::provider::Provider;
use crate::value::render;

/// Hashes of every hashed variant of the workflow as `provider` renders
/// its jobs, in plan order. `values` holds every pipeline value a hashed
/// job references (`values::from_env`).
pub fn compute(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    values: &BTreeMap<String, String>,
    provider: Provider,
) -> Result<HashReport> {
    let canonical = |job: &Job, arch: &str, variant: &str, covered: &[String]| {
        canonical_job(project, job, arch, variant, covered, provider)
    };
    let mut inputs = vec![];
    // Each unhashed job walked through: its canonical form, once however many hashed jobs walk it.
    let mut unhashed_jobs: HashMap<String, Vec<u8>> = HashMap::new();
    let covered = plan.covered_values(workflow);
    for (id, upstream) in plan.upstreams().iter() {
        let Some((job, arch)) = plan.variant_job(workflow, id) else {
            continue;
        };
        let mut walked = vec![];
        let referenced = covered.get(id).map_or(&[][..], Vec::as_slice);
        for walked_id in &upstream.unhashed {
            if !unhashed_jobs.contains_key(walked_id)
                && let Some((unhashed, unhashed_arch)) = plan.variant_job(workflow, walked_id)
            {
                let document = canonical(unhashed, unhashed_arch, walked_id, &[])?;
                unhashed_jobs.insert(walked_id.clone(), document);
            }
            if let Some(canonical) = unhashed_jobs.get(walked_id) {
                walked.push((walked_id.clone(), canonical.clone()));
            }
        }
        inputs.push(HashInput {
            variant_id: id.to_string(),
            arch: arch.to_string(),
            canonical_job: canonical(job, arch, id, referenced)?,
            patterns: job.source_files.clone(),
            upstream: upstream.hashed.clone(),
            walked,
            values: hash_values(job, referenced, values)?,
        });
    }
    let options = HashOptions {
        salt: project.settings.hash_salt.clone(),
    };
    hash::compute(&project.root, &inputs, &options)
        .map_err(|err| to_error(project, workflow, plan, &err))
}

/// `(name, value)` of each pipeline value `referenced` (by the job, an
/// unhashed job it walks through, or covered by a hashed upstream's hash).
fn hash_values(
    job: &Job,
    referenced: &[String],
    values: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>> {
    referenced
        .iter()
        .map(|name| {
            let value = values.get(name).ok_or_else(|| {
                Error::Internal(format!(
                    "no value of `{name}` (used by job `{}`) was read",
                    job.id
                ))
            })?;
            Ok((name.clone(), value.clone()))
        })
        .collect()
}

/// Field `J` of a variant's hash: the canonical JSON of its job document as
/// `provider` renders it. A value with no canonical form is a config error
/// naming the job's file. `covered` are the pipeline values the variant's
/// hash covers (`WorkflowPlan::covered_values`; empty for an unhashed
/// job): CircleCI's document holds the record step that checks them.
///
/// CircleCI's document is unchanged from before there were providers (no
/// provider field), so existing CircleCI markers stay valid; GitHub's is
/// `{"provider": "github", "job": <GitHub job body>}` — a different
/// document, so the two never share a hash. The GitHub body is
/// `emit::github::job::render`: everything the job runs (runner,
/// container, env, matrix, translated steps with commands inlined, the
/// `github:` map), none of the per-run wiring (`needs`, `if`, the hash
/// env, the record steps), so the hash does not depend on itself.
pub(crate) fn canonical_job(
    project: &Project,
    job: &Job,
    arch: &str,
    variant: &str,
    covered: &[String],
    provider: Provider,
) -> Result<Vec<u8>> {
    match provider {
        Provider::Circleci => {
            let document = emit::job::canonical_document(project, job, arch, covered);
            canonical::to_json(&document).map_err(|err| canonical_error(project, job, &err))
        }
        Provider::Github => {
            let body = emit::github::job::render(project, job, arch, variant)?;
            let mut document = serde_yaml::Mapping::new();
            document.insert("provider".into(), Provider::Github.name().into());
            document.insert("job".into(), Value::Mapping(body));
            canonical::to_json(&Value::Mapping(document))
                .map_err(|err| github_canonical_error(job, &err))
        }
    }
}

/// A value of the GitHub job with no canonical form: the job's file and
/// line, the path in the rendered GitHub job.
fn github_canonical_error(job: &Job, err: &CanonicalError) -> Error {
    let path = match err.path.split_first() {
        Some((Seg::Key(doc), rest)) if doc == "job" => rest.to_vec(),
        _ => err.path.clone(),
    };
    ConfigError::new(
        &job.file,
        format!("(GitHub job) {}", render(&path)),
        err.message.clone(),
    )
    .line(job.line)
    .into()
}

/// Checks that every job a hash of the dynamic workflow covers (hashed
/// jobs, and the unhashed jobs they walk through) has a canonical form for
/// every configured provider, so `generate` refuses what `setup` would refuse.
pub(crate) fn check_canonical(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
) -> Result<()> {
    for provider in &project.settings.providers {
        // The arch adds only strings: one variant per job tells for all.
        let mut checked = BTreeSet::new();
        let covered = plan.covered_values(workflow);
        for id in &plan.hash_covered() {
            if let Some((job, arch)) = plan.variant_job(workflow, id)
                && checked.insert(&job.id)
            {
                let values = covered.get(id).map_or(&[][..], Vec::as_slice);
                canonical_job(project, job, arch, id, values, *provider)?;
            }
        }
    }
    Ok(())
}

/// The key file bytes for a variant: `<job>-<arch>-<hash>`, exactly what its record step writes.
pub(crate) fn job_key(plan: &WorkflowPlan, variant: &str, hash: &str) -> Option<String> {
    match &plan.node(variant)?.kind {
        NodeKind::Variant { job, arch, .. } => Some(format!("{job}-{arch}-{hash}")),
        _ => None,
    }
}

/// A fault in the rendered job (`job.steps[1].when.condition`, counting
/// the `checkout` cigen adds) is shown as written: the same value refused
/// again in the job's own file gives the user's path (`steps[0].when.condition`)
/// and its exact line. A fault elsewhere (`commands.<name>…`, a command the
/// job uses) keeps the document's path and the job's line.
fn canonical_error(project: &Project, job: &Job, err: &CanonicalError) -> Error {
    let (path, line) = written_fault(project, job, &err.path).unwrap_or_else(|| {
        let path = match err.path.split_first() {
            Some((Seg::Key(doc), rest)) if doc == "job" => rest.to_vec(),
            _ => err.path.clone(),
        };
        (path, job.line)
    });
    ConfigError::new(&job.file, render(&path), err.message.clone())
        .line(line)
        .into()
}

/// The fault at `path` of the rendered document found again in the job's
/// file: its path from the job (the rendered job's `docker` list is the
/// user's `services` when the job names its `image`) and its line.
fn written_fault(project: &Project, job: &Job, path: &[Seg]) -> Option<(Vec<Seg>, Option<usize>)> {
    let [Seg::Key(doc), Seg::Key(top), ..] = path else {
        return None;
    };
    if doc != "job" {
        return None;
    }
    let written = job.written_in(&project.root)?;
    let top = match top.as_str() {
        "docker" if written.value.get("docker").is_none() => "services",
        top => top,
    };
    let fault = canonical::to_json(written.value.get(top)?).err()?;
    let mut found = vec![Seg::from(top)];
    found.extend(fault.path);
    let line = written.line_at(&found);
    Some((found, line))
}

fn to_error(project: &Project, workflow: &Workflow, plan: &WorkflowPlan, err: &HashError) -> Error {
    let job_of = |variant: &str| {
        plan.node(variant).and_then(|node| match &node.kind {
            NodeKind::Variant { job, .. } => workflow.job(job),
            _ => None,
        })
    };
    match err {
        HashError::NoMatch { variant, pattern }
        | HashError::BadPattern {
            variant, pattern, ..
        } => {
            let Some(job) = job_of(variant) else {
                return Error::Hash(err.clone());
            };
            let line = job.line.or_else(|| {
                let text = std::fs::read_to_string(project.root.join(&job.file)).ok()?;
                let source = Source::inline(job.file.clone(), text);
                source
                    .line_of(&["source_files"], Some(pattern))
                    .or(source.line_of(&["source_files"], None))
            });
            ConfigError::new(&job.file, format!("source_files: {pattern}"), err.to_string())
                .line(line)
                .hint(Some("fix the pattern (or its group); a pattern matching nothing would hide the job's real inputs".into()))
                .into()
        }
        _ => Error::Hash(err.clone()),
    }
}
