//! Pipeline values a hashed job references, end to end through the real
//! binary: they move exactly the hashes of the jobs that reference them
//! (unset: the declared default), reach `cigen setup` through the
//! entrypoint (inline or through the orb), are carried by the
//! continuation, and the record step — run here in bash — records only
//! when the value at run time is the one the hash covers.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_yaml::Value;

use crate::common::*;

const JOB: &str = "image: cimg/base:current\nsource_files: [\"src/**\"]\nsteps:\n";

/// Hashed jobs: `deploy` echoes `deploy_ref`; `branch` echoes the branch;
/// `flagged` uses the command `maybe`, whose `when` reads `flag`; `plain`
/// references nothing. `setup` is spliced into config.yml.
fn project(setup: &str) -> Repo {
    let repo = Repo::new()
        .file(
            ".cigen/config.yml",
            &format!(
                "provider: circleci\n{setup}parameters:\n  deploy_ref: {{type: string, default: main}}\n  flag: {{type: boolean, default: false}}\n  unused: {{type: integer, default: 3}}\n"
            ),
        )
        .file(
            ".cigen/commands/maybe.yml",
            "steps:\n  - when:\n      condition: << pipeline.parameters.flag >>\n      steps:\n        - run: {name: Extra, command: make extra}\n",
        )
        .file(
            ".cigen/workflows/main/jobs/deploy.yml",
            &format!("{JOB}  - {{name: Deploy, run: ./deploy << pipeline.parameters.deploy_ref >>}}\n"),
        )
        .file(
            ".cigen/workflows/main/jobs/branch.yml",
            &format!("{JOB}  - {{name: Branch, run: echo << pipeline.git.branch >>}}\n"),
        )
        .file(".cigen/workflows/main/jobs/flagged.yml", &format!("{JOB}  - maybe\n"))
        .file(
            ".cigen/workflows/main/jobs/plain.yml",
            &format!("{JOB}  - {{name: Test, run: make test}}\n"),
        )
        .file("src/a.rs", "a\n");
    repo.generate_and_commit();
    repo
}

#[test]
fn a_parameter_value_moves_exactly_the_jobs_referencing_it_and_unset_is_the_default() {
    let repo = project("");
    let unset = hash_json(&repo, &[]);
    assert_eq!(unset.len(), 4);
    // Unset is the declared default, for strings and booleans alike.
    let defaults = [
        ("CIGEN_PARAM_deploy_ref", "main"),
        ("CIGEN_PARAM_flag", "false"),
        ("CIGEN_PIPELINE_git_branch", ""),
    ];
    assert_eq!(
        moved(&unset, &hash_json(&repo, &defaults)),
        Vec::<String>::new()
    );

    let deploy = hash_json(&repo, &[("CIGEN_PARAM_deploy_ref", "v2")]);
    assert_eq!(moved(&unset, &deploy), ["deploy"]);
    let flag = hash_json(&repo, &[("CIGEN_PARAM_flag", "true")]);
    assert_eq!(
        moved(&unset, &flag),
        ["flagged"],
        "through the command's `when`"
    );
    // A declared parameter no hashed job references moves nothing.
    let unused = hash_json(&repo, &[("CIGEN_PARAM_unused", "4")]);
    assert_eq!(moved(&unset, &unused), Vec::<String>::new());
}

#[test]
fn the_branch_moves_exactly_the_jobs_referencing_it() {
    let repo = project("");
    let main = hash_json(&repo, &[("CIGEN_PIPELINE_git_branch", "main")]);
    let feature = hash_json(&repo, &[("CIGEN_PIPELINE_git_branch", "feature/x")]);
    assert_eq!(moved(&main, &feature), ["branch"]);
    // Every value at once: `plain` still keeps its hash.
    let all = hash_json(
        &repo,
        &[
            ("CIGEN_PIPELINE_git_branch", "x"),
            ("CIGEN_PARAM_deploy_ref", "x"),
            ("CIGEN_PARAM_flag", "true"),
            ("CIGEN_PIPELINE_git_tag", "v1"),
        ],
    );
    assert_eq!(moved(&main, &all), ["branch", "deploy", "flagged"]);
}

