//! The setup phase end to end through the real binary: generate → setup
//! (self-check, hashes, key files) → simulated cache hits (marker files) →
//! continue against a CircleCI stand-in on 127.0.0.1. Asserts what is kept,
//! what is dropped, what is POSTed, and that the key never leaks.

use serde_json::json;
use serde_yaml::Value;

use crate::common::*;
use crate::support::fake_circleci::{FakeCircleCi, Reply};

const KEY: &str = "continuation-key-5ecret-0123456789";

struct Run {
    repo: Repo,
    rt: tempfile::TempDir,
}

impl Run {
    /// The seed example as a committed git repository, generated and set up.
    fn seed() -> Run {
        let repo = Repo::seed();
        repo.generate_and_commit();
        let run = Run {
            repo,
            rt: tempfile::tempdir().expect("rt"),
        };
        let output = run.cigen(&["setup", "--self-check"]);
        assert!(
            output.status.success(),
            "setup failed: {}{}",
            stdout(&output),
            stderr(&output)
        );
        run
    }

    fn cigen(&self, args: &[&str]) -> std::process::Output {
        self.repo
            .cigen()
            .args(args)
            .env("CIGEN_TMP", self.rt.path())
            .env("CIGEN_API_BACKOFF_MS", "10")
            .env_remove("CIGEN_SKIP_CACHE")
            .env_remove("CIRCLE_CONTINUATION_KEY")
            .output()
            .expect("runs")
    }

    /// Asserts `continue --dry-run` refuses the state setup wrote, with
    /// `error: RT/cigen/state.json{rest}`.
    fn continue_refuses_state(&self, rest: &str) {
        let output = self.cigen(&["continue", "--dry-run"]);
        assert_state_refused(&output, self.rt.path(), rest);
    }

    fn rt(&self, path: &str) -> std::path::PathBuf {
        self.rt.path().join(path)
    }

    fn hashes(&self) -> serde_json::Map<String, serde_json::Value> {
        let output = self.cigen(&["hash", "--json"]);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output)).expect("json")
    }

    /// What a restored cache leaves behind for a variant that passed.
    fn passed(&self, variants: &[&str]) {
        let hashes = self.hashes();
        std::fs::create_dir_all(self.rt("cigen_job_exists")).expect("mkdir");
        for variant in variants {
            let hash = hashes[*variant].as_str().expect("hash");
            std::fs::write(self.rt(&format!("cigen_job_exists/done_{hash}")), "").expect("marker");
        }
    }

    fn continue_to(&self, server: &FakeCircleCi) -> std::process::Output {
        self.repo
            .cigen()
            .args(["continue", "--api-url", server.url()])
            .env("CIGEN_TMP", self.rt.path())
            .env("CIGEN_API_BACKOFF_MS", "10")
            .env("CIRCLE_CONTINUATION_KEY", KEY)
            .env_remove("CIGEN_SKIP_CACHE")
            .output()
            .expect("runs")
    }
}

/// `git ARGS` run in `dir`, which must succeed; its stdout, trimmed.
fn git_in(dir: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {}", stderr(&output));
    stdout(&output).trim().to_string()
}

fn assert_no_key(output: &std::process::Output) {
    assert!(
        !stdout(output).contains(KEY) && !stderr(output).contains(KEY),
        "the continuation key leaked"
    );
}

#[test]
fn setup_writes_key_files_identical_to_what_jobs_record() {
    let run = Run::seed();
    let hashes = run.hashes();
    assert_eq!(hashes.len(), 10);
    for (variant, hash) in &hashes {
        let key = std::fs::read_to_string(run.rt(&format!("setup_keys/{variant}/job-key")))
            .expect("key file");
        let hash = hash.as_str().expect("hex");
        assert_eq!(hash.len(), 64);
        // The record step of the job writes `<job>-<arch>-${CIGEN_JOB_HASH}`.
        let main = run.repo.yaml(".circleci/main.yml");
        // A parallel variant (test_rspec) records in its `<id>_record` job.
        let record_job = format!("{variant}_record");
        let job = match main["jobs"].get(&record_job) {
            Some(job) => job,
            None => &main["jobs"][variant.as_str()],
        };
        let steps = job["steps"].as_sequence().expect("steps");
        let record = steps[steps.len() - 2]["run"]["command"]
            .as_str()
            .expect("record");
        let template = record
            .lines()
            .find(|l| l.starts_with("printf '%s' \""))
            .expect("printf line");
        let written = template
            .trim_start_matches("printf '%s' \"")
            .split('"')
            .next()
            .expect("value")
            .replace("${CIGEN_JOB_HASH}", hash);
        assert_eq!(key, written, "{variant}");
    }
    // The same hashes as `cigen hash`: one code path.
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.rt("cigen/state.json")).expect("state"))
            .expect("json");
    assert_eq!(state["hashes"].as_object().expect("map"), &hashes);
}

