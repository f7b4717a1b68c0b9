//! Parallel jobs (DESIGN §3): each container of a `parallelism: N` job runs
//! every step alone, so a hashed parallel job never records in its own
//! steps — its `<id>_record` job, which requires it, does. Asserted on
//! `main.yml`, on the continuation `cigen continue --dry-run` writes, and
//! on the hashes, through the real binary.

use std::path::Path;

use serde_json::{Map, Value as Json};
use serde_yaml::Value;

use cigen::provider::Provider;

use crate::common::*;

/// How many steps of a job save a cigen job-status marker.
fn status_saves(job: &Value) -> usize {
    job["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .filter(|step| {
            step["save_cache"]["key"]
                .as_str()
                .is_some_and(|key| key.starts_with("job_status-exists-v1-"))
        })
        .count()
}

/// The workflow invocation parameters of one job of `main`.
fn invocation(doc: &Value, job: &str) -> Value {
    workflow_jobs(doc, "main")
        .into_iter()
        .find(|(name, _)| name == job)
        .map(|(_, params)| params)
        .unwrap_or_else(|| panic!("{job} is not in the workflow"))
}

/// Every workflow job of `main` that requires `job`.
fn dependents(doc: &Value, job: &str) -> Vec<String> {
    workflow_job_names(doc, "main")
        .into_iter()
        .filter(|name| requires(doc, "main", name).iter().any(|r| r == job))
        .collect()
}

/// What the setup job left: `continue`'s table, the continuation, the
/// hashes, and the runtime directory (`CIGEN_TMP`) holding the key files.
struct Continued {
    table: String,
    doc: Value,
    hashes: Map<String, Json>,
    rt: tempfile::TempDir,
}

/// The setup job's side of a pipeline: `cigen setup` in a committed repo,
/// markers for `passed` as the probes would restore them, then
/// `cigen continue --dry-run`.
fn continue_with(repo: &Repo, passed: &[&str]) -> Continued {
    repo.commit_all();
    let job = SetupJob::new(repo, &[]);
    job.run(&["setup"]);
    let hashes: Map<String, Json> =
        serde_json::from_str(&job.run(&["hash", "--json"])).expect("json");
    for variant in passed {
        job.mark_passed(hashes[*variant].as_str().expect("hash"));
    }
    let (table, doc) = job.continue_dry_run();
    Continued {
        table,
        doc,
        hashes,
        rt: job.rt,
    }
}

/// Runs a job's record step in bash, as CircleCI would with the job's
/// `environment`, with `/tmp/` moved under `root`.
fn run_record_step(job: &Value, root: &Path) {
    let script = job["steps"][0]["run"]["command"]
        .as_str()
        .expect("record step")
        .replace("/tmp/", &format!("{}/", root.display()));
    let mut command = std::process::Command::new("bash");
    command.args(["-eo", "pipefail", "-c", &script]);
    command.env_remove("CIGEN_JOB_HASH");
    for (key, value) in job["environment"].as_mapping().into_iter().flatten() {
        command.env(
            key.as_str().expect("name"),
            value.as_str().expect("string value"),
        );
    }
    let output = command.output().expect("bash");
    assert!(output.status.success(), "{}", stderr(&output));
}

fn generate(repo: &Repo) -> (Value, Value) {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);
    let main = repo.yaml(".circleci/main.yml");
    assert_references_resolve(&main);
    (repo.yaml(".circleci/config.yml"), main)
}

/// Asserts the pair shape: the variant saves no marker itself; its record
/// job saves exactly one, requires only the variant, and runs nothing else.
fn assert_records_apart(doc: &Value, variant: &str) {
    let record = format!("{variant}_record");
    assert_eq!(status_saves(&doc["jobs"][variant]), 0, "{variant} saves");
    assert_eq!(status_saves(&doc["jobs"][record.as_str()]), 1, "{record}");
    assert_eq!(requires(doc, "main", &record), [variant]);
    let steps = doc["jobs"][record.as_str()]["steps"]
        .as_sequence()
        .expect("steps");
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0]["run"]["name"], "Record job success for cigen");
    assert!(dependents(doc, &record).is_empty());
}

