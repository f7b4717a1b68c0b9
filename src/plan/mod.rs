//! The job graph of each workflow: one node per job variant, stage approval,
//! job gate and OR-dependency shim, with `requires` edges expanded to
//! variant ids (multi→multi pairs by arch; single→multi needs every
//! variant), stage `requires` expanded through stages with no jobs (to
//! their approval, or to what they require), and the `<id>_record` job that
//! records a parallel hashed variant's success (DESIGN §3). Input: the
//! model. Output: ordered nodes for `emit`, `hash` and pruning. Raises only
//! graph errors: duplicate ids, cycles, and jobs whose every OR-trigger
//! waits for the job itself (`waits`).

mod check;
pub mod hash_env;
pub mod prune;
mod stages;
pub mod waits;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use crate::error::{ConfigError, Result};
pub use crate::model::record_id;
use crate::model::{Job, Project, Target, Workflow};
use stages::{stage_approval, stage_rank, stage_targets};

/// Job names cigen defines itself.
pub use crate::model::settings::{APPROVE_JOB, SETUP_JOB};

/// What a hashed variant's hash takes from upstream (`WorkflowPlan::upstream_inputs`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upstream {
    /// The nearest hashed ancestors: their hashes.
    pub hashed: Vec<String>,
    /// The unhashed job variants between: their definitions.
    pub unhashed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowPlan {
    pub name: String,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub stage: Option<String>,
    pub requires: Vec<Edge>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Variant {
        job: String,
        arch: String,
        hashed: bool,
        persists: bool,
        attaches: bool,
    },
    /// `approve_<stage>`, or with `gate_of` the gate `approve_<job>` of one job.
    /// `by_hand`: a person may approve it (stage approvals, `approval: true`);
    /// otherwise only its shims do.
    Approval {
        gate_of: Option<String>,
        by_hand: bool,
    },
    /// Approves `gate` through the API once its requirements (the expanded
    /// `trigger`, as named in the shim id) pass.
    Shim { gate: String, trigger: String },
    /// Records the success of the parallel hashed variant `of`, which it
    /// alone requires: no container of `of` can tell that all of them passed.
    /// Never hashed and required by nobody, so it changes no hash.
    Record { of: String },
    /// `setup.required_check`: a `type: no-op` job requiring every user job
    /// variant not behind an approval (`check`).
    Check,
    /// The skip-summary job (`setup.on_all_skipped.job_name`), added by the
    /// continuation alone: `text` is what it prints; `on_tag` lets it run
    /// in a tag pipeline.
    Summary { text: String, on_tag: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Edge {
    pub target: String,
    /// CircleCI job statuses; `None` = success.
    pub statuses: Option<Vec<String>>,
}

impl Edge {
    fn to(target: String) -> Edge {
        Edge {
            target,
            statuses: None,
        }
    }
}

impl WorkflowPlan {
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.id == id)
    }

    /// The record job of variant `id`, if it has one.
    pub fn record_of(&self, id: &str) -> Option<&Node> {
        self.nodes
            .iter()
            .find(|node| matches!(&node.kind, NodeKind::Record { of } if of == id))
    }

    /// Every pipeline value a hash of this workflow covers, sorted: those
    /// its hashed jobs reference and those of the unhashed jobs they walk
    /// through (`upstream_inputs`) — what `cigen setup` needs from the entrypoint.
    pub fn hash_pipeline_values(&self, workflow: &Workflow) -> Vec<String> {
        let mut names = BTreeSet::new();
        for node in self.variants() {
            if !matches!(node.kind, NodeKind::Variant { hashed: true, .. }) {
                continue;
            }
            let walked = self.upstream_inputs(&node.id).unhashed;
            for id in std::iter::once(&node.id).chain(&walked) {
                if let Some((job, _)) = self.variant_job(workflow, id) {
                    names.extend(job.refs.pipeline.iter().cloned());
                }
            }
        }
        names.into_iter().collect()
    }

    /// The job and arch of variant `id`.
    pub fn variant_job<'w>(&self, workflow: &'w Workflow, id: &str) -> Option<(&'w Job, &str)> {
        match &self.node(id)?.kind {
            NodeKind::Variant { job, arch, .. } => Some((workflow.job(job)?, arch.as_str())),
            _ => None,
        }
    }

    pub fn variants(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|node| matches!(node.kind, NodeKind::Variant { .. }))
    }

    /// The nearest hashed ancestors of `id` (walking through unhashed nodes), sorted.
    pub fn hashed_upstream(&self, id: &str) -> Vec<String> {
        self.upstream_inputs(id).hashed
    }

    /// What `id`'s hash takes from upstream (DESIGN §3): its nearest hashed
    /// ancestors, and the unhashed job variants on the way to them (their
    /// definitions: an unhashed job runs every time, but a change to what
    /// it does can change what `id` receives from it). Both sorted.
    pub fn upstream_inputs(&self, id: &str) -> Upstream {
        let index: HashMap<&str, &Node> = self.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let mut upstream = Upstream::default();
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = index
            .get(id)
            .map(|n| n.requires.iter().map(|e| e.target.as_str()).collect())
            .unwrap_or_default();
        while let Some(current) = stack.pop() {
            if !seen.insert(current) {
                continue;
            }
            let Some(node) = index.get(current) else {
                continue;
            };
            match node.kind {
                NodeKind::Variant { hashed: true, .. } => {
                    upstream.hashed.push(current.to_string());
                    continue;
                }
                NodeKind::Variant { hashed: false, .. } => {
                    upstream.unhashed.push(current.to_string());
                }
                _ => {}
            }
            stack.extend(node.requires.iter().map(|e| e.target.as_str()));
        }
        upstream.hashed.sort();
        upstream.unhashed.sort();
        upstream
    }
}

