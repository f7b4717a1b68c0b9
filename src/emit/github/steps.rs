//! A job's steps as GitHub Actions steps: CircleCI's step forms translated
//! one by one (commands inlined), or an error naming file, line and key
//! with the hint to write the job's `github: {steps: …}` instead. Pure.
//!
//! SKELETON: `run` and `checkout` only.

use serde_yaml::{Mapping, Value};

use crate::error::{Error, Result};
use crate::model::{Job, Project};

/// What the translation of one job variant's steps reads.
#[derive(Debug, Clone, Copy)]
#[expect(dead_code, reason = "SKELETON: the full translation reads every field")]
pub(crate) struct StepContext<'a> {
    pub project: &'a Project,
    pub job: &'a Job,
    pub arch: &'a str,
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

/// The job's steps, translated.
pub(crate) fn steps(ctx: &StepContext<'_>) -> Result<Translated> {
    let mut steps = vec![];
    for step in &ctx.job.steps {
        steps.push(step_of(ctx, step)?);
    }
    Ok(Translated {
        steps,
        on_runner: false,
    })
}

fn step_of(ctx: &StepContext<'_>, step: &Value) -> Result<Value> {
    match step {
        Value::String(name) if name == "checkout" => {
            let mut out = Mapping::new();
            out.insert("uses".into(), "actions/checkout@v4".into());
            Ok(Value::Mapping(out))
        }
        Value::Mapping(map) => match map.get("run") {
            Some(Value::String(command)) => {
                let mut out = Mapping::new();
                out.insert("run".into(), command.clone().into());
                Ok(Value::Mapping(out))
            }
            Some(Value::Mapping(run)) => {
                let mut out = Mapping::new();
                if let Some(name) = run.get("name") {
                    out.insert("name".into(), name.clone());
                }
                if let Some(command) = run.get("command") {
                    out.insert("run".into(), command.clone());
                }
                Ok(Value::Mapping(out))
            }
            _ => Err(unsupported(ctx)),
        },
        _ => Err(unsupported(ctx)),
    }
}

fn unsupported(ctx: &StepContext<'_>) -> Error {
    Error::Usage(format!(
        "SKELETON: job `{}` has a step the GitHub translation does not handle yet",
        ctx.job.id
    ))
}
