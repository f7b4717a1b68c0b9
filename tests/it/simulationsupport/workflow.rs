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
use crate::common::{optional_mapping, optional_sequence, optional_str};

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
                let whose = format!("workflow {workflow} entry {key}");
                let name = optional_str(params, "name", &whose).unwrap_or(&key);
                let requires = optional_sequence(params, "requires", &whose);
                Entry {
                    name: name.to_string(),
                    requires: requires.iter().map(requirement).collect(),
                    params: params.as_mapping().cloned().unwrap_or_else(|| {
                        panic!("{whose}: parameters are not a mapping: {params:?}")
                    }),
                    key,
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
    check_simulated(doc, workflow, &entries);
    let mut run = Run {
        doc,
        pipeline,
        cache,
        sandbox,
        fail_at,
        approvers: gates(doc, &entries, pipeline),
        status: BTreeMap::new(),
        approved: BTreeSet::new(),
        logs: vec![],
    };
    // Sweep until nothing changes: each sweep starts what became ready.
    let mut progressed = true;
    while progressed {
        progressed = false;
        for entry in &entries {
            if run.status.contains_key(&entry.name) {
                continue;
            }
            if let Some(outcome) = run.decide(entry) {
                run.status.insert(entry.name.clone(), outcome);
                progressed = true;
            }
        }
    }
    for entry in &entries {
        run.status
            .entry(entry.name.clone())
            .or_insert(Status::NotRun);
    }
    (run.status, run.logs)
}

/// Branch filters and workflow conditions would decide what runs: the
/// fixture has none, so the continuation must not either. Every
/// requirement names an entry.
fn check_simulated(doc: &Value, workflow: &str, entries: &[Entry]) {
    assert!(
        doc["workflows"][workflow].get("when").is_none(),
        "workflow `when` is not simulated"
    );
    let names: BTreeSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    for entry in entries {
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
}

/// One run of a workflow in progress.
struct Run<'a> {
    doc: &'a Value,
    pipeline: &'a Pipeline,
    cache: &'a mut FakeCache,
    sandbox: &'a Path,
    fail_at: &'a mut dyn FnMut(&str, usize, usize) -> Option<usize>,
    /// Gate → the entries whose steps approve it.
    approvers: BTreeMap<String, Vec<String>>,
    status: BTreeMap<String, Status>,
    approved: BTreeSet<String>,
    logs: Vec<(String, JobLog)>,
}

impl Run<'_> {
    /// The entry's status once it can be known (`None`: not yet).
    fn decide(&mut self, entry: &Entry) -> Option<Status> {
        if !entry
            .requires
            .iter()
            .all(|(r, _)| self.status.contains_key(r))
        {
            return None;
        }
        if !self.satisfied(entry) {
            return Some(Status::NotRun);
        }
        match kind(self.doc, entry) {
            Kind::Approval => self.approval(entry),
            Kind::NoOp => Some(Status::Success),
            Kind::Steps => {
                let job = &self.doc["jobs"][entry.key.as_str()];
                let (result, log, approves) = steps::run_job(
                    self.doc,
                    entry,
                    job,
                    self.pipeline,
                    self.cache,
                    self.sandbox,
                    self.fail_at,
                );
                if result == Status::Success {
                    self.approved.extend(approves);
                }
                self.logs.push((entry.name.clone(), log));
                Some(result)
            }
        }
    }

    /// Every requirement ran and ended in a status it accepts.
    fn satisfied(&self, entry: &Entry) -> bool {
        entry.requires.iter().all(|(required, accepted)| {
            let word = match self.status[required] {
                Status::Success => "success",
                Status::Failed => "failed",
                Status::NotRun => return false,
            };
            accepted.iter().any(|a| a == word)
        })
    }

    /// A stage approval is approved by hand; a gate once a job that
    /// approves it passed, never if none did.
    fn approval(&self, entry: &Entry) -> Option<Status> {
        match self.approvers.get(&entry.name) {
            None => Some(Status::Success),
            Some(_) if self.approved.contains(&entry.name) => Some(Status::Success),
            Some(shims) if shims.iter().all(|s| self.status.contains_key(s)) => {
                Some(Status::NotRun)
            }
            Some(_) => None,
        }
    }
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
    for (name, spec) in optional_mapping(job, "parameters", &format!("job {}", entry.key)) {
        if let Some(default) = spec.get("default") {
            params.insert(name, default.clone());
        }
    }
    for (name, value) in &entry.params {
        params.insert(name.clone(), value.clone());
    }
    params
}

#[test]
#[should_panic(expected = "workflow main entry build: `requires` is not a list: String(\"lint\")")]
fn an_entry_whose_requires_is_one_value_is_malformed_not_unblocked() {
    let doc: Value =
        serde_yaml::from_str("workflows: {main: {jobs: [lint, {build: {requires: lint}}]}}")
            .expect("yaml");
    entries(&doc, "main");
}

#[test]
#[should_panic(expected = "workflow main entry build: parameters are not a mapping: String(\"x\")")]
fn an_entry_whose_parameters_are_not_a_mapping_is_malformed_not_empty() {
    let doc: Value = serde_yaml::from_str("workflows: {main: {jobs: [{build: x}]}}").expect("yaml");
    entries(&doc, "main");
}
