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
pub(crate) mod hash_env;
mod nodes;
pub(crate) mod prune;
mod stages;
pub(crate) mod waits;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::circleci::{APPROVE_JOB, SETUP_JOB};
use crate::error::{ConfigError, Result};
pub(crate) use crate::model::record_id;
use crate::model::{Job, Project, Workflow};

/// What a hashed variant's hash takes from upstream (`WorkflowPlan::upstreams`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Upstream {
    /// The nearest hashed ancestors: their hashes.
    pub hashed: Vec<String>,
    /// The unhashed job variants between: their definitions.
    pub unhashed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowPlan {
    pub name: String,
    pub nodes: Vec<Node>,
    /// Node positions by id, built on the first lookup (`node`).
    index: NodeIndex,
    /// `upstreams`, kept for the nodes it was walked over.
    walks: Walks,
}

/// `upstreams` of a plan with the size of the graph it was walked over
/// (nodes, edges, id bytes): `generate` and `setup` ask for it several
/// times. A plan whose nodes or edges change is walked again; an edit that
/// keeps all three counts must build a new plan (`WorkflowPlan::new`).
#[derive(Debug, Default)]
struct Walks(std::sync::Mutex<Option<(GraphSize, Upstreams)>>);

/// Nodes, edges and id bytes of a plan.
type GraphSize = (usize, usize, usize);

/// Each hashed variant with its `Upstream`, in plan order.
pub(crate) type Upstreams = Arc<[(String, Upstream)]>;

impl Clone for Walks {
    fn clone(&self) -> Walks {
        Walks::default()
    }
}

impl PartialEq for Walks {
    fn eq(&self, _: &Walks) -> bool {
        true
    }
}

/// A lookup aid, not part of the plan: always equal, and checked on every
/// use, so a plan whose `nodes` changed after it was built stays correct
/// (a miss falls back to a scan).
#[derive(Debug, Clone, Default)]
struct NodeIndex(std::sync::OnceLock<HashMap<String, usize>>);

