//! Checks about what a job's hash can see (DESIGN §3), run once the
//! workflows are built: a reference to an undeclared pipeline parameter is
//! an error; for the hashed jobs of the dynamic workflow, a floating orb
//! version, a per-pipeline value and a commit-bound variable are warnings
//! (`FILE:LINE: …`, pointing at where the orb is declared or the name is
//! used). Once the workflow is planned, `check_planned` refuses two values
//! any hash covers (a hashed job's own, or those of an unhashed job a hash
//! walks through) that would reach `cigen setup` as one variable, and
//! `check_walked` warns the same way as above about a floating orb or a
//! per-pipeline value in an unhashed job that a hash walks through (its
//! definition and values enter that hash), at the line of the unhashed job
//! that uses it. Input: the loaded files, the
//! built model (and the plan's walks); output: errors and warning lines.
//! It changes nothing in the model.

use std::collections::{BTreeMap, BTreeSet};

use super::refs::{self, COMMIT_BOUND};
use super::settings::Settings;
use super::{Job, Project, Workflow};
use crate::config::{Loaded, Origin};
use crate::error::{ConfigError, Result, suggest};

/// Pipeline values that differ in every pipeline, from CircleCI's list
/// (https://circleci.com/docs/guides/orchestrate/pipeline-variables/): the
/// pipeline's id and number, when its trigger was received, the id of the
/// GitLab event and the whole webhook body. A hashed job using one can
/// never skip. `pipeline.in_setup` counts too: `cigen setup` runs in the
/// setup workflow and hashes `true`, while the continued job sees `false`,
/// so its record step never finds the hashed value and never records.
pub(super) const PER_PIPELINE: &[&str] = &[
    "pipeline.id",
    "pipeline.in_setup",
    "pipeline.number",
    "pipeline.trigger.received_at",
    "pipeline.trigger_parameters.circleci.event_time",
    "pipeline.trigger_parameters.gitlab.x_gitlab_event_id",
    "pipeline.trigger_parameters.webhook.body",
];

pub(super) fn check(
    loaded: &Loaded,
    settings: &Settings,
    workflows: &[Workflow],
    warnings: &mut Vec<String>,
) -> Result<()> {
    for job in workflows.iter().flat_map(|w| &w.jobs) {
        undeclared_parameters(loaded, settings, job)?;
    }
    let Some(dynamic) = workflows
        .iter()
        .find(|w| w.name == settings.dynamic_workflow)
    else {
        return Ok(());
    };
    let hashed: Vec<&Job> = dynamic.jobs.iter().filter(|job| job.hashed()).collect();
    floating_orbs(loaded, settings, &hashed, warnings);
    for job in &hashed {
        per_pipeline_values(loaded, job, warnings);
        commit_bound(loaded, job, warnings);
    }
    Ok(())
}

fn undeclared_parameters(loaded: &Loaded, settings: &Settings, job: &Job) -> Result<()> {
    for name in &job.refs.pipeline {
        let Some(parameter) = name.strip_prefix("pipeline.parameters.") else {
            continue;
        };
        if settings.parameters.contains_key(parameter) {
            continue;
        }
        let (file, line) = locate(loaded, job, name);
        return Err(ConfigError::new(
            file,
            name.clone(),
            format!(
                "job `{}` uses pipeline parameter `{parameter}`, which is not declared under `parameters:` in config.yml",
                job.id
            ),
        )
        .line(line)
        .hint(suggest(
            parameter,
            settings.parameters.keys().map(String::as_str),
        ))
        .into());
    }
    Ok(())
}

