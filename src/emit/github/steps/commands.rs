//! A `.cigen/commands/` command invoked as a step, inlined: its steps with
//! every `<< parameters.x >>` replaced by the invocation's argument or the
//! parameter's default, as CircleCI does
//! (https://circleci.com/docs/reference/reusing-config/#authoring-reusable-commands).
//! A template that is a whole string takes the argument's own value (a
//! boolean stays a boolean; a `steps` argument becomes a step list, which
//! the caller splices); inside longer text the argument is written as
//! text. Input: the command's body and the invocation's arguments; output:
//! the steps, or the refusal (an unknown or missing argument). Nested
//! commands are the caller's to inline in turn.

use serde_yaml::{Mapping, Value};

use super::Refusal;
use super::templates::templates;
use crate::error::suggest;

/// The steps of command `name` (body `body`) called with `args` (`null`
/// or a map of argument values).
pub(crate) fn inline(name: &str, body: &Value, args: &Value) -> Result<Vec<Value>, Refusal> {
    let declared = body
        .get("parameters")
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    let given = match args {
        Value::Mapping(map) => map.clone(),
        _ => Mapping::new(),
    };
    let bound = bind(name, &declared, &given)?;
    let steps = match body.get("steps") {
        Some(Value::Sequence(steps)) => steps.clone(),
        Some(one) => vec![one.clone()],
        None => vec![],
    };
    steps
        .iter()
        .map(|step| substitute(name, step, &bound))
        .collect()
}

/// Parameter name → value: the argument, else the default.
fn bind(command: &str, declared: &Mapping, given: &Mapping) -> Result<Mapping, Refusal> {
    let names = || declared.keys().filter_map(Value::as_str);
    for key in given.keys() {
        let key = key.as_str().unwrap_or_default();
        if !declared.contains_key(key) {
            return Err(Refusal {
                message: format!("command `{command}` has no parameter `{key}`"),
                hint: suggest(key, names()).unwrap_or_else(|| {
                    format!("its parameters: {}", names().collect::<Vec<_>>().join(", "))
                }),
            });
        }
    }
    let mut bound = Mapping::new();
    for (key, definition) in declared {
        let value = given
            .get(key)
            .or_else(|| definition.get("default"))
            .cloned();
        let Some(value) = value else {
            return Err(Refusal {
                message: format!(
                    "command `{command}` needs parameter `{}`, which has no default",
                    key.as_str().unwrap_or_default()
                ),
                hint: "pass it where the command is used: `- COMMAND: {NAME: value}`".into(),
            });
        };
        bound.insert(key.clone(), value);
    }
    Ok(bound)
}

fn substitute(command: &str, value: &Value, bound: &Mapping) -> Result<Value, Refusal> {
    Ok(match value {
        Value::String(text) => string(command, text, bound)?,
        Value::Sequence(items) => Value::Sequence(
            items
                .iter()
                .map(|item| substitute(command, item, bound))
                .collect::<Result<_, _>>()?,
        ),
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(k, v)| {
                    Ok((
                        substitute(command, k, bound)?,
                        substitute(command, v, bound)?,
                    ))
                })
                .collect::<Result<_, Refusal>>()?,
        ),
        other => other.clone(),
    })
}

fn string(command: &str, text: &str, bound: &Mapping) -> Result<Value, Refusal> {
    let found: Vec<_> = templates(text)
        .into_iter()
        .filter(|(_, inside)| inside.starts_with("parameters."))
        .collect();
    let lookup = |inside: &str| -> Result<&Value, Refusal> {
        let name = inside.trim_start_matches("parameters.");
        bound.get(name).ok_or_else(|| Refusal {
            message: format!(
                "`<< {inside} >>`: command `{command}` declares no parameter `{name}`"
            ),
            hint: suggest(name, bound.keys().filter_map(Value::as_str))
                .unwrap_or_else(|| "declare it under the command's `parameters:`".into()),
        })
    };
    if let [(range, inside)] = found.as_slice()
        && *range == (0..text.len())
    {
        return lookup(inside).cloned();
    }
    let mut out = String::new();
    let mut last = 0;
    for (range, inside) in found {
        out.push_str(&text[last..range.start]);
        out.push_str(&as_text(lookup(inside)?));
        last = range.end;
    }
    out.push_str(&text[last..]);
    Ok(Value::String(out))
}

fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::Null => String::new(),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).expect("yaml")
    }

    const BODY: &str = "parameters:\n  target: {type: string, default: all}\n  verbose: {type: boolean, default: false}\n  after: {type: steps, default: []}\n  region: {type: string}\nsteps:\n  - run: make << parameters.target >> REGION=<< parameters.region >>\n  - when: {condition: << parameters.verbose >>, steps: [{run: env}]}\n  - << parameters.after >>\n";

    #[test]
    fn arguments_and_defaults_are_substituted_with_their_types() {
        let steps = inline(
            "build",
            &yaml(BODY),
            &yaml("{region: eu, verbose: true, after: [{run: done}]}"),
        )
        .expect("ok");
        assert_eq!(
            steps,
            vec![
                yaml("run: make all REGION=eu"),
                yaml("when: {condition: true, steps: [{run: env}]}"),
                yaml("[{run: done}]"),
            ]
        );
    }

    #[test]
    fn a_missing_required_or_unknown_argument_is_refused() {
        let err = inline("build", &yaml(BODY), &Value::Null).expect_err("missing");
        assert_eq!(
            err.message,
            "command `build` needs parameter `region`, which has no default"
        );
        let err =
            inline("build", &yaml(BODY), &yaml("{region: eu, regoin: x}")).expect_err("unknown");
        assert_eq!(err.message, "command `build` has no parameter `regoin`");
        assert_eq!(err.hint, "did you mean `region`?");
        let err = inline(
            "c",
            &yaml("steps: [{run: << parameters.nope >>}]"),
            &Value::Null,
        )
        .expect_err("undeclared");
        assert_eq!(
            err.message,
            "`<< parameters.nope >>`: command `c` declares no parameter `nope`"
        );
    }
}
