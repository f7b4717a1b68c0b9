//! Everyday use: a closed stdout, running in a subdirectory, `config.yaml`,
//! `plan --workflow`, `hash --job`. Each test drives the real binary in a
//! temporary repository and checks exit code, whole messages and files.

mod common;

use std::process::Command;

use assert_cmd::cargo::cargo_bin;
use common::*;

const JOB: &str = "image: a\nsource_files: [\"src/**\"]\nsteps: [{run: make}]\n";

fn repo() -> Repo {
    minimal(&[
        ("test/unit.yml", JOB),
        ("build.yml", "image: a\nsteps: [{run: make}]\n"),
    ])
    .file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}]\n",
    )
    .file("src/lib.rs", "fn main() {}\n")
}

/// Runs cigen with `args` writing into a pipe whose reader has already
/// exited (a handshake through a flag file makes the order certain), and
/// returns cigen's exit code and stderr.
fn with_closed_stdout(repo: &Repo, args: &str, rt: &std::path::Path) -> (i32, String) {
    let script = format!(
        "rm -f flag; {{ while [ ! -e flag ]; do sleep 0.01; done; exec \"$CIGEN\" {args}; }} 2>stderr.txt \
         | sh -c 'exec 0<&-; touch flag'; echo \"${{PIPESTATUS[0]}}\""
    );
    let output = Command::new("bash")
        .args(["-c", &script])
        .current_dir(repo.path())
        .env("CIGEN", cargo_bin("cigen"))
        .env("CIGEN_TMP", rt)
        .output()
        .expect("bash runs");
    let code = stdout(&output).trim().parse().expect("exit code");
    (code, repo.read("stderr.txt"))
}

#[test]
fn a_closed_stdout_ends_quietly_in_every_command() {
    let repo = repo();
    repo.commit_all();
    let rt = tempfile::tempdir().expect("tmp");
    let setup = repo
        .cigen()
        .args(["setup"])
        .env("CIGEN_TMP", rt.path())
        .output()
        .expect("runs");
    assert_eq!(setup.status.code(), Some(0), "{}", stderr(&setup));
    for args in [
        "plan",
        "plan --format dot",
        "hash",
        "hash --json",
        "generate --workflow main",
        "validate",
        "setup",
        "continue --dry-run",
        "--help",
        "generate",
    ] {
        let (code, err) = with_closed_stdout(&repo, args, rt.path());
        assert_eq!((code, err.as_str()), (0, ""), "cigen {args}");
    }
    // The work after the lost output still happened.
    assert!(rt.path().join("cigen/continue-request.json").exists());
    assert!(repo.exists(".circleci/main.yml"));
}
