//! The GitHub dynamic workflow's graph as written: `cigen_setup`, each
//! job's `needs` and `if:`, hash variables, record steps and jobs,
//! approvals, `requires_any`, the required check and immediate workflows —
//! accepted by actionlint and GitHub's workflow schema.

use crate::common::*;
use serde_yaml::Value;

const IMAGE: &str = "image: cimg/base:2024.01\n";

fn project(config: &str, jobs: &[(&str, &str)]) -> Repo {
    let mut repo = Repo::new()
        .file(".cigen/config.yml", &format!("provider: github\n{config}"))
        .file("src/a.txt", "a\n");
    for (path, body) in jobs {
        repo = repo.file(
            &format!(".cigen/workflows/{path}.yml"),
            &format!("{IMAGE}{body}"),
        );
    }
    repo
}

/// Generates, validates every workflow file, returns (stderr, main.yml).
pub(crate) fn generate(repo: &Repo) -> (String, Value) {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let dir = repo.path().join(".github/workflows");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    assert_github_workflows(&files);
    (stderr(&output), repo.yaml(".github/workflows/main.yml"))
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("expected YAML parses")
}

pub(crate) fn condition(doc: &Value, job: &str) -> String {
    doc["jobs"][job]["if"].as_str().expect("if").to_string()
}

#[test]
fn cigen_setup_hashes_with_the_pipeline_values_and_hands_out_every_hashed_variants_outputs() {
    let repo = project(
        "parameters:\n  region: {type: string, default: eu}\n  fast: {type: boolean, default: false}\n  tier: {type: enum, enum: [a, b], default: a}\n",
        &[
            (
                "main/jobs/build",
                "source_files: [src/**]\nenvironment: {REGION: << pipeline.parameters.region >>, BRANCH: << pipeline.git.branch >>}\nsteps: [{run: make}]\n",
            ),
            ("main/jobs/lint", "steps: [{run: make lint}]\n"),
        ],
    );
    let (_, doc) = generate(&repo);
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        doc["jobs"]["cigen_setup"],
        yaml(&format!(
            r#"
runs-on: ubuntu-24.04
permissions: {{actions: read, contents: read}}
outputs:
  run_build: ${{{{ steps.continue.outputs.run_build }}}}
  hash_build: ${{{{ steps.continue.outputs.hash_build }}}}
steps:
  - uses: actions/checkout@v4
  - uses: DocSpring/cigen@v{version}
  - name: cigen setup
    run: cigen setup --provider github --self-check
    env:
      CIGEN_PARAM_region: ${{{{ github.event_name != 'workflow_dispatch' && 'eu' || inputs.region }}}}
      CIGEN_PIPELINE_git_branch: ${{{{ github.head_ref || github.ref_name }}}}
  - name: cigen continue
    id: continue
    run: cigen continue --provider github
    env:
      GITHUB_TOKEN: ${{{{ github.token }}}}
      CIGEN_SKIP_CACHE: ${{{{ inputs.cigen_skip_cache || false }}}}
"#
        ))
    );
    assert_eq!(
        doc["on"],
        yaml(
            r#"
push: {branches: ["**"]}
pull_request: {}
workflow_dispatch:
  inputs:
    region: {description: pipeline parameter `region`, type: string, default: eu}
    fast: {description: pipeline parameter `fast`, type: boolean, default: false}
    tier: {description: pipeline parameter `tier`, type: choice, options: [a, b], default: a}
    cigen_skip_cache: {description: "Run every job, even those whose inputs already passed.", type: boolean, default: false}
"#
        )
    );
    // An unhashed job has no own gate and no hash.
    assert_eq!(
        condition(&doc, "lint"),
        "${{ !cancelled() && needs.cigen_setup.result == 'success' }}"
    );
    assert!(doc["jobs"]["lint"]["env"].is_null());
}