#[test]
fn a_parallel_job_records_only_in_its_record_job_which_requires_it() {
    let repo = Repo::seed();
    let (_, main) = generate(&repo);
    for variant in ["test_rspec_amd64", "test_rspec_arm64"] {
        assert_eq!(main["jobs"][variant]["parallelism"], 2);
        assert_records_apart(&main, variant);
        let record = &main["jobs"][format!("{variant}_record").as_str()];
        assert_eq!(record["docker"][0]["image"], "docspringcom/cigen:0.1.0");
        assert_eq!(record["docker"].as_sequence().map(Vec::len), Some(1));
        assert_eq!(record["resource_class"], "small");
        // main.yml bakes no hash: run as is, the record step records nothing.
        assert!(record.get("environment").is_none());
        let order = workflow_job_names(&main, "main");
        let at = order.iter().position(|n| n == variant).expect("variant");
        assert_eq!(order[at + 1], format!("{variant}_record"));
    }
    // A hashed job in one container still records in its own steps.
    assert_eq!(status_saves(&main["jobs"]["test_jest"]), 1);
    assert!(main["jobs"].get("test_jest_record").is_none());

    let run = continue_with(&repo, &[]);
    for variant in ["test_rspec_amd64", "test_rspec_arm64"] {
        assert_records_apart(&run.doc, variant);
        let record = &run.doc["jobs"][format!("{variant}_record").as_str()];
        let hash = run.hashes[variant].as_str().expect("hash");
        assert_eq!(record["environment"]["CIGEN_JOB_HASH"], hash);
        // Run as continued, it leaves the marker and the key bytes the setup job probes.
        let ran = tempfile::tempdir().expect("ran");
        run_record_step(record, ran.path());
        assert!(
            ran.path()
                .join(format!("cigen_job_exists/done_{hash}"))
                .exists()
        );
        assert_eq!(
            std::fs::read_to_string(ran.path().join("cigen_job_status/job-key")).expect("key"),
            std::fs::read_to_string(run.rt.path().join(format!("setup_keys/{variant}/job-key")))
                .expect("setup key")
        );
    }
    // Run from main.yml (no hash baked in), it records nothing.
    let ran = tempfile::tempdir().expect("ran");
    run_record_step(&main["jobs"]["test_rspec_amd64_record"], ran.path());
    let markers = std::fs::read_dir(ran.path().join("cigen_job_exists")).expect("dir");
    assert_eq!(markers.count(), 0);
}

/// A repo whose `main` workflow holds the given jobs (all hashed on `src/**`
/// unless the body says otherwise) and an immediate workflow `nightly`.
fn repo_with(jobs: &[(&str, &str)]) -> Repo {
    let mut repo = Repo::new()
        .file("src/app.rb", "app\n")
        .file(
            ".cigen/config.yml",
            "parameters:\n  nodes: {type: integer, default: 2}\n  nightly: {type: boolean, default: false}\nsetup:\n  resource_class: medium\n",
        )
        .file(
            ".cigen/workflows/nightly/config.yml",
            "trigger: {parameter: nightly}\n",
        )
        .file(
            ".cigen/workflows/nightly/jobs/sweep.yml",
            "image: a\nparallelism: 4\nsource_files: [\"src/**\"]\nsteps: [{run: sweep}]\n",
        );
    for (name, body) in jobs {
        repo = repo.file(&format!(".cigen/workflows/main/jobs/{name}.yml"), body);
    }
    repo
}

