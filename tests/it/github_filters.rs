//! CircleCI job `filters` on GitHub: each job's condition carries its
//! branch and tag filters (so a job filtered out on CircleCI does not run
//! on GitHub either), a tag push starts the workflow only when some job
//! filters on tags, the required check passes a job its filters (or a
//! requirement's) kept from the run, and filters GitHub cannot express are
//! an error naming file, line and key.

use serde_yaml::Value;

use crate::common::*;
use crate::github_graph::condition;

/// Generates (every file checked with actionlint and the schema), returns main.yml.
fn generate(repo: &Repo) -> Value {
    crate::github_graph::generate(repo).1
}

const IMAGE: &str = "image: cimg/base:2024.01\n";

fn project(jobs: &[(&str, &str)]) -> Repo {
    let mut repo = Repo::new().file(
        ".cigen/config.yml",
        "provider: github\nsetup:\n  required_check: ci_passed\n",
    );
    for (name, body) in jobs {
        repo = repo.file(
            &format!(".cigen/workflows/main/jobs/{name}.yml"),
            &format!("{IMAGE}{body}"),
        );
    }
    repo
}

#[test]
fn branch_filters_gate_the_job_and_tags_never_start_the_workflow() {
    let doc = generate(&project(&[
        ("test", "steps: [{run: make test}]\n"),
        (
            "merge",
            "requires: [test]\nfilters:\n  branches: {only: [main]}\nsteps: [{run: make merge}]\n",
        ),
    ]));
    assert_eq!(
        doc["on"]["push"],
        serde_yaml::from_str::<Value>("{branches: ['**']}").expect("yaml")
    );
    assert_eq!(
        condition(&doc, "merge"),
        "${{ !cancelled() && needs.cigen_setup.result == 'success' && ((github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name) == 'main') && needs.test.result == 'success' }}"
    );
    assert_eq!(
        condition(&doc, "test"),
        "${{ !cancelled() && needs.cigen_setup.result == 'success' }}"
    );
    let env = &doc["jobs"]["ci_passed"]["steps"][0]["env"];
    assert_eq!(
        env["CIGEN_FILTERED_OUT"],
        Value::from(
            "${{ (!(((github.event.pull_request.head.repo.fork && format('pull/{0}', github.event.pull_request.number) || github.head_ref || github.ref_name) == 'main'))) && 'merge' || '' }}"
        )
    );
}

#[test]
fn tag_filters_let_tags_in_and_keep_every_other_job_off_tags() {
    let doc = generate(&project(&[
        (
            "build",
            "filters:\n  tags: {only: /^v.*/}\nsteps: [{run: make}]\n",
        ),
        ("lint", "steps: [{run: make lint}]\n"),
        (
            "promote",
            "requires: [build]\nfilters:\n  tags: {only: /^v.*/}\n  branches: {ignore: /.*/}\nsteps: [{run: make promote}]\n",
        ),
    ]));
    assert_eq!(doc["on"]["push"], Value::Mapping(Default::default()));
    assert!(condition(&doc, "build").contains(
        "(((github.ref_type == 'tag') && (startsWith(github.ref_name, 'v'))) || (github.ref_type != 'tag'))"
    ));
    assert!(condition(&doc, "lint").contains("(github.ref_type != 'tag')"));
    assert!(
        condition(&doc, "promote")
            .contains("((github.ref_type == 'tag') && (startsWith(github.ref_name, 'v')))")
    );
    // promote's own filters, and those of what it requires, can keep it out.
    let filtered = doc["jobs"]["ci_passed"]["steps"][0]["env"]["CIGEN_FILTERED_OUT"]
        .as_str()
        .expect("filtered list")
        .to_string();
    assert!(filtered.contains("&& 'promote' ||"), "{filtered}");
    assert!(filtered.contains("&& 'lint' ||"), "{filtered}");
}

#[test]
fn the_required_check_passes_a_filtered_job_and_fails_an_unexplained_skip() {
    let doc = generate(&project(&[(
        "merge",
        "filters:\n  branches: {only: [main]}\nsteps: [{run: make merge}]\n",
    )]));
    let step = &doc["jobs"]["ci_passed"]["steps"][0];
    let script = step["run"].as_str().expect("script");
    let run = |filtered: &str| {
        std::process::Command::new("bash")
            .args(["-eo", "pipefail", "-c", script])
            .env(
                "CIGEN_NEEDS",
                r#"{"cigen_setup": {"result": "success", "outputs": {}}, "merge": {"result": "skipped", "outputs": {}}}"#,
            )
            .env("CIGEN_FILTERED_OUT", filtered)
            .output()
            .expect("bash")
    };
    // On a feature branch the expression yields 'merge': the skip is the filter's.
    assert!(run(" merge").status.success());
    // On main it yields '': the skip is unexplained.
    let fails = run(" ");
    assert!(!fails.status.success());
    assert_eq!(stdout(&fails), "Not passed:\nmerge: skipped\n");
}

#[test]
fn a_regex_github_cannot_express_names_file_line_and_key() {
    project(&[(
        "release",
        "filters:\n  tags: {only: '/^v[0-9]+/'}\nsteps: [{run: make}]\n",
    )])
    .fails_with(
        &["generate"],
        2,
        "error: .cigen/workflows/main/jobs/release.yml:2: `filters`: `filters.tags.only: /^v[0-9]+/` has no GitHub form: GitHub expressions have no regular expressions; use exact names or `/prefix.*/`, `/.*suffix/`\n",
    );
}
