//! Builds one validated workflow, in the order of the README's workflow and
//! job reference: its name, its `stages`, each job (`job::build_job`) in
//! stage order with ids `<stage>_<job>` unique, then each job's `requires`
//! (with job statuses) and `requires_any` resolved against every job of the
//! workflow, and the stages with no jobs settled (`empty_stage`). Input: the
//! loaded workflow and the project settings; output: a `Workflow` or the
//! first configuration error; warnings go to `warnings`.

use indexmap::IndexMap;
use serde_yaml::Value;

use super::ids::{check_record_ids, invalid_id};
use super::job::build_job;
use super::requires::Resolver;
use super::settings::Settings;
use super::{Job, Locate, Requirement, Stage, Trigger, Workflow, is_valid_name};
use crate::config::{Loaded, LoadedJob, LoadedWorkflow, RawRequire, RawStage};
use crate::error::{ConfigError, Result, suggest};

/// CircleCI's statuses for `requires: [{job: [statuses]}]`.
const JOB_STATUSES: &[&str] = &[
    "success",
    "failed",
    "canceled",
    "not_run",
    "unauthorized",
    "terminal",
];

pub(super) fn build_workflow(
    loaded: &Loaded,
    settings: &Settings,
    commands: &IndexMap<String, Value>,
    raw: &LoadedWorkflow,
    warnings: &mut Vec<String>,
) -> Result<Workflow> {
    let error = |keys: &[&str], needle: Option<&str>| loaded.error(&raw.origin, keys, needle);
    if !is_valid_name(&raw.name) {
        return Err(error(&[], None)
            .key("(workflow name)")
            .message(format!("`{}` is not a valid workflow name", raw.name))
            .into());
    }
    check_when(raw, &error)?;
    let mut stages = stages(raw, &error)?;
    let mut jobs = vec![];
    for (index, loaded_job) in raw.jobs.iter().enumerate() {
        let job = build_job(loaded, settings, commands, &stages, loaded_job, warnings)?;
        jobs.push((job, index));
    }
    sort_by_stage(&mut jobs, &stages);
    check_unique_ids(jobs.iter().map(|(job, _)| job))?;
    let resolver = Resolver::new(&stages, jobs.iter().map(|(job, _)| job));
    for (job, index) in &mut jobs {
        let raw_job = &raw.jobs[*index];
        let error =
            |keys: &[&str], needle: Option<&str>| loaded.error(&raw_job.origin, keys, needle);
        job.requires = requires(&resolver, job, raw_job, &error)?;
        if raw.raw.trigger.is_none() {
            check_record_ids(job, error)?;
        } else if job.hashed() {
            let place = error(&["source_files"], None).place();
            warnings.push(format!(
                "{place}: `source_files` in immediate workflow `{}` has no effect: cigen skips jobs only in the dynamic workflow, and every job of an immediate workflow runs",
                raw.name
            ));
        }
        super::or_dependency::check(loaded, settings, raw_job, warnings)?;
        job.requires_any = requires_any(&resolver, job, raw_job, &error)?;
    }
    let jobs: Vec<Job> = jobs.into_iter().map(|(job, _)| job).collect();
    super::empty_stage::settle(&mut stages, &jobs, warnings);
    let mut workflow = Workflow::new(
        raw.name.clone(),
        raw.raw.trigger.as_ref().map(|t| t.parameter.clone()),
        raw.raw.when.clone(),
        stages,
        jobs,
    );
    workflow.github = super::github::workflow(raw.raw.github.as_ref(), &error)?;
    Ok(workflow)
}

/// The workflow's `when`, passed through to CircleCI, is not an empty
/// string: CircleCI reads a string as an expression, and "" is none.
fn check_when(raw: &LoadedWorkflow, error: &impl Locate) -> Result<()> {
    match &raw.raw.when {
        Some(Value::String(expression)) if expression.trim().is_empty() => Err(error(&["when"], None)
            .message("an empty string is not a condition: write a logic statement or an expression (`pipeline.git.branch == \"main\"`), or remove `when`")
            .into()),
        _ => Ok(()),
    }
}

/// The declared stages: valid names, each once, its approval id valid,
/// requiring only other declared stages. `empty` is set here; whether an
/// empty stage keeps its approval is settled once the jobs are known.
fn stages(raw: &LoadedWorkflow, error: &impl Locate) -> Result<Vec<Stage>> {
    let mut stages: Vec<Stage> = vec![];
    for stage in &raw.raw.stages {
        check_stage(stage, &stages, error)?;
        let at = error(&["stages"], Some(&stage.name));
        stages.push(Stage {
            name: stage.name.clone(),
            requires: stage.requires.clone(),
            approval: stage.approval,
            empty: !raw
                .jobs
                .iter()
                .any(|job| job.stage.as_ref() == Some(&stage.name)),
            file: at.file,
            line: at.line,
        });
    }
    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    for stage in &stages {
        for required in &stage.requires {
            if !names.contains(&required.as_str()) || required == &stage.name {
                return Err(error(&["stages"], Some(required))
                    .message(format!(
                        "stage `{}` requires unknown stage `{required}`",
                        stage.name
                    ))
                    .hint(suggest(required, names.iter().copied()))
                    .into());
            }
        }
    }
    Ok(stages)
}

