//! Would a job run in this pipeline? CircleCI's branch and tag filters,
//! evaluated against `CIRCLE_BRANCH` / `CIRCLE_TAG`, so `continue` never
//! sends a config whose every job is filtered out (CircleCI fails such a
//! pipeline with "All Workflows have been filtered"). Only the job's own
//! filters are read; `/re/` values are regular expressions matching the
//! whole name, other values exact names.

use serde_yaml::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    Branch(String),
    Tag(String),
    /// Neither variable set (not in CircleCI): assume everything runs.
    Unknown,
}

impl Ref {
    pub fn from_env() -> Ref {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        match (var("CIRCLE_TAG"), var("CIRCLE_BRANCH")) {
            (Some(tag), _) => Ref::Tag(tag),
            (None, Some(branch)) => Ref::Branch(branch),
            (None, None) => Ref::Unknown,
        }
    }
}

/// Whether a job with these workflow `filters` runs for `reference`.
pub fn runs(filters: Option<&Value>, reference: &Ref) -> bool {
    let section = |key: &str| filters.and_then(|f| f.get(key));
    match reference {
        Ref::Unknown => true,
        Ref::Branch(name) => allowed(section("branches"), name, true),
        // A job without tag filters never runs on a tag.
        Ref::Tag(name) => section("tags").is_some() && allowed(section("tags"), name, true),
    }
}

fn allowed(section: Option<&Value>, name: &str, default: bool) -> bool {
    let Some(section) = section else {
        return default;
    };
    if let Some(only) = section.get("only") {
        return matches(only, name);
    }
    if let Some(ignore) = section.get("ignore") {
        return !matches(ignore, name);
    }
    default
}

fn matches(patterns: &Value, name: &str) -> bool {
    let list: Vec<&str> = match patterns {
        Value::String(one) => vec![one.as_str()],
        Value::Sequence(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    list.iter().any(
        |pattern| match pattern.strip_prefix('/').and_then(|p| p.strip_suffix('/')) {
            // An invalid expression cannot be judged here: count it as matching, so nothing is wrongly dropped.
            Some(expr) => {
                regex::Regex::new(&format!("^(?:{expr})$")).map_or(true, |re| re.is_match(name))
            }
            None => *pattern == name,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(text: &str) -> Value {
        serde_yaml::from_str(text).expect("yaml")
    }

    #[test]
    fn branch_filters() {
        let main = Ref::Branch("main".into());
        let feature = Ref::Branch("feature/x".into());
        assert!(runs(None, &main));
        let only = f("branches: {only: [main, /release-.*/]}");
        assert!(runs(Some(&only), &main) && !runs(Some(&only), &feature));
        assert!(runs(Some(&only), &Ref::Branch("release-1".into())));
        let ignore = f("branches: {ignore: /.*/}");
        assert!(!runs(Some(&ignore), &main));
        assert!(runs(Some(&f("tags: {only: /.*/}")), &main));
    }

    #[test]
    fn tag_filters() {
        let tag = Ref::Tag("v1.2.0".into());
        assert!(!runs(None, &tag));
        assert!(!runs(Some(&f("branches: {only: main}")), &tag));
        assert!(runs(
            Some(&f("tags: {only: /^v.*/}\nbranches: {ignore: /.*/}")),
            &tag
        ));
        assert!(!runs(Some(&f("tags: {only: /^x.*/}")), &tag));
        assert!(runs(Some(&f("tags: {ignore: nope}")), &tag));
        assert!(runs(None, &Ref::Unknown));
    }
}
