//! `setup.required_check: NAME` on GitHub: job NAME needs every user job
//! variant not behind an approval (the plan's check node) and
//! `cigen_setup`, runs `if: always()`, and its one step fails when any of
//! them failed, was cancelled (a timed-out job reports `cancelled`), or was
//! skipped without cigen skipping it (`run_<v>` not `false`: an unhashed
//! job, or a lost output). Branch protection then needs this one check,
//! whatever cigen skipped. A job its `filters` (or a requirement's) keep
//! from this run is skipped too, and passes (`CIGEN_FILTERED_OUT`), as
//! CircleCI leaves a filtered job out. The results come in through `env`
//! (`toJSON(needs)`, never spliced into the script) and are read with `jq`,
//! which GitHub's Ubuntu runners carry. Input: the wiring; output: a job.
//! Pure.

use serde_yaml::{Mapping, Value};

use super::conditions::Condition;
use super::filters::Filters;
use super::record::needs_value;
use super::setup_job::RUNNER;
use crate::value::mapping;

/// The check's script (bash, shellcheck-clean): reads `CIGEN_NEEDS`.
/// `CIGEN_FILTERED_OUT` lists (space-separated) the jobs whose `filters`,
/// or those of a job they require, keep them from running in this run.
pub(crate) const SCRIPT: &str = r#"not_passed=$(printf '%s' "$CIGEN_NEEDS" | jq -r --arg filtered " ${CIGEN_FILTERED_OUT:-} " '
  (.cigen_setup.outputs // {}) as $outputs
  | to_entries[]
  | select(.value.result == "failure" or .value.result == "cancelled"
      or (.value.result == "skipped" and ($outputs["run_" + .key] // "") != "false"
          and (.key as $key | $filtered | contains(" " + $key + " ") | not)))
  | "\(.key): \(.value.result)"')
if [ -n "$not_passed" ]; then
  echo "Not passed:"
  echo "$not_passed"
  exit 1
fi
echo "Every required job passed or was skipped by cigen."
"#;

/// The required-check job.
pub(super) fn job(needs: &[String], condition: &Condition, filters: &Filters) -> Value {
    let mut env = mapping(&[("CIGEN_NEEDS", "${{ toJSON(needs) }}".into())]);
    let filtered: Vec<String> = needs
        .iter()
        .filter_map(|id| {
            filters
                .filtered_out(id)
                .map(|out| format!("${{{{ ({out}) && '{id}' || '' }}}}"))
        })
        .collect();
    if let Value::Mapping(env) = &mut env
        && !filtered.is_empty()
    {
        env.insert("CIGEN_FILTERED_OUT".into(), filtered.join(" ").into());
    }
    let step = mapping(&[
        (
            "name",
            "every required job passed or was skipped by cigen".into(),
        ),
        ("shell", "bash".into()),
        ("env", env),
        ("run", SCRIPT.into()),
    ]);
    let mut job = Mapping::new();
    job.insert("needs".into(), needs_value(needs));
    job.insert("if".into(), condition.render().into());
    job.insert("runs-on".into(), RUNNER.into());
    job.insert("steps".into(), Value::Sequence(vec![step]));
    Value::Mapping(job)
}
