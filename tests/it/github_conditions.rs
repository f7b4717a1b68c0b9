//! The GitHub dynamic workflow's `needs` and `if:` run as GitHub would
//! (`ghlogic`), over random job graphs (hashed, parallel, job-status
//! requirements, `requires_any`, `approval: true`, the required check),
//! random `cigen_setup` outputs (`run_<v>` true, false or lost) and random
//! outcomes (success, failure, timed out = `cancelled`), against the
//! promise computed from the graph alone, CircleCI's rules:
//!
//! - a job cigen skips (`run_<v> == 'false'`) is skipped; a skipped job's
//!   requirements still count through it (its stand-in is blocked when a
//!   requirement of it did not pass), and its dependents still run;
//! - a job runs only when every requirement passed (or cigen skipped it),
//!   every job-status requirement ended in a listed status, any one
//!   `requires_any` trigger passed, its hand gate was approved — so a
//!   failed or timed-out requirement stops every dependent but a cleanup
//!   job listing that status;
//! - a lost `run_<v>` output makes the job run;
//! - the required check fails exactly when `cigen_setup` or a job it
//!   covers failed, timed out, or did not run without cigen skipping it
//!   (its real script runs, in bash with jq).
//!
//! Seeded: `CIGEN_GH_SEED=<seed>` replays a run; `CIGEN_GH_GRAPHS=<n>`
//! graphs (default 24), 40 outcome assignments each.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;

use serde_yaml::Value;

use crate::common::*;
use crate::ghlogic::{self, GhJob, Run, V};
use crate::seedsupport::{Seed, env_number, report};

const CHECK: &str = "ci_passed";

#[derive(Debug, Clone)]
struct J {
    hashed: bool,
    parallel: bool,
    approval: bool,
    /// Earlier jobs, with CircleCI statuses (`None`: success).
    requires: Vec<(usize, Option<Vec<&'static str>>)>,
    any: Vec<usize>,
}

fn name(i: usize) -> String {
    format!("j{i}")
}

fn random_graph(rng: &mut fastrand::Rng) -> Vec<J> {
    let n = rng.usize(3..=8);
    let mut jobs: Vec<J> = vec![];
    for i in 0..n {
        let hashed = rng.u8(..3) != 0;
        let mut requires = vec![];
        for r in 0..i {
            if rng.u8(..100) < 35 {
                let statuses = match rng.u8(..10) {
                    0 => Some(vec!["success", "failed"]),
                    1 => Some(vec!["success", "failed", "canceled"]),
                    _ => None,
                };
                requires.push((r, statuses));
            }
        }
        let mut any = vec![];
        if i >= 2 && rng.u8(..4) == 0 {
            let free: Vec<usize> = (0..i)
                .filter(|r| !requires.iter().any(|(q, _)| q == r))
                .collect();
            if free.len() >= 2 {
                let a = free[rng.usize(..free.len())];
                let mut b = free[rng.usize(..free.len())];
                while b == a {
                    b = free[rng.usize(..free.len())];
                }
                any = vec![a.min(b), a.max(b)];
            }
        }
        jobs.push(J {
            hashed,
            parallel: hashed && rng.u8(..4) == 0,
            approval: rng.u8(..6) == 0,
            requires,
            any,
        });
    }
    jobs
}

fn job_file(job: &J, i: usize) -> String {
    let mut text = String::from("image: cimg/base:2024.01\n");
    if job.hashed {
        text.push_str("source_files: [src/**]\n");
    }
    if job.parallel {
        text.push_str("parallelism: 2\n");
    }
    if job.approval {
        text.push_str("approval: true\n");
    }
    if !job.requires.is_empty() {
        let items: Vec<String> = job
            .requires
            .iter()
            .map(|(r, statuses)| match statuses {
                None => name(*r),
                Some(s) => format!("{{{}: [{}]}}", name(*r), s.join(", ")),
            })
            .collect();
        text.push_str(&format!("requires: [{}]\n", items.join(", ")));
    }
    if !job.any.is_empty() {
        let items: Vec<String> = job.any.iter().map(|r| name(*r)).collect();
        text.push_str(&format!("requires_any: [{}]\n", items.join(", ")));
    }
    text.push_str(&format!("steps: [{{run: echo {}}}]\n", name(i)));
    text
}

/// The generated dynamic workflow of `graph`, validated, parsed.
fn generate(graph: &[J]) -> (String, Vec<GhJob>) {
    let mut repo = Repo::new()
        .file(
            ".cigen/config.yml",
            &format!("provider: github\nsetup:\n  required_check: {CHECK}\n"),
        )
        .file("src/a.txt", "a\n");
    for (i, job) in graph.iter().enumerate() {
        repo = repo.file(
            &format!(".cigen/workflows/main/jobs/{}.yml", name(i)),
            &job_file(job, i),
        );
    }
    let output = repo.cigen().arg("generate").output().expect("runs");
    assert!(output.status.success(), "{graph:?}\n{}", stderr(&output));
    let text = repo.read(".github/workflows/main.yml");
    let doc: Value = serde_yaml::from_str(&text).expect("parses");
    (text, ghlogic::jobs(&doc))
}

/// What `cigen_setup` hands out for a hashed job.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Out {
    Run,
    Skip,
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Success,
    Failure,
    TimedOut,
}

