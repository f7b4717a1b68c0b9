//! Everyday use: a closed stdout, running in a subdirectory, `config.yaml`,
//! `plan --workflow`, `hash --job`. Each test drives the real binary in a
//! temporary repository and checks exit code, whole messages and files.

use std::process::Command;

use assert_cmd::cargo::cargo_bin;

use crate::common::*;

const JOB: &str = "image: a\nsource_files: [\"src/**\"]\nsteps: [{run: make}]\n";

fn repo() -> Repo {
    minimal(&[
        ("test/unit.yml", JOB),
        ("build.yml", "image: a\nsteps: [{run: make}]\n"),
    ])
    .file(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}]\n",
    )
    .file("src/lib.rs", "fn main() {}\n")
}

/// Runs cigen with `args` writing into a pipe whose reader has already
/// exited (a handshake through a flag file makes the order certain), and
/// returns cigen's exit code and stderr.
fn with_closed_stdout(repo: &Repo, args: &str, rt: &std::path::Path) -> (i32, String) {
    let script = format!(
        "rm -f flag; {{ while [ ! -e flag ]; do sleep 0.01; done; exec \"$CIGEN\" {args}; }} 2>stderr.txt \
         | sh -c 'exec 0<&-; touch flag'; echo \"${{PIPESTATUS[0]}}\""
    );
    let output = Command::new("bash")
        .args(["-c", &script])
        .current_dir(repo.path())
        .env("CIGEN", cargo_bin("cigen"))
        .env("CIGEN_TMP", rt)
        .output()
        .expect("bash runs");
    let code = stdout(&output).trim().parse().expect("exit code");
    (code, repo.read("stderr.txt"))
}

#[test]
fn a_closed_stdout_ends_quietly_in_every_command() {
    let repo = repo();
    repo.commit_all();
    let rt = tempfile::tempdir().expect("tmp");
    let setup = repo
        .cigen()
        .args(["setup"])
        .env("CIGEN_TMP", rt.path())
        .output()
        .expect("runs");
    assert_eq!(setup.status.code(), Some(0), "{}", stderr(&setup));
    for args in [
        "plan",
        "plan --format dot",
        "hash",
        "hash --json",
        "generate --workflow main",
        "validate",
        "setup",
        "continue --dry-run",
        "--help",
        "generate",
    ] {
        let (code, err) = with_closed_stdout(&repo, args, rt.path());
        assert_eq!((code, err.as_str()), (0, ""), "cigen {args}");
    }
    // The work after the lost output still happened.
    assert!(rt.path().join("cigen/continue-request.json").exists());
    assert!(repo.exists(".circleci/main.yml"));
}

fn run(repo: &Repo, dir: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let output = repo
        .cigen()
        .current_dir(repo.path().join(dir))
        .args(args)
        .output()
        .expect("runs");
    (output.status.code(), stdout(&output), stderr(&output))
}

#[test]
fn run_in_a_subdirectory_finds_the_configuration_above() {
    let repo = repo();
    repo.commit_all();
    repo.write("src/deep/er/x.rs", "");
    let (code, out, err) = run(&repo, "src/deep/er", &["generate"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            Some(0),
            "wrote ../../../.circleci/config.yml\nwrote ../../../.circleci/main.yml\n",
            ""
        )
    );
    assert!(repo.exists(".circleci/main.yml"));
    assert!(!repo.exists("src/deep/er/.circleci"));
    // The single-file form is found the same way.
    repo.remove(".cigen");
    repo.write(
        "cigen.yml",
        "workflows:\n  main:\n    jobs:\n      lint: {image: a, steps: [{run: make}]}\n",
    );
    let (code, out, _) = run(&repo, "src", &["validate"]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "configuration is valid: 1 job in 1 workflow\n")
    );
}

