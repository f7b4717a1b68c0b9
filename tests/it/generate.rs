//! `cigen generate`: what a user gets in `.circleci/` for the features of
//! DESIGN §2 and §5, asserted on the parsed YAML.

use serde_yaml::Value;

use crate::common::*;

fn generate(repo: &Repo) -> (Value, Value) {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(
        output.status.success(),
        "generate failed: {}",
        stderr(&output)
    );
    (
        repo.yaml(".circleci/config.yml"),
        repo.yaml(".circleci/main.yml"),
    )
}

#[test]
fn seed_example_has_the_expected_graph() {
    let repo = Repo::seed();
    let (config, main) = generate(&repo);
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);

    // Job ids are <stage>_<job>; multi-arch jobs become <id>_<arch> variants.
    let main_jobs = workflow_job_names(&main, "main");
    for id in [
        "install_gems",
        "test_rspec_amd64",
        "test_rspec_arm64",
        "build_app_manifest",
        "deploy_staging_deploy",
        "post_deploy_merge",
    ] {
        assert!(
            main_jobs.contains(&id.to_string()),
            "{id} missing from {main_jobs:?}"
        );
    }
    assert!(!main_jobs.contains(&"test_rspec".to_string()));
    assert_eq!(
        main["jobs"]["test_rspec_arm64"]["resource_class"],
        "arm.medium"
    );
    assert_eq!(
        main["jobs"]["test_rspec_arm64"]["environment"]["DOCKER_ARCH"],
        "arm64"
    );
    assert_eq!(main["jobs"]["test_rspec_amd64"]["resource_class"], "medium");
    assert!(
        main["jobs"]["install_gems"]["environment"]
            .get("DOCKER_ARCH")
            .is_none()
    );

    // single→multi requires every variant; stage requires add every job of the stage.
    let manifest = requires(&main, "main", "build_app_manifest");
    assert!(
        manifest.contains(&"build_app_image_amd64".into())
            && manifest.contains(&"build_app_image_arm64".into())
    );
    assert!(requires(&main, "main", "test_jest").contains(&"install_gems".into()));

    // Stage approvals are generated and required by each job of the stage.
    let (_, approve) = workflow_jobs(&main, "main")
        .into_iter()
        .find(|(n, _)| n == "approve_deploy_staging")
        .expect("approval");
    assert_eq!(approve["type"], "approval");
    assert!(requires(&main, "main", "deploy_eu_deploy").contains(&"approve_deploy_eu".into()));
    assert_eq!(
        requires(&main, "main", "approve_deploy_eu"),
        ["deploy_staging_deploy", "deploy_staging_docs_site"]
    );

    // OR-dependency: one gate for all variants, one shim per trigger.
    assert!(
        requires(&main, "main", "build_app_image_amd64")
            .contains(&"approve_build_app_image".into())
    );
    assert!(
        requires(&main, "main", "build_app_image_arm64")
            .contains(&"approve_build_app_image".into())
    );
    let shims: Vec<(String, Value)> = workflow_jobs(&main, "main")
        .into_iter()
        .filter(|(_, p)| p.get("job").is_some())
        .collect();
    assert_eq!(shims.len(), 1);
    for (name, params) in &shims {
        assert_eq!(params["job"], "approve_build_app_image", "{name}");
        assert_eq!(params["context"][0], "circleci-api");
    }
    assert_eq!(
        requires(
            &main,
            "main",
            "approve_build_app_image_after_approve_deploy_staging"
        ),
        ["approve_deploy_staging"]
    );
    let approve_job = &main["jobs"]["cigen_approve"];
    assert_eq!(
        approve_job["docker"][0]["image"],
        concat!("docspringcom/cigen:", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        approve_job["steps"][0]["run"]["command"]
            .as_str()
            .expect("cmd")
            .starts_with("cigen approve --job")
    );

    // Immediate workflows live in config.yml, gated on their parameter.
    assert_eq!(config["setup"], true);
    assert_eq!(
        config["workflows"]["package_updates"]["when"],
        "<< pipeline.parameters.check_package_versions >>"
    );
    assert_eq!(
        workflow_job_names(&config, "staging_postman_tests"),
        ["postman"]
    );
    let not_any = &config["workflows"]["setup"]["when"]["not"]["or"];
    assert_eq!(not_any.as_sequence().expect("or").len(), 2);
    assert!(config["workflows"].get("main").is_none());
    assert!(main["workflows"].get("package_updates").is_none());

    // Both files declare the same parameters, including cigen's own.
    assert_eq!(config["parameters"], main["parameters"]);
    assert_eq!(main["parameters"]["cigen_skip_cache"]["type"], "boolean");

    // Commands travel with the jobs that use them, orb steps pass through.
    assert!(main["commands"].get("notify_deploy").is_some());
    assert!(config["commands"].get("bundle_install").is_some());
    assert!(config["commands"].get("notify_deploy").is_none());
    assert_eq!(main["orbs"]["slack"], "circleci/slack@4.13.3");
}

