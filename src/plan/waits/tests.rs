//! Unit tests of `waits`: OR-triggers that wait for their own job, on
//! hand-built plans.

use super::SelfWait;
use crate::plan::{Edge, Node, NodeKind, WorkflowPlan, positions};

fn self_waits(plan: &WorkflowPlan) -> Vec<SelfWait> {
    super::self_waits(plan, &positions(&plan.nodes))
}

fn edges(requires: &[&str]) -> Vec<Edge> {
    requires.iter().map(|t| Edge::to(t.to_string())).collect()
}

fn variant(id: &str, job: &str, requires: &[&str]) -> Node {
    Node {
        id: id.into(),
        kind: NodeKind::Variant {
            job: job.into(),
            arch: "amd64".into(),
            hashed: false,
            persists: false,
            attaches: false,
        },
        stage: None,
        requires: edges(requires),
    }
}

fn stage_approval(id: &str, requires: &[&str]) -> Node {
    Node {
        id: id.into(),
        kind: NodeKind::Approval {
            gate_of: None,
            by_hand: true,
        },
        stage: None,
        requires: edges(requires),
    }
}

fn gate(job: &str, by_hand: bool) -> Node {
    Node {
        id: format!("approve_{job}"),
        kind: NodeKind::Approval {
            gate_of: Some(job.into()),
            by_hand,
        },
        stage: None,
        requires: vec![],
    }
}

/// The shim of `job`'s gate for `trigger`, requiring `requires`.
fn shim(job: &str, trigger: &str, requires: &[&str]) -> Node {
    Node {
        id: format!("approve_{job}_after_{trigger}"),
        kind: NodeKind::Shim {
            gate: format!("approve_{job}"),
            trigger: trigger.into(),
        },
        stage: None,
        requires: edges(requires),
    }
}

fn plan(nodes: Vec<Node>) -> WorkflowPlan {
    WorkflowPlan::new("main".into(), nodes)
}

fn pairs(waits: &[SelfWait]) -> Vec<(&str, &str, String)> {
    waits
        .iter()
        .map(|w| (w.job.as_str(), w.trigger.as_str(), w.chain.join(" -> ")))
        .collect()
}

#[test]
fn a_stage_approval_requiring_the_job_waits_for_it() {
    // build_img (two arches) starts when approve_deploy is approved, but
    // approve_deploy requires both builds.
    let plan = plan(vec![
        gate("build_img", true),
        shim("build_img", "approve_deploy", &["approve_deploy"]),
        variant("build_img_amd64", "build_img", &["approve_build_img"]),
        variant("build_img_arm64", "build_img", &["approve_build_img"]),
        stage_approval("approve_deploy", &["build_img_amd64", "build_img_arm64"]),
        variant("deploy_go", "deploy_go", &["approve_deploy"]),
    ]);
    let waits = self_waits(&plan);
    assert_eq!(
        pairs(&waits),
        [(
            "build_img",
            "approve_deploy",
            "approve_deploy -> build_img_amd64".to_string()
        )]
    );
    assert_eq!(waits[0].shim, "approve_build_img_after_approve_deploy");
}

#[test]
fn a_trigger_that_runs_independently_does_not_wait() {
    let plan = plan(vec![
        variant("lint", "lint", &[]),
        stage_approval("approve_deploy", &["lint"]),
        gate("image", false),
        shim("image", "approve_deploy", &["approve_deploy"]),
        shim("image", "lint", &["lint"]),
        variant("image", "image", &["approve_image"]),
        variant("publish", "publish", &["image"]),
    ]);
    assert!(self_waits(&plan).is_empty());
}

#[test]
fn only_the_waiting_triggers_of_a_job_are_reported() {
    let plan = plan(vec![
        variant("lint", "lint", &[]),
        gate("image", false),
        shim("image", "lint", &["lint"]),
        shim("image", "publish", &["publish"]),
        variant("image", "image", &["approve_image"]),
        variant("publish", "publish", &["image"]),
    ]);
    assert_eq!(
        pairs(&self_waits(&plan)),
        [("image", "publish", "publish -> image".to_string())]
    );
}

#[test]
fn a_gate_only_shims_open_waits_when_every_shim_does() {
    // `late` has no `approval: true`: its gate opens only through its
    // shims; the one after `deploy` waits for `deploy`, which waits for `image`.
    let nodes = |late_by_hand: bool, also_after_lint: bool| {
        let mut nodes = vec![
            gate("image", false),
            shim("image", "approve_late", &["approve_late"]),
            variant("image", "image", &["approve_image"]),
            variant("deploy", "deploy", &["image"]),
            variant("lint", "lint", &[]),
            gate("late", late_by_hand),
            shim("late", "deploy", &["deploy"]),
            variant("late", "late", &["approve_late"]),
        ];
        if also_after_lint {
            nodes.push(shim("late", "lint", &["lint"]));
        }
        plan(nodes)
    };
    let waits = self_waits(&nodes(false, false));
    let image: Vec<_> = pairs(&waits)
        .into_iter()
        .filter(|(job, _, _)| *job == "image")
        .collect();
    assert_eq!(
        image,
        [(
            "image",
            "approve_late",
            "approve_late -> approve_late_after_deploy -> deploy -> image".to_string()
        )]
    );
    // A second shim that does not wait opens the gate without `image`.
    let waits = self_waits(&nodes(false, true));
    assert!(waits.iter().all(|w| w.job != "image"), "{waits:?}");
    // So does approval by hand.
    let waits = self_waits(&nodes(true, false));
    assert!(waits.iter().all(|w| w.job != "image"), "{waits:?}");
}

#[test]
fn gates_that_trigger_each_other_terminate_and_wait_only_when_not_by_hand() {
    let nodes = |by_hand: bool| {
        plan(vec![
            gate("a", by_hand),
            shim("a", "approve_b", &["approve_b"]),
            variant("a", "a", &["approve_a"]),
            gate("b", by_hand),
            shim("b", "approve_a", &["approve_a"]),
            variant("b", "b", &["approve_b"]),
        ])
    };
    assert!(self_waits(&nodes(true)).is_empty());
    assert_eq!(
        pairs(&self_waits(&nodes(false))),
        [
            (
                "a",
                "approve_b",
                "approve_b -> approve_b_after_approve_a -> approve_a".to_string()
            ),
            (
                "b",
                "approve_a",
                "approve_a -> approve_a_after_approve_b -> approve_b".to_string()
            ),
        ]
    );
}

#[test]
fn the_pruned_loop_of_gate_approval_and_shim_is_analysed_without_looping() {
    // What `continue` builds when build_img_amd64 is skipped: the stage
    // approval now requires the gate its own shim approves.
    let plan = plan(vec![
        gate("build_img", true),
        shim("build_img", "approve_deploy", &["approve_deploy"]),
        variant("build_img_arm64", "build_img", &["approve_build_img"]),
        stage_approval("approve_deploy", &["approve_build_img", "build_img_arm64"]),
        variant("deploy_go", "deploy_go", &["approve_deploy"]),
    ]);
    assert_eq!(
        pairs(&self_waits(&plan)),
        [(
            "build_img",
            "approve_deploy",
            "approve_deploy -> approve_build_img".to_string()
        )]
    );
}
