//! GitHub Actions output: one `.github/workflows/<workflow>.yml` per cigen
//! workflow, over the same model and plan as CircleCI's. Pure: model and
//! plan in, text out. `steps` translates a job's steps; `graph` wires the
//! jobs (`needs`, `if:` from `conditions`); `setup_job` writes `on:` and
//! `cigen_setup`; `record` the marker steps and record jobs; `required`
//! the required check. This module assembles the files.
//!
//! The dynamic workflow starts with `cigen_setup`; an immediate workflow
//! (`trigger:` a boolean parameter) gets its own file, started by hand
//! (`workflow_dispatch` with that input) or by the workflow's `github.on`,
//! with no `cigen_setup` and nothing hashed.
//!
//! A user job's body (runs-on, container, env, matrix, steps, `github:`)
//! is `job::render`'s; this module adds the per-run wiring on top.

mod conditions;
mod filters;
mod graph;
pub(crate) mod job;
pub(crate) mod limits;
mod record;
mod required;
mod setup_job;
mod steps;
#[cfg(test)]
mod test_support;
pub(crate) mod values;

use std::collections::HashMap;

use serde_yaml::{Mapping, Value};

use super::{HEADER, yaml};
use crate::error::{ConfigError, Error, Result};
use crate::model::{Job, Project, Workflow};
use crate::plan::hash_env::hash_env;
use crate::plan::{NodeKind, WorkflowPlan};
use crate::value::mapping;
use conditions::SETUP;
use graph::{Role, Wired};

/// Where GitHub reads workflows, relative to the repository root.
pub(crate) const WORKFLOWS_DIR: &str = ".github/workflows";

/// One rendered workflow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File {
    /// Relative to the project root, e.g. `.github/workflows/main.yml`.
    pub path: String,
    pub text: String,
}

/// Every cigen workflow's file, in the order the workflows are declared.
pub(crate) fn render(project: &Project, plans: &[WorkflowPlan]) -> Result<Vec<File>> {
    project
        .workflows
        .iter()
        .zip(plans)
        .map(|(workflow, plan)| {
            Ok(File {
                path: format!("{WORKFLOWS_DIR}/{}.yml", workflow.name),
                text: render_workflow(project, workflow, plan)?,
            })
        })
        .collect()
}

fn render_workflow(project: &Project, workflow: &Workflow, plan: &WorkflowPlan) -> Result<String> {
    let (on, jobs) = match &workflow.trigger {
        None => dynamic(project, workflow, plan)?,
        Some(parameter) => immediate(project, workflow, plan, parameter)?,
    };
    let mut doc = Mapping::new();
    doc.insert("name".into(), workflow.name.clone().into());
    doc.insert("on".into(), on);
    doc.insert("jobs".into(), Value::Mapping(jobs));
    let body = yaml::to_string(&Value::Mapping(doc)).map_err(|err| {
        Error::Internal(format!(
            "the YAML writer and serde_yaml both failed to write a workflow: {err}"
        ))
    })?;
    Ok(format!("{HEADER}{body}"))
}

/// The dynamic workflow: `on` and `cigen_setup`, then the wired jobs.
fn dynamic(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
) -> Result<(Value, Mapping)> {
    let mut jobs = Mapping::new();
    jobs.insert(
        SETUP.into(),
        setup_job::job(project, workflow, plan, full_run_on(workflow))?,
    );
    let filters = wired_jobs(&mut jobs, project, workflow, plan, None)?;
    let mut on = setup_job::on(
        github_on(workflow),
        &["push", "pull_request"],
        setup_job::inputs(project),
    );
    if github_on(workflow).is_none() && !filters.tags {
        // No job filters on tags: on CircleCI a tag runs nothing, so a tag
        // push does not start the workflow (`branches` alone leaves tags
        // out: https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#onpushbranchestagsbranches-ignoretags-ignore).
        on["push"] = mapping(&[("branches", Value::Sequence(vec!["**".into()]))]);
    }
    Ok((on, jobs))
}

/// An immediate workflow: started by hand with its boolean input (default
/// false) or by its `github.on`; each job runs when the input is true or
/// the run was not dispatched by hand.
fn immediate(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    parameter: &str,
) -> Result<(Value, Mapping)> {
    let clause = format!("(inputs.{parameter} || github.event_name != 'workflow_dispatch')");
    let mut jobs = Mapping::new();
    wired_jobs(&mut jobs, project, workflow, plan, Some(&clause))?;
    let mut inputs = setup_job::inputs(project);
    inputs.remove(crate::circleci::SKIP_CACHE_PARAMETER);
    if let Some(Value::Mapping(input)) = inputs.get_mut(parameter) {
        input.insert("default".into(), false.into());
    }
    let on = setup_job::on(github_on(workflow), &[], inputs);
    Ok((on, jobs))
}