#[test]
fn setup_job_is_checkout_setup_probes_continue() {
    let repo = Repo::seed();
    let (config, main) = generate(&repo);
    let steps = config["jobs"]["cigen_setup"]["steps"]
        .as_sequence()
        .expect("steps");
    let hashed: Vec<String> = main["jobs"]
        .as_mapping()
        .expect("jobs")
        .iter()
        .filter(|(_, job)| {
            serde_yaml::to_string(job)
                .expect("yaml")
                .contains("save_cache")
        })
        .map(|(name, _)| {
            // A parallel variant records in its `<id>_record` job, which follows it.
            let name = name.as_str().expect("name");
            name.strip_suffix("_record").unwrap_or(name).to_string()
        })
        .collect();
    assert_eq!(hashed.len(), 10, "{hashed:?}");
    assert_eq!(steps.len(), hashed.len() + 3);
    assert_eq!(steps[0], "checkout");
    assert_eq!(steps[1]["run"]["command"], "cigen setup --self-check");
    assert_eq!(steps[steps.len() - 1]["run"]["command"], "cigen continue");
    for (probe, variant) in steps[2..steps.len() - 1].iter().zip(&hashed) {
        let key = probe["restore_cache"]["keys"][0].as_str().expect("key");
        assert_eq!(
            key,
            format!(
                "job_status-exists-v1-{{{{ checksum \"/tmp/setup_keys/{variant}/job-key\" }}}}"
            )
        );
    }
}

#[test]
fn hashed_jobs_record_success_and_others_do_not() {
    let repo = Repo::seed();
    let (_, main) = generate(&repo);
    // test_rspec runs in two containers: its record job records it.
    let steps = main["jobs"]["test_rspec_arm64_record"]["steps"]
        .as_sequence()
        .expect("steps");
    let record = steps[steps.len() - 2]["run"]["command"]
        .as_str()
        .expect("record");
    assert!(record.contains("touch \"/tmp/cigen_job_exists/done_${CIGEN_JOB_HASH}\""));
    assert!(record.contains(
        "printf '%s' \"test_rspec-arm64-${CIGEN_JOB_HASH}\" > /tmp/cigen_job_status/job-key"
    ));
    assert!(record.contains("CIGEN_JOB_HASH is not set"));
    let save = &steps[steps.len() - 1]["save_cache"];
    assert_eq!(
        save["key"],
        "job_status-exists-v1-{{ checksum \"/tmp/cigen_job_status/job-key\" }}"
    );
    assert_eq!(save["paths"][0], "/tmp/cigen_job_exists");
    let deploy = serde_yaml::to_string(&main["jobs"]["deploy_staging_deploy"]).expect("yaml");
    assert!(!deploy.contains("cigen_job") && !deploy.contains("save_cache"));
    // No runtime halt: nothing in main.yml stops a job early.
    assert!(
        !repo
            .read(".circleci/main.yml")
            .contains("circleci-agent step halt")
    );
}

