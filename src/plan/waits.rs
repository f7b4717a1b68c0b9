//! OR-triggers that wait for their own job. A `requires_any` trigger of job
//! J opens J's gate through its shim; when the trigger itself (through
//! `requires`, stage requirements included) can only finish after J's gate
//! is approved, it can never be what starts J. A gate that nobody may
//! approve by hand counts as waiting for J when every one of its shims does,
//! so chains through other jobs' gates are found too. Input: a plan (plus
//! the workflow, for file and line). Output: the (job, trigger) pairs with
//! the chain that makes each wait; `check` turns them into warnings, or a
//! configuration error when every trigger of a job waits and nobody may
//! approve it by hand. Iterative, cycle-safe; never changes the plan.

use std::collections::{HashMap, VecDeque};

use super::{Node, NodeKind, WorkflowPlan};
use crate::error::{ConfigError, Result};
use crate::model::{Job, Workflow};

/// A trigger of `job` that cannot finish before `job`'s gate is approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SelfWait {
    /// The job id whose gate the trigger should open.
    pub job: String,
    /// The trigger as the shim id names it (`approve_deploy`, `build_x`).
    pub trigger: String,
    /// The shim `approve_<job>_after_<trigger>`.
    pub shim: String,
    /// From the trigger's node to the first node of the job (a variant, or
    /// its gate), each waiting for the next.
    pub chain: Vec<String>,
}

/// Every trigger of every gated job in `plan` that waits for its own job,
/// in plan order (gates, then their shims); `requires`: each node's
/// requirements as positions (`plan::positions`).
fn self_waits(plan: &WorkflowPlan, requires: &[Vec<usize>]) -> Vec<SelfWait> {
    let graph = Graph::new(plan, requires);
    let mut found = vec![];
    for (gate, node) in plan.nodes.iter().enumerate() {
        let NodeKind::Approval {
            gate_of: Some(job), ..
        } = &node.kind
        else {
            continue;
        };
        let after = graph.after(gate);
        for &shim in &graph.shims[gate] {
            let Some(trigger) = after.parent[shim] else {
                continue;
            };
            found.push(SelfWait {
                job: job.clone(),
                trigger: match &plan.nodes[shim].kind {
                    NodeKind::Shim { trigger, .. } => trigger.clone(),
                    _ => String::new(),
                },
                shim: plan.nodes[shim].id.clone(),
                chain: graph.chain(&after, trigger, gate, job),
            });
        }
    }
    found
}

/// The shim ids of every trigger that waits for its own job (`self_waits`),
/// for a provider that leaves such triggers out (GitHub's `needs` would be
/// cyclic).
pub(crate) fn self_waiting_shims(plan: &WorkflowPlan) -> std::collections::BTreeSet<String> {
    let requires = super::positions(&plan.nodes);
    self_waits(plan, &requires)
        .into_iter()
        .map(|wait| wait.shim)
        .collect()
}

/// Warns about each trigger that waits for its job; fails when every
/// trigger of a job does and the job has no `approval: true`.
pub(super) fn check(
    workflow: &Workflow,
    plan: &WorkflowPlan,
    requires: &[Vec<usize>],
    warnings: &mut Vec<String>,
) -> Result<()> {
    let waits = self_waits(plan, requires);
    for job in workflow.jobs.iter().filter(|job| !job.approval) {
        let mine: Vec<&SelfWait> = waits.iter().filter(|w| w.job == job.id).collect();
        if !job.requires_any.is_empty() && mine.len() == job.requires_any.len() {
            return Err(never_runs(job, &mine).into());
        }
    }
    for wait in &waits {
        let Some(job) = workflow.job(&wait.job) else {
            continue;
        };
        let place = crate::error::place(&job.file, trigger_line(job, &wait.trigger));
        warnings.push(format!(
            "{place}: `requires_any`: trigger `{}` of job `{}` waits for the job itself ({}), so it can never start it",
            wait.trigger,
            job.id,
            wait.chain.join(" -> ")
        ));
    }
    Ok(())
}

