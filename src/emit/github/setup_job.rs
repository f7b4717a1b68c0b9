//! The dynamic workflow's triggers (`on:`) and its first job,
//! `cigen_setup`: checkout, install cigen (the repository's own action),
//! `cigen setup --provider github` with the pipeline values the hashes
//! cover, then `cigen continue --provider github` (step `continue`), whose
//! `run_<v>`/`hash_<v>` outputs become the job's outputs for every hashed
//! variant. Input: the model and plan; output: mappings. Pure.

use serde_yaml::{Mapping, Value};

use crate::error::Result;
use crate::model::refs::env_name;
use crate::model::{Project, Workflow};
use crate::plan::{NodeKind, WorkflowPlan};
use crate::value::mapping;

/// The runner of cigen's own jobs (setup, approvals, records, check).
pub(super) const RUNNER: &str = "ubuntu-24.04";

/// The action that installs cigen: this repository, at this version.
const ACTION: &str = concat!("DocSpring/cigen@v", env!("CARGO_PKG_VERSION"));

/// `on:`: the `defaults` events unless the workflow's `github.on`
/// replaces them, always with `workflow_dispatch` and its `inputs`
/// (merged into a `workflow_dispatch` the user wrote).
pub(super) fn on(user_on: Option<&Mapping>, defaults: &[&str], inputs: Mapping) -> Value {
    let mut on = match user_on {
        Some(map) => map.clone(),
        None => defaults
            .iter()
            .map(|event| (Value::from(*event), Value::Mapping(Mapping::new())))
            .collect(),
    };
    let slot = on
        .entry("workflow_dispatch".into())
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if !slot.is_mapping() {
        *slot = Value::Mapping(Mapping::new());
    }
    if let Value::Mapping(dispatch) = slot {
        let existing = dispatch
            .entry("inputs".into())
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Value::Mapping(existing) = existing {
            existing.extend(inputs);
        }
    }
    Value::Mapping(on)
}

/// One `workflow_dispatch` input per pipeline parameter (with
/// `cigen_skip_cache`, which the model declares), typed as GitHub's:
/// boolean, number, string, or choice for an enum.
pub(super) fn inputs(project: &Project) -> Mapping {
    project
        .settings
        .parameters
        .iter()
        .map(|(name, definition)| (Value::from(name.clone()), input(name, definition)))
        .collect()
}

fn input(name: &str, definition: &Value) -> Value {
    let kind = match definition.get("type").and_then(Value::as_str) {
        Some("boolean") => "boolean",
        Some("integer") => "number",
        Some("enum") => "choice",
        _ => "string",
    };
    let mut input = Mapping::new();
    let description = definition
        .get("description")
        .and_then(Value::as_str)
        .map_or_else(|| format!("pipeline parameter `{name}`"), str::to_string);
    input.insert("description".into(), description.into());
    input.insert("type".into(), kind.into());
    if let Some(options) = definition.get("enum") {
        input.insert("options".into(), options.clone());
    }
    if let Some(default) = definition.get("default") {
        input.insert("default".into(), default.clone());
    }
    Value::Mapping(input)
}

/// The `cigen_setup` job of `workflow`; `full_run_on`: events whose runs
/// skip nothing.
pub(super) fn job(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    full_run_on: &[String],
) -> Result<Value> {
    let mut setup_command = "cigen setup --provider github".to_string();
    if project.settings.setup.self_check {
        setup_command.push_str(" --self-check");
    }
    let mut setup = Mapping::new();
    setup.insert("name".into(), "cigen setup".into());
    setup.insert("run".into(), setup_command.into());
    let values = values_env(project, workflow, plan)?;
    if !values.is_empty() {
        setup.insert("env".into(), Value::Mapping(values));
    }
    let continue_ = mapping(&[
        ("name", "cigen continue".into()),
        ("id", "continue".into()),
        ("run", "cigen continue --provider github".into()),
        (
            "env",
            mapping(&[
                ("GITHUB_TOKEN", "${{ github.token }}".into()),
                ("CIGEN_SKIP_CACHE", skip_cache(full_run_on).into()),
            ]),
        ),
    ]);
    let steps = vec![
        mapping(&[("uses", "actions/checkout@v4".into())]),
        mapping(&[("uses", ACTION.into())]),
        Value::Mapping(setup),
        continue_,
    ];
    let mut job = Mapping::new();
    job.insert("runs-on".into(), RUNNER.into());
    job.insert(
        "permissions".into(),
        mapping(&[("actions", "read".into()), ("contents", "read".into())]),
    );
    let outputs = outputs(plan);
    if !outputs.is_empty() {
        job.insert("outputs".into(), Value::Mapping(outputs));
    }
    job.insert("steps".into(), Value::Sequence(steps));
    Ok(Value::Mapping(job))
}

/// `CIGEN_SKIP_CACHE`: the dispatch input, or an event of `full_run_on`.
pub(super) fn skip_cache(full_run_on: &[String]) -> String {
    let mut any = vec!["inputs.cigen_skip_cache".to_string()];
    if full_run_on.is_empty() {
        any.push("false".into());
    }
    any.extend(
        full_run_on
            .iter()
            .map(|event| format!("github.event_name == '{}'", event.replace('\'', "''"))),
    );
    format!("${{{{ {} }}}}", any.join(" || "))
}

/// `run_<v>` and `hash_<v>` of the `continue` step for every hashed variant.
fn outputs(plan: &WorkflowPlan) -> Mapping {
    let mut outputs = Mapping::new();
    for node in plan.variants() {
        if matches!(node.kind, NodeKind::Variant { hashed: true, .. }) {
            for output in ["run", "hash"] {
                let name = format!("{output}_{}", node.id);
                let value = format!("${{{{ steps.continue.outputs.{name} }}}}");
                outputs.insert(name.into(), value.into());
            }
        }
    }
    outputs
}

/// `CIGEN_PARAM_<P>`/`CIGEN_PIPELINE_<name>` of each pipeline value the
/// hashes cover, as GitHub expressions.
fn values_env(project: &Project, workflow: &Workflow, plan: &WorkflowPlan) -> Result<Mapping> {
    let mut env = Mapping::new();
    for name in plan.hash_pipeline_values(workflow) {
        env.insert(
            env_name(&name).into(),
            super::values::expression(project, &name)?.into(),
        );
    }
    Ok(env)
}
