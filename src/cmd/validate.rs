//! `cigen validate`: every check `cigen generate` makes, through the same
//! code path (`generate::checked`), writing nothing — for pre-commit hooks
//! and editors. Exit 0 valid, 1 I/O failure, 2 invalid configuration.

use std::path::Path;

use crate::error::Result;

pub(super) fn run(config: Option<&Path>) -> Result<()> {
    let checked = super::generate::checked(config)?;
    let workflows = checked.project.workflows.len();
    let jobs: usize = checked.plans.iter().map(|p| p.variants().count()).sum();
    crate::outln!(
        "configuration is valid: {jobs} {} in {workflows} {}",
        if jobs == 1 { "job" } else { "jobs" },
        if workflows == 1 {
            "workflow"
        } else {
            "workflows"
        }
    );
    Ok(())
}
