//! Renders a workflow plan as CircleCI's workflow `jobs:` list: plain job
//! names, invocations with `requires` (and job statuses), `context`,
//! `filters`, approval jobs, OR-dependency shims invoking the shared
//! `cigen_approve` job, and the record jobs of parallel variants. Pure.

use std::collections::{HashMap, HashSet};

use serde_yaml::{Mapping, Value};

use super::job::mapping;
use crate::model::{Project, Workflow};
use crate::plan::{APPROVE_JOB, Node, NodeKind, WorkflowPlan};

pub fn jobs(project: &Project, workflow: &Workflow, plan: &WorkflowPlan) -> Vec<Value> {
    let graph = Graph::new(plan);
    plan.nodes
        .iter()
        .map(|node| invocation(project, workflow, &graph, node))
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

fn invocation(project: &Project, workflow: &Workflow, graph: &Graph, node: &Node) -> Value {
    let mut params = Mapping::new();
    let mut name = node.id.clone();
    match &node.kind {
        NodeKind::Approval { .. } => {
            params.insert("type".into(), "approval".into());
        }
        NodeKind::Shim { gate, .. } => {
            name = APPROVE_JOB.to_string();
            params.insert("name".into(), node.id.clone().into());
            params.insert("job".into(), gate.clone().into());
        }
        NodeKind::Variant { .. } | NodeKind::Record { .. } => {}
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
        NodeKind::Variant { job, .. } => workflow
            .job(job)
            .map(|j| j.context.clone())
            .unwrap_or_default(),
        NodeKind::Shim { .. } => project.settings.setup.approve_context.clone(),
        NodeKind::Approval { .. } | NodeKind::Record { .. } => vec![],
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

/// A job's own filters; a record job runs where its variant does; for
/// approvals and shims the filters shared by every job variant they lead to
/// (an approval's dependents, a shim's gate, and on through further
/// approvals and shims), so a tag-only stage still gets its approval on
/// tags; none when they differ. Iterative with a visited set: a gate and
/// its shims may lead back to each other.
fn filters(workflow: &Workflow, graph: &Graph, node: &Node) -> Option<Value> {
    let own = |job: &str| workflow.job(job).and_then(|j| j.filters.as_ref());
    if let NodeKind::Variant { job, .. } = &node.kind {
        return own(job).cloned();
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
            NodeKind::Shim { gate: of, .. } | NodeKind::Record { of } => {
                stack.extend(graph.by_id.get(of.as_str()))
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
