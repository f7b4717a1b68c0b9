//! Renders a workflow plan as CircleCI's workflow `jobs:` list: plain job
//! names, invocations with `requires` (and job statuses), `context`,
//! `filters`, approval jobs, OR-dependency shims invoking the shared
//! `cigen_approve` job, the record jobs of parallel variants, the required
//! check and, in a continuation, no-op stand-ins and the skip-summary job.
//! Also each node's filters as emitted, for the continuation's reasoning
//! about what runs. Pure.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_yaml::{Mapping, Value};

use crate::circleci::APPROVE_JOB;
use crate::model::{Project, Workflow};
use crate::plan::{Node, NodeKind, WorkflowPlan};
use crate::value::mapping;

pub(super) fn jobs(project: &Project, workflow: &Workflow, plan: &WorkflowPlan) -> Vec<Value> {
    continued_jobs(project, workflow, plan, &BTreeSet::new())
}

/// `jobs` of a continuation: the `stand_ins` run nothing, so they get no `context`.
pub(super) fn continued_jobs(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    stand_ins: &BTreeSet<String>,
) -> Vec<Value> {
    let graph = Graph::new(plan);
    plan.nodes
        .iter()
        .map(|node| {
            let stand_in = stand_ins.contains(&node.id);
            invocation(project, workflow, &graph, node, stand_in)
        })
        .collect()
}

/// Each node's `filters` exactly as `jobs` emits them (`None`: no filters).
pub(crate) fn node_filters(
    workflow: &Workflow,
    plan: &WorkflowPlan,
) -> HashMap<String, Option<Value>> {
    let graph = Graph::new(plan);
    plan.nodes
        .iter()
        .map(|node| (node.id.clone(), filters(workflow, &graph, node)))
        .collect()
}

/// The plan's nodes by id and, for each approval, the nodes requiring it.
struct Graph<'a> {
    by_id: HashMap<&'a str, &'a Node>,
    dependents: HashMap<&'a str, Vec<&'a Node>>,
}

impl<'a> Graph<'a> {
    fn new(plan: &'a WorkflowPlan) -> Graph<'a> {
        let by_id: HashMap<&str, &Node> = plan.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
        let mut dependents: HashMap<&str, Vec<&Node>> = HashMap::new();
        for node in &plan.nodes {
            for edge in &node.requires {
                let target = edge.target.as_str();
                // Every approval id starts so: most edges skip the lookup.
                let approval = target.starts_with("approve_")
                    && by_id
                        .get(target)
                        .is_some_and(|n| matches!(n.kind, NodeKind::Approval { .. }));
                if approval {
                    dependents.entry(target).or_default().push(node);
                }
            }
        }
        Graph { by_id, dependents }
    }
}

fn invocation(
    project: &Project,
    workflow: &Workflow,
    graph: &Graph,
    node: &Node,
    stand_in: bool,
) -> Value {
    let mut params = Mapping::new();
    let mut name = node.id.clone();
    match &node.kind {
        // A gate only stand-ins require is a declared no-op job.
        NodeKind::Approval { .. } if stand_in => {}
        NodeKind::Approval { .. } => {
            params.insert("type".into(), "approval".into());
        }
        NodeKind::Shim { gate, .. } => {
            name = APPROVE_JOB.to_string();
            params.insert("name".into(), node.id.clone().into());
            params.insert("job".into(), gate.clone().into());
        }
        NodeKind::Variant { .. }
        | NodeKind::Record { .. }
        | NodeKind::Check
        | NodeKind::Summary { .. } => {}
    }
    if !node.requires.is_empty() {
        let requires = node
            .requires
            .iter()
            .map(|edge| match &edge.statuses {
                None => Value::from(edge.target.clone()),
                Some(statuses) => mapping(&[(
                    edge.target.as_str(),
                    Value::Sequence(statuses.iter().map(|s| s.as_str().into()).collect()),
                )]),
            })
            .collect();
        params.insert("requires".into(), Value::Sequence(requires));
    }
    let context = match &node.kind {
        NodeKind::Variant { .. } if stand_in => vec![],
        NodeKind::Variant { job, .. } => workflow
            .job(job)
            .map(|j| j.context.clone())
            .unwrap_or_default(),
        NodeKind::Shim { .. } => project.settings.setup.approve_context.clone(),
        NodeKind::Approval { .. }
        | NodeKind::Record { .. }
        | NodeKind::Check
        | NodeKind::Summary { .. } => vec![],
    };
    if !context.is_empty() {
        params.insert(
            "context".into(),
            Value::Sequence(context.into_iter().map(Value::from).collect()),
        );
    }
    if let Some(filters) = filters(workflow, graph, node) {
        params.insert("filters".into(), filters);
    }
    if params.is_empty() {
        return Value::from(name);
    }
    mapping(&[(name.as_str(), Value::Mapping(params))])
}

/// A job's own filters (a stand-in's are its job's); the required check
/// has none; the skip-summary job allows every tag in a tag pipeline; a
/// record job runs where its variant does; for
/// approvals and shims the filters shared by every job variant they lead to
/// (an approval's dependents, a shim's gate, and on through further
/// approvals and shims), so a tag-only stage still gets its approval on
/// tags; none when they differ. Iterative with a visited set: a gate and
/// its shims may lead back to each other.
fn filters(workflow: &Workflow, graph: &Graph, node: &Node) -> Option<Value> {
    let own = |job: &str| workflow.job(job).and_then(|j| j.filters.as_ref());
    match &node.kind {
        NodeKind::Variant { job, .. } => return own(job).cloned(),
        NodeKind::Check => return None,
        NodeKind::Summary { on_tag, .. } => return on_tag.then(every_tag),
        _ => {}
    }
    let mut shared: Option<Option<&Value>> = None;
    let mut seen: HashSet<&str> = HashSet::new();
    let mut stack: Vec<&Node> = vec![node];
    while let Some(current) = stack.pop() {
        if !seen.insert(current.id.as_str()) {
            continue;
        }
        match &current.kind {
            NodeKind::Variant { job, .. } => match shared {
                None => shared = Some(own(job)),
                Some(first) if first != own(job) => return None,
                Some(_) => {}
            },
            // Neither is ever required by an approval or a shim; no filters.
            NodeKind::Check | NodeKind::Summary { .. } => match shared {
                None => shared = Some(None),
                Some(Some(_)) => return None,
                Some(None) => {}
            },
            NodeKind::Shim { gate: of, .. } | NodeKind::Record { of } => {
                stack.extend(graph.by_id.get(of.as_str()));
            }
            NodeKind::Approval { .. } => stack.extend(
                graph
                    .dependents
                    .get(current.id.as_str())
                    .into_iter()
                    .flatten(),
            ),
        }
    }
    shared.flatten().cloned()
}

/// `filters: {tags: {only: /.*/}}`: every branch and every tag.
pub(crate) fn every_tag() -> Value {
    mapping(&[("tags", mapping(&[("only", "/.*/".into())]))])
}
