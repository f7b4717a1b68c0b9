//! From hashes and cache markers to the continuation config: decides which
//! hashed variants already passed (their marker was restored by a probe),
//! shapes the continued workflow (`shape`: stand-ins or removal, DESIGN §4),
//! renders it with `CIGEN_JOB_HASH`, the hashed pipeline values and the
//! upstream `CIGEN_HASH_…` baked into the jobs that run, and validates it
//! before anything is sent.

use std::collections::{BTreeSet, HashSet};

use serde_yaml::Value;

use super::paths::Paths;
use super::reference::Ref;
use super::shape::{Shape, shape};
use crate::emit::{self, Carry, Continued};
use crate::error::{Error, Result};
use crate::model::{Project, Workflow};
use crate::plan::WorkflowPlan;

/// CircleCI's limit on a compiled config.
pub const MAX_CONFIG_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct Continuation {
    /// Hashed variants whose marker exists, with their hash.
    pub passed: Vec<(String, String)>,
    pub shape: Shape,
    pub config: String,
}

pub fn build(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
    carry: &Carry,
    paths: &Paths,
    force_all: bool,
    reference: &Ref,
) -> Result<Continuation> {
    let passed: Vec<(String, String)> = if force_all {
        vec![]
    } else {
        carry
            .hashes
            .iter()
            .filter(|(_, hash)| paths.marker(hash).exists())
            .map(|(variant, hash)| (variant.clone(), hash.clone()))
            .collect()
    };
    let skip: BTreeSet<String> = passed.iter().map(|(variant, _)| variant.clone()).collect();
    let shape = shape(project, workflow, plan, &skip, reference);
    let continued = Continued {
        carry: Some(carry),
        stand_ins: &shape.pruned.stand_ins,
        unpruned: plan,
    };
    let config = emit::render_main(project, workflow, &shape.pruned.plan, Some(&continued))?;
    Ok(Continuation {
        passed,
        shape,
        config,
    })
}

/// Checks a continuation config before it is sent: it parses back, fits
/// CircleCI's size limit, runs at least one job, every `requires` names a
/// job of its workflow, and no parameter sent is also declared by the setup
/// config (CircleCI fails such a pipeline with "Conflicting pipeline parameters").
pub fn validate(
    config: &str,
    setup_parameters: &[String],
    sent: &serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let invalid = |why: String| {
        Error::Runtime(format!(
            "continuation config is invalid, not sending it: {why}"
        ))
    };
    if config.len() > MAX_CONFIG_BYTES {
        return Err(invalid(format!(
            "{} bytes is over CircleCI's limit of {MAX_CONFIG_BYTES}",
            config.len()
        )));
    }
    let doc: Value = serde_yaml::from_str(config)
        .map_err(|err| invalid(format!("does not parse back: {err}")))?;
    let jobs = doc
        .get("jobs")
        .and_then(Value::as_mapping)
        .map(|m| m.len())
        .unwrap_or(0);
    if jobs == 0 {
        return Err(invalid("it defines no job".into()));
    }
    let Some(workflows) = doc.get("workflows").and_then(Value::as_mapping) else {
        return Err(invalid("it has no workflows".into()));
    };
    for (name, workflow) in workflows {
        let name = name.as_str().unwrap_or("?");
        let entries = workflow
            .get("jobs")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        if entries.is_empty() {
            return Err(invalid(format!("workflow `{name}` runs no job")));
        }
        let mut names = HashSet::new();
        let mut requires = vec![];
        for entry in &entries {
            let (job, params) = match entry {
                Value::String(job) => (job.clone(), Value::Null),
                Value::Mapping(map) => match map.iter().next() {
                    Some((job, params)) => {
                        (job.as_str().unwrap_or_default().to_string(), params.clone())
                    }
                    None => {
                        return Err(invalid(format!("workflow `{name}` has an empty job entry")));
                    }
                },
                _ => {
                    return Err(invalid(format!(
                        "workflow `{name}` has a malformed job entry"
                    )));
                }
            };
            let shown = params
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or(job);
            for required in params
                .get("requires")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let target = match required {
                    Value::String(target) => target.clone(),
                    Value::Mapping(map) => map
                        .keys()
                        .next()
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    _ => String::new(),
                };
                requires.push((shown.clone(), target));
            }
            names.insert(shown);
        }
        for (job, target) in requires {
            if !names.contains(&target) {
                return Err(invalid(format!(
                    "in workflow `{name}`, `{job}` requires `{target}`, which is not in the workflow"
                )));
            }
        }
    }
    for parameter in sent.keys() {
        if setup_parameters.contains(parameter) {
            return Err(invalid(format!(
                "parameter `{parameter}` is declared in config.yml too; CircleCI would fail with \"Conflicting pipeline parameters\""
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(config: &str) -> Result<()> {
        validate(config, &["flag".to_string()], &serde_json::Map::new())
    }

    #[test]
    fn accepts_a_valid_config_and_rejects_broken_ones() {
        let good = "version: 2.1\njobs:\n  a: {docker: [{image: x}], steps: [checkout]}\nworkflows:\n  main:\n    jobs:\n      - a\n      - approve: {type: approval, requires: [a]}\n";
        assert!(ok(good).is_ok());
        assert!(ok("version: 2.1\njobs: {}\nworkflows: {main: {jobs: [a]}}\n").is_err());
        assert!(
            ok("jobs: {a: {}}\nworkflows: {main: {jobs: [{a: {requires: [ghost]}}]}}\n").is_err()
        );
        assert!(ok(": : :\n").is_err());
        // No-op stand-ins and the required check are jobs like any other.
        let stand_ins = "version: 2.1\njobs:\n  a: {type: no-op}\n  check: {type: no-op}\nworkflows:\n  main:\n    jobs:\n      - a\n      - check: {requires: [{a: [success, failed]}]}\n";
        assert!(ok(stand_ins).is_ok());
        let huge = format!("{good}# {}\n", "x".repeat(MAX_CONFIG_BYTES));
        assert!(ok(&huge).is_err());
        let mut sent = serde_json::Map::new();
        sent.insert("flag".into(), serde_json::Value::Bool(true));
        let err = validate(good, &["flag".to_string()], &sent).expect_err("conflict");
        assert!(err.to_string().contains("Conflicting pipeline parameters"));
    }
}
