//! Resolves the names users write in `requires` / `requires_any` to targets:
//! a job id (all its variants), one `<id>_<arch>` variant, a stage's
//! `approve_<stage>`, a job's own gate `approve_<id>`, or a bare job name in
//! the requiring job's own stage. Unknown names get the nearest valid one.

use std::collections::HashMap;

use super::{Job, Stage};
use crate::error::{ConfigError, suggest};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A job; `arch` set when one variant of a multi-arch job is named.
    Job {
        id: String,
        arch: Option<String>,
    },
    StageApproval(String),
    Gate(String),
}

impl Target {
    /// The name the target is written as, and part of a shim id (`approve_<id>_after_<name>`).
    pub(crate) fn name(&self) -> String {
        match self {
            Target::Job {
                id,
                arch: Some(arch),
            } => format!("{id}_{arch}"),
            Target::Job { id, arch: None } => id.clone(),
            Target::StageApproval(stage) => format!("approve_{stage}"),
            Target::Gate(job) => format!("approve_{job}"),
        }
    }
}

/// Why a name in `requires` / `requires_any` does not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Unresolved {
    /// No job, variant or approval has the name; the nearest valid one.
    Unknown { hint: Option<String> },
    /// The name is the requiring job itself (or one of its variants, or its gate).
    Itself,
}

impl Unresolved {
    /// The error for `name` in the list `key` (`requires` or
    /// `requires_any`) of `from`, at `at` (its file, line and key).
    pub(super) fn at(self, at: ConfigError, name: &str, key: &str, from: &Job) -> ConfigError {
        match self {
            Unresolved::Unknown { hint } => at
                .message(format!("unknown job `{name}` in {key}"))
                .hint(hint),
            Unresolved::Itself => at.message(itself(name, from)),
        }
    }
}

/// "job `a` cannot require itself", saying what `name` is when it is not the id.
fn itself(name: &str, from: &Job) -> String {
    if name == from.id {
        return format!("job `{name}` cannot require itself");
    }
    let what = if name == from.gate_id() {
        "its own approval".to_string()
    } else if from.archs.iter().any(|arch| from.variant_id(arch) == name) {
        "one of its variants".to_string()
    } else {
        format!(
            "its name in stage `{}`",
            from.stage.as_deref().unwrap_or_default()
        )
    };
    format!(
        "job `{}` cannot require itself: `{name}` is {what}",
        from.id
    )
}

pub(super) struct Resolver {
    /// Every name a requirement may use, built once: lookups are O(1).
    names: HashMap<String, Target>,
}

impl Resolver {
    pub(super) fn new<'a>(stages: &[Stage], jobs: impl Iterator<Item = &'a Job>) -> Resolver {
        let mut names = HashMap::new();
        for stage in stages.iter().filter(|s| s.approval) {
            names.insert(
                format!("approve_{}", stage.name),
                Target::StageApproval(stage.name.clone()),
            );
        }
        for job in jobs {
            let id = || job.id.clone();
            names.entry(id()).or_insert(Target::Job {
                id: id(),
                arch: None,
            });
            if job.multi_arch() {
                for arch in &job.archs {
                    names.entry(job.variant_id(arch)).or_insert(Target::Job {
                        id: id(),
                        arch: Some(arch.clone()),
                    });
                }
            }
            if job.gated {
                names.entry(job.gate_id()).or_insert(Target::Gate(id()));
            }
        }
        Resolver { names }
    }

    /// The target `name` means for `from`, or why there is none.
    pub(super) fn resolve(&self, name: &str, from: &Job) -> Result<Target, Unresolved> {
        let target = self.lookup(name).or_else(|| {
            from.stage
                .as_ref()
                .and_then(|stage| self.lookup(&format!("{stage}_{name}")))
        });
        match target {
            Some(Target::Job { id, .. } | Target::Gate(id)) if id == from.id => {
                Err(Unresolved::Itself)
            }
            Some(target) => Ok(target),
            None => Err(Unresolved::Unknown {
                hint: suggest(name, self.names().iter().map(String::as_str)),
            }),
        }
    }

    fn lookup(&self, name: &str) -> Option<Target> {
        self.names.get(name).cloned()
    }

    /// Names to suggest from: full names only, which resolve from any stage.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.names.keys().cloned().collect();
        names.sort();
        names
    }
}
