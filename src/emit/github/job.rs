//! One job variant as the body of a GitHub Actions job, without the per-run
//! wiring the workflow adds (`needs`, `if`, `CIGEN_JOB_HASH`, the record
//! steps): `runs-on` from the architecture, the executor as `container:`
//! and `services:` (or the runner itself for `machine` and
//! `setup_remote_docker`), `env`, `defaults.run`, a `parallelism` matrix,
//! the translated steps (or the job's `github.steps`), then the job's
//! `github:` map merged last. This body is also what the GitHub job hash
//! covers. Pure: model in, mapping out; it prints nothing (`notes` returns
//! the notes for `cmd/` to print).

use serde_yaml::{Mapping, Value};

use super::steps::{self, StepContext};
use crate::error::{ConfigError, Error, Result};
use crate::model::github::GithubJob;
use crate::model::{Job, Project};
use crate::plan::{NodeKind, WorkflowPlan};

/// The matrix axis a `parallelism: N` job runs on.
pub(crate) const NODE_AXIS: &str = "cigen_node";

/// The GitHub job body of `job` on `arch` (variant id `variant`).
pub(crate) fn render(project: &Project, job: &Job, arch: &str, variant: &str) -> Result<Mapping> {
    let github = job.github.as_ref();
    let overrides = |key: &str| github.is_some_and(|g| g.get(key).is_some());
    let mut body = Mapping::new();
    body.insert("runs-on".into(), runs_on(project, job, arch, &overrides)?);
    let (steps, on_runner) = match github.and_then(|g| g.get("steps")) {
        Some(steps) => (steps.clone(), false),
        None => {
            let translated = steps::steps(&StepContext {
                project,
                job,
                variant,
            })?;
            (Value::Sequence(translated.steps), translated.on_runner)
        }
    };
    let docker = job.executor_value("docker").and_then(Value::as_sequence);
    if let Some(docker) = docker {
        if !on_runner
            && !overrides("container")
            && let Some(primary) = docker.first()
        {
            body.insert("container".into(), container(job, 0, primary)?.into());
        }
        if !overrides("services") && docker.len() > 1 {
            body.insert("services".into(), services(job, &docker[1..])?.into());
        }
    }
    if let Some(defaults) = defaults(job) {
        body.insert("defaults".into(), defaults.into());
    }
    let nodes = nodes(job)?;
    if let Some(n) = nodes {
        body.insert("strategy".into(), matrix(n).into());
    }
    let env = env(project, job, arch, nodes)?;
    if !env.is_empty() {
        body.insert("env".into(), env.into());
    }
    body.insert("steps".into(), steps);
    if let Some(github) = github {
        merge(&mut body, github);
    }
    Ok(body)
}

