//! How one cigen job becomes the body of a GitHub Actions job: runner from
//! the architecture, the executor as `container:`/`services:` (or the
//! runner itself), `env`, `defaults.run`, the `parallelism` matrix, the
//! steps (or `github.steps`), the `github:` map merged last; the errors
//! for what GitHub cannot express; the context note; and the GitHub
//! self-check of `cigen setup`. The per-run wiring (`needs`, `if`) is the
//! workflow's and is left out of the comparisons.

use serde_yaml::Value;

use crate::common::*;

fn repo(config: &str, jobs: &[(&str, &str)]) -> Repo {
    let mut repo = Repo::new().file(".cigen/config.yml", config);
    for (name, body) in jobs {
        repo = repo.file(&format!(".cigen/workflows/main/jobs/{name}.yml"), body);
    }
    repo
}

/// Generates, checks the workflow with actionlint and the schema, and
/// returns job `id`'s body without the workflow's per-run wiring.
fn body(repo: &Repo, id: &str) -> Value {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let path = repo.path().join(".github/workflows/main.yml");
    assert_github_workflows(std::slice::from_ref(&path));
    let doc = repo.yaml(".github/workflows/main.yml");
    let mut job = doc["jobs"][id].clone();
    let map = job.as_mapping_mut().expect("job is a map");
    map.remove("needs");
    map.remove("if");
    job
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("yaml")
}

#[test]
fn a_container_job_with_services_matrix_and_arches() {
    let repo = repo(
        "provider: github\narchitectures:\n  amd64: {}\n  arm64: {}\n",
        &[(
            "test",
            "image: cimg/ruby:3.3\n\
             services:\n  - {image: cimg/postgres:16.2, environment: {POSTGRES_USER: app}}\n  - {image: redis:7, name: cache}\n\
             environment: {RAILS_ENV: test}\n\
             architectures: [amd64, arm64]\n\
             parallelism: 3\n\
             working_directory: /app\n\
             steps: [{run: bundle exec rspec}]\n",
        )],
    );
    let expected = |arch: &str, runner: &str| {
        yaml(&format!(
            "runs-on: {runner}\n\
             container: {{image: cimg/ruby:3.3}}\n\
             services:\n  postgres: {{image: cimg/postgres:16.2, env: {{POSTGRES_USER: app}}}}\n  cache: {{image: redis:7}}\n\
             defaults: {{run: {{working-directory: /app}}}}\n\
             strategy: {{fail-fast: false, matrix: {{cigen_node: [0, 1, 2]}}}}\n\
             env: {{DOCKER_ARCH: {arch}, RAILS_ENV: test, CIRCLE_NODE_INDEX: '${{{{ matrix.cigen_node }}}}', CIRCLE_NODE_TOTAL: '3'}}\n\
             steps: [{{uses: actions/checkout@v4}}, {{run: bundle exec rspec}}]\n"
        ))
    };
    assert_eq!(body(&repo, "test_amd64"), expected("amd64", "ubuntu-24.04"));
    assert_eq!(
        body(&repo, "test_arm64"),
        expected("arm64", "ubuntu-24.04-arm")
    );
}

#[test]
fn registry_auth_becomes_credentials_from_secrets() {
    let repo = repo(
        "provider: github\n",
        &[(
            "build",
            "docker:\n  - image: ghcr.io/acme/app:1\n    user: app\n    auth: {username: bot, password: $GHCR_TOKEN}\n\
             steps: [{run: make}]\n",
        )],
    );
    assert_eq!(
        body(&repo, "build"),
        yaml(
            "runs-on: ubuntu-24.04\n\
             container:\n  image: ghcr.io/acme/app:1\n  options: --user app\n  credentials: {username: bot, password: '${{ secrets.GHCR_TOKEN }}'}\n\
             steps: [{uses: actions/checkout@v4}, {run: make}]\n"
        )
    );
}

