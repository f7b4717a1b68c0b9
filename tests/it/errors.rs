//! Bad input: every invalid configuration exits 2 with `error: FILE:LINE:
//! `KEY`: …`, suggests the nearest valid name where there is one, never
//! panics and writes no output at all.

use crate::common::*;

/// Runs `generate` and returns stderr, asserting exit 2 and no output files.
fn fails(repo: &Repo) -> String {
    let output = repo.cigen().arg("generate").output().expect("runs");
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "expected exit 2, got {:?}: {err}",
        output.status.code()
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !repo.exists(".circleci"),
        "wrote output despite the error: {err}"
    );
    err
}

fn job(body: &str) -> Repo {
    minimal(&[("test/rspec.yml", body)]).file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}, {name: build}]\n",
    )
}

const OK_JOB: &str = "image: a\nsteps: [{run: make}]\n";

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let err = fails(&job("image: a\nsteps:\n  - run: [unclosed\n"));
    assert!(
        err.contains("error: .cigen/workflows/main/jobs/test/rspec.yml:"),
        "{err}"
    );
    assert!(err.contains(":4") || err.contains(":3"), "{err}");
}

#[test]
fn non_utf8_is_an_error_with_its_line() {
    let repo = job(OK_JOB);
    std::fs::write(
        repo.path()
            .join(".cigen/workflows/main/jobs/test/rspec.yml"),
        b"image: a\nsteps: [\xff\xfe]\n",
    )
    .expect("write");
    let err = fails(&repo);
    assert!(
        err.contains("rspec.yml:2") && err.contains("not valid UTF-8"),
        "{err}"
    );
}

#[test]
fn unknown_field_suggests_the_near_match() {
    let err = fails(&job(
        "image: a\nsteps: [{run: make}]\nsource_file: [\"x\"]\n",
    ));
    assert!(
        err.contains("rspec.yml:3: `source_file`: unknown field"),
        "{err}"
    );
    assert!(err.contains("did you mean `source_files`?"), "{err}");
    let err = fails(&job(OK_JOB).file(
        ".cigen/config.yml",
        "architecture:\n  amd64: {resource_class: medium}\n",
    ));
    assert!(
        err.contains(".cigen/config.yml:1: `architecture`") && err.contains("`architectures`"),
        "{err}"
    );
}

#[test]
fn wrong_type_names_the_key() {
    let err = fails(&job(
        "image: a\nparallelism: 2\napproval: sometimes\nsteps: [{run: make}]\n",
    ));
    assert!(
        err.contains("rspec.yml:3") && err.contains("approval") && err.contains("invalid type"),
        "{err}"
    );
}

#[test]
fn unknown_requires_suggests_a_job() {
    let repo =
        job("image: a\nsteps: [{run: make}]\nrequires:\n  - test_rspek_x\n  - build_imagee\n")
            .file(".cigen/workflows/main/jobs/build/image.yml", OK_JOB);
    let err = fails(&repo);
    assert!(
        err.contains("rspec.yml:4: `requires: test_rspek_x`: unknown job"),
        "{err}"
    );
    let repo = job("image: a\nsteps: [{run: make}]\nrequires:\n  - build_imagee\n")
        .file(".cigen/workflows/main/jobs/build/image.yml", OK_JOB);
    let err = fails(&repo);
    assert!(
        err.contains("rspec.yml:4") && err.contains("did you mean `build_image`?"),
        "{err}"
    );
}

