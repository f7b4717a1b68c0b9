//! `cigen generate --workflow main` with `CIGEN_SKIP_JOBS_FILE`: the pruning
//! rules of DESIGN §4 applied to the seed example, end to end through the
//! binary, and the result still valid CircleCI.

use serde_yaml::Value;

use crate::common::*;
/// The seed with `setup.skipped_jobs: remove` (a later config fragment).
fn seed_removing() -> Repo {
    Repo::seed().file(
        ".cigen/config/zz_remove.yml",
        "setup: {skipped_jobs: remove}\n",
    )
}

fn pruned(repo: &Repo, skip: &[&str]) -> (Value, String) {
    repo.write(
        "skip.txt",
        &format!("# skipped by the setup job\n{}\n", skip.join("\n")),
    );
    let output = repo
        .cigen()
        .args(["generate", "--workflow", "main", "--output", "pruned.yml"])
        .env("CIGEN_SKIP_JOBS_FILE", repo.path().join("skip.txt"))
        .env_remove("CIRCLE_TAG")
        .env_remove("CIRCLE_BRANCH")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_circleci_schema(&[repo.path().join("pruned.yml")]);
    let doc = repo.yaml("pruned.yml");
    assert_references_resolve(&doc);
    (doc, stderr(&output))
}

#[test]
fn skipped_jobs_are_removed_and_dependents_rewired() {
    let repo = seed_removing();
    let (doc, _) = pruned(
        &repo,
        &[
            "test_jest",
            "test_rubocop",
            "test_rspec_amd64",
            "test_rspec_arm64",
        ],
    );
    let names = workflow_job_names(&doc, "main");
    assert!(!names.iter().any(|n| n.starts_with("test_")), "{names:?}");
    assert!(doc["jobs"].get("test_jest").is_none());
    // build jobs required the test stage: now they require its kept ancestors.
    assert_eq!(
        requires(&doc, "main", "build_docs"),
        ["install_gems", "install_node_modules"]
    );
    let image = requires(&doc, "main", "build_app_image_amd64");
    assert_eq!(
        image,
        [
            "install_gems",
            "install_node_modules",
            "approve_build_app_image"
        ]
    );
}

#[test]
fn workspace_producers_of_kept_consumers_are_unskipped() {
    let repo = Repo::seed();
    // rspec attaches the workspace that install_gems persists.
    let (doc, err) = pruned(
        &repo,
        &[
            "install_gems",
            "install_node_modules",
            "test_jest",
            "test_rubocop",
            "test_rspec_arm64",
        ],
    );
    let names = workflow_job_names(&doc, "main");
    assert!(
        names.contains(&"install_gems".to_string())
            && names.contains(&"install_node_modules".to_string())
    );
    assert!(names.contains(&"test_rspec_amd64".to_string()));
    assert_eq!(
        without_config_warnings(&err),
        "kept install_gems: workspace producer for test_rspec_amd64\n\
         kept install_node_modules: workspace producer for test_rspec_amd64\n"
    );
}

#[test]
fn orphaned_approvals_are_dropped_and_everything_skipped_gives_a_summary() {
    let repo = seed_removing();
    let (doc, _) = pruned(&repo, &["build_app_image_amd64", "build_app_image_arm64"]);
    let names = workflow_job_names(&doc, "main");
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("approve_build_app_image")),
        "{names:?}"
    );
    assert!(names.contains(&"approve_deploy_staging".to_string()));
    // The gate went with its job: the manifest does not wait for an approval of skipped builds.
    assert_eq!(
        requires(&doc, "main", "build_app_manifest"),
        [
            "test_jest",
            "test_rspec_amd64",
            "test_rspec_arm64",
            "test_rubocop"
        ]
    );

    let later = [
        "build_app_image_amd64",
        "build_app_image_arm64",
        "build_app_manifest",
        "build_docs",
        "deploy_staging_deploy",
        "deploy_staging_docs_site",
        "deploy_eu_deploy",
        "deploy_us_deploy",
        "post_deploy_cleanup",
        "post_deploy_merge",
        "release_image",
    ];
    let everything = [&SEED_INSTALL_AND_TEST[..], &later].concat();
    let (doc, _) = pruned(&repo, &everything);
    // The required check stays, and requires the summary job: it always has
    // a requirement that runs.
    assert_eq!(
        workflow_job_names(&doc, "main"),
        ["ci_passed", "cigen_all_skipped"]
    );
    assert_eq!(requires(&doc, "main", "ci_passed"), ["cigen_all_skipped"]);
    let command = doc["jobs"]["cigen_all_skipped"]["steps"][0]["run"]["command"]
        .as_str()
        .expect("cmd");
    assert!(
        command.contains("Nothing changed since every job last passed.")
            && command.contains("  build_docs"),
        "{command}"
    );
}

#[test]
fn no_skip_file_renders_main_yml_exactly() {
    let repo = Repo::seed();
    let output = repo
        .cigen()
        .args(["generate", "--workflow", "main"])
        .output()
        .expect("runs");
    assert!(output.status.success());
    assert_eq!(stdout(&output), repo.read(".circleci/main.yml"));
    let output = repo
        .cigen()
        .args(["generate", "--workflow", "package_updates"])
        .output()
        .expect("runs");
    assert_eq!(
        (
            output.status.code(),
            stdout(&output),
            without_config_warnings(&stderr(&output))
        ),
        (
            Some(2),
            String::new(),
            "error: workflow `package_updates` is an immediate workflow in config.yml; --workflow renders the dynamic workflow\n"
                .to_string()
        )
    );
}

#[test]
fn unknown_names_in_the_skip_list_warn() {
    let repo = Repo::seed();
    let (_, err) = pruned(&repo, &["test_jset"]);
    assert_eq!(
        without_config_warnings(&err),
        "warning: skip list names `test_jset`, which is not a job of workflow `main`\n"
    );
}
