//! Renders a workflow plan as CircleCI's workflow `jobs:` list: plain job
//! names, invocations with `requires` (and job statuses), `context`,
//! `filters`, approval jobs, OR-dependency shims invoking the shared
//! `cigen_approve` job, and the record jobs of parallel variants. Pure.

use serde_yaml::{Mapping, Value};

use super::job::mapping;
use crate::model::{Project, Workflow};
use crate::plan::{APPROVE_JOB, Node, NodeKind, WorkflowPlan};

pub fn jobs(project: &Project, workflow: &Workflow, plan: &WorkflowPlan) -> Vec<Value> {
    plan.nodes
        .iter()
        .map(|node| invocation(project, workflow, plan, node))
        .collect()
}

fn invocation(project: &Project, workflow: &Workflow, plan: &WorkflowPlan, node: &Node) -> Value {
    let mut params = Mapping::new();
    let mut name = node.id.clone();
    match &node.kind {
        NodeKind::Approval { .. } => {
            params.insert("type".into(), "approval".into());
        }
        NodeKind::Shim { gate } => {
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
    if let Some(filters) = filters(workflow, plan, node) {
        params.insert("filters".into(), filters);
    }
    if params.is_empty() {
        return Value::from(name);
    }
    mapping(&[(name.as_str(), Value::Mapping(params))])
}

/// A job's own filters; a record job runs where its variant does; for
/// approvals and shims the filters all their dependents share, so a
/// tag-only stage still gets its approval on tags.
fn filters(workflow: &Workflow, plan: &WorkflowPlan, node: &Node) -> Option<Value> {
    match &node.kind {
        NodeKind::Variant { job, .. } => workflow.job(job).and_then(|j| j.filters.clone()),
        NodeKind::Shim { gate: of } | NodeKind::Record { of } => {
            plan.node(of).and_then(|of| filters(workflow, plan, of))
        }
        NodeKind::Approval { .. } => {
            let dependents: Vec<Option<Value>> = plan
                .nodes
                .iter()
                .filter(|other| other.requires.iter().any(|e| e.target == node.id))
                .map(|other| filters(workflow, plan, other))
                .collect();
            let first = dependents.first()?.clone();
            dependents
                .iter()
                .all(|f| *f == first)
                .then_some(first)
                .flatten()
        }
    }
}