impl PartialEq for NodeIndex {
    fn eq(&self, _: &NodeIndex) -> bool {
        true
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: String,
    pub kind: NodeKind,
    pub(crate) stage: Option<String>,
    pub(crate) requires: Vec<Edge>,
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
pub(crate) struct Edge {
    pub target: String,
    /// CircleCI job statuses; `None` = success.
    pub statuses: Option<Vec<String>>,
}

#[cfg(test)]
impl Node {
    /// A node `id` of `kind` requiring `requires`, no stage (unit tests).
    pub(crate) fn test(id: &str, kind: NodeKind, requires: &[&str]) -> Node {
        Node {
            id: id.to_string(),
            kind,
            stage: None,
            requires: requires
                .iter()
                .map(|t| Edge::to((*t).to_string()))
                .collect(),
        }
    }

    /// A hashed amd64 variant of job `id` requiring `requires` (unit tests).
    pub(crate) fn test_variant(
        id: &str,
        requires: &[&str],
        persists: bool,
        attaches: bool,
    ) -> Node {
        let kind = NodeKind::Variant {
            job: id.to_string(),
            arch: "amd64".into(),
            hashed: true,
            persists,
            attaches,
        };
        Node::test(id, kind, requires)
    }
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
    pub(crate) fn new(name: String, nodes: Vec<Node>) -> WorkflowPlan {
        WorkflowPlan {
            name,
            nodes,
            index: NodeIndex::default(),
            walks: Walks::default(),
        }
    }

    pub(crate) fn node(&self, id: &str) -> Option<&Node> {
        let index = self.index.0.get_or_init(|| {
            let mut index = HashMap::with_capacity(self.nodes.len());
            for (at, node) in self.nodes.iter().enumerate() {
                index.entry(node.id.clone()).or_insert(at);
            }
            index
        });
        let indexed = index
            .get(id)
            .and_then(|&at| self.nodes.get(at))
            .filter(|node| node.id == id);
        indexed.or_else(|| self.nodes.iter().find(|node| node.id == id))
    }

    /// Every pipeline value a hash of this workflow covers, sorted: those
    /// its hashed jobs reference and those of the unhashed jobs they walk
    /// through (`upstreams`) — what `cigen setup` needs from the entrypoint.
    pub fn hash_pipeline_values(&self, workflow: &Workflow) -> Vec<String> {
        let mut names = BTreeSet::new();
        for id in self.hash_covered() {
            if let Some((job, _)) = self.variant_job(workflow, &id) {
                names.extend(job.refs.pipeline.iter().cloned());
            }
        }
        names.into_iter().collect()
    }

    /// The pipeline values the hash of each hashed variant covers, by
    /// variant, sorted: what its record step checks at run time and what
    /// the continuation carries to it. Those its job references, those of
    /// the unhashed jobs its hash walks through (`upstreams`), and those
    /// its hashed upstream variants' hashes cover: their hashes enter its
    /// hash, so a run after an upstream job that ran with another value
    /// than setup hashed is no run of this hash either.
    pub(crate) fn covered_values(&self, workflow: &Workflow) -> BTreeMap<String, Vec<String>> {
        let upstreams = self.upstreams();
        let by_id: HashMap<&str, &Upstream> =
            upstreams.iter().map(|(id, u)| (id.as_str(), u)).collect();
        let mut covered: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for (id, _) in upstreams.iter() {
            self.cover(workflow, id, &by_id, &mut covered);
        }
        covered
            .into_iter()
            .map(|(id, names)| (id.to_string(), names.into_iter().collect()))
            .collect()
    }

    /// Fills `covered` for hashed variant `id` and, first, its hashed
    /// upstream variants: an explicit stack, as deep chains are allowed.
    fn cover<'p>(
        &self,
        workflow: &Workflow,
        id: &'p str,
        by_id: &HashMap<&'p str, &'p Upstream>,
        covered: &mut HashMap<&'p str, BTreeSet<String>>,
    ) {
        let mut stack = vec![(id, false)];
        while let Some((at, upstream_done)) = stack.pop() {
            let Some(upstream) = by_id.get(at).filter(|_| !covered.contains_key(at)) else {
                continue;
            };
            if !upstream_done {
                stack.push((at, true));
                let pending = upstream.hashed.iter().map(String::as_str);
                stack.extend(
                    pending
                        .filter(|h| !covered.contains_key(h))
                        .map(|h| (h, false)),
                );
                continue;
            }
            let mut names = BTreeSet::new();
            for variant in std::iter::once(at).chain(upstream.unhashed.iter().map(String::as_str)) {
                if let Some((job, _)) = self.variant_job(workflow, variant) {
                    names.extend(job.refs.pipeline.iter().cloned());
                }
            }
            for hashed in &upstream.hashed {
                names.extend(covered.get(hashed.as_str()).into_iter().flatten().cloned());
            }
            covered.insert(at, names);
        }
    }

    /// Each unhashed job some hash walks through (`upstreams`), with the
    /// hashed jobs whose hashes walk it, by job id.
    pub(crate) fn walked_by(&self, workflow: &Workflow) -> BTreeMap<String, BTreeSet<String>> {
        let mut walked: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (id, upstream) in self.upstreams().iter() {
            let Some((hashed, _)) = self.variant_job(workflow, id) else {
                continue;
            };
            for variant in &upstream.unhashed {
                if let Some((unhashed, _)) = self.variant_job(workflow, variant) {
                    walked
                        .entry(unhashed.id.clone())
                        .or_default()
                        .insert(hashed.id.clone());
                }
            }
        }
        walked
    }

    /// The variants whose definitions some hash covers: every hashed one
    /// and every unhashed one a hashed one walks through, sorted.
    pub(crate) fn hash_covered(&self) -> BTreeSet<String> {
        let mut covered = BTreeSet::new();
        for (id, upstream) in self.upstreams().iter() {
            covered.insert(id.clone());
            covered.extend(upstream.unhashed.iter().cloned());
        }
        covered
    }

    /// The job and arch of variant `id`.
    pub(crate) fn variant_job<'w>(
        &self,
        workflow: &'w Workflow,
        id: &str,
    ) -> Option<(&'w Job, &str)> {
        match &self.node(id)?.kind {
            NodeKind::Variant { job, arch, .. } => Some((workflow.job(job)?, arch.as_str())),
            _ => None,
        }
    }

