//! A small language for the shape of the YAML values cigen passes through
//! to CircleCI (built-in steps, executors, filters), and the checker that
//! walks a value against it. Input: a `serde_yaml::Value` and a `Shape`;
//! output: nothing, or the first `Fault` with its path below the value, a
//! message and a "did you mean" hint. The tables written in this language
//! (`step_shapes`, `job_shapes`) follow CircleCI's published schema and are
//! never stricter: a `<< … >>` expression stands for any typed value, and
//! tables the schema leaves open accept any key. It never changes a value.

use serde_yaml::{Mapping, Value};

use super::shape_text::{describe, found, one_of};
use crate::config::{Loaded, Origin, Seg};
use crate::error::{ConfigError, suggest};

/// What a value may be.
#[derive(Debug)]
pub(crate) enum Shape {
    Any,
    Null,
    Str,
    Bool,
    /// An integer within the bounds.
    Int(Option<i64>, Option<i64>),
    /// A string, number or boolean.
    Scalar,
    Number,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A string the function accepts; the text says what is expected.
    Text(&'static str, fn(&str) -> bool),
    /// Any value the function accepts; the text says what is expected.
    Is(&'static str, fn(&Value) -> bool),
    List(&'static Shape),
    StrOrList,
    /// Environment variables: a map of scalars (or nulls), a string, or a
    /// list of these (`KEY=VALUE` strings).
    Env,
    Map(&'static Table),
    /// A map of any keys whose values have this shape.
    Dict(&'static Shape),
    /// The first alternative that takes the value's kind (string, list, …).
    Either(&'static [Shape]),
    /// A step list, checked by the step normaliser; here only its kind.
    StepList,
    /// A step or a step list, checked by the step normaliser.
    StepOrList,
    /// A key that must not be written here; the text says why.
    Never(&'static str),
}

/// The keys of a map.
#[derive(Debug)]
pub(crate) struct Table {
    /// What the map is, for messages: `run`, `docker entry`.
    pub name: &'static str,
    pub fields: &'static [(&'static str, Shape)],
    pub required: &'static [&'static str],
    /// Exactly one of these keys must be present (when not empty).
    pub one_of: &'static [&'static str],
    /// `(a, b)`: when `a` is present, so must `b` be.
    pub needs: &'static [(&'static str, &'static str)],
    /// The schema allows keys beyond `fields`.
    pub open: bool,
}

impl Table {
    pub(super) const fn new(name: &'static str, fields: &'static [(&'static str, Shape)]) -> Table {
        Table {
            name,
            fields,
            required: &[],
            one_of: &[],
            needs: &[],
            open: false,
        }
    }

    pub(super) const fn required(mut self, keys: &'static [&'static str]) -> Table {
        self.required = keys;
        self
    }

    pub(super) const fn one_of(mut self, keys: &'static [&'static str]) -> Table {
        self.one_of = keys;
        self
    }

    pub(super) const fn needs(mut self, pairs: &'static [(&'static str, &'static str)]) -> Table {
        self.needs = pairs;
        self
    }

    pub(super) const fn open(mut self) -> Table {
        self.open = true;
        self
    }

    pub(super) fn field(&self, key: &str) -> Option<&'static Shape> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, s)| s)
    }
}

/// Why a value does not fit its shape. `path` is relative to the value checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub path: Vec<Seg>,
    pub message: String,
    pub hint: Option<String>,
}

impl Fault {
    pub(crate) fn new(message: impl Into<String>) -> Fault {
        Fault {
            path: vec![],
            message: message.into(),
            hint: None,
        }
    }

    pub(crate) fn hint(mut self, hint: Option<String>) -> Fault {
        self.hint = hint;
        self
    }

    /// The configuration error: `origin`'s file, the line of the path, the
    /// path as the key.
    pub(crate) fn at(self, loaded: &Loaded, origin: &Origin) -> ConfigError {
        loaded
            .error_at(origin, &self.path)
            .message(self.message)
            .hint(self.hint)
    }

