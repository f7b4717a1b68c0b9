//! The setup entrypoint (`config.yml`): when the setup job runs on tags,
//! and the same job written through the orb (`setup: {use_orb: true}`),
//! checked against CircleCI's schema and against the orb's own source.

use std::path::Path;

use serde_yaml::Value;

use crate::common::*;

const JOB: &str = "image: cimg/base:current\nsteps:\n  - {name: Go, run: 'true'}\n";

fn generate(repo: &Repo) -> Value {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(
        output.status.success(),
        "generate failed: {}",
        stderr(&output)
    );
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);
    let config = repo.yaml(".circleci/config.yml");
    assert_references_resolve(&config);
    config
}

/// The one entry of the `setup` workflow, as (job, params).
fn setup_entry(config: &Value) -> (String, Value) {
    let jobs = config["workflows"]["setup"]["jobs"]
        .as_sequence()
        .expect("setup jobs");
    assert_eq!(jobs.len(), 1, "the setup workflow runs one job: {jobs:?}");
    match &jobs[0] {
        Value::String(name) => (name.clone(), Value::Null),
        Value::Mapping(map) => {
            let (k, v) = map.iter().next().expect("one key");
            (k.as_str().expect("name").to_string(), v.clone())
        }
        other => panic!("unexpected setup entry {other:?}"),
    }
}

/// Three hashed variants (test_unit, build_bin_amd64, build_bin_arm64) and
/// one unhashed job; `setup` is spliced into `config.yml`.
fn project(setup: &str) -> Repo {
    let repo = Repo::new()
        .file(
            ".cigen/config.yml",
            &format!(
                "provider: circleci\n{setup}\narchitectures:\n  amd64: {{resource_class: medium}}\n  arm64: {{resource_class: arm.medium}}\n"
            ),
        )
        .file(
            ".cigen/workflows/main/config.yml",
            "stages:\n  - name: test\n  - name: build\n    requires: [test]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/test/unit.yml",
            &format!("source_files: [\"src/**\"]\n{JOB}"),
        )
        .file(
            ".cigen/workflows/main/jobs/build/bin.yml",
            &format!("architectures: [amd64, arm64]\nsource_files: [\"src/**\"]\n{JOB}"),
        )
        .file(".cigen/workflows/main/jobs/build/notes.yml", JOB)
        .file("src/lib.rs", "pub fn f() {}\n");
    repo.commit_all();
    repo
}

#[test]
fn setup_job_runs_on_every_tag_when_a_dynamic_job_has_tag_filters() {
    let repo = minimal(&[
        ("lint.yml", JOB),
        (
            "release.yml",
            &format!("filters:\n  tags: {{only: /^v.*/}}\n  branches: {{ignore: /.*/}}\n{JOB}"),
        ),
    ]);
    let config = generate(&repo);
    let (name, params) = setup_entry(&config);
    assert_eq!(name, "cigen_setup");
    assert_eq!(params["filters"]["tags"]["only"], "/.*/");
    assert!(
        params["filters"].get("branches").is_none(),
        "branches keep CircleCI's default (all)"
    );
    // The tag job itself keeps its own filters in main.yml.
    let main = repo.yaml(".circleci/main.yml");
    let (_, release) = workflow_jobs(&main, "main")
        .into_iter()
        .find(|(n, _)| n == "release")
        .expect("release");
    assert_eq!(release["filters"]["tags"]["only"], "/^v.*/");
}

#[test]
fn setup_job_has_no_filters_without_tag_jobs() {
    // Branch filters alone do not make a job run on tags.
    let repo = minimal(&[(
        "deploy.yml",
        &format!("filters:\n  branches: {{only: [main]}}\n{JOB}"),
    )]);
    let config = generate(&repo);
    assert_eq!(
        setup_entry(&config),
        ("cigen_setup".to_string(), Value::Null)
    );
    assert!(
        !repo.read(".circleci/config.yml").contains("filters"),
        "no filters anywhere in config.yml"
    );
}