    pub(crate) fn variants(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|node| matches!(node.kind, NodeKind::Variant { .. }))
    }

    /// The job gates (`approve_<job>`) in plan order, each with the job it gates.
    pub(crate) fn gates(&self) -> impl Iterator<Item = (&Node, &str)> {
        self.nodes.iter().filter_map(|node| match &node.kind {
            NodeKind::Approval {
                gate_of: Some(job), ..
            } => Some((node, job.as_str())),
            _ => None,
        })
    }

    /// What each hashed variant's hash takes from upstream (DESIGN §3),
    /// in plan order: its nearest hashed ancestors, and the unhashed job
    /// variants on the way to them (their definitions: an unhashed job runs
    /// every time, but a change to what it does can change what the hashed
    /// one receives from it). Both sorted. One index serves every walk.
    pub(crate) fn upstreams(&self) -> Upstreams {
        let size = (
            self.nodes.len(),
            self.nodes.iter().map(|n| n.requires.len()).sum(),
            self.nodes.iter().map(|n| n.id.len()).sum(),
        );
        let mut cached = self
            .walks
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((walked, upstreams)) = cached.as_ref()
            && *walked == size
        {
            return Arc::clone(upstreams);
        }
        let upstreams: Upstreams = self.walk_upstreams().into();
        *cached = Some((size, Arc::clone(&upstreams)));
        upstreams
    }

    fn walk_upstreams(&self) -> Vec<(String, Upstream)> {
        let position: HashMap<&str, usize> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(at, n)| (n.id.as_str(), at))
            .collect();
        // Requirements as node positions, once; unknown targets dropped.
        let requires: Vec<Vec<usize>> = self
            .nodes
            .iter()
            .map(|n| {
                n.requires
                    .iter()
                    .filter_map(|e| position.get(e.target.as_str()).copied())
                    .collect()
            })
            .collect();
        let mut seen = vec![usize::MAX; self.nodes.len()];
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| matches!(node.kind, NodeKind::Variant { hashed: true, .. }))
            .map(|(at, node)| {
                let upstream = self.walk_upstream(&requires, &mut seen, at);
                (node.id.clone(), upstream)
            })
            .collect()
    }

    /// The walk behind `upstreams` for the node at `from`: up its
    /// requirements, stopping at hashed variants, passing through unhashed
    /// variants (collected), approvals and shims. `seen[i] == from` marks
    /// a node visited by this walk, so one buffer serves every walk.
    fn walk_upstream(&self, requires: &[Vec<usize>], seen: &mut [usize], from: usize) -> Upstream {
        let mut upstream = Upstream::default();
        let mut stack: Vec<usize> = requires[from].clone();
        while let Some(at) = stack.pop() {
            if seen[at] == from {
                continue;
            }
            seen[at] = from;
            let node = &self.nodes[at];
            match node.kind {
                NodeKind::Variant { hashed: true, .. } => {
                    upstream.hashed.push(node.id.clone());
                    continue;
                }
                NodeKind::Variant { hashed: false, .. } => upstream.unhashed.push(node.id.clone()),
                _ => {}
            }
            stack.extend_from_slice(&requires[at]);
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

pub(crate) fn build_workflow(
    project: &Project,
    workflow: &Workflow,
    warnings: &mut Vec<String>,
) -> Result<WorkflowPlan> {
    let nodes::Nodes { nodes, origin } = nodes::build(workflow)?;
    check_ids(project, workflow, &nodes, &origin)?;
    let mut plan = WorkflowPlan::new(workflow.name.clone(), nodes);
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
    if workflow.trigger.is_none() {
        hash_env::check(workflow)?;
        if let Some(name) = project.settings.setup.required_check.as_deref() {
            check::add(&mut plan, name);
        }
    }
    Ok(plan)
}

/// No node takes an id cigen reserves for its own jobs, and no id is
/// produced twice; the error names the file (and line) of the node.
fn check_ids(
    project: &Project,
    workflow: &Workflow,
    nodes: &[Node],
    origin: &[Place],
) -> Result<()> {
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
    Ok(())
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
