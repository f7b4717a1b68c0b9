//! Pipeline simulation (issue 9, "Proof that scales"): successive pipelines
//! over random commits of one fixture — a hashed install job, an unhashed
//! compile reading the `target` parameter between it and a parallel hashed
//! unit-test job (so `target` enters that job's hash through `compile`), a lint job using
//! a command and a pipeline parameter, a multi-arch parallel image build,
//! a manifest requiring both arches, a `requires_any` docs job, an
//! unhashed report — each run as CircleCI would run it:
//!
//! 1. a random commit (file contents, added/removed files, `chmod`, job
//!    definitions, the command, `hash_salt`, `setup.skipped_jobs` — no-op
//!    stand-ins or removal; `.circleci/` regenerated with
//!    the real binary, as a user commits it) and a random trigger: branch,
//!    `flavor` (read by the lint job), `target` (read by `compile`),
//!    `nodes` (the unit tests' `parallelism`), now and then
//!    `cigen_skip_cache`; and now and then a run-time drift: the jobs see
//!    another `target` or `flavor` than `cigen setup` hashed;
//! 2. the committed entrypoint's setup job, step by step: the real
//!    `cigen setup --self-check`, its `restore_cache` probes against a
//!    directory-backed fake cache with CircleCI's semantics
//!    (`simulationsupport`), the real `cigen continue`, with `--dry-run`;
//! 3. the continued workflow: every job declared with steps that the
//!    workflow reaches runs (no-op stand-ins and approvals run nothing),
//!    each container passing or failing at random; a failed container
//!    stops at its failing step, so it never reaches its record steps; the
//!    real record and `save_cache` steps write the fake cache.
//!
//! Invariant: a variant cigen skips had, in an earlier pipeline, a run in
//! which all its containers passed with identical inputs — by the test's
//! own fingerprint (job and command files, config, matched files with
//! their modes, the parameter values its hash covers as the jobs ran with
//! them, upstream fingerprints), never cigen's hash. A success marker is
//! saved only when the variant ran with the inputs `cigen setup` hashed
//! (under a drift the record guard must refuse). And the reverse: a
//! variant whose inputs already recorded a marker is skipped, so skips do
//! happen.
//!
//! Seeded: `CIGEN_SIMULATION_SEED=<seed>` replays a run (printed at the end
//! and in every failure); `CIGEN_SIMULATION_PIPELINES=<n>` (default 60).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::seedsupport::{Seed, env_number, report};
use crate::simulationsupport::fixture::{Fixture, VARIANTS};
use crate::simulationsupport::steps::{Step, flatten};
use crate::simulationsupport::workflow::{JobLog, Status};
use crate::simulationsupport::{FakeCache, Pipeline, render_key};
use serde_yaml::{Mapping, Value};

#[derive(Default)]
struct Tally {
    pipelines: usize,
    jobs_run: usize,
    containers: usize,
    failed_jobs: usize,
    skips: usize,
    pipelines_with_skips: usize,
    /// Skipped variants the continuation kept as `type: no-op` stand-ins.
    stand_ins: usize,
    full_runs: usize,
    markers_saved: usize,
    /// Pipelines whose jobs saw another value than `cigen setup` hashed.
    drifted: usize,
    /// Variants that passed under such a drift and, rightly, recorded nothing.
    refused: usize,
}

/// What the test has seen pass and record, by variant.
#[derive(Default)]
struct History {
    /// Fingerprints of runs in which every container passed.
    passed: BTreeMap<&'static str, BTreeSet<String>>,
    /// Fingerprints under which a success marker was saved.
    recorded: BTreeMap<&'static str, BTreeSet<String>>,
}

#[test]
fn a_skipped_variant_always_passed_before_with_the_same_inputs() {
    let seed = Seed::from_env("CIGEN_SIMULATION_SEED");
    let pipelines = env_number("CIGEN_SIMULATION_PIPELINES").unwrap_or(60);
    let started = Instant::now();
    let mut simulation = Simulation::new(seed);
    for number in 0..pipelines {
        simulation.pipeline(number);
    }
    assert!(
        simulation.tally.skips > 0,
        "no pipeline skipped anything: the test proves nothing"
    );
    assert!(
        simulation.tally.refused > 0,
        "no record guard refused a drifted value: the drift proves nothing"
    );
    simulation.report(started);
}

