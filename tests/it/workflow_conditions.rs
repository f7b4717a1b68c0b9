//! The workflows of the entrypoint (`config.yml`) and their `when`
//! conditions: CircleCI runs a setup configuration only if at most one of
//! its workflows runs in a pipeline. Immediate workflows are exclusive —
//! the first declared whose parameter is true runs — and the setup workflow
//! runs when none is set and the dynamic workflow's own `when` holds. Every
//! generated condition is evaluated (`logic::runs`) for every assignment of
//! the trigger parameters, on branches the user's conditions tell apart.

use serde_yaml::Value;

use crate::common::*;
use crate::logic::{self, Values};

const JOB: &str = "image: cimg/base:current\nsteps:\n  - run: 'true'\n";

/// Runs `generate`, checks both files with CircleCI's schema, returns them.
fn generate(repo: &Repo) -> (Value, Value) {
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "generate: {}", stderr(&output));
    assert_circleci_schema(&[
        repo.path().join(".circleci/config.yml"),
        repo.path().join(".circleci/main.yml"),
    ]);
    let config = repo.yaml(".circleci/config.yml");
    assert_references_resolve(&config);
    (config, repo.yaml(".circleci/main.yml"))
}

/// A `.cigen/` with boolean parameters `run_a`, `run_b`, `run_c` (declared
/// in reverse: their order does not decide anything) triggering workflows
/// `a_first`, `b_second`, `c_third`, each with the given `when` (YAML) if any.
fn three_immediate(whens: [Option<&str>; 3], main_when: Option<&str>) -> Repo {
    let mut repo = Repo::new().file(
        ".cigen/config.yml",
        "parameters:\n  run_c: {type: boolean, default: false}\n  run_b: {type: boolean, default: false}\n  run_a: {type: boolean, default: false}\n",
    );
    let names = [
        ("a_first", "run_a"),
        ("b_second", "run_b"),
        ("c_third", "run_c"),
    ];
    for ((workflow, parameter), when) in names.into_iter().zip(whens) {
        let when = when.map(|w| format!("when: {w}\n")).unwrap_or_default();
        repo = repo
            .file(
                &format!(".cigen/workflows/{workflow}/config.yml"),
                &format!("trigger: {{parameter: {parameter}}}\n{when}"),
            )
            .file(&format!(".cigen/workflows/{workflow}/jobs/work.yml"), JOB);
    }
    if let Some(when) = main_when {
        repo = repo.file(
            ".cigen/workflows/main/config.yml",
            &format!("when: {when}\n"),
        );
    }
    repo.file(".cigen/workflows/main/jobs/build.yml", JOB)
}

/// The workflows of a document whose `when` holds for `values`, in order.
fn running(doc: &Value, values: &Values) -> Vec<String> {
    doc["workflows"]
        .as_mapping()
        .expect("workflows")
        .iter()
        .filter(|(_, workflow)| logic::runs(workflow.get("when"), values))
        .map(|(name, _)| name.as_str().expect("name").to_string())
        .collect()
}

/// Every assignment of `parameters` (true/false), with the fixed `values`.
fn assignments(parameters: &[&str], values: &Values) -> Vec<(Vec<bool>, Values)> {
    (0..1u32 << parameters.len())
        .map(|bits| {
            let set: Vec<bool> = (0..parameters.len())
                .map(|i| bits & (1 << i) != 0)
                .collect();
            let mut all = values.clone();
            for (parameter, value) in parameters.iter().zip(&set) {
                all.insert(
                    format!("pipeline.parameters.{parameter}"),
                    Value::Bool(*value),
                );
            }
            (set, all)
        })
        .collect()
}

fn values(branch: &str) -> Values {
    let mut values = Values::new();
    values.insert("pipeline.git.branch".into(), branch.into());
    values.insert("pipeline.parameters.cigen_skip_cache".into(), false.into());
    values
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("yaml")
}

const TRIGGERS: [&str; 3] = ["run_a", "run_b", "run_c"];
const IMMEDIATE: [&str; 3] = ["a_first", "b_second", "c_third"];

#[test]
fn exactly_one_workflow_runs_for_every_assignment_of_the_trigger_parameters() {
    let repo = three_immediate([None, None, None], None);
    let (config, _) = generate(&repo);
    for (set, values) in assignments(&TRIGGERS, &values("main")) {
        let expected = match set.iter().position(|on| *on) {
            Some(first) => IMMEDIATE[first],
            None => "setup",
        };
        assert_eq!(running(&config, &values), [expected], "parameters {set:?}");
    }
    // The first declared (by directory name) is unconditioned by the others.
    assert_eq!(
        config["workflows"]["a_first"]["when"],
        "<< pipeline.parameters.run_a >>"
    );
}

