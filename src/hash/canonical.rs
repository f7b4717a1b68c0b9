//! The canonical form of a rendered job, the bytes of field `J` (format in
//! `mod.rs`): compact JSON, keys sorted at every level, written by
//! serde_json — never the text of cigen's YAML writer, so a change in how
//! YAML is quoted or indented moves no hash. Input: a `serde_yaml::Value`;
//! output: the bytes, or the path of the first value that has no canonical
//! form (the conversion is one-to-one, so it refuses rather than guesses).
//! Pure.

use serde_json::{Map, Number, Value as Json};
use serde_yaml::Value;

use crate::value::Seg;

/// A value with no canonical form, and where it sits (`steps[2].run`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CanonicalError {
    pub path: Vec<Seg>,
    pub message: String,
}

/// The canonical JSON bytes of `value`.
pub(crate) fn to_json(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let json = convert(value, &mut vec![])?;
    serde_json::to_vec(&json).map_err(|err| CanonicalError {
        path: vec![],
        message: format!("serde_json could not write the canonical form: {err}"),
    })
}

/// `path` is where `value` sits; it is as it was when this returns.
fn convert(value: &Value, path: &mut Vec<Seg>) -> Result<Json, CanonicalError> {
    match value {
        Value::Null => Ok(Json::Null),
        Value::Bool(b) => Ok(Json::Bool(*b)),
        Value::String(s) => Ok(Json::String(s.clone())),
        Value::Number(n) => number(n, path),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(at, item)| within(path, Seg::Index(at), |path| convert(item, path)))
            .collect::<Result<Vec<_>, _>>()
            .map(Json::Array),
        Value::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, item) in map {
                let Some(name) = key.as_str() else {
                    return Err(refused(
                        path,
                        &format!(
                            "the mapping key `{}` is not a string: CircleCI keys are names (quote it)",
                            key_text(key)
                        ),
                    ));
                };
                let item = within(path, Seg::from(name), |path| convert(item, path))?;
                entries.push((name.to_string(), item));
            }
            // Sorted here, so the order holds whatever map type serde_json uses.
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            let mut object = Map::new();
            for (name, item) in entries {
                object.insert(name, item);
            }
            Ok(Json::Object(object))
        }
        Value::Tagged(tagged) => Err(refused(
            path,
            &format!(
                "the YAML tag `{}` has no meaning to CircleCI: remove it",
                tagged.tag
            ),
        )),
    }
}

/// Integers stay integers (`1` and `1.0` differ, as they do in YAML);
/// finite floats are written by serde_json (shortest form that reads back
/// the same); infinities and NaN have no JSON form.
/// `f` run with `seg` pushed onto `path`, which it pops again.
fn within<T>(path: &mut Vec<Seg>, seg: Seg, f: impl FnOnce(&mut Vec<Seg>) -> T) -> T {
    path.push(seg);
    let result = f(path);
    path.pop();
    result
}

fn number(n: &serde_yaml::Number, path: &[Seg]) -> Result<Json, CanonicalError> {
    if let Some(i) = n.as_i64() {
        return Ok(Json::Number(i.into()));
    }
    if let Some(u) = n.as_u64() {
        return Ok(Json::Number(u.into()));
    }
    n.as_f64()
        .and_then(Number::from_f64)
        .map(Json::Number)
        .ok_or_else(|| refused(path, &format!("the number `{n}` is not finite")))
}

fn key_text(key: &Value) -> String {
    serde_yaml::to_string(key)
        .map(|text| text.trim_end().to_string())
        .unwrap_or_else(|_| format!("{key:?}"))
}

fn refused(path: &[Seg], message: &str) -> CanonicalError {
    CanonicalError {
        path: path.to_vec(),
        message: format!("{message}; the job hash needs a canonical form of every value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::render;

    fn json(yaml: &str) -> String {
        let value: Value = serde_yaml::from_str(yaml).expect("test yaml");
        String::from_utf8(to_json(&value).expect("canonical")).expect("utf-8")
    }

    fn refused_at(yaml: &str) -> CanonicalError {
        let value: Value = serde_yaml::from_str(yaml).expect("test yaml");
        to_json(&value).expect_err("refused")
    }

    #[test]
    fn keys_are_sorted_at_every_level_and_the_output_is_compact() {
        assert_eq!(
            json("b: 1\na: {z: [x, {d: 1, c: 2}], y: null}\n"),
            r#"{"a":{"y":null,"z":["x",{"c":2,"d":1}]},"b":1}"#
        );
        // Byte order, not locale order: uppercase sorts before lowercase.
        assert_eq!(json("b: 1\nB: 2\n_: 3\n"), r#"{"B":2,"_":3,"b":1}"#);
    }

    #[test]
    fn yaml_spelling_does_not_matter_only_the_value() {
        let plain = json("run:\n  name: Test\n  command: make test\n");
        for same in [
            "run: {command: make test, name: Test}\n",
            "\"run\":\n  'name': \"Test\"\n  command: >-\n    make test\n",
            "run: {name: !!str Test, command: 'make test'}\n",
        ] {
            assert_eq!(json(same), plain, "{same}");
        }
    }

    #[test]
    fn scalars_keep_their_type() {
        assert_eq!(
            json("a: '1'\nb: 1\nc: 1.0\nd: true\ne: 'true'\nf: ~\ng: ''\nh: 1e3\ni: 0x1f\n"),
            r#"{"a":"1","b":1,"c":1.0,"d":true,"e":"true","f":null,"g":"","h":1000.0,"i":31}"#
        );
        assert_eq!(
            json("big: 18446744073709551615\nneg: -9223372036854775808\n"),
            r#"{"big":18446744073709551615,"neg":-9223372036854775808}"#
        );
        // serde_json escapes what JSON must; everything else stays raw UTF-8.
        assert_eq!(
            json("s: \"q\\\"b\\\\n\\nt\\té\\u0001\"\n"),
            r#"{"s":"q\"b\\n\nt\té\u0001"}"#
        );
    }

    #[test]
    fn values_without_a_canonical_form_are_refused_with_their_path() {
        let err = refused_at("steps:\n  - run: {command: x, 1: y}\n");
        assert_eq!(render(&err.path), "steps[0].run");
        assert!(err.message.contains("key `1` is not a string"), "{err:?}");
        let err = refused_at("steps:\n  - {true: x}\n");
        assert_eq!(render(&err.path), "steps[0]");
        let err = refused_at("a: {b: [1, !Ref x]}\n");
        assert_eq!(render(&err.path), "a.b[1]");
        assert!(err.message.contains("tag `!Ref`"), "{err:?}");
        for inf in ["a: .inf\n", "a: -.inf\n", "a: .nan\n"] {
            assert_eq!(render(&refused_at(inf).path), "a", "{inf}");
        }
        let err = refused_at("? [1]\n: x\n");
        assert_eq!(err.path, vec![]);
    }
}
