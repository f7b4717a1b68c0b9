//! `cigen hash`: prints the hash of every hashed variant of the dynamic
//! workflow (or one, `--job`), as text or a JSON map. Same code path as
//! `setup`, so what it prints is what the setup job probes.

use std::path::Path;

use crate::error::{Error, Result};
use crate::setup::hashes;

pub fn run(config: Option<&Path>, job: Option<&str>, json: bool) -> Result<()> {
    let (project, plans) = super::load(config)?;
    let (workflow, plan) = super::dynamic(&project, &plans)?;
    let report = hashes::compute(&project, workflow, plan)?;
    let mut selected = report.hashes.clone();
    if let Some(job) = job {
        selected.retain(|variant, _| variant == job || plan.node(variant).is_some_and(|n| matches!(&n.kind, crate::plan::NodeKind::Variant { job: j, .. } if j == job)));
        if selected.is_empty() {
            let known: Vec<&str> = report.hashes.keys().map(String::as_str).collect();
            let hint = crate::error::suggest(job, known)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            return Err(Error::Usage(format!(
                "no hashed job or variant `{job}`{hint}"
            )));
        }
    }
    if json {
        let text = serde_json::to_string_pretty(&selected)
            .map_err(|err| Error::Runtime(err.to_string()))?;
        crate::outln!("{text}");
    } else {
        let width = selected.keys().map(String::len).max().unwrap_or(0);
        for (variant, hash) in &selected {
            crate::outln!("{variant:width$}  {hash}");
        }
    }
    Ok(())
}
