//! The step translation over small `cigen.yml` projects: each form's
//! GitHub steps, and each refusal's whole message.

use serde_yaml::Value;

use super::{StepContext, Translated, steps};
use crate::emit::github::test_support;

/// The translated steps of job `j` in a `cigen.yml` whose extra top-level
/// text is `head` and whose job `j` is `job` (indented as the value of `j`).
fn translate(head: &str, job: &str) -> Result<Translated, String> {
    let job: String = job
        .lines()
        .map(|line| format!("        {line}\n"))
        .collect();
    let text = format!("{head}workflows:\n  main:\n    jobs:\n      j:\n{job}");
    let (_dir, project) = test_support::project(&text);
    let workflow = &project.workflows[0];
    let job = workflow.job("j").expect("job j");
    steps(&StepContext {
        project: &project,
        job,
        variant: "j",
    })
    .map_err(|err| err.to_string())
}

fn yaml(text: &str) -> Vec<Value> {
    serde_yaml::from_str(text).expect("yaml")
}

fn ok(head: &str, job: &str) -> Vec<Value> {
    translate(head, job).expect("translates").steps
}

#[test]
fn run_maps_every_key_github_has() {
    let got = ok(
        "",
        "image: a\ncheckout: false\nsteps:\n  - run: make\n  - run:\n      name: Test\n      command: make test\n      environment: {A: \"1\"}\n      working_directory: sub\n      shell: /bin/bash -eo pipefail\n      no_output_timeout: 20m\n      when: always\n  - {name: Lint, run: make lint, shell: bash, when: on_fail}\n",
    );
    assert_eq!(
        got,
        yaml(
            "- run: make\n- name: Test\n  if: always()\n  working-directory: sub\n  shell: /bin/bash -eo pipefail {0}\n  env: {A: \"1\"}\n  run: make test\n- name: Lint\n  if: failure()\n  shell: bash\n  run: make lint\n"
        )
    );
}

#[test]
fn run_keys_github_cannot_express_are_refused() {
    let err = translate(
        "",
        "image: a\nsteps:\n  - run:\n      command: server\n      background: true\n",
    )
    .expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:9: `steps[0].run.background`: a GitHub step cannot run in the background\n  hint: start the process with `&` inside a `run` command (`nohup server > server.log 2>&1 &`), or write `github: {steps: …}`"
    );
    let err = translate(
        "",
        "image: a\nsteps:\n  - checkout\n  - run: {command: make, max_auto_reruns: 2}\n",
    )
    .expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:8: `steps[1].run.max_auto_reruns`: GitHub Actions cannot re-run a single step\n  hint: retry inside the command (a shell loop), or write `github: {steps: …}`"
    );
}

#[test]
fn checkout_keeps_its_path_and_depth() {
    assert_eq!(
        ok(
            "",
            "image: a\ncheckout: false\nsteps:\n  - checkout: {path: src, method: blobless}\n"
        ),
        yaml(
            "- uses: actions/checkout@v4\n  with: {path: src, fetch-depth: 0, filter: 'blob:none'}\n"
        )
    );
    assert_eq!(
        ok("", "image: a\nsteps: [{run: x}]\n")[0],
        yaml("[{uses: actions/checkout@v4}]")[0]
    );
    let err = translate(
        "",
        "image: a\ncheckout: false\nsteps:\n  - checkout: {path: /src}\n",
    )
    .expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:8: `steps[0].checkout.path`: `/src` is outside the workspace: actions/checkout places the repository under it only\n  hint: use a path relative to the working directory"
    );
}

