//! cigen's own pipeline: the repository's `.circleci/` is generated from its
//! own `.cigen/` and must be fresh, valid CircleCI, and shaped the way the
//! release process needs (tag filters up the chain, approval, multi-arch).

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_yaml::Value;

use crate::common::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cigen(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("cigen")
        .expect("bin")
        .args(args)
        .current_dir(root())
        .env_remove("CIGEN_SKIP_JOBS_FILE")
        .output()
        .expect("runs")
}

fn files() -> [PathBuf; 2] {
    [
        root().join(".circleci/config.yml"),
        root().join(".circleci/main.yml"),
    ]
}

fn load(path: &Path) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("read")).expect("yaml")
}

#[test]
fn committed_pipeline_is_fresh() {
    let output = cigen(&["generate", "--check"]);
    assert!(
        output.status.success(),
        ".circleci/ is stale: run `cargo run -- generate` at the repository root\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn committed_pipeline_passes_circleci_schema_and_references() {
    assert_circleci_schema(&files());
    for file in files() {
        assert_references_resolve(&load(&file));
    }
}

#[test]
fn every_source_pattern_matches() {
    let output = cigen(&["hash", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let hashes: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    for id in [
        "check_fmt",
        "check_clippy",
        "check_test",
        "build_static_amd64",
        "build_static_arm64",
        "build_image_amd64",
        "build_image_arm64",
        "build_manifest",
        "build_orb",
    ] {
        assert!(hashes.get(id).is_some(), "{id} is not hashed: {hashes}");
    }
}

/// Names of the jobs `job` requires, transitively.
fn upstream(main: &Value, job: &str, seen: &mut Vec<String>) {
    for required in requires(main, "main", job) {
        if !seen.contains(&required) {
            seen.push(required.clone());
            upstream(main, &required, seen);
        }
    }
}

#[test]
fn release_runs_on_version_tags_only_behind_an_approval() {
    let [config, main] = files().map(|f| load(&f));
    let jobs = workflow_jobs(&main, "main");
    let params = |name: &str| -> Value {
        jobs.iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .1
            .clone()
    };

    let approval = params("approve_release");
    assert_eq!(approval["type"], "approval");
    // A wrong tag fails before anyone is asked to approve.
    assert!(requires(&main, "main", "approve_release").contains(&"check_release_tag".to_string()));
    // Orb versions are immutable: the orb is published after the archives it installs.
    assert_eq!(
        requires(&main, "main", "release_orb"),
        ["release_archives", "approve_release"]
    );
    for release in ["release_archives", "release_image", "release_orb"] {
        let p = params(release);
        let direct = requires(&main, "main", release);
        assert!(
            direct.contains(&"approve_release".to_string()),
            "{release}: {direct:?}"
        );
        assert_eq!(p["filters"]["tags"]["only"], "/^v.*/", "{release}");
        assert_eq!(p["filters"]["branches"]["ignore"], "/.*/", "{release}");
        // CircleCI runs a job on a tag only if everything it requires runs on tags too.
        let mut chain = vec![];
        upstream(&main, release, &mut chain);
        assert!(chain.len() >= 9, "{release} requires {chain:?}");
        for job in chain {
            assert!(
                params(&job)["filters"]["tags"]["only"] == "/^v.*/",
                "{job} (upstream of {release}) does not run on v* tags"
            );
        }
        assert!(p.get("context").is_some(), "{release} needs its secrets");
    }
    // ... and so does the setup job, or no tag pipeline is ever continued.
    assert_eq!(
        config["workflows"]["setup"]["jobs"][0]["cigen_setup"]["filters"]["tags"]["only"],
        "/.*/"
    );

    // The release publishes what the build stage persisted.
    let steps = |job: &str| main["jobs"][job]["steps"].as_sequence().cloned().unwrap();
    let attaches = |job: &str| {
        steps(job)
            .iter()
            .any(|s| s.get("attach_workspace").is_some())
    };
    assert!(attaches("release_archives") && attaches("release_orb"));
    for job in ["build_static_amd64", "build_static_arm64", "build_orb"] {
        assert!(
            steps(job)
                .iter()
                .any(|s| s.get("persist_to_workspace").is_some()),
            "{job} persists nothing"
        );
    }
}

#[test]
fn builds_are_multi_arch_and_the_manifest_needs_both() {
    let main = load(&files()[1]);
    for job in ["build_static", "build_image"] {
        assert_eq!(
            main["jobs"][format!("{job}_amd64")]["resource_class"],
            "medium"
        );
        assert_eq!(
            main["jobs"][format!("{job}_arm64")]["resource_class"],
            "arm.medium"
        );
        assert_eq!(
            main["jobs"][format!("{job}_arm64")]["environment"]["DOCKER_ARCH"],
            "arm64"
        );
    }
    let mut manifest = requires(&main, "main", "build_manifest");
    manifest.sort();
    assert_eq!(manifest, vec!["build_image_amd64", "build_image_arm64"]);
    let text = std::fs::read_to_string(&files()[1]).expect("read");
    for script in [
        "scripts/build-static.sh",
        "scripts/test-static.sh",
        "scripts/package-release.sh",
        "circleci orb pack orb/src",
        "circleci orb publish",
        "gh release create",
        "docker buildx imagetools create",
    ] {
        assert!(text.contains(script), "main.yml never runs `{script}`");
    }
    assert!(
        main["commands"]["image_tag"].is_mapping(),
        "commands from .cigen/commands/ are used"
    );
}

/// The own pipeline continued (dry run) with every hashed job marked as passed,
/// as a pipeline of `reference`; returns the continued workflow's jobs that
/// do work: neither no-op stand-ins nor approvals.
fn continue_all_passed(reference: (&str, &str)) -> Vec<String> {
    let rt = tempfile::tempdir().expect("rt");
    let run = |args: &[&str]| {
        let output = Command::cargo_bin("cigen")
            .expect("bin")
            .args(args)
            .current_dir(root())
            .env("CIGEN_TMP", rt.path())
            .env_remove("CIGEN_SKIP_CACHE")
            .env_remove("CIRCLE_TAG")
            .env_remove("CIRCLE_BRANCH")
            .env(reference.0, reference.1)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    let hashes: serde_json::Value = serde_json::from_str(&run(&["hash", "--json"])).expect("json");
    run(&["setup"]);
    std::fs::create_dir_all(rt.path().join("cigen_job_exists")).expect("mkdir");
    for hash in hashes.as_object().expect("map").values() {
        let marker = format!("cigen_job_exists/done_{}", hash.as_str().expect("hash"));
        std::fs::write(rt.path().join(marker), "").expect("marker");
    }
    run(&["continue", "--dry-run"]);
    let continued = load(&rt.path().join("cigen/continuation.yml"));
    assert_references_resolve(&continued);
    working_jobs(&continued, "main")
}

#[test]
fn an_unchanged_push_runs_nothing_and_an_unchanged_tag_only_what_the_release_needs() {
    // The tag-only release jobs must not keep the builds they read alive on
    // branches: every build is a no-op stand-in. The stand-ins' tag-only
    // filters let them run on every branch, so no summary job is needed.
    assert_eq!(
        continue_all_passed(("CIRCLE_BRANCH", "main")),
        [
            "check_release_tag",
            "release_archives",
            "release_image",
            "release_orb"
        ]
    );
    // On a tag the release needs the archives and the packed orb again (workspaces do not
    // outlive a workflow); images are reused by their input tag.
    assert_eq!(
        continue_all_passed(("CIRCLE_TAG", "v0.1.0")),
        [
            "check_release_tag",
            "build_orb",
            "build_static_amd64",
            "build_static_arm64",
            "release_archives",
            "release_image",
            "release_orb",
            "cigen_all_skipped"
        ]
    );
}
