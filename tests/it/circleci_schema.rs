//! CircleCI's published configuration schema, as `check-jsonschema` ships
//! it, read at test time, and a generator of valid example values from it:
//! for an object, one example per property (beside the required keys), for
//! `oneOf`/`anyOf`/`enum` one per alternative, strings chosen to match the
//! schema's patterns. The corpus follows the installed schema, so a key
//! added there is tried against cigen without editing the tests.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{Map, Value as Json, json};

/// Strings tried, in order, for a `pattern`; the first that matches is used.
const CANDIDATES: &[&str] = &[
    "x",
    "20m",
    "30s",
    "signing-1",
    "<< pipeline.parameters.x >>",
    "<< parameters.x >>",
];

const STEP: &str = "#/definitions/step";

/// A step written as a string names a step: `checkout` stands for the
/// schema's "any string", here and in nested step lists.
fn name_steps(step: Json) -> Json {
    match step {
        Json::String(_) => json!("checkout"),
        Json::Array(list) => Json::Array(list.into_iter().map(name_steps).collect()),
        other => other,
    }
}

pub fn single(key: &str, value: Json) -> Json {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Json::Object(map)
}

pub struct Schema {
    root: Json,
}

/// How many examples to make of a node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One per alternative, per enum value and per object property.
    All,
    /// Scalars only: a recursive `$ref` ends here.
    Leaf,
    /// The first valid example only (to fill a required key).
    First,
}

