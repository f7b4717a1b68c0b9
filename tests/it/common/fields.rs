//! Readers of optional keys of an emitted YAML document: an absent key is
//! the empty value, a key of the wrong type panics naming the node and the
//! key. Tests read cigen's output through these instead of
//! `and_then(as_…).unwrap_or_default()`, which would read a malformed
//! document as "nothing" (no requirements, no parameters, no environment).

use serde_yaml::{Mapping, Value};

/// `node[key]` as a mapping; empty when the key is absent.
pub fn optional_mapping(node: &Value, key: &str, whose: &str) -> Mapping {
    match node.get(key) {
        None => Mapping::new(),
        Some(Value::Mapping(map)) => map.clone(),
        Some(other) => panic!("{whose}: `{key}` is not a mapping: {other:?}"),
    }
}

/// `node[key]` as a sequence; empty when the key is absent.
pub fn optional_sequence<'a>(node: &'a Value, key: &str, whose: &str) -> &'a [Value] {
    match node.get(key) {
        None => &[],
        Some(Value::Sequence(list)) => list,
        Some(other) => panic!("{whose}: `{key}` is not a list: {other:?}"),
    }
}

/// `node[key]` as a string; `None` when the key is absent.
pub fn optional_str<'a>(node: &'a Value, key: &str, whose: &str) -> Option<&'a str> {
    match node.get(key) {
        None => None,
        Some(Value::String(text)) => Some(text),
        Some(other) => panic!("{whose}: `{key}` is not a string: {other:?}"),
    }
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("yaml")
}

#[test]
fn an_absent_key_is_empty_and_a_present_one_is_read() {
    let node = yaml("environment: {A: b}\nrequires: [x]\nname: n\n");
    assert_eq!(
        optional_mapping(&node, "environment", "job")[&yaml("A")],
        "b"
    );
    assert_eq!(optional_sequence(&node, "requires", "job"), [yaml("x")]);
    assert_eq!(optional_str(&node, "name", "job"), Some("n"));
    assert!(optional_mapping(&node, "parameters", "job").is_empty());
    assert!(optional_sequence(&node, "needs", "job").is_empty());
    assert_eq!(optional_str(&node, "when", "job"), None);
}

#[test]
#[should_panic(expected = "entry build: `requires` is not a list: String(\"lint\")")]
fn a_single_value_requires_is_malformed_not_empty() {
    optional_sequence(&yaml("requires: lint"), "requires", "entry build");
}

#[test]
#[should_panic(expected = "job build: `environment` is not a mapping: Sequence")]
fn an_environment_list_is_malformed_not_empty() {
    optional_mapping(&yaml("environment: [A=b]"), "environment", "job build");
}

#[test]
#[should_panic(expected = "entry build: `name` is not a string: Number(3)")]
fn a_name_that_is_not_a_string_is_malformed_not_the_job_key() {
    optional_str(&yaml("name: 3"), "name", "entry build");
}

#[test]
#[should_panic(expected = "workflow main job build: `requires` is not a list: String(\"lint\")")]
fn requires_of_a_single_value_is_malformed_not_empty() {
    let doc = yaml("workflows: {main: {jobs: [lint, {build: {requires: lint}}]}}");
    super::requires(&doc, "main", "build");
}
