//! Values a user may write in more than one form: a string or a list of
//! strings (`context`, `approve_context`, `runs_on`, job statuses) and a
//! `requires` entry (a job name, or a job name mapped to its statuses).
//! Each is read by a visitor rather than serde's untagged enums, so a wrong
//! value fails where it is written (its own key and line) and says what is
//! expected in a user's words, not which Rust type did not match. Input: a
//! YAML value; output: the typed form, or a serde type error. It checks
//! shape only (which statuses exist is `model`'s business).

use std::fmt;

use indexmap::IndexMap;
use serde::de::{
    Deserialize, Deserializer, MapAccess, SeqAccess, Visitor, value::MapAccessDeserializer,
};

/// A string or a list of strings (CircleCI's `stringOrList`).
#[derive(Debug, Clone)]
pub(crate) enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl StringOrList {
    pub(crate) fn into_vec(self) -> Vec<String> {
        match self {
            StringOrList::One(one) => vec![one],
            StringOrList::Many(many) => many,
        }
    }
}

/// One `requires` entry.
#[derive(Debug)]
pub(crate) enum RawRequire {
    Name(String),
    /// `- build: [success, failed, canceled]` (CircleCI's job-status requires).
    WithStatus(IndexMap<String, StringOrList>),
}

impl<'de> Deserialize<'de> for StringOrList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StringOrListVisitor)
    }
}

impl<'de> Deserialize<'de> for RawRequire {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RequireVisitor)
    }
}

struct StringOrListVisitor;

impl<'de> Visitor<'de> for StringOrListVisitor {
    type Value = StringOrList;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(StringOrList::One(text.to_string()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = vec![];
        while let Some(Text(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(StringOrList::Many(items))
    }
}

/// One string of a list: a number or a list there is a type error at its
/// own index, as CircleCI's schema refuses it.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Text;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Text(text.to_string()))
    }
}

struct RequireVisitor;

impl<'de> Visitor<'de> for RequireVisitor {
    type Value = RawRequire;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a job name, or a job name mapped to its statuses (`build: [success, failed]`)")
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(RawRequire::Name(text.to_string()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        IndexMap::deserialize(MapAccessDeserializer::new(map)).map(RawRequire::WithStatus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
        serde_yaml::from_str(text).map_err(|err| err.to_string())
    }

    #[test]
    fn both_forms_are_read() {
        let one: StringOrList = read("a").expect("string");
        assert_eq!(one.into_vec(), ["a"]);
        let many: StringOrList = read("[a, b]").expect("list");
        assert_eq!(many.into_vec(), ["a", "b"]);
        assert!(matches!(read("build"), Ok(RawRequire::Name(name)) if name == "build"));
        let Ok(RawRequire::WithStatus(map)) = read::<RawRequire>("{build: [success]}") else {
            panic!("a job with statuses");
        };
        assert_eq!(map["build"].clone().into_vec(), ["success"]);
    }

    #[test]
    fn a_wrong_value_says_what_is_expected_where_it_is() {
        assert_eq!(
            read::<StringOrList>("5").expect_err("number"),
            "invalid type: integer `5`, expected a string or a list of strings"
        );
        assert_eq!(
            read::<StringOrList>("[a, [b]]").expect_err("nested"),
            ".[1]: invalid type: sequence, expected a string at line 1 column 5"
        );
        assert_eq!(
            read::<RawRequire>("{build: 5}").expect_err("number"),
            "build: invalid type: integer `5`, expected a string or a list of strings at line 1 column 9"
        );
        assert_eq!(
            read::<RawRequire>("[build]").expect_err("list"),
            "invalid type: sequence, expected a job name, or a job name mapped to its statuses (`build: [success, failed]`)"
        );
    }
}