/// The fixture's repository, its CircleCI (the fake cache), and what the
/// test has seen so far.
struct Simulation {
    seed: Seed,
    rng: fastrand::Rng,
    work: Option<tempfile::TempDir>,
    cache: FakeCache,
    fixture: Fixture,
    bin: PathBuf,
    history: History,
    tally: Tally,
    /// One line per pipeline so far: its edits and parameters.
    trace: Vec<String>,
}

impl Simulation {
    fn new(seed: Seed) -> Simulation {
        let work = tempfile::tempdir().expect("temp dir");
        let cache = FakeCache::new(work.path().join("cache"));
        let fixture = Fixture::new();
        fixture.write(&work.path().join("repo"), None);
        git(&work.path().join("repo"), &["init", "-q", "-b", "main"]);
        Simulation {
            seed,
            rng: seed.rng(0),
            work: Some(work),
            cache,
            fixture,
            bin: assert_cmd::cargo::cargo_bin("cigen"),
            history: History::default(),
            tally: Tally::default(),
            trace: vec![],
        }
    }

    fn dir(&self) -> &Path {
        self.work.as_ref().expect("work dir").path()
    }

    /// One pipeline: a random commit and trigger, the setup job, the
    /// continued workflow, the checks. A failure (or a panic on the way)
    /// panics with the seed, the history and the kept directory.
    fn pipeline(&mut self, number: u64) {
        let edits = self.commit(number);
        let trigger = Trigger::random(&mut self.rng);
        self.trace
            .push(format!("pipeline {number}: edits {edits:?}, {trigger:?}"));
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let repo = self.dir().join("repo");
            let outcome = run_pipeline(
                &repo,
                &self.dir().join(format!("p{number}")),
                &self.bin,
                &trigger,
                &mut self.cache,
                &mut self.rng,
            );
            check(
                &self.fixture,
                &trigger,
                &outcome,
                &mut self.history,
                &mut self.tally,
            )
        }));
        let failure = match result {
            Ok(Ok(())) => {
                self.tally.pipelines += 1;
                return;
            }
            Ok(Err(failure)) => failure,
            Err(payload) => format!(
                "panicked: {}",
                payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        };
        let kept = self.work.take().expect("work dir").keep();
        panic!(
            "seed {} pipeline {number}: {failure}\n  history:\n    {}\n  kept: {}\nreproduce: {} cargo test --test it pipeline_simulation::",
            self.seed.value,
            self.trace.join("\n    "),
            kept.display(),
            self.seed.reproduce()
        );
    }

    /// A random commit: 0 to 3 edits, `.circleci/` regenerated by the real
    /// binary, everything committed. Returns the edits.
    fn commit(&mut self, number: u64) -> Vec<String> {
        let before = self.fixture.clone();
        let count = [0, 1, 1, 1, 1, 2, 2, 2, 3, 3][self.rng.usize(..10)];
        let edits = (0..count)
            .map(|_| self.fixture.edit(&mut self.rng))
            .collect();
        let repo = self.dir().join("repo");
        self.fixture.write(&repo, Some(&before));
        let output = std::process::Command::new(&self.bin)
            .arg("generate")
            .current_dir(&repo)
            .output()
            .expect("cigen runs");
        assert!(
            output.status.success(),
            "cigen generate: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        git(&repo, &["add", "-A"]);
        let message = format!("pipeline {number}");
        git(&repo, &["commit", "-q", "--allow-empty", "-m", &message]);
        edits
    }

    fn report(&self, started: Instant) {
        let tally = &self.tally;
        report(&format!(
            "pipeline simulation: {} pipelines ({} with cigen_skip_cache, {} with a run-time value drifted from setup's), {} jobs run ({} containers, {} jobs failed), {} variant skips in {} pipelines ({} as no-op stand-ins), {} success markers saved ({} cache keys), {} passing variants refused to record a drifted value, {:.1} s; seed {} (reproduce: {} cargo test --test it pipeline_simulation::)",
            tally.pipelines,
            tally.full_runs,
            tally.drifted,
            tally.jobs_run,
            tally.containers,
            tally.failed_jobs,
            tally.skips,
            tally.pipelines_with_skips,
            tally.stand_ins,
            tally.markers_saved,
            self.cache.len(),
            tally.refused,
            started.elapsed().as_secs_f64(),
            self.seed.value,
            self.seed.reproduce()
        ));
    }
}

/// How a pipeline was triggered.
#[derive(Debug)]
struct Trigger {
    branch: &'static str,
    /// Parameters passed explicitly (the others keep their defaults).
    parameters: BTreeMap<&'static str, &'static str>,
    /// A parameter the jobs see with another value than `cigen setup`
    /// hashed (however CircleCI came to that): their record steps must
    /// record nothing for a hash that covers it.
    drift: Option<(&'static str, &'static str)>,
}

