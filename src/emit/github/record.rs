//! Recording a hashed variant's success on GitHub: a marker file under
//! `${{ runner.temp }}/cigen-marker/` saved with `actions/cache/save@v4`
//! under the key `cigen-job-<variant>-<hash>`, which `cigen continue
//! --provider github` lists next time. Both steps are guarded by `hash_<v>
//! != ''` (no hash, nothing to promise) and, like every step without a
//! status function, run only when the job's steps so far passed. A
//! parallel variant records in its own `<variant>_record` job after the
//! whole matrix passed. Input: variant ids; output: steps and jobs. Pure.
//! A marker that fails to save only makes the job run again next time
//! (`actions/cache/save` never fails the job; research §2).

use serde_yaml::{Mapping, Value};

use super::conditions::{Condition, hash_output};
use super::setup_job::RUNNER;
use crate::setup::github_skip::MARKER_PREFIX;
use crate::value::mapping;

/// `CIGEN_JOB_HASH`'s value for `variant`.
pub(super) fn job_hash(variant: &str) -> String {
    format!("${{{{ {} }}}}", hash_output(variant))
}

/// The two last steps of a hashed variant that records its own success.
pub(super) fn steps(variant: &str) -> Vec<Value> {
    let guard = format!("{} != ''", hash_output(variant));
    let dir = "${{ runner.temp }}/cigen-marker";
    let write = mapping(&[
        ("name", "cigen record".into()),
        ("if", guard.clone().into()),
        ("env", mapping(&[("CIGEN_MARKER_DIR", dir.into())])),
        (
            "run",
            format!(
                "mkdir -p \"$CIGEN_MARKER_DIR\"\nprintf '%s\\n' \"$CIGEN_JOB_HASH\" > \"$CIGEN_MARKER_DIR/{variant}\"\n"
            )
            .into(),
        ),
    ]);
    let save = mapping(&[
        ("name", "cigen save marker".into()),
        ("if", guard.into()),
        ("uses", "actions/cache/save@v4".into()),
        (
            "with",
            mapping(&[
                ("path", dir.into()),
                (
                    "key",
                    format!("{MARKER_PREFIX}{variant}-{}", job_hash(variant)).into(),
                ),
            ]),
        ),
    ]);
    vec![write, save]
}

/// The `<variant>_record` job of a parallel variant.
pub(super) fn job(of: &str, needs: &[String], condition: &Condition) -> Value {
    let mut job = Mapping::new();
    job.insert("needs".into(), needs_value(needs));
    job.insert("if".into(), condition.render().into());
    job.insert("runs-on".into(), RUNNER.into());
    job.insert(
        "env".into(),
        mapping(&[("CIGEN_JOB_HASH", job_hash(of).into())]),
    );
    job.insert("steps".into(), Value::Sequence(steps(of)));
    Value::Mapping(job)
}

pub(super) fn needs_value(needs: &[String]) -> Value {
    Value::Sequence(needs.iter().map(|n| Value::from(n.clone())).collect())
}
