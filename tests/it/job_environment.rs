//! A job's `environment` in any form CircleCI's schema accepts (a map, a
//! list of `NAME=VALUE`, null values) is the one map it stands for:
//! CircleCI's `environment`, GitHub's `env` and the job hash of both
//! providers are those of the map form. The map form hashes as it did
//! before the other forms were read, and a value changed in the list form
//! moves the hash (no false skip).

use serde_json::Value as Json;
use serde_yaml::Value;

use crate::common::*;

/// `environment` of the job `build`, written as `written`.
fn project(written: &str) -> Repo {
    Repo::new()
        .file(".cigen/config.yml", "providers: [circleci, github]\n")
        .file("src/main.c", "int main(){}\n")
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            &format!(
                "image: cimg/base:2024.01\nsource_files: [src/**]\nenvironment: {written}\nsteps: [{{run: make}}]\n"
            ),
        )
}

/// What both providers make of the job: the CircleCI hash, the GitHub
/// hash, CircleCI's `environment` and GitHub's `env`.
fn seen(written: &str) -> (Json, Json, Value, Value) {
    let repo = project(written);
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{written}: {}", stderr(&output));
    let circleci = repo.yaml(".circleci/main.yml")["jobs"]["build"]["environment"].clone();
    let github = repo.yaml(".github/workflows/main.yml")["jobs"]["build"]["env"].clone();
    (
        provider_hashes(&repo, "circleci")["build"].clone(),
        provider_hashes(&repo, "github")["build"].clone(),
        circleci,
        github,
    )
}

#[test]
fn every_form_of_a_job_environment_is_the_map_it_stands_for() {
    let map = seen("{A: 1, B: x, C: ''}");
    assert_eq!(
        map.2,
        serde_yaml::from_str::<Value>("{A: '1', B: x, C: ''}").expect("yaml")
    );
    for form in [
        "{A: 1, B: x, C: }",
        "[A=1, B=x, C=]",
        "[A=1, {B: x}, [C]]",
        "\n  - A=1\n  - B: x\n  - C=\n",
    ] {
        assert_eq!(seen(form), map, "{form}");
    }
    let changed = seen("[A=2, B=x, C=]");
    assert_ne!(
        changed.0, map.0,
        "a changed value must move the CircleCI hash"
    );
    assert_ne!(
        changed.1, map.1,
        "a changed value must move the GitHub hash"
    );
}

/// The hashes main gave this job before the list forms were read
/// (`cigen hash --json --provider …` at bd3fc68): reading the other forms
/// must not move the hash of any existing map-form job.
#[test]
fn the_map_form_hashes_as_before() {
    let (circleci, github, ..) = seen("{A: 1, B: x, C: ''}");
    assert_eq!(
        circleci,
        "0849e188d58bbeeadef650dc57824afaba66c96106b2096139db0cc214f1b133"
    );
    assert_eq!(
        github,
        "deacaa510bdcdb391611e948a40cbc2bc87dc5aaf8abf5e307ed069267125e51"
    );
}
