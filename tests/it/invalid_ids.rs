//! Invalid ids: architecture names and every job id cigen composes
//! (`<id>_<arch>`, `approve_<id>`, `approve_<id>_after_<trigger>`,
//! `approve_<stage>`) follow CircleCI's job-name rule, or `generate` exits 2
//! naming file, line and key and writes nothing.

use crate::common::*;

/// `generate` exits 2 with exactly `expected` on stderr and writes nothing.
fn fails(repo: &Repo, expected: &str) {
    repo.fails_with(&["generate"], 2, expected);
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
        let bare = name.trim_matches('"');
        fails(
            &repo,
            &format!(
                "error: .cigen/config.yml:4: `architectures.{bare}`: `{bare}` is not a valid architecture name: \
                 it ends job ids (`<id>_{bare}`), so it starts with a letter and holds only letters, digits, `_` and `-`\n"
            ),
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

/// The error for a composed id of 129 characters, at `place`
/// (`FILE[:LINE]: `KEY``).
fn too_long(place: &str, id: &str) -> String {
    assert_eq!(id.len(), 129, "{id}");
    format!(
        "error: {place}: cigen would name a job `{id}`, which is not a valid CircleCI job name: \
         it is 129 characters long, over the limit of 128\n"
    )
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
    fails(
        &repo,
        &too_long(
            &format!("{file}:2: `architectures: amd64`"),
            &format!("{}_amd64", long(123)),
        ),
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
    let file = format!(".cigen/workflows/main/jobs/{stage}/{}.yml", long(64));
    fails(
        &repo,
        &too_long(
            &format!("{file}: `(job id)`"),
            &format!("{stage}_{}", long(64)),
        ),
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
    fails(
        &repo,
        &too_long(
            &format!("{file}:2: `approval`"),
            &format!("approve_{}", long(121)),
        ),
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
    let trigger = "t".repeat(54);
    fails(
        &repo,
        &too_long(
            &format!("{file}:4: `requires_any: {trigger}`"),
            &format!("approve_{}_after_{trigger}", long(60)),
        ),
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
    fails(
        &repo,
        &too_long(
            &format!(".cigen/workflows/main/config.yml:2: `stages: {stage}`"),
            &format!("approve_{stage}"),
        ),
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
    fails(
        &repo,
        &too_long(
            &format!("{file}:2: `parallelism`"),
            &format!("{}_record", long(122)),
        ),
    );
}