#[test]
fn unknown_requires_any_group_arch_and_status() {
    let err = fails(&job(
        "image: a\nsteps: [{run: make}]\napproval: true\nrequires_any: [approve_nothing]\n",
    ));
    assert!(
        err.contains("rspec.yml:4: `requires_any: approve_nothing`"),
        "{err}"
    );

    let repo = job("image: a\nsteps: [{run: make}]\nsource_files: [\"@rubyy\"]\n").file(
        ".cigen/config.yml",
        "source_file_groups:\n  ruby: [\"**/*.rb\"]\n",
    );
    let err = fails(&repo);
    assert!(
        err.contains("rspec.yml:3")
            && err.contains("unknown source file group `rubyy`")
            && err.contains("did you mean `ruby`?"),
        "{err}"
    );

    let repo = job("image: a\nsteps: [{run: make}]\narchitectures: [amd64, arm46]\n")
        .file(".cigen/config.yml", "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n");
    let err = fails(&repo);
    assert!(
        err.contains("rspec.yml:3")
            && err.contains("unknown architecture `arm46`")
            && err.contains("did you mean `arm64`?"),
        "{err}"
    );

    let repo = job("image: a\nsteps: [{run: make}]\n").file(
        ".cigen/workflows/main/jobs/build/x.yml",
        "image: a\nsteps: [{run: make}]\nrequires:\n  - test_rspec: [success, faild]\n",
    );
    let err = fails(&repo);
    assert!(
        err.contains("x.yml:4")
            && err.contains("unknown job status `faild`")
            && err.contains("did you mean `failed`?"),
        "{err}"
    );
}

#[test]
fn job_directory_must_be_a_declared_stage() {
    let repo = job(OK_JOB).file(".cigen/workflows/main/jobs/biuld/image.yml", OK_JOB);
    let err = fails(&repo);
    assert!(
        err.contains("jobs/biuld/image.yml")
            && err.contains("not a declared stage")
            && err.contains("did you mean `build`?"),
        "{err}"
    );
}

#[test]
fn unknown_stage_in_stage_requires() {
    let repo = job(OK_JOB).file(
        ".cigen/workflows/main/config.yml",
        "stages:\n  - name: test\n  - name: build\n    requires: [tset]\n",
    );
    let err = fails(&repo);
    assert!(
        err.contains("workflows/main/config.yml:4")
            && err.contains("unknown stage `tset`")
            && err.contains("did you mean `test`?"),
        "{err}"
    );
}

#[test]
fn unknown_trigger_parameter_and_bad_parameter_types() {
    let repo = job(OK_JOB)
        .file(
            ".cigen/config.yml",
            "parameters:\n  run_nightly: {type: boolean, default: false}\n",
        )
        .file(
            ".cigen/workflows/nightly/config.yml",
            "trigger: {parameter: run_nighty}\n",
        )
        .file(".cigen/workflows/nightly/jobs/n.yml", OK_JOB);
    let err = fails(&repo);
    assert!(
        err.contains("workflows/nightly/config.yml:1")
            && err.contains("`run_nighty`")
            && err.contains("did you mean `run_nightly`?"),
        "{err}"
    );

    let err = fails(&job(OK_JOB).file(
        ".cigen/config.yml",
        "parameters:\n  flag: {type: bool, default: false}\n",
    ));
    assert!(
        err.contains(".cigen/config.yml:2") && err.contains("did you mean `boolean`?"),
        "{err}"
    );
    let err = fails(&job(OK_JOB).file(
        ".cigen/config.yml",
        "parameters:\n  flag: {type: boolean, default: \"yes\"}\n",
    ));
    assert!(
        err.contains("default does not match type `boolean`"),
        "{err}"
    );
}

#[test]
fn dependency_cycles_print_the_cycle() {
    let repo = minimal(&[
        ("a.yml", "image: x\nrequires: [b]\nsteps: [{run: make}]\n"),
        ("b.yml", "image: x\nrequires: [c]\nsteps: [{run: make}]\n"),
        ("c.yml", "image: x\nrequires: [a]\nsteps: [{run: make}]\n"),
        ("d.yml", "image: x\nsteps: [{run: make}]\n"),
    ]);
    let err = fails(&repo);
    assert!(err.contains("dependency cycle: a -> b -> c -> a"), "{err}");
    let err = fails(&minimal(&[(
        "a.yml",
        "image: x\nrequires: [a]\nsteps: [{run: make}]\n",
    )]));
    assert!(err.contains("cannot require itself"), "{err}");
}

#[test]
fn duplicate_ids_name_both_files() {
    let repo = job(OK_JOB).file(".cigen/workflows/main/jobs/test_rspec.yml", OK_JOB);
    let err = fails(&repo);
    assert!(
        err.contains("test_rspec")
            && err.contains("jobs/test/rspec.yml")
            && err.contains("jobs/test_rspec.yml"),
        "{err}"
    );
    // A variant id colliding with another job.
    let repo = Repo::new()
        .file(".cigen/config.yml", "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n")
        .file(".cigen/workflows/main/jobs/build.yml", "image: a\narchitectures: [amd64, arm64]\nsteps: [{run: make}]\n")
        .file(".cigen/workflows/main/jobs/build_arm64.yml", OK_JOB);
    let err = fails(&repo);
    assert!(err.contains("`build_arm64` is produced twice"), "{err}");
}

