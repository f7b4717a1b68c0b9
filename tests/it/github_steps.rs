//! The step translation through the real binary: a job using every step
//! form cigen translates becomes GitHub steps that actionlint and GitHub's
//! workflow schema accept; a step GitHub cannot run fails with exit 2 and a
//! `FILE:LINE: `KEY`` message with the `github:` hint; and every step form
//! CircleCI's schema lists (the passthrough corpus) either translates into
//! a valid workflow or fails so — never a panic, never an invalid file.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value as Json;
use serde_yaml::Value;

use crate::circleci_schema::Schema;
use crate::common::*;

const JOB: &str = r#"image: cimg/base:2024.01
steps:
  - restore_cache:
      keys: ['deps-{{ arch }}-{{ checksum "deps.lock" }}', deps-]
  - attach_workspace: {at: ws}
  - setup_remote_docker
  - run:
      name: Build
      command: make build REV=<< pipeline.git.revision >> TAG="<< pipeline.git.tag >>" BRANCH_AGAIN=<< pipeline.git.branch >>
      environment: {BRANCH: << pipeline.git.branch >>}
      working_directory: src
      shell: /bin/bash -eo pipefail
  - greet: {who: CI}
  - when:
      condition: {equal: [main, << pipeline.git.branch >>]}
      steps: [{run: make release}]
  - unless:
      condition: << pipeline.git.tag >>
      steps: [{run: make snapshot}]
  - save_cache:
      key: 'deps-{{ arch }}-{{ checksum "deps.lock" }}'
      paths: [vendor]
  - persist_to_workspace: {root: out, paths: [bin]}
  - store_artifacts: {path: log, when: always}
  - store_test_results: {path: results}
"#;

const GREET: &str = "parameters:\n  who: {type: string, default: world}\nsteps:\n  - run: echo hello << parameters.who >>\n";

fn translated_job() -> Repo {
    Repo::new()
        .file(".cigen/config.yml", "provider: github\n")
        .file(".cigen/commands/greet.yml", GREET)
        .file(".cigen/workflows/main/jobs/build.yml", JOB)
}

#[test]
fn every_translated_step_form_makes_a_valid_workflow() {
    let repo = translated_job();
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_github_workflows(&[repo.path().join(".github/workflows/main.yml")]);
    let doc = repo.yaml(".github/workflows/main.yml");
    let expected: Value = serde_yaml::from_str(concat!(
        "- uses: actions/checkout@v4\n",
        "- uses: actions/cache/restore@v4\n  with:\n    path: vendor\n    key: \"deps-${{ runner.arch }}-${{ hashFiles('deps.lock') }}\"\n    restore-keys: deps-\n",
        "- uses: actions/download-artifact@v4\n  with: {pattern: cigen-workspace-*, merge-multiple: true, path: '${{ runner.temp }}/cigen-workspace'}\n",
        "- name: Attach workspace\n  run: \"mkdir -p 'ws'\\nfor archive in \\\"$RUNNER_TEMP\\\"/cigen-workspace/*.tar; do\\n  [ -e \\\"$archive\\\" ] || continue\\n  tar -C 'ws' -xf \\\"$archive\\\"\\ndone\\n\"\n",
        // Pipeline values reach a script through its env, never pasted into it.
        "- name: Build\n  working-directory: src\n  shell: /bin/bash -eo pipefail {0}\n  env: {BRANCH: '${{ github.head_ref || github.ref_name }}', CIGEN_PIPELINE_git_revision: '${{ github.sha }}', CIGEN_PIPELINE_git_tag: \"${{ github.ref_type == 'tag' && github.ref_name || '' }}\", CIGEN_PIPELINE_git_branch: '${{ github.head_ref || github.ref_name }}'}\n  run: make build REV=${CIGEN_PIPELINE_git_revision} TAG=\"${CIGEN_PIPELINE_git_tag}\" BRANCH_AGAIN=${CIGEN_PIPELINE_git_branch}\n",
        "- run: echo hello CI\n",
        "- if: \"'main' == (github.head_ref || github.ref_name)\"\n  run: make release\n",
        "- if: \"${{ !(github.ref_type == 'tag' && github.ref_name || '') }}\"\n  run: make snapshot\n",
        "- uses: actions/cache/save@v4\n  with:\n    path: vendor\n    key: \"deps-${{ runner.arch }}-${{ hashFiles('deps.lock') }}\"\n",
        "- name: Persist to workspace\n  run: cd 'out' && tar -cf \"$RUNNER_TEMP/cigen-workspace-build-1.tar\" -- 'bin'\n",
        "- uses: actions/upload-artifact@v4\n  with: {name: cigen-workspace-build-1, path: '${{ runner.temp }}/cigen-workspace-build-1.tar', if-no-files-found: error}\n",
        "- if: always()\n  uses: actions/upload-artifact@v4\n  with: {name: build-artifacts-1, path: log, include-hidden-files: true}\n",
        "- uses: actions/upload-artifact@v4\n  with: {name: build-test-results-1, path: results, include-hidden-files: true}\n",
    ))
    .expect("yaml");
    assert_eq!(doc["jobs"]["build"]["steps"], expected);
}

