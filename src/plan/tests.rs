//! Unit tests of `build_workflow` and `find_cycle`, on workflows and plans
//! built from model values (no file is read).

use std::path::PathBuf;

use indexmap::IndexMap;
use serde_yaml::Value;

use super::{Edge, Node, NodeKind, WorkflowPlan, build_workflow, find_cycle, positions};
use crate::config::{Loaded, RawProject};
use crate::model::{Job, Project, Refs, Requirement, Stage, Target, Trigger, Workflow};

/// A single-arch job `id` with one step, in the default stage.
fn job(id: &str) -> Job {
    Job {
        id: id.into(),
        stage: None,
        file: PathBuf::from(format!("jobs/{id}.yml")),
        keys: vec![],
        line: Some(1),
        archs: vec!["amd64".into()],
        arch_declared: false,
        executor: vec![],
        resource_class: None,
        environment: IndexMap::new(),
        steps: vec![Value::from("checkout")],
        commands: vec![],
        refs: Refs::default(),
        context: vec![],
        filters: None,
        source_files: vec![],
        requires: vec![],
        requires_any: vec![],
        gated: false,
        approval: false,
        persists_workspace: false,
        attaches_workspace: false,
        github: None,
        written: Default::default(),
    }
}

fn on(mut job: Job, archs: &[&str]) -> Job {
    job.archs = archs.iter().map(ToString::to_string).collect();
    job.arch_declared = true;
    job
}

fn requiring(mut job: Job, targets: &[&str]) -> Job {
    job.requires = targets
        .iter()
        .map(|id| Requirement {
            target: Target::Job {
                id: id.to_string(),
                arch: None,
            },
            statuses: None,
        })
        .collect();
    job
}

fn stage(name: &str, requires: &[&str], approval: bool) -> Stage {
    Stage {
        name: name.into(),
        requires: requires.iter().map(ToString::to_string).collect(),
        approval,
        empty: false,
        file: PathBuf::from("config.yml"),
        line: None,
    }
}

/// A project with default settings around `workflow`.
fn project(workflow: Workflow) -> Project {
    let loaded = Loaded {
        root: PathBuf::from("."),
        sources: vec![],
        project_sources: vec![],
        project: RawProject::default(),
        commands: vec![],
        workflows: vec![],
    };
    Project {
        root: loaded.root.clone(),
        settings: crate::model::settings::build(&loaded).expect("default settings"),
        commands: IndexMap::new(),
        workflows: vec![workflow],
        warnings: vec![],
    }
}

fn dynamic(stages: Vec<Stage>, jobs: Vec<Job>) -> Workflow {
    Workflow::new("main".into(), None, None, stages, jobs)
}

fn plan_of(workflow: Workflow) -> WorkflowPlan {
    let project = project(workflow);
    build_workflow(&project, &project.workflows[0], &mut vec![]).expect("plans")
}

fn error_of(workflow: Workflow) -> String {
    let project = project(workflow);
    build_workflow(&project, &project.workflows[0], &mut vec![])
        .expect_err("refused")
        .to_string()
}

/// Each node as `id <- requirement, …`, in plan order.
fn edges(plan: &WorkflowPlan) -> Vec<String> {
    plan.nodes
        .iter()
        .map(|node| {
            let targets: Vec<&str> = node.requires.iter().map(|e| e.target.as_str()).collect();
            format!("{} <- {}", node.id, targets.join(", "))
        })
        .collect()
}

#[test]
fn variants_pair_by_arch_and_a_single_arch_job_needs_every_variant() {
    let plan = plan_of(dynamic(
        vec![],
        vec![
            on(job("build"), &["amd64", "arm64"]),
            requiring(on(job("test"), &["amd64", "arm64"]), &["build"]),
            requiring(job("manifest"), &["build"]),
        ],
    ));
    assert_eq!(
        edges(&plan),
        [
            "build_amd64 <- ",
            "build_arm64 <- ",
            "test_amd64 <- build_amd64",
            "test_arm64 <- build_arm64",
            "manifest <- build_amd64, build_arm64",
        ]
    );
}

#[test]
fn a_stage_approval_comes_before_its_jobs_and_takes_the_stage_requires() {
    let mut build = job("build_app");
    build.stage = Some("build".into());
    let mut deploy = job("deploy_app");
    deploy.stage = Some("deploy".into());
    let plan = plan_of(dynamic(
        vec![
            stage("build", &[], false),
            stage("deploy", &["build"], true),
        ],
        vec![build, deploy],
    ));
    assert_eq!(
        edges(&plan),
        [
            "build_app <- ",
            "approve_deploy <- build_app",
            "deploy_app <- approve_deploy",
        ]
    );
    assert!(matches!(
        plan.nodes[1].kind,
        NodeKind::Approval {
            gate_of: None,
            by_hand: true
        }
    ));
}