#[test]
fn a_job_checks_its_requirements_through_every_hashed_one_cigen_may_skip() {
    let repo = project(
        "",
        &[
            ("main/jobs/base", "steps: [{run: make base}]\n"),
            (
                "main/jobs/build",
                "source_files: [src/**]\nrequires: [base]\nsteps: [{run: make}]\n",
            ),
            (
                "main/jobs/image",
                "source_files: [src/**]\nrequires: [build]\nsteps: [{run: make image}]\n",
            ),
            (
                "main/jobs/deploy",
                "requires: [image]\nsteps: [{run: make deploy}]\n",
            ),
        ],
    );
    let (_, doc) = generate(&repo);
    let ok = |id: &str| {
        format!(
            "(needs.{id}.result == 'success' || (needs.{id}.result == 'skipped' && needs.cigen_setup.outputs.run_{id} == 'false'))"
        )
    };
    assert_eq!(
        doc["jobs"]["deploy"]["needs"],
        yaml("[cigen_setup, image, build, base]")
    );
    assert_eq!(
        condition(&doc, "deploy"),
        format!(
            "${{{{ !cancelled() && needs.cigen_setup.result == 'success' && {} && {} && needs.base.result == 'success' }}}}",
            ok("image"),
            ok("build")
        )
    );
    assert_eq!(
        condition(&doc, "image"),
        format!(
            "${{{{ !cancelled() && needs.cigen_setup.result == 'success' && needs.cigen_setup.outputs.run_image != 'false' && {} && needs.base.result == 'success' }}}}",
            ok("build")
        )
    );
    assert_eq!(
        doc["jobs"]["image"]["env"],
        yaml(
            "CIGEN_JOB_HASH: ${{ needs.cigen_setup.outputs.hash_image }}\nCIGEN_HASH_build: ${{ needs.cigen_setup.outputs.hash_build }}\n"
        )
    );
    let steps = doc["jobs"]["image"]["steps"].as_sequence().expect("steps");
    assert_eq!(
        Value::Sequence(steps[steps.len() - 2..].to_vec()),
        yaml(
            r#"
- name: cigen record
  if: needs.cigen_setup.outputs.hash_image != ''
  env: {CIGEN_MARKER_DIR: "${{ runner.temp }}/cigen-marker"}
  run: |
    mkdir -p "$CIGEN_MARKER_DIR"
    printf '%s\n' "$CIGEN_JOB_HASH" > "$CIGEN_MARKER_DIR/image"
- name: cigen save marker
  if: needs.cigen_setup.outputs.hash_image != ''
  uses: actions/cache/save@v4
  with:
    path: ${{ runner.temp }}/cigen-marker
    key: cigen-job-image-${{ needs.cigen_setup.outputs.hash_image }}
"#
        )
    );
}

#[test]
fn a_parallel_hashed_job_records_in_its_own_job_after_every_node_passed() {
    let repo = project(
        "",
        &[(
            "main/jobs/test",
            "source_files: [src/**]\nparallelism: 3\nsteps: [{run: make test}]\n",
        )],
    );
    let (_, doc) = generate(&repo);
    let steps = doc["jobs"]["test"]["steps"].as_sequence().expect("steps");
    assert!(
        steps.iter().all(|s| s["name"] != "cigen record"),
        "the parallel job itself records nothing"
    );
    let record = &doc["jobs"]["test_record"];
    assert_eq!(record["needs"], yaml("[cigen_setup, test]"));
    assert_eq!(
        record["if"],
        Value::from(
            "${{ !cancelled() && needs.cigen_setup.result == 'success' && needs.test.result == 'success' }}"
        )
    );
    assert_eq!(record["runs-on"], Value::from("ubuntu-24.04"));
    assert_eq!(
        record["env"],
        yaml("CIGEN_JOB_HASH: ${{ needs.cigen_setup.outputs.hash_test }}")
    );
    assert_eq!(record["steps"].as_sequence().expect("steps").len(), 2);
}

#[test]
fn cleanup_jobs_run_always_after_the_statuses_they_list() {
    let repo = project(
        "",
        &[
            (
                "main/jobs/deploy",
                "source_files: [src/**]\nsteps: [{run: make deploy}]\n",
            ),
            (
                "main/jobs/cleanup",
                "requires: [{deploy: [success, failed, canceled]}]\nsteps: [{run: make clean}]\n",
            ),
            (
                "main/jobs/report",
                "requires: [{deploy: [failed]}]\nsteps: [{run: make report}]\n",
            ),
        ],
    );
    let (_, doc) = generate(&repo);
    assert_eq!(
        condition(&doc, "cleanup"),
        "always() && needs.cigen_setup.result == 'success' && (needs.deploy.result == 'success' || needs.deploy.result == 'failure' || needs.deploy.result == 'cancelled' || (needs.deploy.result == 'skipped' && needs.cigen_setup.outputs.run_deploy == 'false'))"
    );
    assert_eq!(
        condition(&doc, "report"),
        "always() && needs.cigen_setup.result == 'success' && needs.deploy.result == 'failure'"
    );
}

