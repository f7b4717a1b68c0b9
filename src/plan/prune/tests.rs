use super::*;

fn variant(id: &str, requires: &[&str], persists: bool, attaches: bool) -> Node {
    Node::test_variant(id, requires, persists, attaches)
}

fn approval(id: &str, requires: &[&str]) -> Node {
    let kind = NodeKind::Approval {
        gate_of: None,
        by_hand: true,
    };
    Node::test(id, kind, requires)
}

/// The gate of job `of` (`approve_OF`) that its `requires_any` shims
/// approve; `by_hand` when `approval: true` lets a human approve it too.
fn gate(of: &str, by_hand: bool) -> Node {
    let kind = NodeKind::Approval {
        gate_of: Some(of.to_string()),
        by_hand,
    };
    Node::test(&format!("approve_{of}"), kind, &[])
}

/// The shim that approves `gate` once `trigger` passed.
fn shim(gate: &str, trigger: &str) -> Node {
    let kind = NodeKind::Shim {
        gate: gate.to_string(),
        trigger: trigger.to_string(),
    };
    Node::test(&format!("{gate}_after_{trigger}"), kind, &[trigger])
}

/// Workflow `main` of `nodes`.
fn plan(nodes: Vec<Node>) -> WorkflowPlan {
    WorkflowPlan::new("main".into(), nodes)
}

/// The record job of a parallel variant, as `plan::build_workflow` makes it.
fn record(of: &str) -> Node {
    let kind = NodeKind::Record { of: of.to_string() };
    Node::test(&format!("{of}_record"), kind, &[of])
}

/// `remove` mode, as before stand-ins existed.
fn removed(plan: &WorkflowPlan, skip: &BTreeSet<String>, dormant: &BTreeSet<String>) -> Pruned {
    prune(plan, skip, dormant, &BTreeSet::new(), SkippedJobs::Remove)
}

/// `no_op` mode with every node certain to run (a stand-in never needs its gate).
fn no_op(plan: &WorkflowPlan, skip: &BTreeSet<String>) -> Pruned {
    let certain = plan.nodes.iter().map(|n| n.id.clone()).collect();
    no_op_certain(plan, skip, &certain)
}

/// `no_op` mode where only the `certain` nodes are sure to run.
fn no_op_certain(
    plan: &WorkflowPlan,
    skip: &BTreeSet<String>,
    certain: &BTreeSet<String>,
) -> Pruned {
    prune(plan, skip, &BTreeSet::new(), certain, SkippedJobs::NoOp)
}

fn skip(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(ToString::to_string).collect()
}

fn ids(plan: &WorkflowPlan) -> Vec<&str> {
    plan.nodes.iter().map(|n| n.id.as_str()).collect()
}

fn requires<'a>(plan: &'a WorkflowPlan, id: &str) -> Vec<&'a str> {
    let node = plan
        .node(id)
        .unwrap_or_else(|| panic!("{id} is not in the plan"));
    node.requires.iter().map(|e| e.target.as_str()).collect()
}

#[test]
fn rewires_to_nearest_kept_ancestors() {
    let plan = plan(vec![
        variant("install", &[], false, false),
        variant("lint", &[], false, false),
        variant("test", &["install", "lint"], false, false),
        variant("deploy", &["test"], false, false),
    ]);
    let out = removed(&plan, &skip(&["test"]), &BTreeSet::new());
    assert_eq!(ids(&out.plan), ["install", "lint", "deploy"]);
    assert_eq!(requires(&out.plan, "deploy"), ["install", "lint"]);
    assert_eq!(out.skipped, ["test"]);
    // A dependent whose own inputs changed still runs when its upstream is skipped.
    let out = removed(&plan, &skip(&["install"]), &BTreeSet::new());
    assert_eq!(requires(&out.plan, "test"), ["lint"]);
}

#[test]
fn unskips_workspace_producers_recursively() {
    let plan = plan(vec![
        variant("build", &[], true, false),
        variant("bundle", &["build"], true, true),
        variant("other", &[], false, false),
        variant("deploy", &["bundle", "other"], false, true),
    ]);
    let out = removed(
        &plan,
        &skip(&["build", "bundle", "other"]),
        &BTreeSet::new(),
    );
    assert_eq!(ids(&out.plan), ["build", "bundle", "deploy"]);
    assert_eq!(out.skipped, ["other"]);
    let reasons: Vec<&str> = out.unskipped.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(reasons, ["build", "bundle"]);
    assert_eq!(requires(&out.plan, "deploy"), ["bundle"]);
}

#[test]
fn a_dormant_consumer_keeps_no_producer() {
    let plan = plan(vec![
        variant("build", &[], true, false),
        variant("publish", &["build"], false, true),
    ]);
    let dormant: BTreeSet<String> = skip(&["publish"]);
    let out = removed(&plan, &skip(&["build"]), &dormant);
    assert_eq!(ids(&out.plan), ["publish"]);
    assert!(out.unskipped.is_empty());
    let out = removed(&plan, &skip(&["build"]), &BTreeSet::new());
    assert_eq!(ids(&out.plan), ["build", "publish"]);
}