#[test]
fn caches_translate_keys_and_restore_with_the_saved_paths() {
    let got = ok(
        "",
        "image: a\ncheckout: false\nsteps:\n  - restore_cache:\n      keys: ['v1-{{ checksum \"Gemfile.lock\" }}', v1-]\n  - save_cache:\n      key: 'v1-{{ checksum \"Gemfile.lock\" }}'\n      paths: [vendor/bundle, ~/.cache]\n",
    );
    assert_eq!(
        got,
        yaml(
            "- uses: actions/cache/restore@v4\n  with:\n    path: \"vendor/bundle\\n~/.cache\"\n    key: \"v1-${{ hashFiles('Gemfile.lock') }}\"\n    restore-keys: v1-\n- uses: actions/cache/save@v4\n  with:\n    path: \"vendor/bundle\\n~/.cache\"\n    key: \"v1-${{ hashFiles('Gemfile.lock') }}\"\n"
        )
    );
    let err =
        translate("", "image: a\nsteps:\n  - restore_cache: {key: other}\n").expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:7: `steps[0].restore_cache`: no `save_cache` in the project has a key starting like `other`: GitHub restores a cache only with the paths it was saved with\n  hint: save the cache in this job (or another) with a key of the same prefix, or write `github: {steps: …}`"
    );
    let err = translate(
        "",
        "image: a\nsteps:\n  - save_cache: {key: 'v-{{ epoch }}', paths: [x]}\n",
    )
    .expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:7: `steps[0].save_cache.key`: `{{ epoch }}` has no GitHub Actions equivalent (expressions have no clock)\n  hint: use a key that changes with its inputs (`{{ checksum \"file\" }}`), or write `github: {steps: …}`"
    );
}

#[test]
fn workspaces_and_stored_files_become_artifacts() {
    let got = ok(
        "",
        "image: a\ncheckout: false\nsteps:\n  - attach_workspace: {at: ~/ws}\n  - persist_to_workspace: {root: out, paths: [bin, '*.jar']}\n  - store_artifacts: {path: log}\n  - store_test_results: {path: results}\n  - store_artifacts: {path: more}\n",
    );
    assert_eq!(
        got,
        yaml(concat!(
            "- uses: actions/download-artifact@v4\n  with: {pattern: cigen-workspace-*, merge-multiple: true, path: '${{ runner.temp }}/cigen-workspace'}\n",
            "- name: Attach workspace\n  run: \"mkdir -p \\\"$HOME\\\"/'ws'\\nfor archive in \\\"$RUNNER_TEMP\\\"/cigen-workspace/*.tar; do\\n  [ -e \\\"$archive\\\" ] || continue\\n  tar -C \\\"$HOME\\\"/'ws' -xf \\\"$archive\\\"\\ndone\\n\"\n",
            "- name: Persist to workspace\n  run: cd 'out' && tar -cf \"$RUNNER_TEMP/cigen-workspace-j-1.tar\" -- 'bin' *.jar\n",
            "- uses: actions/upload-artifact@v4\n  with: {name: cigen-workspace-j-1, path: '${{ runner.temp }}/cigen-workspace-j-1.tar', if-no-files-found: error}\n",
            "- uses: actions/upload-artifact@v4\n  with: {name: j-artifacts-1, path: log, include-hidden-files: true}\n",
            "- uses: actions/upload-artifact@v4\n  with: {name: j-test-results-1, path: results, include-hidden-files: true}\n",
            "- uses: actions/upload-artifact@v4\n  with: {name: j-artifacts-2, path: more, include-hidden-files: true}\n",
        ))
    );
}

#[test]
fn setup_remote_docker_puts_the_job_on_the_runner() {
    let got = translate(
        "",
        "image: a\ncheckout: false\nsteps: [setup_remote_docker, {run: docker ps}]\n",
    )
    .expect("ok");
    assert!(got.on_runner);
    assert_eq!(got.steps, yaml("[{run: docker ps}]"));
    assert!(
        !translate("", "image: a\nsteps: [{run: x}]\n")
            .expect("ok")
            .on_runner
    );
}

const COMMANDS: &str = "commands:\n  greet:\n    parameters:\n      who: {type: string, default: world}\n      loud: {type: boolean, default: false}\n      then: {type: steps, default: []}\n    steps:\n      - run: echo hello << parameters.who >>\n      - when:\n          condition: << parameters.loud >>\n          steps: [{run: echo LOUD}]\n      - << parameters.then >>\n  twice:\n    steps: [greet, {greet: {who: again, loud: true, then: [{run: echo done}]}}]\n  ssh:\n    steps: [add_ssh_keys]\n";

#[test]
fn commands_are_inlined_with_their_arguments() {
    let got = ok(COMMANDS, "image: a\ncheckout: false\nsteps: [twice]\n");
    assert_eq!(
        got,
        yaml(
            "- run: echo hello world\n- run: echo hello again\n- run: echo LOUD\n- run: echo done\n"
        )
    );
}

