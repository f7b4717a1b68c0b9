//! Property test of the continuation's shape over small random graphs:
//! jobs with filters from a small set of forms (plain names, `/.*/`, a
//! lookahead, expressions), random requirements (with job statuses),
//! approvals, OR-dependencies and workspaces; random skip sets; both
//! `setup.skipped_jobs` modes; branch and tag pipelines. Each case runs the
//! real binary (`generate`, then `generate --workflow main` with the skip
//! list, which shapes exactly as `continue` does) and checks, with an
//! oracle written from CircleCI's documented filter rules:
//! - the config is valid (CircleCI's schema, references resolve);
//! - a job of `main.yml` is missing only if it was skipped in remove mode,
//!   is the record job of a skipped job, or is an approval or shim;
//! - no kept job that attaches a workspace and may run here lost a skipped
//!   producer;
//! - some job is certain to run, or the skip-summary job is there;
//! - every job of `main.yml` that runs on this ref (CircleCI's rules played
//!   out with the filter forms evaluated for the ref, approvals approved)
//!   still runs in the continuation, unless cigen skipped it: pruning never
//!   silently stops a job, however filters turn out.
//!
//! Seeded, so a failure names a case that can be run again.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::common::*;
use serde_yaml::Value;

const CASES: u64 = 60;
const SUMMARY: &str = "cigen_all_skipped";

/// xorshift64*: a tiny deterministic generator, so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

const FORMS: &[&str] = &[
    "{branches: {only: main}}",
    "{branches: {only: [feature, other]}}",
    "{branches: {ignore: /.*/}, tags: {only: /^v.*/}}",
    "{branches: {ignore: '/^(?!main).*/'}}",
    "'pipeline.git.branch == \"main\"'",
    "{tags: {only: /.*/}}",
    "'pipeline.git.tag matches /^v.*/'",
];

/// One random case: the `cigen.yml`, the skip list, the ref.
struct Case {
    config: String,
    skip: Vec<String>,
    reference: (&'static str, &'static str),
    remove: bool,
}

fn case(rng: &mut Rng) -> Case {
    let n = 3 + rng.below(4) as usize;
    let remove = rng.one_in(2);
    let mut jobs = String::new();
    for i in 0..n {
        let mut body = "        image: cimg/base:current\n".to_string();
        if rng.one_in(2) {
            body.push_str("        source_files: [src.txt]\n");
        }
        let mut requires: Vec<usize> = (0..i).filter(|_| rng.one_in(3)).collect();
        if !requires.is_empty() {
            body.push_str("        requires:\n");
            for &r in &requires {
                if rng.one_in(5) {
                    body.push_str(&format!("          - j{r}: [success, failed]\n"));
                } else {
                    body.push_str(&format!("          - j{r}\n"));
                }
            }
        }
        let others: Vec<usize> = (0..i).filter(|r| !requires.contains(r)).collect();
        if others.len() >= 2 && rng.one_in(6) {
            body.push_str(&format!(
                "        requires_any: [j{}, j{}]\n",
                others[0], others[1]
            ));
            requires.clear();
        }
        if rng.one_in(6) {
            body.push_str("        approval: true\n");
        }
        if rng.one_in(2) {
            let form = FORMS[rng.below(FORMS.len() as u64) as usize];
            body.push_str(&format!("        filters: {form}\n"));
        }
        body.push_str("        steps:\n          - {run: make}\n");
        if i > 0 && rng.one_in(3) {
            body.push_str("          - attach_workspace: {at: .}\n");
        }
        if rng.one_in(3) {
            body.push_str(&format!(
                "          - persist_to_workspace: {{root: ., paths: [o{i}]}}\n"
            ));
        }
        jobs.push_str(&format!("      j{i}:\n{body}"));
    }
    let mode = if remove { "remove" } else { "no_op" };
    let config = format!(
        "setup: {{skipped_jobs: {mode}, required_check: ci_ok}}\nworkflows:\n  main:\n    jobs:\n{jobs}"
    );
    let skip = (0..n)
        .filter(|_| rng.one_in(2))
        .map(|i| format!("j{i}"))
        .collect();
    let reference = match rng.below(3) {
        0 => ("CIRCLE_BRANCH", "main"),
        1 => ("CIRCLE_BRANCH", "feature"),
        _ => ("CIRCLE_TAG", "v1"),
    };
    Case {
        config,
        skip,
        reference,
        remove,
    }
}