impl Trigger {
    fn random(rng: &mut fastrand::Rng) -> Trigger {
        let mut parameters = BTreeMap::new();
        let flavor = ["plain", "plain", "x", "y"][rng.usize(..4)];
        // The default, sometimes passed explicitly.
        if flavor != "plain" || rng.bool() {
            parameters.insert("flavor", flavor);
        }
        if let Some(nodes) = [None, Some("1"), Some("2"), Some("3")][rng.usize(..4)] {
            parameters.insert("nodes", nodes);
        }
        let target = ["debug", "debug", "release"][rng.usize(..3)];
        if target != "debug" || rng.bool() {
            parameters.insert("target", target);
        }
        let drift = (rng.u8(..5) == 0).then(|| {
            if rng.bool() {
                (
                    "target",
                    if target == "debug" {
                        "release"
                    } else {
                        "debug"
                    },
                )
            } else {
                ("flavor", if flavor == "x" { "y" } else { "x" })
            }
        });
        // Now and then a full run, as a nightly schedule would trigger.
        if rng.u8(..20) == 0 {
            parameters.insert("cigen_skip_cache", "true");
        }
        let branch = if rng.u8(..10) < 7 { "main" } else { "feature" };
        Trigger {
            branch,
            parameters,
            drift,
        }
    }

    fn full_run(&self) -> bool {
        self.parameters.get("cigen_skip_cache") == Some(&"true")
    }

    /// The pipeline as CircleCI runs it: the entrypoint's declared
    /// defaults, then what the trigger passed.
    fn pipeline(&self, entrypoint: &Value, bin: &Path) -> Pipeline {
        let mut parameters = declared_defaults(entrypoint);
        for (name, value) in &self.parameters {
            parameters.insert(name.to_string(), value.to_string());
        }
        Pipeline {
            parameters,
            branch: self.branch.into(),
            bin_dir: bin.parent().expect("bin dir").to_path_buf(),
        }
    }

    /// The pipeline as the continued jobs see it: `setup`'s, drifted.
    fn run_time(&self, setup: &Pipeline) -> Pipeline {
        let mut parameters = setup.parameters.clone();
        if let Some((name, value)) = self.drift {
            parameters.insert(name.to_string(), value.to_string());
        }
        Pipeline {
            parameters,
            branch: setup.branch.clone(),
            bin_dir: setup.bin_dir.clone(),
        }
    }
}

/// Every pipeline value (`pipeline.parameters.P`, `pipeline.git.branch`)
/// as `pipeline` has it.
fn values(pipeline: &Pipeline) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = pipeline
        .parameters
        .iter()
        .map(|(name, value)| (format!("pipeline.parameters.{name}"), value.clone()))
        .collect();
    values.insert("pipeline.git.branch".into(), pipeline.branch.clone());
    values
}

/// What one pipeline did.
struct Outcome {
    /// Every pipeline value as `cigen setup` saw it (`values`).
    pipeline: BTreeMap<String, String>,
    /// Every pipeline value as the continued jobs saw it.
    run_time: BTreeMap<String, String>,
    /// Variants in cigen's skip list.
    skipped: BTreeSet<String>,
    /// Variant → its hash, from the key file `cigen setup` wrote.
    hashes: BTreeMap<String, String>,
    continuation: Value,
    status: BTreeMap<String, Status>,
    logs: Vec<(String, JobLog)>,
}