    /// The same fault seen from one level up.
    pub(crate) fn under(mut self, seg: impl Into<Seg>) -> Fault {
        self.path.insert(0, seg.into());
        self
    }
}

/// A `<< parameters.x >>` / `<< pipeline.… >>` expression, filled in by
/// CircleCI before the config is checked (the schema's `<<.*>>`).
pub(crate) fn is_expression(text: &str) -> bool {
    text.find("<<")
        .is_some_and(|start| text[start + 2..].contains(">>"))
}

pub(crate) fn check(value: &Value, shape: &Shape) -> Result<(), Fault> {
    if let Value::String(text) = value
        && is_expression(text)
    {
        return Ok(());
    }
    let fits = match shape {
        Shape::Any => true,
        Shape::StepOrList => !value.is_null(),
        Shape::Null => value.is_null(),
        Shape::Str => value.is_string(),
        Shape::Bool => value.is_bool(),
        Shape::Int(min, max) => value
            .as_i64()
            .is_some_and(|n| min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)),
        Shape::Scalar => value.is_string() || value.is_number() || value.is_bool(),
        Shape::Number => value.is_number(),
        Shape::Enum(names) => return check_enum(value, names),
        Shape::Text(_, accepts) => value.as_str().is_some_and(accepts),
        Shape::Is(_, accepts) => accepts(value),
        Shape::List(item) => return check_list(value, item, shape),
        Shape::StrOrList => return check(value, &STR_OR_LIST),
        Shape::Env => return check_env(value),
        Shape::Map(table) => return check_map(value, table, shape),
        Shape::Dict(item) => return check_dict(value, item, shape),
        Shape::Either(alternatives) => return check_either(value, alternatives, shape),
        Shape::StepList => value.as_sequence().is_some_and(|list| !list.is_empty()),
        Shape::Never(why) => return Err(Fault::new(*why)),
    };
    if fits {
        Ok(())
    } else {
        Err(mismatch(value, shape))
    }
}

const STR_OR_LIST: Shape = Shape::Either(&[Shape::Str, Shape::List(&Shape::Str)]);

fn mismatch(value: &Value, shape: &Shape) -> Fault {
    Fault::new(format!(
        "expected {}, found {}",
        describe(shape),
        found(value)
    ))
}

fn check_enum(value: &Value, names: &[&str]) -> Result<(), Fault> {
    let text = value.as_str();
    if text.is_some_and(|text| names.contains(&text)) {
        return Ok(());
    }
    Err(Fault::new(format!(
        "expected {}, found {}",
        one_of(names),
        found(value)
    ))
    .hint(text.and_then(|text| suggest(text, names.iter().copied()))))
}

fn check_list(value: &Value, item: &Shape, shape: &Shape) -> Result<(), Fault> {
    let Some(list) = value.as_sequence() else {
        return Err(mismatch(value, shape));
    };
    for (index, entry) in list.iter().enumerate() {
        check(entry, item).map_err(|fault| fault.under(index))?;
    }
    Ok(())
}

fn check_env(value: &Value) -> Result<(), Fault> {
    match value {
        Value::Null | Value::String(_) => Ok(()),
        Value::Sequence(list) => {
            for (index, entry) in list.iter().enumerate() {
                check_env(entry).map_err(|fault| fault.under(index))?;
            }
            Ok(())
        }
        Value::Mapping(map) => {
            for (key, entry) in map {
                let scalar = matches!(
                    entry,
                    Value::Null | Value::String(_) | Value::Number(_) | Value::Bool(_)
                );
                if !scalar {
                    return Err(Fault::new(format!(
                        "an environment value is a string, number or boolean, found {}",
                        found(entry)
                    ))
                    .under(key_seg(key)));
                }
            }
            Ok(())
        }
        _ => Err(mismatch(value, &Shape::Env)),
    }
}

fn check_dict(value: &Value, item: &Shape, shape: &Shape) -> Result<(), Fault> {
    let Some(map) = value.as_mapping() else {
        return Err(mismatch(value, shape));
    };
    for (key, entry) in map {
        check(entry, item).map_err(|fault| fault.under(key_seg(key)))?;
    }
    Ok(())
}

fn check_either(value: &Value, alternatives: &[Shape], shape: &Shape) -> Result<(), Fault> {
    match alternatives.iter().find(|alt| takes_kind(alt, value)) {
        Some(alternative) => check(value, alternative),
        None => Err(mismatch(value, shape)),
    }
}

fn check_map(value: &Value, table: &Table, shape: &Shape) -> Result<(), Fault> {
    let Some(map) = value.as_mapping() else {
        return Err(mismatch(value, shape));
    };
    for (key, entry) in map {
        let Some(name) = key.as_str() else {
            return Err(Fault::new(format!("`{}` takes string keys", table.name)));
        };
        match table.field(name) {
            Some(field) => check(entry, field).map_err(|fault| fault.under(name))?,
            None if table.open => {}
            None => return Err(unknown_key(name, table).under(name)),
        }
    }
    check_presence(map, table)
}

fn unknown_key(name: &str, table: &Table) -> Fault {
    let keys: Vec<&str> = table
        .fields
        .iter()
        .filter(|(_, shape)| !matches!(shape, Shape::Never(_)))
        .map(|(key, _)| *key)
        .collect();
    let hint = suggest(name, keys.iter().copied())
        .or_else(|| Some(format!("`{}` takes {}", table.name, one_of(&keys))));
    Fault::new(format!("unknown key `{name}` in `{}`", table.name)).hint(hint)
}