/// One assignment: setup's result, outputs, each job's outcome, each
/// hand gate's approval.
#[derive(Debug, Clone)]
struct Case {
    setup_ok: bool,
    out: Vec<Out>,
    outcome: Vec<Outcome>,
    approved: Vec<bool>,
}

fn random_case(rng: &mut fastrand::Rng, n: usize) -> Case {
    Case {
        setup_ok: rng.u8(..20) != 0,
        out: (0..n)
            .map(|_| match rng.u8(..20) {
                0..=7 => Out::Run,
                8..=16 => Out::Skip,
                _ => Out::Lost,
            })
            .collect(),
        outcome: (0..n)
            .map(|_| match rng.u8(..20) {
                0..=14 => Outcome::Success,
                15..=17 => Outcome::Failure,
                _ => Outcome::TimedOut,
            })
            .collect(),
        approved: (0..n).map(|_| rng.u8(..5) != 0).collect(),
    }
}

/// A job's state by the promise.
#[derive(Debug, Clone, Copy, PartialEq)]
enum St {
    Ran(Outcome),
    /// Cigen skipped it; `ok`: its requirements held (its stand-in passes).
    Pruned {
        ok: bool,
    },
    NotRun,
}

fn passed(st: St) -> bool {
    matches!(st, St::Ran(Outcome::Success) | St::Pruned { ok: true })
}

/// CircleCI's status of a job.
fn status(st: St) -> &'static str {
    match st {
        St::Ran(Outcome::Success) | St::Pruned { ok: true } => "success",
        St::Ran(Outcome::Failure) => "failed",
        St::Ran(Outcome::TimedOut) => "canceled",
        St::Pruned { ok: false } | St::NotRun => "not_run",
    }
}

/// The promise, from the graph alone.
fn promise(graph: &[J], case: &Case) -> Vec<St> {
    let mut st: Vec<St> = vec![];
    for (i, job) in graph.iter().enumerate() {
        let requires_ok = job.requires.iter().all(|(r, statuses)| match statuses {
            None => passed(st[*r]),
            Some(s) => s.contains(&status(st[*r])),
        });
        let any_ok = job.any.is_empty() || job.any.iter().any(|t| passed(st[*t]));
        // A hand gate next to triggers is left out on GitHub.
        let gate_ok = !job.approval || !job.any.is_empty() || case.approved[i];
        let ok = requires_ok && any_ok && gate_ok;
        st.push(if !case.setup_ok {
            St::NotRun
        } else if job.hashed && case.out[i] == Out::Skip {
            St::Pruned { ok }
        } else if ok {
            St::Ran(case.outcome[i])
        } else {
            St::NotRun
        });
    }
    st
}

