//! Building YAML values by hand: `mapping(&[("key", value), …])` makes a
//! mapping in the order given. `model` builds job bodies and parameter
//! definitions with it, `emit` whole documents. And paths into YAML values
//! (`Seg`, rendered `steps[2].run.comand`): `config` finds their lines,
//! `model` and the hash's canonical form name faults with them. It lives
//! apart so none of them imports another for it.

use serde_yaml::Value;

/// A mapping of `pairs`, in their order.
pub(crate) fn mapping(pairs: &[(&str, Value)]) -> Value {
    Value::Mapping(
        pairs
            .iter()
            .map(|(k, v)| (Value::from(*k), v.clone()))
            .collect(),
    )
}

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(key: &str) -> Seg {
        Seg::Key(key.to_string())
    }
}

impl From<usize> for Seg {
    fn from(index: usize) -> Seg {
        Seg::Index(index)
    }
}

/// `steps[2].run.comand`: keys joined by dots, indexes in brackets.
pub(crate) fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) if out.is_empty() => out.push_str(key),
            Seg::Key(key) => {
                out.push('.');
                out.push_str(key);
            }
            Seg::Index(index) => out.push_str(&format!("[{index}]")),
        }
    }
    out
}
