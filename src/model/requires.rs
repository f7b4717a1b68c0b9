//! Resolves the names users write in `requires` / `requires_any` to targets:
//! a job id (all its variants), one `<id>_<arch>` variant, a stage's
//! `approve_<stage>`, a job's own gate `approve_<id>`, or a bare job name in
//! the requiring job's own stage. Unknown names get the nearest valid one.

use super::{Job, Stage};
use crate::error::suggest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A job; `arch` set when one variant of a multi-arch job is named.
    Job {
        id: String,
        arch: Option<String>,
    },
    StageApproval(String),
    Gate(String),
}

struct Entry {
    id: String,
    stage: Option<String>,
    archs: Vec<String>,
    multi: bool,
    gated: bool,
}

pub struct Resolver {
    stages: Vec<String>,
    jobs: Vec<Entry>,
}

impl Resolver {
    pub fn new<'a>(stages: &[Stage], jobs: impl Iterator<Item = &'a Job>) -> Resolver {
        Resolver {
            stages: stages
                .iter()
                .filter(|s| s.approval)
                .map(|s| s.name.clone())
                .collect(),
            jobs: jobs
                .map(|job| Entry {
                    id: job.id.clone(),
                    stage: job.stage.clone(),
                    archs: job.archs.clone(),
                    multi: job.multi_arch(),
                    gated: job.gated,
                })
                .collect(),
        }
    }

    /// The target `name` means for `from`, or the "did you mean" hint.
    pub fn resolve(&self, name: &str, from: &Job) -> Result<Target, Option<String>> {
        let target = self.lookup(name).or_else(|| {
            from.stage
                .as_ref()
                .and_then(|stage| self.lookup(&format!("{stage}_{name}")))
        });
        match target {
            Some(Target::Job { id, .. }) | Some(Target::Gate(id)) if id == from.id => {
                Err(Some(format!("job `{}` cannot require itself", from.id)))
            }
            Some(target) => Ok(target),
            None => Err(suggest(name, self.names().iter().map(String::as_str))),
        }
    }

    fn lookup(&self, name: &str) -> Option<Target> {
        if let Some(stage) = name.strip_prefix("approve_")
            && self.stages.iter().any(|s| s == stage)
        {
            return Some(Target::StageApproval(stage.to_string()));
        }
        for job in &self.jobs {
            if job.id == name {
                return Some(Target::Job {
                    id: job.id.clone(),
                    arch: None,
                });
            }
            if job.multi {
                for arch in &job.archs {
                    if name == format!("{}_{arch}", job.id) {
                        return Some(Target::Job {
                            id: job.id.clone(),
                            arch: Some(arch.clone()),
                        });
                    }
                }
            }
            if job.gated && name == format!("approve_{}", job.id) {
                return Some(Target::Gate(job.id.clone()));
            }
        }
        None
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.stages.iter().map(|s| format!("approve_{s}")).collect();
        for job in &self.jobs {
            names.push(job.id.clone());
            if let Some(stage) = &job.stage
                && let Some(bare) = job.id.strip_prefix(&format!("{stage}_"))
            {
                names.push(bare.to_string());
            }
            if job.multi {
                names.extend(job.archs.iter().map(|arch| format!("{}_{arch}", job.id)));
            }
            if job.gated {
                names.push(format!("approve_{}", job.id));
            }
        }
        names
    }
}