#[test]
fn the_github_map_is_merged_last() {
    let repo = repo(
        "provider: github\n",
        &[(
            "build",
            "image: cimg/base:2024.01\nenvironment: {A: '1'}\nparallelism: 2\nsteps: [{run: make}]\n\
             github:\n  env: {B: x, A: '2'}\n  strategy: {max-parallel: 1}\n  timeout-minutes: 30\n  runs-on: [self-hosted, linux]\n  container: {image: 'node:20'}\n",
        )],
    );
    assert_eq!(
        body(&repo, "build"),
        yaml(
            "runs-on: [self-hosted, linux]\n\
             container: {image: 'node:20'}\n\
             strategy: {fail-fast: false, matrix: {cigen_node: [0, 1]}, max-parallel: 1}\n\
             env: {A: '2', CIRCLE_NODE_INDEX: '${{ matrix.cigen_node }}', CIRCLE_NODE_TOTAL: '2', B: x}\n\
             steps: [{uses: actions/checkout@v4}, {run: make}]\n\
             timeout-minutes: 30\n"
        )
    );
}

#[test]
fn a_machine_job_runs_on_the_runner_and_a_custom_arch_on_its_labels() {
    let repo = repo(
        "provider: github\narchitectures:\n  amd64: {}\n  gpu: {runs_on: [self-hosted, linux, x64]}\n",
        &[(
            "train",
            "machine: {image: 'ubuntu-2204:current'}\narchitectures: [gpu]\ncheckout: false\nsteps: [{run: ./train}]\n",
        )],
    );
    assert_eq!(
        body(&repo, "train"),
        yaml(
            "runs-on: [self-hosted, linux, x64]\nenv: {DOCKER_ARCH: gpu}\nsteps: [{run: ./train}]\n"
        )
    );
}

/// `github.steps` replaces the translation: a step GitHub has no
/// translation for is then no error.
#[test]
fn github_steps_replace_the_translated_steps() {
    let repo = repo(
        "provider: github\n",
        &[(
            "deploy",
            "image: cimg/base:2024.01\nsteps: [add_ssh_keys, {run: ./deploy}]\n\
             github: {steps: [{uses: actions/checkout@v4}, {run: ./deploy --github}]}\n",
        )],
    );
    assert_eq!(
        body(&repo, "deploy"),
        yaml(
            "runs-on: ubuntu-24.04\ncontainer: {image: cimg/base:2024.01}\n\
             steps: [{uses: actions/checkout@v4}, {run: ./deploy --github}]\n"
        )
    );
}

#[test]
fn a_context_gives_one_note_per_job() {
    let repo = repo(
        "provider: github\narchitectures:\n  amd64: {}\n  arm64: {}\n",
        &[
            (
                "deploy",
                "image: x\narchitectures: [amd64, arm64]\ncontext: [aws, npm]\nsteps: [{run: ./deploy}]\n",
            ),
            (
                "publish",
                "image: x\ncontext: npm\ngithub: {environment: release}\nsteps: [{run: ./publish}]\n",
            ),
        ],
    );
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "note: .cigen/workflows/main/jobs/deploy.yml:3: job `deploy` uses context `aws`, `npm`, which GitHub Actions does not have: put its secrets in a GitHub environment and name it in `github: {environment: NAME}`\n"
    );
    let circleci_only = Repo::new()
        .file(".cigen/config.yml", "provider: circleci\n")
        .file(
            ".cigen/workflows/main/jobs/deploy.yml",
            "image: x\ncontext: aws\nsteps: [{run: ./deploy}]\n",
        );
    let output = circleci_only
        .cigen()
        .arg("generate")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
}

fn fails(config: &str, job: &str, expected: &str) {
    repo(config, &[("build", job)]).fails_with(&["generate"], 2, expected);
}

