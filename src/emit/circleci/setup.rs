//! `config.yml`: the setup entrypoint. At most one of its workflows runs in
//! a pipeline, as CircleCI requires of a setup configuration
//! (<https://circleci.com/docs/guides/orchestrate/dynamic-config/#config-continuation-constraints>):
//! each immediate workflow runs when its parameter is true and no earlier
//! declared one's is (and its own `when` holds); the `setup` workflow runs
//! the setup job — checkout, `cigen setup`, one `restore_cache` probe per
//! hashed variant, `cigen continue` — when no immediate workflow's
//! parameter is set and the dynamic workflow's own `when` holds, so no setup
//! runs to continue a workflow CircleCI would then filter out. The
//! setup job is written inline, or with `setup.use_orb` as an invocation of
//! the orb's `cigen/setup` job with the probes as its `probes` parameter.
//! Either way `cigen setup` gets each pipeline value a hashed job
//! references: inline as one environment variable each, through the orb
//! (where pipeline parameters are out of scope) as the `pipeline_values`
//! parameter, one `NAME=value` line each (`setup::values` reads both).

use serde_yaml::{Mapping, Value};

use super::condition::Condition;
use super::job::{self, CACHE_PREFIX};
use super::workflow;
use crate::circleci::{
    APPROVE_JOB, ORB, ORB_ALIAS, SETUP_JOB, SKIP_CACHE_PARAMETER, setup_image_tag,
};
use crate::error::Result;
use crate::model::refs::env_name;
use crate::model::{Project, Workflow};
use crate::plan::{NodeKind, WorkflowPlan};
use crate::value::mapping;

/// The orb job's default resource class (`orb/src/jobs/setup.yml`).
const ORB_RESOURCE_CLASS: &str = "small";

/// Where `cigen setup` writes each variant's key file (under `/tmp` in CircleCI).
pub(super) fn setup_key_file(variant: &str) -> String {
    format!("/tmp/setup_keys/{variant}/job-key")
}

pub(super) fn render(
    project: &Project,
    immediate: &[(&Workflow, &WorkflowPlan)],
    probes: &[String],
    values: &[String],
) -> Result<String> {
    let use_orb = project.settings.setup.use_orb;
    let mut jobs = Mapping::new();
    if !use_orb {
        jobs.insert(SETUP_JOB.into(), setup_job(project, probes, values));
    }
    let mut commands = vec![];
    let mut workflows = vec![];
    let mut needs_approve = false;
    // Every immediate workflow has a trigger (`emit::render` picks them by it).
    let mut immediate = immediate.to_vec();
    immediate.sort_by_key(|(workflow, _)| workflow.declared);
    let triggers: Vec<&str> = immediate
        .iter()
        .filter_map(|(workflow, _)| workflow.trigger.as_deref())
        .collect();
    for (index, (workflow, plan)) in immediate.iter().enumerate() {
        for node in plan.variants() {
            let NodeKind::Variant { job, arch, .. } = &node.kind else {
                continue;
            };
            let Some(job) = workflow.job(job) else {
                continue;
            };
            jobs.insert(
                node.id.clone().into(),
                Value::Mapping(job::render(project, job, arch, None)),
            );
            commands.extend(job.commands.iter().cloned());
        }
        needs_approve |= plan
            .nodes
            .iter()
            .any(|n| matches!(n.kind, NodeKind::Shim { .. }));
        let when = Condition {
            set: workflow.trigger.as_deref(),
            unset: triggers[..index].to_vec(),
            user: workflow.when.as_ref(),
        };
        let entries = workflow::jobs(project, workflow, plan);
        workflows.push((workflow.name.clone(), workflow_body(&when, entries)));
    }
    if needs_approve {
        jobs.insert(APPROVE_JOB.into(), approve_job(project));
    }
    // The dynamic workflow's `when` sees the same values here: pipeline
    // values are in scope everywhere, and its parameters are declared in
    // both files, trigger values passing on to the continuation
    // (<https://circleci.com/docs/guides/orchestrate/pipeline-variables/#pipeline-parameters-and-dynamic-configuration>).
    let when = Condition {
        set: None,
        unset: triggers,
        user: project.dynamic_workflow().and_then(|w| w.when.as_ref()),
    };
    let setup = workflow_body(&when, vec![setup_invocation(project, probes, values)]);
    workflows.insert(0, ("setup".to_string(), setup));
    if use_orb {
        // The orb is declared in config.yml only: main.yml does not use it.
        let mut project = project.clone();
        let version = &project.settings.setup.orb_version;
        let orb = format!("{ORB}@{version}");
        project.settings.orbs.insert(ORB_ALIAS.to_string(), orb);
        return super::document(&project, true, &commands, jobs, workflows);
    }
    super::document(project, true, &commands, jobs, workflows)
}

/// A workflow: its `when` (if anything is required) and its jobs.
fn workflow_body(when: &Condition, jobs: Vec<Value>) -> Value {
    let mut body = Mapping::new();
    if let Some(when) = when.render() {
        body.insert("when".into(), when);
    }
    body.insert("jobs".into(), Value::Sequence(jobs));
    Value::Mapping(body)
}

