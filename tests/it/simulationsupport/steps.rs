//! The step runner: a job's steps with the config's commands expanded,
//! run container by container — `run` in `bash -eo pipefail` with the
//! job's and the step's `environment`, parameters substituted and `/tmp`
//! moved into the container's sandbox; `save_cache` and `restore_cache`
//! against the fake cache; `cigen approve --job X` recorded as the
//! approval it stands for (no API here). Steps run `when: on_success`
//! unless they say otherwise, so a failed step skips the rest of its
//! container's steps: a failed container never reaches its record steps.

use std::path::{Path, PathBuf};

use serde_yaml::{Mapping, Value};

use super::workflow::{Entry, JobLog, Status, approved_gate, params_of};
use super::{FakeCache, Pipeline, files_under, local, render_key, sandboxed, scalar, substitute};
use crate::common::{optional_mapping, optional_str};

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
                let when = optional_str(body, "when", &format!("step {key}"))
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
                            environment: optional_mapping(body, "environment", "run step"),
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
pub(crate) fn run_job(
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
        Some(n) => substitute(&scalar(n), pipeline, &params)
            .parse()
            .expect("parallelism is a number"),
    };
    let mut container = Container {
        entry,
        job_env: optional_mapping(job, "environment", &format!("job {}", entry.key)),
        params,
        pipeline,
        containers,
        index: 0,
        home: sandbox.to_path_buf(),
        log: JobLog {
            containers,
            ..JobLog::default()
        },
        approves: vec![],
    };
    for index in 0..containers {
        container.index = index;
        container.home = sandbox.join(&entry.name).join(index.to_string());
        std::fs::create_dir_all(container.home.join("tmp")).expect("sandbox");
        let failing = fail_at(&entry.name, index, steps.len());
        let passed = container.run(&steps, failing, cache);
        container.log.failed_containers += usize::from(!passed);
    }
    let status = if container.log.failed_containers == 0 {
        Status::Success
    } else {
        Status::Failed
    };
    (status, container.log, container.approves)
}

/// One container of a job, and what the job's containers did so far.
struct Container<'a> {
    entry: &'a Entry,
    job_env: Mapping,
    params: Mapping,
    pipeline: &'a Pipeline,
    containers: usize,
    index: usize,
    /// The container's sandbox; its `tmp` stands for `/tmp`.
    home: PathBuf,
    log: JobLog,
    approves: Vec<String>,
}

impl Container<'_> {
    /// Runs the steps, failing at step `failing` if given: the steps after
    /// a failure run only if they say `when: always` or `on_fail`. True
    /// when the container passed.
    fn run(&mut self, steps: &[Step], failing: Option<usize>, cache: &mut FakeCache) -> bool {
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
            if runs {
                failed |= !self.step(step, cache);
            }
        }
        !failed
    }

    /// One step; false when it failed.
    fn step(&mut self, step: &Step, cache: &mut FakeCache) -> bool {
        let tmp = self.home.join("tmp");
        let branch = &self.pipeline.branch;
        match step {
            Step::Checkout => true,
            Step::Run {
                command,
                environment,
                ..
            } => self.run_command(command, environment),
            Step::SaveCache { key, paths, .. } => {
                let key = render_key(key, &tmp, branch);
                let stored = cache.save(&key, paths, &tmp);
                let files = paths
                    .iter()
                    .flat_map(|path| files_under(&local(&tmp, path)))
                    .collect();
                self.log.saves.push((key, stored, files));
                true
            }
            Step::RestoreCache { keys } => {
                let keys: Vec<String> = keys.iter().map(|k| render_key(k, &tmp, branch)).collect();
                cache.restore(&keys, &tmp);
                true
            }
        }
    }

    /// A `run` step in `bash -eo pipefail` with the job's and the step's
    /// environment; `cigen approve --job X` approves X instead.
    fn run_command(&mut self, command: &str, environment: &Mapping) -> bool {
        let command = substitute(command, self.pipeline, &self.params);
        if let Some(gate) = approved_gate(&command) {
            self.approves.push(gate);
            return true;
        }
        let tmp = self.home.join("tmp");
        let mut bash = self.pipeline.command(&self.home);
        bash.current_dir(&self.home)
            .args(["-eo", "pipefail", "-c", &sandboxed(&command, &tmp)])
            .env("CIRCLE_JOB", &self.entry.name)
            .env("CIRCLE_NODE_INDEX", self.index.to_string())
            .env("CIRCLE_NODE_TOTAL", self.containers.to_string());
        for (name, value) in self.job_env.iter().chain(environment.iter()) {
            let value = substitute(&scalar(value), self.pipeline, &self.params);
            bash.env(scalar(name), sandboxed(&value, &tmp));
        }
        let output = bash.output().expect("bash runs");
        if !output.status.success() {
            self.log.step_errors.push(format!(
                "{} container {}: {command}: {}",
                self.entry.name,
                self.index,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        output.status.success()
    }
}
