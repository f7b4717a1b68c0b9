//! `cigen validate`: the checks of `generate`, writing nothing, with exit
//! 0 (valid), 1 (I/O failure) and 2 (invalid); and the source pattern that
//! matches no file, which `generate` and `validate` report inside a git
//! work tree.

use crate::common::*;

fn repo(job: &str) -> Repo {
    minimal(&[
        ("test/unit.yml", job),
        ("lint.yml", "image: a\nsteps: [{run: make}]\n"),
    ])
    .file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}]\n",
    )
    .file("src/lib.rs", "fn main() {}\n")
}

const HASHED: &str = "image: a\nsource_files:\n  - \"src/**\"\nsteps: [{run: make}]\n";
const TYPO: &str =
    "image: a\nsource_files:\n  - \"src/**\"\n  - \"Cargo.lok\"\nsteps: [{run: make}]\n";
const NO_MATCH: &str = "error: .cigen/workflows/main/jobs/test/unit.yml:4: `source_files: Cargo.lok`: source pattern `Cargo.lok` of job `test_unit` matches no file\n  hint: fix the pattern (or its group); a pattern matching nothing would hide the job's real inputs\n";

fn run(repo: &Repo, args: &[&str]) -> (Option<i32>, String, String) {
    let output = repo.cigen().args(args).output().expect("runs");
    (output.status.code(), stdout(&output), stderr(&output))
}

#[test]
fn a_valid_configuration_exits_0_and_writes_nothing() {
    let repo = repo(HASHED);
    repo.commit_all();
    let result = run(&repo, &["validate"]);
    assert_eq!(
        result,
        (
            Some(0),
            "configuration is valid: 2 jobs in 1 workflow\n".into(),
            String::new()
        )
    );
    assert!(!repo.exists(".circleci"));
}

#[test]
fn an_invalid_configuration_exits_2_with_the_error_generate_prints() {
    let repo = repo("image: a\nsteps: [{run: make}]\nrequires: [lnit]\n");
    let (code, out, err) = run(&repo, &["validate"]);
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert_eq!(
        err,
        "error: .cigen/workflows/main/jobs/test/unit.yml:3: `requires: lnit`: unknown job `lnit` in requires\n  hint: did you mean `lint`?\n"
    );
    assert_eq!(run(&repo, &["generate"]).2, err);
    assert!(!repo.exists(".circleci"));
}

#[test]
fn an_unreadable_configuration_exits_1() {
    let repo = repo(HASHED);
    repo.remove(".cigen/config.yml");
    std::fs::create_dir_all(repo.path().join(".cigen/config.yml")).expect("mkdir");
    let (code, out, err) = run(&repo, &["validate"]);
    assert_eq!((code, out.as_str()), (Some(1), ""));
    assert_eq!(
        err,
        "error: .cigen/config.yml: Is a directory (os error 21)\n"
    );
}

#[test]
fn r_a_job_file_that_is_a_broken_symlink_was_silently_left_out() {
    let repo = repo(HASHED);
    std::os::unix::fs::symlink(
        "/nonexistent/rspec.yml",
        repo.path()
            .join(".cigen/workflows/main/jobs/test/broken.yml"),
    )
    .expect("symlink");
    for args in [&["validate"][..], &["generate"]] {
        repo.fails_with(
            args,
            1,
            "error: .cigen/workflows/main/jobs/test/broken.yml: a symbolic link to /nonexistent/rspec.yml, which cannot be read: No such file or directory (os error 2)\n",
        );
    }
}

#[test]
fn a_pattern_matching_no_file_fails_generate_and_validate_in_a_work_tree() {
    let repo = repo(TYPO);
    repo.commit_all();
    for args in [&["validate"][..], &["generate"], &["generate", "--check"]] {
        let (code, out, err) = run(&repo, args);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (Some(2), "", NO_MATCH),
            "{args:?}"
        );
    }
    assert!(!repo.exists(".circleci"));
    // Untracked files count, as they do for the hash.
    repo.write("Cargo.lok", "");
    assert_eq!(run(&repo, &["validate"]).0, Some(0));
}

#[test]
fn outside_a_work_tree_unmatched_patterns_are_not_checked() {
    let repo = repo(TYPO);
    let (code, out, err) = run(&repo, &["validate"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            Some(0),
            "configuration is valid: 2 jobs in 1 workflow\n",
            ""
        )
    );
}
