//! The validated model: settings, commands, workflows, stages and jobs with
//! every reference resolved and every default applied. Built from
//! `config::Loaded`; everything downstream (plan, emit, setup) reads only
//! this. All configuration errors that need meaning, not just shape, are
//! raised here, each naming file, line and key.

mod empty_stage;
mod environment;
pub(crate) mod github;
mod hash_checks;
pub(crate) use hash_checks::check_planned;
mod ids;
mod job;
mod job_shapes;
mod or_dependency;
mod parameters;
pub(crate) mod refs;
mod requires;
pub(crate) mod settings;
mod shape;
mod shape_text;
mod source_pattern;
mod step_shapes;
pub(crate) mod steps;
mod workflow;

use std::collections::HashMap;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde_yaml::Value;

pub(crate) use refs::Refs;
pub(crate) use requires::Target;
pub(crate) use settings::Settings;

use crate::config::{Loaded, Source};
use crate::error::{ConfigError, Result, suggest};
use crate::value::Seg;

#[derive(Debug, Clone)]
pub struct Project {
    pub(crate) root: PathBuf,
    pub(crate) settings: Settings,
    /// Command name -> CircleCI command body (steps normalised), sorted by name.
    pub(crate) commands: IndexMap<String, Value>,
    /// Sorted by name.
    pub workflows: Vec<Workflow>,
    pub(crate) warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Workflow {
    pub name: String,
    /// Boolean pipeline parameter that runs this workflow from `config.yml`.
    pub trigger: Option<String>,
    /// Position in declaration order: the `.cigen/workflows/` directories
    /// by name, then `cigen.yml`'s `workflows:` as written. Of two immediate
    /// workflows whose parameters are both true, the first declared runs.
    pub(crate) declared: usize,
    pub(crate) when: Option<Value>,
    /// `github: {on, full_run_on}` (GitHub Actions only).
    pub(crate) github: github::WorkflowGithub,
    /// Declared order; the default stage (jobs directly in `jobs/`) is not listed.
    pub(crate) stages: Vec<Stage>,
    /// In stage order (default stage first), then by id.
    pub(crate) jobs: Vec<Job>,
    /// Job id -> position in `jobs`.
    index: HashMap<String, usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Stage {
    pub name: String,
    pub requires: Vec<String>,
    /// `approval: true`. Off for a stage with no jobs that nothing requires:
    /// its approval would gate nothing (`empty_stage`).
    pub approval: bool,
    /// No job is in this stage: requiring it means requiring its approval
    /// or, without one, what it requires.
    pub empty: bool,
    /// Where it is declared (the workflow's config), for messages.
    pub file: PathBuf,
    pub line: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Job {
    /// `<stage>_<name>`, or `<name>` in the default stage.
    pub id: String,
    pub stage: Option<String>,
    /// Where the job was written, for errors raised downstream: its file,
    /// its key path in it (`workflows.main.jobs.lint` in `cigen.yml`, none
    /// for a job file of its own) and that key's line.
    pub file: PathBuf,
    pub keys: Vec<String>,
    pub line: Option<usize>,
    /// The job's architectures; one entry unless it is a multi-arch job.
    pub archs: Vec<String>,
    /// True when the job lists `architectures:` (variants get DOCKER_ARCH and the arch's resource class).
    pub arch_declared: bool,
    /// The CircleCI job body without resource class, environment and steps.
    pub executor: Vec<(String, Value)>,
    pub resource_class: Option<String>,
    pub environment: IndexMap<String, String>,
    pub steps: Vec<Value>,
    /// Commands the steps use, directly or through other commands, sorted.
    pub commands: Vec<String>,
    /// Orbs, pipeline values and commit-bound variables the rendered job
    /// (with its commands) refers to.
    pub refs: Refs,
    pub context: Vec<String>,
    pub filters: Option<Value>,
    /// Globs with `@group` references expanded.
    pub source_files: Vec<String>,
    pub requires: Vec<Requirement>,
    pub requires_any: Vec<Trigger>,
    /// The job has its own approval gate `approve_<id>` (`approval: true` or `requires_any`).
    pub gated: bool,
    /// `approval: true`: the gate may be approved by hand, not only by a trigger.
    pub approval: bool,
    pub persists_workspace: bool,
    pub attaches_workspace: bool,
    /// `github:`: GitHub job keys merged last into the job's GitHub job.
    pub github: Option<github::GithubJob>,
    /// Where the job wrote its executor keys (for the GitHub job's errors).
    pub written: github::Written,
}

#[derive(Debug, Clone)]
pub(crate) struct Requirement {
    pub target: Target,
    /// CircleCI job statuses (`[success, failed, canceled]`); `None` means success.
    pub statuses: Option<Vec<String>>,
}

/// One entry of `requires_any`, with the line it was written on.
#[derive(Debug, Clone)]
pub(crate) struct Trigger {
    pub target: Target,
    pub line: Option<usize>,
}

/// A job as its file holds it, read again for an error's position: the
/// file's text and the job's own mapping in it.
pub(crate) struct WrittenJob<'a> {
    job: &'a Job,
    text: String,
    pub value: Value,
}

impl WrittenJob<'_> {
    /// The line of `path` (from the job's own mapping) in the file.
    pub(crate) fn line_at(&self, path: &[Seg]) -> Option<usize> {
        let full: Vec<Seg> = self
            .job
            .keys
            .iter()
            .map(|key| Seg::from(key.as_str()))
            .chain(path.iter().cloned())
            .collect();
        Source::inline(self.job.file.clone(), self.text.clone()).line_at(&full)
    }
}

impl Job {
    /// The job in its file under `root` (error paths only: it reads the
    /// file), or `None` when the file no longer reads as it did.
    pub(crate) fn written_in(&self, root: &std::path::Path) -> Option<WrittenJob<'_>> {
        let text = std::fs::read_to_string(root.join(&self.file)).ok()?;
        let document: Value = serde_yaml::from_str(&text).ok()?;
        let value = self
            .keys
            .iter()
            .try_fold(&document, |value, key| value.get(key))?
            .clone();
        Some(WrittenJob {
            job: self,
            text,
            value,
        })
    }