/// Jobs the required check covers: not behind an approval job. On GitHub
/// a gate with triggers is no job (a hand gate next to triggers is left
/// out): such a job is behind an approval only when a trigger is.
fn covered(graph: &[J]) -> Vec<bool> {
    let mut behind: Vec<bool> = vec![];
    for job in graph {
        let gated = if job.any.is_empty() {
            job.approval
        } else {
            job.any.iter().any(|t| behind[*t])
        };
        behind.push(gated || job.requires.iter().any(|(r, _)| behind[*r]));
    }
    behind.into_iter().map(|b| !b).collect()
}

fn check_passes(graph: &[J], case: &Case, st: &[St]) -> bool {
    case.setup_ok
        && covered(graph)
            .iter()
            .zip(st)
            .filter(|(covered, _)| **covered)
            .all(|(_, st)| matches!(st, St::Ran(Outcome::Success) | St::Pruned { .. }))
}

fn result_text(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
        Outcome::TimedOut => "cancelled",
    }
}

/// The required check's real script over `needs` (memoised by input).
fn run_check(script: &str, needs: &str, memo: &mut HashMap<String, bool>) -> bool {
    if let Some(passed) = memo.get(needs) {
        return *passed;
    }
    let status = Command::new("bash")
        .args(["-eo", "pipefail", "-c", script])
        .env("CIGEN_NEEDS", needs)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("bash runs");
    memo.insert(needs.to_string(), status.success());
    status.success()
}

/// `toJSON(needs)` of a job, as GitHub builds it.
fn needs_json(job: &GhJob, run: &Run) -> String {
    let mut map = serde_json::Map::new();
    for need in &job.needs {
        let outputs: serde_json::Map<String, serde_json::Value> = run.outputs[need]
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())))
            .collect();
        map.insert(
            need.clone(),
            serde_json::json!({"result": run.results[need], "outputs": outputs}),
        );
    }
    serde_json::Value::Object(map).to_string()
}

/// Runs the workflow for `case`; the mismatches with the promise.
fn simulate(
    graph: &[J],
    jobs: &[GhJob],
    script: &str,
    case: &Case,
    memo: &mut HashMap<String, bool>,
) -> Vec<String> {
    let index: HashMap<String, usize> = (0..graph.len()).map(|i| (name(i), i)).collect();
    let inputs: BTreeMap<String, V> = BTreeMap::new();
    let run = ghlogic::run(jobs, &inputs, "push", |id, run| {
        let done = |r: &str| (r.to_string(), BTreeMap::new());
        if id == "cigen_setup" {
            let mut outputs = BTreeMap::new();
            for (i, job) in graph.iter().enumerate() {
                if job.hashed {
                    match case.out[i] {
                        Out::Run => outputs.insert(format!("run_{}", name(i)), "true".into()),
                        Out::Skip => outputs.insert(format!("run_{}", name(i)), "false".into()),
                        Out::Lost => None,
                    };
                }
            }
            let result = if case.setup_ok { "success" } else { "failure" };
            return (result.to_string(), outputs);
        }
        if id == CHECK {
            let job = jobs.iter().find(|j| j.id == CHECK).expect("check job");
            let ok = run_check(script, &needs_json(job, run), memo);
            return done(if ok { "success" } else { "failure" });
        }
        if let Some(gated) = id.strip_prefix("approve_") {
            return done(if case.approved[index[gated]] {
                "success"
            } else {
                "failure"
            });
        }
        if id.ends_with("_record") {
            return done("success");
        }
        done(result_text(case.outcome[index[id]]))
    });
    let st = promise(graph, case);
    let mut wrong = vec![];
    for (i, st) in st.iter().enumerate() {
        let ran = run.results[&name(i)] != "skipped";
        if ran != matches!(st, St::Ran(_)) {
            wrong.push(format!(
                "{}: promise {st:?}, GitHub result {}",
                name(i),
                run.results[&name(i)]
            ));
        }
        if let Some(record) = run.results.get(&format!("{}_record", name(i))) {
            let records = record != "skipped";
            if records != (*st == St::Ran(Outcome::Success)) {
                wrong.push(format!("{}_record ran: {records}, promise {st:?}", name(i)));
            }
        }
    }
    let check = run.results[CHECK] == "success";
    if check != check_passes(graph, case, &st) {
        wrong.push(format!("{CHECK} passed: {check}, promise {:?}", !check));
    }
    wrong
}