#[test]
fn user_conditions_compose_with_the_exclusion_in_both_condition_forms() {
    // A logic statement, an expression (inside a logic statement it would
    // be a truthy literal), a `<< … >>` value, and an expression on main.
    let whens = [
        Some("{equal: [main, << pipeline.git.branch >>]}"),
        Some("'pipeline.git.branch starts-with \"release/\"'"),
        Some("<< pipeline.parameters.nightly >>"),
    ];
    let main_when = "'pipeline.git.branch != \"wip\"'";
    let repo = three_immediate(whens, Some(main_when));
    repo.write(
        ".cigen/config.yml",
        "parameters:\n  run_a: {type: boolean, default: false}\n  run_b: {type: boolean, default: false}\n  run_c: {type: boolean, default: false}\n  nightly: {type: boolean, default: false}\n",
    );
    let (config, main) = generate(&repo);
    // main.yml keeps its own condition.
    assert_eq!(main["workflows"]["main"]["when"], yaml(main_when));
    let user: Vec<Option<Value>> = whens.iter().map(|w| w.map(yaml)).collect();
    let mut cases = 0;
    for branch in ["main", "release/1", "wip"] {
        for nightly in [false, true] {
            let mut fixed = values(branch);
            fixed.insert("pipeline.parameters.nightly".into(), nightly.into());
            for (set, values) in assignments(&TRIGGERS, &fixed) {
                let expected: Vec<&str> = match set.iter().position(|on| *on) {
                    // The first declared whose parameter is true, if its own condition holds.
                    Some(first) => [IMMEDIATE[first]]
                        .into_iter()
                        .filter(|_| logic::runs(user[first].as_ref(), &values))
                        .collect(),
                    None => ["setup"]
                        .into_iter()
                        .filter(|_| logic::runs(main["workflows"]["main"].get("when"), &values))
                        .collect(),
                };
                assert_eq!(
                    running(&config, &values),
                    expected,
                    "branch {branch}, nightly {nightly}, parameters {set:?}"
                );
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 48);
}

#[test]
fn setup_does_not_run_for_a_dynamic_workflow_its_when_excludes() {
    // Setup used to run, then continue a workflow CircleCI filtered out: a
    // config processing error. Now setup runs exactly when main would.
    let repo = minimal(&[("build.yml", JOB)]).file(
        ".cigen/workflows/main/config.yml",
        "when:\n  not:\n    matches: {pattern: '^wip/.*$', value: << pipeline.git.branch >>}\n",
    );
    let (config, main) = generate(&repo);
    assert_eq!(
        config["workflows"]["setup"]["when"],
        main["workflows"]["main"]["when"]
    );
    assert_eq!(running(&config, &values("wip/x")), Vec::<String>::new());
    assert_eq!(running(&config, &values("main")), ["setup"]);
}

#[test]
fn first_declared_means_written_order_in_cigen_yml() {
    let repo = Repo::new()
        .file(
            "cigen.yml",
            &format!(
                "parameters:\n  run_a: {{type: boolean, default: false}}\n  run_z: {{type: boolean, default: false}}\nworkflows:\n  zeta:\n    trigger: {{parameter: run_z}}\n    jobs:\n      work: {{{JOB_INLINE}}}\n  alpha:\n    trigger: {{parameter: run_a}}\n    jobs:\n      work: {{{JOB_INLINE}}}\n  main:\n    jobs:\n      build: {{{JOB_INLINE}}}\n"
            ),
        );
    let (config, _) = generate(&repo);
    let names: Vec<&str> = config["workflows"]
        .as_mapping()
        .expect("workflows")
        .keys()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        names,
        ["setup", "zeta", "alpha"],
        "listed in precedence order"
    );
    for (set, values) in assignments(&["run_z", "run_a"], &values("main")) {
        let expected = match (set[0], set[1]) {
            (true, _) => "zeta",
            (false, true) => "alpha",
            (false, false) => "setup",
        };
        assert_eq!(running(&config, &values), [expected], "parameters {set:?}");
    }
}

const JOB_INLINE: &str = "image: cimg/base:current, steps: [{run: 'true'}]";

#[test]
fn the_evaluator_reads_conditions_as_circleci_documents_them() {
    let mut values = Values::new();
    values.insert("foo".into(), true.into());
    values.insert("bar".into(), false.into());
    // The configuration reference's own examples of `not`'s precedence.
    assert!(!logic::runs(Some(&"not foo and bar".into()), &values));
    assert!(logic::runs(Some(&"not (foo and bar)".into()), &values));
    // Inside a logic statement a plain string is a truthy literal.
    assert!(logic::runs(
        Some(&yaml("and: [true, 'foo == false']")),
        &values
    ));
    assert!(!logic::runs(
        Some(&yaml("not: {or: [false, '<< foo >>']}")),
        &values
    ));
}