impl Schema {
    /// Reads `builtin_schemas/vendor/circle-ci.json` of the installed
    /// `check_jsonschema` package; a missing package fails the test.
    pub fn load() -> Schema {
        let output = Command::new("python3")
            .args([
                "-c",
                "import check_jsonschema, os; print(os.path.dirname(check_jsonschema.__file__))",
            ])
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "check-jsonschema must be installed (scripts/test.sh installs it): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        let path = dir.join("builtin_schemas/vendor/circle-ci.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|err| panic!("read {}: {err}", path.display()));
        Schema {
            root: serde_json::from_str(&text).expect("schema is JSON"),
        }
    }

    /// The step definition's alternative whose properties hold `key`.
    fn step_alternative(&self, key: &str) -> &Json {
        self.root["definitions"]["step"]["oneOf"]
            .as_array()
            .expect("step oneOf")
            .iter()
            .find(|alt| alt["properties"].get(key).is_some())
            .unwrap_or_else(|| panic!("no step alternative with `{key}`"))
    }

    /// Every built-in step (including `when`/`unless`) and its keys.
    pub fn builtin_step_keys(&self) -> Vec<(String, Vec<String>)> {
        let mut out = vec![];
        for alt in [self.step_alternative("run"), self.step_alternative("when")] {
            for (name, body) in alt["properties"].as_object().expect("properties") {
                let mut keys = vec![];
                self.collect_keys(body, &mut keys);
                keys.sort();
                keys.dedup();
                out.push((name.clone(), keys));
            }
        }
        out
    }

    fn collect_keys(&self, node: &Json, out: &mut Vec<String>) {
        let node = self.resolve(node);
        if let Some(props) = node["properties"].as_object() {
            out.extend(props.keys().cloned());
        }
        for key in ["oneOf", "anyOf"] {
            for alt in node[key].as_array().into_iter().flatten() {
                self.collect_keys(alt, out);
            }
        }
    }

    /// One step per example of every built-in step's body.
    pub fn step_examples(&self) -> Vec<Json> {
        let mut steps = vec![];
        for alt in [self.step_alternative("run"), self.step_alternative("when")] {
            for (name, body) in alt["properties"].as_object().expect("properties") {
                for example in self.examples(body, &mut vec![]) {
                    steps.push(single(name, example));
                }
            }
        }
        steps
    }

    /// The properties of a job definition (docker, machine, …).
    fn job_properties(&self) -> &Json {
        find(&self.root["definitions"]["jobInvocation"], &|node| {
            node["properties"].get("docker").is_some() && node["properties"].get("steps").is_some()
        })
        .map(|node| &node["properties"])
        .expect("job definition with docker and steps")
    }

    pub fn job_property_examples(&self, key: &str) -> Vec<Json> {
        let schema = &self.job_properties()[key];
        assert!(!schema.is_null(), "the schema lists no job key `{key}`");
        self.examples(schema, &mut vec![])
    }

    pub fn filter_examples(&self) -> Vec<Json> {
        let invocation = find(
            &self.root["definitions"]["workflowJobInvocation"],
            &|node| node["properties"].get("filters").is_some(),
        )
        .expect("workflow job invocation with filters");
        self.examples(&invocation["properties"]["filters"], &mut vec![])
    }

    /// Command bodies: one per example of each command key.
    pub fn command_examples(&self) -> Vec<Json> {
        let command = self.root["properties"]["commands"]["additionalProperties"]["oneOf"]
            .as_array()
            .expect("command oneOf")
            .iter()
            .find(|alt| alt["properties"].get("steps").is_some())
            .expect("command object");
        self.examples(command, &mut vec![])
    }

    fn resolve<'a>(&'a self, node: &'a Json) -> &'a Json {
        match node["$ref"].as_str() {
            Some(reference) => self.resolve(self.pointer(reference)),
            None => node,
        }
    }

    fn pointer(&self, reference: &str) -> &Json {
        let path = reference.strip_prefix('#').expect("local $ref");
        self.root
            .pointer(path)
            .unwrap_or_else(|| panic!("unresolved $ref {reference}"))
    }

    /// Valid examples of `node`. `refs` holds the `$ref`s being expanded:
    /// a recursive one yields only scalar examples, so generation ends.
    pub fn examples(&self, node: &Json, refs: &mut Vec<String>) -> Vec<Json> {
        self.examples_of(node, refs, Mode::All)
    }

    fn examples_of(&self, node: &Json, refs: &mut Vec<String>, mode: Mode) -> Vec<Json> {
        let mut out = self.all_examples_of(node, refs, mode);
        if mode == Mode::First {
            out.truncate(1);
        }
        out
    }

    fn all_examples_of(&self, node: &Json, refs: &mut Vec<String>, mode: Mode) -> Vec<Json> {
        if let Some(reference) = node["$ref"].as_str() {
            let recursive = refs.iter().any(|r| r == reference);
            let mode = if recursive && mode == Mode::All {
                Mode::Leaf
            } else {
                mode
            };
            refs.push(reference.to_string());
            let out = self.examples_of(self.pointer(reference), refs, mode);
            refs.pop();
            if reference == STEP {
                return out.into_iter().map(name_steps).collect();
            }
            return out;
        }
        if node == &Json::Bool(true) || node.as_object().is_some_and(Map::is_empty) {
            return vec![json!("x")];
        }
        if let Some(values) = node["enum"].as_array() {
            return values.clone();
        }
        if let Some(value) = node.get("const") {
            return vec![value.clone()];
        }
        let is_object = node["properties"].is_object()
            || node["required"].is_array()
            || node["additionalProperties"].is_object();
        if !is_object {
            for key in ["oneOf", "anyOf"] {
                if let Some(alternatives) = node[key].as_array() {
                    let mut out = vec![];
                    for alt in alternatives {
                        out.extend(self.examples_of(alt, refs, mode));
                        if mode == Mode::First && !out.is_empty() {
                            break;
                        }
                    }
                    return out;
                }
            }
        }
        let types: Vec<&str> = match &node["type"] {
            Json::String(one) => vec![one.as_str()],
            Json::Array(many) => many.iter().filter_map(Json::as_str).collect(),
            _ if is_object => vec!["object"],
            _ => vec![],
        };
        types
            .into_iter()
            .flat_map(|kind| self.typed(kind, node, refs, mode))
            .collect()
    }

    fn typed(&self, kind: &str, node: &Json, refs: &mut Vec<String>, mode: Mode) -> Vec<Json> {
        match kind {
            "string" => vec![json!(sample_string(node))],
            "boolean" => vec![json!(true)],
            "integer" => vec![json!(node["minimum"].as_i64().unwrap_or(1))],
            "number" => vec![json!(1.5)],
            "null" => vec![Json::Null],
            "array" if mode == Mode::Leaf => vec![],
            "array" => match node.get("items") {
                Some(items) => self
                    .examples_of(items, refs, mode)
                    .into_iter()
                    .map(|item| json!([item]))
                    .collect(),
                None => vec![json!([])],
            },
            "object" if mode == Mode::Leaf => vec![],
            "object" if mode == Mode::First => {
                let mut object = Map::new();
                let props = node["properties"].as_object().cloned().unwrap_or_default();
                self.complete(node, &props, &mut object, refs);
                vec![Json::Object(object)]
            }
            "object" => self.objects(node, refs),
            other => panic!("unknown schema type {other}"),
        }
    }

    /// One object per example of each property, with the required keys
    /// (and those of the `oneOf` alternative and `if`/`then` it needs).
    fn objects(&self, node: &Json, refs: &mut Vec<String>) -> Vec<Json> {
        let props = node["properties"].as_object().cloned().unwrap_or_default();
        let mut out = vec![];
        for (key, schema) in &props {
            for example in self.examples_of(schema, refs, Mode::All) {
                let mut object = Map::new();
                object.insert(key.clone(), example);
                self.complete(node, &props, &mut object, refs);
                out.push(Json::Object(object));
            }
        }
        if props.is_empty() {
            if let Some(values) = node["additionalProperties"].as_object() {
                let values = Json::Object(values.clone());
                for example in self.examples_of(&values, refs, Mode::All) {
                    out.push(single("NAME", example));
                }
            } else {
                let mut object = Map::new();
                self.complete(node, &props, &mut object, refs);
                out.push(Json::Object(object));
            }
        }
        out
    }

    fn complete(
        &self,
        node: &Json,
        props: &Map<String, Json>,
        object: &mut Map<String, Json>,
        refs: &mut Vec<String>,
    ) {
        let mut needed: Vec<String> = strings(&node["required"]);
        if let Some(alternatives) = node["oneOf"].as_array() {
            let lists: Vec<Vec<String>> = alternatives
                .iter()
                .map(|a| strings(&a["required"]))
                .collect();
            let chosen = lists
                .iter()
                .find(|list| list.iter().any(|key| object.contains_key(key)))
                .or(lists.first());
            needed.extend(chosen.cloned().unwrap_or_default());
        }
        if let Some(condition) = node.get("if")
            && strings(&condition["required"])
                .iter()
                .all(|key| object.contains_key(key))
        {
            needed.extend(strings(&node["then"]["required"]));
        }
        for key in needed {
            if !object.contains_key(&key) {
                let schema = props.get(&key).cloned().unwrap_or(Json::Bool(true));
                let first = self
                    .examples_of(&schema, refs, Mode::First)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| panic!("no example for required `{key}`"));
                object.insert(key, first);
            }
        }
    }
}

