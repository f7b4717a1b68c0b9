//! The shape of the continued workflow (DESIGN §4): prunes the plan by the
//! skip list in the configured mode, with dormant consumers (certainly not
//! run here, so they keep no skipped workspace producer) decided on the
//! continued graph itself, and adds the skip-summary job when no node is
//! certain to run, on every tag pipeline, and when none of the required
//! check's requirements is certain (the check then requires the summary, so
//! it always has a requirement that runs and reports its status). Shared by
//! `cigen continue` and `cigen generate --workflow`. Input: model, unpruned
//! plan, skip list, ref. Output: the pruned plan and what was concluded.

use std::collections::BTreeSet;

use super::certainty::{self, Certainty};
use super::reference::Ref;
use crate::emit;
use crate::model::{Project, Workflow};
use crate::plan::prune::{Pruned, prune};
use crate::plan::{Edge, Node, NodeKind, WorkflowPlan};

#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// The continued plan, the summary job included when added.
    pub pruned: Pruned,
    /// Of the continued plan (before the summary job was added).
    pub certainty: Certainty,
    /// Why the summary job was added; `None` when it was not.
    pub summary: Option<SummaryReason>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SummaryReason {
    /// A tag pipeline: nothing is certain to run on a tag.
    Tag,
    /// No node of the continued workflow is certain to run here.
    NothingCertain,
    /// Nodes are certain, but none of the required check's requirements.
    CheckUncertain,
}

pub(crate) fn shape(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    skip: &BTreeSet<String>,
    reference: &Ref,
) -> Shape {
    let mode = project.settings.setup.skipped_jobs;
    let analyse = |plan: &WorkflowPlan| {
        certainty::analyse(plan, &emit::node_filters(workflow, plan), reference)
    };
    let variants: BTreeSet<&str> = plan.variants().map(|n| n.id.as_str()).collect();
    let before = analyse(plan);
    let mut dormant: BTreeSet<String> = before
        .never
        .iter()
        .filter(|id| variants.contains(id.as_str()))
        .cloned()
        .collect();
    let mut skip = skip.clone();
    let mut kept: Vec<(String, String)> = vec![];
    // Pruning changes the graph (rewired requirements, dropped gates), so a
    // consumer certainly not run in `main.yml` may run once pruned: keep as
    // dormant only those still certainly not run in the continued graph.
    // In remove mode, a removed job may have been the requirement that let
    // a kept job run here: it is kept (`lost_requirements`). Both sets only
    // shrink, so this ends.
    let (mut pruned, certainty) = loop {
        let pruned = prune(plan, &skip, &dormant, &before.certain, mode);
        let certainty = analyse(&pruned.plan);
        let running: BTreeSet<&str> = pruned.running().map(|n| n.id.as_str()).collect();
        let still: BTreeSet<String> = dormant
            .iter()
            .filter(|id| !running.contains(id.as_str()) || certainty.never.contains(*id))
            .cloned()
            .collect();
        if still != dormant {
            dormant = still;
            continue;
        }
        let lost = lost_requirements(plan, &pruned.plan, &before, &certainty.certain);
        if lost.is_empty() {
            break (pruned, certainty);
        }
        for (id, reason) in lost {
            skip.remove(&id);
            kept.push((id, reason));
        }
    };
    pruned.unskipped.extend(kept);
    let summary = summary_reason(project, &pruned.plan, &certainty, reference);
    if summary.is_some() {
        add_summary(project, &mut pruned, &certainty, reference);
    }
    Shape {
        pruned,
        certainty,
        summary,
    }
}

/// Removed variants that a kept node required directly and that may run
/// here, where that node has no requirement certain to run left in
/// `pruned` (remove mode rewires to what remains; no-op mode never loses
/// one), with the reason they stay. CircleCI runs no job whose every
/// requirement filters left out, so without them the node and all after it
/// might silently not run: filters only save work where cigen is certain.
fn lost_requirements(
    plan: &WorkflowPlan,
    pruned: &WorkflowPlan,
    before: &Certainty,
    certain_after: &BTreeSet<String>,
) -> Vec<(String, String)> {
    let mut lost: Vec<(String, String)> = vec![];
    for node in &pruned.nodes {
        let Some(original) = plan.node(&node.id) else {
            continue;
        };
        let has = node.requires.is_empty()
            || node
                .requires
                .iter()
                .any(|e| certain_after.contains(&e.target));
        if has || before.never.contains(&node.id) {
            continue;
        }
        for edge in &original.requires {
            let removed_variant = pruned.node(&edge.target).is_none()
                && plan
                    .node(&edge.target)
                    .is_some_and(|n| matches!(n.kind, NodeKind::Variant { .. }));
            if removed_variant
                && !before.never.contains(&edge.target)
                && !lost.iter().any(|(id, _)| id == &edge.target)
            {
                let why = format!(
                    "{} would be left with no requirement certain to run here",
                    node.id
                );
                lost.push((edge.target.clone(), why));
            }
        }
    }
    lost
}

fn summary_reason(
    project: &Project,
    plan: &WorkflowPlan,
    certainty: &Certainty,
    reference: &Ref,
) -> Option<SummaryReason> {
    if reference.is_tag() {
        return Some(SummaryReason::Tag);
    }
    if certainty.certain.is_empty() {
        return Some(SummaryReason::NothingCertain);
    }
    let check = project.settings.setup.required_check.as_deref()?;
    let requires = &plan.node(check)?.requires;
    let uncertain = !requires
        .iter()
        .any(|edge| certainty.certain.contains(&edge.target));
    uncertain.then_some(SummaryReason::CheckUncertain)
}

/// Appends the summary job, and makes the required check require it.
fn add_summary(project: &Project, pruned: &mut Pruned, certainty: &Certainty, reference: &Ref) {
    let setup = &project.settings.setup;
    let text = summary_text(project, pruned, certainty);
    let id = setup.all_skipped_job.clone();
    if let Some(check) = setup.required_check.as_deref()
        && let Some(node) = pruned.plan.nodes.iter_mut().find(|n| n.id == check)
    {
        node.requires.push(Edge {
            target: id.clone(),
            statuses: None,
        });
    }
    let on_tag = reference.is_tag();
    pruned.plan.nodes.push(Node {
        id,
        kind: NodeKind::Summary { text, on_tag },
        stage: None,
        requires: vec![],
    });
}

/// What the summary job prints: why it is there, what was skipped and
/// which jobs left may not run in this pipeline. "Every job's inputs
/// already passed" (`on_all_skipped.message`) only when that is so.
fn summary_text(project: &Project, pruned: &Pruned, certainty: &Certainty) -> String {
    let uncertain: Vec<&str> = pruned
        .running()
        .filter(|node| !certainty.certain.contains(&node.id))
        .map(|node| node.id.as_str())
        .collect();
    let header = if pruned.running().next().is_none() {
        project.settings.setup.all_skipped_message.clone()
    } else {
        "cigen added this job so that the pipeline runs at least one job: no other job is certain to run here, and CircleCI fails a pipeline whose jobs are all filtered out.".to_string()
    };
    let mut lines = vec![header];
    if !pruned.skipped.is_empty() {
        lines.push(String::new());
        lines.push("Skipped (inputs unchanged since they last passed):".to_string());
        lines.extend(pruned.skipped.iter().map(|id| format!("  {id}")));
    }
    if !uncertain.is_empty() {
        lines.push(String::new());
        lines.push(
            "May not run here (their filters, or those of every job they require):".to_string(),
        );
        lines.extend(uncertain.iter().map(|id| format!("  {id}")));
    }
    lines.join("\n")
}