/// Two names that map to one `CIGEN_PARAM_`/`CIGEN_PIPELINE_` variable
/// (`a-b` and `a_b`) could not both reach `cigen setup`. `covered` are the
/// jobs of the dynamic workflow whose pipeline values some hash covers:
/// the hashed ones and the unhashed ones a hash walks through
/// (`WorkflowPlan::covered_values`), in workflow order.
fn environment_names_are_distinct(loaded: &Loaded, covered: &[&Job]) -> Result<()> {
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for job in covered {
        for name in &job.refs.pipeline {
            let variable = refs::env_name(name);
            match seen.get(&variable) {
                Some(other) if other != name => {
                    let (file, line) = locate(loaded, job, name);
                    return Err(ConfigError::new(
                        file,
                        name.clone(),
                        format!(
                            "`{name}` and `{other}` would both reach `cigen setup` as `{variable}`: rename one"
                        ),
                    )
                    .line(line)
                    .into());
                }
                _ => {
                    seen.insert(variable, name);
                }
            }
        }
    }
    Ok(())
}

fn floating_orbs(
    loaded: &Loaded,
    settings: &Settings,
    hashed: &[&Job],
    warnings: &mut Vec<String>,
) {
    for (alias, reference) in &settings.orbs {
        if !floating(reference) {
            continue;
        }
        let users: BTreeSet<&str> = hashed
            .iter()
            .filter(|job| job.refs.orbs.contains(alias))
            .map(|job| job.id.as_str())
            .collect();
        if users.is_empty() {
            continue;
        }
        let declared = loaded.project_error(&["orbs", alias], None);
        warnings.push(format!(
            "{}: orb `{alias}: {reference}` has a floating version: the hash of {} cannot see which release CircleCI resolves it to, so a new release would be skipped over; pin a full version (`{}@X.Y.Z`)",
            at(&declared.file, declared.line),
            list(&users),
            orb_name(reference)
        ));
    }
}

/// `@volatile`, a dev version, no version, or a semver with fewer than
/// three parts (`@1`, `@1.2`): CircleCI resolves it anew in each pipeline.
fn floating(reference: &str) -> bool {
    let Some((_, version)) = reference.rsplit_once('@') else {
        return true;
    };
    version == "volatile" || version.starts_with("dev:") || version.split('.').count() < 3
}

fn per_pipeline_values(loaded: &Loaded, job: &Job, warnings: &mut Vec<String>) {
    for name in per_pipeline(job) {
        let (file, line) = locate(loaded, job, name);
        let (what, effect) = never_equal(name);
        warnings.push(format!(
            "{}: job `{}` uses `<< {name} >>`, which {what}: {effect}, so it never skips (drop the value, or the job's source_files)",
            at(&file, line),
            job.id
        ));
    }
}

/// The `PER_PIPELINE` values `job` references, sorted.
fn per_pipeline(job: &Job) -> impl Iterator<Item = &String> {
    job.refs
        .pipeline
        .iter()
        .filter(|n| PER_PIPELINE.contains(&n.as_str()))
}

/// What per-pipeline value `name` is, and why a hash covering it never
/// leads to a skip.
fn never_equal(name: &str) -> (&'static str, &'static str) {
    if name == "pipeline.in_setup" {
        (
            "is `true` where `cigen setup` hashes it and `false` where the job runs",
            "its record step never finds the value its hash covers and never records",
        )
    } else {
        (
            "differs in every pipeline",
            "its hash never matches an earlier one",
        )
    }
}

/// The checks that need the dynamic workflow planned: no two values any
/// hash covers share one variable (an error), and the warnings of
/// `check_walked`. `walked` maps each unhashed job a hash walks through to
/// the hashed jobs whose hashes walk it (`WorkflowPlan::walked_by`).
pub(crate) fn check_planned(
    loaded: &Loaded,
    project: &Project,
    dynamic: &Workflow,
    walked: &BTreeMap<String, BTreeSet<String>>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let covered: Vec<&Job> = dynamic
        .jobs
        .iter()
        .filter(|job| job.hashed() || walked.contains_key(&job.id))
        .collect();
    environment_names_are_distinct(loaded, &covered)?;
    check_walked(loaded, project, dynamic, walked, warnings);
    Ok(())
}

