//! `generate` for GitHub Actions: `provider: github` and `providers:
//! [circleci, github]` write `.github/workflows/<workflow>.yml` (and the
//! CircleCI files only when circleci is a provider), each accepted by
//! actionlint and GitHub's workflow schema.

use std::path::PathBuf;

use crate::common::*;

fn project(providers: &str) -> Repo {
    Repo::new()
        .file(".cigen/config.yml", providers)
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: cimg/base:2024.01\nsteps: [checkout, {run: make}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/test.yml",
            "image: cimg/base:2024.01\nrequires: [build]\nsteps: [checkout, {run: {name: Test, command: make test}}]\n",
        )
}

#[test]
fn provider_github_writes_only_the_github_workflow() {
    let repo = project("provider: github\n");
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "wrote .github/workflows/main.yml\n");
    assert!(!repo.path().join(".circleci").exists());
    assert_github_workflows(&[repo.path().join(".github/workflows/main.yml")]);
}

#[test]
fn both_providers_write_both_and_check_covers_both() {
    let repo = project("providers: [github, circleci]\n");
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "wrote .circleci/config.yml\nwrote .circleci/main.yml\nwrote .github/workflows/main.yml\n"
    );
    let github: PathBuf = repo.path().join(".github/workflows/main.yml");
    assert_github_workflows(std::slice::from_ref(&github));
    let generated = std::fs::read_to_string(&github).expect("read");
    std::fs::write(&github, "stale\n").expect("write");
    let output = repo
        .cigen()
        .args(["generate", "--check"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let added: String = generated.lines().map(|line| format!("+{line}\n")).collect();
    assert_eq!(
        stdout(&output),
        format!(
            "--- .github/workflows/main.yml (on disk)\n+++ .github/workflows/main.yml (generated)\n@@ -1 +1,{} @@\n-stale\n{added}",
            generated.lines().count()
        )
    );
    assert_eq!(
        stderr(&output),
        "error: generated files are stale: run `cigen generate` and commit the result\n"
    );
}

#[test]
fn an_unknown_provider_is_an_error_with_a_hint() {
    project("providers: [circleci, githb]\n").fails_with(
        &["generate"],
        2,
        "error: .cigen/config.yml:1: `providers: githb`: unsupported provider `githb`: expected `circleci` or `github`\n  hint: did you mean `github`?\n",
    );
}
