//! A `when`/`unless` step's `condition` (a CircleCI logic statement,
//! https://circleci.com/docs/reference/configuration-reference/#logic-statements)
//! as a GitHub `if:` expression over pipeline values: literals and
//! `<< pipeline.… >>` keep their truth, `and`/`or`/`not` and `equal` map
//! to `&&`/`||`/`!` and `==`. A condition known when cigen generates (a
//! literal, or a command parameter already substituted) is folded: the
//! steps are kept or dropped. `matches` (GitHub expressions have no regular
//! expressions) and bare expression strings are refused. Pure.

use serde_yaml::Value;

use super::templates::{self, templates};
use super::{GITHUB_STEPS_HINT, Refusal};
use crate::emit::github::values::{self, Use};
use crate::model::Project;

/// A condition's meaning on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cond {
    Known(bool),
    /// A GitHub expression (without `${{ }}`), already parenthesised where
    /// it combines.
    Expr(String),
}

impl Cond {
    pub(crate) fn not(self) -> Cond {
        match self {
            Cond::Known(truth) => Cond::Known(!truth),
            Cond::Expr(expr) => Cond::Expr(format!("!({expr})")),
        }
    }
}

pub(crate) fn condition(project: &Project, value: &Value) -> Result<Cond, Refusal> {
    match value {
        Value::Bool(truth) => Ok(Cond::Known(*truth)),
        Value::Null => Ok(Cond::Known(false)),
        Value::Number(n) => Ok(Cond::Known(n.as_f64().is_some_and(|n| n != 0.0))),
        Value::String(text) => string(project, text),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, body) = map.iter().next().expect("one entry");
            statement(project, key.as_str().unwrap_or_default(), body)
        }
        Value::Tagged(tagged) => condition(project, &tagged.value),
        _ => Err(refusal(
            "a condition is a value or one of `and`, `or`, `not`, `equal`, `matches`".into(),
        )),
    }
}

fn string(project: &Project, text: &str) -> Result<Cond, Refusal> {
    let found = templates(text);
    if let [(range, inside)] = found.as_slice()
        && *range == (0..text.len())
    {
        return Ok(Cond::Expr(templates::pipeline(
            project,
            inside,
            Use::Condition,
        )?));
    }
    if found.is_empty() && text.contains("pipeline.") {
        return Err(refusal(format!(
            "condition expression `{text}` is not translated to GitHub Actions"
        )));
    }
    // Text around a template is never empty: true.
    Ok(Cond::Known(!text.is_empty()))
}

fn statement(project: &Project, key: &str, body: &Value) -> Result<Cond, Refusal> {
    let items = || match body {
        Value::Sequence(items) => items.clone(),
        one => vec![one.clone()],
    };
    match key {
        "and" | "or" => {
            let parts = items()
                .iter()
                .map(|item| condition(project, item))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(combine(key == "and", parts))
        }
        "not" => Ok(condition(project, body)?.not()),
        "equal" => equal(project, &items()),
        "matches" => Err(refusal(
            "`matches` has no GitHub Actions equivalent (expressions have no regular expressions)"
                .into(),
        )),
        _ => Err(refusal(format!("unknown logic statement `{key}`"))),
    }
}

/// `and` (`all`) or `or` of `parts`, folding known ones.
fn combine(all: bool, parts: Vec<Cond>) -> Cond {
    let mut exprs = vec![];
    for part in parts {
        match part {
            Cond::Known(truth) if truth != all => return Cond::Known(truth),
            Cond::Known(_) => {}
            Cond::Expr(expr) => exprs.push(expr),
        }
    }
    match exprs.as_slice() {
        [] => Cond::Known(all),
        [one] => Cond::Expr(one.clone()),
        _ => Cond::Expr(
            exprs
                .iter()
                .map(|expr| format!("({expr})"))
                .collect::<Vec<_>>()
                .join(if all { " && " } else { " || " }),
        ),
    }
}

/// Every item equal to the first. GitHub compares strings ignoring case.
fn equal(project: &Project, items: &[Value]) -> Result<Cond, Refusal> {
    let operands = items
        .iter()
        .map(|item| operand(project, item))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(known) = items
        .iter()
        .all(|item| !is_template(item))
        .then(|| items.windows(2).all(|pair| pair[0] == pair[1]))
    {
        return Ok(Cond::Known(known));
    }
    let pairs: Vec<Cond> = operands
        .windows(2)
        .map(|pair| Cond::Expr(format!("{} == {}", pair[0], pair[1])))
        .collect();
    Ok(combine(true, pairs))
}

fn is_template(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|text| !templates(text).is_empty())
}

fn operand(project: &Project, value: &Value) -> Result<String, Refusal> {
    match value {
        Value::String(text) => {
            let found = templates(text);
            match found.as_slice() {
                [] => Ok(values::literal(text)),
                [(range, inside)] if *range == (0..text.len()) => {
                    let expr = templates::pipeline(project, inside, Use::Condition)?;
                    Ok(if expr.contains(' ') {
                        format!("({expr})")
                    } else {
                        expr
                    })
                }
                _ => Err(refusal(format!(
                    "`{text}`: text around a pipeline value in `equal` is not translated"
                ))),
            }
        }
        Value::Bool(truth) => Ok(truth.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Null => Ok("null".into()),
        _ => Err(refusal("`equal` compares values, not lists or maps".into())),
    }
}

fn refusal(message: String) -> Refusal {
    Refusal {
        message,
        hint: GITHUB_STEPS_HINT.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emit::github::test_support;

    fn of(text: &str) -> Result<Cond, Refusal> {
        let (_dir, project) =
            test_support::project("parameters:\n  deploy: {type: boolean, default: false}\n");
        condition(&project, &serde_yaml::from_str(text).expect("yaml"))
    }

    #[test]
    fn literals_fold_and_values_become_expressions() {
        assert_eq!(of("true").expect("ok"), Cond::Known(true));
        assert_eq!(of("{and: [true, false]}").expect("ok"), Cond::Known(false));
        assert_eq!(of("{equal: [a, a]}").expect("ok"), Cond::Known(true));
        assert_eq!(
            of("<< pipeline.parameters.deploy >>").expect("ok"),
            Cond::Expr("github.event_name != 'workflow_dispatch' && false || inputs.deploy".into())
        );
        assert_eq!(
            of("{and: [true, {equal: [main, << pipeline.git.branch >>]}, {not: << pipeline.git.tag >>}]}").expect("ok"),
            Cond::Expr("('main' == (github.head_ref || github.ref_name)) && (!(github.ref_type == 'tag' && github.ref_name || ''))".into())
        );
    }

    #[test]
    fn matches_and_expression_strings_are_refused() {
        let err =
            of("{matches: {pattern: '^v', value: << pipeline.git.tag >>}}").expect_err("matches");
        assert!(
            err.message.starts_with("`matches` has no GitHub"),
            "{}",
            err.message
        );
        let err = of("pipeline.git.branch == \"main\"").expect_err("expression");
        assert_eq!(
            err.message,
            "condition expression `pipeline.git.branch == \"main\"` is not translated to GitHub Actions"
        );
    }
}