#[test]
fn every_random_continuation_is_valid_runs_something_and_keeps_what_may_run() {
    let mut rng = Rng(0x5eed_c1ce_2026_0010);
    let repo = Repo::new().file("src.txt", "v1\n");
    let mut files: Vec<PathBuf> = vec![];
    for number in 0..CASES {
        let case = case(&mut rng);
        repo.write("cigen.yml", &case.config);
        repo.write("skip.txt", &case.skip.join("\n"));
        let output = repo.cigen().arg("generate").output().expect("runs");
        assert!(
            output.status.success(),
            "case {number}: {}\n{}",
            stderr(&output),
            case.config
        );
        let out = format!("case_{number}.yml");
        let output = repo
            .cigen()
            .args(["generate", "--workflow", "main", "--output", &out])
            .env("CIGEN_SKIP_JOBS_FILE", repo.path().join("skip.txt"))
            .env_remove("CIRCLE_TAG")
            .env_remove("CIRCLE_BRANCH")
            .env(case.reference.0, case.reference.1)
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "case {number}: {}",
            stderr(&output)
        );
        let main = repo.yaml(".circleci/main.yml");
        let doc = repo.yaml(&out);
        let kept: Vec<String> = stderr(&output)
            .lines()
            .filter_map(|l| l.strip_prefix("kept "))
            .filter_map(|l| l.split(':').next())
            .map(str::to_string)
            .collect();
        let context = format!(
            "case {number} ({} {}, skip {:?}):\n{}",
            case.reference.0, case.reference.1, case.skip, case.config
        );
        check_case(&case, &main, &doc, &kept, &context);
        files.push(repo.path().join(out));
    }
    assert_circleci_schema(&files);
}

fn check_case(case: &Case, main: &Value, doc: &Value, kept: &[String], context: &str) {
    assert_references_resolve(doc);
    let graph = Graph::of(doc);
    let before = Graph::of(main);
    let on_tag = case.reference.0 == "CIRCLE_TAG";
    // Nothing is dropped but what may be.
    for name in before.jobs.keys() {
        if graph.jobs.contains_key(name) {
            continue;
        }
        let skipped = case.skip.contains(name) && !kept.contains(name);
        let record_of_skipped = name
            .strip_suffix("_record")
            .is_some_and(|of| case.skip.contains(&of.to_string()));
        let approval_or_shim = before.jobs[name].approval || before.jobs[name].shim;
        assert!(
            (case.remove && skipped) || record_of_skipped || approval_or_shim,
            "{name} was dropped\n{context}"
        );
    }
    // No consumer that may run lost a skipped producer.
    let never = graph.never(case.reference);
    for (name, job) in &graph.jobs {
        if !job.attaches || job.no_op || never.contains(name) {
            continue;
        }
        for producer in before.ancestors(name) {
            if !before.jobs[&producer].persists {
                continue;
            }
            let runs = graph.jobs.get(&producer).is_some_and(|p| !p.no_op);
            assert!(
                runs,
                "{name} may run but its producer {producer} does not\n{context}"
            );
        }
    }
    // Never an all-filtered pipeline.
    let certain = graph.certain(case.reference);
    let summary = graph.jobs.contains_key(SUMMARY);
    if on_tag {
        assert!(summary, "no summary job on a tag\n{context}");
    } else {
        assert!(
            summary || !certain.is_empty(),
            "nothing certain and no summary job\n{context}"
        );
    }
    // Whatever the filters decide here, what ran in main.yml still runs.
    let ran = before.runs(case.reference);
    let runs = graph.runs(case.reference);
    for name in &ran {
        let skipped = case.skip.contains(name) && !kept.contains(name);
        let record_of_skipped = name
            .strip_suffix("_record")
            .is_some_and(|of| case.skip.contains(&of.to_string()));
        if skipped || record_of_skipped || !graph.jobs.contains_key(name) {
            continue;
        }
        assert!(
            runs.contains(name),
            "{name} runs in main.yml but not in the continuation\n{context}"
        );
    }
    // The required check always has a requirement certain to run (or the summary).
    let check = &graph.jobs["ci_ok"];
    assert!(
        check
            .requires
            .iter()
            .any(|r| certain.contains(r) || r == SUMMARY),
        "ci_ok requires nothing certain: {:?}\n{context}",
        check.requires
    );
}

