//! Step normalisation: expands cigen's `{name, run}` shorthand into
//! CircleCI's `run:` form, checks that every step names a CircleCI built-in,
//! a project command or a declared orb's command, checks each built-in
//! step's body against its shape (`step_shapes`), and reports which
//! commands a step list uses. Command and orb steps pass through untouched.

use serde_yaml::{Mapping, Value};

use super::shape::{Fault, is_expression};
use super::step_shapes::{self, BUILTIN};
use crate::config::Seg;
use crate::error::suggest;

/// Built-in steps whose body holds a nested step list under `steps`.
const NESTING: &[&str] = &["when", "unless", "with_tool_cache"];

pub(crate) fn is_builtin(name: &str) -> bool {
    BUILTIN.iter().any(|(builtin, _)| *builtin == name)
}

fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN.iter().map(|(name, _)| *name)
}

pub(crate) struct Known<'a> {
    pub commands: &'a [String],
    pub orbs: &'a [String],
}

impl Known<'_> {
    fn check(&self, name: &str) -> Result<(), Fault> {
        if is_builtin(name) || self.commands.iter().any(|c| c == name) {
            return Ok(());
        }
        if let Some((orb, _)) = name.split_once('/') {
            if self.orbs.iter().any(|o| o == orb) {
                return Ok(());
            }
            return Err(Fault::new(format!(
                "step `{name}` uses orb `{orb}`, which is not declared in `orbs:`"
            ))
            .hint(suggest(orb, self.orbs.iter().map(String::as_str))));
        }
        let mut names: Vec<&str> = self.commands.iter().map(String::as_str).collect();
        for builtin in builtin_names() {
            names.push(builtin);
        }
        Err(Fault::new(format!(
            "unknown step `{name}`: not a CircleCI built-in step or a command in .cigen/commands/"
        ))
        .hint(suggest(name, names)))
    }
}

/// Normalises a step list; a fault's path starts at the step's index.
pub(crate) fn normalize(steps: &[Value], known: &Known) -> Result<Vec<Value>, Fault> {
    steps
        .iter()
        .enumerate()
        .map(|(index, step)| normalize_step(step, known).map_err(|fault| fault.under(index)))
        .collect()
}

fn normalize_step(step: &Value, known: &Known) -> Result<Value, Fault> {
    match step {
        // A `steps`-type parameter (`- << parameters.steps >>`) is filled in by CircleCI.
        Value::String(text) if is_expression(text) => Ok(step.clone()),
        Value::String(name) => {
            known.check(name)?;
            Ok(step.clone())
        }
        // The schema allows a list of steps in place of a step.
        Value::Sequence(inner) => Ok(Value::Sequence(normalize(inner, known)?)),
        Value::Mapping(map) if is_run_shorthand(map) => expand_shorthand(map),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, body) = map.iter().next().expect("one entry");
            let Some(name) = key.as_str() else {
                return Err(bad_shape());
            };
            known.check(name)?;
            step_shapes::check_builtin(name, body)?;
            let body = normalize_nested(name, body, known).map_err(|fault| fault.under(name))?;
            Ok(single(name, body))
        }
        _ => Err(bad_shape()),
    }
}

/// Normalises the step list inside `when`, `unless` and `with_tool_cache`.
fn normalize_nested(name: &str, body: &Value, known: &Known) -> Result<Value, Fault> {
    let mut body = body.clone();
    if NESTING.contains(&name)
        && let Some(map) = body.as_mapping_mut()
        && let Some(inner) = map.get("steps")
    {
        let inner = match inner {
            Value::Sequence(list) => normalize(list, known).map(Value::Sequence),
            one => normalize_step(one, known),
        }
        .map_err(|fault| fault.under("steps"))?;
        map.insert("steps".into(), inner);
    }
    Ok(body)
}

/// `{name: X, run: cmd, …}` → `run: {name: X, command: cmd, …}`, checked
/// as a `run` step; faults point at the keys the user wrote.
fn expand_shorthand(map: &Mapping) -> Result<Value, Fault> {
    if let Some(key) = map
        .keys()
        .filter_map(Value::as_str)
        .find(|key| *key != "run" && !step_shapes::run_keys().any(|k| k == *key))
    {
        return Err(Fault::new(format!(
            "unknown key `{key}` beside `run` in the `{{name, run}}` shorthand"
        ))
        .hint(suggest(key, step_shapes::run_keys()))
        .under(key));
    }
    let mut run = Mapping::new();
    if let Some(name) = map.get("name") {
        run.insert("name".into(), name.clone());
    }
    run.insert(
        "command".into(),
        map.get("run").cloned().unwrap_or(Value::Null),
    );
    for (key, value) in map {
        if key.as_str().is_some_and(|k| k != "name" && k != "run") {
            run.insert(key.clone(), value.clone());
        }
    }
    let run = Value::Mapping(run);
    step_shapes::check_builtin("run", &run).map_err(|mut fault| {
        // `run.command` was written `run`, `run.name` was written `name`.
        let written = match fault.path.get(1) {
            Some(Seg::Key(key)) if key == "command" => "run".to_string(),
            Some(Seg::Key(key)) => key.clone(),
            _ => "run".to_string(),
        };
        fault
            .path
            .splice(..fault.path.len().min(2), [written.as_str().into()]);
        fault
    })?;
    Ok(single("run", run))
}

