//! Deep merge of YAML mappings, used to fold `.cigen/config/*.yml` fragments
//! over `config.yml` in file-name order: mappings merge key by key, anything
//! else (scalars, sequences) is replaced by the later file's value.

use serde_yaml::Value;

pub(super) fn deep_merge(base: &mut Value, overlay: Value) {
    match (base, overlay) {
        (Value::Mapping(base), Value::Mapping(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => deep_merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).expect("test yaml")
    }

    #[test]
    fn mappings_merge_and_scalars_replace() {
        let mut base = yaml("a: {x: 1, y: [1, 2]}\nb: keep\n");
        deep_merge(&mut base, yaml("a: {y: [3], z: 2}\nc: new\n"));
        assert_eq!(base, yaml("a: {x: 1, y: [3], z: 2}\nb: keep\nc: new\n"));
    }
}
