//! The reference check of a CircleCI document, which CircleCI's schema
//! cannot make: every job a workflow invokes is defined under `jobs:` (or
//! is an approval, or an orb's job), and every `requires` names a job of
//! the same workflow (by its `name:` when it has one). `cigen continue`
//! runs it on the continuation before sending it; the tests run it on every
//! file cigen writes. Input: the parsed document; output: the first broken
//! reference, as a message. It judges nothing else.

use std::collections::HashSet;

use serde_yaml::Value;

/// The first reference of `doc` that does not resolve, if any.
pub fn check_references(doc: &Value) -> Result<(), String> {
    let keys = |key: &str| -> HashSet<&str> {
        doc.get(key)
            .and_then(Value::as_mapping)
            .map(|m| m.keys().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    };
    let (defined, orbs) = (keys("jobs"), keys("orbs"));
    let workflows = doc.get("workflows").and_then(Value::as_mapping);
    for (name, workflow) in workflows.into_iter().flatten() {
        let name = name.as_str().unwrap_or("?");
        let entries = entries(name, workflow)?;
        for entry in &entries {
            let from_orb = entry
                .job
                .split_once('/')
                .is_some_and(|(orb, _)| orbs.contains(orb));
            if !(entry.approval || from_orb || defined.contains(entry.job.as_str())) {
                return Err(format!(
                    "in workflow `{name}`, job `{}` is not defined under `jobs:`",
                    entry.job
                ));
            }
        }
        let names: HashSet<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        for entry in &entries {
            if let Some(target) = entry.requires.iter().find(|t| !names.contains(t.as_str())) {
                return Err(format!(
                    "in workflow `{name}`, `{}` requires `{target}`, which is not in the workflow",
                    entry.name
                ));
            }
        }
    }
    Ok(())
}

/// One entry of a workflow's `jobs:` list.
struct Entry {
    /// The job invoked.
    job: String,
    /// What other entries call it: its `name:`, else the job.
    name: String,
    approval: bool,
    requires: Vec<String>,
}

fn entries(name: &str, workflow: &Value) -> Result<Vec<Entry>, String> {
    let list = workflow.get("jobs").and_then(Value::as_sequence);
    list.into_iter()
        .flatten()
        .map(|entry| {
            let (job, params) = match entry {
                Value::String(job) => (job.clone(), &Value::Null),
                Value::Mapping(map) => match map.iter().next() {
                    Some((job, params)) => (job.as_str().unwrap_or_default().to_string(), params),
                    None => return Err(format!("workflow `{name}` has an empty job entry")),
                },
                _ => return Err(format!("workflow `{name}` has a malformed job entry")),
            };
            let requires = params.get("requires").and_then(Value::as_sequence);
            Ok(Entry {
                name: params
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| job.clone(), str::to_string),
                approval: params.get("type").and_then(Value::as_str) == Some("approval"),
                requires: requires.into_iter().flatten().map(required_name).collect(),
                job,
            })
        })
        .collect()
}

/// The job a `requires` entry names: `build`, or `build: [success, failed]`.
fn required_name(required: &Value) -> String {
    match required {
        Value::String(target) => target.clone(),
        Value::Mapping(map) => map
            .keys()
            .next()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::check_references;

    fn check(yaml: &str) -> Result<(), String> {
        check_references(&serde_yaml::from_str(yaml).expect("yaml"))
    }

    #[test]
    fn approvals_orb_jobs_names_and_statuses_resolve() {
        let ok = "orbs: {node: circleci/node@5}\njobs: {a: {}, b: {}}\nworkflows:\n  main:\n    jobs:\n      - a\n      - hold: {type: approval, requires: [a]}\n      - node/test: {requires: [hold]}\n      - b: {name: b_again, requires: [{a: [success, failed]}]}\n      - b: {requires: [b_again]}\n";
        assert_eq!(check(ok), Ok(()));
    }

    #[test]
    fn an_undefined_job_or_requirement_is_named() {
        assert_eq!(
            check("jobs: {a: {}}\nworkflows: {main: {jobs: [a, ghost]}}\n"),
            Err("in workflow `main`, job `ghost` is not defined under `jobs:`".into())
        );
        assert_eq!(
            check("jobs: {a: {}}\nworkflows: {main: {jobs: [{a: {requires: [ghost]}}]}}\n"),
            Err("in workflow `main`, `a` requires `ghost`, which is not in the workflow".into())
        );
        assert_eq!(
            check("jobs: {a: {}}\nworkflows: {main: {jobs: [{}]}}\n"),
            Err("workflow `main` has an empty job entry".into())
        );
    }
}
