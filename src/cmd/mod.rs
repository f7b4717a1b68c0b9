//! One file per subcommand: each turns parsed flags into calls down the
//! pipeline (config → model → plan → emit) and prints the result. `client`
//! is the API client setup the commands that call an API share;
//! `continue_github` is `continue` for GitHub Actions.

mod approve;
mod client;
mod continue_;
mod continue_github;
mod generate;
mod hash;
mod plan;
mod setup;
mod validate;

use std::path::Path;

use crate::cli::{Cli, Command};
use crate::error::Result;
use crate::model::{Project, Workflow};
use crate::plan::WorkflowPlan;
use crate::provider::{self, Provider};

/// Runs the command `cli` names.
pub fn run(cli: &Cli) -> Result<()> {
    let config = cli.config.as_deref();
    match &cli.command {
        Command::Generate {
            check,
            workflow,
            output,
        } => generate::run(config, *check, workflow.as_deref(), output.as_deref()),
        Command::Validate => validate::run(config),
        Command::Hash {
            job,
            json,
            provider,
        } => hash::run(config, job, *json, *provider),
        Command::Setup {
            self_check,
            commit_on_diff,
            provider,
        } => setup::run(config, *self_check, *commit_on_diff, *provider),
        Command::Continue {
            dry_run,
            api_url,
            provider,
        } => continue_::run(config, *dry_run, api_url.as_deref(), *provider),
        Command::Approve { job, api_url } => approve::run(job, api_url.as_deref()),
        Command::Plan { format, workflow } => plan::run(config, *format, workflow.as_deref()),
    }
}

/// Loads, validates and plans the configuration. Prints no warnings: the
/// commands CI runs (`setup`, `continue`, `hash`) use this, and repeating
/// configuration warnings in every pipeline would be noise.
pub fn load(config: Option<&Path>) -> Result<(Project, Vec<WorkflowPlan>)> {
    let path = crate::config::locate(config)?;
    let loaded = crate::config::load(&path)?;
    let mut project = crate::model::build(&loaded)?;
    let mut warnings = vec![];
    let plans = crate::plan::build(&project, &mut warnings)?;
    // What the unhashed jobs that hashes walk through use: known once planned.
    if let Ok((workflow, plan)) = dynamic(&project, &plans) {
        let walked = plan.walked_by(workflow);
        let mut walked_warnings = vec![];
        crate::model::check_planned(&loaded, &project, workflow, &walked, &mut walked_warnings)?;
        project.warnings.extend(walked_warnings);
        project.warnings.sort();
        project.warnings.dedup();
    }
    project.warnings.extend(warnings);
    Ok((project, plans))
}

/// `load` for the commands run while writing the configuration
/// (`generate`, `validate`, `plan`): also prints its warnings to stderr.
pub(crate) fn load_and_warn(config: Option<&Path>) -> Result<(Project, Vec<WorkflowPlan>)> {
    let (project, plans) = load(config)?;
    for warning in &project.warnings {
        crate::errln!("warning: {warning}");
    }
    Ok((project, plans))
}

/// The provider a runtime command works for (`--provider`, else the default).
pub(crate) fn provider_for(project: &Project, asked: Option<Provider>) -> Result<Provider> {
    provider::resolve(asked, provider::configured(project))
}

/// The dynamic workflow and its plan.
pub fn dynamic<'a>(
    project: &'a Project,
    plans: &'a [WorkflowPlan],
) -> Result<(&'a Workflow, &'a WorkflowPlan)> {
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
pub(crate) fn workflow_named<'a>(
    project: &'a Project,
    plans: &'a [WorkflowPlan],
    name: &str,
) -> Result<(&'a Workflow, &'a WorkflowPlan)> {
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
