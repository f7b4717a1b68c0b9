//! Builds one validated workflow: stages, then each job's executor, steps,
//! architectures, source files and resolved requirements. Job ids are
//! `<stage>_<job>`; a job name that repeats a word of its stage only warns.

use indexmap::IndexMap;
use serde_yaml::Value;

use super::ids::{check_ids, check_record_ids, invalid_id};
use super::refs::Refs;
use super::requires::Resolver;
use super::settings::Settings;
use super::{
    Job, Requirement, Stage, Trigger, Workflow, is_valid_name, job_shapes, source_pattern, steps,
};
use crate::config::{Loaded, LoadedJob, LoadedWorkflow, RawRequire};
use crate::error::{Result, suggest};

/// CircleCI's statuses for `requires: [{job: [statuses]}]`.
const JOB_STATUSES: &[&str] = &[
    "success",
    "failed",
    "canceled",
    "not_run",
    "unauthorized",
    "terminal",
];

pub fn build_workflow(
    loaded: &Loaded,
    settings: &Settings,
    commands: &IndexMap<String, Value>,
    raw: &LoadedWorkflow,
    warnings: &mut Vec<String>,
) -> Result<Workflow> {
    let error = |keys: &[&str], needle: Option<&str>| loaded.error(&raw.origin, keys, needle);
    if !is_valid_name(&raw.name) {
        return Err(error(&[], None)
            .message(format!("`{}` is not a valid workflow name", raw.name))
            .into());
    }
    let mut stages: Vec<Stage> = vec![];
    for stage in &raw.raw.stages {
        if !is_valid_name(&stage.name) {
            return Err(error(&["stages"], Some(&stage.name))
                .message("stage names start with a letter and hold letters, digits, `_`, `-`")
                .into());
        }
        if stage.approval
            && let Some(why) = invalid_id(&format!("approve_{}", stage.name))
        {
            return Err(error(&["stages"], Some(&stage.name)).message(why).into());
        }
        if stages.iter().any(|s| s.name == stage.name) {
            return Err(error(&["stages"], Some(&stage.name))
                .message(format!("stage `{}` is declared twice", stage.name))
                .into());
        }
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
    let stage_names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    for stage in &stages {
        for required in &stage.requires {
            if !stage_names.contains(&required.as_str()) || required == &stage.name {
                return Err(error(&["stages"], Some(required))
                    .message(format!(
                        "stage `{}` requires unknown stage `{required}`",
                        stage.name
                    ))
                    .hint(suggest(required, stage_names.iter().copied()))
                    .into());
            }
        }
    }

    let mut jobs = vec![];
    for (index, loaded_job) in raw.jobs.iter().enumerate() {
        jobs.push((
            build_job(loaded, settings, commands, &stages, loaded_job, warnings)?,
            index,
        ));
    }
    let stage_rank = |stage: &Option<String>| match stage {
        None => 0,
        Some(name) => 1 + stages.iter().position(|s| &s.name == name).unwrap_or(0),
    };
    jobs.sort_by(|(a, _), (b, _)| {
        (stage_rank(&a.stage), &a.id).cmp(&(stage_rank(&b.stage), &b.id))
    });
    let mut by_id: Vec<&Job> = jobs.iter().map(|(job, _)| job).collect();
    by_id.sort_by(|a, b| a.id.cmp(&b.id));
    for pair in by_id.windows(2) {
        if pair[0].id == pair[1].id {
            return Err(crate::error::ConfigError::new(
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

    let resolver = Resolver::new(&stages, jobs.iter().map(|(job, _)| job));
    for (job, loaded_job) in jobs.iter_mut() {
        let raw_job = &raw.jobs[*loaded_job];
        let error =
            |keys: &[&str], needle: Option<&str>| loaded.error(&raw_job.origin, keys, needle);
        for require in &raw_job.raw.requires {
            let (name, statuses) = match require {
                RawRequire::Name(name) => (name.clone(), None),
                RawRequire::WithStatus(map) if map.len() == 1 => {
                    let (name, statuses) = map
                        .iter()
                        .next()
                        .map(|(k, v)| (k.clone(), v.clone().into_vec()))
                        .unwrap_or_default();
                    for status in &statuses {
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
                    (name, Some(statuses))
                }
                RawRequire::WithStatus(_) => {
                    return Err(error(&["requires"], None).message("each `requires` entry with statuses names one job: `- build: [success, failed]`").into());
                }
            };
            let target = resolver.resolve(&name, job).map_err(|hint| {
                error(&["requires"], Some(&name))
                    .message(format!("unknown job `{name}` in requires"))
                    .hint(hint)
            })?;
            job.requires.push(Requirement { target, statuses });
        }
        if raw.raw.trigger.is_none() {
            check_record_ids(job, error)?;
        }
        super::or_dependency::check(loaded, settings, raw_job, warnings)?;
        for name in raw_job.raw.requires_any.iter().flatten() {
            let target = resolver.resolve(name, job).map_err(|hint| {
                error(&["requires_any"], Some(name))
                    .message(format!("unknown job `{name}` in requires_any"))
                    .hint(hint)
            })?;
            if let Some(why) = invalid_id(&job.shim_id(&target)) {
                return Err(error(&["requires_any"], Some(name)).message(why).into());
            }
            let line = error(&["requires_any"], Some(name)).line;
            job.requires_any.push(Trigger { target, line });
        }
    }
    let jobs: Vec<Job> = jobs.into_iter().map(|(job, _)| job).collect();
    super::empty_stage::settle(&mut stages, &jobs, warnings);
    Ok(Workflow::new(
        raw.name.clone(),
        raw.raw.trigger.as_ref().map(|t| t.parameter.clone()),
        raw.raw.when.clone(),
        stages,
        jobs,
    ))
}

fn job_id(stage: &Option<String>, name: &str) -> String {
    match stage {
        Some(stage) => format!("{stage}_{name}"),
        None => name.to_string(),
    }
}

fn build_job(
    loaded: &Loaded,
    settings: &Settings,
    commands: &IndexMap<String, Value>,
    stages: &[Stage],
    raw: &LoadedJob,
    warnings: &mut Vec<String>,
) -> Result<Job> {
    let error = |keys: &[&str], needle: Option<&str>| loaded.error(&raw.origin, keys, needle);
    let file = loaded.sources[raw.origin.source].path.clone();
    let line = if raw.origin.keys.is_empty() {
        None
    } else {
        loaded.sources[raw.origin.source].line_of(
            &raw.origin
                .keys
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            None,
        )
    };
    if !is_valid_name(&raw.name) {
        return Err(error(&[], None).message(format!("`{}` is not a valid job name: start with a letter, then letters, digits, `_` or `-`", raw.name)).into());
    }
    if let Some(stage) = &raw.stage
        && !stages.iter().any(|s| &s.name == stage)
    {
        return Err(error(&[], None)
            .key(format!("stage {stage}"))
            .message(format!(
                "job directory `{stage}` is not a declared stage of this workflow"
            ))
            .hint(
                suggest(stage, stages.iter().map(|s| s.name.as_str())).or(Some(
                    "declare it under `stages:` in the workflow's config.yml".into(),
                )),
            )
            .into());
    }
    if let Some(stage) = &raw.stage {
        let stage_words: Vec<&str> = stage.split('_').collect();
        let words: Vec<&str> = raw.name.split('_').collect();
        let shorter: Vec<&str> = words
            .iter()
            .copied()
            .filter(|w| !stage_words.contains(w))
            .collect();
        // Warn only when a shorter name exists: `deploy_staging/deploy.yml` has nothing to drop.
        if shorter.len() < words.len() && !shorter.is_empty() && !raw.raw.allow_stage_noun {
            warnings.push(format!(
                "{}: job `{}` repeats a word of its stage `{stage}` (id `{}`): rename to `{}.yml` (or set `allow_stage_noun: true`)",
                file.display(),
                raw.name,
                job_id(&raw.stage, &raw.name),
                shorter.join("_")
            ));
        }
    }
    let job = &raw.raw;
    job_shapes::check_job(job).map_err(|fault| fault.at(loaded, &raw.origin))?;

    let mut executor = vec![];
    let executors: Vec<&str> = [
        ("image", job.image.is_some()),
        ("docker", job.docker.is_some()),
        ("machine", job.machine.is_some()),
        ("macos", job.macos.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect();
    if let [first, second, ..] = executors[..] {
        return Err(error(&[second], None)
            .message(format!("both `{first}` and `{second}` are set: a job runs on exactly one of `image`, `docker`, `machine` or `macos`"))
            .into());
    }
    if executors.is_empty() {
        return Err(error(&[], None)
            .key("image")
            .message("a job needs exactly one of `image`, `docker`, `machine` or `macos`")
            .into());
    }
    if let Some(image) = &job.image {
        let mut docker = vec![super::settings::mapping(&[(
            "image",
            Value::from(image.clone()),
        )])];
        docker.extend(job.services.iter().cloned());
        executor.push(("docker".to_string(), Value::Sequence(docker)));
    } else if let Some(docker) = &job.docker {
        let mut docker = docker.clone();
        docker.extend(job.services.iter().cloned());
        executor.push(("docker".to_string(), Value::Sequence(docker)));
    } else if !job.services.is_empty() {
        return Err(error(&["services"], None)
            .message("`services` are extra docker containers: use them with `image` or `docker`")
            .into());
    }
    if let Some(machine) = &job.machine {
        executor.push(("machine".to_string(), machine.clone()));
    }
    if let Some(macos) = &job.macos {
        executor.push(("macos".to_string(), macos.clone()));
    }
    for (key, value) in [
        ("parallelism", job.parallelism.clone()),
        (
            "working_directory",
            job.working_directory.clone().map(Value::from),
        ),
        ("shell", job.shell.clone()),
    ] {
        if let Some(value) = value {
            executor.push((key.to_string(), value));
        }
    }

    let (archs, arch_declared) = match &job.architectures {
        Some(list) if list.is_empty() => {
            return Err(error(&["architectures"], None)
                .message("list at least one architecture")
                .into());
        }
        Some(list) => {
            for (index, arch) in list.iter().enumerate() {
                if !settings.architectures.contains_key(arch) {
                    return Err(error(&["architectures"], Some(arch))
                        .message(format!("unknown architecture `{arch}`: declare it under `architectures:` in config.yml"))
                        .hint(suggest(arch, settings.architectures.keys().map(String::as_str)))
                        .into());
                }
                if list[..index].contains(arch) {
                    return Err(error(&["architectures"], Some(arch))
                        .message(format!("architecture `{arch}` is listed twice"))
                        .into());
                }
            }
            (list.clone(), true)
        }
        None => (vec![settings.default_arch()], false),
    };

    let mut environment = IndexMap::new();
    for (key, value) in &job.environment {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(error(&["environment", key], None)
                    .message("environment values are strings, numbers or booleans")
                    .into());
            }
        };
        environment.insert(key.clone(), text);
    }
    if arch_declared && environment.contains_key("DOCKER_ARCH") {
        return Err(error(&["environment", "DOCKER_ARCH"], None)
            .message("`DOCKER_ARCH` is set by cigen for each architecture variant")
            .into());
    }

    let command_names: Vec<String> = commands.keys().cloned().collect();
    let orbs: Vec<String> = settings.orbs.keys().cloned().collect();
    let known = steps::Known {
        commands: &command_names,
        orbs: &orbs,
    };
    let mut step_list = steps::normalize(&job.steps, &known)
        .map_err(|fault| fault.under("steps").at(loaded, &raw.origin))?;
    if job.steps.is_empty() {
        return Err(error(&[], None)
            .key("steps")
            .message("a job needs at least one step")
            .into());
    }
    if job.checkout.unwrap_or(true)
        && step_list
            .first()
            .is_none_or(|s| s.as_str() != Some("checkout"))
    {
        step_list.insert(0, Value::from("checkout"));
    }
    let (used_commands, invoked) = used(&step_list, commands);
    let context = job
        .context
        .clone()
        .map(|c| c.into_vec())
        .unwrap_or_default();
    let texts = environment
        .values()
        .chain(&context)
        .chain(&job.resource_class);
    let refs = scan_refs(
        &executor,
        texts,
        &step_list,
        &used_commands,
        commands,
        &orbs,
    );

    let mut source_files = vec![];
    for (index, pattern) in job.source_files.iter().enumerate() {
        if let Some(group) = pattern.strip_prefix('@') {
            let Some(patterns) = settings.groups.get(group) else {
                return Err(error(&["source_files"], Some(pattern))
                    .message(format!("unknown source file group `{group}`"))
                    .hint(suggest(group, settings.groups.keys().map(String::as_str)))
                    .into());
            };
            source_files.extend(patterns.iter().cloned());
        } else if pattern.trim().is_empty() {
            return Err(error(&["source_files"], None)
                .message("empty source file pattern")
                .into());
        } else {
            source_pattern::check(pattern).map_err(|(message, hint)| {
                loaded
                    .error_at(&raw.origin, &["source_files".into(), index.into()])
                    .message(message)
                    .hint(hint)
            })?;
            source_files.push(pattern.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    source_files.retain(|p| seen.insert(p.clone()));

    let built = Job {
        id: job_id(&raw.stage, &raw.name),
        name: raw.name.clone(),
        stage: raw.stage.clone(),
        file,
        line,
        archs,
        arch_declared,
        executor,
        resource_class: job.resource_class.clone(),
        environment,
        steps: step_list,
        commands: used_commands,
        refs,
        context,
        filters: job.filters.clone(),
        source_files,
        requires: vec![],
        requires_any: vec![],
        gated: job.approval || job.requires_any.is_some(),
        approval: job.approval,
        persists_workspace: invoked.iter().any(|s| s == "persist_to_workspace"),
        attaches_workspace: invoked.iter().any(|s| s == "attach_workspace"),
    };
    check_ids(&built, error)?;
    Ok(built)
}

/// What the job's rendered body refers to: everything but `filters`,
/// `requires` and `source_files`, which decide when it runs, not what it does.
fn scan_refs<'a>(
    executor: &[(String, Value)],
    texts: impl Iterator<Item = &'a String>,
    steps: &[Value],
    used_commands: &[String],
    commands: &IndexMap<String, Value>,
    orbs: &[String],
) -> Refs {
    let mut refs = Refs::default();
    for (_, value) in executor {
        refs.scan(value, orbs);
    }
    for text in texts {
        refs.scan(&Value::from(text.as_str()), orbs);
    }
    for step in steps {
        refs.scan(step, orbs);
    }
    for name in used_commands {
        if let Some(body) = commands.get(name) {
            refs.scan(body, orbs);
        }
    }
    refs
}

/// Commands used by the steps (transitively, sorted) and every step name invoked through them.
fn used(step_list: &[Value], commands: &IndexMap<String, Value>) -> (Vec<String>, Vec<String>) {
    let mut invoked = vec![];
    steps::invoked(step_list, &mut invoked);
    let mut used: Vec<String> = vec![];
    let mut index = 0;
    while index < invoked.len() {
        let name = invoked[index].clone();
        index += 1;
        if let Some(body) = commands.get(&name)
            && !used.contains(&name)
        {
            used.push(name);
            if let Some(Value::Sequence(inner)) = body.get("steps") {
                steps::invoked(inner, &mut invoked);
            }
        }
    }
    used.sort();
    (used, invoked)
}