#[test]
fn the_search_stops_at_the_repository_root_and_says_where_it_looked() {
    let outer = Repo::new().file(".cigen/config.yml", "provider: circleci\n");
    let inner = outer.path().join("project");
    std::fs::create_dir_all(inner.join(".git")).expect("mkdir");
    std::fs::create_dir_all(inner.join("src")).expect("mkdir");
    let root = std::fs::canonicalize(&inner).expect("canonical");
    let (code, out, err) = run(&outer, "project/src", &["validate"]);
    assert_eq!(
        (code, out.as_str(), err),
        (
            Some(2),
            "",
            format!(
                "error: no configuration found: no `.cigen/` directory or `cigen.yml` in {}/src or its parents up to the repository root {}; pass --config PATH to use another\n",
                root.display(),
                root.display()
            )
        )
    );
    let (_, _, err) = run(&outer, "project", &["validate"]);
    assert_eq!(
        err,
        format!(
            "error: no configuration found: no `.cigen/` directory or `cigen.yml` in {} (the repository root); pass --config PATH to use another\n",
            root.display()
        )
    );
}

#[test]
fn config_yaml_works_like_config_yml() {
    let repo = repo();
    let settings = "setup: {resource_class: large}\n";
    repo.remove(".cigen/config.yml");
    repo.write(".cigen/config.yaml", settings);
    repo.remove(".cigen/workflows/main/config.yml");
    repo.write(
        ".cigen/workflows/main/config.yaml",
        "stages: [{name: test}]\n",
    );
    let (code, _, err) = run(&repo, ".", &["generate"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert!(
        repo.read(".circleci/config.yml")
            .contains("resource_class: large")
    );

    repo.remove(".circleci");
    repo.write(".cigen/config.yml", settings);
    let (code, out, err) = run(&repo, ".", &["generate"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            Some(2),
            "",
            "error: .cigen/config.yaml: `(file)`: both .cigen/config.yml and .cigen/config.yaml exist: keep one of them\n"
        )
    );
    repo.remove(".cigen/config.yml");
    repo.write(
        ".cigen/workflows/main/config.yml",
        "stages: [{name: test}]\n",
    );
    let (code, _, err) = run(&repo, ".", &["generate"]);
    assert_eq!(
        (code, err.as_str()),
        (
            Some(2),
            "error: .cigen/workflows/main/config.yaml: `(file)`: both .cigen/workflows/main/config.yml and .cigen/workflows/main/config.yaml exist: keep one of them\n"
        )
    );
    assert!(!repo.exists(".circleci"));
}

#[test]
fn cigen_yaml_works_like_cigen_yml() {
    let repo = Repo::new().file(
        "cigen.yaml",
        "setup: {resource_class: large}\nworkflows:\n  main:\n    jobs:\n      lint: {image: a, steps: [{run: make}]}\n",
    );
    std::fs::create_dir(repo.path().join("src")).expect("mkdir");
    let (code, _, err) = run(&repo, "src", &["generate"]);
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert!(
        repo.read(".circleci/config.yml")
            .contains("resource_class: large")
    );
    repo.remove(".circleci");
    repo.write("cigen.yml", &repo.read("cigen.yaml"));
    repo.fails_with(
        &["generate"],
        2,
        "error: cigen.yaml: `(file)`: both cigen.yml and cigen.yaml exist: keep one of them\n",
    );
}

#[test]
fn plan_workflow_shows_only_that_workflow_and_unknown_names_list_the_valid_ones() {
    let repo = Repo::seed();
    let (code, out, err) = run(&repo, ".", &["plan", "--workflow", "package_updates"]);
    // The seed's image jobs tag by input hash, not by commit; its one
    // warning is GitHub's: the hand gate next to a trigger has no GitHub form.
    let warnings = "warning: .cigen/workflows/main/jobs/build/app_image.yml:14: `approval: true` next to `requires_any` is left out on GitHub Actions: a job starts only once all it needs finished, so a gate nobody approves would hold every trigger; the job runs when any trigger passes\n";
    assert_eq!((code, err.as_str()), (Some(0), warnings));
    assert!(
        out.starts_with(
            "workflow package_updates (config.yml, when `check_package_versions` is true)\n"
        ),
        "{out}"
    );
    assert!(!out.contains("workflow main"), "{out}");
    let unknown = "error: unknown workflow `mian`: expected one of `main`, `package_updates`, `staging_postman_tests`\n  hint: did you mean `main`?\n";
    for args in [
        &["plan", "--workflow", "mian"][..],
        &["plan", "--format", "dot", "--workflow", "mian"],
        &["generate", "--workflow", "mian"],
    ] {
        let (code, out, err) = run(&repo, ".", args);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (Some(2), "", format!("{warnings}{unknown}").as_str()),
            "{args:?}"
        );
    }
}

/// `(id, hash)` pairs of `cigen hash` text output.
fn hash_lines(out: &str) -> Vec<(String, String)> {
    out.lines()
        .map(|line| {
            let (id, hash) = line.split_once(' ').expect("id and hash");
            (id.to_string(), hash.trim_start().to_string())
        })
        .collect()
}

#[test]
fn hash_job_repeated_prints_exactly_the_jobs_given() {
    let repo = repo()
        .file(".cigen/workflows/main/jobs/test/lint.yml", JOB)
        .file(
            ".cigen/workflows/main/jobs/test/e2e.yml",
            "image: b\nsource_files: [\"src/**\"]\nsteps: [{run: make e2e}]\n",
        );
    repo.commit_all();
    let (code, all, _) = run(&repo, ".", &["hash"]);
    assert_eq!(code, Some(0));
    let all = hash_lines(&all);
    let ids: Vec<&str> = all.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["test_e2e", "test_lint", "test_unit"]);
    let two = ["--job", "test_unit", "--job", "test_lint"];
    let (code, out, err) = run(&repo, ".", &[&["hash"][..], &two].concat());
    assert_eq!((code, err.as_str()), (Some(0), ""));
    assert_eq!(hash_lines(&out), all[1..]);
    let (code, out, err) = run(&repo, ".", &[&["hash", "--json"][..], &two].concat());
    assert_eq!((code, err.as_str()), (Some(0), ""));
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let expected: serde_json::Map<String, serde_json::Value> = all[1..]
        .iter()
        .map(|(id, hash)| (id.clone(), hash.as_str().into()))
        .collect();
    assert_eq!(json, serde_json::Value::Object(expected));
    // One missing job among several is still an error.
    repo.fails_with(
        &["hash", "--job", "test_unit", "--job", "nothing"],
        2,
        "error: no job or variant `nothing` in workflow `main` (hashed: `test_e2e`, `test_lint`, `test_unit`)\n",
    );
}

