//! Invalid ids: architecture names and every job id cigen composes
//! (`<id>_<arch>`, `approve_<id>`, `approve_<id>_after_<trigger>`,
//! `approve_<stage>`) follow CircleCI's job-name rule, or `generate` exits 2
//! naming file, line and key and writes nothing.

use crate::common::*;

/// Runs `generate`, asserts exit 2 with no output, and returns stderr.
fn fails(repo: &Repo) -> String {
    let output = repo.cigen().arg("generate").output().expect("runs");
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!repo.exists(".circleci"), "wrote output despite: {err}");
    err
}

fn generates(repo: &Repo) {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
}

fn with_archs(archs: &str, job: &str) -> Repo {
    minimal(&[("img.yml", job)]).file(
        ".cigen/config.yml",
        &format!("provider: circleci\narchitectures:\n{archs}"),
    )
}

#[test]
fn an_architecture_name_with_a_slash_or_a_space_is_an_error() {
    for name in ["arm/64", "\"arm 64\"", "64bit"] {
        let repo = with_archs(
            &format!(
                "  amd64: {{resource_class: medium}}\n  {name}: {{resource_class: arm.medium}}\n"
            ),
            "image: x\nsteps: [{run: make}]\n",
        );
        let err = fails(&repo);
        let bare = name.trim_matches('"');
        assert!(
            err.contains(&format!(
                "error: .cigen/config.yml:4: `architectures.{bare}`: `{bare}` is not a valid architecture name"
            )),
            "{err}"
        );
    }
    // Digits, `_` and `-` after the first letter are fine.
    let repo = with_archs(
        "  amd64: {resource_class: medium}\n  arm-64_v8: {resource_class: arm.medium}\n",
        "image: x\narchitectures: [amd64, arm-64_v8]\nsteps: [{run: make}]\n",
    );
    generates(&repo);
    assert!(repo.read(".circleci/main.yml").contains("img_arm-64_v8:"));
}

/// A name of `len` characters.
fn long(len: usize) -> String {
    "j".repeat(len)
}

#[test]
fn a_variant_id_over_128_characters_is_an_error_on_its_architecture() {
    let archs = "  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n";
    let job = "image: x\narchitectures: [amd64, arm64]\nsteps: [{run: make}]\n";
    // `<122 chars>_amd64` is 128: the longest valid id.
    let repo = with_archs(archs, job);
    repo.remove(".cigen/workflows/main/jobs/img.yml");
    repo.write(
        &format!(".cigen/workflows/main/jobs/{}.yml", long(122)),
        job,
    );
    generates(&repo);

    let repo = with_archs(archs, job);
    repo.remove(".cigen/workflows/main/jobs/img.yml");
    let file = format!(".cigen/workflows/main/jobs/{}.yml", long(123));
    repo.write(&file, job);
    let err = fails(&repo);
    assert!(
        err.contains(&format!(
            "error: {file}:2: `architectures: amd64`: cigen would name a job `{}_amd64`, which is not a valid CircleCI job name: it is 129 characters long, over the limit of 128",
            long(123)
        )),
        "{err}"
    );
}

#[test]
fn a_job_id_from_stage_and_name_over_128_characters_is_an_error() {
    let stage = "s".repeat(64);
    let repo = minimal(&[(
        &format!("{stage}/{}.yml", long(64)),
        "image: x\nsteps: [{run: make}]\n",
    )])
    .file(
        ".cigen/workflows/main/config.yml",
        &format!("stages: [{{name: {stage}}}]\n"),
    );
    let err = fails(&repo);
    assert!(
        err.contains("`(job id)`: cigen would name a job") && err.contains("129 characters"),
        "{err}"
    );
}

#[test]
fn a_gate_id_over_128_characters_is_an_error_on_approval() {
    // `approve_` + 120 = 128 is valid; 121 is not.
    let repo = minimal(&[(
        &format!("{}.yml", long(120)),
        "image: x\napproval: true\nsteps: [{run: make}]\n",
    )]);
    generates(&repo);
    let file = format!(".cigen/workflows/main/jobs/{}.yml", long(121));
    let repo = minimal(&[]).file(&file, "image: x\napproval: true\nsteps: [{run: make}]\n");
    let err = fails(&repo);
    assert!(
        err.contains(&format!(
            "error: {file}:2: `approval`: cigen would name a job `approve_{}`",
            long(121)
        )),
        "{err}"
    );
}

#[test]
fn a_shim_id_over_128_characters_is_an_error_on_its_trigger() {
    // approve_<60>_after_<53> = 8 + 60 + 7 + 53 = 128.
    let job = |trigger: &str| {
        format!("image: x\nrequires_any:\n  - lint\n  - {trigger}\nsteps: [{{run: make}}]\n")
    };
    let repo = minimal(&[
        (&format!("{}.yml", long(60)), &job(&"t".repeat(53))),
        ("lint.yml", "image: x\nsteps: [{run: make}]\n"),
        (
            &format!("{}.yml", "t".repeat(53)),
            "image: x\nsteps: [{run: make}]\n",
        ),
    ]);
    generates(&repo);
    let file = format!(".cigen/workflows/main/jobs/{}.yml", long(60));
    let repo = minimal(&[
        ("lint.yml", "image: x\nsteps: [{run: make}]\n"),
        (
            &format!("{}.yml", "t".repeat(54)),
            "image: x\nsteps: [{run: make}]\n",
        ),
    ])
    .file(&file, &job(&"t".repeat(54)));
    let err = fails(&repo);
    assert!(
        err.contains(&format!(
            "error: {file}:4: `requires_any: {}`: cigen would name a job `approve_{}_after_{}`",
            "t".repeat(54),
            long(60),
            "t".repeat(54)
        )),
        "{err}"
    );
}

#[test]
fn a_stage_approval_id_over_128_characters_is_an_error_on_the_stage() {
    let stage = "s".repeat(121);
    let repo = minimal(&[(
        &format!("{stage}/a.yml"),
        "image: x\nsteps: [{run: make}]\n",
    )])
    .file(
        ".cigen/workflows/main/config.yml",
        &format!("stages:\n  - name: {stage}\n    approval: true\n"),
    );
    let err = fails(&repo);
    assert!(
        err.contains(&format!(
            "error: .cigen/workflows/main/config.yml:2: `stages: {stage}`: cigen would name a job `approve_{stage}`"
        )),
        "{err}"
    );
}

#[test]
fn a_record_job_id_over_128_characters_is_an_error_on_parallelism() {
    // A parallel hashed job records in `<id>_record`: 121 + 7 = 128 is valid.
    let job = "image: x\nparallelism: 2\nsource_files: [src.txt]\nsteps: [{run: make}]\n";
    let repo = minimal(&[(&format!("{}.yml", long(121)), job)]);
    generates(&repo);
    assert!(
        repo.read(".circleci/main.yml")
            .contains(&format!("{}_record", long(121)))
    );
    let file = format!(".cigen/workflows/main/jobs/{}.yml", long(122));
    let repo = minimal(&[]).file(&file, job);
    let err = fails(&repo);
    assert!(
        err.contains(&format!(
            "error: {file}:2: `parallelism`: cigen would name a job `{}_record`",
            long(122)
        )),
        "{err}"
    );
}