#[test]
fn an_orb_step_fails_with_file_line_key_and_the_github_steps_hint() {
    Repo::new()
        .file(".cigen/config.yml", "provider: github\norbs:\n  node: circleci/node@5.1.0\n")
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: cimg/base:2024.01\nsteps:\n  - checkout\n  - node/install: {node-version: '20'}\n",
        )
        .fails_with(
            &["generate"],
            2,
            "error: .cigen/workflows/main/jobs/build.yml:4: `steps[1].node/install`: `node/install` is a step of orb `node`: GitHub Actions cannot run CircleCI orbs\n  hint: write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)\n",
        );
}

#[test]
fn a_circleci_only_step_in_a_command_names_the_step_that_uses_it() {
    Repo::new()
        .file(".cigen/config.yml", "provider: github\n")
        .file(".cigen/commands/keys.yml", "steps: [add_ssh_keys]\n")
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: cimg/base:2024.01\nsteps:\n  - checkout\n  - run: make\n  - keys\n",
        )
        .fails_with(
            &["generate"],
            2,
            "error: .cigen/workflows/main/jobs/build.yml:5: `steps[2]`: in command `keys`: `add_ssh_keys` is a CircleCI step with no GitHub Actions equivalent\n  hint: write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)\n",
        );
}

#[test]
fn a_command_missing_a_required_parameter_is_an_error() {
    Repo::new()
        .file(".cigen/config.yml", "provider: github\n")
        .file(
            ".cigen/commands/ship.yml",
            "parameters:\n  env: {type: string}\nsteps: [{run: ship << parameters.env >>}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: cimg/base:2024.01\nsteps:\n  - checkout\n  - ship\n",
        )
        .fails_with(
            &["generate"],
            2,
            "error: .cigen/workflows/main/jobs/build.yml:4: `steps[1]`: command `ship` needs parameter `env`, which has no default\n  hint: pass it where the command is used: `- COMMAND: {NAME: value}`\n",
        );
}

/// The corpus writes a pipeline parameter where the schema takes an
/// expression; the branch stands in for it here, since the skeleton's
/// workflow declares no `workflow_dispatch` inputs for actionlint to see.
fn without_parameters(value: &Json) -> String {
    serde_yaml::to_string(value)
        .expect("yaml")
        .replace("pipeline.parameters.x", "pipeline.git.branch")
}

/// The hint of a step with no GitHub equivalent.
const BY_HAND: &str = "write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)";

/// Every refusal of the corpus's step forms, as its exact reason and hint.
/// The corpus holds hundreds of forms (from CircleCI's published schema), so
/// no message is written out per form: each must be one of these, behind
/// the job file, a line inside it and the key of the step.
const REFUSALS: [(&str, &str); 13] = [
    (
        "`add_ssh_keys` is a CircleCI step with no GitHub Actions equivalent",
        BY_HAND,
    ),
    (
        "`deploy` is a CircleCI step with no GitHub Actions equivalent",
        BY_HAND,
    ),
    (
        "`install_signing_bundle` is a CircleCI step with no GitHub Actions equivalent",
        BY_HAND,
    ),
    (
        "`with_tool_cache` is a CircleCI step with no GitHub Actions equivalent",
        BY_HAND,
    ),
    (
        "`matches` has no GitHub Actions equivalent (expressions have no regular expressions)",
        BY_HAND,
    ),
    ("`pwd` has no GitHub Actions equivalent", BY_HAND),
    ("this key has no GitHub Actions equivalent", BY_HAND),
    (
        "a condition is a value or one of `and`, `or`, `not`, `equal`, `matches`",
        BY_HAND,
    ),
    (
        "GitHub Actions cannot re-run a single step",
        "retry inside the command (a shell loop), or write `github: {steps: …}`",
    ),
    (
        "GitHub Actions has no teardown steps",
        "add a later step with `when: always`, or write `github: {steps: …}`",
    ),
    (
        "a GitHub step cannot run in the background",
        "start the process with `&` inside a `run` command (`nohup server > server.log 2>&1 &`), or write `github: {steps: …}`",
    ),
    (
        "no `save_cache` in the project has a key starting like `x`: GitHub restores a cache only with the paths it was saved with",
        "save the cache in this job (or another) with a key of the same prefix, or write `github: {steps: …}`",
    ),
    (
        "command `c` needs parameter `NAME`, which has no default",
        "pass it where the command is used: `- COMMAND: {NAME: value}`",
    ),
];