/// The setup job of the committed entrypoint, then the continued workflow.
fn run_pipeline(
    repo: &Path,
    dir: &Path,
    bin: &Path,
    trigger: &Trigger,
    cache: &mut FakeCache,
    rng: &mut fastrand::Rng,
) -> Outcome {
    let entrypoint: Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo.join(".circleci/config.yml")).expect("config.yml"),
    )
    .expect("yaml");
    let pipeline = trigger.pipeline(&entrypoint, bin);
    let tmp = dir.join("setup-tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    setup_job(&entrypoint, repo, &tmp, &pipeline, cache);

    let continuation: Value = serde_yaml::from_str(
        &std::fs::read_to_string(tmp.join("cigen/continuation.yml")).expect("continuation"),
    )
    .expect("yaml");
    let skipped = std::fs::read_to_string(tmp.join("skip/main.txt"))
        .expect("skip list")
        .lines()
        .map(str::to_string)
        .collect();
    let probed: BTreeSet<String> = std::fs::read_dir(tmp.join("setup_keys"))
        .expect("setup keys")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let hashed: BTreeSet<String> = VARIANTS.iter().map(|v| v.id.to_string()).collect();
    assert_eq!(
        probed, hashed,
        "cigen setup keyed other variants than the fixture hashes"
    );
    let hashes = VARIANTS
        .iter()
        .map(|variant| {
            let key =
                std::fs::read_to_string(tmp.join(format!("setup_keys/{}/job-key", variant.id)))
                    .expect("key file");
            let hash = key.rsplit('-').next().expect("hash").to_string();
            (variant.id.to_string(), hash)
        })
        .collect();
    let workflows: Vec<String> = continuation["workflows"]
        .as_mapping()
        .expect("workflows")
        .keys()
        .map(|k| k.as_str().expect("name").to_string())
        .collect();
    let mut status = BTreeMap::new();
    let mut logs = vec![];
    let run_time = trigger.run_time(&pipeline);
    for workflow in workflows {
        let mut fail_at = |_: &str, _: usize, steps: usize| {
            (rng.u8(..100) < 12).then(|| rng.usize(..steps.max(1)))
        };
        let (more_status, more_logs) = crate::simulationsupport::workflow::run_workflow(
            &continuation,
            &workflow,
            &run_time,
            cache,
            &dir.join("jobs"),
            &mut fail_at,
        );
        status.extend(more_status);
        logs.extend(more_logs);
    }
    Outcome {
        pipeline: values(&pipeline),
        run_time: values(&run_time),
        skipped,
        hashes,
        continuation,
        status,
        logs,
    }
}