#[test]
fn use_orb_passes_the_same_probes_to_the_orb_setup_job() {
    let inline = project("setup:\n  self_check: {enabled: true, commit_on_diff: true}");
    let inline_config = generate(&inline);
    let with_orb =
        project("setup:\n  use_orb: true\n  self_check: {enabled: true, commit_on_diff: true}");
    let config = generate(&with_orb);

    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        config["orbs"]["cigen"],
        Value::from(format!("docspring/cigen@{version}"))
    );
    assert!(
        config["jobs"].get("cigen_setup").is_none(),
        "no inline setup job"
    );
    let main = with_orb.yaml(".circleci/main.yml");
    assert!(main.get("orbs").is_none(), "main.yml does not use the orb");
    assert_eq!(
        with_orb.read(".circleci/main.yml"),
        inline.read(".circleci/main.yml"),
        "use_orb changes config.yml only"
    );

    let (name, params) = setup_entry(&config);
    assert_eq!(name, "cigen/setup");
    assert_eq!(params["name"], "cigen_setup");
    assert_eq!(params["self_check"], true);
    assert_eq!(params["commit_on_diff"], true);
    assert_eq!(
        params["skip_cache"],
        "<< pipeline.parameters.cigen_skip_cache >>"
    );
    assert!(params.get("filters").is_none(), "no tag jobs, no filters");

    // Exactly one probe per hashed variant, byte-identical to the inline job's.
    let probes = params["probes"].as_sequence().expect("probes");
    assert_eq!(probes.len(), 3, "{probes:?}");
    let inline_probes: Vec<Value> = inline_config["jobs"]["cigen_setup"]["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .filter(|step| step.get("restore_cache").is_some())
        .cloned()
        .collect();
    assert_eq!(probes, &inline_probes);
    let keys: Vec<&str> = probes
        .iter()
        .map(|p| p["restore_cache"]["keys"][0].as_str().expect("key"))
        .collect();
    for variant in ["test_unit", "build_bin_amd64", "build_bin_arm64"] {
        let key = format!(
            "job_status-exists-v1-{{{{ checksum \"/tmp/setup_keys/{variant}/job-key\" }}}}"
        );
        assert!(keys.contains(&key.as_str()), "{key} not in {keys:?}");
    }

    // Every parameter passed is one the orb's setup job declares.
    let orb_job: Value = serde_yaml::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("orb/src/jobs/setup.yml"),
        )
        .expect("orb job"),
    )
    .expect("orb job parses");
    let declared = orb_job["parameters"].as_mapping().expect("parameters");
    // `name`, `filters`, `requires`, `context` belong to every workflow job.
    let workflow_keys = ["name", "filters", "requires", "context"];
    for (key, value) in params.as_mapping().expect("params") {
        let key = key.as_str().expect("key");
        if workflow_keys.contains(&key) {
            continue;
        }
        let parameter = declared
            .get(key)
            .unwrap_or_else(|| panic!("orb/src/jobs/setup.yml declares no parameter `{key}`"));
        let kind = parameter["type"].as_str().expect("type");
        match kind {
            "steps" => assert!(value.is_sequence(), "{key}: steps"),
            "boolean" => assert!(
                value.is_bool() || value.as_str().is_some_and(|s| s.starts_with("<<")),
                "{key}: boolean, got {value:?}"
            ),
            "string" => assert!(value.is_string(), "{key}: string"),
            other => panic!("unexpected parameter type {other}"),
        }
    }
}

#[test]
fn use_orb_passes_non_default_resource_class_tag_and_tag_filters() {
    let repo = minimal(&[(
        "release.yml",
        &format!("filters: {{tags: {{only: /^v.*/}}}}\n{JOB}"),
    )])
    .file(
        ".cigen/config.yml",
        "provider: circleci\nsetup:\n  use_orb: true\n  orb_version: 1.2.3\n  image: docspringcom/cigen:1.2.4\n  resource_class: medium\n  self_check: {enabled: false}\n",
    );
    let config = generate(&repo);
    assert_eq!(config["orbs"]["cigen"], "docspring/cigen@1.2.3");
    let (_, params) = setup_entry(&config);
    assert_eq!(params["resource_class"], "medium");
    assert_eq!(params["tag"], "1.2.4");
    assert_eq!(params["self_check"], false);
    assert_eq!(params["commit_on_diff"], false);
    assert_eq!(params["filters"]["tags"]["only"], "/.*/");
    assert_eq!(params["probes"], Value::Sequence(vec![]));

    // Defaults are not repeated: the orb pins them.
    let repo = minimal(&[("lint.yml", JOB)]).file(
        ".cigen/config.yml",
        "provider: circleci\nsetup: {use_orb: true}\n",
    );
    let (_, params) = setup_entry(&generate(&repo));
    assert!(params.get("resource_class").is_none() && params.get("tag").is_none());
}

#[test]
fn use_orb_rejects_a_foreign_image_and_a_taken_alias() {
    let repo = minimal(&[("lint.yml", JOB)]).file(
        ".cigen/config.yml",
        "provider: circleci\nsetup:\n  use_orb: true\n  image: cimg/base:current\n",
    );
    repo.fails_with(
        &["generate"],
        2,
        "error: .cigen/config.yml:4: `setup.image`: with `use_orb: true` the setup job runs on the orb's executor: expected `docspringcom/cigen:<tag>`, not `cimg/base:current`\n",
    );

    let repo = minimal(&[("lint.yml", JOB)]).file(
        ".cigen/config.yml",
        "provider: circleci\nsetup: {use_orb: true}\norbs:\n  cigen: someone/else@1.0.0\n",
    );
    repo.fails_with(
        &["generate"],
        2,
        "error: .cigen/config.yml:4: `orbs.cigen`: the orb alias `cigen` is taken by `setup.use_orb` (docspring/cigen): pick another alias\n",
    );

    let repo = minimal(&[("lint.yml", JOB)]).file(
        ".cigen/config.yml",
        "provider: circleci\nsetup: {use_orb: true, orb_version: 'x y'}\n",
    );
    repo.fails_with(
        &["generate"],
        2,
        "error: .cigen/config.yml:2: `setup.orb_version`: `x y` is not an orb version: expected e.g. `0.1.0`\n",
    );
}

#[test]
fn use_orb_self_check_accepts_the_committed_entrypoint() {
    let repo = project("setup: {use_orb: true}");
    generate(&repo);
    repo.commit_all();
    let tmp = repo.path().join("cigen-tmp");
    let output = repo
        .cigen()
        .args(["setup", "--self-check"])
        .env("CIGEN_TMP", &tmp)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(tmp.join("setup_keys/build_bin_arm64/job-key").exists());
}
