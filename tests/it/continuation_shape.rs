//! The continuation's shape (DESIGN §4) end to end through the real binary:
//! `cigen setup`, cache markers for the variants that passed, `cigen
//! continue --dry-run` as a pipeline of a branch or tag; every continued
//! config is checked with CircleCI's schema and for dangling references.

use crate::common::*;
use serde_json::{Map, Value as Json};
use serde_yaml::Value;

/// A continued config and what produced it.
struct Continued {
    doc: Value,
    main: Value,
    table: String,
    hashes: Map<String, Json>,
}

/// Generates, sets up, marks `passed` as passed and continues (dry run) as
/// a pipeline of `env` (`CIRCLE_BRANCH` / `CIRCLE_TAG`).
fn continued(repo: &Repo, passed: &[&str], env: &[(&str, &str)]) -> Continued {
    let job = SetupJob::new(repo, env);
    job.run(&["generate"]);
    job.run(&["setup"]);
    let hashes = hash_json(repo, &[]);
    for variant in passed {
        job.mark_passed(hashes[*variant].as_str().expect("hash"));
    }
    let (table, doc) = job.continue_dry_run();
    let main = repo.yaml(".circleci/main.yml");
    Continued {
        doc,
        main,
        table,
        hashes,
    }
}

const BRANCH: &[(&str, &str)] = &[("CIRCLE_BRANCH", "main")];

/// `build-app` → `test_t` → `cleanup` (on any outcome of `test_t`), and an
/// unhashed `lint` that `test_t` also requires.
fn chain(settings: &str) -> Repo {
    Repo::new().file("src.txt", "v1\n").file(
        "cigen.yml",
        &format!(
            r#"{settings}
workflows:
  main:
    jobs:
      build-app:
        image: cimg/base:current
        source_files: [src.txt]
        steps: [{{run: make}}]
      lint:
        image: cimg/base:current
        steps: [{{run: make lint}}]
      test_t:
        image: cimg/base:current
        requires: [build-app, lint]
        source_files: [src.txt]
        steps: [{{run: make test}}]
      cleanup:
        image: cimg/base:current
        requires:
          - test_t: [success, failed]
        steps: [{{run: make clean}}]
"#
        ),
    )
}

/// The workflow invocation of `name`.
fn job(doc: &Value, name: &str) -> Value {
    workflow_jobs(doc, "main")
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} not in the workflow"))
        .1
}

/// The `requires` of every job of the workflow, as written.
fn all_requires(doc: &Value) -> Vec<(String, Value)> {
    workflow_jobs(doc, "main")
        .into_iter()
        .map(|(name, params)| {
            let requires = params.get("requires").cloned().unwrap_or(Value::Null);
            (name, requires)
        })
        .collect()
}

#[test]
fn stand_ins_keep_every_requirement_and_status_exactly_as_main_yml() {
    let repo = chain("");
    let out = continued(&repo, &["build-app", "test_t"], BRANCH);
    assert_eq!(all_requires(&out.doc), all_requires(&out.main));
    assert!(is_no_op(&out.doc, "build-app") && is_no_op(&out.doc, "test_t"));
    assert_eq!(working_jobs(&out.doc, "main"), ["cleanup", "lint"]);
    let cleanup = job(&out.doc, "cleanup");
    assert_eq!(
        cleanup["requires"][0]["test_t"],
        serde_yaml::from_str::<Value>("[success, failed]").expect("yaml")
    );
    assert!(
        out.table.contains("inputs already passed: no-op stand-in")
            && out.table.contains("2 to run, 2 skipped (no-op stand-ins)"),
        "{}",
        out.table
    );
}

#[test]
fn remove_mode_still_rewires_keeping_statuses() {
    let repo = chain("setup: {skipped_jobs: remove}");
    let out = continued(&repo, &["build-app", "test_t"], BRANCH);
    assert_eq!(workflow_job_names(&out.doc, "main"), ["cleanup", "lint"]);
    let cleanup = job(&out.doc, "cleanup");
    assert_eq!(
        cleanup["requires"][0]["lint"],
        serde_yaml::from_str::<Value>("[success, failed]").expect("yaml")
    );
    assert!(
        out.table.contains("inputs already passed: removed"),
        "{}",
        out.table
    );
}

