//! Job ids cigen composes from what users write — variants `<id>_<arch>`,
//! gates `approve_<id>`, shims `approve_<id>_after_<trigger>`, stage
//! approvals `approve_<stage>`, record jobs `<variant>_record` — must
//! themselves be valid CircleCI job names.
//! Input: a job (or one composed id). Output: a configuration error pointing
//! at what made the invalid id. Never changes a name.

use super::{Job, Locate, is_valid_name, record_id};
use crate::error::Result;

/// Longest job name cigen writes.
pub(super) const MAX_NAME: usize = 128;

/// Why a job id cigen composes (`<id>_<arch>`, `approve_<id>`, …) is not a
/// valid job name, or `None` when it is.
pub(super) fn invalid_id(id: &str) -> Option<String> {
    if is_valid_name(id) {
        return None;
    }
    let why = if id.len() > MAX_NAME {
        format!(
            "it is {} characters long, over the limit of {MAX_NAME}",
            id.len()
        )
    } else {
        "job names start with a letter and hold only letters, digits, `_` and `-`".to_string()
    };
    Some(format!(
        "cigen would name a job `{id}`, which is not a valid CircleCI job name: {why}"
    ))
}

/// The ids cigen composes for a job — its variants `<id>_<arch>` and its
/// gate `approve_<id>` — are valid CircleCI job names; the error points at
/// what made the id.
pub(super) fn check_ids(job: &Job, error: impl Locate) -> Result<()> {
    for arch in &job.archs {
        if let Some(why) = invalid_id(&job.variant_id(arch)) {
            let at = if job.multi_arch() {
                error(&["architectures"], Some(arch))
            } else {
                error(&[], None).key("(job id)")
            };
            return Err(at.message(why).into());
        }
    }
    if job.gated
        && let Some(why) = invalid_id(&job.gate_id())
    {
        let key = if job.approval {
            "approval"
        } else {
            "requires_any"
        };
        return Err(error(&[key], None).message(why).into());
    }
    Ok(())
}

/// The record jobs `<variant>_record` of a parallel hashed job (dynamic
/// workflow only) are valid job names; the error points at `parallelism`.
pub(super) fn check_record_ids(job: &Job, error: impl Locate) -> Result<()> {
    if !job.records_apart() {
        return Ok(());
    }
    for arch in &job.archs {
        if let Some(why) = invalid_id(&record_id(&job.variant_id(arch))) {
            return Err(error(&["parallelism"], None).message(why).into());
        }
    }
    Ok(())
}
