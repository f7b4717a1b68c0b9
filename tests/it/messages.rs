//! Messages that point at the cause: each mistake gets the whole expected
//! `error: FILE:LINE: `KEY`: …` line (and hint), exit 2 and no output; each
//! warning its whole `warning: FILE:LINE: …` line, printed by the commands
//! used while writing the configuration and not by those CI runs.

use crate::common::*;

const OK_JOB: &str = "image: a\nsteps: [{run: make}]\n";

fn repo() -> Repo {
    minimal(&[("test/rspec.yml", OK_JOB)]).file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}]\n",
    )
}

/// `generate` fails with exit 2, exactly this stderr, and writes nothing.
fn fails_with(repo: &Repo, expected: &str) {
    repo.fails_with(&["generate"], 2, expected);
}

#[test]
fn type_errors_in_settings_name_the_fragment_line_and_key() {
    let repo = repo()
        .file(".cigen/config/a.yml", "# salt\nhash_salt: 2024\n")
        .file(".cigen/config/b.yml", "orbs: {}\n");
    fails_with(
        &repo,
        "error: .cigen/config/a.yml:2: `hash_salt`: invalid type: integer `2024`, expected a string\n",
    );
    repo.write(
        ".cigen/config/a.yml",
        "setup:\n  image: x\n  resource_class: 2\n",
    );
    fails_with(
        &repo,
        "error: .cigen/config/a.yml:3: `setup.resource_class`: invalid type: integer `2`, expected a string\n",
    );
    repo.remove(".cigen/config");
    repo.write(
        ".cigen/config.yml",
        "provider: circleci\ndynamic_workflow: 5\n",
    );
    fails_with(
        &repo,
        "error: .cigen/config.yml:2: `dynamic_workflow`: invalid type: integer `5`, expected a string\n",
    );
    // The single-file form types settings the same way.
    let single = Repo::new().file(
        "cigen.yml",
        "hash_salt: 2024\nworkflows:\n  main:\n    jobs:\n      a: {image: a, steps: [{run: make}]}\n",
    );
    fails_with(
        &single,
        "error: cigen.yml:1: `hash_salt`: invalid type: integer `2024`, expected a string\n",
    );
}

