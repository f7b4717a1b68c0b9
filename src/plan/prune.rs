//! Pruning (DESIGN §4): turns the skipped variants of a workflow plan into
//! what the continuation runs. Shared by both modes: workspace producers of
//! kept consumers are un-skipped, recursively (unless the consumer is
//! dormant: certain not to run in this pipeline, so it reads no
//! workspace), and a parallel variant's `<id>_record` job goes exactly when
//! its variant is skipped (nothing requires it). Then, by `setup.skipped_jobs`:
//! - `no_op`: each skipped variant stays under its own name as a stand-in
//!   (emitted `type: no-op`); every `requires` and job-status requirement
//!   keeps its meaning. A stand-in stops waiting for its own gate: it drops
//!   the edge when it has no other requirement or one certain to run here
//!   (it then runs exactly where the job would have), and otherwise keeps
//!   it, the gate itself becoming a no-op stand-in when only stand-ins
//!   need it — dropping the edge there would leave a stand-in whose other
//!   requirements filters may leave out, and CircleCI runs no job whose
//!   every requirement was left out: it and all after it would silently
//!   not run. A gate nothing requires any more goes, and shims go with
//!   their gate or when it is a stand-in; stage approvals stay.
//! - `remove`: skipped variants are removed, requirements on them rewired to
//!   their nearest kept ancestors, and a removed job's gate and shims go.
//!
//! In both, approvals left with no dependent go, and so do shims whose gate
//! is gone. Pure: plan and skip list in, plan and a report out.

use std::collections::{BTreeMap, BTreeSet};

use super::{Edge, Node, NodeKind, WorkflowPlan};
pub(crate) use crate::model::settings::SkippedJobs;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pruned {
    pub plan: WorkflowPlan,
    /// Variants skipped (stand-ins or removed), in plan order.
    pub skipped: Vec<String>,
    /// The nodes still in `plan` as no-op stand-ins (`no_op` mode): skipped
    /// variants, and own gates that only stand-ins still require.
    pub stand_ins: BTreeSet<String>,
    /// Variants asked to skip but kept, with the reason.
    pub unskipped: Vec<(String, String)>,
    /// Approval and shim nodes dropped because nothing needed them any more.
    pub dropped: Vec<String>,
    /// Names in the skip list that are not variants of this workflow.
    pub unknown: Vec<String>,
}

impl Pruned {
    /// The variants that really run: neither removed nor stand-ins.
    pub(crate) fn running(&self) -> impl Iterator<Item = &Node> {
        self.plan
            .variants()
            .filter(|node| !self.stand_ins.contains(&node.id))
    }
}

/// `dormant`: variants certain not to run in this pipeline; as consumers
/// they keep no producer. `certain`: nodes of `plan` certain to run in this
/// pipeline (a stand-in requiring one needs no gate to run).
pub(crate) fn prune(
    plan: &WorkflowPlan,
    skip: &BTreeSet<String>,
    dormant: &BTreeSet<String>,
    certain: &BTreeSet<String>,
    mode: SkippedJobs,
) -> Pruned {
    let variants: BTreeSet<&str> = plan.variants().map(|n| n.id.as_str()).collect();
    let unknown = skip
        .iter()
        .filter(|id| !variants.contains(id.as_str()))
        .cloned()
        .collect();
    let mut skipped: BTreeSet<String> = skip
        .iter()
        .filter(|id| variants.contains(id.as_str()))
        .cloned()
        .collect();
    let unskipped = unskip_producers(plan, &mut skipped, dormant);
    let (nodes, mut dropped, stand_ins) = match mode {
        SkippedJobs::NoOp => stand_in(plan, &skipped, certain),
        SkippedJobs::Remove => remove(plan, &skipped),
    };
    let nodes = drop_orphans(nodes, &mut dropped, &stand_ins);
    Pruned {
        plan: WorkflowPlan::new(plan.name.clone(), nodes),
        skipped: plan
            .nodes
            .iter()
            .filter(|n| skipped.contains(&n.id))
            .map(|n| n.id.clone())
            .collect(),
        stand_ins,
        unskipped,
        dropped,
        unknown,
    }
}

