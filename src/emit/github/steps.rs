//! A job's steps as GitHub Actions steps: CircleCI's step forms translated
//! one by one (`.cigen/commands/` inlined, `when`/`unless` turned into
//! `if:`), or an error naming file, line and key with the hint to write the
//! job's `github: {steps: …}` instead. Input: the model's normalised steps
//! (the `{name, run}` shorthand already expanded, `checkout` added);
//! output: the steps and whether the job needs Docker on the runner. Pure,
//! except that an error reads the job's file back for its line.
//!
//! Each translation lives beside this file: `templates` (`<< pipeline.… >>`
//! and cache keys), `commands` (inlining), `conditions` (`when`/`unless`),
//! `artifacts` (caches, workspace, stored files).

mod artifacts;
mod commands;
mod conditions;
pub(crate) mod templates;

use serde_yaml::{Mapping, Value};

use self::artifacts::Counters;
use self::conditions::Cond;
use crate::error::{ConfigError, Error, Result};
use crate::model::{Job, Project};
use crate::value::{Seg, render};

/// What the translation of one job variant's steps reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepContext<'a> {
    pub project: &'a Project,
    pub job: &'a Job,
    /// The variant's id (`build_amd64`): names its workspace and artifacts.
    pub variant: &'a str,
}

/// A job's translated steps.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Translated {
    pub steps: Vec<Value>,
    /// The job needs Docker on the runner itself (`setup_remote_docker`):
    /// it runs without `container:`.
    pub on_runner: bool,
}

/// Why a step cannot be translated, and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub message: String,
    pub hint: String,
}

/// The hint of every step cigen cannot translate.
pub(crate) const GITHUB_STEPS_HINT: &str = "write this job's GitHub steps yourself under `github: {steps: …}` (they replace the translated steps)";

/// How deep commands may call commands (a command using itself stops here).
pub(crate) const MAX_DEPTH: usize = 32;

/// CircleCI steps with no GitHub Actions counterpart.
const CIRCLECI_ONLY: &[&str] = &[
    "add_ssh_keys",
    "deploy",
    "install_signing_bundle",
    "with_tool_cache",
];

/// The job's steps, translated.
pub(crate) fn steps(ctx: &StepContext<'_>) -> Result<Translated> {
    let mut walk = Walk {
        ctx,
        out: vec![],
        on_runner: false,
        counters: Counters::default(),
    };
    for (index, step) in ctx.job.steps.iter().enumerate() {
        let at = At {
            index,
            path: vec![],
            via: vec![],
        };
        walk.step(step, &at, None, 0)?;
    }
    if walk.out.is_empty() {
        // GitHub requires a job to have steps; CircleCI's may all fold away
        // (`setup_remote_docker` alone, a `when` known false).
        walk.out.push(crate::value::mapping(&[
            ("name", "No step runs on GitHub".into()),
            ("run", "true".into()),
        ]));
    }
    Ok(Translated {
        steps: walk.out,
        on_runner: walk.on_runner,
    })
}

/// Where a step was written: its index in the job's steps, the path below
/// it in the job's file, and the commands it was inlined from (then the
/// path stays at the job's step that used the first of them).
#[derive(Debug, Clone)]
struct At {
    index: usize,
    path: Vec<Seg>,
    via: Vec<String>,
}

impl At {
    fn child(&self, seg: impl Into<Seg>) -> At {
        let mut at = self.clone();
        if at.via.is_empty() {
            at.path.push(seg.into());
        }
        at
    }
}

struct Walk<'c, 'a> {
    ctx: &'c StepContext<'a>,
    out: Vec<Value>,
    on_runner: bool,
    counters: Counters,
}

