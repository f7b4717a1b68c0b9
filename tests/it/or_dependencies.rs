//! OR-dependencies (`requires_any`) on graphs where a trigger waits for the
//! job it should start, through the real binary: the two stack overflows
//! such graphs caused (`r_…`), the warning naming the chain, and the exit-2
//! error when no trigger can ever start the job.

use serde_yaml::Value;

use crate::common::*;

/// Two jobs, each approvable by hand, each also started by the other's gate.
fn gates_naming_each_other(filters: &str) -> Repo {
    minimal(&[
        (
            "a.yml",
            &format!(
                "image: x\napproval: true\nrequires_any: [approve_b]\n{filters}steps: [{{run: make}}]\n"
            ),
        ),
        (
            "b.yml",
            &format!(
                "image: x\napproval: true\nrequires_any: [approve_a]\n{filters}steps: [{{run: make}}]\n"
            ),
        ),
    ])
}

/// install → test → build → deploy (approval, requires build); `build/img`
/// is multi-arch, hashed, and started by `approve_deploy`, which itself
/// waits for the image. `img_extra` is added to `build/img.yml`.
fn deploy_triggers_its_own_build(img_extra: &str) -> Repo {
    Repo::new()
        .file(
            ".cigen/config.yml",
            "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n",
        )
        .file(
            ".cigen/workflows/main/config.yml",
            "stages:\n  - name: install\n  - name: test\n    requires: [install]\n  - name: build\n    requires: [test]\n  - name: deploy\n    approval: true\n    requires: [build]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/install/j.yml",
            "image: x\nsource_files: [src.txt]\nsteps: [{run: make}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/test/j.yml",
            "image: x\nsource_files: [src.txt]\nsteps: [{run: make}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/build/img.yml",
            &format!("image: x\narchitectures: [amd64, arm64]\n{img_extra}requires_any: [approve_deploy]\nsource_files: [src.txt]\nsteps: [{{run: make}}]\n"),
        )
        .file(
            ".cigen/workflows/main/jobs/deploy/go.yml",
            "image: x\nsteps: [{run: make}]\n",
        )
        .file("src.txt", "hello\n")
}

fn generate(repo: &Repo) -> std::process::Output {
    repo.cigen().arg("generate").output().expect("runs")
}