/// Un-skips the workspace producers upstream of every consumer that runs
/// and is not dormant, until nothing changes; returns them with the reason.
fn unskip_producers(
    plan: &WorkflowPlan,
    skipped: &mut BTreeSet<String>,
    dormant: &BTreeSet<String>,
) -> Vec<(String, String)> {
    let by_id: BTreeMap<&str, &Node> = plan.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut unskipped = vec![];
    loop {
        let mut changed = false;
        for node in &plan.nodes {
            if skipped.contains(&node.id)
                || dormant.contains(&node.id)
                || !matches!(node.kind, NodeKind::Variant { attaches: true, .. })
            {
                continue;
            }
            for ancestor in ancestors(&by_id, &node.id) {
                let producer = matches!(
                    by_id[ancestor.as_str()].kind,
                    NodeKind::Variant { persists: true, .. }
                );
                if producer && skipped.remove(&ancestor) {
                    unskipped.push((ancestor, format!("workspace producer for {}", node.id)));
                    changed = true;
                }
            }
        }
        if !changed {
            return unskipped;
        }
    }
}

/// `no_op`: skipped variants stay as stand-ins; their record jobs go. A
/// stand-in drops the edge to its own gate when it has no other
/// requirement or one in `certain`; a gate then required only by stand-ins
/// becomes one too. Returns nodes, dropped ids, stand-ins.
fn stand_in(
    plan: &WorkflowPlan,
    skipped: &BTreeSet<String>,
    certain: &BTreeSet<String>,
) -> (Vec<Node>, Vec<String>, BTreeSet<String>) {
    let records = records_of(plan, skipped);
    let gate_of = |job: &str| {
        plan.gates()
            .find(|(_, gated)| *gated == job)
            .map(|(gate, _)| gate.id.clone())
    };
    let nodes: Vec<Node> = plan
        .nodes
        .iter()
        .filter(|node| !records.contains(&node.id))
        .map(|node| match &node.kind {
            NodeKind::Variant { job, .. } if skipped.contains(&node.id) => {
                let Some(gate) = gate_of(job) else {
                    return node.clone();
                };
                let others: Vec<Edge> = node
                    .requires
                    .iter()
                    .filter(|edge| edge.target != gate)
                    .cloned()
                    .collect();
                if others.is_empty() || others.iter().any(|e| certain.contains(&e.target)) {
                    Node {
                        requires: others,
                        ..node.clone()
                    }
                } else {
                    node.clone()
                }
            }
            _ => node.clone(),
        })
        .collect();
    let mut stand_ins = skipped.clone();
    for gate in &nodes {
        if !matches!(
            gate.kind,
            NodeKind::Approval {
                gate_of: Some(_),
                ..
            }
        ) {
            continue;
        }
        let mut requirers = nodes
            .iter()
            .filter(|n| n.requires.iter().any(|e| e.target == gate.id))
            .peekable();
        if requirers.peek().is_some() && requirers.all(|n| skipped.contains(&n.id)) {
            stand_ins.insert(gate.id.clone());
        }
    }
    (nodes, vec![], stand_ins)
}

