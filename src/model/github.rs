//! The GitHub Actions settings of jobs and workflows: a job's `github:` map
//! (GitHub job keys merged last into its rendered GitHub job) and a
//! workflow's `github: {on, full_run_on}`. Checks the keys and the shapes
//! cigen itself reads; the values GitHub reads are GitHub's to check
//! (actionlint does in the tests). Input: the raw values and where they
//! were written; output: the model's values or a configuration error.

use serde_yaml::{Mapping, Value};

use super::Locate;
use crate::config::RawWorkflowGithub;
use crate::error::{ConfigError, Result, suggest};

/// Keys of a GitHub job a job's `github:` may set
/// (<https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax>).
pub(crate) const JOB_KEYS: &[&str] = &[
    "concurrency",
    "container",
    "continue-on-error",
    "defaults",
    "env",
    "environment",
    "outputs",
    "permissions",
    "runs-on",
    "services",
    "steps",
    "strategy",
    "timeout-minutes",
];

/// Keys of a GitHub job cigen writes itself: the job's name is its id, and
/// `needs`/`if` carry the requirements and the skip.
const OWNED_KEYS: &[&str] = &["if", "name", "needs"];

/// A job's `github:` map as written.
#[derive(Debug, Clone)]
pub(crate) struct GithubJob {
    pub map: Mapping,
}

impl GithubJob {
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key)
    }
}

/// Where a job wrote the keys its GitHub job is made from, so errors found
/// while rendering it name the user's key and line.
#[derive(Debug, Clone, Default)]
pub(crate) struct Written {
    /// The primary container is `image:` (else `docker[0]`).
    pub image: bool,
    /// Index in the rendered `docker` list where the job's `services` start.
    pub services_from: usize,
    /// Line of each top-level key the job wrote.
    pub lines: std::collections::BTreeMap<String, Option<usize>>,
}

impl Written {
    /// The user's key of entry `index` of the rendered `docker` list.
    pub(crate) fn docker_key(&self, index: usize) -> (String, &'static str) {
        if index >= self.services_from {
            (
                format!("services[{}]", index - self.services_from),
                "services",
            )
        } else if self.image {
            ("image".into(), "image")
        } else {
            (format!("docker[{index}]"), "docker")
        }
    }

    pub(crate) fn line(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied().flatten()
    }
}

/// A workflow's `github:` settings.
#[derive(Debug, Clone, Default)]
#[allow(
    dead_code,
    reason = "read by the GitHub workflow's `on:` and setup job (issue 13A2)"
)]
pub(crate) struct WorkflowGithub {
    /// GitHub's `on:` map replacing the default events (`push`, `pull_request`).
    pub on: Option<Mapping>,
    /// Events whose runs skip nothing.
    pub full_run_on: Vec<String>,
}

/// A job's `github:` map: a mapping of known GitHub job keys, none that
/// cigen owns; `env` and `strategy` maps (cigen merges into them), `steps`
/// a non-empty list. `error(keys)` names the file, line and key.
pub(crate) fn job(
    value: Option<&Value>,
    hashed: bool,
    error: &impl Fn(&[&str]) -> ConfigError,
) -> Result<Option<GithubJob>> {
    let Some(value) = value else {
        return Ok(None);
    };
    let Value::Mapping(map) = value else {
        return Err(error(&["github"])
            .message("`github` is a map of GitHub Actions job keys (`runs-on`, `env`, `steps`, …)")
            .into());
    };
    for (key, value) in map {
        let Some(key) = key.as_str() else {
            return Err(error(&["github"])
                .message("the keys of `github` are GitHub job keys (strings)")
                .into());
        };
        check_key(key, value, error)?;
        check_values(key, value, hashed, error)?;
        if hashed {
            check_hashed(key, value, error)?;
        }
    }
    Ok(Some(GithubJob { map: map.clone() }))
}

/// What a `github:` value may not hold: CircleCI's `<< pipeline.… >>`
/// (cigen writes the map as it is, so GitHub would see the text), and in
/// a hashed job `${{ inputs.… }}`, a value its hash cannot see.
fn check_values(
    key: &str,
    value: &Value,
    hashed: bool,
    error: &impl Fn(&[&str]) -> ConfigError,
) -> Result<()> {
    let mut texts = vec![];
    strings(value, &mut texts);
    for text in texts {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let why = if compact.contains("<<pipeline.") {
            "`<< pipeline.… >>` is CircleCI's templating: GitHub would see the text"
        } else if hashed && compact.contains("inputs.") && compact.contains("${{") {
            "a dispatch input read here is a value the job's hash cannot see, so a run with another value could skip the job"
        } else {
            continue;
        };
        return Err(error(&["github", key])
            .message(why)
            .hint(Some(
                "set it in the job's `environment` as `<< pipeline.parameters.P >>` (translated for GitHub, and covered by the hash) and read the variable"
                    .into(),
            ))
            .into());
    }
    Ok(())
}