/// Which of `REFUSALS` the whole `message` is: `error: JOB_FILE:LINE:
/// `steps[0]…`: ` (with `in command `c`: ` when the form is a command's),
/// the reason, then its hint; anything else fails the test.
fn refusal(what: &str, job: &str, message: &str) -> usize {
    let form = regex::Regex::new(
        r"^error: \.cigen/workflows/main/jobs/j\.yml:([1-9][0-9]*): `steps\[0\](?:\.[^`]+)?`: (in command `c`: )?(.+)\n  hint: (.+)\n$",
    )
    .expect("regex");
    let parts = form
        .captures(message)
        .unwrap_or_else(|| panic!("{what}: not a located refusal with a hint:\n{message}"));
    let line: usize = parts[1].parse().expect("line");
    assert!(
        line <= job.lines().count(),
        "{what}: line {line} is past the job file:\n{message}"
    );
    assert!(
        parts.get(2).is_none() || what.starts_with("command"),
        "{what}: not a command, yet the refusal says it is:\n{message}"
    );
    REFUSALS
        .iter()
        .position(|&(reason, hint)| reason == &parts[3] && hint == &parts[4])
        .unwrap_or_else(|| panic!("{what}: a refusal not listed in REFUSALS:\n{message}"))
}

#[test]
fn every_circleci_step_form_translates_or_fails_with_a_located_error() {
    let schema = Schema::load();
    let mut bodies: Vec<(String, String)> = schema
        .step_examples()
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let job = serde_json::json!({"image": "cimg/base:current", "checkout": false, "steps": [step]});
            (format!("step {index}: {step}"), without_parameters(&job))
        })
        .collect();
    let commands = schema.command_examples();
    assert!(!commands.is_empty(), "the schema gives no command example");
    for (index, command) in commands.iter().enumerate() {
        bodies.push((
            format!("command {index}: {command}"),
            format!("command:{}", without_parameters(command)),
        ));
    }
    let (mut translated, mut refused) = (vec![], BTreeSet::new());
    let mut keep = vec![];
    for (what, body) in &bodies {
        let mut repo = Repo::new().file(
            ".cigen/config.yml",
            "provider: github\nparameters:\n  x: {type: string, default: x}\n",
        );
        let job = match body.strip_prefix("command:") {
            Some(command) => {
                repo = repo.file(".cigen/commands/c.yml", command);
                "image: cimg/base:current\nsteps: [c]\n".to_string()
            }
            None => body.clone(),
        };
        repo = repo.file(".cigen/workflows/main/jobs/j.yml", &job);
        let output = repo.cigen().arg("generate").output().expect("runs");
        match output.status.code() {
            Some(0) => {
                translated.push(repo.path().join(".github/workflows/main.yml"));
                keep.push(repo);
            }
            Some(2) => {
                assert_eq!(stdout(&output), "", "{what}: refused but printed");
                refused.insert(refusal(what, &job, &stderr(&output)));
                assert!(!repo.exists(".github"), "{what}: refused but wrote files");
            }
            code => panic!("{what}: exit {code:?}:\n{}", stderr(&output)),
        }
    }
    assert!(!translated.is_empty(), "no step form translated");
    let unseen: Vec<_> = (0..REFUSALS.len())
        .filter(|index| !refused.contains(index))
        .map(|index| REFUSALS[index].0)
        .collect();
    assert!(
        unseen.is_empty(),
        "no step form was refused with {unseen:?}"
    );
    let files: Vec<PathBuf> = translated;
    assert_github_workflows(&files);
}
