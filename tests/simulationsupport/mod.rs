//! A small CircleCI for the pipeline simulation test: a directory-backed
//! cache with CircleCI's semantics, cache-key templates, pipeline and job
//! parameter substitution, and a workflow runner that executes the jobs of
//! a (continued) config — their real `run` steps in `bash` with `/tmp`
//! moved into a per-container sandbox, their `save_cache`/`restore_cache`
//! against the fake cache — container by container, as CircleCI would.
//! Which containers fail is the caller's choice. It never decides anything
//! about cigen's hashes: it only runs what the config says.
//!
//! CircleCI semantics it follows (https://circleci.com/docs/caching/):
//! caches are immutable on write (the first save of a key wins, later ones
//! are no-ops); `restore_cache` tries its keys in order, each matching
//! saved keys by prefix, and restores the most recently saved match of the
//! first key that matches anything. `{{ checksum "FILE" }}` is "a base64
//! encoded SHA256 hash of the given filename's contents"
//! (https://circleci.com/docs/reference/configuration-reference/#save_cache).
//! Steps run with `when: on_success` unless they say otherwise, so a failed
//! step skips the rest of its container's steps.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

/// The fake cache: one directory per saved key, numbered in save order.
pub struct FakeCache {
    dir: PathBuf,
    saved: u64,
}

impl FakeCache {
    pub fn new(dir: PathBuf) -> FakeCache {
        std::fs::create_dir_all(&dir).expect("cache dir");
        FakeCache { dir, saved: 0 }
    }

    /// `save_cache`: stores `paths` (as `/tmp/…` names, read under `tmp`)
    /// under `key` unless the key exists already. True when stored.
    pub fn save(&mut self, key: &str, paths: &[String], tmp: &Path) -> bool {
        if self.entries().iter().any(|(_, saved)| saved == key) {
            return false;
        }
        self.saved += 1;
        let entry = self.dir.join(format!("{:06}", self.saved));
        std::fs::create_dir_all(entry.join("tree")).expect("entry");
        std::fs::write(entry.join("key"), key).expect("key");
        for path in paths {
            let from = local(tmp, path);
            if from.exists() {
                copy_tree(
                    &from,
                    &entry.join("tree").join(path.trim_start_matches('/')),
                );
            }
        }
        true
    }

    /// `restore_cache`: the first of `keys` that prefixes any saved key
    /// restores the most recent such entry under `tmp`. Returns its key.
    pub fn restore(&self, keys: &[String], tmp: &Path) -> Option<String> {
        let entries = self.entries();
        for key in keys {
            if let Some((entry, saved)) = entries
                .iter()
                .filter(|(_, saved)| saved.starts_with(key.as_str()))
                .max_by_key(|(entry, _)| entry.clone())
            {
                let tree = entry.join("tree");
                for top in read_dir(&tree) {
                    let name = top
                        .file_name()
                        .expect("name")
                        .to_string_lossy()
                        .into_owned();
                    let target = local(tmp, &format!("/{name}"));
                    copy_tree(&top, &target);
                }
                return Some(saved.clone());
            }
        }
        None
    }

    /// How many keys are stored.
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// `(entry dir, key)`, oldest first.
    fn entries(&self) -> Vec<(PathBuf, String)> {
        let mut entries: Vec<(PathBuf, String)> = read_dir(&self.dir)
            .into_iter()
            .map(|entry| {
                let key = std::fs::read_to_string(entry.join("key")).expect("key");
                (entry, key)
            })
            .collect();
        entries.sort();
        entries
    }
}

/// A `/tmp/…` path of the config, under the sandbox's `tmp` root; any
/// other absolute path is outside what the simulation can run.
pub fn local(tmp: &Path, path: &str) -> PathBuf {
    let rest = path
        .strip_prefix("/tmp/")
        .or_else(|| (path == "/tmp").then_some(""))
        .unwrap_or_else(|| panic!("path {path} is not under /tmp: the simulation cannot run it"));
    tmp.join(rest)
}

/// Moves every `/tmp/` of a command or value into the sandbox.
pub fn sandboxed(text: &str, tmp: &Path) -> String {
    text.replace("/tmp/", &format!("{}/", tmp.display()))
}

