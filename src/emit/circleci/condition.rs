//! The `when` conditions cigen composes for the workflows of `config.yml`:
//! a trigger parameter that must be true, earlier trigger parameters that
//! must all be false, and the user's own `when`, all of which must hold.
//! CircleCI reads a workflow's `when` as a logic statement (`and`, `or`,
//! `not`, `equal`, `matches`, literals, `<< … >>` values) or, when it is a
//! plain string, as an expression (`pipeline.git.branch == "main"`)
//! (<https://circleci.com/docs/reference/configuration-reference/#logic-statements>,
//! <https://circleci.com/docs/reference/configuration-reference/#using-expressions-in-your-configuration>).
//! Inside a logic statement a plain string is only a truthy literal, so a
//! user expression is never put there: the composed condition is then one
//! expression with the user's in parentheses. The user's value is carried
//! over structurally, never rewritten. Pure: names and values in, a value out.

use serde_yaml::Value;

use crate::value::mapping;

/// Everything a workflow's `when` must require.
#[derive(Debug, Default)]
pub(super) struct Condition<'a> {
    /// A trigger parameter that must be true.
    pub set: Option<&'a str>,
    /// Trigger parameters that must all be false.
    pub unset: Vec<&'a str>,
    /// The workflow's own `when`.
    pub user: Option<&'a Value>,
}

impl Condition<'_> {
    /// The `when` value, or `None` when nothing is required.
    pub(super) fn render(&self) -> Option<Value> {
        match self.user {
            Some(Value::String(expression)) if !is_template(expression) => {
                Some(self.expression(expression).into())
            }
            _ => self.logic_statement(),
        }
    }

    /// `and: [<< P >>, not: (or: [earlier…]), user]`, dropping what is empty.
    fn logic_statement(&self) -> Option<Value> {
        let mut all: Vec<Value> = vec![];
        if let Some(set) = self.set {
            all.push(template(set));
        }
        let unset: Vec<Value> = self.unset.iter().map(|p| template(p)).collect();
        match unset.len() {
            0 => {}
            1 => all.push(mapping(&[("not", unset[0].clone())])),
            _ => all.push(mapping(&[(
                "not",
                mapping(&[("or", Value::Sequence(unset))]),
            )])),
        }
        if let Some(user) = self.user {
            all.push(user.clone());
        }
        match all.len() {
            0 => None,
            1 => all.pop(),
            _ => Some(mapping(&[("and", Value::Sequence(all))])),
        }
    }

    /// The same as one expression; `not` binds tightly, hence the parentheses.
    fn expression(&self, user: &str) -> String {
        let mut all: Vec<String> = vec![];
        if let Some(set) = self.set {
            all.push(format!("pipeline.parameters.{set}"));
        }
        let unset: Vec<String> = self
            .unset
            .iter()
            .map(|p| format!("pipeline.parameters.{p}"))
            .collect();
        if !unset.is_empty() {
            all.push(format!("not ({})", unset.join(" or ")));
        }
        if all.is_empty() {
            return user.to_string();
        }
        all.push(format!("({user})"));
        all.join(" and ")
    }
}

fn template(parameter: &str) -> Value {
    format!("<< pipeline.parameters.{parameter} >>").into()
}

/// One `<< … >>` value (`<< pipeline.parameters.deploy >>`): a logic
/// statement literal that CircleCI fills in, not a bare expression.
fn is_template(text: &str) -> bool {
    let text = text.trim();
    text.strip_prefix("<<")
        .and_then(|rest| rest.strip_suffix(">>"))
        .is_some_and(|inner| !inner.contains("<<") && !inner.contains(">>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).expect("yaml")
    }

    #[test]
    fn a_logic_statement_is_carried_whole_into_an_and() {
        let user = yaml("matches: {pattern: '^release/.*$', value: << pipeline.git.branch >>}");
        let when = Condition {
            set: Some("deploy"),
            unset: vec!["a", "b"],
            user: Some(&user),
        };
        let expected = yaml(
            "and:\n- << pipeline.parameters.deploy >>\n- not: {or: [<< pipeline.parameters.a >>, << pipeline.parameters.b >>]}\n- matches: {pattern: '^release/.*$', value: << pipeline.git.branch >>}\n",
        );
        assert_eq!(when.render(), Some(expected));
    }

    #[test]
    fn an_expression_makes_the_whole_condition_an_expression() {
        let user =
            Value::from("pipeline.git.branch == \"main\" or pipeline.git.tag starts-with \"v\"");
        let when = Condition {
            set: None,
            unset: vec!["a"],
            user: Some(&user),
        };
        assert_eq!(
            when.render(),
            Some(Value::from(
                "not (pipeline.parameters.a) and (pipeline.git.branch == \"main\" or pipeline.git.tag starts-with \"v\")"
            ))
        );
        let alone = Condition {
            user: Some(&user),
            ..Condition::default()
        };
        assert_eq!(alone.render(), Some(user.clone()));
    }

    #[test]
    fn a_single_template_is_a_logic_statement_literal() {
        let user = Value::from("<< pipeline.parameters.nightly >>");
        let when = Condition {
            set: Some("p"),
            unset: vec![],
            user: Some(&user),
        };
        assert_eq!(
            when.render(),
            Some(yaml(
                "and: [<< pipeline.parameters.p >>, << pipeline.parameters.nightly >>]"
            ))
        );
        assert!(!is_template("<< pipeline.git.branch >> == \"main\""));
        assert_eq!(Condition::default().render(), None);
    }
}
