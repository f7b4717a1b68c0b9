//! The pipeline values the hashed jobs reference, as this pipeline has them
//! (DESIGN §3): the one reader behind `cigen hash` and `cigen setup`. The
//! entrypoint hands each value to `cigen setup` as an environment variable
//! (`CIGEN_PARAM_<P>`, `CIGEN_PIPELINE_<name>`: `model::refs::env_name`);
//! the orb's setup job, where pipeline parameters are out of scope, hands
//! them all in one variable, `CIGEN_VALUES`, one `NAME=value` line each.
//! Input: the model and an environment lookup; output: name → value.
//! Reads no file.

use std::collections::BTreeMap;

use serde_yaml::Value;

use crate::error::{Error, Result};
use crate::model::refs::env_name;
use crate::model::{Project, Workflow};
use crate::plan::WorkflowPlan;

/// The single variable of the orb path (`setup.use_orb`).
pub const BLOCK_ENV: &str = "CIGEN_VALUES";

/// Name → value of every pipeline value the workflow's hashes cover
/// (`WorkflowPlan::hash_pipeline_values`), from the process environment.
pub fn from_env(
    project: &Project,
    workflow: &Workflow,
    plan: &WorkflowPlan,
) -> Result<BTreeMap<String, String>> {
    read(
        project,
        &plan.hash_pipeline_values(workflow),
        |name| match std::env::var(name) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::Usage(format!(
                "${name} is not valid UTF-8: CircleCI substitutes pipeline values as text"
            ))),
        },
    )
}

/// As `from_env`, with `lookup` for the environment. With `CIGEN_VALUES`
/// set, it is the only source; otherwise each value comes from its own
/// variable, and an unset one is the parameter's declared default
/// (booleans `true`/`false`, as CircleCI renders them) or, for a value that
/// is not a parameter, empty.
pub fn read(
    project: &Project,
    names: &[String],
    lookup: impl Fn(&str) -> Result<Option<String>>,
) -> Result<BTreeMap<String, String>> {
    if let Some(block) = lookup(BLOCK_ENV)? {
        return parse_block(names, &block);
    }
    let mut values = BTreeMap::new();
    for name in names {
        let value = match lookup(&env_name(name))? {
            Some(value) => value,
            None => default(project, name),
        };
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// The block `generate` writes for the orb: one line `ENV_NAME=value` per
/// name, in the order of `names` (sorted), each name exactly once; one
/// final line end is optional. CircleCI substitutes the values verbatim, so
/// a value holding a line break adds a line: the block then has more lines
/// than names and is refused, never split at a guess — one value can never
/// be read as another, or as a second copy of another's name.
pub fn parse_block(names: &[String], block: &str) -> Result<BTreeMap<String, String>> {
    let body = block.strip_suffix('\n').unwrap_or(block);
    let lines: Vec<&str> = if body.is_empty() && names.is_empty() {
        vec![]
    } else {
        body.split('\n').collect()
    };
    let expected: Vec<String> = names.iter().map(|name| env_name(name)).collect();
    if lines.len() != names.len() {
        return Err(Error::Usage(format!(
            "${BLOCK_ENV} holds {} line(s) for the {} pipeline value(s) the hashed jobs reference ({}): either a value contains a line break (the orb's setup job cannot pass such a value: set `setup.use_orb: false`), or .circleci/config.yml is stale (run `cigen generate`)",
            lines.len(),
            names.len(),
            if expected.is_empty() {
                "none".to_string()
            } else {
                expected.join(", ")
            }
        )));
    }
    let mut values = BTreeMap::new();
    for ((name, variable), line) in names.iter().zip(&expected).zip(&lines) {
        let Some(value) = line
            .strip_prefix(variable.as_str())
            .and_then(|rest| rest.strip_prefix('='))
        else {
            return Err(Error::Usage(format!(
                "${BLOCK_ENV}: expected a line `{variable}=…` for `{name}` where it has `{}`: .circleci/config.yml is stale (run `cigen generate`)",
                line.split('=').next().unwrap_or_default()
            )));
        };
        values.insert(name.clone(), value.to_string());
    }
    Ok(values)
}

/// The value CircleCI substitutes when nothing set it: a parameter's
/// declared default, else empty.
fn default(project: &Project, name: &str) -> String {
    let declared = name
        .strip_prefix("pipeline.parameters.")
        .and_then(|parameter| project.settings.parameters.get(parameter))
        .and_then(|definition| definition.get("default"));
    match declared {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Bool(flag)) => flag.to_string(),
        Some(Value::Number(number)) => number.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn a_block_gives_each_name_its_own_line() {
        let names = names(&["pipeline.git.branch", "pipeline.parameters.ref"]);
        let values = parse_block(
            &names,
            "CIGEN_PIPELINE_git_branch=main\nCIGEN_PARAM_ref=a=b \r\n",
        )
        .expect("parses");
        assert_eq!(values["pipeline.git.branch"], "main");
        assert_eq!(values["pipeline.parameters.ref"], "a=b \r");
        let empty =
            parse_block(&names, "CIGEN_PIPELINE_git_branch=\nCIGEN_PARAM_ref=").expect("parses");
        assert_eq!(empty["pipeline.parameters.ref"], "");
        assert!(parse_block(&[], "").expect("nothing").is_empty());
    }

    #[test]
    fn a_value_with_a_line_break_is_refused_not_split() {
        let names = names(&["pipeline.git.branch", "pipeline.parameters.ref"]);
        // `ref` would smuggle in a second branch line.
        for block in [
            "CIGEN_PIPELINE_git_branch=main\nCIGEN_PARAM_ref=x\nCIGEN_PIPELINE_git_branch=evil\n",
            "CIGEN_PIPELINE_git_branch=a\nb\nCIGEN_PARAM_ref=x\n",
            "CIGEN_PIPELINE_git_branch=main\nCIGEN_PARAM_ref=x\n\n",
        ] {
            let err = parse_block(&names, block).expect_err("refused");
            assert!(err.to_string().contains("line break"), "{err}");
        }
        let err = parse_block(
            &names,
            "CIGEN_PARAM_ref=x\nCIGEN_PIPELINE_git_branch=main\n",
        )
        .expect_err("out of order");
        assert!(err.to_string().contains("stale"), "{err}");
        assert!(parse_block(&[], "CIGEN_PARAM_ref=x\n").is_err());
    }
}
