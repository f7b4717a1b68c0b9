//! The required check (`setup.required_check: NAME`, DESIGN §4): a
//! `type: no-op` job NAME at the end of the dynamic workflow that requires
//! every user job variant not (transitively) behind an approval, so branch
//! protection needs one status, `ci/circleci: <workflow>/NAME`, whatever
//! was skipped. Input: the unpruned plan of the dynamic workflow. Output:
//! the same plan with the check node appended. Jobs behind an approval
//! (stage approvals and the gates of `approval`/`requires_any` jobs) are
//! left out: the check would otherwise wait for a person, or for a trigger
//! that may never succeed. Record jobs are not user jobs and are left out.

use std::collections::HashMap;

use super::{Edge, Node, NodeKind, WorkflowPlan};

/// Appends the check node `name` to `plan`; `plan` must be acyclic.
pub(super) fn add(plan: &mut WorkflowPlan, name: &str) {
    let behind = behind_approval(plan);
    let requires = plan
        .variants()
        .filter(|node| !behind[node.id.as_str()])
        .map(|node| Edge {
            target: node.id.clone(),
            statuses: None,
        })
        .collect();
    plan.nodes.push(Node {
        id: name.to_string(),
        kind: NodeKind::Check,
        stage: None,
        requires,
    });
}

/// For each node, whether an approval is among its transitive requirements.
fn behind_approval(plan: &WorkflowPlan) -> HashMap<&str, bool> {
    let by_id: HashMap<&str, &Node> = plan.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut memo: HashMap<&str, bool> = HashMap::new();
    for node in &plan.nodes {
        // Iterative post-order: a requirement is decided before its dependent.
        let mut stack: Vec<(&str, bool)> = vec![(node.id.as_str(), false)];
        while let Some((id, expanded)) = stack.pop() {
            if memo.contains_key(id) {
                continue;
            }
            let Some(current) = by_id.get(id) else {
                memo.insert(id, false);
                continue;
            };
            let targets = current.requires.iter().map(|e| e.target.as_str());
            if expanded {
                let behind = targets.into_iter().any(|target| {
                    by_id
                        .get(target)
                        .is_some_and(|n| matches!(n.kind, NodeKind::Approval { .. }))
                        || memo.get(target).copied().unwrap_or(false)
                });
                memo.insert(id, behind);
            } else {
                stack.push((id, true));
                stack.extend(
                    targets
                        .filter(|t| !memo.contains_key(t))
                        .map(|t| (t, false)),
                );
            }
        }
    }
    memo
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, kind: NodeKind, requires: &[&str]) -> Node {
        Node::test(id, kind, requires)
    }

    fn variant(id: &str, requires: &[&str]) -> Node {
        let kind = NodeKind::Variant {
            job: id.into(),
            arch: "amd64".into(),
            hashed: true,
            persists: false,
            attaches: false,
        };
        node(id, kind, requires)
    }

    #[test]
    fn requires_every_variant_not_behind_an_approval() {
        let approval = NodeKind::Approval {
            gate_of: None,
            by_hand: true,
        };
        let mut plan = WorkflowPlan::new(
            "main".into(),
            vec![
                variant("install", &[]),
                variant("test", &["install"]),
                node(
                    "test_record",
                    NodeKind::Record { of: "test".into() },
                    &["test"],
                ),
                node("approve_deploy", approval, &["test"]),
                variant("deploy", &["approve_deploy"]),
                variant("cleanup", &["deploy"]),
            ],
        );
        add(&mut plan, "ci_passed");
        let check = plan.node("ci_passed").expect("added");
        assert_eq!(check.kind, NodeKind::Check);
        let targets: Vec<&str> = check.requires.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, ["install", "test"]);
    }
}
