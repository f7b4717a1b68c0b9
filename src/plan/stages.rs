//! Stage `requires` as node ids. Requiring a stage means requiring every
//! variant of its jobs; requiring a stage with no jobs means requiring its
//! approval (which `model` keeps only when something waits for it) or,
//! without one, what it requires in turn — so an empty stage never breaks
//! the ordering around it. Input: a workflow and its variants per stage.
//! Output: node ids and the approval nodes of stages. Raises only the
//! cycle error of stages with no jobs requiring each other.

use std::collections::{BTreeSet, HashMap};

use super::{Edge, Node, NodeKind};
use crate::error::{ConfigError, Result};
use crate::model::{Stage, Workflow};

/// `approve_<stage>`, requiring what the stage requires.
pub(super) fn stage_approval(
    workflow: &Workflow,
    by_stage: &HashMap<&str, Vec<String>>,
    stage: &Stage,
) -> Result<Node> {
    let requires = stage_targets(workflow, by_stage, stage)?;
    Ok(Node {
        id: format!("approve_{}", stage.name),
        kind: NodeKind::Approval {
            gate_of: None,
            by_hand: true,
        },
        stage: Some(stage.name.clone()),
        requires: requires.into_iter().map(Edge::to).collect(),
    })
}

/// The node ids `stage`'s `requires` mean, each once.
pub(super) fn stage_targets(
    workflow: &Workflow,
    by_stage: &HashMap<&str, Vec<String>>,
    stage: &Stage,
) -> Result<Vec<String>> {
    let mut targets = vec![];
    let mut path = vec![stage.name.as_str()];
    expand_stages(workflow, by_stage, &stage.requires, &mut path, &mut targets)?;
    let mut seen = BTreeSet::new();
    targets.retain(|id| seen.insert(id.clone()));
    Ok(targets)
}

fn expand_stages<'a>(
    workflow: &'a Workflow,
    by_stage: &HashMap<&str, Vec<String>>,
    names: &'a [String],
    path: &mut Vec<&'a str>,
    targets: &mut Vec<String>,
) -> Result<()> {
    for name in names {
        let Some(stage) = workflow.stage(name) else {
            continue;
        };
        if !stage.empty {
            targets.extend(by_stage.get(name.as_str()).into_iter().flatten().cloned());
        } else if stage.approval {
            targets.push(format!("approve_{name}"));
        } else if let Some(at) = path.iter().position(|seen| seen == name) {
            let mut cycle: Vec<&str> = path[at..].to_vec();
            cycle.push(name);
            return Err(ConfigError::new(
                &stage.file,
                "stages",
                format!(
                    "stage cycle: {} (each requires the next)",
                    cycle.join(" -> ")
                ),
            )
            .line(stage.line)
            .into());
        } else {
            path.push(name);
            expand_stages(workflow, by_stage, &stage.requires, path, targets)?;
            path.pop();
        }
    }
    Ok(())
}

/// Jobs come in stage order: the default stage, then the declared ones.
pub(super) fn stage_rank(workflow: &Workflow, stage: Option<&str>) -> usize {
    stage.map_or(0, |name| {
        1 + workflow
            .stages
            .iter()
            .position(|s| s.name == name)
            .unwrap_or(0)
    })
}
