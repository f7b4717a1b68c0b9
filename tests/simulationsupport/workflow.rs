//! The workflow runner: which entries of a continued workflow run, in
//! CircleCI's order — an entry starts once every requirement is decided
//! and runs only if each reached an accepted status (`success` unless the
//! `requires` entry lists statuses). Approvals are approved: a stage
//! approval by the human it waits for, a `requires_any` gate only once a
//! job that approves it through `cigen approve` passed. No-op jobs succeed
//! and run nothing; jobs with steps run through `steps::run_job`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::steps::{self, Step, flatten};
use super::{FakeCache, Pipeline, scalar, substitute};

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
                            steps::run_job(doc, entry, job, pipeline, cache, sandbox, fail_at);
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
pub(crate) fn approved_gate(command: &str) -> Option<String> {
    command
        .trim()
        .strip_prefix("cigen approve --job ")
        .map(|gate| gate.trim().to_string())
}

/// The job's parameters: its declared defaults, then the entry's values.
pub(crate) fn params_of(job: &Value, entry: &Entry) -> Mapping {
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
