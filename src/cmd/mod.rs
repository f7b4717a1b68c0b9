//! One file per subcommand: each turns parsed flags into calls down the
//! pipeline (config → model → plan → emit) and prints the result.

pub mod api;
pub mod approve;
pub mod continue_;
pub mod generate;
pub mod hash;
pub mod plan;
pub mod setup;
pub mod validate;

use std::path::Path;

use crate::error::Result;
use crate::model::Project;
use crate::plan::WorkflowPlan;

/// Loads, validates and plans the configuration. Prints no warnings: the
/// commands CI runs (`setup`, `continue`, `hash`) use this, and repeating
/// configuration warnings in every pipeline would be noise.
pub fn load(config: Option<&Path>) -> Result<(Project, Vec<WorkflowPlan>)> {
    let path = crate::config::locate(config)?;
    let loaded = crate::config::load(&path)?;
    let mut project = crate::model::build(&loaded)?;
    let mut warnings = vec![];
    let plans = crate::plan::build(&project, &mut warnings)?;
    project.warnings.extend(warnings);
    Ok((project, plans))
}

/// `load` for the commands run while writing the configuration
/// (`generate`, `validate`, `plan`): also prints its warnings to stderr.
pub fn load_and_warn(config: Option<&Path>) -> Result<(Project, Vec<WorkflowPlan>)> {
    let (project, plans) = load(config)?;
    for warning in &project.warnings {
        crate::errln!("warning: {warning}");
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

/// The workflow `name` and its plan; an unknown name lists the valid ones.
pub fn workflow_named<'a>(
    project: &'a Project,
    plans: &'a [WorkflowPlan],
    name: &str,
) -> Result<(&'a crate::model::Workflow, &'a WorkflowPlan)> {
    if let Some(found) = project
        .workflows
        .iter()
        .zip(plans)
        .find(|(w, _)| w.name == name)
    {
        return Ok(found);
    }
    let names: Vec<&str> = project.workflows.iter().map(|w| w.name.as_str()).collect();
    let listed: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    let mut message = format!(
        "unknown workflow `{name}`: expected one of {}",
        listed.join(", ")
    );
    if let Some(hint) = crate::error::suggest(name, names) {
        message.push_str(&format!("\n  hint: {hint}"));
    }
    Err(crate::error::Error::Usage(message))
}