/// A workflow as the oracle reads it from YAML.
struct Graph {
    jobs: BTreeMap<String, Job>,
}

struct Job {
    requires: Vec<String>,
    filters: Option<Value>,
    approval: bool,
    shim: bool,
    no_op: bool,
    persists: bool,
    attaches: bool,
}

impl Graph {
    fn of(doc: &Value) -> Graph {
        let mut jobs = BTreeMap::new();
        for (name, params) in workflow_jobs(doc, "main") {
            let body_name = doc["workflows"]["main"]["jobs"]
                .as_sequence()
                .into_iter()
                .flatten()
                .find_map(|entry| match entry {
                    Value::String(s) if *s == name => Some(s.clone()),
                    Value::Mapping(m) => m.iter().next().and_then(|(k, v)| {
                        let shown = v.get("name").and_then(Value::as_str).or(k.as_str());
                        (shown == Some(name.as_str())).then(|| k.as_str().unwrap_or("").to_string())
                    }),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("`{name}` is not in workflow main"));
            let body = &doc["jobs"][body_name.as_str()];
            let steps = serde_yaml::to_string(&body["steps"]).expect("steps serialize");
            let job = Job {
                requires: requires(doc, "main", &name),
                filters: params.get("filters").cloned(),
                approval: params.get("type").and_then(Value::as_str) == Some("approval"),
                shim: body_name == "cigen_approve",
                no_op: body["type"] == "no-op",
                persists: steps.contains("persist_to_workspace"),
                attaches: steps.contains("attach_workspace"),
            };
            jobs.insert(name, job);
        }
        Graph { jobs }
    }

    fn ancestors(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![name.to_string()];
        while let Some(current) = stack.pop() {
            for required in &self.jobs[&current].requires {
                if seen.insert(required.clone()) {
                    stack.push(required.clone());
                }
            }
        }
        seen
    }

    /// Jobs in an order where requirements come first.
    fn ordered(&self) -> Vec<&String> {
        let mut order: Vec<&String> = vec![];
        while order.len() < self.jobs.len() {
            for (name, job) in &self.jobs {
                if !order.contains(&name) && job.requires.iter().all(|r| order.contains(&r)) {
                    order.push(name);
                }
            }
        }
        order
    }

    fn certain(&self, (var, value): (&str, &str)) -> BTreeSet<String> {
        let mut certain = BTreeSet::new();
        for name in self.ordered() {
            let job = &self.jobs[name];
            let admits = var == "CIRCLE_BRANCH" && admits_branch(job.filters.as_ref(), value);
            if admits
                && (job.requires.is_empty() || job.requires.iter().any(|r| certain.contains(r)))
            {
                certain.insert(name.clone());
            }
        }
        certain
    }

    /// What CircleCI runs on this ref: a job whose filters pass and which
    /// has no requirement or one that runs (approvals count as approved).
    fn runs(&self, reference: (&str, &str)) -> BTreeSet<String> {
        let mut runs = BTreeSet::new();
        for name in self.ordered() {
            let job = &self.jobs[name];
            if passes(job.filters.as_ref(), reference)
                && (job.requires.is_empty() || job.requires.iter().any(|r| runs.contains(r)))
            {
                runs.insert(name.clone());
            }
        }
        runs
    }

    fn never(&self, (var, value): (&str, &str)) -> BTreeSet<String> {
        let mut never = BTreeSet::new();
        for name in self.ordered() {
            let job = &self.jobs[name];
            let excluded = excludes(job.filters.as_ref(), var == "CIRCLE_TAG", value);
            if excluded
                || (!job.requires.is_empty() && job.requires.iter().all(|r| never.contains(r)))
            {
                never.insert(name.clone());
            }
        }
        never
    }
}

/// The oracle's reading of CircleCI's filter rules (configuration reference, `filters`).
fn list(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(many) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Value::String(one) => vec![one.clone()],
        _ => vec![],
    }
}

