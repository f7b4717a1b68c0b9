//! CircleCI output: `.circleci/config.yml` (the setup entrypoint with the
//! immediate workflows) and `.circleci/main.yml` (the dynamic workflow), and
//! the continuation config derived from a pruned plan. Pure: model and plan
//! in, text out — no clock, no paths, no environment. Same input, same bytes.
//! `check_references` checks such a document's references once parsed.

mod condition;
pub(crate) mod job;
mod references;
mod setup;
mod workflow;

pub use references::check_references;
pub(crate) use workflow::node_filters;

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use crate::circleci::APPROVE_JOB;
use crate::error::{Error, Result};
use crate::model::{Project, Workflow};
use crate::plan::hash_env::hash_env;
use crate::plan::{NodeKind, WorkflowPlan};
use crate::value::mapping;

use super::yaml;

pub(crate) use super::HEADER;

/// What the continuation bakes into each kept hashed job: its hash, and
/// the pipeline values its hash covers (for the record step's check).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Carry<'a> {
    pub hashes: &'a IndexMap<String, String>,
    pub values: &'a BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    pub config: String,
    pub main: String,
}

pub(crate) fn render(project: &Project, plans: &[WorkflowPlan]) -> Result<Output> {
    let immediate: Vec<(&Workflow, &WorkflowPlan)> = project
        .workflows
        .iter()
        .zip(plans)
        .filter(|(workflow, _)| workflow.trigger.is_some())
        .collect();
    let dynamic = project
        .workflows
        .iter()
        .zip(plans)
        .find(|(w, _)| w.trigger.is_none());
    let probes: Vec<String> = dynamic
        .map(|(_, plan)| {
            plan.variants()
                .filter(|n| matches!(n.kind, NodeKind::Variant { hashed: true, .. }))
                .map(|n| n.id.clone())
                .collect()
        })
        .unwrap_or_default();
    let values = dynamic
        .map(|(workflow, plan)| plan.hash_pipeline_values(workflow))
        .unwrap_or_default();
    let config = setup::render(project, &immediate, &probes, &values)?;
    let main = match dynamic {
        Some((workflow, plan)) => render_main(project, workflow, plan, None)?,
        None => render_empty_main(project)?,
    };
    Ok(Output { config, main })
}

/// What turns `main.yml` into the continuation config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Continued<'a> {
    /// Hashes and values to bake in; `None` for `generate --workflow`.
    pub carry: Option<&'a Carry<'a>>,
    /// Nodes still in the plan as stand-ins: each is declared `type: no-op`.
    pub stand_ins: &'a BTreeSet<String>,
    /// The unpruned plan: what each job requires directly (`CIGEN_HASH_…`).
    pub unpruned: &'a WorkflowPlan,
}