/// One declared stage: a valid name, not declared before, its approval id valid.
fn check_stage(stage: &RawStage, before: &[Stage], error: &impl Locate) -> Result<()> {
    let at = || error(&["stages"], Some(&stage.name));
    if !is_valid_name(&stage.name) {
        return Err(at()
            .message("stage names start with a letter and hold letters, digits, `_`, `-`")
            .into());
    }
    if stage.approval
        && let Some(why) = invalid_id(&format!("approve_{}", stage.name))
    {
        return Err(at().message(why).into());
    }
    if before.iter().any(|s| s.name == stage.name) {
        return Err(at()
            .message(format!("stage `{}` is declared twice", stage.name))
            .into());
    }
    Ok(())
}

/// Jobs in stage order (the default stage first), then by id; each keeps
/// the position of its loaded job.
fn sort_by_stage(jobs: &mut [(Job, usize)], stages: &[Stage]) {
    let stage_rank = |stage: &Option<String>| match stage {
        None => 0,
        Some(name) => 1 + stages.iter().position(|s| &s.name == name).unwrap_or(0),
    };
    jobs.sort_by(|(a, _), (b, _)| {
        (stage_rank(&a.stage), &a.id).cmp(&(stage_rank(&b.stage), &b.id))
    });
}

/// No two jobs share an id (`build/test.yml` and `build_test.yml` would).
fn check_unique_ids<'a>(jobs: impl Iterator<Item = &'a Job>) -> Result<()> {
    let mut by_id: Vec<&Job> = jobs.collect();
    by_id.sort_by(|a, b| a.id.cmp(&b.id));
    for pair in by_id.windows(2) {
        if pair[0].id == pair[1].id {
            return Err(ConfigError::new(
                &pair[1].file,
                "(job id)",
                format!(
                    "job id `{}` is also used by {}",
                    pair[1].id,
                    pair[0].file.display()
                ),
            )
            .line(pair[1].line)
            .into());
        }
    }
    Ok(())
}

/// `requires`: each entry a job of the workflow, with CircleCI job statuses
/// when it names any.
fn requires(
    resolver: &Resolver,
    job: &Job,
    raw: &LoadedJob,
    error: &impl Locate,
) -> Result<Vec<Requirement>> {
    let mut requirements = vec![];
    for require in &raw.raw.requires {
        let (name, statuses) = match require {
            RawRequire::Name(name) => (name.clone(), None),
            RawRequire::WithStatus(map) if map.len() == 1 => {
                let (name, statuses) = map
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone().into_vec()))
                    .unwrap_or_default();
                check_statuses(&statuses, error)?;
                (name, Some(statuses))
            }
            RawRequire::WithStatus(_) => {
                return Err(error(&["requires"], None).message("each `requires` entry with statuses names one job: `- build: [success, failed]`").into());
            }
        };
        let target = resolver
            .resolve(&name, job)
            .map_err(|why| why.at(error(&["requires"], Some(&name)), &name, "requires", job))?;
        requirements.push(Requirement { target, statuses });
    }
    Ok(requirements)
}

fn check_statuses(statuses: &[String], error: &impl Locate) -> Result<()> {
    for status in statuses {
        if !JOB_STATUSES.contains(&status.as_str()) {
            return Err(error(&["requires"], Some(status))
                .message(format!(
                    "unknown job status `{status}`: expected one of {}",
                    JOB_STATUSES.join(", ")
                ))
                .hint(suggest(status, JOB_STATUSES.iter().copied()))
                .into());
        }
    }
    Ok(())
}

/// `requires_any`: each trigger a job of the workflow whose shim id
/// `approve_<id>_after_<trigger>` is a valid job name.
fn requires_any(
    resolver: &Resolver,
    job: &Job,
    raw: &LoadedJob,
    error: &impl Locate,
) -> Result<Vec<Trigger>> {
    let mut triggers = vec![];
    for name in raw.raw.requires_any.iter().flatten() {
        let target = resolver.resolve(name, job).map_err(|why| {
            why.at(
                error(&["requires_any"], Some(name)),
                name,
                "requires_any",
                job,
            )
        })?;
        if let Some(why) = invalid_id(&job.shim_id(&target)) {
            return Err(error(&["requires_any"], Some(name)).message(why).into());
        }
        let line = error(&["requires_any"], Some(name)).line;
        triggers.push(Trigger { target, line });
    }
    Ok(triggers)
}