#[test]
fn jobs_that_run_get_the_hash_of_each_hashed_job_they_require_directly() {
    for settings in ["", "setup: {skipped_jobs: remove}"] {
        let repo = chain(settings);
        let out = continued(&repo, &["build-app"], BRANCH);
        let hash = |variant: &str| out.hashes[variant].as_str().expect("hash").to_string();
        let env = |job: &str| out.doc["jobs"][job]["environment"].clone();
        // `-` becomes `_`; the skipped build's hash is still there to find its artifacts.
        assert_eq!(env("test_t")["CIGEN_HASH_build_app"], hash("build-app"));
        assert_eq!(env("test_t")["CIGEN_JOB_HASH"], hash("test_t"));
        assert_eq!(env("cleanup")["CIGEN_HASH_test_t"], hash("test_t"));
        // Only direct requirements: cleanup does not get the build's.
        assert!(env("cleanup").get("CIGEN_HASH_build_app").is_none());
        // Unhashed `lint` has no hash to pass on; main.yml carries none at all.
        assert!(env("test_t").get("CIGEN_HASH_lint").is_none());
        assert!(out.main["jobs"]["cleanup"].get("environment").is_none());
    }
}

#[test]
fn two_hashed_jobs_sharing_a_hash_variable_are_an_error() {
    let repo = minimal(&[
        (
            "a-b.yml",
            "image: x\nsource_files: [s]\nsteps: [{run: a}]\n",
        ),
        (
            "a_b.yml",
            "image: x\nsource_files: [s]\nsteps: [{run: b}]\n",
        ),
    ])
    .file("s", "s\n");
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: .cigen/workflows/main/jobs/a_b.yml: `(job id)`: hashed jobs `a-b` and `a_b` would both pass their hash as `CIGEN_HASH_a_b` (`-` becomes `_`)\n  hint: rename one of the jobs\n"
    );
}

/// What `ci_passed` requires in the seed: every job not behind an approval.
fn seed_checked() -> Vec<&'static str> {
    [&SEED_INSTALL_AND_TEST[..], &["build_docs"]].concat()
}

#[test]
fn a_stand_in_loses_its_gate_and_shims_while_stage_approvals_and_producers_stay() {
    let repo = Repo::seed();
    let out = continued(
        &repo,
        &[
            "install_gems",
            "test_jest",
            "build_app_image_amd64",
            "build_app_image_arm64",
        ],
        BRANCH,
    );
    let names = workflow_job_names(&out.doc, "main");
    for gone in [
        "approve_build_app_image",
        "approve_build_app_image_after_approve_deploy_staging",
    ] {
        assert!(!names.contains(&gone.to_string()), "{gone} in {names:?}");
    }
    for stays in [
        "approve_deploy_staging",
        "approve_deploy_eu",
        "approve_deploy_us",
    ] {
        assert!(names.contains(&stays.to_string()), "{stays} missing");
    }
    // The stand-in image no longer waits for its own gate; nothing else changed.
    let mut image = requires(&out.main, "main", "build_app_image_amd64");
    image.retain(|r| r != "approve_build_app_image");
    assert_eq!(requires(&out.doc, "main", "build_app_image_amd64"), image);
    assert!(is_no_op(&out.doc, "build_app_image_amd64"));
    // rspec runs and attaches the workspace install_gems persists: un-skipped.
    let working = working_jobs(&out.doc, "main");
    assert!(working.contains(&"install_gems".to_string()), "{working:?}");
    assert!(is_no_op(&out.doc, "test_jest"));
    assert!(
        out.table
            .contains("un-skipped: workspace producer for test_jest")
            || out
                .table
                .contains("un-skipped: workspace producer for test_rspec_amd64"),
        "{}",
        out.table
    );
    // The manifest runs and finds both skipped images by their hashes.
    let env = &out.doc["jobs"]["build_app_manifest"]["environment"];
    for arch in ["amd64", "arm64"] {
        let variant = format!("build_app_image_{arch}");
        assert_eq!(
            env[format!("CIGEN_HASH_{variant}").as_str()],
            out.hashes[&variant].as_str().expect("hash")
        );
    }
    assert_eq!(
        out.doc["jobs"]["deploy_staging_deploy"]["environment"]["CIGEN_HASH_build_app_manifest"],
        out.hashes["build_app_manifest"].as_str().expect("hash")
    );
}