/// Renders a cache key template: `{{ checksum "F" }}` and `{{ .Branch }}`.
pub fn render_key(template: &str, tmp: &Path, branch: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("closed template") + start;
        let inner = rest[start + 2..end].trim();
        if let Some(file) = inner.strip_prefix("checksum ") {
            let file = file.trim().trim_matches('"');
            let bytes = std::fs::read(local(tmp, file))
                .unwrap_or_else(|err| panic!("checksum of {file}: {err}"));
            out.push_str(&base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes)));
        } else if inner == ".Branch" {
            out.push_str(branch);
        } else {
            panic!("cache key template `{{{{ {inner} }}}}` is not simulated");
        }
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Substitutes `<< pipeline.parameters.P >>`, `<< pipeline.git.branch >>`
/// and `<< parameters.X >>` (from `job_params`) in `text`.
pub fn substitute(text: &str, pipeline: &Pipeline, job_params: &Mapping) -> String {
    let pattern = regex::Regex::new(r"<<\s*([^<>]+?)\s*>>").expect("regex");
    pattern
        .replace_all(text, |caps: &regex::Captures| {
            let name = &caps[1];
            if let Some(parameter) = name.strip_prefix("pipeline.parameters.") {
                return pipeline
                    .parameters
                    .get(parameter)
                    .cloned()
                    .unwrap_or_else(|| panic!("pipeline parameter {parameter} has no value"));
            }
            if name == "pipeline.git.branch" {
                return pipeline.branch.clone();
            }
            if let Some(parameter) = name.strip_prefix("parameters.") {
                return scalar(
                    job_params
                        .get(parameter)
                        .unwrap_or_else(|| panic!("job parameter {parameter} has no value")),
                );
            }
            panic!("`<< {name} >>` is not simulated")
        })
        .into_owned()
}

/// What one pipeline has: its parameter values (defaults filled in), its
/// branch, and where cigen's binary is.
pub struct Pipeline {
    pub parameters: BTreeMap<String, String>,
    pub branch: String,
    pub bin_dir: PathBuf,
}

impl Pipeline {
    /// A clean environment for a step: PATH with cigen first, HOME.
    pub fn command(&self, home: &Path) -> Command {
        let mut command = Command::new("bash");
        command.env_clear();
        let path = std::env::var("PATH").unwrap_or_default();
        command.env("PATH", format!("{}:{path}", self.bin_dir.display()));
        command.env("HOME", home);
        command.env("CIRCLECI", "true");
        command.env("CIRCLE_BRANCH", &self.branch);
        command
    }
}

/// A scalar YAML value as text, as CircleCI substitutes it.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// A workflow job entry: the job it invokes, its name and parameters.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub name: String,
    pub params: Mapping,
    /// Required entry name → accepted statuses.
    pub requires: Vec<(String, Vec<String>)>,
}

pub fn entries(doc: &Value, workflow: &str) -> Vec<Entry> {
    let jobs = doc["workflows"][workflow]["jobs"]
        .as_sequence()
        .unwrap_or_else(|| panic!("workflow {workflow} has no jobs"));
    jobs.iter()
        .map(|item| match item {
            Value::String(key) => Entry {
                key: key.clone(),
                name: key.clone(),
                params: Mapping::new(),
                requires: vec![],
            },
            Value::Mapping(map) => {
                let (key, params) = map.iter().next().expect("one key");
                let key = key.as_str().expect("job key").to_string();
                let params = params.as_mapping().cloned().unwrap_or_default();
                let name = params
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&key)
                    .to_string();
                let requires = params
                    .get("requires")
                    .and_then(Value::as_sequence)
                    .map(|list| list.iter().map(requirement).collect())
                    .unwrap_or_default();
                Entry {
                    key,
                    name,
                    params,
                    requires,
                }
            }
            other => panic!("workflow entry {other:?}"),
        })
        .collect()
}