#[test]
fn continue_posts_a_pruned_config_with_hashes_and_the_key() {
    let run = Run::seed();
    run.passed(&["test_jest", "test_rubocop", "build_docs"]);
    let server = FakeCircleCi::start(vec![Reply::json(
        200,
        json!({"message": "Pipeline continued"}),
    )]);
    let output = run.continue_to(&server);
    let requests = server.finish();
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert_no_key(&output);
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path(), "/api/v2/pipeline/continue");
    let body = requests[0].json();
    assert_eq!(body["continuation-key"], KEY);
    assert_eq!(body["parameters"], json!({}));
    let config: Value =
        serde_yaml::from_str(body["configuration"].as_str().expect("config")).expect("yaml");
    let names = workflow_job_names(&config, "main");
    let working = working_jobs(&config, "main");
    for skipped in ["test_jest", "test_rubocop"] {
        assert!(
            is_no_op(&config, skipped) && !working.contains(&skipped.to_string()),
            "{skipped} should be a no-op stand-in: {working:?}"
        );
    }
    // build_docs passed too, but the kept docs deploy attaches the workspace it persists.
    for kept in [
        "install_gems",
        "test_rspec_amd64",
        "build_app_manifest",
        "build_docs",
        "deploy_staging_docs_site",
    ] {
        assert!(working.contains(&kept.to_string()), "{kept} should run");
    }
    // Stand-ins keep the graph: every job keeps the requirements of main.yml.
    let main = run.repo.yaml(".circleci/main.yml");
    for name in &names {
        assert_eq!(
            requires(&config, "main", name),
            requires(&main, "main", name),
            "{name}"
        );
    }
    let hashes = run.hashes();
    assert_eq!(
        config["jobs"]["test_rspec_arm64"]["environment"]["CIGEN_JOB_HASH"],
        hashes["test_rspec_arm64"].as_str().expect("h")
    );
    assert!(
        config["jobs"]["deploy_eu_deploy"]["environment"]
            .get("CIGEN_JOB_HASH")
            .is_none()
    );
    assert_eq!(
        std::fs::read_to_string(run.rt("skip/main.txt")).expect("skip"),
        "test_jest\ntest_rubocop\n"
    );
    std::fs::write(
        run.rt("posted.yml"),
        body["configuration"].as_str().expect("c"),
    )
    .expect("w");
    assert_circleci_schema(&[run.rt("posted.yml")]);
    assert_references_resolve(&config);
    let table = stdout(&output);
    assert!(
        table.contains("test_jest")
            && table.contains("skip")
            && table.contains("15 to run, 2 skipped (no-op stand-ins)")
            && table.contains("un-skipped: workspace producer for deploy_staging_docs_site"),
        "{table}"
    );
}