impl Walk<'_, '_> {
    fn step(&mut self, step: &Value, at: &At, guard: Option<&str>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.refuse(
                at,
                Refusal {
                    message: format!("commands nest deeper than {MAX_DEPTH} levels"),
                    hint: "a command that uses itself never ends: break the cycle".into(),
                },
            ));
        }
        match step {
            Value::Sequence(inner) => {
                for (index, item) in inner.iter().enumerate() {
                    self.step(item, &at.child(index), guard, depth + 1)?;
                }
                Ok(())
            }
            Value::String(name) => self.named(name, &Value::Null, at, guard, depth),
            Value::Mapping(map) if map.len() == 1 => {
                let (name, body) = map.iter().next().expect("one entry");
                let name = name.as_str().unwrap_or_default();
                self.named(name, body, &at.child(name), guard, depth)
            }
            _ => Err(self.refuse(
                at,
                Refusal {
                    message: "a step is a name or a map of one step name to its body".into(),
                    hint: GITHUB_STEPS_HINT.into(),
                },
            )),
        }
    }

    fn named(
        &mut self,
        name: &str,
        body: &Value,
        at: &At,
        guard: Option<&str>,
        depth: usize,
    ) -> Result<()> {
        match name {
            "when" | "unless" => self.conditional(name == "unless", body, at, guard, depth),
            "setup_remote_docker" => {
                self.on_runner = true;
                Ok(())
            }
            _ if CIRCLECI_ONLY.contains(&name) => Err(self.refuse(
                at,
                Refusal {
                    message: format!(
                        "`{name}` is a CircleCI step with no GitHub Actions equivalent"
                    ),
                    hint: GITHUB_STEPS_HINT.into(),
                },
            )),
            _ if is_builtin(name) => self.builtin(name, body, at, guard),
            _ => match self.ctx.project.commands.get(name) {
                Some(command) => self.command(name, command, body, at, guard, depth),
                None => Err(self.refuse(at, not_a_step(name))),
            },
        }
    }

    fn conditional(
        &mut self,
        unless: bool,
        body: &Value,
        at: &At,
        guard: Option<&str>,
        depth: usize,
    ) -> Result<()> {
        let condition = body.get("condition").unwrap_or(&Value::Null);
        let mut cond = conditions::condition(self.ctx.project, condition)
            .map_err(|refusal| self.refuse(&at.child("condition"), refusal))?;
        if unless {
            cond = cond.not();
        }
        let inner_guard = match (cond, guard) {
            (Cond::Known(false), _) => return Ok(()),
            (Cond::Known(true), guard) => guard.map(str::to_string),
            (Cond::Expr(expr), None) => Some(expr),
            (Cond::Expr(expr), Some(outer)) => Some(format!("({outer}) && ({expr})")),
        };
        let steps_at = at.child("steps");
        match body.get("steps") {
            Some(Value::Sequence(inner)) => {
                for (index, item) in inner.iter().enumerate() {
                    self.step(
                        item,
                        &steps_at.child(index),
                        inner_guard.as_deref(),
                        depth + 1,
                    )?;
                }
                Ok(())
            }
            Some(one) => self.step(one, &steps_at, inner_guard.as_deref(), depth + 1),
            None => Ok(()),
        }
    }

    fn command(
        &mut self,
        name: &str,
        command: &Value,
        args: &Value,
        at: &At,
        guard: Option<&str>,
        depth: usize,
    ) -> Result<()> {
        let inner =
            commands::inline(name, command, args).map_err(|refusal| self.refuse(at, refusal))?;
        let mut inside = at.clone();
        inside.via.push(name.to_string());
        for step in &inner {
            self.step(step, &inside, guard, depth + 1)?;
        }
        Ok(())
    }

    fn builtin(&mut self, name: &str, body: &Value, at: &At, guard: Option<&str>) -> Result<()> {
        let ctx = self.ctx;
        let written = body.clone();
        let (body, values) = if name == "run" {
            let job_shell = ctx.job.executor_value("shell").and_then(Value::as_str);
            templates::run_values(ctx.project, body, job_shell)
                .map_err(|refusal| self.refuse(at, refusal))?
        } else {
            (body.clone(), vec![])
        };
        let body =
            templates::value(ctx.project, &body).map_err(|refusal| self.refuse(at, refusal))?;
        let translated = match name {
            "run" => run(&body)
                .map(|steps| with_env(steps, &values))
                .map_err(|(key, refusal)| self.refuse(&at.child(key), refusal))?,
            "checkout" => {
                checkout(&body).map_err(|(key, refusal)| self.refuse(&at.child(key), refusal))?
            }
            "save_cache" => artifacts::save_cache(&body)
                .map_err(|refusal| self.refuse(&at.child("key"), refusal))?,
            "restore_cache" => {
                let raw_key = first_key(&written);
                artifacts::restore_cache(ctx, &body, &raw_key)
                    .map_err(|refusal| self.refuse(at, refusal))?
            }
            "persist_to_workspace" => artifacts::persist(ctx, &mut self.counters, &body),
            "attach_workspace" => artifacts::attach(&body),
            "store_artifacts" => artifacts::store(ctx, &mut self.counters, &body, false),
            "store_test_results" => artifacts::store(ctx, &mut self.counters, &body, true),
            _ => return Err(self.refuse(at, not_a_step(name))),
        };
        let condition = if_condition(body.get("when").and_then(Value::as_str), guard);
        for step in translated {
            self.out.push(with_if(step, condition.as_deref()));
        }
        Ok(())
    }

    /// The error for `refusal` at `at`: the job's file, the line of the
    /// step as written and its key path (`steps[2].run.background`).
    fn refuse(&self, at: &At, refusal: Refusal) -> Error {
        let job = self.ctx.job;
        let written = job.written_in(&self.ctx.project.root);
        let steps_written = written.as_ref().and_then(|w| {
            w.value
                .get("steps")
                .and_then(Value::as_sequence)
                .map(Vec::len)
        });
        // The model adds `checkout` in front of steps that do not start with it.
        let added = job
            .steps
            .len()
            .saturating_sub(steps_written.unwrap_or(job.steps.len()));
        let mut path = vec![
            Seg::from("steps"),
            Seg::Index(at.index.saturating_sub(added)),
        ];
        path.extend(at.path.iter().cloned());
        let line = written.and_then(|w| w.line_at(&path));
        let message = match at.via.as_slice() {
            [] => refusal.message,
            via => format!(
                "in command {}: {}",
                via.iter()
                    .map(|name| format!("`{name}`"))
                    .collect::<Vec<_>>()
                    .join(" → "),
                refusal.message
            ),
        };
        ConfigError::new(&job.file, render(&path), message)
            .line(line)
            .hint(Some(refusal.hint))
            .into()
    }
}

