//! Renders one job variant as a CircleCI job body: executor, resource class,
//! environment (with DOCKER_ARCH), steps, and — for hashed jobs of the
//! dynamic workflow — the steps that record success for later skips, or for
//! a parallel job the separate job that records it. Also the canonical
//! bytes of a variant that the job hash covers. Pure.

use serde_yaml::{Mapping, Value};

use crate::model::{Job, Project};

/// Runtime paths baked into the generated YAML; `CIGEN_TMP` moves them only
/// for the cigen binary itself, never in CircleCI's containers.
pub const EXISTS_DIR: &str = "/tmp/cigen_job_exists";
pub const STATUS_KEY_FILE: &str = "/tmp/cigen_job_status/job-key";
pub const CACHE_PREFIX: &str = "job_status-exists-v1-";

pub fn render(project: &Project, job: &Job, arch: &str, record: bool) -> Mapping {
    let mut body = Mapping::new();
    for (key, value) in &job.executor {
        body.insert(key.as_str().into(), value.clone());
    }
    let resource_class = job.resource_class.clone().or_else(|| {
        job.arch_declared
            .then(|| project.settings.architectures.get(arch).cloned())
            .flatten()
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
    if record && job.hashed() && !job.records_apart() {
        steps.extend(record_steps(&job.id, arch));
    }
    body.insert("steps".into(), Value::Sequence(steps));
    body
}

/// The `<id>_record` job of a parallel variant: the record steps alone, on
/// the setup image, with no checkout. It requires the variant, so it runs
/// only once every container passed.
pub fn render_record(project: &Project, job: &Job, arch: &str) -> Mapping {
    let setup = &project.settings.setup;
    let mut body = Mapping::new();
    body.insert(
        "docker".into(),
        Value::Sequence(vec![mapping(&[("image", setup.image.clone().into())])]),
    );
    body.insert("resource_class".into(), setup.resource_class.clone().into());
    body.insert("steps".into(), Value::Sequence(record_steps(&job.id, arch)));
    body
}

/// The record step and cache save that mark this job's inputs as passed.
/// The key file holds `<job>-<arch>-<hash>`, byte for byte what the setup
/// job writes, so `{{ checksum }}` yields the same cache key on both sides.
pub fn record_steps(job_id: &str, arch: &str) -> Vec<Value> {
    let key_dir = STATUS_KEY_FILE
        .rsplit_once('/')
        .map_or("/tmp", |(dir, _)| dir);
    let command = format!(
        "mkdir -p {EXISTS_DIR} {key_dir}\n\
         if [ -z \"${{CIGEN_JOB_HASH:-}}\" ]; then\n\
         \x20 echo \"CIGEN_JOB_HASH is not set (this config was not continued by cigen): recording nothing.\"\n\
         \x20 printf '%s' 'unrecorded' > {STATUS_KEY_FILE}\n\
         \x20 exit 0\n\
         fi\n\
         touch \"{EXISTS_DIR}/done_${{CIGEN_JOB_HASH}}\"\n\
         printf '%s' \"{job_id}-{arch}-${{CIGEN_JOB_HASH}}\" > {STATUS_KEY_FILE}\n"
    );
    let run = mapping(&[
        ("name", "Record job success for cigen".into()),
        ("command", command.into()),
    ]);
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

/// What the job hash covers of a variant's definition: the rendered job (as
/// it runs in the dynamic workflow), the bodies of the commands it uses and
/// its contexts. Serialised YAML of ordered maps: stable byte for byte.
pub fn canonical(project: &Project, job: &Job, arch: &str) -> Vec<u8> {
    let mut doc = Mapping::new();
    doc.insert(
        "job".into(),
        Value::Mapping(render(project, job, arch, true)),
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
    super::yaml::to_string(&Value::Mapping(doc)).into_bytes()
}

/// One mapping builder for the whole crate: the model's.
pub use crate::model::settings::mapping;