#[test]
fn everything_passed_continues_with_the_summary_workflow() {
    let run = Run::seed();
    let hashes = run.hashes();
    let all: Vec<&str> = hashes.keys().map(String::as_str).collect();
    run.passed(&all);
    let output = run.cigen(&["continue", "--dry-run"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config: Value = serde_yaml::from_str(
        &std::fs::read_to_string(run.rt("cigen/continuation.yml")).expect("c"),
    )
    .expect("y");
    // Unhashed deploy jobs still run: not everything is skipped.
    let working = working_jobs(&config, "main");
    assert!(working.contains(&"deploy_staging_deploy".to_string()));
    assert!(
        !working.iter().any(|j| j.starts_with("test_")),
        "{working:?}"
    );
    assert!(is_no_op(&config, "test_jest"));
    // The dry run wrote the body with the key redacted, and sent nothing.
    let body: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(run.rt("cigen/continue-request.json")).expect("body"),
    )
    .expect("json");
    assert_eq!(body["continuation-key"], "<redacted>");
}

#[test]
fn skip_cache_parameter_runs_everything() {
    let run = Run::seed();
    run.passed(&["test_jest"]);
    let output = run
        .repo
        .cigen()
        .args(["continue", "--dry-run"])
        .env("CIGEN_TMP", run.rt.path())
        .env("CIGEN_SKIP_CACHE", "true")
        .output()
        .expect("runs");
    assert!(output.status.success());
    let config: Value = serde_yaml::from_str(
        &std::fs::read_to_string(run.rt("cigen/continuation.yml")).expect("c"),
    )
    .expect("y");
    assert!(workflow_job_names(&config, "main").contains(&"test_jest".to_string()));
    assert!(stdout(&output).contains("cigen_skip_cache is set"));
}

#[test]
fn editing_a_source_changes_exactly_its_jobs_and_their_hashed_dependents() {
    let run = Run::seed();
    let before = run.hashes();
    run.repo
        .write("frontend/src/index.js", "console.log('changed');\n");
    let after = run.hashes();
    let changed: Vec<&str> = before
        .keys()
        .filter(|k| before[*k] != after[*k])
        .map(String::as_str)
        .collect();
    // test_jest and the image jobs match frontend/**; build jobs chain the test stage's hashes.
    assert_eq!(
        changed,
        [
            "build_app_image_amd64",
            "build_app_image_arm64",
            "build_app_manifest",
            "build_docs",
            "test_jest"
        ]
    );
    run.repo.write("README.unmatched", "x\n");
    assert_eq!(after, run.hashes());
}

#[test]
fn continue_retries_and_never_prints_the_key() {
    let run = Run::seed();
    let server = FakeCircleCi::start(vec![
        Reply::message(503, "down"),
        Reply::message(400, &format!("bad key {KEY}")),
    ]);
    let output = run.continue_to(&server);
    let requests = server.finish();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(requests.len(), 2);
    assert_no_key(&output);
    assert_eq!(
        stderr(&output),
        "attempt 1/5 (POST /api/v2/pipeline/continue): 503 Service Unavailable: down, retrying in 10ms\n\
         error: continuation failed: POST /api/v2/pipeline/continue was rejected with status 400 after 2 attempts: bad key ***\n"
    );
}

#[test]
fn a_missing_or_too_short_continuation_key_is_refused_before_anything_is_printed_written_or_sent() {
    let run = Run::seed();
    let server = FakeCircleCi::start(vec![]);
    let before = files_under(run.rt.path());
    let short = "error: `CIRCLE_CONTINUATION_KEY` is too short (3 characters): expected a real key or token of at least 8; cigen refuses it rather than mask every occurrence of it in its messages\n";
    for (key, expected) in [
        (None, "error: `CIRCLE_CONTINUATION_KEY` is not set\n"),
        (Some("k-1"), short),
    ] {
        let mut command = run.repo.cigen();
        command
            .args(["continue", "--api-url", server.url()])
            .env("CIGEN_TMP", run.rt.path())
            .env_remove("CIRCLE_CONTINUATION_KEY");
        if let Some(key) = key {
            command.env("CIRCLE_CONTINUATION_KEY", key);
        }
        assert_failed(&command.output().expect("runs"), 2, expected);
        assert!(
            files_under(run.rt.path()) == before,
            "continue wrote under CIGEN_TMP before refusing the key"
        );
    }
    assert!(server.finish().is_empty());
}

#[test]
fn a_push_token_too_short_to_mask_is_refused_before_the_self_check() {
    let run = Run::seed();
    let output = run
        .repo
        .cigen()
        .args(["setup", "--self-check", "--commit-on-diff"])
        .env("CIGEN_TMP", run.rt.path())
        .env("GITHUB_TOKEN", "abc")
        .output()
        .expect("runs");
    assert_failed(
        &output,
        2,
        "error: `GITHUB_TOKEN` is too short (3 characters): expected a real key or token of at least 8; cigen refuses it rather than mask every occurrence of it in its messages\n",
    );
}

#[test]
fn continue_without_setup_or_with_stale_state_fails_clearly() {
    let repo = Repo::seed();
    repo.commit_all();
    let rt = tempfile::tempdir().expect("rt");
    assert_state_refused(
        &repo.continue_dry_run(rt.path()),
        rt.path(),
        ": No such file or directory (os error 2) (run `cigen setup` first)",
    );

    let run = Run::seed();
    run.repo.remove(".cigen/workflows/main/jobs/test/jest.yml");
    run.continue_refuses_state(
        " was written for other hashed jobs than this configuration has (only in the state: test_jest): run `cigen setup` again");
}

#[test]
fn continue_refuses_a_state_written_for_another_workflow_and_says_so() {
    let run = Run::seed();
    let state = run.rt("cigen/state.json");
    let text = std::fs::read_to_string(&state).expect("state");
    let other = text.replace("\"workflow\": \"main\"", "\"workflow\": \"nightly\"");
    assert_ne!(other, text, "the state names workflow main");
    std::fs::write(&state, other).expect("write");
    run.continue_refuses_state(
        " was written for workflow `nightly`, but this configuration's dynamic workflow is `main`: run `cigen setup` again");
}

#[test]
fn a_pattern_matching_nothing_is_a_config_error_naming_job_and_pattern() {
    let repo = Repo::seed();
    repo.write(".cigen/workflows/main/jobs/test/jest.yml", "image: cimg/node:20.11\nsource_files:\n  - \"@node\"\n  - \"jest.config.jss\"\nsteps:\n  - {name: Jest, run: yarn jest}\n");
    repo.commit_all();
    repo.fails_with(
        &["hash"],
        2,
        "error: .cigen/workflows/main/jobs/test/jest.yml:4: `source_files: jest.config.jss`: source pattern `jest.config.jss` of job `test_jest` matches no file\n  \
         hint: fix the pattern (or its group); a pattern matching nothing would hide the job's real inputs\n",
    );
}

#[test]
fn self_check_fails_on_drift_with_a_diff() {
    let repo = Repo::seed();
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success());
    repo.write(
        ".cigen/config/setup.yml",
        "setup:\n  resource_class: medium\n",
    );
    repo.commit_all();
    let rt = tempfile::tempdir().expect("rt");
    let output = repo
        .cigen()
        .args(["setup", "--self-check"])
        .env("CIGEN_TMP", rt.path())
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("-    resource_class: small")
            && stdout(&output).contains("+    resource_class: medium"),
        "{}",
        stdout(&output)
    );
    assert_eq!(
        stderr(&output),
        "error: self-check: .circleci/config.yml is stale: run `cigen generate` and commit it (or enable self_check.commit_on_diff)\n"
    );
    assert!(
        !rt.path().join("cigen/state.json").exists(),
        "no state after a failed self-check"
    );
}

