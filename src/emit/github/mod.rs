//! GitHub Actions output: one `.github/workflows/<workflow>.yml` per cigen
//! workflow, over the same model and plan as CircleCI's. Pure: model and
//! plan in, text out. `steps` translates a job's steps; this module owns
//! the jobs, their `needs` and conditions, and the files.
//!
//! SKELETON: the jobs carry `runs-on`, `needs` and translated steps only.

pub(crate) mod job;
mod steps;
#[cfg(test)]
mod test_support;
pub(crate) mod values;

use serde_yaml::{Mapping, Value};

use super::{HEADER, yaml};
use crate::error::{Error, Result};
use crate::model::{Project, Workflow};
use crate::plan::{NodeKind, WorkflowPlan};

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
    let mut jobs = Mapping::new();
    for node in &plan.nodes {
        let NodeKind::Variant { job, arch, .. } = &node.kind else {
            continue;
        };
        let Some(job) = workflow.job(job) else {
            continue;
        };
        let mut body = job::render(project, workflow, job, arch, &node.id)?;
        let needs: Vec<Value> = node
            .requires
            .iter()
            .map(|edge| Value::from(edge.target.clone()))
            .collect();
        if !needs.is_empty() {
            body.insert("needs".into(), Value::Sequence(needs));
        }
        jobs.insert(node.id.clone().into(), Value::Mapping(body));
    }
    let mut doc = Mapping::new();
    doc.insert("name".into(), workflow.name.clone().into());
    let mut on = Mapping::new();
    on.insert("push".into(), Value::Mapping(Mapping::new()));
    doc.insert("on".into(), Value::Mapping(on));
    doc.insert("jobs".into(), Value::Mapping(jobs));
    let body = yaml::to_string(&Value::Mapping(doc)).map_err(|err| {
        Error::Internal(format!(
            "the YAML writer and serde_yaml both failed to write a workflow: {err}"
        ))
    })?;
    Ok(format!("{HEADER}{body}"))
}
