//! What a job's definition refers to outside itself, found by scanning its
//! YAML values (executor, environment, steps, and the bodies of the
//! commands it uses): orb elements (`node/install`), pipeline values
//! (`<< pipeline.git.branch >>`, `<< pipeline.parameters.P >>`) and the
//! CircleCI variables bound to one commit or build (`$CIRCLE_SHA1`). The
//! hash covers the first two; the third only warns. Pure: values in, names
//! out; no file, line or config is known here.

use std::collections::BTreeSet;

use serde_yaml::Value;

/// CircleCI variables that name this commit, build or workflow: what a job
/// makes under such a name never exists when the job is skipped.
pub(crate) const COMMIT_BOUND: &[&str] = &["CIRCLE_SHA1", "CIRCLE_BUILD_NUM", "CIRCLE_WORKFLOW_ID"];

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Refs {
    /// Declared orb aliases used as `<alias>/<element>`.
    pub orbs: BTreeSet<String>,
    /// Pipeline values by full name (`pipeline.git.branch`).
    pub pipeline: BTreeSet<String>,
    /// Entries of `COMMIT_BOUND` used as `$NAME` or `${NAME}`.
    pub commit_bound: BTreeSet<&'static str>,
}

impl Refs {
    /// Scans `value` and everything inside it. `orbs` are the declared aliases.
    pub(crate) fn scan(&mut self, value: &Value, orbs: &[String]) {
        match value {
            Value::String(text) => self.text(text, orbs),
            Value::Sequence(items) => items.iter().for_each(|item| self.scan(item, orbs)),
            Value::Mapping(map) => {
                for (key, item) in map {
                    self.scan(key, orbs);
                    // A step's `condition` may be a bare expression (no `<< >>`).
                    if key.as_str() == Some("condition")
                        && let Value::String(expression) = item
                    {
                        self.pipeline.extend(pipeline_names(expression));
                    }
                    self.scan(item, orbs);
                }
            }
            Value::Tagged(tagged) => self.scan(&tagged.value, orbs),
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }

    fn text(&mut self, text: &str, orbs: &[String]) {
        if let Some(alias) = orb_alias(text, orbs) {
            self.orbs.insert(alias.to_string());
        }
        for template in templates(text) {
            self.pipeline.extend(pipeline_names(template));
        }
        for name in COMMIT_BOUND {
            if uses_variable(text, name) {
                self.commit_bound.insert(name);
            }
        }
    }
}

/// The alias when `text` is exactly `<alias>/<element>` for a declared
/// alias: a step (`node/install`), or an executor or job named as a
/// parameter value. A false match (an image `node/x` while an orb is
/// aliased `node`) only puts that orb into the job's hash.
fn orb_alias<'a>(text: &str, orbs: &'a [String]) -> Option<&'a str> {
    let (alias, element) = text.split_once('/')?;
    let element_ok = element.starts_with(|c: char| c.is_ascii_alphabetic())
        && element
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !element_ok {
        return None;
    }
    orbs.iter()
        .find(|o| o.as_str() == alias)
        .map(String::as_str)
}

/// The insides of every `<< … >>` in `text` (CircleCI's config templating:
/// a value, or an expression over values).
fn templates(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find("<<")?;
        let after = &rest[start + 2..];
        let end = after.find(">>")?;
        rest = &after[end + 2..];
        Some(&after[..end])
    })
}

/// The environment variable that carries a pipeline value to `cigen setup`
/// and `cigen hash`: `CIGEN_PARAM_<P>` for `pipeline.parameters.P`,
/// `CIGEN_PIPELINE_<name without "pipeline.", dots as underscores>` for
/// the others (`pipeline.git.branch` → `CIGEN_PIPELINE_git_branch`). Any
/// character a shell variable name cannot hold (`-`) becomes `_` too.
pub(crate) fn env_name(name: &str) -> String {
    let (prefix, rest) = match name.strip_prefix("pipeline.parameters.") {
        Some(parameter) => ("CIGEN_PARAM_", parameter),
        None => (
            "CIGEN_PIPELINE_",
            name.strip_prefix("pipeline.").unwrap_or(name),
        ),
    };
    let safe: String = rest
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}{safe}")
}

