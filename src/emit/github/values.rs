//! CircleCI pipeline values (`pipeline.git.branch`, `pipeline.parameters.P`,
//! …) as GitHub Actions expressions: what a translated step writes where
//! the job wrote `<< pipeline.… >>`, and what the setup job passes to
//! `cigen setup` as `CIGEN_PARAM_*` / `CIGEN_PIPELINE_*`. Input: the project
//! (for parameter types and defaults) and a value's full name; output: the
//! expression, or `None` / an error when GitHub has no equivalent. Pure.
//!
//! A parameter is `inputs.P` on `workflow_dispatch` and its default on any
//! other event (push and pull_request runs have no inputs: "If you attempt
//! to dereference a nonexistent property, it will evaluate to an empty
//! string", https://docs.github.com/en/actions/reference/workflows-and-actions/contexts).
//! The form is `event != dispatch && '<default>' || inputs.P` rather than
//! `inputs.P || '<default>'`: the latter turns a dispatched `false`, `0`
//! or `''` into the default, because GitHub's `||` returns its right side
//! for any falsy left side.

use serde_yaml::Value;

use crate::error::{Error, Result};
use crate::model::Project;

/// How the value is used: its text (a step's command, a cache key, an
/// environment value) or its truth (an `if:` condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Text,
    Condition,
}

/// What the error for an untranslatable value says GitHub can express.
pub(crate) const SUPPORTED: &str = "GitHub Actions has equivalents for pipeline.parameters.*, pipeline.git.branch, pipeline.git.tag, pipeline.git.revision, pipeline.number and pipeline.id only";

/// The `${{ … }}` text standing for pipeline value `name` (its full name,
/// `pipeline.git.branch`), e.g. for an environment value of the setup job.
#[allow(dead_code, reason = "the setup job's env (13A2) uses it")]
pub(crate) fn expression(project: &Project, name: &str) -> Result<String> {
    match inner(project, name, Use::Text) {
        Some(expression) => Ok(format!("${{{{ {expression} }}}}")),
        None => Err(Error::Usage(format!(
            "pipeline value `{name}` has no GitHub Actions equivalent: {SUPPORTED}\n  hint: write the job's GitHub steps yourself under `github: {{steps: …}}`, or pass the value as a pipeline parameter"
        ))),
    }
}

/// The expression (without `${{ }}`) for `name`, or `None` when GitHub
/// has no equivalent or the parameter is not declared.
pub(crate) fn inner(project: &Project, name: &str, usage: Use) -> Option<String> {
    if let Some(parameter) = name.strip_prefix("pipeline.parameters.") {
        let definition = project.settings.parameters.get(parameter)?;
        return Some(parameter_expression(parameter, definition, usage));
    }
    let expression = match name {
        "pipeline.git.branch" => "github.head_ref || github.ref_name",
        "pipeline.git.tag" => "github.ref_type == 'tag' && github.ref_name || ''",
        "pipeline.git.revision" => "github.sha",
        "pipeline.number" => "github.run_number",
        "pipeline.id" => "github.run_id",
        _ => return None,
    };
    Some(expression.to_string())
}

/// `inputs.P` when dispatched, else the default; no default: `inputs.P`
/// (empty outside a dispatch).
fn parameter_expression(parameter: &str, definition: &Value, usage: Use) -> String {
    let input = format!("inputs.{parameter}");
    let Some(default) = definition.get("default") else {
        return input;
    };
    let default = match (default, usage) {
        // In a condition a boolean or number keeps its truth (`'false'` is truthy).
        (Value::Bool(_) | Value::Number(_), Use::Condition) => scalar_text(default),
        _ => literal(&scalar_text(default)),
    };
    format!("github.event_name != 'workflow_dispatch' && {default} || {input}")
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        _ => String::new(),
    }
}

/// A GitHub expression string literal: single quotes, `'` doubled.
pub(crate) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> Project {
        super::super::test_support::project(
            "parameters:\n  deploy: {type: boolean, default: false}\n  on: {type: boolean, default: true}\n  region: {type: string, default: \"eu-west-1\"}\n  quote: {type: string, default: \"it's\"}\n  count: {type: integer, default: 0}\n  needed: {type: string}\n",
        )
        .1
    }

    #[test]
    fn git_values_and_run_ids_have_fixed_expressions() {
        let project = project();
        let cases = [
            (
                "pipeline.git.branch",
                "${{ github.head_ref || github.ref_name }}",
            ),
            (
                "pipeline.git.tag",
                "${{ github.ref_type == 'tag' && github.ref_name || '' }}",
            ),
            ("pipeline.git.revision", "${{ github.sha }}"),
            ("pipeline.number", "${{ github.run_number }}"),
            ("pipeline.id", "${{ github.run_id }}"),
        ];
        for (name, expected) in cases {
            assert_eq!(expression(&project, name).expect(name), expected);
        }
    }

    #[test]
    fn a_parameter_is_its_input_when_dispatched_and_its_default_otherwise() {
        let project = project();
        let text =
            |name: &str| expression(&project, &format!("pipeline.parameters.{name}")).expect(name);
        assert_eq!(
            text("region"),
            "${{ github.event_name != 'workflow_dispatch' && 'eu-west-1' || inputs.region }}"
        );
        assert_eq!(
            text("quote"),
            "${{ github.event_name != 'workflow_dispatch' && 'it''s' || inputs.quote }}"
        );
        assert_eq!(
            text("deploy"),
            "${{ github.event_name != 'workflow_dispatch' && 'false' || inputs.deploy }}"
        );
        assert_eq!(text("needed"), "${{ inputs.needed }}");
    }

    #[test]
    fn a_parameter_in_a_condition_keeps_the_truth_of_its_default() {
        let project = project();
        let truth = |name: &str| {
            inner(
                &project,
                &format!("pipeline.parameters.{name}"),
                Use::Condition,
            )
            .expect(name)
        };
        assert_eq!(
            truth("on"),
            "github.event_name != 'workflow_dispatch' && true || inputs.on"
        );
        assert_eq!(
            truth("count"),
            "github.event_name != 'workflow_dispatch' && 0 || inputs.count"
        );
        assert_eq!(
            truth("region"),
            "github.event_name != 'workflow_dispatch' && 'eu-west-1' || inputs.region"
        );
    }

    #[test]
    fn other_values_and_undeclared_parameters_have_no_expression() {
        let project = project();
        let err = expression(&project, "pipeline.trigger_source").expect_err("unsupported");
        assert_eq!(
            err.to_string(),
            format!(
                "pipeline value `pipeline.trigger_source` has no GitHub Actions equivalent: {SUPPORTED}\n  hint: write the job's GitHub steps yourself under `github: {{steps: …}}`, or pass the value as a pipeline parameter"
            )
        );
        assert_eq!(
            inner(&project, "pipeline.parameters.missing", Use::Text),
            None
        );
    }
}