fn is_builtin(name: &str) -> bool {
    crate::model::steps::is_builtin(name)
}

fn not_a_step(name: &str) -> Refusal {
    match name.split_once('/') {
        Some((orb, _)) => Refusal {
            message: format!(
                "`{name}` is a step of orb `{orb}`: GitHub Actions cannot run CircleCI orbs"
            ),
            hint: GITHUB_STEPS_HINT.into(),
        },
        None if name.contains("<<") => Refusal {
            message: format!("`{name}` is a template outside any command"),
            hint: "only a command's steps have parameters".into(),
        },
        None => Refusal {
            message: format!("`{name}` is neither a CircleCI step cigen translates nor a command"),
            hint: GITHUB_STEPS_HINT.into(),
        },
    }
}

/// The first of `restore_cache`'s keys as written.
fn first_key(body: &Value) -> String {
    match (body.get("keys"), body.get("key")) {
        (Some(Value::Sequence(keys)), _) => keys
            .first()
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        (Some(Value::String(key)), _) | (None, Some(Value::String(key))) => {
            key.lines().next().unwrap_or_default().to_string()
        }
        _ => String::new(),
    }
}

/// A step's `when` (`always`, `on_fail`) and the enclosing conditions as
/// one `if:` expression; `on_success` is GitHub's default.
fn if_condition(when: Option<&str>, guard: Option<&str>) -> Option<String> {
    let status = match when {
        Some("always") => Some("always()"),
        Some("on_fail") => Some("failure()"),
        _ => None,
    };
    match (status, guard) {
        (None, None) => None,
        (Some(status), None) => Some(status.to_string()),
        (None, Some(guard)) => Some(guard.to_string()),
        (Some(status), Some(guard)) => Some(format!("{status} && ({guard})")),
    }
}

/// `step` with `if:` after its name. An expression starting with `!` must
/// be wrapped in `${{ }}` (YAML would read `!` as a tag).
fn with_if(step: Value, condition: Option<&str>) -> Value {
    let (Some(condition), Value::Mapping(map)) = (condition, &step) else {
        return step;
    };
    let condition = if condition.starts_with('!') {
        format!("${{{{ {condition} }}}}")
    } else {
        condition.to_string()
    };
    let mut out = Mapping::new();
    if let Some(name) = map.get("name") {
        out.insert("name".into(), name.clone());
    }
    out.insert("if".into(), condition.into());
    for (key, value) in map {
        if key.as_str() != Some("name") {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Mapping(out)
}

type Refused = (&'static str, Refusal);

/// `run` (a command, or its map; https://circleci.com/docs/reference/configuration-reference/#run).
fn run(body: &Value) -> Result<Vec<Value>, Refused> {
    let Value::Mapping(run) = body else {
        let mut step = Mapping::new();
        step.insert("run".into(), body.clone());
        return Ok(vec![Value::Mapping(step)]);
    };
    let mut step = Mapping::new();
    if let Some(name) = run.get("name") {
        step.insert("name".into(), name.clone());
    }
    if let Some(directory) = run.get("working_directory") {
        step.insert("working-directory".into(), directory.clone());
    }
    if let Some(shell) = run.get("shell").and_then(Value::as_str) {
        step.insert("shell".into(), shell_of(shell).into());
    }
    if let Some(Value::Mapping(environment)) = run.get("environment") {
        step.insert("env".into(), Value::Mapping(env_strings(environment)));
    }
    for (key, value) in run {
        run_key(key.as_str().unwrap_or_default(), value)?;
    }
    step.insert(
        "run".into(),
        run.get("command").cloned().unwrap_or(Value::Null),
    );
    Ok(vec![Value::Mapping(step)])
}

/// `steps` with `values` (variable, expression) added to each step's `env`.
fn with_env(steps: Vec<Value>, values: &[(String, String)]) -> Vec<Value> {
    if values.is_empty() {
        return steps;
    }
    steps
        .into_iter()
        .map(|mut step| {
            if let Value::Mapping(map) = &mut step {
                let env = map
                    .entry("env".into())
                    .or_insert_with(|| Value::Mapping(Mapping::new()));
                if let Value::Mapping(env) = env {
                    for (name, expression) in values {
                        env.insert(name.clone().into(), expression.clone().into());
                    }
                }
            }
            step
        })
        .collect()
}

/// Environment values as GitHub's schema wants them: strings (`null`
/// is the empty string, as CircleCI sets it).
fn env_strings(environment: &Mapping) -> Mapping {
    environment
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Value::Null => Value::from(""),
                Value::Bool(flag) => Value::from(flag.to_string()),
                Value::Number(number) => Value::from(number.to_string()),
                other => other.clone(),
            };
            (name.clone(), text)
        })
        .collect()
}