fn check_presence(map: &Mapping, table: &Table) -> Result<(), Fault> {
    let has = |key: &str| map.contains_key(key);
    if let Some(missing) = table.required.iter().find(|key| !has(key)) {
        return Err(Fault::new(format!("`{}` needs `{missing}`", table.name)).under(*missing));
    }
    if !table.one_of.is_empty() && table.one_of.iter().filter(|key| has(key)).count() != 1 {
        return Err(Fault::new(format!(
            "`{}` needs exactly one of {}",
            table.name,
            one_of(table.one_of).replace(" or ", " and ")
        )));
    }
    for (key, needed) in table.needs {
        if has(key) && !has(needed) {
            return Err(Fault::new(format!("`{key}` needs `{needed}` beside it")).under(*key));
        }
    }
    Ok(())
}

/// Whether `shape` is written for values of this kind (string, number, …).
fn takes_kind(shape: &Shape, value: &Value) -> bool {
    match shape {
        Shape::Any => true,
        Shape::Null => value.is_null(),
        Shape::Str | Shape::Enum(_) | Shape::Text(..) => value.is_string(),
        Shape::Bool => value.is_bool(),
        Shape::Int(..) | Shape::Number => value.is_number(),
        Shape::Scalar => value.is_string() || value.is_number() || value.is_bool(),
        Shape::Is(_, accepts) => accepts(value),
        Shape::List(_) | Shape::StepList => value.is_sequence(),
        Shape::StrOrList => value.is_string() || value.is_sequence(),
        Shape::Env => !value.is_bool() && !value.is_number(),
        Shape::Map(_) | Shape::Dict(_) => value.is_mapping(),
        Shape::Either(alternatives) => alternatives.iter().any(|alt| takes_kind(alt, value)),
        Shape::StepOrList => !value.is_null(),
        Shape::Never(_) => false,
    }
}

pub(crate) fn key_seg(key: &Value) -> Seg {
    match key {
        Value::String(s) => Seg::Key(s.clone()),
        Value::Number(n) => Seg::Key(n.to_string()),
        Value::Bool(b) => Seg::Key(b.to_string()),
        _ => Seg::Key(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const THING: Table = Table::new(
        "thing",
        &[
            ("path", Shape::Str),
            ("depth", Shape::Int(Some(1), None)),
            ("when", Shape::Enum(&["always", "on_success", "on_fail"])),
            ("key", Shape::Str),
            ("keys", Shape::StrOrList),
        ],
    )
    .required(&["path"])
    .one_of(&["key", "keys"]);

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).expect("test yaml")
    }

    fn fault(text: &str, shape: &Shape) -> Fault {
        check(&yaml(text), shape).expect_err("invalid")
    }

    #[test]
    fn unknown_keys_suggest_the_nearest() {
        let got = fault("{pth: x, key: k}", &Shape::Map(&THING));
        assert_eq!(got.path, vec![Seg::from("pth")]);
        assert_eq!(got.message, "unknown key `pth` in `thing`");
        assert_eq!(got.hint.as_deref(), Some("did you mean `path`?"));
    }

    #[test]
    fn types_enums_and_presence_are_checked() {
        let got = fault("{path: x, key: k, depth: four}", &Shape::Map(&THING));
        assert_eq!(got.message, "expected a positive integer, found `four`");
        let got = fault("{path: x, key: k, when: allways}", &Shape::Map(&THING));
        assert_eq!(got.hint.as_deref(), Some("did you mean `always`?"));
        let got = fault("{key: k}", &Shape::Map(&THING));
        assert_eq!(got.message, "`thing` needs `path`");
        assert_eq!(got.path, vec![Seg::from("path")]);
        let got = fault("{path: x, key: k, keys: [a]}", &Shape::Map(&THING));
        assert_eq!(got.message, "`thing` needs exactly one of `key` and `keys`");
    }

    #[test]
    fn expressions_stand_for_any_typed_value() {
        let ok = "{path: x, key: k, depth: << parameters.depth >>, when: << pipeline.x >>}";
        assert_eq!(check(&yaml(ok), &Shape::Map(&THING)), Ok(()));
        assert!(is_expression("<< parameters.x >>"));
        assert!(!is_expression(">> x <<"));
    }

    #[test]
    fn environment_takes_every_form_the_schema_lists() {
        for ok in [
            "{A: 1, B: true, C: x, D: null}",
            "A=1",
            "[A=1, {B: 2}]",
            "null",
        ] {
            assert_eq!(check(&yaml(ok), &Shape::Env), Ok(()), "{ok}");
        }
        let got = fault("{A: [1]}", &Shape::Env);
        assert_eq!(got.path, vec![Seg::from("A")]);
    }
}