/// One note per job with a `context` (and no `github.environment`) among
/// the variants `plans` render: GitHub has no contexts.
pub(crate) fn notes(project: &Project, plans: &[WorkflowPlan]) -> Vec<String> {
    let mut notes = vec![];
    let mut seen = std::collections::BTreeSet::new();
    for (workflow, plan) in project.workflows.iter().zip(plans) {
        for node in &plan.nodes {
            let NodeKind::Variant { job, .. } = &node.kind else {
                continue;
            };
            let Some(job) = workflow.job(job) else {
                continue;
            };
            let environment = job.github.as_ref().and_then(|g| g.get("environment"));
            if job.context.is_empty()
                || environment.is_some()
                || !seen.insert((&workflow.name, &job.id))
            {
                continue;
            }
            let line = job.written.line("context").or(job.line);
            let at = crate::error::place(&job.file, line);
            notes.push(format!(
                "note: {at}: job `{}` uses context {}, which GitHub Actions does not have: put its secrets in a GitHub environment and name it in `github: {{environment: NAME}}`",
                job.id,
                job.context
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    notes
}

/// The architecture's runner labels; a `macos` job needs its own
/// (`github.runs-on`), since cigen knows only the Linux runners.
fn runs_on(
    project: &Project,
    job: &Job,
    arch: &str,
    overrides: &impl Fn(&str) -> bool,
) -> Result<Value> {
    if job.executor_value("macos").is_some() && !overrides("runs-on") {
        return Err(fault(
            job,
            "macos",
            "macos",
            "a `macos` job needs a macOS runner, which its architecture does not name",
        )
        .hint(Some(
            "add `github: {runs-on: macos-15}` (or another macOS runner label) to the job".into(),
        ))
        .into());
    }
    project
        .settings
        .runs_on(arch)
        .ok_or_else(|| Error::Internal(format!("architecture `{arch}` has no GitHub runner")))
}

/// A CircleCI docker image entry as a GitHub container: `image`,
/// `credentials` (from `auth`), `env` (from `environment`), `options`
/// (from `user`). What GitHub cannot express is an error.
/// <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idcontainer>
fn container(job: &Job, index: usize, entry: &Value) -> Result<Mapping> {
    let (key, top) = job.written.docker_key(index);
    let at = |sub: &str| fault(job, &format!("{key}.{sub}"), top, "");
    let mut out = Mapping::new();
    let Some(map) = entry.as_mapping() else {
        return Err(fault(job, &key, top, "a docker entry is a map with `image`").into());
    };
    for (name, value) in map {
        match name.as_str().unwrap_or_default() {
            "image" => {
                out.insert("image".into(), value.clone());
            }
            "name" => {}
            "auth" => {
                out.insert("credentials".into(), credentials(value, &at)?.into());
            }
            "environment" => {
                let Some(env) = value.as_mapping() else {
                    return Err(at("environment")
                        .message("GitHub takes a container's environment as a map")
                        .into());
                };
                out.insert("env".into(), env.clone().into());
            }
            "user" => {
                let user = value.as_str().unwrap_or_default();
                out.insert("options".into(), format!("--user {user}").into());
            }
            other => {
                let what = if index == 0 { "container" } else { "services" };
                return Err(at(other)
                    .message(format!("GitHub Actions cannot set a container's `{other}`"))
                    .hint(Some(format!(
                        "write the job's `github: {{{what}: …}}` instead"
                    )))
                    .into());
            }
        }
    }
    Ok(out)
}

/// `auth: {username, password}` as GitHub `credentials`: a `$NAME` (or
/// `${NAME}`) becomes the secret `NAME`; a literal username stays, a
/// literal password is refused (it would be written into the workflow).
fn credentials(auth: &Value, at: &impl Fn(&str) -> ConfigError) -> Result<Mapping> {
    let mut out = Mapping::new();
    for field in ["username", "password"] {
        let text = auth.get(field).and_then(Value::as_str).unwrap_or_default();
        let value = match variable(text) {
            Some(name) => format!("${{{{ secrets.{name} }}}}"),
            None if field == "username" && !text.is_empty() => text.to_string(),
            None => {
                return Err(at(&format!("auth.{field}"))
                    .message(format!(
                        "GitHub reads a registry {field} from a secret: expected `$NAME` (the secret's name), not a literal value"
                    ))
                    .hint(Some("store it as a repository secret and write `$NAME` here".into()))
                    .into());
            }
        };
        out.insert(field.into(), value.into());
    }
    Ok(out)
}

/// `NAME` of `$NAME` or `${NAME}`.
fn variable(text: &str) -> Option<&str> {
    let name = text.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    valid.then_some(name)
}

/// The extra docker images as GitHub services, each under its `name`, else
/// the image's name (`postgres` of `cimg/postgres:16.2`), made unique
/// with `-2`, `-3`, … in order.
fn services(job: &Job, entries: &[Value]) -> Result<Mapping> {
    let mut out = Mapping::new();
    for (offset, entry) in entries.iter().enumerate() {
        let service = container(job, offset + 1, entry)?;
        let base = entry
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| image_name(entry), service_id);
        let mut id = base.clone();
        let mut n = 2;
        while out.contains_key(id.as_str()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        out.insert(id.into(), service.into());
    }
    Ok(out)
}

fn image_name(entry: &Value) -> String {
    let image = entry
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let last = image.rsplit('/').next().unwrap_or(image);
    let name = last.split([':', '@']).next().unwrap_or(last);
    service_id(name)
}

/// A valid service id: letters, digits, `-` and `_`, starting with a letter or `_`.
fn service_id(name: &str) -> String {
    let mut id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id.insert(0, '_');
    }
    id
}

/// `working_directory` and `shell` as `defaults.run`.
fn defaults(job: &Job) -> Option<Mapping> {
    let mut run = Mapping::new();
    if let Some(dir) = job.executor_value("working_directory") {
        run.insert("working-directory".into(), dir.clone());
    }
    if let Some(shell) = job.executor_value("shell") {
        let command = match shell {
            Value::Sequence(words) => words
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            other => other.as_str().unwrap_or_default().to_string(),
        };
        // GitHub runs a custom shell as a command with `{0}` for the script.
        run.insert("shell".into(), format!("{command} {{0}}").into());
    }
    (!run.is_empty()).then(|| {
        let mut defaults = Mapping::new();
        defaults.insert("run".into(), run.into());
        defaults
    })
}

/// `parallelism: N` (N > 1): N matrix nodes. GitHub expands a matrix when
/// the workflow starts, so the count must be a number.
fn nodes(job: &Job) -> Result<Option<i64>> {
    let Some(value) = job.executor_value("parallelism") else {
        return Ok(None);
    };
    match value.as_i64() {
        Some(n) => Ok((n > 1).then_some(n)),
        None => Err(fault(job, "parallelism", "parallelism", "GitHub Actions needs a number here: the matrix of a parallel job is fixed when the workflow is written")
            .hint(Some("write the number (or give the job `github: {strategy: …}`)".into()))
            .into()),
    }
}

fn matrix(n: i64) -> Mapping {
    let mut matrix = Mapping::new();
    matrix.insert(
        NODE_AXIS.into(),
        Value::Sequence((0..n).map(Value::from).collect()),
    );
    let mut strategy = Mapping::new();
    strategy.insert("fail-fast".into(), false.into());
    strategy.insert("matrix".into(), matrix.into());
    strategy
}

/// `DOCKER_ARCH` (as on CircleCI), the job's `environment` (a
/// `<< pipeline.… >>` in a value as its GitHub expression: `env` is not a
/// script), and the node index and total of a matrix job under CircleCI's
/// names.
fn env(project: &Project, job: &Job, arch: &str, nodes: Option<i64>) -> Result<Mapping> {
    let mut env = Mapping::new();
    if job.arch_declared {
        env.insert("DOCKER_ARCH".into(), arch.into());
    }
    for (key, value) in &job.environment {
        let value = steps::templates::text(project, value).map_err(|refusal| {
            fault(
                job,
                &format!("environment.{key}"),
                "environment",
                &refusal.message,
            )
            .hint(Some(refusal.hint))
        })?;
        env.insert(key.as_str().into(), value.into());
    }
    if let Some(n) = nodes {
        env.insert(
            "CIRCLE_NODE_INDEX".into(),
            format!("${{{{ matrix.{NODE_AXIS} }}}}").into(),
        );
        env.insert("CIRCLE_NODE_TOTAL".into(), n.to_string().into());
    }
    Ok(env)
}

/// The job's `github:` map over the body: `env` and `strategy` merged key
/// by key (a `strategy.matrix` too), every other key replaced.
fn merge(body: &mut Mapping, github: &GithubJob) {
    for (key, value) in &github.map {
        let merged = match (key.as_str(), body.get(key), value) {
            (Some("env"), Some(Value::Mapping(ours)), Value::Mapping(theirs)) => {
                Value::Mapping(merge_maps(ours, theirs, false))
            }
            (Some("strategy"), Some(Value::Mapping(ours)), Value::Mapping(theirs)) => {
                Value::Mapping(merge_maps(ours, theirs, true))
            }
            _ => value.clone(),
        };
        body.insert(key.clone(), merged);
    }
}

fn merge_maps(ours: &Mapping, theirs: &Mapping, matrix: bool) -> Mapping {
    let mut out = ours.clone();
    for (key, value) in theirs {
        let value = match (matrix, key.as_str(), out.get(key), value) {
            (true, Some("matrix"), Some(Value::Mapping(a)), Value::Mapping(b)) => {
                Value::Mapping(merge_maps(a, b, false))
            }
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    out
}

/// An error about the job's key `key`, at the line of its top-level key `top`.
fn fault(job: &Job, key: &str, top: &str, message: &str) -> ConfigError {
    ConfigError::new(&job.file, key, message).line(job.written.line(top).or(job.line))
}