#[test]
fn a_refusal_inside_a_command_names_the_step_that_uses_it() {
    let err =
        translate(COMMANDS, "image: a\nsteps:\n  - checkout\n  - ssh\n").expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:24: `steps[1]`: in command `ssh`: `add_ssh_keys` is a CircleCI step with no GitHub Actions equivalent\n  hint: write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)"
    );
    let err = translate(COMMANDS, "image: a\nsteps:\n  - greet: {whom: x}\n").expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:23: `steps[0].greet`: command `greet` has no parameter `whom`\n  hint: did you mean `who`?"
    );
}

#[test]
fn when_and_unless_become_if_on_each_inner_step() {
    let got = ok(
        "parameters:\n  deploy: {type: boolean, default: false}\n",
        "image: a\ncheckout: false\nsteps:\n  - when:\n      condition: {equal: [main, << pipeline.git.branch >>]}\n      steps:\n        - run: a\n        - unless:\n            condition: << pipeline.parameters.deploy >>\n            steps: [{run: {command: b, when: always}}]\n  - unless: {condition: true, steps: [{run: never}]}\n  - unless:\n      condition: << pipeline.git.tag >>\n      steps: [{run: c}]\n",
    );
    assert_eq!(
        got,
        yaml(concat!(
            "- if: \"'main' == (github.head_ref || github.ref_name)\"\n  run: a\n",
            "- if: \"always() && (('main' == (github.head_ref || github.ref_name)) && (!(github.event_name != 'workflow_dispatch' && false || inputs.deploy)))\"\n  run: b\n",
            "- if: \"${{ !(github.ref_type == 'tag' && github.ref_name || '') }}\"\n  run: c\n",
        ))
    );
}

#[test]
fn orb_and_circleci_only_steps_name_file_line_and_key() {
    let err = translate(
        "orbs:\n  node: circleci/node@5.1.0\n",
        "image: a\nsteps:\n  - checkout\n  - node/install\n",
    )
    .expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:10: `steps[1]`: `node/install` is a step of orb `node`: GitHub Actions cannot run CircleCI orbs\n  hint: write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)"
    );
    let err = translate("", "image: a\nsteps:\n  - deploy: make deploy\n").expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:7: `steps[0].deploy`: `deploy` is a CircleCI step with no GitHub Actions equivalent\n  hint: write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)"
    );
}

#[test]
fn pipeline_values_in_steps_become_expressions() {
    assert_eq!(
        ok(
            "",
            "image: a\ncheckout: false\nsteps:\n  - run: {command: 'echo << pipeline.git.revision >>', environment: {N: << pipeline.number >>}}\n"
        ),
        // In a script the value comes through the environment, never pasted in.
        yaml(
            "- env: {N: '${{ github.run_number }}', CIGEN_PIPELINE_git_revision: '${{ github.sha }}'}\n  run: echo ${CIGEN_PIPELINE_git_revision}\n"
        )
    );
    let err = translate(
        "",
        "image: a\nsteps:\n  - run: echo << pipeline.trigger_source >>\n",
    )
    .expect_err("refused");
    assert_eq!(
        err,
        "cigen.yml:7: `steps[0].run`: `<< pipeline.trigger_source >>` has no GitHub Actions equivalent: GitHub Actions has equivalents for pipeline.parameters.*, pipeline.git.branch, pipeline.git.tag, pipeline.git.revision, pipeline.number and pipeline.id only\n  hint: write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)"
    );
}

#[test]
fn a_pipeline_value_in_a_non_posix_script_is_refused() {
    let err = translate(
        "",
        "image: a\ncheckout: false\nsteps:\n  - run: {shell: python3, command: \"print('<< pipeline.git.branch >>')\"}\n",
    )
    .expect_err("refused");
    assert!(
        err.starts_with(
            "cigen.yml:8: `steps[0].run`: `<< pipeline.git.branch >>` in a `python3` script: cigen passes pipeline values to GitHub scripts as shell variables, which only sh-like shells expand\n"
        ),
        "{err}"
    );
    // An sh-like shell expands the variable.
    assert!(
        translate(
            "",
            "image: a\ncheckout: false\nsteps:\n  - run: {shell: /bin/bash -eo pipefail, command: 'echo << pipeline.git.branch >>'}\n",
        )
        .is_ok()
    );
}
