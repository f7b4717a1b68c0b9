//! A job's `environment` in every form CircleCI's published schema accepts
//! (`definitions.environment` of the schema `check-jsonschema
//! --builtin-schema vendor.circle-ci` ships; job keys in
//! https://circleci.com/docs/reference/configuration-reference/): a map of names to strings, numbers, booleans or null, a list of
//! `NAME=VALUE` strings (or of maps, or of lists again), a single
//! `NAME=VALUE` string, or null. Both providers and the job hash read the
//! one normalised form made here: names in the order written, each value as
//! the text the job sees. Input: the value `job_shapes` already checked;
//! output: name → text. It never refuses a form the schema accepts.

use indexmap::IndexMap;
use serde_yaml::Value;

/// Name → text, in the order first written; a name written again takes
/// its last value (as a later `NAME=` in a shell would). `NAME:` (null) and
/// a bare `NAME` in the list form are the empty string.
pub(super) fn normalise(value: &Value) -> IndexMap<String, String> {
    let mut out = IndexMap::new();
    add(value, &mut out);
    out
}

fn add(value: &Value, out: &mut IndexMap<String, String>) {
    match value {
        Value::Mapping(map) => {
            for (name, value) in map {
                out.insert(text(name), text(value));
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| add(item, out)),
        Value::String(pair) if !pair.is_empty() => {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            out.insert(name.to_string(), value.to_string());
        }
        Value::Tagged(tagged) => add(&tagged.value, out),
        _ => {}
    }
}

/// A scalar as the text the variable holds: `true`, `2`, `1.5`; null is empty.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        Value::Tagged(tagged) => text(&tagged.value),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(text: &str) -> Vec<(String, String)> {
        let value: Value = serde_yaml::from_str(text).expect("yaml");
        normalise(&value).into_iter().collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_schema_form_becomes_the_same_map() {
        let map = pairs(&[("A", "1"), ("B", "x=y"), ("C", "true"), ("D", "")]);
        assert_eq!(env("{A: 1, B: x=y, C: true, D: null}"), map);
        assert_eq!(env("[A=1, B=x=y, C=true, D=]"), map);
        assert_eq!(env("[A=1, {B: x=y}, [C=true, D]]"), map);
        assert_eq!(env("A=1"), pairs(&[("A", "1")]));
        assert_eq!(env("null"), pairs(&[]));
        assert_eq!(env("[null, '']"), pairs(&[]));
    }

    #[test]
    fn a_name_written_again_keeps_its_place_and_takes_the_last_value() {
        assert_eq!(env("[A=1, B=2, A=3]"), pairs(&[("A", "3"), ("B", "2")]));
    }
}