#[test]
fn github_map_errors_name_file_line_and_key() {
    fails(
        "provider: github\n",
        "image: x\nsteps: [{run: make}]\ngithub:\n  timeout-minute: 5\n",
        "error: .cigen/workflows/main/jobs/build.yml:4: `github.timeout-minute`: unknown GitHub job key `timeout-minute`: expected one of concurrency, container, continue-on-error, defaults, env, environment, outputs, permissions, runs-on, services, steps, strategy, timeout-minutes\n  hint: did you mean `timeout-minutes`?\n",
    );
    fails(
        "provider: github\n",
        "image: x\nsteps: [{run: make}]\ngithub:\n  needs: [lint]\n",
        "error: .cigen/workflows/main/jobs/build.yml:4: `github.needs`: `needs` is cigen's to write: cigen writes it from `requires` and the skip\n",
    );
    fails(
        "provider: github\n",
        "image: x\nsteps: [{run: make}]\ngithub: {name: Build}\n",
        "error: .cigen/workflows/main/jobs/build.yml:3: `github.name`: `name` is cigen's to write: the GitHub job's name is its cigen id\n",
    );
    fails(
        "provider: github\n",
        "image: x\nsteps: [{run: make}]\ngithub:\n  env: [A=1]\n",
        "error: .cigen/workflows/main/jobs/build.yml:4: `github.env`: `env` is a map (cigen merges its own entries into it)\n",
    );
}

/// False skips if accepted: a hashed job that records each matrix leg, or
/// a failure it continued past, or that reads a value its hash cannot see.
#[test]
fn false_skip_github_keys_a_hashed_job_cannot_have() {
    const HASHED: &str = "image: x\nsource_files: [src/**]\nsteps: [{run: make}]\n";
    const HINT: &str = "  hint: use `parallelism: N` (cigen records once every node passed), or make the job unhashed (no `source_files`)\n";
    fails(
        "provider: github\n",
        &format!("{HASHED}github:\n  strategy: {{matrix: {{ruby: ['3.2', '3.3']}}}}\n"),
        &format!(
            "error: .cigen/workflows/main/jobs/build.yml:5: `github.strategy`: a hashed job cannot have a GitHub matrix of its own: each leg would record the job's success alone\n{HINT}"
        ),
    );
    fails(
        "provider: github\n",
        &format!("{HASHED}github: {{continue-on-error: true}}\n"),
        &format!(
            "error: .cigen/workflows/main/jobs/build.yml:4: `github.continue-on-error`: a hashed job cannot continue on error: a failed job would report success and be recorded as passed\n{HINT}"
        ),
    );
    const VALUE_HINT: &str = "  hint: set it in the job's `environment` as `<< pipeline.parameters.P >>` (translated for GitHub, and covered by the hash) and read the variable\n";
    fails(
        "provider: github\nparameters:\n  target: {type: string, default: staging}\n",
        &format!(
            "{HASHED}github:\n  steps:\n    - run: ./deploy \"$T\"\n      env: {{T: '${{{{ inputs.target }}}}'}}\n"
        ),
        &format!(
            "error: .cigen/workflows/main/jobs/build.yml:5: `github.steps`: a dispatch input read here is a value the job's hash cannot see, so a run with another value could skip the job\n{VALUE_HINT}"
        ),
    );
    fails(
        "provider: github\nparameters:\n  target: {type: string, default: staging}\n",
        "image: x\nsteps: [{run: make}]\ngithub:\n  steps: [{run: './deploy << pipeline.parameters.target >>'}]\n",
        &format!(
            "error: .cigen/workflows/main/jobs/build.yml:4: `github.steps`: `<< pipeline.… >>` is CircleCI's templating: GitHub would see the text\n{VALUE_HINT}"
        ),
    );
    // An unhashed job may read an input: it always runs.
    let repo = Repo::new()
        .file(".cigen/config.yml", "provider: github\nparameters:\n  target: {type: string, default: staging}\n")
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: x\nenvironment: {TARGET: << pipeline.parameters.target >>}\nsteps: [{run: make}]\ngithub:\n  env: {T: '${{ inputs.target }}'}\n",
        );
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let doc = repo.yaml(".github/workflows/main.yml");
    // The job's environment gets the GitHub expression, never the CircleCI text.
    assert_eq!(
        doc["jobs"]["build"]["env"]["TARGET"],
        Value::from(
            "${{ github.event_name != 'workflow_dispatch' && 'staging' || inputs.target }}"
        )
    );
}