fn requirement(item: &Value) -> (String, Vec<String>) {
    match item {
        Value::String(name) => (name.clone(), vec!["success".into()]),
        Value::Mapping(map) => {
            let (name, statuses) = map.iter().next().expect("one key");
            let statuses = match statuses {
                Value::String(one) => vec![one.clone()],
                Value::Sequence(list) => list.iter().map(scalar).collect(),
                other => panic!("statuses {other:?}"),
            };
            (name.as_str().expect("name").to_string(), statuses)
        }
        other => panic!("requires entry {other:?}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    Failed,
    /// Never started: a requirement did not pass, or an approval never came.
    NotRun,
}

/// What the runner did with a job that has steps.
#[derive(Debug, Default, Clone)]
pub struct JobLog {
    pub containers: usize,
    pub failed_containers: usize,
    /// `(key, stored, files under the saved paths)` of each `save_cache`.
    pub saves: Vec<(String, bool, Vec<String>)>,
    /// `run` steps that exited non-zero (none of the fixture's should).
    pub step_errors: Vec<String>,
}

/// Runs the workflow: every entry whose requirements reach the accepted
/// statuses runs (approvals are approved — a gate only by a job that
/// approves it through `cigen approve`; no-op jobs succeed). `fail_at`
/// says, per `(entry, container, step count)`, at which step a container
/// fails (`None`: it passes). Returns each entry's status and the logs of
/// the jobs that ran, in run order.
pub fn run_workflow(
    doc: &Value,
    workflow: &str,
    pipeline: &Pipeline,
    cache: &mut FakeCache,
    sandbox: &Path,
    fail_at: &mut dyn FnMut(&str, usize, usize) -> Option<usize>,
) -> (BTreeMap<String, Status>, Vec<(String, JobLog)>) {
    let entries = entries(doc, workflow);
    // Branch filters and workflow conditions would decide what runs: the
    // fixture has none, so the continuation must not either.
    assert!(
        doc["workflows"][workflow].get("when").is_none(),
        "workflow `when` is not simulated"
    );
    let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    for entry in &entries {
        assert!(
            entry.params.get("filters").is_none(),
            "filters of {} are not simulated",
            entry.name
        );
        for (required, _) in &entry.requires {
            assert!(
                names.contains(required.as_str()),
                "{} requires unknown {required}",
                entry.name
            );
        }
    }
    // Which entries approve which gate, from their steps.
    let approvers: BTreeMap<String, Vec<String>> = gates(doc, &entries, pipeline);
    let mut status: BTreeMap<String, Status> = BTreeMap::new();
    let mut approved: BTreeSet<String> = BTreeSet::new();
    let mut logs = vec![];
    loop {
        let mut progressed = false;
        for entry in &entries {
            if status.contains_key(&entry.name) {
                continue;
            }
            let decided = entry.requires.iter().all(|(r, _)| status.contains_key(r));
            if !decided {
                continue;
            }
            let satisfied = entry.requires.iter().all(|(required, accepted)| {
                let got = status[required];
                got != Status::NotRun
                    && accepted.contains(
                        &if got == Status::Success {
                            "success"
                        } else {
                            "failed"
                        }
                        .to_string(),
                    )
            });
            let outcome = if !satisfied {
                Some(Status::NotRun)
            } else {
                match kind(doc, entry) {
                    Kind::Approval => match approvers.get(&entry.name) {
                        None => Some(Status::Success),
                        Some(_) if approved.contains(&entry.name) => Some(Status::Success),
                        Some(shims) if shims.iter().all(|s| status.contains_key(s)) => {
                            Some(Status::NotRun)
                        }
                        Some(_) => None,
                    },
                    Kind::NoOp => Some(Status::Success),
                    Kind::Steps => {
                        let job = &doc["jobs"][entry.key.as_str()];
                        let (result, log, approves) =
                            run_job(doc, entry, job, pipeline, cache, sandbox, fail_at);
                        if result == Status::Success {
                            approved.extend(approves);
                        }
                        logs.push((entry.name.clone(), log));
                        Some(result)
                    }
                }
            };
            if let Some(outcome) = outcome {
                status.insert(entry.name.clone(), outcome);
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    for entry in &entries {
        status.entry(entry.name.clone()).or_insert(Status::NotRun);
    }
    (status, logs)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Approval,
    NoOp,
    Steps,
}

/// How CircleCI treats an entry: `type: approval` in the workflow, a job of
/// `type: no-op`, or a job with steps.
pub fn kind(doc: &Value, entry: &Entry) -> Kind {
    if entry.params.get("type").and_then(Value::as_str) == Some("approval") {
        return Kind::Approval;
    }
    let job = doc["jobs"]
        .get(entry.key.as_str())
        .unwrap_or_else(|| panic!("job {} is not declared under jobs:", entry.key));
    match job.get("type").and_then(Value::as_str) {
        Some("no-op") => Kind::NoOp,
        Some("approval") => Kind::Approval,
        Some(other) => panic!("job type {other} is not simulated"),
        None => {
            assert!(job.get("steps").is_some(), "job {} has no steps", entry.key);
            Kind::Steps
        }
    }
}

/// Gate name → the entries whose steps approve it.
fn gates(doc: &Value, entries: &[Entry], pipeline: &Pipeline) -> BTreeMap<String, Vec<String>> {
    let mut gates: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in entries {
        if kind(doc, entry) != Kind::Steps {
            continue;
        }
        let job = &doc["jobs"][entry.key.as_str()];
        for step in flatten(
            doc,
            job["steps"].as_sequence().expect("steps"),
            &params_of(job, entry),
        ) {
            if let Step::Run { command, .. } = step
                && let Some(gate) =
                    approved_gate(&substitute(&command, pipeline, &params_of(job, entry)))
            {
                gates.entry(gate).or_default().push(entry.name.clone());
            }
        }
    }
    gates
}

/// `cigen approve --job X` → X: the API call the simulation stands in for.
fn approved_gate(command: &str) -> Option<String> {
    command
        .trim()
        .strip_prefix("cigen approve --job ")
        .map(|gate| gate.trim().to_string())
}

/// The job's parameters: its declared defaults, then the entry's values.
fn params_of(job: &Value, entry: &Entry) -> Mapping {
    let mut params = Mapping::new();
    if let Some(declared) = job.get("parameters").and_then(Value::as_mapping) {
        for (name, spec) in declared {
            if let Some(default) = spec.get("default") {
                params.insert(name.clone(), default.clone());
            }
        }
    }
    for (name, value) in &entry.params {
        params.insert(name.clone(), value.clone());
    }
    params
}

/// One step as the runner sees it, commands expanded.
#[derive(Debug, Clone)]
pub enum Step {
    Checkout,
    Run {
        command: String,
        environment: Mapping,
        when: String,
    },
    SaveCache {
        key: String,
        paths: Vec<String>,
        when: String,
    },
    RestoreCache {
        keys: Vec<String>,
    },
}

impl Step {
    fn when(&self) -> &str {
        match self {
            Step::Run { when, .. } | Step::SaveCache { when, .. } => when,
            _ => "on_success",
        }
    }
}

/// The steps of a job with `.cigen/commands`-style commands (from the
/// config's `commands:`) expanded in place.
pub fn flatten(doc: &Value, steps: &[Value], params: &Mapping) -> Vec<Step> {
    let mut out = vec![];
    for step in steps {
        match step {
            Value::String(name) if name == "checkout" => out.push(Step::Checkout),
            Value::String(name) => out.extend(command_steps(doc, name, params)),
            Value::Mapping(map) => {
                let (key, body) = map.iter().next().expect("one key");
                let key = key.as_str().expect("step key");
                let when = body
                    .get("when")
                    .and_then(Value::as_str)
                    .unwrap_or("on_success")
                    .to_string();
                match key {
                    "checkout" => out.push(Step::Checkout),
                    "run" => out.push(match body {
                        Value::String(command) => Step::Run {
                            command: command.clone(),
                            environment: Mapping::new(),
                            when,
                        },
                        _ => Step::Run {
                            command: body["command"].as_str().expect("command").to_string(),
                            environment: body
                                .get("environment")
                                .and_then(Value::as_mapping)
                                .cloned()
                                .unwrap_or_default(),
                            when,
                        },
                    }),
                    "save_cache" => out.push(Step::SaveCache {
                        key: body["key"].as_str().expect("key").to_string(),
                        paths: body["paths"]
                            .as_sequence()
                            .expect("paths")
                            .iter()
                            .map(scalar)
                            .collect(),
                        when,
                    }),
                    "restore_cache" => out.push(Step::RestoreCache {
                        keys: match body.get("keys") {
                            Some(keys) => keys
                                .as_sequence()
                                .expect("keys")
                                .iter()
                                .map(scalar)
                                .collect(),
                            None => vec![body["key"].as_str().expect("key").to_string()],
                        },
                    }),
                    name => out.extend(command_steps(doc, name, params)),
                }
            }
            other => panic!("step {other:?} is not simulated"),
        }
    }
    out
}

fn command_steps(doc: &Value, name: &str, params: &Mapping) -> Vec<Step> {
    let command = doc["commands"].get(name).unwrap_or_else(|| {
        panic!("step `{name}` is neither a built-in step nor a command of the config")
    });
    flatten(
        doc,
        command["steps"].as_sequence().expect("command steps"),
        params,
    )
}

/// Runs every container of one job. Returns its status, its log and the
/// gates its steps approved.
fn run_job(
    doc: &Value,
    entry: &Entry,
    job: &Value,
    pipeline: &Pipeline,
    cache: &mut FakeCache,
    sandbox: &Path,
    fail_at: &mut dyn FnMut(&str, usize, usize) -> Option<usize>,
) -> (Status, JobLog, Vec<String>) {
    let params = params_of(job, entry);
    let steps = flatten(doc, job["steps"].as_sequence().expect("steps"), &params);
    let containers = match job.get("parallelism") {
        None => 1,
        Some(n) => n.as_u64().expect("parallelism is a number") as usize,
    };
    let job_env: Mapping = job
        .get("environment")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    let mut log = JobLog {
        containers,
        ..JobLog::default()
    };
    let mut approves = vec![];
    for index in 0..containers {
        let home = sandbox.join(&entry.name).join(index.to_string());
        let tmp = home.join("tmp");
        std::fs::create_dir_all(&tmp).expect("sandbox");
        let failing = fail_at(&entry.name, index, steps.len());
        let mut failed = false;
        for (at, step) in steps.iter().enumerate() {
            if failing == Some(at) && !failed {
                failed = true;
                continue;
            }
            let runs = if failed {
                matches!(step.when(), "always" | "on_fail")
            } else {
                step.when() != "on_fail"
            };
            if !runs {
                continue;
            }
            let ok = match step {
                Step::Checkout => true,
                Step::Run {
                    command,
                    environment,
                    ..
                } => {
                    let command = substitute(command, pipeline, &params);
                    if let Some(gate) = approved_gate(&command) {
                        approves.push(gate);
                        true
                    } else {
                        let mut bash = pipeline.command(&home);
                        bash.current_dir(&home)
                            .args(["-eo", "pipefail", "-c", &sandboxed(&command, &tmp)])
                            .env("CIRCLE_JOB", &entry.name)
                            .env("CIRCLE_NODE_INDEX", index.to_string())
                            .env("CIRCLE_NODE_TOTAL", containers.to_string());
                        for (name, value) in job_env.iter().chain(environment.iter()) {
                            let value = substitute(&scalar(value), pipeline, &params);
                            bash.env(scalar(name), sandboxed(&value, &tmp));
                        }
                        let output = bash.output().expect("bash runs");
                        if !output.status.success() {
                            log.step_errors.push(format!(
                                "{} container {index}: {command}: {}",
                                entry.name,
                                String::from_utf8_lossy(&output.stderr)
                            ));
                        }
                        output.status.success()
                    }
                }
                Step::SaveCache { key, paths, .. } => {
                    let key = render_key(key, &tmp, &pipeline.branch);
                    let stored = cache.save(&key, paths, &tmp);
                    let files = paths
                        .iter()
                        .flat_map(|path| files_under(&local(&tmp, path)))
                        .collect();
                    log.saves.push((key, stored, files));
                    true
                }
                Step::RestoreCache { keys } => {
                    let keys: Vec<String> = keys
                        .iter()
                        .map(|k| render_key(k, &tmp, &pipeline.branch))
                        .collect();
                    cache.restore(&keys, &tmp);
                    true
                }
            };
            failed |= !ok;
        }
        log.failed_containers += usize::from(failed);
    }
    let status = if log.failed_containers == 0 {
        Status::Success
    } else {
        Status::Failed
    };
    (status, log, approves)
}

/// File names (relative) under a directory, sorted; empty when absent.
pub fn files_under(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = read_dir(dir)
        .into_iter()
        .filter(|path| path.is_file())
        .map(|path| {
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries.map(|entry| entry.expect("entry").path()).collect(),
        Err(_) => vec![],
    }
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in read_dir(from) {
            copy_tree(&entry, &to.join(entry.file_name().expect("name")));
        }
    } else {
        std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from, to).expect("copy");
    }
}
