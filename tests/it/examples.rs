//! The bundled examples are golden files: their committed `.circleci/`
//! output must be exactly what `cigen generate` renders today (refresh with
//! `scripts/update-golden.sh`), and must pass CircleCI's schema and a
//! reference check; their committed `.github/workflows/` must pass
//! actionlint and GitHub's workflow schema.

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

use crate::common::*;

fn examples() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 2, "expected the seed and minimal examples");
    dirs
}

#[test]
fn committed_example_output_is_fresh() {
    for dir in examples() {
        let output = Command::cargo_bin("cigen")
            .expect("bin")
            .args(["generate", "--check"])
            .current_dir(&dir)
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{} is stale; run scripts/update-golden.sh\n{}{}",
            dir.display(),
            stdout(&output),
            stderr(&output)
        );
    }
}

#[test]
fn example_output_passes_circleci_schema_and_references() {
    for dir in examples() {
        let files = [
            dir.join(".circleci/config.yml"),
            dir.join(".circleci/main.yml"),
        ];
        assert_circleci_schema(&files);
        for file in &files {
            let doc: serde_yaml::Value =
                serde_yaml::from_str(&std::fs::read_to_string(file).expect("read")).expect("yaml");
            assert_references_resolve(&doc);
        }
    }
}

#[test]
fn example_github_workflows_pass_actionlint_and_the_workflow_schema() {
    let mut checked = 0;
    for dir in examples() {
        let workflows = dir.join(".github/workflows");
        if !workflows.exists() {
            continue;
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&workflows)
            .expect("workflows")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} is empty", workflows.display());
        assert_github_workflows(&files);
        checked += 1;
    }
    // The seed and the release example generate for both providers.
    assert!(
        checked >= 2,
        "expected GitHub workflows in at least two examples"
    );
}

#[test]
fn reference_check_catches_a_dangling_requires() {
    let doc: serde_yaml::Value = serde_yaml::from_str(
        "jobs: {a: {}}\nworkflows:\n  w:\n    jobs:\n      - a:\n          requires: [ghost]\n",
    )
    .expect("yaml");
    let caught = std::panic::catch_unwind(|| assert_references_resolve(&doc));
    assert!(
        caught.is_err(),
        "the reference check must reject an unknown requires"
    );
}