#[test]
fn more_pipeline_parameters_than_github_inputs_is_an_error() {
    let params = |n: usize| -> String {
        (0..n)
            .map(|i| format!("  p{i}: {{type: boolean, default: false}}\n"))
            .collect()
    };
    // 24 of the user's and cigen_skip_cache: GitHub's 25.
    let ok = Repo::new()
        .file(
            ".cigen/config.yml",
            &format!("provider: github\nparameters:\n{}", params(24)),
        )
        .file(
            ".cigen/workflows/main/jobs/build.yml",
            "image: x\nsteps: [{run: make}]\n",
        );
    let output = ok.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
    fails(
        &format!("provider: github\nparameters:\n{}", params(25)),
        "image: x\nsteps: [{run: make}]\n",
        "error: .cigen/config.yml:2: `parameters`: GitHub takes at most 25 `workflow_dispatch` inputs and cigen makes one of each of the 26 pipeline parameters (with `cigen_skip_cache`)\n  hint: declare fewer parameters\n",
    );
}

#[test]
fn job_ids_differing_only_in_case_are_an_error() {
    Repo::new()
        .file(".cigen/config.yml", "provider: github\n")
        .file(".cigen/workflows/main/jobs/Lint.yml", "image: x\nsteps: [{run: make}]\n")
        .file(".cigen/workflows/main/jobs/lint.yml", "image: x\nsteps: [{run: make}]\n")
        .fails_with(
            &["generate"],
            2,
            "error: .cigen/workflows/main/jobs/lint.yml: `(job name)`: job ids `Lint` and `lint` differ only in case, which GitHub Actions reads as the same job\n  hint: rename one of the jobs\n",
        );
}

#[test]
fn runner_settings_are_required_per_provider() {
    fails(
        "provider: github\narchitectures:\n  amd64: {}\n  riscv: {resource_class: x}\n",
        "image: x\nsteps: [{run: make}]\n",
        "error: .cigen/config.yml:4: `architectures.riscv`: architecture `riscv` has no `runs_on`: GitHub needs the runner label(s) of each architecture (cigen knows only amd64's and arm64's)\n  hint: add `runs_on: <label>` under `architectures.riscv`\n",
    );
    fails(
        "providers: [circleci, github]\narchitectures:\n  amd64: {runs_on: ubuntu-24.04}\n",
        "image: x\nsteps: [{run: make}]\n",
        "error: .cigen/config.yml:3: `architectures.amd64`: architecture `amd64` has no `resource_class`: CircleCI needs one for each architecture\n",
    );
}

#[test]
fn what_github_cannot_express_is_an_error_with_a_hint() {
    fails(
        "provider: github\nparameters:\n  n: {type: integer, default: 2}\n",
        "image: x\nparallelism: << pipeline.parameters.n >>\nsteps: [{run: make}]\n",
        "error: .cigen/workflows/main/jobs/build.yml:2: `parallelism`: GitHub Actions needs a number here: the matrix of a parallel job is fixed when the workflow is written\n  hint: write the number (or give the job `github: {strategy: …}`)\n",
    );
    fails(
        "provider: github\n",
        "docker:\n  - image: x\n    auth: {username: bot, password: hunter2}\nsteps: [{run: make}]\n",
        "error: .cigen/workflows/main/jobs/build.yml:1: `docker[0].auth.password`: GitHub reads a registry password from a secret: expected `$NAME` (the secret's name), not a literal value\n  hint: store it as a repository secret and write `$NAME` here\n",
    );
    fails(
        "provider: github\n",
        "image: x\nservices:\n  - {image: redis:7, command: [redis-server, --port, '7000']}\nsteps: [{run: make}]\n",
        "error: .cigen/workflows/main/jobs/build.yml:2: `services[0].command`: GitHub Actions cannot set a container's `command`\n  hint: write the job's `github: {services: …}` instead\n",
    );
    fails(
        "provider: github\n",
        "macos: {xcode: 15.4.0}\nsteps: [{run: make}]\n",
        "error: .cigen/workflows/main/jobs/build.yml:1: `macos`: a `macos` job needs a macOS runner, which its architecture does not name\n  hint: add `github: {runs-on: macos-15}` (or another macOS runner label) to the job\n",
    );
}

