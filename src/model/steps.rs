//! Step normalisation: expands cigen's `{name, run}` shorthand into
//! CircleCI's `run:` form, checks that every step names a CircleCI built-in,
//! a project command or a declared orb's command, and reports which
//! commands a step list uses. Everything else passes through untouched.

use serde_yaml::{Mapping, Value};

use crate::error::suggest;

/// CircleCI's built-in steps.
pub const BUILTIN_STEPS: &[&str] = &[
    "add_ssh_keys",
    "attach_workspace",
    "checkout",
    "deploy",
    "persist_to_workspace",
    "restore_cache",
    "run",
    "save_cache",
    "setup_remote_docker",
    "store_artifacts",
    "store_test_results",
    "unless",
    "when",
];

/// Keys that may sit beside `run:` in the shorthand `{name: X, run: cmd}`.
const RUN_KEYS: &[&str] = &[
    "name",
    "working_directory",
    "environment",
    "shell",
    "background",
    "no_output_timeout",
    "when",
    "max_auto_reruns",
    "auto_rerun_delay",
];

/// What a step list refers to, for validation by the caller.
pub struct StepError {
    /// Index path into the steps (`steps[2].when.steps[0]`).
    pub path: String,
    pub name: String,
    pub message: String,
    pub hint: Option<String>,
}

pub struct Known<'a> {
    pub commands: &'a [String],
    pub orbs: &'a [String],
}

impl Known<'_> {
    fn check(&self, name: &str, path: &str) -> Result<(), StepError> {
        if BUILTIN_STEPS.contains(&name) || self.commands.iter().any(|c| c == name) {
            return Ok(());
        }
        if let Some((orb, _)) = name.split_once('/') {
            if self.orbs.iter().any(|o| o == orb) {
                return Ok(());
            }
            return Err(StepError {
                path: path.to_string(),
                name: name.to_string(),
                message: format!(
                    "step `{name}` uses orb `{orb}`, which is not declared in `orbs:`"
                ),
                hint: suggest(orb, self.orbs.iter().map(String::as_str)),
            });
        }
        Err(StepError {
            path: path.to_string(),
            name: name.to_string(),
            message: format!(
                "unknown step `{name}`: not a CircleCI built-in step or a command in .cigen/commands/"
            ),
            hint: suggest(
                name,
                BUILTIN_STEPS
                    .iter()
                    .copied()
                    .chain(self.commands.iter().map(String::as_str)),
            ),
        })
    }
}

pub fn normalize(steps: &[Value], known: &Known, path: &str) -> Result<Vec<Value>, StepError> {
    steps
        .iter()
        .enumerate()
        .map(|(index, step)| normalize_step(step, known, &format!("{path}[{index}]")))
        .collect()
}

fn normalize_step(step: &Value, known: &Known, path: &str) -> Result<Value, StepError> {
    match step {
        Value::String(name) => {
            known.check(name, path)?;
            Ok(step.clone())
        }
        Value::Mapping(map) if is_run_shorthand(map) => {
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
            Ok(single("run", Value::Mapping(run)))
        }
        Value::Mapping(map) if map.len() == 1 => {
            let (key, body) = map
                .iter()
                .next()
                .map(|(k, v)| (k.clone(), v.clone()))
                .unwrap_or_default();
            let Some(name) = key.as_str() else {
                return Err(bad_shape(path));
            };
            known.check(name, path)?;
            if (name == "when" || name == "unless")
                && let Value::Mapping(body) = &body
            {
                let mut body = body.clone();
                if let Some(Value::Sequence(inner)) = body.get("steps") {
                    let inner = normalize(inner, known, &format!("{path}.{name}.steps"))?;
                    body.insert("steps".into(), Value::Sequence(inner));
                }
                return Ok(single(name, Value::Mapping(body)));
            }
            Ok(single(name, body))
        }
        _ => Err(bad_shape(path)),
    }
}

fn bad_shape(path: &str) -> StepError {
    StepError {
        path: path.to_string(),
        name: String::new(),
        message: "a step is a name (`checkout`), a one-key map (`run: …`) or the shorthand `{name: …, run: …}`"
            .to_string(),
        hint: None,
    }
}

fn is_run_shorthand(map: &Mapping) -> bool {
    matches!(map.get("run"), Some(Value::String(_)))
        && map.len() > 1
        && map.keys().all(|key| {
            key.as_str()
                .is_some_and(|k| k == "run" || RUN_KEYS.contains(&k))
        })
}

fn single(key: &str, value: Value) -> Value {
    let mut map = Mapping::new();
    map.insert(key.into(), value);
    Value::Mapping(map)
}

/// The step names a normalised list invokes (built-ins, commands, orb commands), recursively through `when`/`unless`.
pub fn invoked(steps: &[Value], out: &mut Vec<String>) {
    for step in steps {
        match step {
            Value::String(name) => out.push(name.clone()),
            Value::Mapping(map) => {
                for (key, body) in map {
                    if let Some(name) = key.as_str() {
                        out.push(name.to_string());
                        if (name == "when" || name == "unless")
                            && let Some(Value::Sequence(inner)) = body.get("steps")
                        {
                            invoked(inner, out);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> (Vec<String>, Vec<String>) {
        (vec!["bundle".to_string()], vec!["node".to_string()])
    }

    fn yaml(text: &str) -> Vec<Value> {
        serde_yaml::from_str(text).expect("test yaml")
    }

    #[test]
    fn expands_the_run_shorthand() {
        let (commands, orbs) = known();
        let known = Known {
            commands: &commands,
            orbs: &orbs,
        };
        let out = normalize(
            &yaml("- {name: RSpec, run: bundle exec rspec, no_output_timeout: 20m}"),
            &known,
            "steps",
        )
        .ok()
        .expect("valid");
        assert_eq!(
            out,
            yaml("- run: {name: RSpec, command: bundle exec rspec, no_output_timeout: 20m}")
        );
    }

    #[test]
    fn passes_native_steps_and_checks_names() {
        let (commands, orbs) = known();
        let known = Known {
            commands: &commands,
            orbs: &orbs,
        };
        let steps = yaml(
            "- checkout\n- run: make\n- bundle\n- node/install: {version: '20'}\n- when: {condition: true, steps: [bundle]}",
        );
        assert_eq!(
            normalize(&steps, &known, "steps").ok().expect("valid"),
            steps
        );
        let err = normalize(
            &yaml("- checkout\n- when: {condition: true, steps: [bundel]}"),
            &known,
            "steps",
        )
        .expect_err("invalid");
        assert_eq!(err.path, "steps[1].when.steps[0]");
        assert_eq!(err.name, "bundel");
        let err = normalize(&yaml("- ruby/install"), &known, "steps").expect_err("invalid");
        assert!(err.message.contains("orb `ruby`"));
    }
}
