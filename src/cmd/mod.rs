//! One file per subcommand: each turns parsed flags into calls down the
//! pipeline (config → model → plan → emit) and prints the result.

pub mod api;
pub mod approve;
pub mod generate;
pub mod plan;

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
    let plans = crate::plan::build(&project)?;
    Ok((project, plans))
}