#[test]
fn self_check_commit_on_diff_pushes_the_fix_to_origin() {
    let remote = tempfile::tempdir().expect("remote");
    let status = std::process::Command::new("git")
        .args(["init", "-q", "--bare", "-b", "main"])
        .arg(remote.path())
        .status()
        .expect("git");
    assert!(status.success());
    let repo = Repo::seed();
    assert!(
        repo.cigen()
            .arg("generate")
            .output()
            .expect("runs")
            .status
            .success()
    );
    repo.write(
        ".cigen/config/setup.yml",
        "setup:\n  resource_class: medium\n",
    );
    repo.commit_all();
    repo.git(&[
        "remote",
        "add",
        "origin",
        &format!("file://{}", remote.path().display()),
    ]);
    repo.git(&["push", "-q", "origin", "main"]);
    let rt = tempfile::tempdir().expect("rt");
    let setup = || {
        repo.cigen()
            .args(["setup", "--commit-on-diff"])
            .env("CIGEN_TMP", rt.path())
            .env("HOME", rt.path())
            .output()
            .expect("runs")
    };
    let output = setup();
    let pushed = git_in(remote.path(), &["rev-parse", "main"]);
    assert_eq!(
        (output.status.code(), stderr(&output)),
        (
            Some(1),
            format!(
                "error: self-check: committed the regenerated .circleci/config.yml as {pushed} and pushed it to `main` on file://{}; \
                 CircleCI runs a new pipeline for that commit, so this one stops here\n",
                remote.path().display()
            )
        )
    );
    let log = git_in(remote.path(), &["log", "-1", "--format=%an%n%B", "main"]);
    assert!(
        log.starts_with("cigen\n") && log.contains("Cigen-Self-Check: true"),
        "{log}"
    );
    let show = git_in(remote.path(), &["show", "main:.circleci/config.yml"]);
    assert!(show.contains("resource_class: medium"));
    // Running again on the pushed commit: clean, and the loop guard is never needed.
    let again = setup();
    assert!(again.status.success(), "{}", stderr(&again));
}

/// The minimal example set up in a git repo, its test job marked as passed,
/// continued (dry run) as a pipeline of `env`; returns the workflow's jobs.
fn continue_minimal_on(env: &[(&str, &str)]) -> (Vec<String>, Value) {
    let repo = Repo::new();
    copy_dir(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal"),
        repo.path(),
    );
    continue_dry_run(repo, "test_pytest", env)
}