    pub(crate) fn hashed(&self) -> bool {
        !self.source_files.is_empty()
    }

    /// CircleCI runs every step of a job with `parallelism` > 1 in each of
    /// its containers (<https://circleci.com/docs/parallelism-faster-jobs/>),
    /// so a passing container says nothing about the others. A value that
    /// is not an integer (`<< pipeline.parameters.n >>`) may be anything at
    /// run time: it counts as parallel.
    pub(crate) fn parallel(&self) -> bool {
        self.executor_value("parallelism")
            .is_some_and(|value| value.as_i64().is_none_or(|n| n > 1))
    }

    /// The executor key `key` of the job (`docker`, `shell`, `parallelism`, …).
    pub(crate) fn executor_value(&self, key: &str) -> Option<&Value> {
        self.executor
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value)
    }

    /// A hashed job of the dynamic workflow records its own success in its
    /// last steps, unless it is parallel: then its `<id>_record` job does.
    pub(crate) fn records_apart(&self) -> bool {
        self.hashed() && self.parallel()
    }

    pub(crate) fn multi_arch(&self) -> bool {
        self.archs.len() > 1
    }

    pub(crate) fn variant_id(&self, arch: &str) -> String {
        if self.multi_arch() {
            format!("{}_{arch}", self.id)
        } else {
            self.id.clone()
        }
    }

    pub(crate) fn gate_id(&self) -> String {
        format!("approve_{}", self.id)
    }

    /// The shim that approves this job's gate once `target` passes.
    pub(crate) fn shim_id(&self, target: &Target) -> String {
        format!("{}_after_{}", self.gate_id(), target.name())
    }
}

impl Workflow {
    pub(crate) fn stage(&self, name: &str) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.name == name)
    }

    pub(crate) fn job(&self, id: &str) -> Option<&Job> {
        self.index.get(id).map(|index| &self.jobs[*index])
    }

    pub(crate) fn new(
        name: String,
        trigger: Option<String>,
        when: Option<Value>,
        stages: Vec<Stage>,
        jobs: Vec<Job>,
    ) -> Workflow {
        let index = jobs
            .iter()
            .enumerate()
            .map(|(i, job)| (job.id.clone(), i))
            .collect();
        Workflow {
            name,
            trigger,
            declared: 0,
            when,
            github: github::WorkflowGithub::default(),
            stages,
            jobs,
            index,
        }
    }
}

impl Project {
    pub(crate) fn workflow(&self, name: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|workflow| workflow.name == name)
    }

    pub(crate) fn dynamic_workflow(&self) -> Option<&Workflow> {
        self.workflow(&self.settings.dynamic_workflow)
    }
}

/// The id of the job that records variant `variant`'s success (a parallel
/// hashed job, DESIGN §3).
pub(crate) fn record_id(variant: &str) -> String {
    format!("{variant}_record")
}

/// Builds the error for a key of the file being read: the key path (`[]`
/// for the document) and the text to point the line at, if any. One name
/// for the closures the job, workflow and GitHub builders pass around.
pub(crate) trait Locate: Fn(&[&str], Option<&str>) -> ConfigError {}

impl<F: Fn(&[&str], Option<&str>) -> ConfigError> Locate for F {}

/// CircleCI accepts job names starting with a letter, then letters, digits,
/// `_` and `-`, no spaces
/// (<https://circleci.com/docs/guides/orchestrate/jobs-steps/#job-naming>);
/// cigen also keeps them to `ids::MAX_NAME` characters.
pub(crate) fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && name.len() <= ids::MAX_NAME
}

