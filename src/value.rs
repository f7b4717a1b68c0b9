//! Building YAML values by hand: `mapping(&[("key", value), …])` makes a
//! mapping in the order given. `model` builds job bodies and parameter
//! definitions with it, `emit` whole documents; it lives apart so neither
//! imports the other for it.

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