/// Commits `repo`, runs setup, marks `passed` as passed, and continues (dry
/// run) as a pipeline of `env`; returns the workflow's jobs and the config.
fn continue_dry_run(repo: Repo, passed: &str, env: &[(&str, &str)]) -> (Vec<String>, Value) {
    repo.commit_all();
    let job = SetupJob::new(&repo, env);
    job.run(&["setup"]);
    job.mark_passed(&job.key_hash(passed));
    let (_, doc) = job.continue_dry_run();
    (workflow_job_names(&doc, "main"), doc)
}

#[test]
fn a_tag_only_consumer_keeps_its_skipped_producer_on_tags_only() {
    let repo = || {
        Repo::new().file("src/app.txt", "app\n").file(
            "cigen.yml",
            r#"
workflows:
  main:
    stages:
      - name: build
      - name: release
        requires: [build]
    jobs:
      build/dist:
        image: cimg/base:current
        source_files: ["src/**"]
        filters: {tags: {only: /^v.*/}}
        steps:
          - {name: Build, run: make dist}
          - persist_to_workspace: {root: ., paths: [dist]}
      release/publish:
        image: cimg/base:current
        filters:
          tags: {only: /^v.*/}
          branches: {ignore: /.*/}
        steps:
          - attach_workspace: {at: .}
          - {name: Publish, run: ./publish.sh dist}
"#,
        )
    };
    // On a branch the publisher certainly does not run (`ignore: /.*/`): it
    // reads no workspace, so the passed build stays a no-op stand-in, which
    // (tag filters only) runs on every branch: no summary job is needed.
    let (_, doc) = continue_dry_run(repo(), "build_dist", &[("CIRCLE_BRANCH", "main")]);
    assert!(is_no_op(&doc, "build_dist"));
    assert_eq!(working_jobs(&doc, "main"), ["release_publish"]);
    // On a release tag the publisher may run and needs the build's workspace.
    let (_, doc) = continue_dry_run(repo(), "build_dist", &[("CIRCLE_TAG", "v1.2.0")]);
    assert_eq!(
        working_jobs(&doc, "main"),
        ["build_dist", "release_publish", "cigen_all_skipped"]
    );
}

#[test]
fn a_config_whose_kept_jobs_are_all_filtered_out_gets_the_summary_job() {
    // A no-op stand-in without filters runs on every branch: no summary needed.
    for branch in ["main", "feature/x"] {
        let (names, doc) = continue_minimal_on(&[("CIRCLE_BRANCH", branch)]);
        assert_eq!(names, ["test_pytest", "approve_deploy", "deploy_release"]);
        assert!(is_no_op(&doc, "test_pytest"));
    }
    // Removed instead, nothing left is certain to run: the summary job joins
    // the workflow and says what may not run here.
    let removing = || {
        let repo = Repo::new();
        copy_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/minimal"),
            repo.path(),
        );
        let config = repo.read("cigen.yml");
        repo.write(
            "cigen.yml",
            &format!("{config}setup: {{skipped_jobs: remove}}\n"),
        );
        repo.cigen().arg("generate").output().expect("generate");
        repo
    };
    let (names, doc) =
        continue_dry_run(removing(), "test_pytest", &[("CIRCLE_BRANCH", "feature/x")]);
    assert_eq!(
        names,
        ["approve_deploy", "deploy_release", "cigen_all_skipped"]
    );
    let summary = doc["jobs"]["cigen_all_skipped"]["steps"][0]["run"]["command"]
        .as_str()
        .expect("summary");
    assert!(
        summary.contains("  test_pytest\n\nMay not run here (their filters, or those of every job they require):\n  deploy_release\n"),
        "{summary}"
    );
    assert!(
        !summary.contains("Every job's inputs already passed"),
        "{summary}"
    );
    // On a tag the summary job is always added, and allows tags.
    for repo in [None, Some(removing())] {
        let (names, doc) = match repo {
            None => continue_minimal_on(&[("CIRCLE_TAG", "v1.0.0")]),
            Some(repo) => continue_dry_run(repo, "test_pytest", &[("CIRCLE_TAG", "v1.0.0")]),
        };
        assert_eq!(names.last().map(String::as_str), Some("cigen_all_skipped"));
        let (_, params) = workflow_jobs(&doc, "main").pop().expect("job");
        assert_eq!(params["filters"]["tags"]["only"], "/.*/");
    }
}
