//! `config.yml`: the setup entrypoint. The `setup` workflow runs the setup
//! job — checkout, `cigen setup`, one `restore_cache` probe per hashed
//! variant, `cigen continue` — only when no immediate workflow's parameter
//! is set; each immediate workflow runs when its parameter is true.

use serde_yaml::{Mapping, Value};

use super::job::{self, CACHE_PREFIX, mapping};
use super::workflow;
use crate::model::{Project, Workflow};
use crate::plan::{APPROVE_JOB, NodeKind, SETUP_JOB, WorkflowPlan};

/// Where `cigen setup` writes each variant's key file (under `/tmp` in CircleCI).
pub fn setup_key_file(variant: &str) -> String {
    format!("/tmp/setup_keys/{variant}/job-key")
}

pub fn render(
    project: &Project,
    immediate: &[(&Workflow, &WorkflowPlan)],
    probes: &[String],
) -> String {
    let settings = &project.settings;
    let mut jobs = Mapping::new();
    jobs.insert(SETUP_JOB.into(), setup_job(project, probes));
    let mut commands = vec![];
    let mut workflows = vec![];
    let mut needs_approve = false;
    for (workflow, plan) in immediate {
        for node in plan.variants() {
            let NodeKind::Variant { job, arch, .. } = &node.kind else {
                continue;
            };
            let Some(job) = workflow.job(job) else {
                continue;
            };
            jobs.insert(
                node.id.clone().into(),
                Value::Mapping(job::render(project, job, arch, false)),
            );
            commands.extend(job.commands.iter().cloned());
        }
        needs_approve |= plan
            .nodes
            .iter()
            .any(|n| matches!(n.kind, NodeKind::Shim { .. }));
        let parameter = workflow.trigger.clone().unwrap_or_default();
        let gate = Value::from(format!("<< pipeline.parameters.{parameter} >>"));
        let when = match &workflow.when {
            Some(user) => mapping(&[("and", Value::Sequence(vec![gate, user.clone()]))]),
            None => gate,
        };
        let wf = mapping(&[
            ("when", when),
            (
                "jobs",
                Value::Sequence(workflow::jobs(project, workflow, plan)),
            ),
        ]);
        workflows.push((workflow.name.clone(), wf));
    }
    if needs_approve {
        jobs.insert(APPROVE_JOB.into(), approve_job(project));
    }
    let mut setup = Mapping::new();
    let gates: Vec<Value> = immediate
        .iter()
        .filter_map(|(w, _)| w.trigger.as_ref())
        .map(|p| Value::from(format!("<< pipeline.parameters.{p} >>")))
        .collect();
    match gates.len() {
        0 => {}
        1 => {
            setup.insert("when".into(), mapping(&[("not", gates[0].clone())]));
        }
        _ => {
            setup.insert(
                "when".into(),
                mapping(&[("not", mapping(&[("or", Value::Sequence(gates))]))]),
            );
        }
    }
    setup.insert("jobs".into(), Value::Sequence(vec![SETUP_JOB.into()]));
    workflows.insert(0, ("setup".to_string(), Value::Mapping(setup)));
    let _ = settings;
    super::document(project, true, &commands, jobs, workflows)
}

fn setup_job(project: &Project, probes: &[String]) -> Value {
    let setup = &project.settings.setup;
    let mut command = "cigen setup".to_string();
    if setup.self_check {
        command.push_str(" --self-check");
    }
    if setup.commit_on_diff {
        command.push_str(" --commit-on-diff");
    }
    let mut steps = vec![Value::from("checkout"), run("cigen setup", &command)];
    for variant in probes {
        let key = format!(
            "{CACHE_PREFIX}{{{{ checksum \"{}\" }}}}",
            setup_key_file(variant)
        );
        steps.push(mapping(&[(
            "restore_cache",
            mapping(&[
                ("name", format!("cigen probe {variant}").into()),
                ("keys", Value::Sequence(vec![key.into()])),
            ]),
        )]));
    }
    steps.push(run("cigen continue", "cigen continue"));
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
pub fn approve_job(project: &Project) -> Value {
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