#[test]
fn r_string_or_list_type_errors_named_the_parent_key_and_a_rust_enum() {
    let job = |body: &str| {
        let repo = repo_with_job(body);
        repo.write(".cigen/workflows/main/jobs/test/unit.yml", OK_JOB);
        repo
    };
    fails_with(
        &job("context: 5\nimage: a\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:1: `context`: invalid type: integer `5`, expected a string or a list of strings\n",
    );
    fails_with(
        &job("image: a\ncontext:\n  - a\n  - [b]\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:4: `context[1]`: invalid type: list, expected a string\n",
    );
    fails_with(
        &job("image: a\nrequires:\n  - test_unit: 5\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `requires[0].test_unit`: invalid type: integer `5`, expected a string or a list of strings\n",
    );
    fails_with(
        &job("image: a\nrequires:\n  - [test_unit]\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `requires[0]`: invalid type: list, expected a job name, or a job name mapped to its statuses (`build: [success, failed]`)\n",
    );
    let settings = repo().file(".cigen/config/a.yml", "orbs: {}\n").file(
        ".cigen/config/b.yml",
        "setup:\n  image: x\n  approve_context: 5\n",
    );
    fails_with(
        &settings,
        "error: .cigen/config/b.yml:3: `setup.approve_context`: invalid type: integer `5`, expected a string or a list of strings\n",
    );
    settings.remove(".cigen/config");
    settings.write(
        ".cigen/config.yml",
        "provider: github\narchitectures:\n  amd64:\n    runs_on: 5\n",
    );
    fails_with(
        &settings,
        "error: .cigen/config.yml:4: `architectures.amd64.runs_on`: invalid type: integer `5`, expected a string or a list of strings\n",
    );
}

#[test]
fn r_a_wrong_kind_of_value_named_a_rust_struct() {
    let repo = repo();
    let workflow = ".cigen/workflows/main/config.yml";
    repo.write(workflow, "stages: [test, deploy]\n");
    fails_with(
        &repo,
        "error: .cigen/workflows/main/config.yml:1: `stages[0]`: invalid type: string \"test\", expected a mapping such as `{name: test}` for each stage (with optional `requires` and `approval`)\n",
    );
    repo.write(workflow, "stages: [{name: test}]\ntrigger: nightly\n");
    fails_with(
        &repo,
        "error: .cigen/workflows/main/config.yml:2: `trigger`: invalid type: string \"nightly\", expected a mapping `{parameter: NAME}` naming a boolean pipeline parameter\n",
    );
    repo.write(workflow, "stages: [{name: test}]\n");
    repo.write(
        ".cigen/config.yml",
        "provider: circleci\nsetup:\n  on_all_skipped: true\n",
    );
    fails_with(
        &repo,
        "error: .cigen/config.yml:3: `setup.on_all_skipped`: invalid type: boolean `true`, expected a mapping with `job_name` and `message`\n",
    );
    repo.write(
        ".cigen/config.yml",
        "provider: circleci\nsource_file_groups:\n  app: src/**\n",
    );
    fails_with(
        &repo,
        "error: .cigen/config.yml:3: `source_file_groups.app`: invalid type: string \"src/**\", expected a list\n",
    );
    repo.write(".cigen/config.yml", "provider: circleci\n");
    fails_with(
        &repo_with_job("- image: a\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:1: `(document)`: invalid type: list, expected a mapping of job settings (`image`, `steps`, …)\n",
    );
}

#[test]
fn a_duplicate_key_names_its_line() {
    let repo = repo().file(
        ".cigen/config/a.yml",
        "orbs: {}\nsetup:\n  image: x\n  image: y\n",
    );
    fails_with(
        &repo,
        "error: .cigen/config/a.yml:4: `setup.image`: duplicate key: keep one of the two\n",
    );
    let repo = repo_with_job("image: a\nsteps:\n  - run: make\nimage: b\n");
    fails_with(
        &repo,
        "error: .cigen/workflows/main/jobs/test/rspec.yml:4: `image`: duplicate key: keep one of the two\n",
    );
}

fn repo_with_job(body: &str) -> Repo {
    let repo = repo();
    repo.write(".cigen/workflows/main/jobs/test/rspec.yml", body);
    repo
}

#[test]
fn an_empty_job_file_says_it_is_empty() {
    fails_with(
        &repo_with_job("# to do\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml: `(file)`: the job file is empty: a job needs an executor (`image`, `docker`, `machine` or `macos`) and `steps`\n",
    );
}

#[test]
fn a_tab_in_indentation_says_tabs_are_not_allowed() {
    fails_with(
        &repo_with_job("image: a\nsteps:\n\t- run: make\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `(indentation)`: tabs are not allowed in YAML indentation: indent with spaces\n",
    );
}

#[test]
fn image_with_machine_names_both_keys() {
    fails_with(
        &repo_with_job("image: a\nmachine: true\nsteps: [{run: make}]\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:2: `machine`: both `image` and `machine` are set: a job runs on exactly one of `image`, `docker`, `machine` or `macos`\n",
    );
}

#[test]
fn a_variant_id_collision_names_both_files() {
    let repo = Repo::new()
        .file(
            ".cigen/config.yml",
            "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n",
        )
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: a\narchitectures: [amd64, arm64]\nsteps: [{run: make}]\n",
        )
        .file(".cigen/workflows/main/jobs/build_arm64.yml", OK_JOB);
    fails_with(
        &repo,
        "error: .cigen/workflows/main/jobs/build_arm64.yml: `(job id)`: id `build_arm64` is produced twice in workflow `main`: by this file and by .cigen/workflows/main/jobs/build.yml\n  hint: rename one of the jobs: variants are named `<id>_<arch>`, approvals `approve_<stage>` and `approve_<id>`\n",
    );
}

#[test]
fn triggers_explains_schedules_instead_of_suggesting_trigger() {
    let repo = repo().file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}]\ntriggers:\n  - schedule: {cron: \"0 4 * * *\"}\n",
    );
    fails_with(
        &repo,
        "error: .cigen/workflows/main/config.yml:2: `triggers`: cigen has no `triggers`: schedules are set on the CircleCI project, as a scheduled trigger that sets a pipeline parameter\n  hint: give this workflow `trigger: {parameter: P}` with a boolean parameter `P`, and let the project's schedule set `P` to true\n",
    );
}

#[test]
fn an_empty_requires_any_is_an_error() {
    fails_with(
        &repo_with_job("image: a\nsteps: [{run: make}]\nrequires_any: []\n"),
        "error: .cigen/workflows/main/jobs/test/rspec.yml:3: `requires_any`: `requires_any` is empty: list the jobs any one of which starts this job, or remove the key\n",
    );
}

/// Stderr of `args` on a valid repository (exit 0 asserted).
fn warnings(repo: &Repo, args: &[&str]) -> String {
    let output = repo
        .cigen()
        .args(args)
        .env("CIGEN_TMP", repo.path().join("rt"))
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    stderr(&output)
}

#[test]
fn requires_any_warnings_are_printed_while_authoring_not_in_ci() {
    let repo = minimal(&[
        ("a.yml", OK_JOB),
        ("b.yml", OK_JOB),
        (
            "one.yml",
            "image: a\nsteps: [{run: make}]\nrequires_any: [a]\n",
        ),
        (
            "either.yml",
            "image: a\nsteps: [{run: make}]\napproval: true\nrequires_any: [a]\n",
        ),
    ]);
    let expected = "\
warning: .cigen/workflows/main/jobs/either.yml:4: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it
warning: .cigen/workflows/main/jobs/one.yml:3: `requires_any` has one job: write `requires: [a]` (one trigger is an OR of one), or add `approval: true` to also allow starting the job by hand
warning: .cigen/workflows/main/jobs/one.yml:3: `requires_any` without `setup.approve_context`: the shim jobs that approve the gate will have no `CIRCLE_TOKEN`; set `setup.approve_context` to a context that provides it
";
    for args in [&["validate"][..], &["generate"], &["plan"]] {
        assert_eq!(warnings(&repo, args), expected, "{args:?}");
    }
    repo.commit_all();
    for args in [&["setup"][..], &["hash"], &["continue", "--dry-run"]] {
        assert_eq!(warnings(&repo, args), "", "{args:?}");
    }
    repo.write(
        ".cigen/config.yml",
        "setup: {approve_context: circleci-api}\n",
    );
    assert_eq!(
        warnings(&repo, &["validate"]),
        "warning: .cigen/workflows/main/jobs/one.yml:3: `requires_any` has one job: write `requires: [a]` (one trigger is an OR of one), or add `approval: true` to also allow starting the job by hand\n"
    );
}

#[test]
fn the_stage_noun_warning_can_be_silenced_per_job() {
    let repo = minimal(&[("build_docs/compile_docs.yml", OK_JOB)]).file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: build_docs}]\n",
    );
    let expected = "warning: .cigen/workflows/main/jobs/build_docs/compile_docs.yml: job `compile_docs` repeats a word of its stage `build_docs` (id `build_docs_compile_docs`): rename to `compile.yml` (or set `allow_stage_noun: true`)\n";
    assert_eq!(warnings(&repo, &["validate"]), expected);
    assert_eq!(warnings(&repo, &["generate"]), expected);
    assert_eq!(warnings(&repo, &["hash"]), "");
    repo.write(
        ".cigen/workflows/main/jobs/build_docs/compile_docs.yml",
        "image: a\nsteps: [{run: make}]\nallow_stage_noun: true\n",
    );
    assert_eq!(warnings(&repo, &["validate"]), "");
}