#[test]
fn the_required_check_is_in_main_yml_and_every_continuation() {
    let repo = Repo::seed();
    let out = continued(&repo, &[], BRANCH);
    assert!(is_no_op(&out.main, "ci_passed"));
    assert_eq!(requires(&out.main, "main", "ci_passed"), seed_checked());
    assert_eq!(requires(&out.doc, "main", "ci_passed"), seed_checked());
    assert!(is_no_op(&out.doc, "ci_passed"));
    // Everything passed, stand-ins: the same requirements, all no-op.
    let all: Vec<String> = hash_json(&repo, &[]).keys().cloned().collect();
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let out = continued(&repo, &all, BRANCH);
    assert_eq!(requires(&out.doc, "main", "ci_passed"), seed_checked());
    assert!(!workflow_job_names(&out.doc, "main").contains(&"cigen_all_skipped".to_string()));
    // On a tag the summary job is added, and the check requires it.
    let out = continued(&repo, &all, &[("CIRCLE_TAG", "v1.0.0")]);
    let mut expected: Vec<&str> = seed_checked();
    expected.push("cigen_all_skipped");
    assert_eq!(requires(&out.doc, "main", "ci_passed"), expected);
    // The tag promotes the tested image: the release job runs, the builds are stand-ins.
    let working = working_jobs(&out.doc, "main");
    assert!(
        working.contains(&"release_image".to_string()),
        "{working:?}"
    );
    assert!(is_no_op(&out.doc, "build_app_manifest"));
    assert_eq!(
        out.doc["jobs"]["release_image"]["environment"]["CIGEN_HASH_build_app_manifest"],
        out.hashes["build_app_manifest"].as_str().expect("hash")
    );
    // Removed instead: the check's requirements are rewired to what is kept
    // (the docs deploy reads the workspace of the docs and install jobs, so
    // they run again); on a tag it requires the summary job too.
    let removing = Repo::seed().file(
        ".cigen/config/zz_remove.yml",
        "setup: {skipped_jobs: remove}\n",
    );
    let out = continued(&removing, &all, BRANCH);
    assert_eq!(
        requires(&out.doc, "main", "ci_passed"),
        ["install_gems", "install_node_modules", "build_docs"]
    );
    let out = continued(&removing, &all, &[("CIRCLE_TAG", "v1.0.0")]);
    let checked = requires(&out.doc, "main", "ci_passed");
    assert_eq!(
        checked.last().map(String::as_str),
        Some("cigen_all_skipped")
    );
    let out = continued(&removing, &["install_gems", "test_jest"], BRANCH);
    let checked = requires(&out.doc, "main", "ci_passed");
    assert!(
        !checked.contains(&"test_jest".to_string())
            && checked.contains(&"install_gems".to_string()),
        "{checked:?}"
    );
}

#[test]
fn required_check_and_skipped_jobs_settings_are_checked() {
    let repo = minimal(&[("build.yml", "image: x\nsteps: [{run: make}]\n")]);
    let fails = |config: &str, expected: &str| {
        repo.write(".cigen/config.yml", config);
        repo.fails_with(&["validate"], 2, expected);
    };
    fails(
        "setup: {skipped_jobs: no-op}\n",
        "error: .cigen/config.yml:1: `setup.skipped_jobs`: unknown value `no-op`: expected `no_op` \
         (skipped jobs become no-op stand-ins) or `remove` (removed, dependents rewired)\n  \
         hint: did you mean `no_op`?\n",
    );
    fails(
        "setup: {required_check: build}\n",
        "error: .cigen/workflows/main/jobs/build.yml: `(job id)`: job id `build` is reserved by cigen\n  \
         hint: `setup.required_check` names cigen's required-check job so: rename one\n",
    );
    fails(
        "setup: {required_check: cigen_all_skipped}\n",
        "error: .cigen/config.yml:1: `setup.required_check`: `cigen_all_skipped` is already the name \
         of a job cigen adds: pick another name\n",
    );
    fails(
        "setup: {required_check: 'ci passed'}\n",
        "error: .cigen/config.yml:1: `setup.required_check`: `ci passed` is not a valid CircleCI job \
         name: a letter, then letters, digits, `_` or `-`\n",
    );
    let run = |config: &str| {
        repo.write(".cigen/config.yml", config);
        let output = repo.cigen().arg("validate").output().expect("runs");
        (output.status.code(), stderr(&output))
    };
    assert_eq!(
        run("setup: {required_check: ci, skipped_jobs: remove}\n").0,
        Some(0)
    );
}

