//! `CIGEN_HASH_<variant>`: the variable through which a job of the
//! continuation finds the hash of each hashed variant it requires directly
//! (build once, promote by hash: DESIGN §4). A variant id may hold `-`,
//! which no shell variable may: it becomes `_`, letters keep their case
//! (`build-img_amd64` → `CIGEN_HASH_build_img_amd64`). Two hashed variants
//! of the dynamic workflow whose names map to one variable are a
//! configuration error, raised when the workflow is planned.

use std::collections::HashMap;

use crate::error::{ConfigError, Result};
use crate::model::Workflow;

/// The variable holding the hash of `variant`.
pub fn hash_env(variant: &str) -> String {
    format!("CIGEN_HASH_{}", variant.replace('-', "_"))
}

/// Refuses two hashed variants of `workflow` sharing one `CIGEN_HASH_` name.
pub(super) fn check(workflow: &Workflow) -> Result<()> {
    let mut seen: HashMap<String, String> = HashMap::new();
    for job in workflow.jobs.iter().filter(|job| job.hashed()) {
        for arch in &job.archs {
            let variant = job.variant_id(arch);
            let name = hash_env(&variant);
            if let Some(other) = seen.insert(name.clone(), variant.clone()) {
                return Err(ConfigError::new(
                    &job.file,
                    "(job id)",
                    format!(
                        "hashed jobs `{other}` and `{variant}` would both pass their hash as `{name}` (`-` becomes `_`)"
                    ),
                )
                .line(job.line)
                .hint(Some("rename one of the jobs".to_string()))
                .into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::hash_env;

    #[test]
    fn dashes_become_underscores_and_case_stays() {
        assert_eq!(hash_env("build-img_amd64"), "CIGEN_HASH_build_img_amd64");
        assert_eq!(hash_env("Test"), "CIGEN_HASH_Test");
    }
}
