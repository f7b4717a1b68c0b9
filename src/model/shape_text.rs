//! How shapes and values read in messages: "expected a positive integer,
//! found `four`", "one of `always`, `on_success`, `on_fail`". Input: a
//! `Shape` or a YAML value; output: text. It decides nothing.

use serde_yaml::Value;

use super::shape::Shape;

/// What a shape expects, for messages: "a string", "one of `a`, `b`".
pub(crate) fn describe(shape: &Shape) -> String {
    match shape {
        Shape::Any => "a value".into(),
        Shape::Null => "nothing".into(),
        Shape::Str => "a string".into(),
        Shape::Bool => "`true` or `false`".into(),
        Shape::Int(Some(1), None) => "a positive integer".into(),
        Shape::Int(Some(min), None) => format!("an integer of at least {min}"),
        Shape::Int(Some(min), Some(max)) => format!("an integer from {min} to {max}"),
        Shape::Int(..) => "an integer".into(),
        Shape::Scalar => "a string, number or boolean".into(),
        Shape::Number => "a number".into(),
        Shape::Enum(names) => one_of(names),
        Shape::Text(what, _) | Shape::Is(what, _) => (*what).into(),
        Shape::List(item) => format!("a list of {}", plural(item)),
        Shape::StrOrList => "a string or a list of strings".into(),
        Shape::Env => "a map of environment variables or a list of `NAME=VALUE`".into(),
        Shape::Map(_) | Shape::Dict(_) => "a map".into(),
        Shape::Either(alternatives) => {
            let mut parts: Vec<String> = alternatives.iter().map(describe).collect();
            parts.dedup();
            parts.join(" or ")
        }
        Shape::StepList => "a non-empty list of steps".into(),
        Shape::StepOrList => "a step or a list of steps".into(),
        Shape::Never(why) => (*why).into(),
    }
}

fn plural(item: &Shape) -> String {
    match item {
        Shape::Str => "strings".into(),
        Shape::Map(_) | Shape::Dict(_) => "maps".into(),
        other => format!("values that are each {}", describe(other)),
    }
}

/// "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
pub(crate) fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        many => format!("one of {}", many.join(", ")),
    }
}

/// A short description of a value, for "found …".
pub(crate) fn found(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) if s.chars().count() <= 40 && !s.contains('\n') => format!("`{s}`"),
        Value::String(_) => "a long string".into(),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a map".into(),
        Value::Tagged(tagged) => format!("a value tagged `{}`", tagged.tag),
    }
}