#[test]
fn approvals_are_jobs_with_an_environment_and_requires_any_is_an_or_of_triggers() {
    let repo = project(
        "",
        &[
            (
                "main/config",
                "stages:\n  - name: deploy\n    approval: true\n",
            ),
            ("main/jobs/build", "steps: [{run: make}]\n"),
            ("main/jobs/lint", "steps: [{run: make lint}]\n"),
            (
                "main/jobs/docs",
                "requires_any: [build, lint]\nsteps: [{run: make docs}]\n",
            ),
            (
                "main/jobs/release",
                "approval: true\nrequires: [build]\nsteps: [{run: make release}]\n",
            ),
            ("main/jobs/deploy/ship", "steps: [{run: make ship}]\n"),
        ],
    );
    let repo = repo.file(
        ".cigen/workflows/main/config.yml",
        "stages:\n  - name: deploy\n    approval: true\n",
    );
    let (_, doc) = generate(&repo);
    assert_eq!(
        doc["jobs"]["approve_deploy"],
        yaml(
            r#"
needs: [cigen_setup]
if: ${{ !cancelled() && needs.cigen_setup.result == 'success' }}
runs-on: ubuntu-24.04
environment: approve_deploy
steps:
  - name: approved
    run: echo "approve_deploy approved"
"#
        )
    );
    assert_eq!(
        doc["jobs"]["deploy_ship"]["needs"],
        yaml("[cigen_setup, approve_deploy]")
    );
    assert_eq!(
        doc["jobs"]["approve_release"]["environment"],
        Value::from("approve_release")
    );
    assert_eq!(
        condition(&doc, "release"),
        "${{ !cancelled() && needs.cigen_setup.result == 'success' && needs.build.result == 'success' && needs.approve_release.result == 'success' }}"
    );
    assert!(
        doc["jobs"]["approve_docs"].is_null(),
        "a gate met by triggers is no job"
    );
    assert!(
        doc["jobs"]["approve_docs_after_build"].is_null(),
        "no shims on GitHub"
    );
    assert_eq!(
        doc["jobs"]["docs"]["needs"],
        yaml("[cigen_setup, build, lint]")
    );
    assert_eq!(
        condition(&doc, "docs"),
        "${{ !cancelled() && needs.cigen_setup.result == 'success' && (needs.build.result == 'success' || needs.lint.result == 'success') }}"
    );
}

#[test]
fn a_hand_gate_next_to_triggers_is_left_out_on_github_with_a_warning() {
    let repo = project(
        "",
        &[
            ("main/jobs/build", "steps: [{run: make}]\n"),
            ("main/jobs/lint", "steps: [{run: make lint}]\n"),
            (
                "main/jobs/docs",
                "approval: true\nrequires_any: [build, lint]\nsteps: [{run: make docs}]\n",
            ),
        ],
    );
    let (stderr, doc) = generate(&repo);
    assert!(doc["jobs"]["approve_docs"].is_null());
    assert_eq!(
        doc["jobs"]["docs"]["needs"],
        yaml("[cigen_setup, build, lint]")
    );
    // GitHub has no shim jobs: no word of `setup.approve_context` here.
    assert_eq!(
        stderr,
        "warning: .cigen/workflows/main/jobs/docs.yml:3: `approval: true` next to `requires_any` is left out on GitHub Actions: a job starts only once all it needs finished, so a gate nobody approves would hold every trigger; the job runs when any trigger passes\n"
    );
}

#[test]
fn the_required_check_fails_on_any_failure_or_a_skip_cigen_did_not_order() {
    let repo = project(
        "setup:\n  required_check: ci_passed\n",
        &[
            (
                "main/jobs/build",
                "source_files: [src/**]\nsteps: [{run: make}]\n",
            ),
            ("main/jobs/lint", "steps: [{run: make lint}]\n"),
            (
                "main/jobs/ship",
                "approval: true\nrequires: [build]\nsteps: [{run: make ship}]\n",
            ),
        ],
    );
    let (_, doc) = generate(&repo);
    let check = &doc["jobs"]["ci_passed"];
    assert_eq!(check["needs"], yaml("[cigen_setup, build, lint]"));
    assert_eq!(check["if"], Value::from("always()"));
    let step = &check["steps"][0];
    assert!(step["if"].is_null());
    assert_eq!(step["env"], yaml("CIGEN_NEEDS: ${{ toJSON(needs) }}"));
    let script = step["run"].as_str().expect("script");
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("check.sh");
    std::fs::write(&path, script).expect("write");
    let output = std::process::Command::new("shellcheck")
        .args(["-s", "bash"])
        .arg(&path)
        .output()
        .expect("shellcheck must be installed");
    assert!(output.status.success(), "{}", stdout(&output));
    let run = |needs: &str| {
        std::process::Command::new("bash")
            .args(["-eo", "pipefail", "-c", script])
            .env("CIGEN_NEEDS", needs)
            .output()
            .expect("bash")
    };
    let setup = r#""cigen_setup": {"result": "success", "outputs": {"run_build": "false", "hash_build": "x"}}"#;
    let passes = run(&format!(
        r#"{{{setup}, "build": {{"result": "skipped", "outputs": {{}}}}, "lint": {{"result": "success", "outputs": {{}}}}}}"#
    ));
    assert!(passes.status.success(), "{}", stdout(&passes));
    assert_eq!(
        (stdout(&passes), stderr(&passes)),
        (
            "Every required job passed or was skipped by cigen.\n".into(),
            String::new()
        )
    );
    for lint in ["skipped", "failure", "cancelled"] {
        let fails = run(&format!(
            r#"{{{setup}, "build": {{"result": "success", "outputs": {{}}}}, "lint": {{"result": "{lint}", "outputs": {{}}}}}}"#
        ));
        assert!(!fails.status.success());
        assert_eq!(
            (stdout(&fails), stderr(&fails)),
            (format!("Not passed:\nlint: {lint}\n"), String::new())
        );
    }
    let lost = run(
        r#"{"cigen_setup": {"result": "success", "outputs": {}}, "build": {"result": "skipped", "outputs": {}}}"#,
    );
    assert!(
        !lost.status.success(),
        "a skip without run_build == 'false' fails"
    );
    assert_eq!(
        (stdout(&lost), stderr(&lost)),
        ("Not passed:\nbuild: skipped\n".into(), String::new())
    );
}

