//! Stages declared with no jobs: requiring one means requiring its approval
//! or, without one, what it requires, transitively — the ordering around it
//! stays — and each prints a warning naming the stage's file and line. An
//! empty approval stage keeps its approval when something waits for it and
//! is left out (with a warning) when nothing does.

use serde_yaml::Value;

use crate::common::*;

const JOB: &str = "image: cimg/base:current\nsteps:\n  - run: 'true'\n";
const WORKFLOW: &str = ".cigen/workflows/main/config.yml";

/// A workflow with the given stages (YAML list items) and jobs `test/unit`
/// and `deploy/app`.
fn project(stages: &str) -> Repo {
    minimal(&[("test/unit.yml", JOB), ("deploy/app.yml", JOB)])
        .file(WORKFLOW, &format!("stages:\n{stages}"))
}

/// `generate` must pass; returns main.yml (checked against CircleCI's
/// schema and for dangling references) and stderr.
fn generate(repo: &Repo) -> (Value, String) {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "generate: {}", stderr(&output));
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);
    let main = repo.yaml(".circleci/main.yml");
    assert_references_resolve(&main);
    (main, stderr(&output))
}

#[test]
fn a_stage_after_an_empty_stage_keeps_its_ordering() {
    // `deploy` used to lose its wait for `test` silently.
    let repo = project(
        "  - name: test\n  - name: lint\n    requires: [test]\n  - name: docs\n    requires: [lint]\n  - name: deploy\n    requires: [docs]\n",
    );
    let (main, err) = generate(&repo);
    assert_eq!(requires(&main, "main", "deploy_app"), ["test_unit"]);
    assert_eq!(
        workflow_job_names(&main, "main"),
        ["test_unit", "deploy_app"]
    );
    assert_eq!(
        err,
        "warning: .cigen/workflows/main/config.yml:3: stage `lint` has no jobs: what requires it waits for what it requires instead (stage `test`)\n\
         warning: .cigen/workflows/main/config.yml:5: stage `docs` has no jobs: what requires it waits for what it requires instead (stage `lint`)\n"
    );
}

#[test]
fn an_empty_approval_stage_keeps_its_gate() {
    let repo = project(
        "  - name: test\n  - name: hold\n    approval: true\n    requires: [test]\n  - name: deploy\n    requires: [hold]\n",
    );
    let (main, err) = generate(&repo);
    assert_eq!(
        workflow_job_names(&main, "main"),
        ["test_unit", "approve_hold", "deploy_app"]
    );
    let jobs = workflow_jobs(&main, "main");
    assert_eq!(jobs[1].1["type"], "approval");
    assert_eq!(requires(&main, "main", "approve_hold"), ["test_unit"]);
    assert_eq!(requires(&main, "main", "deploy_app"), ["approve_hold"]);
    assert_eq!(
        err,
        "warning: .cigen/workflows/main/config.yml:3: stage `hold` has no jobs: `approve_hold` stays, so what requires the stage still waits for that approval\n"
    );
}

#[test]
fn an_empty_approval_stage_nothing_waits_for_is_left_out() {
    let repo = project(
        "  - name: test\n  - name: hold\n    approval: true\n    requires: [test]\n  - name: deploy\n",
    );
    let (main, err) = generate(&repo);
    assert_eq!(
        workflow_job_names(&main, "main"),
        ["test_unit", "deploy_app"]
    );
    assert_eq!(
        err,
        "warning: .cigen/workflows/main/config.yml:3: stage `hold` has no jobs and nothing requires it: `approve_hold` would gate nothing and only hold the workflow, so it is left out\n"
    );
}

#[test]
fn gates_behind_empty_stages_stay_when_a_job_or_a_stage_waits_for_them() {
    // `deploy` waits for `approve_late` through the empty `relay`; the job
    // `notify` names `approve_early` itself.
    let repo = project(
        "  - name: early\n    approval: true\n  - name: test\n  - name: late\n    approval: true\n    requires: [test]\n  - name: relay\n    requires: [late]\n  - name: deploy\n    requires: [relay]\n",
    )
    .file(
        ".cigen/workflows/main/jobs/notify.yml",
        &format!("requires: [approve_early]\n{JOB}"),
    );
    let (main, _) = generate(&repo);
    assert_eq!(
        workflow_job_names(&main, "main"),
        [
            "notify",
            "approve_early",
            "test_unit",
            "approve_late",
            "deploy_app"
        ]
    );
    assert_eq!(requires(&main, "main", "notify"), ["approve_early"]);
    assert_eq!(requires(&main, "main", "approve_late"), ["test_unit"]);
    assert_eq!(requires(&main, "main", "deploy_app"), ["approve_late"]);
}

#[test]
fn a_cycle_of_empty_stages_is_an_error() {
    let repo = project(
        "  - name: test\n  - name: a\n    requires: [b]\n  - name: b\n    requires: [a]\n  - name: deploy\n    requires: [a]\n",
    );
    repo.fails_with(
        &["generate"],
        2,
        "error: .cigen/workflows/main/config.yml:3: `stages`: stage cycle: a -> b -> a (each requires the next)\n",
    );
}

#[test]
fn a_hashed_job_after_an_empty_stage_chains_the_hash_of_what_it_waits_for() {
    // The restored ordering is a dependency: a change that re-runs `test`
    // must re-run `deploy` too, never let it skip on a stale marker.
    let repo = minimal(&[
        ("test/unit.yml", &format!("source_files: [\"src/**\"]\n{JOB}")),
        ("deploy/app.yml", &format!("source_files: [\"deploy.sh\"]\n{JOB}")),
    ])
    .file(
        WORKFLOW,
        "stages:\n  - name: test\n  - name: lint\n    requires: [test]\n  - name: deploy\n    requires: [lint]\n",
    )
    .file("src/lib.rs", "pub fn f() {}\n")
    .file("deploy.sh", "true\n");
    repo.commit_all();
    let before = hash_json(&repo, &[]);
    repo.write("src/lib.rs", "pub fn g() {}\n");
    let after = hash_json(&repo, &[]);
    assert_eq!(moved(&before, &after), ["deploy_app", "test_unit"]);
}