/// `remove`: skipped variants go with their record jobs and, once every
/// variant of a job is gone, the job's gate and shims (its dependents must
/// not inherit a wait for an approval of a skipped job); requirements on
/// what went are rewired. Returns nodes, dropped ids, no stand-ins.
fn remove(
    plan: &WorkflowPlan,
    removed: &BTreeSet<String>,
) -> (Vec<Node>, Vec<String>, BTreeSet<String>) {
    let by_id: BTreeMap<&str, &Node> = plan.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut dropped = vec![];
    for (node, job) in plan.gates() {
        let job_removed = plan
            .variants()
            .filter(|v| matches!(&v.kind, NodeKind::Variant { job: j, .. } if j == job))
            .all(|v| removed.contains(&v.id));
        if job_removed {
            for gone in plan.nodes.iter().filter(|n| {
                n.id == node.id
                    || matches!(&n.kind, NodeKind::Shim { gate, .. } if gate == &node.id)
            }) {
                dropped.push(gone.id.clone());
            }
        }
    }
    let mut gone_with_job: BTreeSet<String> = removed.clone();
    gone_with_job.extend(dropped.iter().cloned());
    gone_with_job.extend(records_of(plan, removed));
    let nodes = plan
        .nodes
        .iter()
        .filter(|node| !gone_with_job.contains(&node.id))
        .map(|node| Node {
            requires: rewire(&by_id, &gone_with_job, &node.requires),
            ..node.clone()
        })
        .collect();
    (nodes, dropped, BTreeSet::new())
}

/// Drops approvals nothing requires any more and shims whose gate is gone
/// or a stand-in (nothing left to approve), until none is left; appends
/// their ids to `dropped`.
fn drop_orphans(
    mut nodes: Vec<Node>,
    dropped: &mut Vec<String>,
    stand_ins: &BTreeSet<String>,
) -> Vec<Node> {
    loop {
        let gone: Vec<String> = nodes
            .iter()
            .filter(|node| match &node.kind {
                // A shim approving a gate does not keep the gate: only a job requiring it does.
                NodeKind::Approval { .. } => !nodes
                    .iter()
                    .any(|other| other.requires.iter().any(|e| e.target == node.id)),
                NodeKind::Shim { gate, .. } => {
                    stand_ins.contains(gate) || !nodes.iter().any(|other| &other.id == gate)
                }
                NodeKind::Variant { .. }
                | NodeKind::Record { .. }
                | NodeKind::Check
                | NodeKind::Summary { .. } => false,
            })
            .map(|node| node.id.clone())
            .collect();
        if gone.is_empty() {
            return nodes;
        }
        nodes.retain(|node| !gone.contains(&node.id));
        dropped.extend(gone);
    }
}

/// The record jobs of the given variants: they record nothing without them.
fn records_of(plan: &WorkflowPlan, variants: &BTreeSet<String>) -> Vec<String> {
    plan.nodes
        .iter()
        .filter(|node| matches!(&node.kind, NodeKind::Record { of } if variants.contains(of)))
        .map(|node| node.id.clone())
        .collect()
}

/// Every node `id` requires, directly or not.
fn ancestors(by_id: &BTreeMap<&str, &Node>, id: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![id.to_string()];
    while let Some(current) = stack.pop() {
        if let Some(node) = by_id.get(current.as_str()) {
            for edge in &node.requires {
                if seen.insert(edge.target.clone()) {
                    stack.push(edge.target.clone());
                }
            }
        }
    }
    seen.into_iter().collect()
}

/// Requirements with each removed target replaced by its nearest kept ancestors.
fn rewire(
    by_id: &BTreeMap<&str, &Node>,
    removed: &BTreeSet<String>,
    requires: &[Edge],
) -> Vec<Edge> {
    let mut out: Vec<Edge> = vec![];
    let push = |edge: Edge, out: &mut Vec<Edge>| {
        if !out.iter().any(|e| e.target == edge.target) {
            out.push(edge);
        }
    };
    for edge in requires {
        if !removed.contains(&edge.target) {
            push(edge.clone(), &mut out);
            continue;
        }
        let mut stack = vec![edge.target.clone()];
        let mut seen = BTreeSet::new();
        while let Some(current) = stack.pop() {
            if !seen.insert(current.clone()) {
                continue;
            }
            if !removed.contains(&current) {
                push(
                    Edge {
                        target: current,
                        statuses: edge.statuses.clone(),
                    },
                    &mut out,
                );
                continue;
            }
            if let Some(node) = by_id.get(current.as_str()) {
                // Reverse keeps the original order after popping from the stack.
                stack.extend(node.requires.iter().rev().map(|e| e.target.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