#[test]
fn workflow_github_settings_are_checked() {
    let workflow = |text: &str| {
        repo(
            "provider: github\n",
            &[("build", "image: x\nsteps: [{run: make}]\n")],
        )
        .file(".cigen/workflows/main/config.yml", text)
    };
    workflow("github:\n  on: push\n").fails_with(
        &["generate"],
        2,
        "error: .cigen/workflows/main/config.yml:2: `github.on`: `on` is a non-empty map of GitHub events (`push: {branches: [main]}`, `schedule: [...]`)\n",
    );
    workflow("github:\n  full_run_on: [Push]\n").fails_with(
        &["generate"],
        2,
        "error: .cigen/workflows/main/config.yml:2: `github.full_run_on: Push`: `Push` is not a GitHub event name (`push`, `schedule`, `workflow_dispatch`, …)\n",
    );
    let ok = workflow("github:\n  on: {push: {branches: [main]}}\n  full_run_on: [schedule]\n");
    let output = ok.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{}", stderr(&output));
}

/// The GitHub self-check of `cigen setup`: the committed workflow files
/// against a fresh render; drift prints the diff and fails, never commits.
#[test]
fn the_github_self_check_fails_on_drift_with_a_diff_and_never_commits() {
    let repo = repo(
        "provider: github\n",
        &[(
            "build",
            "image: x\nsource_files: [src/**]\nsteps: [{run: make}]\n",
        )],
    )
    .file("src/a.c", "int a;\n");
    repo.generate_and_commit();
    let setup = |repo: &Repo| {
        let rt = tempfile::tempdir().expect("rt");
        let mut command = repo.cigen();
        command
            .args(["setup", "--provider", "github", "--self-check"])
            .env("CIGEN_TMP", rt.path());
        clear_pipeline_values(&mut command);
        let output = command.output().expect("runs");
        (output, rt.path().join("cigen/state.json").exists())
    };
    let (output, state) = setup(&repo);
    assert!(output.status.success(), "{}", stderr(&output));
    // The timings and the runtime directory differ from run to run.
    assert_like(
        &stdout(&output),
        "self-check: .github/workflows/main.yml is up to date\n\
         cigen setup: 1 hashed variants of `main` (1 files: 1 from the git index, 0 hashed from content)\n  \
         timings: load+self-check {any} ms, hashing {any} ms, total {any} ms; state in {any}/cigen/state.json\n",
    );
    assert!(state);

    repo.write(
        ".cigen/workflows/main/jobs/build.yml",
        "image: x\nsource_files: [src/**]\nsteps: [{run: make all}]\n",
    );
    repo.commit_all();
    let head = git_head(&repo);
    let committed = repo.read(".github/workflows/main.yml");
    let (output, state) = setup(&repo);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "--- .github/workflows/main.yml (committed)\n\
         +++ .github/workflows/main.yml (generated)\n\
         @@ -41,7 +41,7 @@\n       \
         image: x\n     \
         steps:\n     \
         - uses: actions/checkout@v4\n\
         -    - run: make\n\
         +    - run: make all\n     \
         - name: cigen record\n       \
         if: needs.cigen_setup.outputs.hash_build != ''\n       \
         env:\n"
    );
    assert_eq!(
        stderr(&output),
        "error: self-check: .github/workflows/main.yml is stale: run `cigen generate` and commit the result\n"
    );
    assert!(!state, "no state after a failed self-check");
    assert_eq!(git_head(&repo), head, "the GitHub self-check never commits");
    assert_eq!(repo.read(".github/workflows/main.yml"), committed);
}

fn git_head(repo: &Repo) -> String {
    let output = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo.path())
        .output()
        .expect("git");
    String::from_utf8_lossy(&output.stdout).into_owned()
}
