//! Stages declared with no jobs. Requiring one keeps its meaning: the plan
//! expands it to its approval or, without one, to what it requires in turn
//! (`plan::build_workflow`), so a stage after an empty one stays after what
//! came before it. Here: whether an empty `approval: true` stage keeps its
//! approval — only when something waits for it (a job naming
//! `approve_<stage>`, or a stage with jobs or a kept approval requiring it,
//! directly or through other empty stages); an approval nothing waits for
//! would only hold the workflow on hold. And one warning per empty stage,
//! naming file and line. Input: stages and resolved jobs of one workflow.
//! Output: `approval` turned off where it would gate nothing, warnings.
//! Raises no error.

use std::collections::BTreeSet;

use super::{Job, Stage, Target};

pub(super) fn settle(stages: &mut [Stage], jobs: &[Job], warnings: &mut Vec<String>) {
    let awaited = awaited_gates(stages, jobs);
    for stage in stages.iter_mut().filter(|stage| stage.empty) {
        let place = crate::error::place(&stage.file, stage.line);
        let name = &stage.name;
        let gate = format!("approve_{name}");
        let what = if stage.approval && !awaited.contains(name) {
            stage.approval = false;
            format!(
                "has no jobs and nothing requires it: `{gate}` would gate nothing and only hold the workflow, so it is left out"
            )
        } else if stage.approval {
            format!(
                "has no jobs: `{gate}` stays, so what requires the stage still waits for that approval"
            )
        } else if stage.requires.is_empty() {
            "has no jobs and requires nothing: requiring it orders nothing".to_string()
        } else {
            let required: Vec<String> = stage.requires.iter().map(|s| format!("`{s}`")).collect();
            format!(
                "has no jobs: what requires it waits for what it requires instead (stage {})",
                required.join(", ")
            )
        };
        warnings.push(format!("{place}: stage `{name}` {what}"));
    }
}

/// The empty approval stages whose approval something waits for.
fn awaited_gates(stages: &[Stage], jobs: &[Job]) -> BTreeSet<String> {
    let find = |name: &str| stages.iter().find(|stage| stage.name == name);
    let mut awaited = BTreeSet::new();
    let mut queue: Vec<&Stage> = stages.iter().filter(|stage| !stage.empty).collect();
    let named = jobs.iter().flat_map(|job| {
        let requires = job.requires.iter().map(|r| &r.target);
        requires.chain(job.requires_any.iter().map(|t| &t.target))
    });
    for target in named {
        if let Target::StageApproval(name) = target
            && let Some(stage) = find(name).filter(|stage| stage.empty)
            && awaited.insert(name.clone())
        {
            queue.push(stage);
        }
    }
    while let Some(stage) = queue.pop() {
        // Through empty stages without approval to the gates behind them.
        let mut seen = BTreeSet::new();
        let mut walk: Vec<&String> = stage.requires.iter().collect();
        while let Some(name) = walk.pop() {
            let Some(required) = find(name).filter(|s| s.empty) else {
                continue;
            };
            if !seen.insert(name) {
                continue;
            }
            if !required.approval {
                walk.extend(&required.requires);
            } else if awaited.insert(name.clone()) {
                queue.push(required);
            }
        }
    }
    awaited
}