pub fn build(loaded: &Loaded) -> Result<Project> {
    let settings = settings::build(loaded)?;
    let mut warnings = vec![];
    let commands = commands(loaded, &settings)?;
    let mut workflows = vec![];
    for (declared, loaded_workflow) in loaded.workflows.iter().enumerate() {
        let mut workflow =
            workflow::build_workflow(loaded, &settings, &commands, loaded_workflow, &mut warnings)?;
        workflow.declared = declared;
        workflows.push(workflow);
    }
    workflows.sort_by(|a, b| a.name.cmp(&b.name));
    check_dynamic_workflow(loaded, &settings, &workflows)?;
    for workflow in &workflows {
        check_trigger(loaded, &settings, workflow)?;
    }
    hash_checks::check(loaded, &settings, &workflows, &mut warnings)?;
    warnings.sort();
    warnings.dedup();
    Ok(Project {
        root: loaded.root.clone(),
        settings,
        commands,
        workflows,
        warnings,
    })
}

/// Command name → body with its steps normalised, sorted by name. A
/// command's name is a valid name no built-in step has, defined once.
fn commands(loaded: &Loaded, settings: &Settings) -> Result<IndexMap<String, Value>> {
    let mut command_names: Vec<String> = loaded.commands.iter().map(|c| c.name.clone()).collect();
    command_names.sort();
    let orbs: Vec<String> = settings.orbs.keys().cloned().collect();
    let known = steps::Known {
        commands: &command_names,
        orbs: &orbs,
    };
    let mut commands = IndexMap::new();
    for (index, command) in loaded.commands.iter().enumerate() {
        let error = |message: &str| loaded.error(&command.origin, &[], None).message(message);
        let name_error = |message: String| error(&message).key("(command name)");
        if !is_valid_name(&command.name) || steps::is_builtin(&command.name) {
            return Err(name_error(format!(
                "`{}` cannot be a command name (reserved or not a valid name)",
                command.name
            ))
            .into());
        }
        if let Some(first) = loaded.commands[..index]
            .iter()
            .find(|c| c.name == command.name)
        {
            return Err(name_error(format!(
                "command `{}` is also defined in {}",
                command.name,
                loaded.sources[first.origin.source].path.display()
            ))
            .into());
        }
        let mut body = command.body.clone();
        let Some(map) = body.as_mapping_mut() else {
            return Err(error("a command is a map with `steps:`").into());
        };
        job_shapes::check_command(&command.body)
            .map_err(|fault| fault.at(loaded, &command.origin))?;
        let Some(Value::Sequence(list)) = map.get("steps") else {
            return Err(loaded
                .error(&command.origin, &["steps"], None)
                .message("a command needs a `steps:` list")
                .into());
        };
        let normalized = steps::normalize(list, &known)
            .map_err(|fault| fault.under("steps").at(loaded, &command.origin))?;
        map.insert("steps".into(), Value::Sequence(normalized));
        commands.insert(command.name.clone(), body);
    }
    commands.sort_keys();
    Ok(commands)
}

/// `dynamic_workflow` names a workflow, when there are any.
fn check_dynamic_workflow(
    loaded: &Loaded,
    settings: &Settings,
    workflows: &[Workflow],
) -> Result<()> {
    let names: Vec<&str> = workflows.iter().map(|w| w.name.as_str()).collect();
    if workflows.is_empty() || names.contains(&settings.dynamic_workflow.as_str()) {
        return Ok(());
    }
    Err(loaded
        .project_error(&["dynamic_workflow"], None)
        .message(format!(
            "dynamic workflow `{}` does not exist in workflows/",
            settings.dynamic_workflow
        ))
        .hint(suggest(&settings.dynamic_workflow, names.iter().copied()))
        .into())
}

/// The dynamic workflow has no `trigger`; every other workflow has one,
/// naming a declared boolean parameter.
fn check_trigger(loaded: &Loaded, settings: &Settings, workflow: &Workflow) -> Result<()> {
    let loaded_workflow = loaded.workflows.iter().find(|w| w.name == workflow.name);
    let error = |keys: &[&str], message: String| -> ConfigError {
        match loaded_workflow {
            Some(w) => loaded.error(&w.origin, keys, None).message(message),
            None => loaded.project_error(keys, None).message(message),
        }
    };
    let is_dynamic = workflow.name == settings.dynamic_workflow;
    match (&workflow.trigger, is_dynamic) {
        (Some(_), true) => Err(error(
            &["trigger"],
            "the dynamic workflow runs from the setup job; it cannot have a trigger".into(),
        )
        .into()),
        (None, false) => Err(error(
            &["trigger"],
            format!(
                "workflow `{}` is neither the dynamic workflow (`{}`) nor has `trigger: {{parameter: …}}`",
                workflow.name, settings.dynamic_workflow
            ),
        )
        .into()),
        (Some(parameter), false) if !settings.boolean_parameters.contains(parameter) => Err(error(
            &["trigger", "parameter"],
            format!("trigger parameter `{parameter}` is not a declared boolean parameter"),
        )
        .hint(suggest(
            parameter,
            settings.boolean_parameters.iter().map(String::as_str),
        ))
        .into()),
        _ => Ok(()),
    }
}