/// Refuses a `run` key GitHub cannot express; the translated keys pass.
fn run_key(key: &str, value: &Value) -> Result<(), Refused> {
    let refuse = |key: &'static str, message: &str, hint: &str| {
        Err((
            key,
            Refusal {
                message: message.to_string(),
                hint: hint.to_string(),
            },
        ))
    };
    match key {
        "command" | "name" | "working_directory" | "shell" | "environment" | "when" => Ok(()),
        // GitHub has no silence timeout; the job's `timeout-minutes` bounds the step.
        "no_output_timeout" => Ok(()),
        "background" if value.as_bool() == Some(false) => Ok(()),
        "background" => refuse(
            "background",
            "a GitHub step cannot run in the background",
            "start the process with `&` inside a `run` command (`nohup server > server.log 2>&1 &`), or write `github: {steps: …}`",
        ),
        "max_auto_reruns" | "auto_rerun_delay" => refuse(
            "max_auto_reruns",
            "GitHub Actions cannot re-run a single step",
            "retry inside the command (a shell loop), or write `github: {steps: …}`",
        ),
        "teardown" => refuse(
            "teardown",
            "GitHub Actions has no teardown steps",
            "add a later step with `when: always`, or write `github: {steps: …}`",
        ),
        "pwd" => refuse(
            "pwd",
            "`pwd` has no GitHub Actions equivalent",
            GITHUB_STEPS_HINT,
        ),
        _ => refuse(
            "path",
            "this key has no GitHub Actions equivalent",
            GITHUB_STEPS_HINT,
        ),
    }
}

/// A CircleCI shell (`/bin/bash -eo pipefail`) as GitHub's: a known name
/// as is, any other command with `{0}`, the script's path
/// (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#custom-shell).
fn shell_of(shell: &str) -> String {
    const KNOWN: &[&str] = &["bash", "sh", "pwsh", "python", "cmd", "powershell"];
    if KNOWN.contains(&shell) || shell.contains("{0}") {
        shell.to_string()
    } else {
        format!("{shell} {{0}}")
    }
}

/// `checkout` → `actions/checkout@v4`; `path` must stay inside the workspace.
fn checkout(body: &Value) -> Result<Vec<Value>, Refused> {
    let mut with = Mapping::new();
    if let Some(path) = body.get("path").and_then(Value::as_str) {
        if path.starts_with('/') || path.starts_with('~') {
            return Err((
                "path",
                Refusal {
                    message: format!(
                        "`{path}` is outside the workspace: actions/checkout places the repository under it only"
                    ),
                    hint: "use a path relative to the working directory".into(),
                },
            ));
        }
        with.insert("path".into(), path.into());
    }
    match body.get("method").and_then(Value::as_str) {
        Some("full") => {
            with.insert("fetch-depth".into(), 0.into());
        }
        Some("blobless") => {
            with.insert("fetch-depth".into(), 0.into());
            with.insert("filter".into(), "blob:none".into());
        }
        _ => {}
    }
    if let Some(depth) = body.get("depth") {
        with.insert("fetch-depth".into(), depth.clone());
    }
    let mut step = Mapping::new();
    step.insert("uses".into(), "actions/checkout@v4".into());
    if !with.is_empty() {
        step.insert("with".into(), Value::Mapping(with));
    }
    Ok(vec![Value::Mapping(step)])
}

#[cfg(test)]
mod tests;