#[test]
fn a_gated_job_has_its_gate_and_one_shim_per_trigger() {
    let mut image = job("image");
    image.gated = true;
    image.requires_any = ["lint", "docs"]
        .iter()
        .map(|id| Trigger {
            target: Target::Job {
                id: id.to_string(),
                arch: None,
            },
            line: Some(2),
        })
        .collect();
    let plan = plan_of(dynamic(vec![], vec![job("lint"), job("docs"), image]));
    assert_eq!(
        edges(&plan),
        [
            "lint <- ",
            "docs <- ",
            "approve_image <- ",
            "approve_image_after_lint <- lint",
            "approve_image_after_docs <- docs",
            "image <- approve_image",
        ]
    );
    assert_eq!(
        plan.nodes[3].kind,
        NodeKind::Shim {
            gate: "approve_image".into(),
            trigger: "lint".into()
        }
    );
}

#[test]
fn a_parallel_hashed_job_records_apart_in_the_dynamic_workflow_only() {
    let mut test = job("test");
    test.executor = vec![("parallelism".into(), Value::from(2))];
    test.source_files = vec!["src/**".into()];
    let plan = plan_of(dynamic(vec![], vec![test.clone()]));
    assert_eq!(edges(&plan), ["test <- ", "test_record <- test"]);
    assert_eq!(plan.nodes[1].kind, NodeKind::Record { of: "test".into() });

    let immediate = Workflow::new(
        "nightly".into(),
        Some("run".into()),
        None,
        vec![],
        vec![test],
    );
    assert_eq!(edges(&plan_of(immediate)), ["test <- "]);
}

#[test]
fn reserved_and_twice_produced_ids_are_errors_naming_the_file() {
    assert_eq!(
        error_of(dynamic(vec![], vec![job("cigen_setup")])),
        "jobs/cigen_setup.yml:1: `(job id)`: job id `cigen_setup` is reserved by cigen"
    );
    assert_eq!(
        error_of(dynamic(
            vec![],
            vec![on(job("a"), &["amd64", "arm64"]), job("a_arm64")]
        )),
        "jobs/a_arm64.yml:1: `(job id)`: id `a_arm64` is produced twice in workflow `main`: by this file and by jobs/a.yml\n  \
         hint: rename one of the jobs: variants are named `<id>_<arch>`, approvals `approve_<stage>` and `approve_<id>`"
    );
}

#[test]
fn a_dependency_cycle_is_an_error_naming_the_chain() {
    assert_eq!(
        error_of(dynamic(
            vec![],
            vec![requiring(job("a"), &["b"]), requiring(job("b"), &["a"])]
        )),
        "jobs/a.yml:1: `requires`: dependency cycle: a -> b -> a (each requires the next)"
    );
}

/// A plan of variants, each `(id, requirements)`.
fn graph(nodes: &[(&str, &[&str])]) -> WorkflowPlan {
    WorkflowPlan::new(
        "main".into(),
        nodes
            .iter()
            .map(|(id, requires)| Node {
                id: id.to_string(),
                kind: NodeKind::Approval {
                    gate_of: None,
                    by_hand: true,
                },
                stage: None,
                requires: requires.iter().map(|t| Edge::to(t.to_string())).collect(),
            })
            .collect(),
    )
}

fn cycle(nodes: &[(&str, &[&str])]) -> Option<Vec<String>> {
    let plan = graph(nodes);
    find_cycle(&plan, &positions(&plan.nodes))
}

#[test]
fn find_cycle_finds_none_in_a_diamond_or_past_unknown_targets() {
    let diamond: &[(&str, &[&str])] = &[
        ("top", &[]),
        ("left", &["top"]),
        ("right", &["top"]),
        ("bottom", &["left", "right", "elsewhere"]),
    ];
    assert_eq!(cycle(diamond), None);
}

#[test]
fn find_cycle_returns_the_cycle_with_its_first_node_repeated() {
    let nodes: &[(&str, &[&str])] = &[("x", &[]), ("a", &["x", "b"]), ("b", &["c"]), ("c", &["a"])];
    assert_eq!(
        cycle(nodes),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        cycle(&[("self", &["self"])]),
        Some(vec!["self".into(), "self".into()])
    );
}

#[test]
fn upstreams_are_walked_again_once_the_nodes_change() {
    let mut plan = WorkflowPlan::new(
        "main".into(),
        vec![
            Node::test_variant("build", &[], false, false),
            Node::test_variant("test", &["build"], false, false),
        ],
    );
    let before: Vec<(String, Vec<String>)> = plan
        .upstreams()
        .iter()
        .map(|(id, u)| (id.clone(), u.hashed.clone()))
        .collect();
    assert_eq!(
        before,
        [
            ("build".into(), vec![]),
            ("test".into(), vec!["build".to_string()])
        ]
    );
    // An edit in place (as the continuation's shape makes to the required
    // check) must not leave an old walk behind.
    plan.nodes
        .push(Node::test_variant("deploy", &["test"], false, false));
    let ids: Vec<String> = plan.upstreams().iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids, ["build", "test", "deploy"]);
    plan.nodes[2].requires.push(Edge::to("build".into()));
    let deploy = plan.upstreams()[2].1.hashed.clone();
    assert_eq!(deploy, ["build", "test"]);
}