#[test]
fn hash_job_explains_an_unhashed_one_and_suggests_a_misspelled_one() {
    let repo = repo();
    repo.commit_all();
    repo.fails_with(
        &["hash", "--job", "test_unit", "--job", "build"],
        2,
        "error: job `build` has no `source_files`, so it has no hash (hashed: `test_unit`)\n",
    );
    repo.fails_with(
        &["hash", "--job", "test_unti"],
        2,
        "error: no job or variant `test_unti` in workflow `main` (hashed: `test_unit`)\n  hint: did you mean `test_unit`?\n",
    );
}

#[test]
fn source_files_in_an_immediate_workflow_warn_and_plan_shows_the_job_unhashed() {
    // An immediate workflow runs from config.yml as it is: nothing there is
    // probed or recorded, so its `source_files` would only mislead.
    let repo = Repo::new().file("src/a.txt", "a\n").file(
        "cigen.yml",
        r#"parameters:
  nightly: {type: boolean, default: false}
workflows:
  main:
    jobs:
      test: {image: cimg/base:current, source_files: ["src/**"], steps: [{run: make test}]}
  nightly:
    trigger: {parameter: nightly}
    jobs:
      sweep: {image: cimg/base:current, source_files: ["src/**"], steps: [{run: make sweep}]}
"#,
    );
    repo.commit_all();
    let (code, out, err) = run(&repo, ".", &["plan"]);
    assert_eq!(
        (code, err.as_str()),
        (
            Some(0),
            "warning: cigen.yml:10: `source_files` in immediate workflow `nightly` has no effect: cigen skips jobs only in the dynamic workflow, and every job of an immediate workflow runs\n"
        )
    );
    assert_eq!(
        out,
        "workflow main (main.yml, continued by the setup job)\n  JOB   STAGE  ARCH   HASHED  REQUIRES\n  test  -      amd64  yes     -\n\n\
         workflow nightly (config.yml, when `nightly` is true)\n  JOB    STAGE  ARCH   HASHED  REQUIRES\n  sweep  -      amd64  no      -\n\n"
    );
}