/// Plans every workflow; warnings (triggers that cannot start their job) go to `warnings`.
pub fn build(project: &Project, warnings: &mut Vec<String>) -> Result<Vec<WorkflowPlan>> {
    project
        .workflows
        .iter()
        .map(|workflow| build_workflow(project, workflow, warnings))
        .collect()
}

pub fn build_workflow(
    project: &Project,
    workflow: &Workflow,
    warnings: &mut Vec<String>,
) -> Result<WorkflowPlan> {
    let mut nodes: Vec<Node> = vec![];
    // Where each node comes from, by node index: errors name that file.
    let mut origin: Vec<Place> = vec![];

    let by_stage = variants_by_stage(workflow);
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
            nodes.push(stage_approval(workflow, &by_stage, empty)?);
            origin.push((&empty.file, empty.line));
        }
        if let Some(stage) = stage
            && stage.approval
            && approvals_done.insert(stage.name.clone())
        {
            nodes.push(stage_approval(workflow, &by_stage, stage)?);
            origin.push((&job.file, job.line));
        }
        if job.gated {
            nodes.push(Node {
                id: job.gate_id(),
                kind: NodeKind::Approval {
                    gate_of: Some(job.id.clone()),
                    by_hand: job.approval,
                },
                stage: job.stage.clone(),
                requires: vec![],
            });
            origin.push((&job.file, job.line));
            for trigger in &job.requires_any {
                let requires: Vec<Edge> = expand(workflow, &trigger.target, None)
                    .into_iter()
                    .map(Edge::to)
                    .collect();
                nodes.push(Node {
                    id: job.shim_id(&trigger.target),
                    kind: NodeKind::Shim {
                        gate: job.gate_id(),
                        trigger: trigger.target.name(),
                    },
                    stage: job.stage.clone(),
                    requires,
                });
                origin.push((&job.file, job.line));
            }
        }
        for arch in &job.archs {
            let from = job.multi_arch().then_some(arch.as_str());
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
                    let targets = stage_targets(workflow, &by_stage, stage)?;
                    requires.extend(targets.into_iter().map(Edge::to));
                }
            }
            if job.gated {
                requires.push(Edge::to(job.gate_id()));
            }
            let mut seen = BTreeSet::new();
            requires.retain(|edge| seen.insert(edge.target.clone()));
            let id = job.variant_id(arch);
            nodes.push(Node {
                id: id.clone(),
                kind: NodeKind::Variant {
                    job: job.id.clone(),
                    arch: arch.clone(),
                    hashed: job.hashed(),
                    persists: job.persists_workspace,
                    attaches: job.attaches_workspace,
                },
                stage: job.stage.clone(),
                requires,
            });
            origin.push((&job.file, job.line));
            if workflow.trigger.is_none() && job.records_apart() {
                let record = record_id(&id);
                nodes.push(Node {
                    id: record.clone(),
                    kind: NodeKind::Record { of: id.clone() },
                    stage: job.stage.clone(),
                    requires: vec![Edge::to(id)],
                });
                origin.push((&job.file, job.line));
            }
        }
    }
    for empty in empty_gates {
        nodes.push(stage_approval(workflow, &by_stage, empty)?);
        origin.push((&empty.file, empty.line));
    }

    let setup = &project.settings.setup;
    let check = setup.required_check.as_deref();
    let reserved = [
        Some(SETUP_JOB),
        Some(APPROVE_JOB),
        Some(setup.all_skipped_job.as_str()),
        check,
    ];
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (index, node) in nodes.iter().enumerate() {
        let (file, line) = origin[index];
        if reserved.contains(&Some(node.id.as_str())) {
            let hint = (check == Some(node.id.as_str())).then(|| {
                "`setup.required_check` names cigen's required-check job so: rename one".to_string()
            });
            return Err(ConfigError::new(
                file,
                "(job id)",
                format!("job id `{}` is reserved by cigen", node.id),
            )
            .line(line)
            .hint(hint)
            .into());
        }
        if let Some(previous) = ids.insert(node.id.as_str(), index) {
            let (other, _) = origin[previous];
            return Err(ConfigError::new(
                file,
                "(job id)",
                format!(
                    "id `{}` is produced twice in workflow `{}`: by this file and by {}",
                    node.id,
                    workflow.name,
                    other.display()
                ),
            )
            .line(line)
            .hint(record_hint(&nodes[previous]).or(record_hint(node)).or(Some("rename one of the jobs: variants are named `<id>_<arch>`, approvals `approve_<stage>` and `approve_<id>`".into())))
            .into());
        }
    }
    let plan = WorkflowPlan {
        name: workflow.name.clone(),
        nodes,
    };
    let requires = positions(&plan.nodes);
    if let Some(cycle) = find_cycle(&plan, &requires) {
        let first = plan.nodes.iter().position(|n| n.id == cycle[0]);
        let (file, line) = origin[first.unwrap_or(0)];
        return Err(ConfigError::new(
            file,
            "requires",
            format!(
                "dependency cycle: {} (each requires the next)",
                cycle.join(" -> ")
            ),
        )
        .line(line)
        .into());
    }
    waits::check(workflow, &plan, &requires, warnings)?;
    let mut plan = plan;
    if workflow.trigger.is_none() {
        hash_env::check(workflow)?;
        if let Some(name) = check {
            check::add(&mut plan, name);
        }
    }
    Ok(plan)
}

