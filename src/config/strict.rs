//! Strict strings for the job keys CircleCI types as strings (`image`,
//! `resource_class`, `working_directory`). serde_yaml reads
//! `resource_class: 2` into the string "2" when it parses a file directly;
//! CircleCI's schema refuses a number there, so cigen does too, with the
//! key and line serde_yaml attaches. Input: one YAML value; output: the
//! string, or a type error.

use std::fmt;

use serde::de::{Deserializer, Visitor};

/// `Option<String>` that refuses numbers, booleans, lists and maps.
pub(super) fn string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    deserializer.deserialize_any(Strict)
}

struct Strict;

impl<'de> Visitor<'de> for Strict {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
        Ok(Some(text.to_string()))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        inner.deserialize_any(Strict)
    }
}