#[test]
fn an_immediate_workflow_gets_its_own_file_started_by_its_input() {
    let repo = project(
        "parameters:\n  nightly: {type: boolean, default: false}\n",
        &[
            ("main/jobs/build", "steps: [{run: make}]\n"),
            ("nightly/jobs/scan", "steps: [{run: make scan}]\n"),
            (
                "nightly/jobs/report",
                "requires: [scan]\nsteps: [{run: make report}]\n",
            ),
        ],
    )
    .file(
        ".cigen/workflows/nightly/config.yml",
        "trigger: {parameter: nightly}\n",
    );
    generate(&repo);
    let doc = repo.yaml(".github/workflows/nightly.yml");
    assert_eq!(
        doc["on"],
        yaml(
            "workflow_dispatch:\n  inputs:\n    nightly: {description: pipeline parameter `nightly`, type: boolean, default: false}\n"
        )
    );
    assert!(doc["jobs"]["cigen_setup"].is_null());
    assert!(doc["jobs"]["scan"]["needs"].is_null());
    assert_eq!(
        condition(&doc, "scan"),
        "${{ !cancelled() && (inputs.nightly || github.event_name != 'workflow_dispatch') }}"
    );
    assert_eq!(doc["jobs"]["report"]["needs"], yaml("[scan]"));
    assert_eq!(
        condition(&doc, "report"),
        "${{ !cancelled() && (inputs.nightly || github.event_name != 'workflow_dispatch') && needs.scan.result == 'success' }}"
    );
}

#[test]
fn github_on_replaces_the_default_events_and_full_run_on_skips_nothing_on_its_events() {
    let repo = project(
        "parameters:\n  nightly: {type: boolean, default: false}\n",
        &[
            ("main/jobs/build", "source_files: [src/**]\nsteps: [{run: make}]\n"),
            ("nightly/jobs/scan", "steps: [{run: make scan}]\n"),
        ],
    )
    .file(
        ".cigen/workflows/main/config.yml",
        "github:\n  on:\n    push: {branches: [main]}\n    schedule: [{cron: '0 3 * * *'}]\n  full_run_on: [schedule, merge_group]\n",
    )
    .file(
        ".cigen/workflows/nightly/config.yml",
        "trigger: {parameter: nightly}\ngithub:\n  on:\n    schedule: [{cron: '0 4 * * *'}]\n",
    );
    let (_, doc) = generate(&repo);
    assert_eq!(doc["on"]["push"], yaml("{branches: [main]}"));
    assert!(
        doc["on"]["pull_request"].is_null(),
        "github.on replaces the defaults"
    );
    assert_eq!(doc["on"]["schedule"], yaml("[{cron: '0 3 * * *'}]"));
    assert!(doc["on"]["workflow_dispatch"]["inputs"]["cigen_skip_cache"].is_mapping());
    assert_eq!(
        doc["jobs"]["cigen_setup"]["steps"][3]["env"]["CIGEN_SKIP_CACHE"],
        Value::from(
            "${{ inputs.cigen_skip_cache || github.event_name == 'schedule' || github.event_name == 'merge_group' }}"
        )
    );
    let nightly = repo.yaml(".github/workflows/nightly.yml");
    assert_eq!(
        nightly["on"],
        yaml(
            "schedule: [{cron: '0 4 * * *'}]\nworkflow_dispatch:\n  inputs:\n    nightly: {description: pipeline parameter `nightly`, type: boolean, default: false}\n"
        )
    );
}
