//! The job hash per provider: `cigen hash --provider github` covers the
//! rendered GitHub job (runner, container, env, translated steps, the
//! `github:` map), never the per-run wiring (`needs`, `if`), and differs
//! from the CircleCI hash of the same job. Each test here would catch a
//! false skip: an input of the GitHub job that does not move its hash.

use serde_json::{Map, Value as Json};

use crate::common::*;

const BUILD: &str = "image: cimg/base:2024.01\nsource_files: [src/**]\nsteps: [{run: make}]\n";

fn project(config: &str, build: &str) -> Repo {
    Repo::new()
        .file(".cigen/config.yml", config)
        .file("src/main.c", "int main(void) { return 0; }\n")
        .file(".cigen/workflows/main/config.yml", "stages: [{name: deploy, requires: []}]\n")
        .file(".cigen/workflows/main/jobs/build.yml", build)
        .file(
            ".cigen/workflows/main/jobs/deploy/ship.yml",
            "image: cimg/base:2024.01\nsource_files: [src/**]\nrequires: [build]\nsteps: [{run: ./ship}]\n",
        )
}

const BOTH: &str = "providers: [circleci, github]\n";

/// The GitHub and CircleCI hashes of `repo`.
fn both(repo: &Repo) -> (Map<String, Json>, Map<String, Json>) {
    (
        provider_hashes(repo, "github"),
        provider_hashes(repo, "circleci"),
    )
}

#[test]
fn the_same_job_hashes_differently_per_provider() {
    let (github, circleci) = both(&project(BOTH, BUILD));
    assert_eq!(github.len(), 2);
    for (id, hash) in &github {
        assert_ne!(circleci.get(id), Some(hash), "{id}");
    }
}

#[test]
fn an_edit_to_the_github_map_moves_the_github_hash_only() {
    let (github, circleci) = both(&project(BOTH, BUILD));
    let edited = format!("{BUILD}github: {{timeout-minutes: 10}}\n");
    let (github_after, circleci_after) = both(&project(BOTH, &edited));
    assert_eq!(moved(&github, &github_after), ["build", "deploy_ship"]);
    assert_eq!(moved(&circleci, &circleci_after), Vec::<String>::new());
}

#[test]
fn an_edit_to_the_github_steps_moves_the_github_hash() {
    let with = |command: &str| {
        format!("{BUILD}github: {{steps: [{{uses: actions/checkout@v4}}, {{run: {command}}}]}}\n")
    };
    let (before, _) = both(&project(BOTH, &with("make")));
    let (after, _) = both(&project(BOTH, &with("make all")));
    assert_eq!(moved(&before, &after), ["build", "deploy_ship"]);
}

#[test]
fn an_edit_to_the_runner_moves_the_github_hash_only() {
    let (github, circleci) = both(&project(BOTH, BUILD));
    let config = format!(
        "{BOTH}architectures:\n  amd64: {{resource_class: medium, runs_on: ubuntu-22.04}}\n"
    );
    let (github_after, circleci_after) = both(&project(&config, BUILD));
    assert_eq!(moved(&github, &github_after), ["build", "deploy_ship"]);
    assert_eq!(moved(&circleci, &circleci_after), Vec::<String>::new());
}

#[test]
fn an_edit_to_the_translated_steps_moves_the_github_hash() {
    let (before, _) = both(&project(BOTH, BUILD));
    let (after, _) = both(&project(BOTH, &BUILD.replace("make", "make test")));
    assert_eq!(moved(&before, &after), ["build", "deploy_ship"]);
}

#[test]
fn an_edit_to_the_container_or_env_moves_the_github_hash() {
    let (before, _) = both(&project(BOTH, BUILD));
    for edited in [
        BUILD.replace("2024.01", "2024.02"),
        format!("{BUILD}environment: {{MODE: fast}}\n"),
        format!("{BUILD}services: [{{image: postgres:16}}]\n"),
        format!("{BUILD}working_directory: /src\n"),
    ] {
        let (after, _) = both(&project(BOTH, &edited));
        assert_eq!(moved(&before, &after), ["build", "deploy_ship"], "{edited}");
    }
}

/// A stage approval changes what the GitHub job `needs` and its `if:`
/// (the per-run wiring), not what it runs: its hash stays.
#[test]
fn per_run_wiring_does_not_move_the_github_hash() {
    let repo = project(BOTH, BUILD);
    let before = provider_hashes(&repo, "github");
    repo.write(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: deploy, requires: [], approval: true}]\n",
    );
    let after = provider_hashes(&repo, "github");
    assert_eq!(before, after);
}

#[test]
fn github_alone_hashes_for_github_by_default() {
    let repo = project("provider: github\n", BUILD);
    let mut command = repo.cigen();
    command.args(["hash", "--json"]);
    clear_pipeline_values(&mut command);
    let output = command.output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let default: Map<String, Json> = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(default, provider_hashes(&repo, "github"));
    let (github, _) = both(&project(BOTH, BUILD));
    assert_eq!(default, github);
}