/// Explains an id clash with a record job, which the user never wrote.
fn record_hint(node: &Node) -> Option<String> {
    let NodeKind::Record { of } = &node.kind else {
        return None;
    };
    Some(format!(
        "cigen adds `{}` to record the success of the parallel job `{of}`: rename the other job",
        node.id
    ))
}

/// A file and line a node comes from.
type Place<'a> = (&'a Path, Option<usize>);

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

/// Each node's `requires` as positions in `nodes`, resolved once for the
/// graph walks; targets outside the plan are left out.
fn positions(nodes: &[Node]) -> Vec<Vec<usize>> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(at, node)| (node.id.as_str(), at))
        .collect();
    nodes
        .iter()
        .map(|node| {
            node.requires
                .iter()
                .filter_map(|edge| index.get(edge.target.as_str()).copied())
                .collect()
        })
        .collect()
}

/// A cycle as node ids, first repeated at the end, if the graph has one.
/// `requires`: each node's requirements as positions (see `positions`).
fn find_cycle(plan: &WorkflowPlan, requires: &[Vec<usize>]) -> Option<Vec<String>> {
    // 0 = unvisited, 1 = on the stack, 2 = done
    let mut state = vec![0u8; plan.nodes.len()];
    for start in 0..plan.nodes.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, edge)) = stack.last().copied() {
            let node_requires = &requires[node];
            if edge == node_requires.len() {
                state[node] = 2;
                stack.pop();
                continue;
            }
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let next = node_requires[edge];
            match state[next] {
                0 => {
                    state[next] = 1;
                    stack.push((next, 0));
                }
                1 => {
                    let from = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                    let mut cycle: Vec<String> = stack[from..]
                        .iter()
                        .map(|(n, _)| plan.nodes[*n].id.clone())
                        .collect();
                    cycle.push(plan.nodes[next].id.clone());
                    return Some(cycle);
                }
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