/// `build` persists a workspace that `deploy` (filtered by `filters`) reads.
fn producer_and_filtered_consumer(filters: &str) -> Repo {
    Repo::new().file("src.txt", "v1\n").file(
        "cigen.yml",
        &format!(
            r#"workflows:
  main:
    jobs:
      build:
        image: cimg/base:current
        source_files: [src.txt]
        steps:
          - {{run: make}}
          - persist_to_workspace: {{root: ., paths: [out]}}
      deploy:
        image: cimg/base:current
        requires: [build]
        filters: {filters}
        steps:
          - attach_workspace: {{at: .}}
          - {{run: ./deploy out}}
"#
        ),
    )
}

#[test]
fn r_a_lookahead_under_ignore_made_the_config_all_skipped() {
    // Java's regexes have lookaheads, Rust's did not compile them: the
    // deploy counted as filtered out and its build stayed skipped.
    let repo = producer_and_filtered_consumer("{branches: {ignore: '/^(?!main).*/'}}");
    let out = continued(&repo, &["build"], BRANCH);
    assert_eq!(working_jobs(&out.doc, "main"), ["build", "deploy"]);
    assert!(
        out.table
            .contains("un-skipped: workspace producer for deploy")
            && out.table.contains("may not run here (filters)"),
        "{}",
        out.table
    );
    // A plain name settles it: on another branch the deploy keeps no build alive.
    let repo = producer_and_filtered_consumer("{branches: {only: main}}");
    let out = continued(&repo, &["build"], &[("CIRCLE_BRANCH", "feature")]);
    assert_eq!(working_jobs(&out.doc, "main"), ["deploy"]);
    assert!(is_no_op(&out.doc, "build"));
}

#[test]
fn r_a_job_whose_requirements_were_all_filtered_counted_as_running() {
    // `notify` has no filters, but all it requires is filtered out on this
    // branch: CircleCI runs neither, so nothing is certain to run.
    let repo = Repo::new().file(
        "cigen.yml",
        r#"workflows:
  main:
    jobs:
      release:
        image: cimg/base:current
        filters: pipeline.git.branch == "main"
        steps: [{run: ./release}]
      notify:
        image: cimg/base:current
        requires: [release]
        steps: [{run: ./notify}]
"#,
    );
    let out = continued(&repo, &[], &[("CIRCLE_BRANCH", "feature")]);
    assert_eq!(
        workflow_job_names(&out.doc, "main"),
        ["notify", "release", "cigen_all_skipped"]
    );
    let summary = out.doc["jobs"]["cigen_all_skipped"]["steps"][0]["run"]["command"]
        .as_str()
        .expect("summary");
    assert!(
        summary.contains("May not run here (their filters, or those of every job they require):\n  notify\n  release\n")
            && !summary.contains("inputs already passed"),
        "{summary}"
    );
    assert!(
        out.table
            .contains("\nno job left is certain to run here (filters): added cigen_all_skipped\n"),
        "{}",
        out.table
    );
    // The expression passes through unchanged.
    assert_eq!(
        job(&out.doc, "release")["filters"],
        "pipeline.git.branch == \"main\""
    );
}

#[test]
fn the_setup_job_allows_tags_when_an_expression_reads_the_tag() {
    let config_with = |filters: &str| {
        let repo = minimal(&[(
            "release.yml",
            &format!("image: x\nfilters: '{filters}'\nsteps: [{{run: make}}]\n"),
        )]);
        let output = repo.cigen().arg("generate").output().expect("runs");
        assert!(output.status.success(), "{}", stderr(&output));
        assert_circleci_schema(&[repo.path().join(".circleci/config.yml")]);
        let config = repo.yaml(".circleci/config.yml");
        let (_, params) = workflow_jobs(&config, "setup").pop().expect("setup job");
        params.get("filters").cloned()
    };
    let tags = config_with("pipeline.git.tag matches /^v.*/").expect("filters");
    assert_eq!(tags["tags"]["only"], "/.*/");
    assert!(config_with("pipeline.git.branch == \"main\"").is_none());
}