/// Adds the wired jobs of `plan` to `jobs`; `clause` (an immediate
/// workflow's input check) marks a workflow without `cigen_setup`.
/// Returns the filters the conditions carry.
fn wired_jobs(
    jobs: &mut Mapping,
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    clause: Option<&str>,
) -> Result<filters::Filters> {
    let filters = filters::Filters::of(workflow, plan, github_on(workflow).is_some())?;
    let wired = graph::wire(workflow, plan, clause.is_none(), clause, &filters)?;
    check_case_collisions(&wired)?;
    let scope = Scope {
        project,
        plan,
        filters: &filters,
    };
    add_jobs(jobs, &scope, &wired)?;
    Ok(filters)
}

/// Refuses two job ids that differ only in case: GitHub reads job ids and
/// output names case-insensitively
/// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_id
/// — actionlint reports such keys as duplicates).
fn check_case_collisions(wired: &[Wired]) -> Result<()> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for w in wired {
        let Some(other) = seen.insert(w.id.to_ascii_lowercase(), w.id) else {
            continue;
        };
        let message = format!(
            "job ids `{other}` and `{}` differ only in case, which GitHub Actions reads as the same job",
            w.id
        );
        let error = match w.role {
            Role::Variant { job, .. } => {
                ConfigError::new(&job.file, "(job name)", message).line(job.line)
            }
            _ => ConfigError::new(WORKFLOWS_DIR, "jobs", message),
        };
        return Err(error.hint(Some("rename one of the jobs".into())).into());
    }
    Ok(())
}

/// What the jobs of one workflow are rendered from.
#[derive(Clone, Copy)]
struct Scope<'a> {
    project: &'a Project,
    plan: &'a WorkflowPlan,
    filters: &'a filters::Filters,
}

fn add_jobs(jobs: &mut Mapping, scope: &Scope, wired: &[Wired]) -> Result<()> {
    for w in wired {
        let job = match w.role {
            Role::Variant {
                job,
                arch,
                hashed,
                records,
            } => variant(scope, w, job, arch, (hashed, records))?,
            Role::Approval => approval(w),
            Role::Record { of } => record::job(of, &w.needs, &w.condition),
            Role::Check => required::job(&w.needs, &w.condition, scope.filters),
        };
        jobs.insert(w.id.into(), job);
    }
    Ok(())
}

/// A user job variant: `needs` and `if`, its body, the hash variables and
/// (hashed, not parallel) the record steps.
/// `(hashed, records)`: the variant is hashed; it ends with the record steps.
fn variant(
    scope: &Scope,
    w: &Wired,
    job: &Job,
    arch: &str,
    (hashed, records): (bool, bool),
) -> Result<Value> {
    let mut out = wiring(w);
    let mut body = job::render(scope.project, job, arch, w.id)?;
    if hashed {
        let env = hash_variables(scope.plan, w.id);
        let slot = body
            .entry("env".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Value::Mapping(existing) = slot {
            existing.extend(env);
        }
    }
    if records && let Some(Value::Sequence(steps)) = body.get_mut("steps") {
        steps.extend(record::steps(w.id));
    }
    out.extend(body);
    Ok(Value::Mapping(out))
}

/// `CIGEN_JOB_HASH` and `CIGEN_HASH_<u>` of each hashed variant `id`
/// requires directly (`plan::hash_env`), sorted.
fn hash_variables(plan: &WorkflowPlan, id: &str) -> Mapping {
    let mut env = Mapping::new();
    env.insert("CIGEN_JOB_HASH".into(), record::job_hash(id).into());
    let mut upstream: Vec<&str> = plan
        .node(id)
        .map(|node| {
            node.requires
                .iter()
                .map(|edge| edge.target.as_str())
                .filter(|target| {
                    plan.node(target)
                        .is_some_and(|n| matches!(n.kind, NodeKind::Variant { hashed: true, .. }))
                })
                .collect()
        })
        .unwrap_or_default();
    upstream.sort_unstable();
    upstream.dedup();
    for variant in upstream {
        env.insert(hash_env(variant).into(), record::job_hash(variant).into());
    }
    env
}

/// An approval: a job waiting on its environment (`environment: <id>`),
/// whose required reviewers are the people who may approve.
fn approval(w: &Wired) -> Value {
    let mut out = wiring(w);
    out.insert("runs-on".into(), setup_job::RUNNER.into());
    out.insert("environment".into(), w.id.into());
    let step = mapping(&[
        ("name", "approved".into()),
        ("run", format!("echo \"{} approved\"", w.id).into()),
    ]);
    out.insert("steps".into(), Value::Sequence(vec![step]));
    Value::Mapping(out)
}

/// `needs` (when any) and `if` of a wired job.
fn wiring(w: &Wired) -> Mapping {
    let mut out = Mapping::new();
    if !w.needs.is_empty() {
        out.insert("needs".into(), record::needs_value(&w.needs));
    }
    out.insert("if".into(), w.condition.render().into());
    out
}

/// The workflow's `github.on`: replaces the default events.
fn github_on(workflow: &Workflow) -> Option<&Mapping> {
    workflow.github.on.as_ref()
}

/// The workflow's `github.full_run_on`: events whose runs skip nothing.
fn full_run_on(workflow: &Workflow) -> &[String] {
    &workflow.github.full_run_on
}