#[test]
fn drops_orphaned_approvals_and_their_shims() {
    let plan = plan(vec![
        variant("build", &[], false, false),
        approval("approve_deploy", &["build"]),
        variant("deploy", &["approve_deploy"], false, false),
        approval("approve_image", &[]),
        shim("approve_image", "approve_deploy"),
        variant("image", &["approve_image"], false, false),
    ]);
    let out = removed(&plan, &skip(&["deploy", "image"]), &BTreeSet::new());
    assert_eq!(ids(&out.plan), ["build"]);
    assert_eq!(out.dropped.len(), 3);
    let out = removed(
        &plan,
        &skip(&["build", "deploy", "image"]),
        &BTreeSet::new(),
    );
    assert!(out.running().next().is_none());
    let out = removed(&plan, &skip(&["image", "nope"]), &BTreeSet::new());
    assert_eq!(ids(&out.plan), ["build", "approve_deploy", "deploy"]);
    assert_eq!(out.unknown, ["nope"]);
}

#[test]
fn a_skipped_jobs_gate_and_shims_go_with_it() {
    let plan = plan(vec![
        variant("test", &[], false, false),
        approval("approve_deploy", &[]),
        gate("image", true),
        shim("approve_image", "approve_deploy"),
        variant("image", &["test", "approve_image"], false, false),
        variant("manifest", &["image"], false, false),
        variant("deploy", &["manifest", "approve_deploy"], false, false),
    ]);
    let out = removed(&plan, &skip(&["image"]), &BTreeSet::new());
    assert_eq!(
        ids(&out.plan),
        ["test", "approve_deploy", "manifest", "deploy"]
    );
    assert_eq!(requires(&out.plan, "manifest"), ["test"]);
    assert_eq!(
        out.dropped,
        ["approve_image", "approve_image_after_approve_deploy"]
    );
}

/// build → deploy → cleanup, which runs once deploy succeeded or failed.
fn cleanup_plan() -> WorkflowPlan {
    let mut cleanup = variant("cleanup", &["deploy"], false, false);
    cleanup.requires[0].statuses = Some(vec!["success".into(), "failed".into()]);
    plan(vec![
        variant("build", &[], false, false),
        variant("deploy", &["build"], false, false),
        cleanup,
    ])
}

#[test]
fn keeps_statuses_when_rewiring() {
    let plan = cleanup_plan();
    let out = removed(&plan, &skip(&["deploy"]), &BTreeSet::new());
    let node = out.plan.node("cleanup").expect("kept");
    assert_eq!(node.requires[0].target, "build");
    assert_eq!(
        node.requires[0].statuses.as_deref(),
        Some(&["success".to_string(), "failed".to_string()][..])
    );
}

/// A parallel `rspec` (with its record job) between `install` and `deploy`.
fn parallel_plan(persists: bool, attaches: bool) -> WorkflowPlan {
    plan(vec![
        variant("install", &[], false, false),
        variant("rspec", &["install"], persists, false),
        record("rspec"),
        variant("deploy", &["rspec"], false, attaches),
    ])
}

#[test]
fn a_skipped_parallel_job_takes_its_record_job_along() {
    let out = removed(
        &parallel_plan(false, false),
        &skip(&["rspec"]),
        &BTreeSet::new(),
    );
    assert_eq!(ids(&out.plan), ["install", "deploy"]);
    assert_eq!(requires(&out.plan, "deploy"), ["install"]);
    // The skip list names the variant only; the record job is no variant.
    assert_eq!(out.skipped, ["rspec"]);
    assert!(out.dropped.is_empty() && out.unknown.is_empty());
}

#[test]
fn a_kept_parallel_job_keeps_its_record_job() {
    let plan = parallel_plan(false, false);
    let out = removed(&plan, &skip(&["install", "deploy"]), &BTreeSet::new());
    assert_eq!(ids(&out.plan), ["rspec", "rspec_record"]);
    assert_eq!(requires(&out.plan, "rspec_record"), ["rspec"]);
    let out = removed(&plan, &BTreeSet::new(), &BTreeSet::new());
    assert_eq!(out.plan, plan);
    // The record job is not a variant: naming it in the skip list skips nothing.
    let out = removed(&plan, &skip(&["rspec_record"]), &BTreeSet::new());
    assert_eq!(out.plan, plan);
    assert_eq!(out.unknown, ["rspec_record"]);
}

#[test]
fn an_unskipped_parallel_producer_keeps_its_record_job() {
    let plan = parallel_plan(true, true);
    let out = removed(&plan, &skip(&["rspec"]), &BTreeSet::new());
    assert_eq!(
        ids(&out.plan),
        ["install", "rspec", "rspec_record", "deploy"]
    );
    assert_eq!(out.unskipped[0].0, "rspec");
    assert!(out.skipped.is_empty());
    // Dormant consumer: the producer stays skipped, and its record job with it.
    let out = removed(&plan, &skip(&["rspec"]), &skip(&["deploy"]));
    assert_eq!(ids(&out.plan), ["install", "deploy"]);
}