/// Keys that would let a hashed job record a success it did not have: a
/// matrix of its own (each leg would save the marker alone; `parallelism`
/// records once every node passed) and `continue-on-error` (a failed job
/// then reports `success`, so its record job would save the marker).
fn check_hashed(key: &str, value: &Value, error: &impl Fn(&[&str]) -> ConfigError) -> Result<()> {
    let why = match key {
        "strategy" if value.get("matrix").is_some() => {
            "a hashed job cannot have a GitHub matrix of its own: each leg would record the job's success alone"
        }
        "continue-on-error" => {
            "a hashed job cannot continue on error: a failed job would report success and be recorded as passed"
        }
        _ => return Ok(()),
    };
    Err(error(&["github", key])
        .message(why)
        .hint(Some(
            "use `parallelism: N` (cigen records once every node passed), or make the job unhashed (no `source_files`)"
                .into(),
        ))
        .into())
}

fn strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(text) => out.push(text),
        Value::Sequence(items) => items.iter().for_each(|item| strings(item, out)),
        Value::Mapping(map) => map.values().for_each(|item| strings(item, out)),
        Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

fn check_key(key: &str, value: &Value, error: &impl Fn(&[&str]) -> ConfigError) -> Result<()> {
    let at = || error(&["github", key]);
    if OWNED_KEYS.contains(&key) {
        let why = match key {
            "name" => "the GitHub job's name is its cigen id",
            _ => "cigen writes it from `requires` and the skip",
        };
        return Err(at()
            .message(format!("`{key}` is cigen's to write: {why}"))
            .into());
    }
    if !JOB_KEYS.contains(&key) {
        return Err(at()
            .message(format!(
                "unknown GitHub job key `{key}`: expected one of {}",
                JOB_KEYS.join(", ")
            ))
            .hint(suggest(key, JOB_KEYS.iter().copied()))
            .into());
    }
    let shape_ok = match key {
        "env" | "strategy" => value.is_mapping(),
        "steps" => value.as_sequence().is_some_and(|steps| !steps.is_empty()),
        _ => true,
    };
    if !shape_ok {
        let expected = match key {
            "steps" => "a non-empty list of GitHub steps",
            _ => "a map (cigen merges its own entries into it)",
        };
        return Err(at().message(format!("`{key}` is {expected}")).into());
    }
    Ok(())
}

/// A workflow's `github:`: `on` a map of GitHub events, `full_run_on` event names.
pub(crate) fn workflow(
    raw: Option<&RawWorkflowGithub>,
    error: &impl Locate,
) -> Result<WorkflowGithub> {
    let Some(raw) = raw else {
        return Ok(WorkflowGithub::default());
    };
    let on = match &raw.on {
        None => None,
        Some(Value::Mapping(map)) if !map.is_empty() => Some(map.clone()),
        Some(_) => {
            return Err(error(&["github", "on"], None)
                .message("`on` is a non-empty map of GitHub events (`push: {branches: [main]}`, `schedule: [...]`)")
                .into());
        }
    };
    for event in &raw.full_run_on {
        let valid = !event.is_empty() && event.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if !valid {
            return Err(error(&["github", "full_run_on"], Some(event))
                .message(format!(
                    "`{event}` is not a GitHub event name (`push`, `schedule`, `workflow_dispatch`, …)"
                ))
                .into());
        }
    }
    Ok(WorkflowGithub {
        on,
        full_run_on: raw.full_run_on.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(keys: &[&str]) -> ConfigError {
        ConfigError::new(std::path::Path::new("job.yml"), keys.join("."), "")
    }

    fn job_error(text: &str) -> String {
        let value: Value = serde_yaml::from_str(text).expect("yaml");
        match job(Some(&value), true, &at) {
            Ok(_) => "ok".into(),
            Err(err) => err.to_string(),
        }
    }

    #[test]
    fn known_keys_pass_and_owned_or_unknown_keys_fail() {
        assert_eq!(
            job_error("{runs-on: x, env: {A: b}, steps: [{run: x}], timeout-minutes: 5}"),
            "ok"
        );
        assert!(job_error("{needs: [a]}").contains("`needs` is cigen's to write"));
        assert!(job_error("{if: x}").contains("`if` is cigen's to write"));
        assert!(job_error("{name: x}").contains("`name` is cigen's to write"));
        assert!(job_error("{timeout-minute: 5}").contains("did you mean `timeout-minutes`?"));
        assert!(job_error("{env: [a]}").contains("`env` is a map"));
        assert!(job_error("{steps: []}").contains("non-empty list"));
        assert!(job_error("[a]").contains("`github` is a map"));
    }
}
