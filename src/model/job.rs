//! Builds one validated job from its file, in the order of the README's job
//! reference: its name and stage, executor (`image`, `docker`, `machine`,
//! `macos`, `services`, …), `architectures`, `environment`, `steps` (with
//! the commands they use and what the rendered job refers to), and
//! `source_files`. Requirements are resolved later, by `workflow`, once
//! every job of the workflow is known. Input: the loaded job and the
//! project settings; output: a `Job` or the first configuration error.

use indexmap::IndexMap;
use serde_yaml::Value;

use super::ids::check_ids;
use super::refs::Refs;
use super::settings::Settings;
use super::{Job, Locate, Stage, is_valid_name, job_shapes, source_pattern, steps};
use crate::config::{Loaded, LoadedJob, RawJob, StringOrList};
use crate::error::{Result, suggest};

/// `<stage>_<name>`, or `<name>` in the default stage.
pub(super) fn job_id(stage: Option<&String>, name: &str) -> String {
    match stage {
        Some(stage) => format!("{stage}_{name}"),
        None => name.to_string(),
    }
}

pub(super) fn build_job(
    loaded: &Loaded,
    settings: &Settings,
    commands: &IndexMap<String, Value>,
    stages: &[Stage],
    raw: &LoadedJob,
    warnings: &mut Vec<String>,
) -> Result<Job> {
    let error = |keys: &[&str], needle: Option<&str>| loaded.error(&raw.origin, keys, needle);
    let source = &loaded.sources[raw.origin.source];
    check_name_and_stage(raw, stages, &error)?;
    if let Some(warning) = stage_noun_warning(raw, &source.path) {
        warnings.push(warning);
    }
    let job = &raw.raw;
    job_shapes::check_job(job).map_err(|fault| fault.at(loaded, &raw.origin))?;
    let executor = executor(job, &error)?;
    let (archs, arch_declared) = architectures(job, settings, &error)?;
    let environment = environment(job, arch_declared, &error)?;
    let steps = steps(loaded, raw, settings, commands, &error)?;
    let github = super::github::job(job.github.as_ref(), !job.source_files.is_empty(), &|keys| {
        error(keys, None)
    })?;
    let (used_commands, invoked) = used(&steps, commands);
    let context = job
        .context
        .clone()
        .map(StringOrList::into_vec)
        .unwrap_or_default();
    let texts = environment
        .values()
        .chain(&context)
        .chain(&job.resource_class);
    let orbs: Vec<String> = settings.orbs.keys().cloned().collect();
    let refs = scan_refs(&executor, texts, &steps, &used_commands, commands, &orbs);
    let built = Job {
        id: job_id(raw.stage.as_ref(), &raw.name),
        stage: raw.stage.clone(),
        file: source.path.clone(),
        keys: raw.origin.keys.clone(),
        line: (!raw.origin.keys.is_empty())
            .then(|| {
                let keys: Vec<&str> = raw.origin.keys.iter().map(String::as_str).collect();
                source.line_of(&keys, None)
            })
            .flatten(),
        archs,
        arch_declared,
        executor,
        resource_class: job.resource_class.clone(),
        environment,
        steps,
        commands: used_commands,
        refs,
        context,
        filters: job.filters.clone(),
        source_files: source_files(loaded, raw, settings, &error)?,
        requires: vec![],
        requires_any: vec![],
        gated: job.approval || job.requires_any.is_some(),
        approval: job.approval,
        persists_workspace: invoked.iter().any(|s| s == "persist_to_workspace"),
        attaches_workspace: invoked.iter().any(|s| s == "attach_workspace"),
        github,
        written: written(job, &error),
    };
    check_ids(&built, error)?;
    Ok(built)
}

/// The job's file name is a valid job name, and its directory a declared stage.
fn check_name_and_stage(raw: &LoadedJob, stages: &[Stage], error: &impl Locate) -> Result<()> {
    if !is_valid_name(&raw.name) {
        return Err(error(&[], None).key("(job name)").message(format!("`{}` is not a valid job name: start with a letter, then letters, digits, `_` or `-`", raw.name)).into());
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
    Ok(())
}

/// A warning when the job's name repeats a word of its stage and a shorter
/// name exists (`deploy_staging/deploy.yml` has nothing to drop), unless
/// `allow_stage_noun: true`.
fn stage_noun_warning(raw: &LoadedJob, file: &std::path::Path) -> Option<String> {
    let stage = raw.stage.as_ref()?;
    let stage_words: Vec<&str> = stage.split('_').collect();
    let words: Vec<&str> = raw.name.split('_').collect();
    let shorter: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !stage_words.contains(w))
        .collect();
    (shorter.len() < words.len() && !shorter.is_empty() && !raw.raw.allow_stage_noun).then(|| {
        format!(
            "{}: job `{}` repeats a word of its stage `{stage}` (id `{}`): rename to `{}.yml` (or set `allow_stage_noun: true`)",
            file.display(),
            raw.name,
            job_id(raw.stage.as_ref(), &raw.name),
            shorter.join("_")
        )
    })
}