#[test]
fn stand_ins_keep_every_requirement_and_status() {
    let plan = cleanup_plan();
    let out = no_op(&plan, &skip(&["build", "deploy"]));
    assert_eq!(out.plan, plan);
    assert_eq!(out.skipped, ["build", "deploy"]);
    assert_eq!(out.stand_ins, skip(&["build", "deploy"]));
    let running: Vec<&str> = out.running().map(|n| n.id.as_str()).collect();
    assert_eq!(running, ["cleanup"]);
}

#[test]
fn a_stand_in_drops_its_own_gate_and_shims_but_stage_approvals_stay() {
    let plan = plan(vec![
        variant("test", &[], false, false),
        approval("approve_deploy", &["test"]),
        gate("image", true),
        shim("approve_image", "approve_deploy"),
        variant("image", &["test", "approve_image"], false, false),
        variant("deploy", &["image", "approve_deploy"], false, false),
    ]);
    let out = no_op(&plan, &skip(&["image", "deploy"]));
    assert_eq!(
        ids(&out.plan),
        ["test", "approve_deploy", "image", "deploy"]
    );
    assert_eq!(requires(&out.plan, "image"), ["test"]);
    assert_eq!(requires(&out.plan, "deploy"), ["image", "approve_deploy"]);
    assert_eq!(
        out.dropped,
        ["approve_image", "approve_image_after_approve_deploy"]
    );
}

#[test]
fn a_gate_another_job_requires_stays_with_its_shims() {
    let plan = plan(vec![
        variant("test", &[], false, false),
        gate("image", false),
        shim("approve_image", "test"),
        variant("image", &["approve_image"], false, false),
        variant("scan", &["approve_image"], false, false),
    ]);
    let out = no_op(&plan, &skip(&["image"]));
    assert!(requires(&out.plan, "image").is_empty());
    assert_eq!(requires(&out.plan, "scan"), ["approve_image"]);
    assert!(out.plan.node("approve_image_after_test").is_some());
    assert!(out.dropped.is_empty());
}

#[test]
fn a_skipped_parallel_stand_in_loses_its_record_job_and_producers_are_unskipped() {
    let out = no_op(&parallel_plan(false, false), &skip(&["rspec"]));
    assert_eq!(ids(&out.plan), ["install", "rspec", "deploy"]);
    assert!(out.dropped.is_empty());
    let out = no_op(&parallel_plan(true, true), &skip(&["rspec"]));
    assert_eq!(
        ids(&out.plan),
        ["install", "rspec", "rspec_record", "deploy"]
    );
    assert!(out.stand_ins.is_empty() && out.skipped.is_empty());
}

/// A gated `image` (gate `approve_image`, one shim on `test`) that also
/// requires `x`, and `deploy` after it; `scan` requires the gate too when asked.
fn gated_after_x(scan: bool) -> WorkflowPlan {
    let mut nodes = vec![
        variant("x", &[], false, false),
        variant("test", &[], false, false),
        gate("image", false),
        shim("approve_image", "test"),
        variant("image", &["x", "approve_image"], false, false),
        variant("deploy", &["image"], false, false),
    ];
    if scan {
        nodes.push(variant("scan", &["approve_image"], false, false));
    }
    plan(nodes)
}

#[test]
fn a_stand_in_whose_other_requirements_may_be_filtered_out_keeps_its_gate_as_a_stand_in() {
    // `x` may be filtered out here: without its gate `image` would require
    // only `x`, and CircleCI would run neither it nor `deploy`.
    let plan = gated_after_x(false);
    let certain = skip(&["test", "approve_image"]);
    let out = no_op_certain(&plan, &skip(&["image"]), &certain);
    assert_eq!(requires(&out.plan, "image"), ["x", "approve_image"]);
    assert_eq!(out.stand_ins, skip(&["approve_image", "image"]));
    assert_eq!(out.dropped, ["approve_image_after_test"]);
    assert_eq!(
        ids(&out.plan),
        ["x", "test", "approve_image", "image", "deploy"]
    );
    // With `x` certain the gate is not needed: the edge goes, and the gate with it.
    let certain = skip(&["x", "test", "approve_image"]);
    let out = no_op_certain(&plan, &skip(&["image"]), &certain);
    assert_eq!(requires(&out.plan, "image"), ["x"]);
    assert_eq!(out.stand_ins, skip(&["image"]));
    assert_eq!(out.dropped, ["approve_image", "approve_image_after_test"]);
}

#[test]
fn a_gate_a_running_job_requires_stays_an_approval_that_the_stand_in_still_waits_for() {
    let plan = gated_after_x(true);
    let certain = skip(&["test", "approve_image"]);
    let out = no_op_certain(&plan, &skip(&["image"]), &certain);
    assert_eq!(requires(&out.plan, "image"), ["x", "approve_image"]);
    assert_eq!(out.stand_ins, skip(&["image"]));
    assert!(out.plan.node("approve_image_after_test").is_some());
    assert!(out.dropped.is_empty());
}