/// The setup workflow's one job. CircleCI runs no job on a tag unless its
/// filters name tags; when a job of the dynamic workflow does, the setup job
/// must run on every tag too, or that job could never be continued. It runs
/// on tags only then: a tag pipeline continued with no tag job would be all
/// filtered out, which CircleCI reports as an error.
fn setup_invocation(project: &Project, probes: &[String], values: &[String]) -> Value {
    let setup = &project.settings.setup;
    let mut params = Mapping::new();
    if setup.use_orb {
        params.insert("name".into(), SETUP_JOB.into());
        params.insert("probes".into(), Value::Sequence(probe_steps(probes)));
        params.insert("self_check".into(), setup.self_check.into());
        params.insert("commit_on_diff".into(), setup.commit_on_diff.into());
        params.insert("skip_cache".into(), skip_cache_switch());
        let values = pipeline_values(values);
        if !values.is_empty() {
            let lines: String = values
                .iter()
                .map(|(variable, template)| format!("{variable}={template}\n"))
                .collect();
            params.insert("pipeline_values".into(), lines.into());
        }
        if setup.resource_class != ORB_RESOURCE_CLASS {
            params.insert("resource_class".into(), setup.resource_class.clone().into());
        }
        // Validated in `model::settings`: the image is docspringcom/cigen:<tag>.
        if let Some(tag) = setup_image_tag(&setup.image)
            && tag != setup.orb_version
        {
            params.insert("tag".into(), tag.into());
        }
    }
    if dynamic_runs_on_tags(project) {
        let tags = mapping(&[("only", "/.*/".into())]);
        params.insert("filters".into(), mapping(&[("tags", tags)]));
    }
    let name = if setup.use_orb {
        format!("{ORB_ALIAS}/setup")
    } else {
        SETUP_JOB.to_string()
    };
    if params.is_empty() {
        return Value::from(name);
    }
    mapping(&[(name.as_str(), Value::Mapping(params))])
}

/// Whether a job of the dynamic workflow may run on a tag: it has tag
/// filters, or an expression filter reading `pipeline.git.tag`
/// (https://circleci.com/docs/guides/orchestrate/workflows/#executing-workflows-for-a-git-tag).
fn dynamic_runs_on_tags(project: &Project) -> bool {
    project.dynamic_workflow().is_some_and(|workflow| {
        workflow
            .jobs
            .iter()
            .filter_map(|job| job.filters.as_ref())
            .any(|filters| match filters {
                Value::String(expression) => expression.contains("pipeline.git.tag"),
                map => map.get("tags").is_some(),
            })
    })
}

/// The binary cannot read pipeline parameters: the setup job hands it the
/// skip-cache switch (as `CIGEN_SKIP_CACHE`).
fn skip_cache_switch() -> Value {
    format!("<< pipeline.parameters.{SKIP_CACHE_PARAMETER} >>").into()
}

/// `(variable, template)` of each pipeline value a hash of the dynamic
/// workflow covers (`names`): `CIGEN_PARAM_P` / `<< pipeline.parameters.P >>`.
/// Empty when there is none, so such a `config.yml` does not change at all.
fn pipeline_values(names: &[String]) -> Vec<(String, String)> {
    names
        .iter()
        .map(|name| (env_name(name), format!("<< {name} >>")))
        .collect()
}

/// One `restore_cache` per hashed variant, back to back.
fn probe_steps(probes: &[String]) -> Vec<Value> {
    probes
        .iter()
        .map(|variant| {
            let key = format!(
                "{CACHE_PREFIX}{{{{ checksum \"{}\" }}}}",
                setup_key_file(variant)
            );
            mapping(&[(
                "restore_cache",
                mapping(&[
                    ("name", format!("cigen probe {variant}").into()),
                    ("keys", Value::Sequence(vec![key.into()])),
                ]),
            )])
        })
        .collect()
}

fn setup_job(project: &Project, probes: &[String], values: &[String]) -> Value {
    let setup = &project.settings.setup;
    let mut command = "cigen setup".to_string();
    if setup.self_check {
        command.push_str(" --self-check");
    }
    if setup.commit_on_diff {
        command.push_str(" --commit-on-diff");
    }
    let mut setup_step = mapping(&[("name", "cigen setup".into()), ("command", command.into())]);
    let values = pipeline_values(values);
    if !values.is_empty()
        && let Value::Mapping(step) = &mut setup_step
    {
        let environment: Mapping = values
            .into_iter()
            .map(|(variable, template)| (variable.into(), template.into()))
            .collect();
        step.insert("environment".into(), Value::Mapping(environment));
    }
    let mut steps = vec![Value::from("checkout"), mapping(&[("run", setup_step)])];
    steps.extend(probe_steps(probes));
    let environment = mapping(&[("CIGEN_SKIP_CACHE", skip_cache_switch())]);
    steps.push(mapping(&[(
        "run",
        mapping(&[
            ("name", "cigen continue".into()),
            ("command", "cigen continue".into()),
            ("environment", environment),
        ]),
    )]));
    mapping(&[
        (
            "docker",
            Value::Sequence(vec![mapping(&[("image", setup.image.clone().into())])]),
        ),
        ("resource_class", setup.resource_class.clone().into()),
        ("steps", Value::Sequence(steps)),
    ])
}

/// The one job every OR-dependency shim invokes, with the gate as parameter.
pub(super) fn approve_job(project: &Project) -> Value {
    let setup = &project.settings.setup;
    mapping(&[
        (
            "parameters",
            mapping(&[(
                "job",
                mapping(&[
                    ("type", "string".into()),
                    ("description", "The approval job to approve.".into()),
                ]),
            )]),
        ),
        (
            "docker",
            Value::Sequence(vec![mapping(&[("image", setup.image.clone().into())])]),
        ),
        ("resource_class", setup.resource_class.clone().into()),
        (
            "steps",
            Value::Sequence(vec![run(
                "Approve << parameters.job >>",
                "cigen approve --job << parameters.job >>",
            )]),
        ),
    ])
}

fn run(name: &str, command: &str) -> Value {
    mapping(&[(
        "run",
        mapping(&[("name", name.into()), ("command", command.into())]),
    )])
}
