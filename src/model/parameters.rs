//! Pipeline parameters (`parameters:` in `config.yml`): each name valid and
//! not cigen's own, each definition a CircleCI parameter (`type` boolean,
//! string, integer or enum, a `default` of that type, `enum` values only
//! for enums), written out as CircleCI reads it; cigen adds
//! `cigen_skip_cache`. Input: the loaded project; output: name →
//! definition in declared order, and the boolean ones (what a `trigger`
//! may name).

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use crate::circleci::SKIP_CACHE_PARAMETER;
use crate::config::{Loaded, RawParameter};
use crate::error::{Result, suggest};
use crate::value::mapping;

/// Every parameter's CircleCI definition, then `cigen_skip_cache`; and the
/// names of the boolean ones.
pub(super) fn build(loaded: &Loaded) -> Result<(IndexMap<String, Value>, Vec<String>)> {
    let mut parameters = IndexMap::new();
    let mut boolean_parameters = vec![];
    for (name, parameter) in &loaded.project.parameters {
        let error = || loaded.project_error(&["parameters", name], None);
        if name == SKIP_CACHE_PARAMETER {
            return Err(error()
                .message(format!(
                    "`{SKIP_CACHE_PARAMETER}` is declared by cigen itself"
                ))
                .into());
        }
        if !super::is_valid_name(name) {
            return Err(error()
                .message("parameter names must start with a letter and hold only letters, digits, `_` and `-`")
                .into());
        }
        parameters.insert(name.clone(), definition(loaded, name, parameter)?);
        if parameter.kind == "boolean" {
            boolean_parameters.push(name.clone());
        }
    }
    parameters.insert(
        SKIP_CACHE_PARAMETER.to_string(),
        mapping(&[
            ("type", Value::from("boolean")),
            ("default", Value::from(false)),
            (
                "description",
                Value::from("Run every job, even those whose inputs already passed."),
            ),
        ]),
    );
    Ok((parameters, boolean_parameters))
}

fn definition(loaded: &Loaded, name: &str, parameter: &RawParameter) -> Result<Value> {
    let error = |message: String| {
        loaded
            .project_error(&["parameters", name], None)
            .message(message)
    };
    let kinds = ["boolean", "string", "integer", "enum"];
    if !kinds.contains(&parameter.kind.as_str()) {
        let hint = suggest(&parameter.kind, kinds);
        return Err(error(format!(
            "unknown parameter type `{}`: expected boolean, string, integer or enum",
            parameter.kind
        ))
        .hint(hint)
        .into());
    }
    let default_ok = match (&parameter.default, parameter.kind.as_str()) {
        (None, _) => true,
        (Some(Value::Bool(_)), "boolean") => true,
        (Some(Value::String(_)), "string") => true,
        (Some(Value::Number(n)), "integer") => n.is_i64() || n.is_u64(),
        (Some(Value::String(s)), "enum") => {
            parameter.values.as_ref().is_some_and(|v| v.contains(s))
        }
        _ => false,
    };
    if !default_ok {
        return Err(error(format!("default does not match type `{}`", parameter.kind)).into());
    }
    if parameter.kind == "enum" && parameter.values.as_ref().is_none_or(Vec::is_empty) {
        return Err(error("an enum parameter needs `enum: [values…]`".to_string()).into());
    }
    if parameter.kind != "enum" && parameter.values.is_some() {
        return Err(error("`enum` values are only for `type: enum`".to_string()).into());
    }
    let mut out = Mapping::new();
    out.insert("type".into(), parameter.kind.clone().into());
    if let Some(values) = &parameter.values {
        out.insert(
            "enum".into(),
            Value::Sequence(values.iter().map(|v| v.clone().into()).collect()),
        );
    }
    if let Some(default) = &parameter.default {
        out.insert("default".into(), default.clone());
    }
    if let Some(description) = &parameter.description {
        out.insert("description".into(), description.clone().into());
    }
    Ok(Value::Mapping(out))
}
