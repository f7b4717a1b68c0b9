//! One file per subcommand: each turns parsed flags into calls down the
//! pipeline (config → model → plan → emit) and prints the result.

pub mod api;
pub mod approve;
pub mod continue_;
pub mod generate;
pub mod hash;
pub mod plan;
pub mod setup;

use std::path::Path;

use crate::error::Result;
use crate::model::Project;
use crate::plan::WorkflowPlan;

/// Loads, validates and plans the configuration; prints warnings to stderr.
pub fn load(config: Option<&Path>) -> Result<(Project, Vec<WorkflowPlan>)> {
    let path = crate::config::locate(config)?;
    let loaded = crate::config::load(&path)?;
    let project = crate::model::build(&loaded)?;
    for warning in &project.warnings {
        eprintln!("warning: {warning}");
    }
    let mut warnings = vec![];
    let plans = crate::plan::build(&project, &mut warnings)?;
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    Ok((project, plans))
}

/// The dynamic workflow and its plan.
pub fn dynamic<'a>(
    project: &'a Project,
    plans: &'a [WorkflowPlan],
) -> Result<(&'a crate::model::Workflow, &'a WorkflowPlan)> {
    project
        .workflows
        .iter()
        .zip(plans)
        .find(|(workflow, _)| workflow.trigger.is_none())
        .ok_or_else(|| {
            crate::error::Error::Usage(format!(
                "no dynamic workflow `{}` is configured",
                project.settings.dynamic_workflow
            ))
        })
}