#[test]
fn only_hashed_jobs_of_the_dynamic_workflow_in_several_containers_get_a_record_job() {
    let hashed = |extra: &str| {
        format!("image: a\n{extra}source_files: [\"src/**\"]\nsteps: [{{run: make}}]\n")
    };
    let repo = repo_with(&[
        ("plain", &hashed("")),
        ("one", &hashed("parallelism: 1\n")),
        (
            "three",
            &hashed("parallelism: 3\ncontext: [secrets]\nfilters: {branches: {only: main}}\n"),
        ),
        (
            "param",
            &hashed("parallelism: << pipeline.parameters.nodes >>\n"),
        ),
        (
            "unhashed",
            "image: a\nparallelism: 4\nsteps: [{run: make}]\n",
        ),
    ]);
    let (config, main) = generate(&repo);
    for own in ["plain", "one"] {
        assert_eq!(status_saves(&main["jobs"][own]), 1, "{own}");
        assert!(main["jobs"].get(format!("{own}_record")).is_none(), "{own}");
    }
    // A parallelism only known at run time may be > 1: it records apart too.
    for apart in ["three", "param"] {
        assert_records_apart(&main, apart);
        let record = &main["jobs"][format!("{apart}_record").as_str()];
        assert_eq!(record["resource_class"], "medium");
    }
    assert_eq!(status_saves(&main["jobs"]["unhashed"]), 0);
    assert!(main["jobs"].get("unhashed_record").is_none());
    // The record job runs where its job runs, without the job's contexts.
    let three = invocation(&main, "three");
    let record = invocation(&main, "three_record");
    assert_eq!(record["filters"], three["filters"]);
    assert_eq!(three["context"][0], "secrets");
    assert!(record.get("context").is_none());
    // Immediate workflows record nothing, parallel or not.
    assert_eq!(status_saves(&config["jobs"]["sweep"]), 0);
    assert!(config["jobs"].get("sweep_record").is_none());
    // The probes name the variants, never a record job.
    let probes = serde_yaml::to_string(&config["jobs"]["cigen_setup"]).expect("yaml");
    assert!(probes.contains("setup_keys/three/job-key") && !probes.contains("_record"));
}

#[test]
fn a_skipped_parallel_job_takes_its_record_job_out_of_the_continuation() {
    let repo = Repo::seed();
    let Continued {
        table, doc, hashes, ..
    } = continue_with(&repo, &["test_rspec_amd64"]);
    let names = workflow_job_names(&doc, "main");
    let gone = "test_rspec_amd64_record";
    assert!(!names.iter().any(|n| n == gone), "{gone} in {names:?}");
    assert!(doc["jobs"].get(gone).is_none(), "{gone} still declared");
    assert!(dependents(&doc, gone).is_empty());
    // The variant itself stays as a no-op stand-in: its dependents keep their requirement.
    assert_eq!(
        doc["jobs"]["test_rspec_amd64"],
        serde_yaml::from_str::<Value>("{type: no-op}").expect("yaml")
    );
    assert!(!dependents(&doc, "test_rspec_amd64").is_empty());
    // The other arch runs, and so does its record job, with its hash.
    assert_records_apart(&doc, "test_rspec_arm64");
    assert_eq!(
        doc["jobs"]["test_rspec_arm64_record"]["environment"]["CIGEN_JOB_HASH"],
        hashes["test_rspec_arm64"].as_str().expect("hash")
    );
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row {id}:\n{table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let short = |variant: &str| hashes[variant].as_str().expect("hash")[..12].to_string();
    assert_eq!(
        row("test_rspec_amd64_record"),
        format!(
            "test_rspec_amd64_record skip {} records test_rspec_amd64's success",
            short("test_rspec_amd64")
        )
    );
    assert_eq!(
        row("test_rspec_arm64_record"),
        format!(
            "test_rspec_arm64_record run {} records test_rspec_arm64's success",
            short("test_rspec_arm64")
        )
    );
    // The skip list names the variant alone.
    assert!(
        table.contains("16 to run, 1 skipped (no-op stand-ins)"),
        "{table}"
    );
}

#[test]
fn record_jobs_change_no_hash() {
    let repo = Repo::seed();
    repo.commit_all();
    let (project, plans) = cigen::cmd::load(Some(&repo.path().join(".cigen"))).expect("seed loads");
    let (workflow, plan) = cigen::cmd::dynamic(&project, &plans).expect("dynamic");
    assert!(
        plan.nodes
            .iter()
            .any(|n| matches!(n.kind, cigen::plan::NodeKind::Record { .. }))
    );
    let mut without = plan.clone();
    without
        .nodes
        .retain(|n| !matches!(n.kind, cigen::plan::NodeKind::Record { .. }));
    let with = cigen::setup::hashes::compute(
        &project,
        workflow,
        plan,
        &Default::default(),
        Provider::Circleci,
    )
    .expect("hashes");
    let bare = cigen::setup::hashes::compute(
        &project,
        workflow,
        &without,
        &Default::default(),
        Provider::Circleci,
    )
    .expect("hashes");
    assert_eq!(with.hashes, bare.hashes);
    assert!(!with.hashes.keys().any(|id| id.ends_with("_record")));
    assert_eq!(with.hashes.len(), 10);
}