/// `x` runs on `main` only; `s` (hashed) requires `x` and waits for one of
/// `a`, `b` (or for a person with `approval: true`); `t` comes after `s`.
fn gated_after_filtered(settings: &str, gate: &str) -> Repo {
    Repo::new().file("src.txt", "v1\n").file(
        "cigen.yml",
        &format!(
            r#"setup: {{approve_context: [ctx]{settings}}}
workflows:
  main:
    jobs:
      x: {{image: cimg/base:current, filters: {{branches: {{only: main}}}}, steps: [{{run: make x}}]}}
      a: {{image: cimg/base:current, steps: [{{run: make a}}]}}
      b: {{image: cimg/base:current, steps: [{{run: make b}}]}}
      s: {{image: cimg/base:current, source_files: [src.txt], requires: [x], {gate}, steps: [{{run: make s}}]}}
      t: {{image: cimg/base:current, requires: [s], steps: [{{run: make t}}]}}
"#
        ),
    )
}

#[test]
fn r_a_stand_in_left_requiring_only_filtered_jobs_stopped_everything_after_it() {
    // Without its gate the stand-in `s` required only `x`, filtered out on
    // `feature`: CircleCI ran neither `s` nor `t`, which main.yml runs.
    for gate in ["requires_any: [a, b]", "approval: true"] {
        let repo = gated_after_filtered("", gate);
        let out = continued(&repo, &["s"], &[("CIRCLE_BRANCH", "feature")]);
        assert_eq!(
            job(&out.doc, "s")["requires"],
            serde_yaml::from_str::<Value>("[x, approve_s]").expect("yaml"),
            "{gate}"
        );
        assert!(
            is_no_op(&out.doc, "s") && is_no_op(&out.doc, "approve_s"),
            "{gate}"
        );
        assert!(job(&out.doc, "approve_s").get("type").is_none(), "{gate}");
        assert!(out.doc["jobs"].get("cigen_approve").is_none(), "{gate}");
        assert!(
            out.table.contains("\napprove_s  skip  -             gate of skipped s: no-op stand-in, nothing waits for it\n")
                && out.table.contains("\nt          run   -             not hashed (no source_files)\n"),
            "{gate}\n{}",
            out.table
        );
        // On `main`, where `x` is certain to run, the gate simply goes.
        let out = continued(&repo, &["s"], BRANCH);
        assert_eq!(
            job(&out.doc, "s")["requires"],
            serde_yaml::from_str::<Value>("[x]").expect("yaml")
        );
        assert!(out.doc["jobs"].get("approve_s").is_none());
    }
}

#[test]
fn r_removing_a_job_left_its_dependent_requiring_only_filtered_jobs() {
    // Remove mode: `c` required `x` (main only) and `y`; with `y` removed it
    // required only `x`, and CircleCI did not run it on `feature`.
    let repo = Repo::new().file("src.txt", "v1\n").file(
        "cigen.yml",
        r#"setup: {skipped_jobs: remove}
workflows:
  main:
    jobs:
      x: {image: cimg/base:current, filters: {branches: {only: main}}, steps: [{run: make x}]}
      y: {image: cimg/base:current, source_files: [src.txt], steps: [{run: make y}]}
      c: {image: cimg/base:current, requires: [x, y], steps: [{run: make c}]}
"#,
    );
    let out = continued(&repo, &["y"], &[("CIRCLE_BRANCH", "feature")]);
    assert_eq!(working_jobs(&out.doc, "main"), ["c", "x", "y"]);
    assert!(
        out.table.contains("\ny    run   ")
            && out
                .table
                .contains("un-skipped: c would be left with no requirement certain to run here\n"),
        "{}",
        out.table
    );
    // On `main` `x` is certain: `y` is removed as usual.
    let out = continued(&repo, &["y"], BRANCH);
    assert_eq!(working_jobs(&out.doc, "main"), ["c", "x"]);
}