#[test]
fn record_step_runs_in_a_shell_and_writes_the_setup_key_bytes() {
    let repo = Repo::seed();
    let (_, main) = generate(&repo);
    let steps = main["jobs"]["build_app_manifest"]["steps"]
        .as_sequence()
        .expect("steps");
    let script = steps[steps.len() - 2]["run"]["command"]
        .as_str()
        .expect("record")
        .replace("/tmp/", &format!("{}/", repo.path().join("rt").display()));
    let run = |hash: Option<&str>| {
        let mut command = std::process::Command::new("bash");
        command.args(["-eo", "pipefail", "-c", &script]);
        match hash {
            Some(hash) => command.env("CIGEN_JOB_HASH", hash),
            None => command.env_remove("CIGEN_JOB_HASH"),
        };
        let output = command.output().expect("bash");
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    assert_eq!(
        run(None),
        "CIGEN_JOB_HASH is not set (this config was not continued by cigen): recording nothing.\n"
    );
    assert!(!repo.exists("rt/cigen_job_exists/done_"));
    run(Some("abc123"));
    assert!(repo.exists("rt/cigen_job_exists/done_abc123"));
    assert_eq!(
        repo.read("rt/cigen_job_status/job-key"),
        "build_app_manifest-amd64-abc123"
    );
}

#[test]
fn pass_through_fields_reach_circleci_untouched() {
    let repo = Repo::seed();
    let (_, main) = generate(&repo);
    let rspec = &main["jobs"]["test_rspec_amd64"];
    assert_eq!(rspec["parallelism"], 2);
    assert_eq!(rspec["docker"][0]["image"], "cimg/ruby:3.3");
    assert_eq!(rspec["docker"][1]["image"], "cimg/postgres:16.2");
    assert_eq!(rspec["docker"][1]["environment"]["POSTGRES_DB"], "app_test");
    assert_eq!(rspec["environment"]["RAILS_ENV"], "test");
    assert_eq!(rspec["steps"][0], "checkout");
    assert_eq!(rspec["steps"][2]["run"]["name"], "RSpec");
    assert_eq!(rspec["steps"][2]["run"]["command"], "bundle exec rspec");
    assert_eq!(rspec["steps"][2]["run"]["no_output_timeout"], "20m");
    // checkout: false leaves it out; job-status requires keep their statuses.
    assert_ne!(main["jobs"]["release_image"]["steps"][0], "checkout");
    // The cleanup runs a script of the repository: it checks out.
    assert_eq!(main["jobs"]["post_deploy_cleanup"]["steps"][0], "checkout");
    let (_, cleanup) = workflow_jobs(&main, "main")
        .into_iter()
        .find(|(n, _)| n == "post_deploy_cleanup")
        .expect("cleanup");
    assert_eq!(
        cleanup["requires"][0]["deploy_eu_deploy"],
        serde_yaml::from_str::<Value>("[success, failed, canceled]").expect("y")
    );
    let (_, merge) = workflow_jobs(&main, "main")
        .into_iter()
        .find(|(n, _)| n == "post_deploy_merge")
        .expect("merge");
    assert_eq!(merge["filters"]["branches"]["only"][0], "main");
    let (_, deploy) = workflow_jobs(&main, "main")
        .into_iter()
        .find(|(n, _)| n == "deploy_eu_deploy")
        .expect("deploy");
    assert_eq!(deploy["context"][0], "production-eu");
}

#[test]
fn machine_executor_workflow_when_and_string_parameters() {
    let repo = minimal(&[(
        "vm.yml",
        "machine: {image: ubuntu-2204:current}\nresource_class: large\nsteps:\n  - run: docker info\n",
    )])
    .file(".cigen/workflows/main/config.yml", "when:\n  not:\n    equal: [scheduled_pipeline, << pipeline.trigger_source >>]\n")
    .file(".cigen/config.yml", "parameters:\n  ref: {type: string, default: main}\n  size: {type: enum, enum: [s, m], default: s}\n");
    let (config, main) = generate(&repo);
    assert_eq!(
        main["jobs"]["vm"]["machine"]["image"],
        "ubuntu-2204:current"
    );
    assert_eq!(main["jobs"]["vm"]["resource_class"], "large");
    assert_eq!(
        main["workflows"]["main"]["when"]["not"]["equal"][0],
        "scheduled_pipeline"
    );
    assert_eq!(config["parameters"]["ref"]["default"], "main");
    assert_eq!(config["parameters"]["size"]["enum"][1], "m");
    // No immediate workflow: setup runs exactly when the main workflow would.
    assert_eq!(
        config["workflows"]["setup"]["when"],
        main["workflows"]["main"]["when"]
    );
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);
}