/// The CircleCI job body without resource class, environment and steps:
/// exactly one of `image` (with `services`), `docker`, `machine` or
/// `macos`, then `parallelism`, `working_directory` and `shell`.
fn executor(job: &RawJob, error: &impl Locate) -> Result<Vec<(String, Value)>> {
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
    let mut executor = vec![];
    if let Some(image) = &job.image {
        let mut docker = vec![crate::value::mapping(&[(
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
    Ok(executor)
}

/// Where the job wrote the keys its GitHub job is made from.
fn written(job: &RawJob, error: &impl Locate) -> super::github::Written {
    let present = [
        ("image", job.image.is_some()),
        ("docker", job.docker.is_some()),
        ("services", !job.services.is_empty()),
        ("machine", job.machine.is_some()),
        ("macos", job.macos.is_some()),
        ("parallelism", job.parallelism.is_some()),
        ("context", job.context.is_some()),
        ("github", job.github.is_some()),
        ("filters", job.filters.is_some()),
        ("requires", !job.requires.is_empty()),
        ("environment", job.environment.is_some()),
    ];
    super::github::Written {
        image: job.image.is_some(),
        services_from: job.docker.as_ref().map_or(1, Vec::len),
        lines: present
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(key, _)| (key.to_string(), error(&[key], None).line))
            .collect(),
    }
}

/// The job's architectures, each declared in the project settings and
/// listed once, and whether the job lists them itself (else: the default
/// arch alone).
fn architectures(
    job: &RawJob,
    settings: &Settings,
    error: &impl Locate,
) -> Result<(Vec<String>, bool)> {
    let Some(list) = &job.architectures else {
        return Ok((vec![settings.default_arch()], false));
    };
    if list.is_empty() {
        return Err(error(&["architectures"], None)
            .message("list at least one architecture")
            .into());
    }
    for (index, arch) in list.iter().enumerate() {
        if !settings.architectures.contains_key(arch) {
            return Err(error(&["architectures"], Some(arch))
                .message(format!(
                    "unknown architecture `{arch}`: declare it under `architectures:` in config.yml"
                ))
                .hint(suggest(
                    arch,
                    settings.architectures.keys().map(String::as_str),
                ))
                .into());
        }
        if list[..index].contains(arch) {
            return Err(error(&["architectures"], Some(arch))
                .message(format!("architecture `{arch}` is listed twice"))
                .into());
        }
    }
    Ok((list.clone(), true))
}

/// `environment` as text (`environment::normalise`); `DOCKER_ARCH` is
/// cigen's when the job lists architectures.
fn environment(
    job: &RawJob,
    arch_declared: bool,
    error: &impl Locate,
) -> Result<IndexMap<String, String>> {
    let written = job.environment.as_ref();
    let environment = written
        .map(super::environment::normalise)
        .unwrap_or_default();
    if arch_declared && environment.contains_key("DOCKER_ARCH") {
        let at = match written {
            Some(Value::Mapping(_)) => error(&["environment", "DOCKER_ARCH"], None),
            _ => error(&["environment"], Some("DOCKER_ARCH")),
        };
        return Err(at
            .message("`DOCKER_ARCH` is set by cigen for each architecture variant")
            .into());
    }
    Ok(environment)
}

/// The normalised steps, with `checkout` first unless `checkout: false` or
/// the steps already start with it.
fn steps(
    loaded: &Loaded,
    raw: &LoadedJob,
    settings: &Settings,
    commands: &IndexMap<String, Value>,
    error: &impl Locate,
) -> Result<Vec<Value>> {
    let job = &raw.raw;
    let command_names: Vec<String> = commands.keys().cloned().collect();
    let orbs: Vec<String> = settings.orbs.keys().cloned().collect();
    let known = steps::Known {
        commands: &command_names,
        orbs: &orbs,
    };
    let mut steps = steps::normalize(&job.steps, &known)
        .map_err(|fault| fault.under("steps").at(loaded, &raw.origin))?;
    if job.steps.is_empty() {
        return Err(error(&[], None)
            .key("steps")
            .message("a job needs at least one step")
            .into());
    }
    if job.checkout.unwrap_or(true) && steps.first().is_none_or(|s| s.as_str() != Some("checkout"))
    {
        steps.insert(0, Value::from("checkout"));
    }
    Ok(steps)
}

/// `source_files` with `@group`s expanded, each pattern's syntax checked,
/// duplicates dropped (first kept).
fn source_files(
    loaded: &Loaded,
    raw: &LoadedJob,
    settings: &Settings,
    error: &impl Locate,
) -> Result<Vec<String>> {
    let mut source_files = vec![];
    for (index, pattern) in raw.raw.source_files.iter().enumerate() {
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
    Ok(source_files)
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
