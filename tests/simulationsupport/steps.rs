//! The step runner: a job's steps with the config's commands expanded,
//! run container by container — `run` in `bash -eo pipefail` with the
//! job's and the step's `environment`, parameters substituted and `/tmp`
//! moved into the container's sandbox; `save_cache` and `restore_cache`
//! against the fake cache; `cigen approve --job X` recorded as the
//! approval it stands for (no API here). Steps run `when: on_success`
//! unless they say otherwise, so a failed step skips the rest of its
//! container's steps: a failed container never reaches its record steps.

use std::path::Path;

use serde_yaml::{Mapping, Value};

use super::workflow::{Entry, JobLog, Status, approved_gate, params_of};
use super::{FakeCache, Pipeline, files_under, local, render_key, sandboxed, scalar, substitute};

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