/// Every `pipeline.<a>.<b>…` name in an expression, as written.
pub(crate) fn pipeline_names(expression: &str) -> Vec<String> {
    let bytes = expression.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let mut names = vec![];
    let mut at = 0;
    while let Some(found) = expression[at..].find("pipeline.") {
        let start = at + found;
        let mut end = start + "pipeline".len();
        at = end;
        let bounded = start == 0 || !(is_name(bytes[start - 1]) || bytes[start - 1] == b'.');
        if !bounded {
            continue;
        }
        // `.segment` repeated; a trailing dot is not part of the name.
        while end < bytes.len() && bytes[end] == b'.' {
            let segment = end + 1;
            let mut next = segment;
            while next < bytes.len() && is_name(bytes[next]) {
                next += 1;
            }
            if next == segment {
                break;
            }
            end = next;
        }
        if end > start + "pipeline".len() {
            names.push(expression[start..end].to_string());
        }
        at = end;
    }
    names
}

/// Whether `text` expands the variable: `$NAME` not followed by a name
/// character, or `${NAME}` / `${NAME:-…}` and the like.
pub(crate) fn uses_variable(text: &str, name: &str) -> bool {
    let plain = format!("${name}");
    let braced = format!("${{{name}");
    let follows_name =
        |rest: &str| rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
    text.match_indices(&plain)
        .any(|(at, _)| !follows_name(&text[at + plain.len()..]))
        || text
            .match_indices(&braced)
            .any(|(at, _)| !follows_name(&text[at + braced.len()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(yaml: &str) -> Refs {
        let value: Value = serde_yaml::from_str(yaml).expect("test yaml");
        let mut refs = Refs::default();
        refs.scan(&value, &["node".to_string(), "slack".to_string()]);
        refs
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn orb_elements_anywhere_in_steps() {
        let refs = scan(
            "- node/install\n- when: {condition: true, steps: [{slack/notify: {event: pass}}]}\n- run: node/x is text\n- ruby/install\n",
        );
        assert_eq!(refs.orbs, set(&["node", "slack"]));
        assert!(scan("- run: echo node/install\n- node/\n").orbs.is_empty());
    }

    #[test]
    fn pipeline_values_inside_templates_and_conditions() {
        let refs = scan(
            "- run: echo << pipeline.git.branch >> <<pipeline.parameters.deploy-ref>>\n\
             - when: {condition: << pipeline.parameters.a and pipeline.git.tag == \"v1\" >>, steps: [checkout]}\n\
             - unless: {condition: pipeline.parameters.skip, steps: [checkout]}\n\
             - run: echo pipeline.number outside a template\n\
             - run: echo << parameters.pipeline >> << mypipeline.id >> << pipeline.git.branch.is_default >>.\n",
        );
        assert_eq!(
            refs.pipeline,
            set(&[
                "pipeline.git.branch",
                "pipeline.git.branch.is_default",
                "pipeline.git.tag",
                "pipeline.parameters.a",
                "pipeline.parameters.deploy-ref",
                "pipeline.parameters.skip",
            ])
        );
    }

    #[test]
    fn environment_names() {
        assert_eq!(
            env_name("pipeline.parameters.deploy_ref"),
            "CIGEN_PARAM_deploy_ref"
        );
        assert_eq!(
            env_name("pipeline.parameters.image-tag"),
            "CIGEN_PARAM_image_tag"
        );
        assert_eq!(env_name("pipeline.git.branch"), "CIGEN_PIPELINE_git_branch");
        assert_eq!(
            env_name("pipeline.git.branch.is_default"),
            "CIGEN_PIPELINE_git_branch_is_default"
        );
        assert_eq!(env_name("pipeline.number"), "CIGEN_PIPELINE_number");
    }

    #[test]
    fn commit_bound_variables_as_the_shell_expands_them() {
        let refs = scan(
            "- run: docker build -t app:$CIRCLE_SHA1 .\n- run: echo ${CIRCLE_BUILD_NUM:-0}\n- run: echo $CIRCLE_WORKFLOW_IDS $CIRCLE_SHA1_X\n",
        );
        assert_eq!(
            refs.commit_bound,
            ["CIRCLE_BUILD_NUM", "CIRCLE_SHA1"].into_iter().collect()
        );
        assert!(uses_variable(
            "tag-${CIRCLE_WORKFLOW_ID}",
            "CIRCLE_WORKFLOW_ID"
        ));
        assert!(uses_variable("a:$CIRCLE_SHA1-amd64", "CIRCLE_SHA1"));
        assert!(!uses_variable("CIRCLE_SHA1", "CIRCLE_SHA1"));
    }
}