#[test]
fn a_job_named_like_a_parallel_jobs_record_job_is_an_error_naming_both_files() {
    let parallel = "image: a\nparallelism: 2\nsource_files: [\"src/**\"]\nsteps: [{run: make}]\n";
    let repo = job(parallel)
        .file("src/app.rb", "app\n")
        .file(".cigen/workflows/main/jobs/test/rspec_record.yml", OK_JOB);
    let err = fails(&repo);
    assert_eq!(
        err,
        "error: .cigen/workflows/main/jobs/test/rspec_record.yml: `(job id)`: id `test_rspec_record` \
         is produced twice in workflow `main`: by this file and by .cigen/workflows/main/jobs/test/rspec.yml\n  \
         hint: cigen adds `test_rspec_record` to record the success of the parallel job `test_rspec`: rename the other job\n"
    );
    // The clash comes from the record job alone: a job that runs in one container has none.
    let repo = job("image: a\nsource_files: [\"src/**\"]\nsteps: [{run: make}]\n")
        .file("src/app.rb", "app\n")
        .file(".cigen/workflows/main/jobs/test/rspec_record.yml", OK_JOB);
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn invalid_job_names_and_reserved_ids() {
    let err = fails(&minimal(&[("9lives.yml", OK_JOB)]));
    assert!(
        err.contains("9lives.yml") && err.contains("not a valid job name"),
        "{err}"
    );
    let err = fails(&minimal(&[("bad job.yml", OK_JOB)]));
    assert!(err.contains("not a valid job name"), "{err}");
    let err = fails(&minimal(&[("cigen_setup.yml", OK_JOB)]));
    assert!(err.contains("reserved by cigen"), "{err}");
}

#[test]
fn unknown_steps_and_orbs_are_errors() {
    let err = fails(&job("image: a\nsteps:\n  - checkout\n  - chekout\n"));
    assert!(
        err.contains("rspec.yml:4: `steps[1]`: unknown step `chekout`")
            && err.contains("did you mean `checkout`?"),
        "{err}"
    );
    let err = fails(&job("image: a\nsteps:\n  - node/install\n"));
    assert!(err.contains("orb `node`"), "{err}");
}

#[test]
fn executor_is_required_and_exclusive() {
    let err = fails(&job("steps: [{run: make}]\n"));
    assert!(
        err.contains("exactly one of `image`, `docker`, `machine` or `macos`"),
        "{err}"
    );
    let err = fails(&job("image: a\nmachine: true\nsteps: [{run: make}]\n"));
    assert!(err.contains("exactly one of"), "{err}");
}

#[test]
fn yaml_alias_bomb_is_refused_without_hanging() {
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (index, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
        let prev = ["a", "b", "c", "d", "e", "f", "g", "h"][index];
        bomb.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    let repo = job(OK_JOB).file(".cigen/config/bomb.yml", &bomb);
    let started = std::time::Instant::now();
    let err = fails(&repo);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(err.contains("bomb.yml"), "{err}");
}

#[test]
fn dynamic_workflow_must_exist_and_others_need_a_trigger() {
    let repo = job(OK_JOB).file(".cigen/config.yml", "dynamic_workflow: mian\n");
    let err = fails(&repo);
    assert!(
        err.contains("dynamic workflow `mian`") && err.contains("did you mean `main`?"),
        "{err}"
    );
    let repo = job(OK_JOB).file(".cigen/workflows/other/jobs/x.yml", OK_JOB);
    let err = fails(&repo);
    assert!(
        err.contains("workflow `other` is neither the dynamic workflow"),
        "{err}"
    );
}

#[test]
fn stale_check_of_an_invalid_config_is_still_exit_2() {
    let repo = job("image: a\nsteps: [{run: make}]\nrequires: [nope]\n");
    let output = repo
        .cigen()
        .args(["generate", "--check"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
}