/// `main.yml`, or with `continued` the continuation config: stand-ins
/// (skipped variants, and gates only stand-ins still require) are
/// `type: no-op` jobs; each kept hashed variant, and the record job of a
/// parallel one, carries its `CIGEN_JOB_HASH` and the values its hash
/// covers; every job of the user's that runs gets `CIGEN_HASH_<variant>`
/// for each hashed variant it requires directly.
pub(crate) fn render_main(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    continued: Option<&Continued>,
) -> Result<String> {
    let no_stand_ins = BTreeSet::new();
    let stand_ins = continued.map_or(&no_stand_ins, |c| c.stand_ins);
    let carry = continued.and_then(|c| c.carry);
    // What each hash covers comes from the unpruned plan, as setup hashed it.
    let covered = continued
        .map_or(plan, |c| c.unpruned)
        .covered_values(workflow);
    let mut jobs = Mapping::new();
    let mut commands = vec![];
    for node in &plan.nodes {
        let (variant, record) = match &node.kind {
            NodeKind::Variant { .. } | NodeKind::Approval { .. }
                if stand_ins.contains(&node.id) =>
            {
                jobs.insert(node.id.clone().into(), no_op());
                continue;
            }
            NodeKind::Variant { .. } => (node, false),
            NodeKind::Record { of } => match plan.node(of) {
                Some(variant) => (variant, true),
                None => continue,
            },
            NodeKind::Check => {
                jobs.insert(node.id.clone().into(), no_op());
                continue;
            }
            NodeKind::Summary { text, .. } => {
                jobs.insert(node.id.clone().into(), summary_job(project, text));
                continue;
            }
            NodeKind::Approval { .. } | NodeKind::Shim { .. } => continue,
        };
        let NodeKind::Variant { job, arch, .. } = &variant.kind else {
            continue;
        };
        let Some(job) = workflow.job(job) else {
            continue;
        };
        let values = covered.get(&variant.id).map_or(&[][..], Vec::as_slice);
        let mut body = if record {
            job::render_record(project, job, arch, values)
        } else {
            commands.extend(job.commands.iter().cloned());
            job::render(project, job, arch, Some(values))
        };
        if let Some(carry) = carry {
            let mut env = Mapping::new();
            // A record job records its variant's hash and values: the ones the variant ran with.
            if let Some(hash) = carry.hashes.get(&variant.id) {
                env.insert("CIGEN_JOB_HASH".into(), hash.clone().into());
                carry_values(&mut env, values, carry.values);
            }
            if !record && let Some(continued) = continued {
                upstream_hashes(&mut env, continued.unpruned, &node.id, carry);
            }
            add_environment(&mut body, env);
        }
        jobs.insert(node.id.clone().into(), Value::Mapping(body));
    }
    if plan
        .nodes
        .iter()
        .any(|n| matches!(n.kind, NodeKind::Shim { .. }))
    {
        jobs.insert(APPROVE_JOB.into(), setup::approve_job(project));
    }
    let mut wf = Mapping::new();
    if let Some(when) = &workflow.when {
        wf.insert("when".into(), when.clone());
    }
    wf.insert(
        "jobs".into(),
        Value::Sequence(workflow::continued_jobs(project, workflow, plan, stand_ins)),
    );
    document(
        project,
        false,
        &commands,
        jobs,
        vec![(workflow.name.clone(), Value::Mapping(wf))],
    )
}

/// A job that runs nothing and costs nothing: only `type: no-op`
/// (https://circleci.com/docs/reference/configuration-reference/#job-type).
fn no_op() -> Value {
    mapping(&[("type", "no-op".into())])
}

