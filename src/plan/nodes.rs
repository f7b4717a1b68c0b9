//! The nodes of one workflow's plan, in the order they are emitted: for
//! each job (in stage order) its stage's approval `approve_<stage>` before
//! the stage's first job, its own gate `approve_<id>` and one OR-dependency
//! shim per `requires_any` trigger, then one variant per architecture
//! (with the `<variant>_record` job of a parallel hashed variant of the
//! dynamic workflow); the approvals of stages with no jobs come in stage
//! order between them. `requires` are expanded to node ids here: multi→multi
//! pairs by arch, single→multi needs every variant, a stage means its
//! approval or its jobs. Input: a workflow; output: the nodes and, per
//! node, the file and line it comes from. Checks nothing but stage cycles.

use std::collections::{BTreeSet, HashMap};

use super::stages::{stage_approval, stage_rank, stage_targets};
use super::{Edge, Node, NodeKind, Place, record_id};
use crate::error::Result;
use crate::model::{Job, Stage, Target, Workflow};

/// The plan's nodes and, by position, where each comes from.
#[derive(Default)]
pub(super) struct Nodes<'a> {
    pub(super) nodes: Vec<Node>,
    pub(super) origin: Vec<Place<'a>>,
}

impl<'a> Nodes<'a> {
    fn push(&mut self, node: Node, file: &'a std::path::Path, line: Option<usize>) {
        self.nodes.push(node);
        self.origin.push((file, line));
    }
}

pub(super) fn build(workflow: &Workflow) -> Result<Nodes<'_>> {
    let by_stage = variants_by_stage(workflow);
    let mut out = Nodes::default();
    let mut approvals_done = BTreeSet::new();
    // Empty stages keep their approval in stage order, before later stages' jobs.
    let mut empty_gates = workflow
        .stages
        .iter()
        .filter(|stage| stage.empty && stage.approval)
        .peekable();
    for job in &workflow.jobs {
        let stage = job.stage.as_deref().and_then(|name| workflow.stage(name));
        let rank = stage_rank(workflow, job.stage.as_deref());
        while let Some(empty) = empty_gates.next_if(|s| stage_rank(workflow, Some(&s.name)) < rank)
        {
            out.push(
                stage_approval(workflow, &by_stage, empty)?,
                &empty.file,
                empty.line,
            );
        }
        if let Some(stage) = stage
            && stage.approval
            && approvals_done.insert(stage.name.clone())
        {
            out.push(
                stage_approval(workflow, &by_stage, stage)?,
                &job.file,
                job.line,
            );
        }
        if job.gated {
            for node in gate_and_shims(workflow, job) {
                out.push(node, &job.file, job.line);
            }
        }
        for arch in &job.archs {
            let variant = variant(workflow, &by_stage, job, stage, arch)?;
            let id = variant.id.clone();
            out.push(variant, &job.file, job.line);
            if workflow.trigger.is_none() && job.records_apart() {
                out.push(record(job, id), &job.file, job.line);
            }
        }
    }
    for empty in empty_gates {
        out.push(
            stage_approval(workflow, &by_stage, empty)?,
            &empty.file,
            empty.line,
        );
    }
    Ok(out)
}

/// The job's approval gate `approve_<id>`, then one shim per `requires_any`
/// trigger, each requiring its trigger's variants.
fn gate_and_shims(workflow: &Workflow, job: &Job) -> Vec<Node> {
    let gate = Node {
        id: job.gate_id(),
        kind: NodeKind::Approval {
            gate_of: Some(job.id.clone()),
            by_hand: job.approval,
        },
        stage: job.stage.clone(),
        requires: vec![],
    };
    let shims = job.requires_any.iter().map(|trigger| Node {
        id: job.shim_id(&trigger.target),
        kind: NodeKind::Shim {
            gate: job.gate_id(),
            trigger: trigger.target.name(),
        },
        stage: job.stage.clone(),
        requires: expand(workflow, &trigger.target, None)
            .into_iter()
            .map(Edge::to)
            .collect(),
    });
    std::iter::once(gate).chain(shims).collect()
}

/// The job's variant for `arch`: its `requires` expanded (with their
/// statuses), then its stage's approval or the stage's own requirements,
/// then its gate; each target once.
fn variant(
    workflow: &Workflow,
    by_stage: &HashMap<&str, Vec<String>>,
    job: &Job,
    stage: Option<&Stage>,
    arch: &str,
) -> Result<Node> {
    let from = job.multi_arch().then_some(arch);
    let mut requires: Vec<Edge> = vec![];
    for requirement in &job.requires {
        for target in expand(workflow, &requirement.target, from) {
            requires.push(Edge {
                target,
                statuses: requirement.statuses.clone(),
            });
        }
    }
    if let Some(stage) = stage {
        if stage.approval {
            requires.push(Edge::to(format!("approve_{}", stage.name)));
        } else {
            let targets = stage_targets(workflow, by_stage, stage)?;
            requires.extend(targets.into_iter().map(Edge::to));
        }
    }
    if job.gated {
        requires.push(Edge::to(job.gate_id()));
    }
    let mut seen = BTreeSet::new();
    requires.retain(|edge| seen.insert(edge.target.clone()));
    Ok(Node {
        id: job.variant_id(arch),
        kind: NodeKind::Variant {
            job: job.id.clone(),
            arch: arch.to_string(),
            hashed: job.hashed(),
            persists: job.persists_workspace,
            attaches: job.attaches_workspace,
        },
        stage: job.stage.clone(),
        requires,
    })
}

/// The job recording the success of the parallel hashed variant `id`.
fn record(job: &Job, id: String) -> Node {
    Node {
        id: record_id(&id),
        kind: NodeKind::Record { of: id.clone() },
        stage: job.stage.clone(),
        requires: vec![Edge::to(id)],
    }
}

/// Variant ids per stage, computed once: stage `requires` fan out to every one.
fn variants_by_stage(workflow: &Workflow) -> HashMap<&str, Vec<String>> {
    let mut by_stage: HashMap<&str, Vec<String>> = HashMap::new();
    for job in &workflow.jobs {
        if let Some(stage) = &job.stage {
            let variants = job.archs.iter().map(|arch| job.variant_id(arch));
            by_stage.entry(stage.as_str()).or_default().extend(variants);
        }
    }
    by_stage
}

/// Variant ids a target means for a requiring variant of arch `from` (`None` for single-arch).
fn expand(workflow: &Workflow, target: &Target, from: Option<&str>) -> Vec<String> {
    match target {
        Target::Job {
            id,
            arch: Some(arch),
        } => vec![format!("{id}_{arch}")],
        Target::Job { id, arch: None } => {
            let Some(job) = workflow.job(id) else {
                return vec![];
            };
            match from {
                Some(arch) if job.multi_arch() && job.archs.iter().any(|a| a == arch) => {
                    vec![job.variant_id(arch)]
                }
                _ => job.archs.iter().map(|arch| job.variant_id(arch)).collect(),
            }
        }
        Target::StageApproval(stage) => vec![format!("approve_{stage}")],
        Target::Gate(job) => vec![format!("approve_{job}")],
    }
}