#[test]
fn r_generate_overflowed_on_two_approval_jobs_naming_each_others_gate() {
    let repo = gates_naming_each_other("");
    let output = generate(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    let main = repo.yaml(".circleci/main.yml");
    assert_references_resolve(&main);
    assert_circleci_schema(&[repo.path().join(".circleci/main.yml")]);
    assert_eq!(
        requires(&main, "main", "approve_a_after_approve_b"),
        ["approve_b"]
    );
    assert_eq!(
        requires(&main, "main", "approve_b_after_approve_a"),
        ["approve_a"]
    );
    // Both gates may be approved by hand: neither trigger waits for its job,
    // so the only warnings are about the shims' token.
    assert_eq!(
        stderr(&output),
        "warning: .cigen/workflows/main/jobs/a.yml:3: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it\n\
         warning: .cigen/workflows/main/jobs/b.yml:3: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it\n"
    );
}

#[test]
fn approvals_in_a_loop_of_gates_and_shims_get_the_filters_their_jobs_share() {
    let tags = "filters: {tags: {only: /^v.*/}}\n";
    let repo = gates_naming_each_other(tags);
    let output = generate(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    let main = repo.yaml(".circleci/main.yml");
    let expected: Value = serde_yaml::from_str("{tags: {only: /^v.*/}}").expect("yaml");
    for (name, params) in workflow_jobs(&main, "main") {
        assert_eq!(params["filters"], expected, "{name}");
    }

    // One job without filters: the gates lead to both, so they get none.
    let repo = gates_naming_each_other("");
    repo.write(
        ".cigen/workflows/main/jobs/a.yml",
        &format!(
            "image: x\napproval: true\nrequires_any: [approve_b]\n{tags}steps: [{{run: make}}]\n"
        ),
    );
    let output = generate(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    let main = repo.yaml(".circleci/main.yml");
    for (name, params) in workflow_jobs(&main, "main") {
        let own = name == "a";
        assert_eq!(params.get("filters").is_some(), own, "{name}");
    }
}

#[test]
fn r_continue_overflowed_when_one_arch_of_an_approval_job_was_skipped() {
    // The overflow was in remove mode's rewiring: gate → approval → shim → gate.
    let repo = deploy_triggers_its_own_build("approval: true\n");
    let config = repo.read(".cigen/config.yml");
    repo.write(
        ".cigen/config.yml",
        &format!("{config}setup: {{skipped_jobs: remove}}\n"),
    );
    let output = generate(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    repo.commit_all();
    let job = SetupJob::new(&repo, &[]);
    job.run(&["setup"]);
    job.mark_passed(&job.key_hash("build_img_amd64"));
    let (_, doc) = job.continue_dry_run();
    let names = workflow_job_names(&doc, "main");
    assert!(!names.contains(&"build_img_amd64".to_string()), "{names:?}");
    assert!(names.contains(&"build_img_arm64".to_string()), "{names:?}");
    // The skipped variant's place is taken by its nearest kept ancestors,
    // among them the gate its shim approves: gate → approval → shim → gate.
    let approve = requires(&doc, "main", "approve_deploy");
    assert!(
        approve.contains(&"approve_build_img".to_string())
            && approve.contains(&"build_img_arm64".to_string()),
        "{approve:?}"
    );
    assert_eq!(
        requires(&doc, "main", "approve_build_img_after_approve_deploy"),
        ["approve_deploy"]
    );
}

#[test]
fn warns_when_a_trigger_waits_for_the_job_it_should_start() {
    let repo = deploy_triggers_its_own_build("approval: true\n");
    let output = generate(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "warning: .cigen/workflows/main/jobs/build/img.yml:4: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it\n\
         warning: .cigen/workflows/main/jobs/build/img.yml:4: `requires_any`: trigger `approve_deploy` of job `build_img` waits for the job itself (approve_deploy -> build_img_amd64), so it can never start it\n"
    );
    // The graph is still emitted as written: the gate may be approved by hand.
    assert!(
        workflow_job_names(&repo.yaml(".circleci/main.yml"), "main")
            .contains(&"approve_build_img_after_approve_deploy".to_string())
    );
}

#[test]
fn a_job_whose_every_trigger_waits_for_it_is_an_error_naming_the_chain() {
    let repo = deploy_triggers_its_own_build("");
    repo.fails_with(
        &["generate"],
        2,
        "error: .cigen/workflows/main/jobs/build/img.yml:3: `requires_any`: job `build_img` can never run: every trigger waits for the job itself (approve_deploy -> build_img_amd64)\n  \
         hint: add `approval: true` so the job can be approved by hand, or list a trigger that does not run after it\n",
    );
}

#[test]
fn a_trigger_behind_another_jobs_gate_that_waits_for_the_job_counts_as_waiting() {
    // `late` starts only when `deploy_go` passes; `deploy_go` waits for
    // `build_img`. `build_img`'s only trigger is `late`'s gate.
    let repo = deploy_triggers_its_own_build("");
    repo.write(
        ".cigen/workflows/main/jobs/build/img.yml",
        "image: x\narchitectures: [amd64, arm64]\nrequires_any: [approve_deploy_late]\nsource_files: [src.txt]\nsteps: [{run: make}]\n",
    );
    repo.write(
        ".cigen/workflows/main/jobs/deploy/late.yml",
        "image: x\nrequires_any: [deploy_go]\nsteps: [{run: make}]\n",
    );
    repo.fails_with(
        &["generate"],
        2,
        "error: .cigen/workflows/main/jobs/build/img.yml:3: `requires_any`: job `build_img` can never run: every trigger waits for the job itself (approve_deploy_late -> approve_deploy_late_after_deploy_go -> deploy_go -> approve_deploy -> build_img_amd64)\n  \
         hint: add `approval: true` so the job can be approved by hand, or list a trigger that does not run after it\n",
    );

    // Once `late` may be approved by hand, its gate no longer waits: both
    // jobs can run. `late`'s own trigger still waits for `late` (through
    // `build_img`, whose only trigger is `late`'s gate): a warning. No
    // warning names a trigger of `build_img`.
    repo.write(
        ".cigen/workflows/main/jobs/deploy/late.yml",
        "image: x\napproval: true\nrequires_any: [deploy_go]\nsteps: [{run: make}]\n",
    );
    let output = generate(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "warning: .cigen/workflows/main/jobs/build/img.yml:3: `requires_any` has one job: write `requires: [approve_deploy_late]` (one trigger is an OR of one), or add `approval: true` to also allow starting the job by hand\n\
         warning: .cigen/workflows/main/jobs/build/img.yml:3: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it\n\
         warning: .cigen/workflows/main/jobs/deploy/late.yml:3: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it\n\
         warning: .cigen/workflows/main/jobs/deploy/late.yml:3: `requires_any`: trigger `deploy_go` of job `deploy_late` waits for the job itself (deploy_go -> approve_deploy -> build_img_amd64 -> approve_build_img -> approve_build_img_after_approve_deploy_late -> approve_deploy_late), so it can never start it\n"
    );
}