/// Appends `env` to the body's `environment`, creating it when needed.
fn add_environment(body: &mut Mapping, env: Mapping) {
    if env.is_empty() {
        return;
    }
    let slot = body
        .entry("environment".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Value::Mapping(existing) = slot {
        existing.extend(env);
    }
}

/// `CIGEN_HASH_<v>` for each hashed variant `v` that `id` requires directly
/// in the unpruned plan (a skipped build's dependents still find what it
/// published under its hash), sorted by variant.
fn upstream_hashes(env: &mut Mapping, unpruned: &WorkflowPlan, id: &str, carry: &Carry) {
    let Some(node) = unpruned.node(id) else {
        return;
    };
    let direct: BTreeSet<&str> = node
        .requires
        .iter()
        .map(|edge| edge.target.as_str())
        .filter(|target| {
            unpruned
                .node(target)
                .is_some_and(|n| matches!(n.kind, NodeKind::Variant { hashed: true, .. }))
        })
        .collect();
    for variant in direct {
        if let Some(hash) = carry.hashes.get(variant) {
            env.insert(hash_env(variant).into(), hash.clone().into());
        }
    }
}

/// The hashed values of the pipeline values `names` a variant's hash
/// covers (its job's and those of the unhashed jobs it walks through),
/// under the names `cigen setup` read them from. A value holding `<<` is
/// left out: CircleCI would read it as config templating, and the record
/// step, finding it missing, records nothing rather than trust a value
/// that may have changed on the way.
fn carry_values(env: &mut Mapping, names: &[String], values: &BTreeMap<String, String>) {
    for name in names {
        if let Some(value) = values.get(name).filter(|v| !v.contains("<<")) {
            env.insert(
                crate::model::refs::env_name(name).into(),
                value.clone().into(),
            );
        }
    }
}

/// The skip-summary job: prints `text` on the setup image.
fn summary_job(project: &Project, text: &str) -> Value {
    let setup = &project.settings.setup;
    let command = format!("cat <<'CIGEN_SUMMARY'\n{text}\nCIGEN_SUMMARY\n");
    mapping(&[
        (
            "docker",
            Value::Sequence(vec![mapping(&[("image", setup.image.clone().into())])]),
        ),
        ("resource_class", setup.resource_class.clone().into()),
        (
            "steps",
            Value::Sequence(vec![mapping(&[(
                "run",
                mapping(&[("name", "Skip summary".into()), ("command", command.into())]),
            )])]),
        ),
    ])
}

/// `main.yml` of a configuration without a dynamic workflow: CircleCI
/// errors a pipeline whose workflows are all empty, so one small job says so.
fn render_empty_main(project: &Project) -> Result<String> {
    let setup = &project.settings.setup;
    let mut jobs = Mapping::new();
    let text = setup.all_skipped_message.clone();
    jobs.insert(
        setup.all_skipped_job.clone().into(),
        summary_job(project, &text),
    );
    let invocation = Value::from(setup.all_skipped_job.clone());
    let wf = mapping(&[("jobs", Value::Sequence(vec![invocation]))]);
    let name = project.settings.dynamic_workflow.clone();
    document(project, false, &[], jobs, vec![(name, wf)])
}

/// A whole CircleCI document: header, version, parameters, orbs, the used
/// commands, jobs and workflows, in that fixed order.
fn document(
    project: &Project,
    setup: bool,
    used: &[String],
    jobs: Mapping,
    workflows: Vec<(String, Value)>,
) -> Result<String> {
    let mut doc = Mapping::new();
    doc.insert("version".into(), 2.1.into());
    if setup {
        doc.insert("setup".into(), true.into());
    }
    let parameters: Mapping = project
        .settings
        .parameters
        .iter()
        .map(|(k, v)| (Value::from(k.as_str()), v.clone()))
        .collect();
    doc.insert("parameters".into(), Value::Mapping(parameters));
    if !project.settings.orbs.is_empty() {
        let orbs: Mapping = project
            .settings
            .orbs
            .iter()
            .map(|(k, v)| (Value::from(k.as_str()), Value::from(v.as_str())))
            .collect();
        doc.insert("orbs".into(), Value::Mapping(orbs));
    }
    let mut names: Vec<&String> = used.iter().collect();
    names.sort();
    names.dedup();
    let commands: Mapping = names
        .into_iter()
        .filter_map(|name| {
            project
                .commands
                .get(name)
                .map(|body| (Value::from(name.as_str()), body.clone()))
        })
        .collect();
    if !commands.is_empty() {
        doc.insert("commands".into(), Value::Mapping(commands));
    }
    doc.insert("jobs".into(), Value::Mapping(jobs));
    doc.insert(
        "workflows".into(),
        Value::Mapping(
            workflows
                .into_iter()
                .map(|(k, v)| (Value::from(k), v))
                .collect(),
        ),
    );
    let body = yaml::to_string(&Value::Mapping(doc)).map_err(|err| {
        Error::Internal(format!(
            "the YAML writer and serde_yaml both failed to write a document: {err}"
        ))
    })?;
    Ok(format!("{HEADER}{body}"))
}

#[cfg(test)]
mod tests {
    use serde_yaml::value::{Tag, TaggedValue};
    use serde_yaml::{Mapping, Value};

    use super::document;

    #[test]
    fn a_document_no_writer_can_write_is_an_error_never_an_empty_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cigen.yml");
        std::fs::write(&path, "provider: circleci\n").expect("write");
        let loaded = crate::config::load(&path).expect("loads");
        let project = crate::model::build(&loaded).expect("builds");
        let tagged = |tag: &str, value: Value| {
            Value::Tagged(Box::new(TaggedValue {
                tag: Tag::new(tag),
                value,
            }))
        };
        let mut jobs = Mapping::new();
        jobs.insert("a".into(), tagged("!a", tagged("!b", "x".into())));
        let err = document(&project, false, &[], jobs, vec![]).expect_err("refused");
        assert!(err.to_string().contains("internal"), "{err}");
        assert_eq!(err.exit_code(), 1);
    }
}