fn strings(value: &Json) -> Vec<String> {
    value
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(Json::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// A string that matches the node's `pattern` (and not its `not.pattern`).
fn sample_string(node: &Json) -> String {
    let Some(pattern) = node["pattern"].as_str() else {
        return "x".to_string();
    };
    let forbidden = node["not"]["pattern"].as_str();
    CANDIDATES
        .iter()
        .find(|text| matches(pattern, text) && !forbidden.is_some_and(|f| matches(f, text)))
        .unwrap_or_else(|| {
            panic!("no sample string matches schema pattern {pattern:?}: add one to CANDIDATES")
        })
        .to_string()
}

/// Whether `pattern` (a schema regular expression) matches `text`; the
/// answers are remembered, as the same few patterns recur thousands of times.
fn matches(pattern: &str, text: &str) -> bool {
    thread_local! {
        static SEEN: RefCell<HashMap<(String, String), bool>> = RefCell::new(HashMap::new());
    }
    SEEN.with(|seen| {
        *seen
            .borrow_mut()
            .entry((pattern.to_string(), text.to_string()))
            .or_insert_with(|| {
                regex::Regex::new(pattern)
                    .expect("schema pattern compiles")
                    .is_match(text)
            })
    })
}

/// Depth-first search for a node the predicate accepts.
fn find<'a>(node: &'a Json, accept: &dyn Fn(&Json) -> bool) -> Option<&'a Json> {
    if accept(node) {
        return Some(node);
    }
    match node {
        Json::Object(map) => map.values().find_map(|child| find(child, accept)),
        Json::Array(list) => list.iter().find_map(|child| find(child, accept)),
        _ => None,
    }
}