#[test]
fn multi_to_multi_requires_pair_by_arch_and_explicit_variant_is_allowed() {
    let repo = Repo::new()
        .file(".cigen/config.yml", "architectures:\n  amd64: {resource_class: medium}\n  arm64: {resource_class: arm.medium}\n")
        .file(".cigen/workflows/main/jobs/build.yml", "image: a\narchitectures: [amd64, arm64]\nsteps: [{run: make}]\n")
        .file(".cigen/workflows/main/jobs/test.yml", "image: a\narchitectures: [amd64, arm64]\nrequires: [build]\nsteps: [{run: make}]\n")
        .file(".cigen/workflows/main/jobs/only_arm.yml", "image: a\nrequires: [build_arm64]\nsteps: [{run: make}]\n")
        .file(".cigen/workflows/main/jobs/single.yml", "image: a\narchitectures: [arm64]\nsteps: [{run: make}]\n");
    let (_, main) = generate(&repo);
    assert_eq!(requires(&main, "main", "test_amd64"), ["build_amd64"]);
    assert_eq!(requires(&main, "main", "test_arm64"), ["build_arm64"]);
    assert_eq!(requires(&main, "main", "only_arm"), ["build_arm64"]);
    // One arch: the bare id, with that arch's resource class and DOCKER_ARCH.
    assert_eq!(main["jobs"]["single"]["resource_class"], "arm.medium");
    assert_eq!(
        main["jobs"]["single"]["environment"]["DOCKER_ARCH"],
        "arm64"
    );
}

#[test]
fn bare_requires_resolve_in_the_same_stage_first() {
    let repo = Repo::new()
        .file(".cigen/config.yml", "")
        .file(
            ".cigen/workflows/main/config.yml",
            "stages:\n  - name: test\n  - name: build\n",
        )
        .file(
            ".cigen/workflows/main/jobs/compile.yml",
            "image: a\nsteps: [{run: make}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/build/compile.yml",
            "image: a\nsteps: [{run: make}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/build/package.yml",
            "image: a\nrequires: [compile]\nsteps: [{run: make}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/test/unit.yml",
            "image: a\nrequires: [compile]\nsteps: [{run: make}]\n",
        );
    let (_, main) = generate(&repo);
    // An exact id wins; a bare name resolves inside the requiring job's stage.
    assert_eq!(requires(&main, "main", "build_package"), ["compile"]);
    assert_eq!(requires(&main, "main", "test_unit"), ["compile"]);
    let repo = repo.file(
        ".cigen/workflows/main/jobs/build/package.yml",
        "image: a\nrequires: [build_compile]\nsteps: [{run: make}]\n",
    );
    let (_, main) = generate(&repo);
    assert_eq!(requires(&main, "main", "build_package"), ["build_compile"]);
}

#[test]
fn inline_cigen_yml_gives_byte_identical_output() {
    let dir = Repo::seed();
    generate(&dir);
    let inline = Repo::new().file("cigen.yml", &inline_seed());
    let output = inline.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    for file in [".circleci/config.yml", ".circleci/main.yml"] {
        assert_eq!(
            dir.read(file),
            inline.read(file),
            "{file} differs between .cigen/ and cigen.yml"
        );
    }
}

/// The seed example rewritten as one `cigen.yml`, built from its files.
fn inline_seed() -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed/.cigen");
    let read = |p: &str| -> Value {
        serde_yaml::from_str(&std::fs::read_to_string(root.join(p)).expect("read")).expect("yaml")
    };
    let mut doc = read("config.yml");
    for fragment in ["config/setup.yml", "config/source_file_groups.yml"] {
        merge(&mut doc, read(fragment));
    }
    let mut commands = serde_yaml::Mapping::new();
    for name in ["bundle_install", "notify_deploy"] {
        commands.insert(name.into(), read(&format!("commands/{name}.yml")));
    }
    doc["commands"] = Value::Mapping(commands);
    let mut workflows = serde_yaml::Mapping::new();
    for workflow in ["main", "package_updates", "staging_postman_tests"] {
        let mut wf = read(&format!("workflows/{workflow}/config.yml"));
        let mut jobs = serde_yaml::Mapping::new();
        let jobs_dir = root.join(format!("workflows/{workflow}/jobs"));
        let mut entries: Vec<_> = walk(&jobs_dir);
        entries.sort();
        for path in entries {
            let rel = path
                .strip_prefix(&jobs_dir)
                .expect("rel")
                .with_extension("");
            jobs.insert(
                rel.to_string_lossy().into_owned().into(),
                serde_yaml::from_str(&std::fs::read_to_string(&path).expect("r")).expect("y"),
            );
        }
        wf["jobs"] = Value::Mapping(jobs);
        workflows.insert(workflow.into(), wf);
    }
    doc["workflows"] = Value::Mapping(workflows);
    serde_yaml::to_string(&doc).expect("yaml")
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