fn never_runs(job: &Job, waits: &[&SelfWait]) -> ConfigError {
    let chains: Vec<String> = waits.iter().map(|w| w.chain.join(" -> ")).collect();
    let line = waits
        .first()
        .and_then(|w| trigger_line(job, &w.trigger))
        .or(job.line);
    ConfigError::new(
        &job.file,
        "requires_any",
        format!(
            "job `{}` can never run: every trigger waits for the job itself ({})",
            job.id,
            chains.join("; ")
        ),
    )
    .line(line)
    .hint(Some(
        "add `approval: true` so the job can be approved by hand, or list a trigger that does not run after it".into(),
    ))
}

/// The line of `job`'s `requires_any` entry named `trigger` (else the job's).
fn trigger_line(job: &Job, trigger: &str) -> Option<usize> {
    job.requires_any
        .iter()
        .find(|t| t.target.name() == trigger)
        .and_then(|t| t.line)
        .or(job.line)
}

/// The plan as indices: who requires each node, and each gate's shims.
struct Graph<'a> {
    nodes: &'a [Node],
    dependents: Vec<Vec<usize>>,
    shims: Vec<Vec<usize>>,
    /// For each shim, its gate.
    gate_of_shim: Vec<Option<usize>>,
}

/// The nodes that cannot finish before one gate is approved; `parent`
/// holds, for each of them but the gate, the node it waits for (`None`
/// outside the set).
struct After {
    parent: Vec<Option<usize>>,
}

impl<'a> Graph<'a> {
    fn new(plan: &'a WorkflowPlan, requires: &[Vec<usize>]) -> Graph<'a> {
        let gates: HashMap<&str, usize> = plan
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| matches!(node.kind, NodeKind::Approval { .. }))
            .map(|(at, node)| (node.id.as_str(), at))
            .collect();
        let count = plan.nodes.len();
        let mut dependents = vec![vec![]; count];
        let mut shims = vec![vec![]; count];
        let mut gate_of_shim = vec![None; count];
        for (at, node) in plan.nodes.iter().enumerate() {
            for &target in &requires[at] {
                dependents[target].push(at);
            }
            if let NodeKind::Shim { gate, .. } = &node.kind
                && let Some(&gate) = gates.get(gate.as_str())
            {
                shims[gate].push(at);
                gate_of_shim[at] = Some(gate);
            }
        }
        Graph {
            nodes: &plan.nodes,
            dependents,
            shims,
            gate_of_shim,
        }
    }

    /// Breadth first from `gate`: a node requiring one in the set joins it;
    /// a gate nobody may approve by hand joins once all its shims have.
    fn after(&self, gate: usize) -> After {
        let count = self.nodes.len();
        let mut inside = vec![false; count];
        let mut parent = vec![None; count];
        let mut pending: Vec<usize> = self.shims.iter().map(Vec::len).collect();
        let mut queue = VecDeque::from([gate]);
        inside[gate] = true;
        while let Some(current) = queue.pop_front() {
            let mut gate_opens = None;
            if let Some(other) = self.gate_of_shim[current] {
                pending[other] -= 1;
                if pending[other] == 0 && !self.by_hand(other) {
                    gate_opens = Some(other);
                }
            }
            for &next in self.dependents[current].iter().chain(&gate_opens) {
                if !inside[next] {
                    inside[next] = true;
                    parent[next] = Some(current);
                    queue.push_back(next);
                }
            }
        }
        After { parent }
    }

    fn by_hand(&self, at: usize) -> bool {
        matches!(
            self.nodes[at].kind,
            NodeKind::Approval { by_hand: true, .. }
        )
    }

    /// Node ids from `start` along `parent` to the first variant of `job`,
    /// or to the gate itself.
    fn chain(&self, after: &After, start: usize, gate: usize, job: &str) -> Vec<String> {
        let mut chain = vec![];
        let mut current = Some(start);
        while let Some(at) = current {
            let node = &self.nodes[at];
            chain.push(node.id.clone());
            let of_job = matches!(&node.kind, NodeKind::Variant { job: j, .. } if j == job);
            if at == gate || of_job {
                break;
            }
            current = after.parent[at];
        }
        chain
    }
}

#[cfg(test)]
mod tests;