fn bad_shape() -> Fault {
    Fault::new(
        "a step is a name (`checkout`), a one-key map (`run: …`) or the shorthand `{name: …, run: …}`",
    )
}

/// A map with a string `run` and more keys: cigen's shorthand. Unknown keys
/// beside `run` are reported by `expand_shorthand`, not taken for a command.
fn is_run_shorthand(map: &Mapping) -> bool {
    matches!(map.get("run"), Some(Value::String(_))) && map.len() > 1
}

fn single(key: &str, value: Value) -> Value {
    let mut map = Mapping::new();
    map.insert(key.into(), value);
    Value::Mapping(map)
}

/// The step names a normalised list invokes (built-ins, commands, orb
/// commands), recursively through nested lists, `when`/`unless`,
/// `with_tool_cache` and a `run` step's `teardown`.
pub(crate) fn invoked(steps: &[Value], out: &mut Vec<String>) {
    for step in steps {
        match step {
            Value::String(name) => out.push(name.clone()),
            Value::Sequence(inner) => invoked(inner, out),
            Value::Mapping(map) => {
                for (key, body) in map {
                    if let Some(name) = key.as_str() {
                        out.push(name.to_string());
                        invoked_inside(name, body, out);
                    }
                }
            }
            _ => {}
        }
    }
}

fn invoked_inside(name: &str, body: &Value, out: &mut Vec<String>) {
    let inner = if NESTING.contains(&name) {
        body.get("steps")
    } else if name == "run" {
        body.get("teardown")
    } else {
        None
    };
    match inner {
        Some(Value::Sequence(list)) => invoked(list, out),
        Some(one) => invoked(std::slice::from_ref(one), out),
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::render;

    fn yaml(text: &str) -> Vec<Value> {
        serde_yaml::from_str(text).expect("test yaml")
    }

    fn run(text: &str) -> Result<Vec<Value>, (String, String, Option<String>)> {
        let commands = vec!["bundle".to_string()];
        let orbs = vec!["node".to_string()];
        let known = Known {
            commands: &commands,
            orbs: &orbs,
        };
        normalize(&yaml(text), &known).map_err(|f| (render(&f.path), f.message, f.hint))
    }

    #[test]
    fn expands_the_run_shorthand() {
        let out = run("- {name: RSpec, run: bundle exec rspec, no_output_timeout: 20m}");
        assert_eq!(
            out,
            Ok(yaml(
                "- run: {name: RSpec, command: bundle exec rspec, no_output_timeout: 20m}"
            ))
        );
    }

    #[test]
    fn shorthand_faults_point_at_the_keys_written() {
        let err = run("- {name: x, run: make, no_output_timout: 5m}").expect_err("typo");
        assert_eq!(err.0, "[0].no_output_timout");
        assert_eq!(err.2.as_deref(), Some("did you mean `no_output_timeout`?"));
        let err = run("- {name: 5, run: make}").expect_err("type");
        assert_eq!(
            (err.0.as_str(), err.1.as_str()),
            ("[0].name", "expected a string, found `5`")
        );
        let err = run("- {name: x, run: make, background: maybe}").expect_err("type");
        assert_eq!(err.0, "[0].background");
    }

    #[test]
    fn passes_native_steps_and_checks_names() {
        let steps = "- checkout\n- run: make\n- bundle\n- node/install: {version: '20'}\n- when: {condition: true, steps: [bundle]}\n- << parameters.more >>";
        assert_eq!(run(steps), Ok(yaml(steps)));
        let err = run("- checkout\n- when: {condition: true, steps: [bundel]}").expect_err("x");
        assert_eq!(err.0, "[1].when.steps[0]");
        assert_eq!(err.2.as_deref(), Some("did you mean `bundle`?"));
        let err = run("- ruby/install").expect_err("invalid");
        assert!(err.1.contains("orb `ruby`"));
        let err =
            run("- with_tool_cache: {tool: gradle, steps: [{run: {comand: x}}]}").expect_err("x");
        assert_eq!(err.0, "[0].with_tool_cache.steps[0].run.comand");
    }

    #[test]
    fn invoked_sees_nested_and_teardown_steps() {
        let mut out = vec![];
        let steps = yaml(
            "- [bundle]\n- with_tool_cache: {tool: bazel, steps: [checkout]}\n- when: {condition: x, steps: attach_workspace}\n- run: {command: x, teardown: [{persist_to_workspace: {root: ., paths: [a]}}]}",
        );
        invoked(&steps, &mut out);
        assert_eq!(
            out,
            [
                "bundle",
                "with_tool_cache",
                "checkout",
                "when",
                "attach_workspace",
                "run",
                "persist_to_workspace"
            ]
        );
    }
}
