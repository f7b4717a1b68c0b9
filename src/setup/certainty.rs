//! What the continuation may conclude from `filters` (DESIGN §4). cigen
//! never evaluates a filter: CircleCI's regular expressions are Java's
//! (https://circleci.com/docs/guides/orchestrate/workflows/#using-regular-expressions-to-filter-tags-and-branches)
//! and expression filters read pipeline values. It reads only what
//! CircleCI's documented rules leave no doubt about
//! (https://circleci.com/docs/reference/configuration-reference/#jobfilters):
//! a plain name (not `/regex/`) is compared exactly; `/.*/` matches every
//! name; a job without `branches:` runs on every branch, one without
//! `tags:` (or with `tags:` naming neither `only` nor `ignore`) on no tag.
//! Every other regex, every expression string and a `branches:` naming
//! neither `only` nor `ignore` (the docs disagree on it) leave it open.
//! With both `only` and `ignore`, both must agree. Two questions:
//!
//! - *certain to run* (branch pipelines only; on a tag nothing is): the
//!   node's filters certainly admit this branch — no filters, tag filters
//!   only, or plain names that settle it — and its `requires` are empty or
//!   hold at least one certain node. CircleCI ignores requirements that
//!   filters leave out, but a job whose every requirement is left out does
//!   not run either
//!   (https://circleci.com/docs/reference/configuration-reference/#requires).
//! - *certainly not run*: the node's filters certainly exclude this ref, or
//!   every one of its requirements certainly does not run.
//!
//! Input: a plan, the filters each node is emitted with, the ref. Output:
//! the two sets of node ids. Pure.

use std::collections::{BTreeSet, HashMap};

use serde_yaml::Value;

use super::reference::Ref;
use crate::plan::WorkflowPlan;

/// Matches every name: the one regex cigen reads.
const EVERYTHING: &str = "/.*/";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Certainty {
    /// Nodes certain to run in this pipeline.
    pub certain: BTreeSet<String>,
    /// Nodes certain not to run in this pipeline.
    pub never: BTreeSet<String>,
}

/// Both sets for every node of `plan`; `filters` maps node id to its
/// emitted filters (a node missing there counts as unfiltered).
pub fn analyse(
    plan: &WorkflowPlan,
    filters: &HashMap<String, Option<Value>>,
    reference: &Ref,
) -> Certainty {
    let own = |id: &str| filters.get(id).and_then(Option::as_ref);
    let mut out = Certainty::default();
    for at in topological(plan) {
        let node = &plan.nodes[at];
        let targets: Vec<&str> = node
            .requires
            .iter()
            .map(|e| e.target.as_str())
            .filter(|t| plan.node(t).is_some())
            .collect();
        let certain = admits(own(&node.id), reference)
            && (targets.is_empty() || targets.iter().any(|t| out.certain.contains(*t)));
        let never = excludes(own(&node.id), reference)
            || (!targets.is_empty() && targets.iter().all(|t| out.never.contains(*t)));
        if certain {
            out.certain.insert(node.id.clone());
        }
        if never {
            out.never.insert(node.id.clone());
        }
    }
    out
}

/// Node positions with every requirement before its dependent (Kahn).
/// Nodes on a cycle, which planning refuses, come last in plan order.
fn topological(plan: &WorkflowPlan) -> Vec<usize> {
    let index: HashMap<&str, usize> = plan
        .nodes
        .iter()
        .enumerate()
        .map(|(at, node)| (node.id.as_str(), at))
        .collect();
    let mut waiting: Vec<usize> = vec![0; plan.nodes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![vec![]; plan.nodes.len()];
    for (at, node) in plan.nodes.iter().enumerate() {
        for edge in &node.requires {
            if let Some(&target) = index.get(edge.target.as_str()) {
                waiting[at] += 1;
                dependents[target].push(at);
            }
        }
    }
    let mut ready: Vec<usize> = (0..plan.nodes.len())
        .filter(|&at| waiting[at] == 0)
        .collect();
    ready.reverse();
    let mut order = vec![];
    while let Some(at) = ready.pop() {
        order.push(at);
        for &next in &dependents[at] {
            waiting[next] -= 1;
            if waiting[next] == 0 {
                ready.push(next);
            }
        }
    }
    let placed: BTreeSet<usize> = order.iter().copied().collect();
    order.extend((0..plan.nodes.len()).filter(|at| !placed.contains(at)));
    order
}

/// Whether `filters` certainly let a job run for `reference` (never on a tag).
pub fn admits(filters: Option<&Value>, reference: &Ref) -> bool {
    let branches = match filters {
        None => return !reference.is_tag(),
        Some(Value::Mapping(map)) => map.get("branches"),
        Some(_) => return false,
    };
    match (reference, branches) {
        (Ref::Tag(_), _) => false,
        // Without `branches:` a job runs on every branch.
        (_, None) => true,
        (Ref::Unknown, Some(_)) => false,
        (Ref::Branch(name), Some(section)) => section_admits(section, name),
    }
}

/// Whether `filters` certainly keep a job from running for `reference`.
pub fn excludes(filters: Option<&Value>, reference: &Ref) -> bool {
    match reference {
        Ref::Unknown => false,
        Ref::Branch(name) => match filters {
            Some(Value::Mapping(map)) => map
                .get("branches")
                .is_some_and(|section| section_excludes(section, name, false)),
            _ => false,
        },
        // CircleCI runs no job on a tag unless its filters name tags.
        Ref::Tag(name) => match filters {
            None => true,
            Some(Value::Mapping(map)) => match map.get("tags") {
                None => true,
                Some(section) => section_excludes(section, name, true),
            },
            Some(_) => false,
        },
    }
}

/// One `branches:` or `tags:` section against `name`.
fn section_excludes(section: &Value, name: &str, tags: bool) -> bool {
    match (section.get("only"), section.get("ignore")) {
        // Tags: "skipped for all tags". Branches: the two pages disagree.
        (None, None) => tags,
        (Some(only), None) => lacks(only, name),
        (None, Some(ignore)) => holds(ignore, name),
        (Some(only), Some(ignore)) => lacks(only, name) && holds(ignore, name),
    }
}

/// One `branches:` section certainly admitting `name`.
fn section_admits(section: &Value, name: &str) -> bool {
    match (section.get("only"), section.get("ignore")) {
        (None, None) => false,
        (Some(only), None) => holds(only, name),
        (None, Some(ignore)) => lacks(ignore, name),
        (Some(only), Some(ignore)) => holds(only, name) && lacks(ignore, name),
    }
}

/// The entries of an `only`/`ignore` value (a string or a list).
fn entries(patterns: &Value) -> Vec<Option<&str>> {
    match patterns {
        Value::Sequence(many) => many.iter().map(Value::as_str).collect(),
        one => vec![one.as_str()],
    }
}

fn is_regex(entry: &str) -> bool {
    entry.len() >= 2 && entry.starts_with('/') && entry.ends_with('/')
}

/// Certainly matches `name`: an equal plain entry, or `/.*/`.
fn holds(patterns: &Value, name: &str) -> bool {
    entries(patterns)
        .into_iter()
        .flatten()
        .any(|entry| entry == EVERYTHING || (!is_regex(entry) && entry == name))
}

/// Certainly does not match `name`: every entry plain and none equal.
fn lacks(patterns: &Value, name: &str) -> bool {
    let entries = entries(patterns);
    !entries.is_empty()
        && entries
            .into_iter()
            .all(|entry| entry.is_some_and(|e| !is_regex(e) && e != name))
}

#[cfg(test)]
mod tests;