/// Runs the entrypoint's setup job step by step: `run` steps in bash (with
/// `--dry-run` added to `cigen continue`), `restore_cache` against the
/// fake cache, all with `CIGEN_TMP` for `/tmp`.
fn setup_job(
    entrypoint: &Value,
    repo: &Path,
    tmp: &Path,
    pipeline: &Pipeline,
    cache: &mut FakeCache,
) {
    let job = &entrypoint["jobs"]["cigen_setup"];
    let steps = flatten(
        entrypoint,
        job["steps"].as_sequence().expect("steps"),
        &Mapping::new(),
    );
    for step in steps {
        match step {
            Step::Checkout => {}
            Step::Run {
                command,
                environment,
                ..
            } => {
                let mut command =
                    crate::simulationsupport::substitute(&command, pipeline, &Mapping::new());
                if command.trim() == "cigen continue" {
                    command.push_str(" --dry-run");
                }
                let mut bash = pipeline.command(tmp);
                bash.current_dir(repo)
                    .args(["-eo", "pipefail", "-c", &command])
                    .env("CIGEN_TMP", tmp);
                for (name, value) in &environment {
                    let value = crate::simulationsupport::scalar(value);
                    bash.env(
                        crate::simulationsupport::scalar(name),
                        crate::simulationsupport::substitute(&value, pipeline, &Mapping::new()),
                    );
                }
                let output = bash.output().expect("bash");
                assert!(
                    output.status.success(),
                    "setup step `{command}` failed:\n{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            Step::RestoreCache { keys } => {
                let keys: Vec<String> = keys
                    .iter()
                    .map(|key| render_key(key, tmp, &pipeline.branch))
                    .collect();
                cache.restore(&keys, tmp);
            }
            Step::SaveCache { .. } => panic!("the setup job saves no cache"),
        }
    }
}

/// Parameter name → default, as the entrypoint declares them.
fn declared_defaults(doc: &Value) -> BTreeMap<String, String> {
    doc["parameters"]
        .as_mapping()
        .expect("parameters")
        .iter()
        .map(|(name, spec)| {
            (
                crate::simulationsupport::scalar(name),
                crate::simulationsupport::scalar(&spec["default"]),
            )
        })
        .collect()
}

/// The invariants of one pipeline, then what it adds to the history.
fn check(
    fixture: &Fixture,
    trigger: &Trigger,
    outcome: &Outcome,
    history: &mut History,
    tally: &mut Tally,
) -> Result<(), String> {
    let fingerprints_of = |values: &BTreeMap<String, String>| {
        let values: BTreeMap<&str, String> = values
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        fixture.fingerprints(&values)
    };
    // What the hashes cover, and what the jobs ran with (other under a drift).
    let fingerprints = fingerprints_of(&outcome.pipeline);
    let ran_with = fingerprints_of(&outcome.run_time);
    let full_run = trigger.full_run();
    let ids: BTreeSet<String> = VARIANTS.iter().map(|v| v.id.to_string()).collect();
    if !outcome.skipped.is_subset(&ids) {
        return Err(format!(
            "cigen skipped {:?}, not all hashed variants",
            outcome.skipped
        ));
    }
    let ran: BTreeMap<&str, &JobLog> = outcome
        .logs
        .iter()
        .map(|(name, log)| (name.as_str(), log))
        .collect();
    for variant in &VARIANTS {
        let print = &fingerprints[variant.id];
        let skipped = outcome.skipped.contains(variant.id);
        let passed_before = history
            .passed
            .get(variant.id)
            .is_some_and(|s| s.contains(print));
        let recorded_before = history
            .recorded
            .get(variant.id)
            .is_some_and(|s| s.contains(print));
        if skipped && !passed_before {
            return Err(format!(
                "FALSE SKIP: {} was skipped, but never passed with these inputs",
                variant.id
            ));
        }
        if full_run && skipped {
            return Err(format!(
                "{} was skipped in a cigen_skip_cache run",
                variant.id
            ));
        }
        if recorded_before && !skipped && !full_run {
            return Err(format!(
                "{} re-ran although a run with these inputs recorded its success",
                variant.id
            ));
        }
        if skipped && ran.contains_key(variant.id) {
            return Err(format!(
                "{} is in the skip list but its job ran",
                variant.id
            ));
        }
        if !skipped {
            let declared = &outcome.continuation["jobs"][variant.id];
            if declared.get("steps").is_none() {
                return Err(format!(
                    "{} is not skipped but the continuation does not run it",
                    variant.id
                ));
            }
        }
    }
    let mut recorded = BTreeSet::new();
    for (name, log) in &outcome.logs {
        if let Some(error) = log.step_errors.first() {
            return Err(format!("a step failed on its own: {error}"));
        }
        tally.jobs_run += 1;
        tally.containers += log.containers;
        tally.failed_jobs += usize::from(log.failed_containers > 0);
        let variant = name.strip_suffix("_record").unwrap_or(name);
        for (key, _, files) in &log.saves {
            let markers: Vec<&String> = files.iter().filter(|f| f.starts_with("done_")).collect();
            if markers.is_empty() {
                continue;
            }
            let Some(spec) = VARIANTS.iter().find(|v| v.id == variant) else {
                return Err(format!(
                    "{name} saved markers {markers:?} but is no hashed variant"
                ));
            };
            let expected = format!("done_{}", outcome.hashes[spec.id]);
            if markers != [&expected] {
                return Err(format!(
                    "{name} saved {markers:?} under {key}, expected [{expected}]"
                ));
            }
            if outcome.status.get(spec.id) != Some(&Status::Success) {
                return Err(format!(
                    "{name} saved a success marker for {} whose containers did not all pass",
                    spec.id
                ));
            }
            if ran_with[spec.id] != fingerprints[spec.id] {
                return Err(format!(
                    "FALSE RECORD: {name} saved a success marker under the hash of setup's values, but {} ran with other values ({:?})",
                    spec.id, trigger.drift
                ));
            }
            recorded.insert(spec.id);
            history
                .recorded
                .entry(spec.id)
                .or_default()
                .insert(fingerprints[spec.id].clone());
            tally.markers_saved += 1;
        }
    }
    for variant in &VARIANTS {
        if ran.contains_key(variant.id) && outcome.status.get(variant.id) == Some(&Status::Success)
        {
            history
                .passed
                .entry(variant.id)
                .or_default()
                .insert(ran_with[variant.id].clone());
            tally.refused += usize::from(
                ran_with[variant.id] != fingerprints[variant.id] && !recorded.contains(variant.id),
            );
        }
    }
    tally.full_runs += usize::from(full_run);
    tally.drifted += usize::from(trigger.drift.is_some());
    tally.stand_ins += outcome
        .skipped
        .iter()
        .filter(|id| {
            outcome.continuation["jobs"][id.as_str()]
                .get("type")
                .and_then(Value::as_str)
                == Some("no-op")
        })
        .count();
    tally.skips += outcome.skipped.len();
    tally.pipelines_with_skips += usize::from(!outcome.skipped.is_empty());
    Ok(())
}

/// Git in the fixture repository, with a fixed identity.
fn git(repo: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .current_dir(repo)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", repo)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
