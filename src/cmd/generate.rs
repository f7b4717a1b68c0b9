//! `cigen generate`: renders both CircleCI files and writes them atomically,
//! or with `--check` diffs them against what is on disk (same renderer, so
//! the check can never disagree with the write). `--workflow` renders the
//! dynamic workflow alone, pruned by `CIGEN_SKIP_JOBS_FILE`. `checked` is
//! everything `generate` checks; `cigen validate` runs it and writes nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::drift;
use crate::emit;
use crate::error::{Error, Result};
use crate::fsutil::{read_optional, write_atomic};
use crate::model::Project;
use crate::plan::WorkflowPlan;
use crate::provider::Provider;
use crate::setup::reference::Ref;
use crate::setup::{hashes, values};

/// A checked configuration and the files it renders to (relative path, text).
pub(super) struct Checked {
    pub project: Project,
    pub plans: Vec<WorkflowPlan>,
    pub files: Vec<(String, String)>,
}

/// Every check of `generate`: load, model and plan (printing warnings),
/// render, and the source patterns of the dynamic workflow's jobs, each of
/// which must match a file — checked with the hash engine itself, only
/// when the configuration sits at the root of a git work tree (elsewhere,
/// e.g. an example configuration without its sources, it is skipped).
pub(super) fn checked(config: Option<&Path>) -> Result<Checked> {
    let (project, plans) = super::load_and_warn(config)?;
    if let Ok((workflow, plan)) = super::dynamic(&project, &plans) {
        hashes::check_canonical(&project, workflow, plan)?;
    }
    let files = emit::files(&project, &plans)?;
    if project.settings.providers.contains(&Provider::Github) {
        for note in emit::github::job::notes(&project, &plans) {
            crate::errln!("{note}");
        }
        let github = files
            .iter()
            .filter(|(path, _)| path.starts_with(emit::github::WORKFLOWS_DIR));
        for (path, text) in github {
            for warning in emit::github::limits::warnings(path, text) {
                crate::errln!("{warning}");
            }
        }
    }
    if project.root.join(".git").exists()
        && let Ok((workflow, plan)) = super::dynamic(&project, &plans)
    {
        // Only which files match matters here: the declared defaults will do.
        let defaults = values::read(&project, &plan.hash_pipeline_values(workflow), |_| Ok(None))?;
        let provider = super::provider_for(&project, None)?;
        hashes::compute(&project, workflow, plan, &defaults, provider)?;
    }
    Ok(Checked {
        project,
        plans,
        files,
    })
}

pub(super) fn run(
    config: Option<&Path>,
    check: bool,
    workflow: Option<&str>,
    output: Option<&Path>,
) -> Result<()> {
    let Checked {
        project,
        plans,
        files,
    } = checked(config)?;
    if let Some(name) = workflow {
        return render_workflow(&project, &plans, name, output);
    }
    let files: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|(path, text)| (project.root.join(path), text))
        .collect();
    if check {
        let mut diff = String::new();
        for (path, text) in &files {
            let current = read_optional(path)?.unwrap_or_default();
            let shown = shown(path).display().to_string();
            diff.extend(drift::unified(&shown, "on disk", &current, text));
        }
        if diff.is_empty() {
            crate::outln!("generated files are up to date");
            return Ok(());
        }
        crate::out!("{diff}");
        return Err(Error::Drift(
            "generated files are stale: run `cigen generate` and commit the result".into(),
        ));
    }
    for (path, text) in &files {
        let unchanged = read_optional(path)?.as_deref() == Some(text.as_str());
        if !unchanged {
            write_atomic(path, text.as_bytes())?;
        }
        crate::outln!(
            "{} {}",
            if unchanged { "unchanged" } else { "wrote" },
            shown(path).display()
        );
    }
    Ok(())
}

fn render_workflow(
    project: &Project,
    plans: &[WorkflowPlan],
    name: &str,
    output: Option<&Path>,
) -> Result<()> {
    let (workflow, plan) = super::workflow_named(project, plans, name)?;
    if workflow.trigger.is_some() {
        return Err(Error::Usage(format!(
            "workflow `{name}` is an immediate workflow in config.yml; --workflow renders the dynamic workflow"
        )));
    }
    let skip = match std::env::var_os("CIGEN_SKIP_JOBS_FILE") {
        Some(path) => read_skip_list(Path::new(&path))?,
        None => BTreeSet::new(),
    };
    // The same shape `cigen continue` sends, without hashes.
    let shape = crate::setup::shape::shape(project, workflow, plan, &skip, &Ref::from_env());
    let pruned = &shape.pruned;
    for id in &pruned.unknown {
        crate::errln!("warning: skip list names `{id}`, which is not a job of workflow `{name}`");
    }
    for (id, reason) in &pruned.unskipped {
        crate::errln!("kept {id}: {reason}");
    }
    let continued = emit::Continued {
        carry: None,
        stand_ins: &pruned.stand_ins,
        unpruned: plan,
    };
    let text = emit::render_main(project, workflow, &pruned.plan, Some(&continued))?;
    match output {
        Some(path) => write_atomic(path, text.as_bytes()),
        None => {
            crate::out!("{text}");
            Ok(())
        }
    }
}

/// One variant id a line; blank lines and `#` comments ignored.
pub(super) fn read_skip_list(path: &Path) -> Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::io(path, err))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect())
}

fn shown(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    let path = path.strip_prefix(&cwd).unwrap_or(path);
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}