/// The check's script, from the generated workflow.
fn check_script(text: &str) -> String {
    let doc: Value = serde_yaml::from_str(text).expect("parses");
    doc["jobs"][CHECK]["steps"][0]["run"]
        .as_str()
        .expect("script")
        .to_string()
}

/// For each of `graphs` random graphs, 40 random cases; `mutate` rewrites
/// the generated workflow first. Returns the first mismatch.
fn explore(seed: Seed, graphs: u64, mutate: impl Fn(&str) -> String) -> Option<String> {
    let mut memo = HashMap::new();
    for stream in 0..graphs {
        let mut rng = seed.rng(stream);
        let graph = random_graph(&mut rng);
        let (text, _) = generate(&graph);
        let text = mutate(&text);
        let doc: Value = serde_yaml::from_str(&text).expect("parses");
        let jobs = ghlogic::jobs(&doc);
        let script = check_script(&text);
        for _ in 0..40 {
            let case = random_case(&mut rng, graph.len());
            let wrong = simulate(&graph, &jobs, &script, &case, &mut memo);
            if !wrong.is_empty() {
                return Some(format!(
                    "{} (graph {stream}): {graph:?}\n{case:?}\n{}\n{text}",
                    seed.reproduce(),
                    wrong.join("\n")
                ));
            }
        }
    }
    None
}

#[test]
fn github_runs_exactly_the_jobs_cigen_promises_over_random_graphs() {
    let seed = Seed::from_env("CIGEN_GH_SEED");
    let graphs = env_number("CIGEN_GH_GRAPHS").unwrap_or(24);
    report(&format!("github conditions: {}", seed.reproduce()));
    if let Some(failure) = explore(seed, graphs, str::to_string) {
        panic!("{failure}");
    }
}

/// The issue's `run_<v> == 'true'` own gate skips a job whose output was
/// lost: the simulation must catch it.
#[test]
fn the_issues_equals_true_gate_is_caught() {
    let seed = Seed::from_env("CIGEN_GH_SEED");
    let found = explore(seed, 24, |text| {
        let re = regex::Regex::new(r"(outputs\.run_[A-Za-z0-9_-]+) != 'false'").expect("regex");
        re.replace_all(text, "$1 == 'true'").into_owned()
    });
    let found = found.expect("the `== 'true'` form must break the promise");
    assert!(found.contains("GitHub result skipped"), "{found}");
}

/// The issue's `!cancelled() && !failure()` requirement check lets a job
/// run after a timed-out requirement: the simulation must catch it.
#[test]
fn the_issues_not_failure_form_is_caught() {
    let seed = Seed::from_env("CIGEN_GH_SEED");
    let found = explore(seed, 24, |text| {
        let mut doc: Value = serde_yaml::from_str(text).expect("parses");
        let jobs = doc["jobs"].as_mapping_mut().expect("jobs");
        for (id, job) in jobs.iter_mut() {
            let id = id.as_str().expect("id").to_string();
            let is_user = id.starts_with('j') && !id.ends_with("_record");
            if is_user {
                let gate = if job["env"]["CIGEN_JOB_HASH"].is_string() {
                    format!(" && needs.cigen_setup.outputs.run_{id} == 'true'")
                } else {
                    String::new()
                };
                job["if"] = Value::from(format!("${{{{ !cancelled() && !failure(){gate} }}}}"));
            }
        }
        serde_yaml::to_string(&doc).expect("writes")
    });
    assert!(
        found.is_some(),
        "the `!failure()` form must break the promise"
    );
}

#[test]
fn a_generated_random_workflow_passes_both_validators() {
    let seed = Seed::from_env("CIGEN_GH_SEED");
    let dir = tempfile::tempdir().expect("tmp");
    let mut files = vec![];
    for stream in 0..6 {
        let graph = random_graph(&mut seed.rng(stream));
        let (text, _) = generate(&graph);
        let path = dir.path().join(format!("w{stream}.yml"));
        std::fs::write(&path, text).expect("write");
        files.push(path);
    }
    assert_github_workflows(&files);
}
