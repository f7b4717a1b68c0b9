//! Renders one job variant as a CircleCI job body: executor, resource class,
//! environment (with DOCKER_ARCH), steps, and — for hashed jobs of the
//! dynamic workflow — the steps that record success for later skips, or for
//! a parallel job the separate job that records it. Also the document
//! of a variant that the job hash covers. Pure.

use serde_yaml::{Mapping, Value};

use crate::model::refs::env_name;
use crate::model::{Job, Project};
use crate::value::mapping;

/// Runtime paths baked into the generated YAML; `CIGEN_TMP` moves them only
/// for the cigen binary itself, never in CircleCI's containers.
pub(crate) const EXISTS_DIR: &str = "/tmp/cigen_job_exists";
pub(crate) const STATUS_KEY_FILE: &str = "/tmp/cigen_job_status/job-key";
pub(crate) const CACHE_PREFIX: &str = "job_status-exists-v1-";

/// `record`: the pipeline values the variant's hash covers
/// (`WorkflowPlan::covered_values`), for a job of the dynamic workflow,
/// whose hashed jobs record their success; `None` elsewhere.
pub(crate) fn render(
    project: &Project,
    job: &Job,
    arch: &str,
    record: Option<&[String]>,
) -> Mapping {
    let mut body = Mapping::new();
    for (key, value) in &job.executor {
        body.insert(key.as_str().into(), value.clone());
    }
    let resource_class = job.resource_class.clone().or_else(|| {
        job.arch_declared
            .then(|| project.settings.architectures.get(arch))
            .flatten()
            .and_then(|declared| declared.resource_class.clone())
    });
    if let Some(class) = resource_class {
        body.insert("resource_class".into(), class.into());
    }
    let mut environment = Mapping::new();
    if job.arch_declared {
        environment.insert("DOCKER_ARCH".into(), arch.into());
    }
    for (key, value) in &job.environment {
        environment.insert(key.as_str().into(), value.as_str().into());
    }
    if !environment.is_empty() {
        body.insert("environment".into(), Value::Mapping(environment));
    }
    let mut steps = job.steps.clone();
    if let Some(values) = record
        && job.hashed()
        && !job.records_apart()
    {
        steps.extend(record_steps(&job.id, arch, values));
    }
    body.insert("steps".into(), Value::Sequence(steps));
    body
}

/// The `<id>_record` job of a parallel variant: the record steps alone, on
/// the setup image, with no checkout. It requires the variant, so it runs
/// only once every container passed. `values` as for `render`.
pub(crate) fn render_record(
    project: &Project,
    job: &Job,
    arch: &str,
    values: &[String],
) -> Mapping {
    let setup = &project.settings.setup;
    let mut body = Mapping::new();
    body.insert(
        "docker".into(),
        Value::Sequence(vec![mapping(&[("image", setup.image.clone().into())])]),
    );
    body.insert("resource_class".into(), setup.resource_class.clone().into());
    body.insert(
        "steps".into(),
        Value::Sequence(record_steps(&job.id, arch, values)),
    );
    body
}

/// The record step and cache save that mark this job's inputs as passed.
/// The key file holds `<job>-<arch>-<hash>`, byte for byte what the setup
/// job writes, so `{{ checksum }}` yields the same cache key on both sides.
/// `values` are the pipeline values the job's hash covers (sorted; its own,
/// those of the unhashed jobs its hash walks through and those its hashed
/// upstreams' hashes cover: `WorkflowPlan::covered_values`): the step reads
/// each at run time (its own `environment`) and records nothing unless it
/// equals the value the continuation carried (the job's environment), so a
/// job never records under a hash of other values.
pub(crate) fn record_steps(job_id: &str, arch: &str, values: &[String]) -> Vec<Value> {
    let key_dir = STATUS_KEY_FILE
        .rsplit_once('/')
        .map_or("/tmp", |(dir, _)| dir);
    let unrecorded = |why: &str| {
        format!(
            "\x20 echo \"{why}: recording nothing.\"\n\
             \x20 printf '%s' 'unrecorded' > {STATUS_KEY_FILE}\n\
             \x20 exit 0\n"
        )
    };
    let mut command = format!(
        "mkdir -p {EXISTS_DIR} {key_dir}\n\
         if [ -z \"${{CIGEN_JOB_HASH:-}}\" ]; then\n{}fi\n",
        unrecorded("CIGEN_JOB_HASH is not set (this config was not continued by cigen)")
    );
    let mut now = Mapping::new();
    for name in values {
        let carried = env_name(name);
        let current = run_time_name(&carried);
        command.push_str(&format!(
            "if [ \"${{{carried}+set}}\" != set ] || [ \"${{{current}-}}\" != \"${{{carried}}}\" ]; then\n{}fi\n",
            unrecorded(&format!(
                "{name} at run time is not the value cigen setup hashed (or was not carried to this job)"
            ))
        ));
        now.insert(current.into(), format!("<< {name} >>").into());
    }
    command.push_str(&format!(
        "touch \"{EXISTS_DIR}/done_${{CIGEN_JOB_HASH}}\"\n\
         printf '%s' \"{job_id}-{arch}-${{CIGEN_JOB_HASH}}\" > {STATUS_KEY_FILE}\n"
    ));
    let mut run = mapping(&[
        ("name", "Record job success for cigen".into()),
        ("command", command.into()),
    ]);
    if !now.is_empty()
        && let Value::Mapping(run) = &mut run
    {
        run.insert("environment".into(), Value::Mapping(now));
    }
    let save = mapping(&[
        ("name", "Save cigen job status".into()),
        (
            "key",
            format!("{CACHE_PREFIX}{{{{ checksum \"{STATUS_KEY_FILE}\" }}}}").into(),
        ),
        ("paths", Value::Sequence(vec![EXISTS_DIR.into()])),
    ]);
    vec![mapping(&[("run", run)]), mapping(&[("save_cache", save)])]
}

/// The record step's own variable for a value at run time:
/// `CIGEN_PARAM_P` → `CIGEN_RUN_PARAM_P`.
pub(crate) fn run_time_name(carried: &str) -> String {
    format!(
        "CIGEN_RUN_{}",
        carried.strip_prefix("CIGEN_").unwrap_or(carried)
    )
}

/// What the job hash covers of a variant's definition: the rendered job (as
/// it runs in the dynamic workflow), the bodies of the commands it uses and
/// its contexts, and every orb it uses in full (`alias: namespace/name@version`).
/// `covered` as for `render`'s `record`. The hash takes its canonical JSON
/// (`hash::canonical`), never the text the YAML writer would make of it.
pub(crate) fn canonical_document(
    project: &Project,
    job: &Job,
    arch: &str,
    covered: &[String],
) -> Value {
    let mut doc = Mapping::new();
    doc.insert(
        "job".into(),
        Value::Mapping(render(project, job, arch, Some(covered))),
    );
    let mut commands = Mapping::new();
    for name in &job.commands {
        if let Some(body) = project.commands.get(name) {
            commands.insert(name.as_str().into(), body.clone());
        }
    }
    doc.insert("commands".into(), Value::Mapping(commands));
    doc.insert(
        "context".into(),
        Value::Sequence(job.context.iter().map(|c| c.as_str().into()).collect()),
    );
    let orbs: Mapping = job
        .refs
        .orbs
        .iter()
        .filter_map(|alias| {
            let reference = project.settings.orbs.get(alias)?;
            Some((alias.as_str().into(), reference.as_str().into()))
        })
        .collect();
    doc.insert("orbs".into(), Value::Mapping(orbs));
    Value::Mapping(doc)
}