/// The environment of the `cigen setup` step of the inline setup job.
fn setup_step(config: &Value) -> Value {
    config["jobs"]["cigen_setup"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|step| step["run"]["name"] == "cigen setup")
        .expect("cigen setup step")["run"]
        .clone()
}

fn schema_check(repo: &Repo) {
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);
}

#[test]
fn the_entrypoint_hands_referenced_values_to_cigen_setup() {
    let repo = project("");
    schema_check(&repo);
    let config = repo.yaml(".circleci/config.yml");
    let environment: BTreeMap<String, String> =
        serde_yaml::from_value(setup_step(&config)["environment"].clone()).expect("env map");
    let expected: BTreeMap<String, String> = [
        (
            "CIGEN_PARAM_deploy_ref",
            "<< pipeline.parameters.deploy_ref >>",
        ),
        ("CIGEN_PARAM_flag", "<< pipeline.parameters.flag >>"),
        ("CIGEN_PIPELINE_git_branch", "<< pipeline.git.branch >>"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(environment, expected, "exactly the referenced values");

    // Nothing referenced: no environment on the step at all.
    let bare = minimal(&[(
        "lint.yml",
        &format!("{JOB}  - {{name: Lint, run: make lint}}\n"),
    )])
    .file("src/a.rs", "a\n");
    assert!(
        bare.cigen()
            .arg("generate")
            .output()
            .expect("runs")
            .status
            .success()
    );
    let config = bare.yaml(".circleci/config.yml");
    assert!(setup_step(&config).get("environment").is_none());
    assert!(!bare.read(".circleci/config.yml").contains("CIGEN_PARAM"));
}

#[test]
fn through_the_orb_the_values_are_one_line_each_in_pipeline_values() {
    let repo = project("setup: {use_orb: true}\n");
    schema_check(&repo);
    let config = repo.yaml(".circleci/config.yml");
    let entry = &config["workflows"]["setup"]["jobs"][0]["cigen/setup"];
    assert_eq!(
        entry["pipeline_values"],
        "CIGEN_PIPELINE_git_branch=<< pipeline.git.branch >>\n\
         CIGEN_PARAM_deploy_ref=<< pipeline.parameters.deploy_ref >>\n\
         CIGEN_PARAM_flag=<< pipeline.parameters.flag >>\n",
        "one line per value, by value name"
    );
    // The block, as CircleCI fills it in, gives the same hashes as the
    // variables of the inline job.
    let block =
        "CIGEN_PIPELINE_git_branch=feature\nCIGEN_PARAM_deploy_ref=v2\nCIGEN_PARAM_flag=true\n";
    let inline = [
        ("CIGEN_PARAM_deploy_ref", "v2"),
        ("CIGEN_PARAM_flag", "true"),
        ("CIGEN_PIPELINE_git_branch", "feature"),
    ];
    assert_eq!(
        hash_json(&repo, &[("CIGEN_VALUES", block)]),
        hash_json(&repo, &inline)
    );
    // A value holding a line break cannot pass: refused, never split.
    // (`deploy_ref` = "v2\nCIGEN_PARAM_flag=false": a second `flag` line.)
    let smuggled = "CIGEN_PIPELINE_git_branch=main\nCIGEN_PARAM_deploy_ref=v2\nCIGEN_PARAM_flag=false\nCIGEN_PARAM_flag=true\n";
    let mut command = repo.cigen();
    clear_pipeline_values(&mut command);
    let output = command
        .args(["hash", "--json"])
        .env("CIGEN_VALUES", smuggled)
        .output()
        .expect("runs");
    assert_failed(
        &output,
        2,
        "error: $CIGEN_VALUES holds 4 line(s) for the 3 pipeline value(s) the hashed jobs reference \
         (CIGEN_PIPELINE_git_branch, CIGEN_PARAM_deploy_ref, CIGEN_PARAM_flag): either a value contains a line break \
         (the orb's setup job cannot pass such a value: set `setup.use_orb: false`), or .circleci/config.yml is stale \
         (run `cigen generate`)\n",
    );
}

/// Runs `cigen setup` then `cigen continue --dry-run` with `env`; returns the
/// continuation config.
fn continue_with(repo: &Repo, rt: &Path, env: &[(&str, &str)]) -> Value {
    for args in [&["setup"][..], &["continue", "--dry-run"][..]] {
        let mut command = repo.cigen();
        clear_pipeline_values(&mut command);
        command
            .args(args)
            .env("CIGEN_TMP", rt)
            .env_remove("CIGEN_SKIP_CACHE")
            .env_remove("CIRCLE_TAG")
            .env_remove("CIRCLE_BRANCH");
        for (key, value) in env {
            command.env(key, value);
        }
        let output = command.output().expect("runs");
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    }
    serde_yaml::from_str(&std::fs::read_to_string(rt.join("cigen/continuation.yml")).expect("c"))
        .expect("yaml")
}

fn environment(config: &Value, job: &str) -> BTreeMap<String, String> {
    serde_yaml::from_value(config["jobs"][job]["environment"].clone())
        .unwrap_or_else(|err| panic!("job `{job}` has no environment of strings: {err}"))
}

#[test]
fn setup_stores_the_values_and_the_continuation_carries_them_to_each_job() {
    let repo = project("");
    let rt = tempfile::tempdir().expect("rt");
    let env = [
        ("CIGEN_PARAM_deploy_ref", "v2"),
        ("CIGEN_PIPELINE_git_branch", "feature"),
    ];
    let config = continue_with(&repo, rt.path(), &env);
    assert_circleci_schema(&[rt.path().join("cigen/continuation.yml")]);
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(rt.path().join("cigen/state.json")).expect("state"),
    )
    .expect("json");
    assert_eq!(state["format"], 3);
    assert_eq!(state["provider"], "circleci");
    assert_eq!(
        state["values"],
        serde_json::json!({
            "pipeline.git.branch": "feature",
            "pipeline.parameters.deploy_ref": "v2",
            "pipeline.parameters.flag": "false",
        })
    );
    let hashes = hash_json(&repo, &env);
    let deploy = environment(&config, "deploy");
    assert_eq!(
        deploy["CIGEN_JOB_HASH"],
        hashes["deploy"].as_str().expect("hash")
    );
    assert_eq!(deploy["CIGEN_PARAM_deploy_ref"], "v2");
    assert_eq!(deploy.len(), 2, "only its own value: {deploy:?}");
    assert_eq!(
        environment(&config, "branch")["CIGEN_PIPELINE_git_branch"],
        "feature"
    );
    assert_eq!(environment(&config, "flagged")["CIGEN_PARAM_flag"], "false");
    assert_eq!(
        environment(&config, "plain").len(),
        1,
        "CIGEN_JOB_HASH only"
    );
}

/// The record step of `job` in `config` (its `command` and `environment`)
/// run in bash with the job's environment plus `extra`, with `/tmp` moved
/// under `root`, and the templates of the step environment replaced by
/// `run_time` (what CircleCI would substitute). Returns stdout.
fn run_record_step(
    config: &Value,
    job: &str,
    root: &Path,
    run_time: &BTreeMap<&str, &str>,
    without_hash: bool,
) -> String {
    let step = config["jobs"][job]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .find(|s| s["run"]["name"] == "Record job success for cigen")
        .expect("record step")["run"]
        .clone();
    let tmp = format!("{}/", root.display());
    let command = step["command"]
        .as_str()
        .expect("command")
        .replace("/tmp/", &tmp);
    let mut bash = Command::new("bash");
    bash.args(["-eo", "pipefail", "-c", &command])
        .env_clear()
        .env("PATH", std::env::var("PATH").expect("PATH is set"));
    for (key, value) in environment(config, job) {
        if !(without_hash && key == "CIGEN_JOB_HASH") {
            bash.env(key, value);
        }
    }
    let step_env: BTreeMap<String, String> =
        serde_yaml::from_value(step["environment"].clone()).expect("step environment");
    for (key, template) in step_env {
        let name = template.trim_start_matches("<< ").trim_end_matches(" >>");
        bash.env(key, run_time[name]);
    }
    let output = bash.output().expect("bash runs");
    assert!(
        output.status.success(),
        "record step failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

#[test]
fn the_record_step_records_only_when_the_run_time_value_is_the_hashed_one() {
    let repo = project("");
    let rt = tempfile::tempdir().expect("rt");
    let config = continue_with(&repo, rt.path(), &[("CIGEN_PARAM_deploy_ref", "v2")]);
    let hash = environment(&config, "deploy")["CIGEN_JOB_HASH"].clone();
    let key_file = |root: &Path| {
        std::fs::read_to_string(root.join("cigen_job_status/job-key")).expect("key file")
    };
    let marker = |root: &Path| root.join(format!("cigen_job_exists/done_{hash}")).exists();

    // Same value at run time: recorded under the hash.
    let root = tempfile::tempdir().expect("root");
    let same = BTreeMap::from([("pipeline.parameters.deploy_ref", "v2")]);
    run_record_step(&config, "deploy", root.path(), &same, false);
    assert!(marker(root.path()));
    assert_eq!(key_file(root.path()), format!("deploy-amd64-{hash}"));

    // Otherwise nothing is recorded, and the step says why.
    let unrecorded = |run_time: &BTreeMap<&str, &str>, without_hash: bool, why: &str| {
        let root = tempfile::tempdir().expect("root");
        let out = run_record_step(&config, "deploy", root.path(), run_time, without_hash);
        assert_eq!(out, format!("{why}: recording nothing.\n"));
        assert!(!marker(root.path()));
        assert_eq!(key_file(root.path()), "unrecorded");
    };
    // Another value at run time.
    let other = BTreeMap::from([("pipeline.parameters.deploy_ref", "main")]);
    unrecorded(
        &other,
        false,
        "pipeline.parameters.deploy_ref at run time is not the value cigen setup hashed (or was not carried to this job)",
    );
    // Not continued by cigen.
    unrecorded(
        &same,
        true,
        "CIGEN_JOB_HASH is not set (this config was not continued by cigen)",
    );
}

#[test]
fn a_value_holding_template_syntax_is_not_carried_so_the_job_never_records() {
    let repo = project("");
    let rt = tempfile::tempdir().expect("rt");
    let value = "<< pipeline.id >>";
    let config = continue_with(&repo, rt.path(), &[("CIGEN_PARAM_deploy_ref", value)]);
    let env = environment(&config, "deploy");
    assert!(!env.contains_key("CIGEN_PARAM_deploy_ref"), "{env:?}");
    let root = tempfile::tempdir().expect("root");
    let run_time = BTreeMap::from([("pipeline.parameters.deploy_ref", value)]);
    let out = run_record_step(&config, "deploy", root.path(), &run_time, false);
    assert_eq!(
        out,
        "pipeline.parameters.deploy_ref at run time is not the value cigen setup hashed (or was not carried to this job): recording nothing.\n"
    );
    assert!(
        !root
            .path()
            .join(format!("cigen_job_exists/done_{}", env["CIGEN_JOB_HASH"]))
            .exists()
    );
}

#[test]
fn continue_refuses_a_state_whose_values_are_not_the_configs() {
    let repo = project("");
    let rt = tempfile::tempdir().expect("rt");
    continue_with(&repo, rt.path(), &[]);
    // The plain job now references the tag too: same jobs, other values.
    repo.write(
        ".cigen/workflows/main/jobs/plain.yml",
        &format!("{JOB}  - {{name: Test, run: make test << pipeline.git.tag >>}}\n"),
    );
    assert_state_refused(
        &repo.continue_dry_run(rt.path()),
        rt.path(),
        " holds other pipeline values than this configuration's hashes cover (only in this configuration: pipeline.git.tag): run `cigen setup` again",
    );
}

/// A parallel job records in its `<id>_record` job: that job carries the
/// variant's values and its record step checks them at run time too.
#[test]
fn a_parallel_jobs_record_job_carries_and_checks_the_variants_values() {
    let repo = project("").file(
        ".cigen/workflows/main/jobs/split.yml",
        &format!("{JOB}  - {{name: Split, run: ./split << pipeline.parameters.deploy_ref >>}}\nparallelism: 3\n"),
    );
    repo.generate_and_commit();
    let rt = tempfile::tempdir().expect("rt");
    let config = continue_with(&repo, rt.path(), &[("CIGEN_PARAM_deploy_ref", "v2")]);
    assert_circleci_schema(&[rt.path().join("cigen/continuation.yml")]);
    let hashes = hash_json(&repo, &[("CIGEN_PARAM_deploy_ref", "v2")]);
    let record = environment(&config, "split_record");
    assert_eq!(
        record,
        BTreeMap::from([
            (
                "CIGEN_JOB_HASH".to_string(),
                hashes["split"].as_str().expect("hash").to_string()
            ),
            ("CIGEN_PARAM_deploy_ref".to_string(), "v2".to_string()),
        ])
    );
    let hash = &record["CIGEN_JOB_HASH"];
    let marker = |root: &Path| root.join(format!("cigen_job_exists/done_{hash}")).exists();
    let root = tempfile::tempdir().expect("root");
    let same = BTreeMap::from([("pipeline.parameters.deploy_ref", "v2")]);
    run_record_step(&config, "split_record", root.path(), &same, false);
    assert!(marker(root.path()));
    let root = tempfile::tempdir().expect("root");
    let other = BTreeMap::from([("pipeline.parameters.deploy_ref", "main")]);
    run_record_step(&config, "split_record", root.path(), &other, false);
    assert!(
        !marker(root.path()),
        "a value changed since setup: nothing recorded"
    );
}

/// A value that enters a hashed job's hash only through an unhashed job
/// before it (`compile` reads `unused`; `after` and the parallel `wide`
/// require it) was neither carried to the hashed job nor checked by its
/// record step: it recorded under the hash of setup's value whatever it
/// ran with.
#[test]
fn r_a_value_reaching_a_hash_through_an_unhashed_job_was_not_checked_when_recording() {
    let repo = project("")
        .file(
            ".cigen/workflows/main/jobs/compile.yml",
            "image: cimg/base:current\nsteps:\n  - {name: Compile, run: ./compile << pipeline.parameters.unused >>}\n",
        )
        .file(
            ".cigen/workflows/main/jobs/after.yml",
            &format!("{JOB}  - {{name: After, run: make after}}\nrequires: [compile]\n"),
        )
        .file(
            ".cigen/workflows/main/jobs/wide.yml",
            &format!("{JOB}  - {{name: Wide, run: make wide}}\nrequires: [compile]\nparallelism: 2\n"),
        );
    repo.generate_and_commit();
    let rt = tempfile::tempdir().expect("rt");
    let config = continue_with(&repo, rt.path(), &[("CIGEN_PARAM_unused", "4")]);
    assert_circleci_schema(&[rt.path().join("cigen/continuation.yml")]);
    let hashes = hash_json(&repo, &[("CIGEN_PARAM_unused", "4")]);
    for (job, variant) in [("after", "after"), ("wide_record", "wide")] {
        let env = environment(&config, job);
        let hash = hashes[variant].as_str().expect("hash").to_string();
        assert_eq!(
            env,
            BTreeMap::from([
                ("CIGEN_JOB_HASH".to_string(), hash.clone()),
                ("CIGEN_PARAM_unused".to_string(), "4".to_string()),
            ]),
            "{job} carries the value its hash covers through `compile`"
        );
        let marker = |root: &Path| root.join(format!("cigen_job_exists/done_{hash}")).exists();
        let root = tempfile::tempdir().expect("root");
        let same = BTreeMap::from([("pipeline.parameters.unused", "4")]);
        run_record_step(&config, job, root.path(), &same, false);
        assert!(marker(root.path()), "{job}: same value, recorded");
        let root = tempfile::tempdir().expect("root");
        let other = BTreeMap::from([("pipeline.parameters.unused", "3")]);
        let out = run_record_step(&config, job, root.path(), &other, false);
        assert_eq!(
            out,
            "pipeline.parameters.unused at run time is not the value cigen setup hashed (or was not carried to this job): recording nothing.\n"
        );
        assert!(
            !marker(root.path()),
            "{job}: another value, nothing recorded"
        );
        assert_eq!(
            std::fs::read_to_string(root.path().join("cigen_job_status/job-key")).expect("key"),
            "unrecorded"
        );
    }
}

/// A hashed job after a hashed job that reads a value (`promote` requires
/// `deploy`, which reads `deploy_ref`): `deploy`'s hash enters
/// `promote`'s, so `promote`'s hash covers the value too. Its record step
/// checked only its own values: under another run-time value `deploy`
/// rightly recorded nothing, but `promote`, which ran on what that `deploy`
/// made, recorded under the hash of setup's value — a later pipeline with
/// setup's value then skipped it. Found by the pipeline simulation.
#[test]
fn r_a_value_reaching_a_hash_through_a_hashed_upstream_was_not_checked_when_recording() {
    let repo = project("").file(
        ".cigen/workflows/main/jobs/promote.yml",
        &format!("{JOB}  - {{name: Promote, run: make promote}}\nrequires: [deploy]\n"),
    );
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    repo.commit_all();
    let rt = tempfile::tempdir().expect("rt");
    let config = continue_with(&repo, rt.path(), &[("CIGEN_PARAM_deploy_ref", "v2")]);
    assert_circleci_schema(&[rt.path().join("cigen/continuation.yml")]);
    let hash = hash_json(&repo, &[("CIGEN_PARAM_deploy_ref", "v2")])["promote"]
        .as_str()
        .expect("hash")
        .to_string();
    let deploy = environment(&config, "deploy")["CIGEN_JOB_HASH"].clone();
    assert_eq!(
        environment(&config, "promote"),
        BTreeMap::from([
            ("CIGEN_HASH_deploy".to_string(), deploy),
            ("CIGEN_JOB_HASH".to_string(), hash.clone()),
            ("CIGEN_PARAM_deploy_ref".to_string(), "v2".to_string()),
        ]),
        "promote carries the value its hash covers through deploy's hash"
    );
    let marker = |root: &Path| root.join(format!("cigen_job_exists/done_{hash}")).exists();
    let root = tempfile::tempdir().expect("root");
    let same = BTreeMap::from([("pipeline.parameters.deploy_ref", "v2")]);
    run_record_step(&config, "promote", root.path(), &same, false);
    assert!(marker(root.path()), "same value, recorded");
    let root = tempfile::tempdir().expect("root");
    let other = BTreeMap::from([("pipeline.parameters.deploy_ref", "main")]);
    let out = run_record_step(&config, "promote", root.path(), &other, false);
    assert_eq!(
        out,
        "pipeline.parameters.deploy_ref at run time is not the value cigen setup hashed (or was not carried to this job): recording nothing.\n"
    );
    assert!(!marker(root.path()), "another value, nothing recorded");
}