fn merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[test]
fn fragments_merge_in_file_name_order() {
    let repo = minimal(&[("a.yml", "image: a\nsteps: [{run: make}]\n")])
        .file(
            ".cigen/config.yml",
            "setup: {image: base:1, resource_class: medium}\n",
        )
        .file(".cigen/config/20_image.yml", "setup: {image: late:3}\n")
        .file(".cigen/config/10_image.yml", "setup: {image: early:2}\n");
    let (config, _) = generate(&repo);
    assert_eq!(
        config["jobs"]["cigen_setup"]["docker"][0]["image"],
        "late:3"
    );
    assert_eq!(config["jobs"]["cigen_setup"]["resource_class"], "medium");
}

#[test]
fn output_is_deterministic_and_check_detects_drift() {
    let repo = Repo::seed();
    generate(&repo);
    let first = (
        repo.read(".circleci/config.yml"),
        repo.read(".circleci/main.yml"),
    );
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(stdout(&output).contains("unchanged .circleci/main.yml"));
    assert_eq!(
        first,
        (
            repo.read(".circleci/config.yml"),
            repo.read(".circleci/main.yml")
        )
    );
    assert!(first.0.ends_with('\n') && !first.0.contains('\r'));
    assert!(first.0.starts_with("# Generated by cigen"));

    let check = repo
        .cigen()
        .args(["generate", "--check"])
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));

    repo.write(".cigen/workflows/main/jobs/test/jest.yml", "image: cimg/node:22.0\nsource_files: [\"@node\"]\nsteps:\n  - {name: Jest, run: yarn jest --ci}\n");
    let check = repo
        .cigen()
        .args(["generate", "--check"])
        .output()
        .expect("runs");
    assert_eq!(check.status.code(), Some(1));
    let diff = stdout(&check);
    assert!(
        diff.contains("--- .circleci/main.yml (on disk)")
            && diff.contains("+++ .circleci/main.yml (generated)"),
        "{diff}"
    );
    assert!(
        diff.contains("-    - image: cimg/node:20.11")
            && diff.contains("+    - image: cimg/node:22.0"),
        "{diff}"
    );
    assert_eq!(
        without_config_warnings(&stderr(&check)),
        "error: generated files are stale: run `cigen generate` and commit the result\n"
    );
    // --check wrote nothing.
    assert_eq!(first.1, repo.read(".circleci/main.yml"));
}

#[test]
fn warns_when_a_job_repeats_its_stage_name() {
    let repo = Repo::new()
        .file(".cigen/config.yml", "")
        .file(
            ".cigen/workflows/main/config.yml",
            "stages: [{name: build_docs}]\n",
        )
        .file(
            ".cigen/workflows/main/jobs/build_docs/compile_docs.yml",
            "image: a\nsteps: [{run: make}]\n",
        );
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success());
    assert_eq!(
        stderr(&output),
        "warning: .cigen/workflows/main/jobs/build_docs/compile_docs.yml: job `compile_docs` repeats a word of its stage `build_docs` (id `build_docs_compile_docs`): rename to `compile.yml` (or set `allow_stage_noun: true`)\n"
    );
}

#[test]
fn config_flag_accepts_a_directory_or_a_file_and_writes_next_to_it() {
    let repo = Repo::new().file(
        "sub/cigen.yml",
        "workflows:\n  main:\n    jobs:\n      a: {image: x, steps: [{run: make}]}\n",
    );
    let output = repo
        .cigen()
        .args(["generate", "--config", "sub/cigen.yml"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(repo.exists("sub/.circleci/main.yml"));
    let repo = Repo::new();
    repo.fails_with(
        &["generate"],
        2,
        &format!(
            "error: no configuration found: no `.cigen/` directory or `cigen.yml` in {} or any parent directory \
             (not inside a git repository); pass --config PATH to use another\n",
            repo.path().display()
        ),
    );
}
