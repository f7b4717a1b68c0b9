//! What a job's hash covers, through the real binary: the canonical JSON of
//! the rendered job (never the YAML writer's text), the orbs it uses, the
//! pipeline values it references; and the warnings for what a hash cannot
//! see (floating orb versions, per-pipeline values, commit-bound outputs).

mod common;

use common::*;

/// `cigen hash --json` as a map, with `env` set (and the pipeline-value
/// variables of the tests cleared first).
fn hashes(repo: &Repo, env: &[(&str, &str)]) -> serde_json::Map<String, serde_json::Value> {
    let mut command = repo.cigen();
    command.arg("hash").arg("--json");
    for (key, _) in std::env::vars() {
        if key.starts_with("CIGEN_PARAM_") || key.starts_with("CIGEN_PIPELINE_") {
            command.env_remove(key);
        }
    }
    command.env_remove("CIGEN_VALUES");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("runs");
    assert!(output.status.success(), "hash failed: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("json")
}

/// Variants whose hash differs between two runs.
fn moved(
    before: &serde_json::Map<String, serde_json::Value>,
    after: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    before
        .iter()
        .filter(|(id, hash)| after.get(*id) != Some(*hash))
        .map(|(id, _)| id.clone())
        .collect()
}

#[test]
fn a_value_without_canonical_form_is_a_config_error_naming_file_line_and_path() {
    let repo = minimal(&[(
        "lint.yml",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n  - run: {command: make, 1: x}\n",
    )])
    .file("src/a.rs", "a\n");
    repo.commit_all();
    for command in ["generate", "hash"] {
        let output = repo.cigen().arg(command).output().expect("runs");
        assert_eq!(
            output.status.code(),
            Some(2),
            "{command}: {}",
            stderr(&output)
        );
        assert_stderr_has(
            &output,
            ".cigen/workflows/main/jobs/lint.yml:3: `steps[1].run`: the mapping key `1` is not a string",
        );
    }
}