fn plain(entry: &str) -> bool {
    !(entry.starts_with('/') && entry.ends_with('/'))
}

fn admits_branch(filters: Option<&Value>, branch: &str) -> bool {
    let Some(filters) = filters else {
        return true;
    };
    if filters.is_string() {
        return false;
    }
    let Some(branches) = filters.get("branches") else {
        return true;
    };
    let only = branches.get("only").map(list);
    let ignore = branches.get("ignore").map(list);
    let lists = |l: &[String]| l.iter().any(|e| e == "/.*/" || (plain(e) && e == branch));
    let misses = |l: &[String]| !l.is_empty() && l.iter().all(|e| plain(e) && e != branch);
    match (only, ignore) {
        (Some(only), None) => lists(&only),
        (None, Some(ignore)) => misses(&ignore),
        (Some(only), Some(ignore)) => lists(&only) && misses(&ignore),
        (None, None) => false,
    }
}

fn excludes(filters: Option<&Value>, tag: bool, name: &str) -> bool {
    let key = if tag { "tags" } else { "branches" };
    let section = match filters {
        None => return tag,
        Some(f) if f.is_string() => return false,
        Some(f) => match f.get(key) {
            None => return tag,
            Some(section) => section,
        },
    };
    let only = section.get("only").map(list);
    let ignore = section.get("ignore").map(list);
    let lists = |l: &[String]| l.iter().any(|e| e == "/.*/" || (plain(e) && e == name));
    let misses = |l: &[String]| !l.is_empty() && l.iter().all(|e| plain(e) && e != name);
    match (only, ignore) {
        (Some(only), None) => misses(&only),
        (None, Some(ignore)) => lists(&ignore),
        (Some(only), Some(ignore)) => misses(&only) && lists(&ignore),
        (None, None) => tag,
    }
}

/// Each filter form of `FORMS` (and none) evaluated for one ref, as
/// CircleCI would: no `branches:` runs on every branch, no `tags:` on no tag.
fn passes(filters: Option<&Value>, (var, name): (&str, &str)) -> bool {
    let tag = var == "CIRCLE_TAG";
    let Some(filters) = filters else {
        return !tag;
    };
    if let Some(expression) = filters.as_str() {
        return match expression {
            "pipeline.git.branch == \"main\"" => !tag && name == "main",
            "pipeline.git.tag matches /^v.*/" => tag && name.starts_with('v'),
            other => panic!("the oracle cannot evaluate `{other}`"),
        };
    }
    let Some(section) = filters.get(if tag { "tags" } else { "branches" }) else {
        return !tag;
    };
    let matches = |entry: &String| match entry.as_str() {
        "/.*/" => true,
        "/^v.*/" => name.starts_with('v'),
        "/^(?!main).*/" => name != "main",
        plain_name if plain(plain_name) => plain_name == name,
        other => panic!("the oracle cannot evaluate `{other}`"),
    };
    let only = section.get("only").map(list);
    let ignore = section.get("ignore").map(list);
    match (only, ignore) {
        (Some(only), None) => only.iter().any(matches),
        (None, Some(ignore)) => !ignore.iter().any(matches),
        (Some(only), Some(ignore)) => only.iter().any(matches) && !ignore.iter().any(matches),
        (None, None) => panic!("the oracle cannot evaluate an empty section"),
    }
}
