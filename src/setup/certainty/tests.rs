use super::*;
use crate::plan::{Node, NodeKind};

fn f(text: &str) -> Value {
    serde_yaml::from_str(text).expect("yaml")
}

fn branch(name: &str) -> Ref {
    Ref::Branch(name.into())
}

fn tag(name: &str) -> Ref {
    Ref::Tag(name.into())
}

#[test]
fn plain_names_compared_exactly_exclude_a_branch() {
    let only = f("branches: {only: [main, release]}");
    assert!(excludes(Some(&only), &branch("feature")));
    assert!(!excludes(Some(&only), &branch("main")));
    let ignore = f("branches: {ignore: main}");
    assert!(excludes(Some(&ignore), &branch("main")));
    assert!(!excludes(Some(&ignore), &branch("mainline")));
    assert!(excludes(Some(&f("branches: {ignore: /.*/}")), &branch("x")));
    // With both, both must exclude.
    let both = f("branches: {only: main, ignore: dev}");
    assert!(!excludes(Some(&both), &branch("feature")));
    assert!(excludes(
        Some(&f("branches: {only: main, ignore: dev}")),
        &branch("dev")
    ));
}

#[test]
fn any_other_regex_or_an_expression_may_run() {
    for filters in [
        "branches: {only: /^release-.*/}",
        "branches: {only: [main, /x/]}",
        "branches: {ignore: /^(?!main).*/}",
        "branches: {}",
        "tags: {only: /^v.*/}",
    ] {
        assert!(
            !excludes(Some(&f(filters)), &branch("feature")),
            "{filters}"
        );
    }
    let expression = Value::from("pipeline.git.branch == \"main\"");
    assert!(!excludes(Some(&expression), &branch("feature")));
    assert!(!excludes(Some(&expression), &tag("v1")));
    assert!(!excludes(None, &branch("feature")));
    assert!(!excludes(Some(&f("branches: {only: main}")), &Ref::Unknown));
}

#[test]
fn on_a_tag_only_tag_filters_can_let_a_job_run() {
    assert!(excludes(None, &tag("v1")));
    assert!(excludes(Some(&f("branches: {only: /.*/}")), &tag("v1")));
    assert!(excludes(Some(&f("tags: {}")), &tag("v1")));
    assert!(excludes(Some(&f("tags: {only: v2}")), &tag("v1")));
    assert!(excludes(Some(&f("tags: {ignore: /.*/}")), &tag("v1")));
    assert!(!excludes(Some(&f("tags: {only: /^v.*/}")), &tag("v1")));
    assert!(!excludes(Some(&f("tags: {only: v1}")), &tag("v1")));
    assert!(!excludes(Some(&f("tags: {ignore: v2}")), &tag("v1")));
}

fn node(id: &str, requires: &[&str]) -> Node {
    let kind = NodeKind::Variant {
        job: id.into(),
        arch: "amd64".into(),
        hashed: false,
        persists: false,
        attaches: false,
    };
    Node::test(id, kind, requires)
}

#[test]
fn a_job_whose_requirements_are_all_filtered_is_not_certain() {
    // Written out of order: requirements are decided first all the same.
    let plan = WorkflowPlan::new(
        "main".into(),
        vec![
            node("after_deploy", &["deploy"]),
            node("deploy", &["release"]),
            node("lint", &[]),
            node("release", &[]),
            node("both", &["release", "lint"]),
        ],
    );
    let mut filters = HashMap::new();
    filters.insert("release".to_string(), Some(f("branches: {only: [main]}")));
    let on = |reference: &Ref| analyse(&plan, &filters, reference);
    let feature = on(&branch("feature"));
    let certain: Vec<&str> = feature.certain.iter().map(String::as_str).collect();
    assert_eq!(certain, ["both", "lint"]);
    let never: Vec<&str> = feature.never.iter().map(String::as_str).collect();
    assert_eq!(never, ["after_deploy", "deploy", "release"]);
    // On main the plain name settles it: the release and all behind it are certain.
    let main = on(&branch("main"));
    assert_eq!(main.certain.len(), plan.nodes.len());
    // A regex leaves it open: nothing behind it is certain, nothing certainly not.
    let mut open = filters.clone();
    open.insert("release".to_string(), Some(f("branches: {only: /^ma.*/}")));
    let main = analyse(&plan, &open, &branch("main"));
    assert!(!main.certain.contains("deploy") && main.never.is_empty());
    // On a tag nothing is certain, and jobs without tag filters certainly do not run.
    let on_tag = on(&tag("v1"));
    assert!(on_tag.certain.is_empty());
    assert_eq!(on_tag.never.len(), plan.nodes.len());
}

#[test]
fn only_settled_filters_admit_a_branch() {
    let feature = branch("feature");
    assert!(admits(None, &feature));
    assert!(admits(Some(&f("tags: {only: /^v.*/}")), &feature));
    assert!(admits(Some(&f("tags: {only: /^v.*/}")), &Ref::Unknown));
    assert!(admits(
        Some(&f("branches: {only: [main, feature]}")),
        &feature
    ));
    assert!(admits(Some(&f("branches: {only: /.*/}")), &feature));
    assert!(admits(
        Some(&f("branches: {ignore: [main, dev]}")),
        &feature
    ));
    for open in [
        "branches: {only: main}",
        "branches: {only: /^feat.*/}",
        "branches: {ignore: /^(?!main).*/}",
        "branches: {}",
        "branches: {only: feature, ignore: /x/}",
    ] {
        assert!(!admits(Some(&f(open)), &feature), "{open}");
    }
    assert!(!admits(Some(&f("branches: {only: main}")), &Ref::Unknown));
    let expression = Value::from("pipeline.git.branch == \"feature\"");
    assert!(!admits(Some(&expression), &feature));
    assert!(!admits(None, &tag("v1")));
    assert!(!admits(Some(&f("tags: {only: /.*/}")), &tag("v1")));
}