/// Warnings about the unhashed jobs of the dynamic workflow that hashes
/// walk through: `walked` maps each to the hashed jobs whose hashes cover
/// its definition and pipeline values (`WorkflowPlan::walked_by`). A
/// floating orb or a per-pipeline value it uses is then as much a hole in
/// those hashes as if they used it themselves: one warning per unhashed
/// job and orb or value, at the line that uses it, naming the hashed jobs.
fn check_walked(
    loaded: &Loaded,
    project: &Project,
    dynamic: &Workflow,
    walked: &BTreeMap<String, BTreeSet<String>>,
    warnings: &mut Vec<String>,
) {
    for (id, hashed) in walked {
        let Some(job) = dynamic.job(id) else {
            continue;
        };
        let hashed: BTreeSet<&str> = hashed.iter().map(String::as_str).collect();
        let enters = |what: &str| {
            format!(
                "`{id}` is not hashed, so {what} enters the hash of {}, the hashed job(s) after it",
                list(&hashed)
            )
        };
        for alias in &job.refs.orbs {
            let Some(reference) = project.settings.orbs.get(alias).filter(|r| floating(r)) else {
                continue;
            };
            let (file, line) = locate(loaded, job, &format!("{alias}/"));
            warnings.push(format!(
                "{}: job `{id}` uses orb `{alias}: {reference}`, which has a floating version; {}, and that hash cannot see which release CircleCI resolves it to, so a new release would be skipped over; pin a full version (`{}@X.Y.Z`)",
                at(&file, line),
                enters("its definition"),
                orb_name(reference)
            ));
        }
        for name in per_pipeline(job) {
            let (file, line) = locate(loaded, job, name);
            let (what, _) = never_equal(name);
            warnings.push(format!(
                "{}: job `{id}` uses `<< {name} >>`, which {what}; {}: they never skip (drop the value from `{id}`, or their source_files)",
                at(&file, line),
                enters("the value"),
            ));
        }
    }
}

/// `namespace/name` of an orb reference, without its version.
fn orb_name(reference: &str) -> &str {
    reference
        .split_once('@')
        .map_or(reference, |(name, _)| name)
}

fn commit_bound(loaded: &Loaded, job: &Job, warnings: &mut Vec<String>) {
    for name in COMMIT_BOUND
        .iter()
        .filter(|n| job.refs.commit_bound.contains(*n))
    {
        let (file, line) = locate(loaded, job, name);
        warnings.push(format!(
            "{}: job `{}` uses `${name}`: what it makes under that name (an image tag, an artifact) is never made when the job is skipped; name it by `$CIGEN_JOB_HASH`, the hash of the job's inputs, instead",
            at(&file, line),
            job.id
        ));
    }
}

/// The file and line where `needle` is written: in the job's own file, else
/// in the first command it uses that holds it; else the job's file.
fn locate(loaded: &Loaded, job: &Job, needle: &str) -> (std::path::PathBuf, Option<usize>) {
    let own = loaded.sources.iter().find(|source| source.path == job.file);
    if let Some(line) = own.and_then(|source| source.line_in_block(job.line, needle)) {
        return (job.file.clone(), Some(line));
    }
    for name in &job.commands {
        let Some(command) = loaded.commands.iter().find(|c| &c.name == name) else {
            continue;
        };
        let Origin { source, keys } = &command.origin;
        let source = &loaded.sources[*source];
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        if let Some(line) = source.line_containing(&keys, needle) {
            return (source.path.clone(), Some(line));
        }
    }
    (job.file.clone(), job.line)
}

fn at(file: &std::path::Path, line: Option<usize>) -> String {
    format!("{}:{}", file.display(), line.unwrap_or(1))
}

fn list(ids: &BTreeSet<&str>) -> String {
    let names: Vec<String> = ids.iter().map(|id| format!("`{id}`")).collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::floating;

    #[test]
    fn floating_orb_versions() {
        for reference in [
            "circleci/node@volatile",
            "circleci/node@5",
            "circleci/node@5.2",
            "circleci/node@dev:alpha",
            "circleci/node",
        ] {
            assert!(floating(reference), "{reference}");
        }
        for reference in ["circleci/node@5.2.0", "circleci/slack@4.13.3"] {
            assert!(!floating(reference), "{reference}");
        }
    }
}
