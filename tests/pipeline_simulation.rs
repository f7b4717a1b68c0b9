//! Pipeline simulation (issue 9, "Proof that scales"): successive pipelines
//! over random commits of one fixture — a hashed install job, an unhashed
//! compile between it and a parallel hashed unit-test job, a lint job using
//! a command and a pipeline parameter, a multi-arch parallel image build,
//! a manifest requiring both arches, a `requires_any` docs job, an
//! unhashed report — each run as CircleCI would run it:
//!
//! 1. a random commit (file contents, added/removed files, `chmod`, job
//!    definitions, the command, `hash_salt`; `.circleci/` regenerated with
//!    the real binary, as a user commits it) and a random `flavor`
//!    parameter for the pipeline;
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
//! their modes, referenced parameter values, upstream fingerprints), never
//! cigen's hash. And the reverse: a variant whose inputs already recorded
//! a marker is skipped, so skips do happen.
//!
//! Seeded: `CIGEN_SIMULATION_SEED=<seed>` replays a run (printed at the end
//! and in every failure); `CIGEN_SIMULATION_PIPELINES=<n>` (default 60).

#[path = "seedsupport/mod.rs"]
mod seedsupport;
#[path = "simulationsupport/mod.rs"]
mod simulationsupport;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use seedsupport::{Seed, env_number, report};
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};
use simulationsupport::{FakeCache, Pipeline, Status, Step, flatten, render_key};

/// A hashed variant of the fixture: its job file, arch, source patterns,
/// commands, referenced parameters and nearest hashed upstream variants
/// (through the unhashed `compile`, the `build` stage's requirement on
/// `test`, and `requires`; a `requires_any` trigger is a gate's business).
struct Variant {
    id: &'static str,
    job: &'static str,
    arch: &'static str,
    patterns: &'static [&'static str],
    commands: &'static [&'static str],
    parameters: &'static [&'static str],
    upstream: &'static [&'static str],
}

const VARIANTS: [Variant; 7] = [
    Variant {
        id: "install",
        job: "install",
        arch: "amd64",
        patterns: &["deps/"],
        commands: &[],
        parameters: &[],
        upstream: &[],
    },
    Variant {
        id: "test_unit",
        job: "test/unit",
        arch: "amd64",
        patterns: &["src/", "tests/unit/"],
        commands: &[],
        parameters: &[],
        upstream: &["install"],
    },
    Variant {
        id: "test_lint",
        job: "test/lint",
        arch: "amd64",
        patterns: &["src/"],
        commands: &["greet"],
        parameters: &["flavor"],
        upstream: &["install"],
    },
    Variant {
        id: "build_img_amd64",
        job: "build/img",
        arch: "amd64",
        patterns: &["src/", "docker/"],
        commands: &[],
        parameters: &[],
        upstream: &["test_lint", "test_unit"],
    },
    Variant {
        id: "build_img_arm64",
        job: "build/img",
        arch: "arm64",
        patterns: &["src/", "docker/"],
        commands: &[],
        parameters: &[],
        upstream: &["test_lint", "test_unit"],
    },
    Variant {
        id: "build_manifest",
        job: "build/manifest",
        arch: "amd64",
        patterns: &["docker/"],
        commands: &[],
        parameters: &[],
        upstream: &[
            "build_img_amd64",
            "build_img_arm64",
            "test_lint",
            "test_unit",
        ],
    },
    Variant {
        id: "build_docs",
        job: "build/docs",
        arch: "amd64",
        patterns: &["docs/"],
        commands: &[],
        parameters: &[],
        upstream: &["test_lint", "test_unit"],
    },
];

/// Every job file, with the body around its version number (`{v}`).
const JOBS: [(&str, &str); 8] = [
    (
        "install",
        "image: cimg/base:current\nsource_files: [\"deps/**\"]\nsteps:\n  - {name: Install, run: echo install v{v}}\n",
    ),
    (
        "compile",
        "image: cimg/base:current\nrequires: [install]\nsteps:\n  - {name: Compile, run: echo compile v{v}}\n",
    ),
    (
        "test/unit",
        "image: cimg/base:current\nparallelism: 3\nsource_files: [\"@app\", \"tests/unit/**\"]\nrequires: [compile]\nsteps:\n  - {name: Unit, run: echo unit v{v} $CIRCLE_NODE_INDEX}\n",
    ),
    (
        "test/lint",
        "image: cimg/base:current\nsource_files: [\"src/**\"]\nrequires: [install]\nsteps:\n  - greet\n  - {name: Lint, run: \"echo lint v{v} << pipeline.parameters.flavor >>\"}\n",
    ),
    (
        "build/img",
        "image: cimg/base:current\narchitectures: [amd64, arm64]\nparallelism: 2\nsource_files: [\"@app\", \"docker/**\"]\nsteps:\n  - {name: Image, run: echo img v{v} $DOCKER_ARCH}\n",
    ),
    (
        "build/manifest",
        "image: cimg/base:current\nsource_files: [\"docker/**\"]\nrequires: [img]\nsteps:\n  - {name: Manifest, run: echo manifest v{v}}\n",
    ),
    (
        "build/docs",
        "image: cimg/base:current\nsource_files: [\"docs/**\"]\nrequires_any: [test_lint, test_unit]\nsteps:\n  - {name: Docs, run: echo docs v{v}}\n",
    ),
    (
        "report",
        "image: cimg/base:current\nrequires: [build_manifest]\nsteps:\n  - {name: Report, run: echo report v{v}}\n",
    ),
];

const SOURCE_DIRS: [&str; 7] = [
    "src",
    "src/lib",
    "tests/unit",
    "docs",
    "docker",
    "deps",
    "other",
];

/// What the test knows of the fixture's current commit.
#[derive(Clone)]
struct Fixture {
    /// Path → (content, executable).
    files: BTreeMap<String, (String, bool)>,
    /// Job file → version in its step.
    versions: BTreeMap<&'static str, u32>,
    greet: u32,
    salt: u32,
}

impl Fixture {
    fn new() -> Fixture {
        let files = [
            ("src/a.rs", false),
            ("src/lib/b.rs", false),
            ("tests/unit/t0.rs", false),
            ("docs/index.md", false),
            ("docker/Dockerfile", false),
            ("docker/entry.sh", true),
            ("deps/lock", false),
            ("other/notes.txt", false),
        ]
        .into_iter()
        .map(|(path, exec)| (path.to_string(), ("v0\n".to_string(), exec)))
        .collect();
        Fixture {
            files,
            versions: JOBS.iter().map(|(job, _)| (*job, 0)).collect(),
            greet: 0,
            salt: 0,
        }
    }

    fn config_yml(&self) -> String {
        format!(
            "provider: circleci\nparameters:\n  flavor: {{type: string, default: \"plain\"}}\narchitectures:\n  amd64: {{resource_class: medium}}\n  arm64: {{resource_class: arm.medium}}\nsource_file_groups:\n  app: [\"src/**\"]\nsetup:\n  approve_context: [cigen-api]\nhash_salt: \"s{}\"\n",
            self.salt
        )
    }

    fn job_yml(&self, job: &str) -> String {
        let body = JOBS.iter().find(|(name, _)| *name == job).expect("job").1;
        body.replace("{v}", &self.versions[job].to_string())
    }

    fn greet_yml(&self) -> String {
        format!("steps:\n  - run: echo greet v{}\n", self.greet)
    }

    /// Writes `.cigen/` and the source files (removing those gone).
    fn write(&self, root: &Path, before: Option<&Fixture>) {
        let put = |rel: &str, text: &str| {
            let path = root.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        put(".cigen/config.yml", &self.config_yml());
        put(
            ".cigen/workflows/main/config.yml",
            "stages:\n  - name: test\n  - name: build\n    requires: [test]\n",
        );
        put(".cigen/commands/greet.yml", &self.greet_yml());
        for (job, _) in JOBS {
            put(
                &format!(".cigen/workflows/main/jobs/{job}.yml"),
                &self.job_yml(job),
            );
        }
        if let Some(before) = before {
            for path in before.files.keys().filter(|p| !self.files.contains_key(*p)) {
                std::fs::remove_file(root.join(path)).expect("rm");
            }
        }
        for (path, (content, exec)) in &self.files {
            put(path, content);
            use std::os::unix::fs::PermissionsExt;
            let mode = if *exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(root.join(path), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
    }

    /// Files a variant reads: under one of its directories.
    fn matched(&self, variant: &Variant) -> Vec<(&String, &(String, bool))> {
        self.files
            .iter()
            .filter(|(path, _)| variant.patterns.iter().any(|dir| path.starts_with(dir)))
            .collect()
    }

    /// The test's fingerprint of every hashed variant's inputs.
    fn fingerprints(&self, flavor: &str) -> BTreeMap<&'static str, String> {
        let mut done: BTreeMap<&'static str, String> = BTreeMap::new();
        // VARIANTS lists upstream variants first.
        for variant in &VARIANTS {
            let mut h = Sha256::new();
            let mut field = |tag: &str, bytes: &[u8]| {
                h.update(tag.as_bytes());
                h.update((bytes.len() as u64).to_be_bytes());
                h.update(bytes);
            };
            field("id", variant.id.as_bytes());
            field("arch", variant.arch.as_bytes());
            field("job", self.job_yml(variant.job).as_bytes());
            field("config", self.config_yml().as_bytes());
            for command in variant.commands {
                assert_eq!(*command, "greet");
                field("command", self.greet_yml().as_bytes());
            }
            for (path, (content, exec)) in self.matched(variant) {
                field("path", path.as_bytes());
                field("content", content.as_bytes());
                field("exec", &[u8::from(*exec)]);
            }
            for parameter in variant.parameters {
                assert_eq!(*parameter, "flavor");
                field("flavor", flavor.as_bytes());
            }
            for upstream in variant.upstream {
                field("upstream", done[upstream].as_bytes());
            }
            let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
            done.insert(variant.id, digest);
        }
        done
    }

    /// Adds (or rewrites) a file in a random directory.
    fn add(&mut self, rng: &mut fastrand::Rng) -> String {
        let dir = SOURCE_DIRS[rng.usize(..SOURCE_DIRS.len())];
        let path = format!("{dir}/f{}.txt", rng.u8(..3));
        let added = !self.files.contains_key(&path);
        self.files
            .insert(path.clone(), (format!("v{}\n", rng.u8(..4)), false));
        format!("{} {path}", if added { "add" } else { "rewrite" })
    }

    /// One random edit; returns what it did.
    fn edit(&mut self, rng: &mut fastrand::Rng) -> String {
        match rng.u8(..10) {
            0..=2 => {
                let path = pick(rng, self.files.keys()).clone();
                let file = self.files.get_mut(&path).expect("file");
                let old = file.0.clone();
                while file.0 == old {
                    file.0 = format!("v{}\n", rng.u8(..4));
                }
                format!("edit {path}")
            }
            3 => self.add(rng),
            4 => {
                // Keep every directory a job reads non-empty.
                let removable: Vec<String> = self
                    .files
                    .keys()
                    .filter(|path| {
                        VARIANTS.iter().all(|variant| {
                            variant.patterns.iter().all(|dir| {
                                self.files
                                    .keys()
                                    .any(|other| other != *path && other.starts_with(dir))
                            })
                        })
                    })
                    .cloned()
                    .collect();
                if removable.is_empty() {
                    return self.add(rng);
                }
                let path = pick(rng, removable);
                self.files.remove(&path);
                format!("remove {path}")
            }
            5 => {
                let path = pick(rng, self.files.keys()).clone();
                let file = self.files.get_mut(&path).expect("file");
                file.1 = !file.1;
                format!("chmod {path}")
            }
            6..=7 => {
                let job = JOBS[rng.usize(..JOBS.len())].0;
                let version = self.versions.get_mut(job).expect("job");
                let old = *version;
                while *version == old {
                    *version = rng.u32(..3);
                }
                format!("job {job} v{version}")
            }
            8 => {
                let old = self.greet;
                while self.greet == old {
                    self.greet = rng.u32(..3);
                }
                format!("command greet v{}", self.greet)
            }
            _ if rng.u8(..4) == 0 => {
                self.salt += 1;
                format!("hash_salt s{}", self.salt)
            }
            _ => "nothing".into(),
        }
    }
}

fn pick<T>(rng: &mut fastrand::Rng, items: impl IntoIterator<Item = T>) -> T {
    let items: Vec<T> = items.into_iter().collect();
    assert!(!items.is_empty(), "nothing to pick from");
    let at = rng.usize(..items.len());
    items.into_iter().nth(at).expect("in range")
}

#[derive(Default)]
struct Tally {
    pipelines: usize,
    jobs_run: usize,
    containers: usize,
    failed_jobs: usize,
    skips: usize,
    pipelines_with_skips: usize,
    full_runs: usize,
    markers_saved: usize,
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
    let mut rng = seed.rng(0);
    let work = tempfile::tempdir().expect("temp dir");
    let repo = work.path().join("repo");
    let mut cache = FakeCache::new(work.path().join("cache"));
    let mut fixture = Fixture::new();
    fixture.write(&repo, None);
    let git = common_git(&repo);
    git(&["init", "-q", "-b", "main"]);
    let bin = assert_cmd::cargo::cargo_bin("cigen");
    let bin_dir = bin.parent().expect("bin dir").to_path_buf();
    let mut history = History::default();
    let mut tally = Tally::default();
    let mut trace = vec![];
    for number in 0..pipelines {
        let before = fixture.clone();
        let edits: Vec<String> = (0..[0, 1, 1, 1, 1, 2, 2, 2, 3, 3][rng.usize(..10)])
            .map(|_| fixture.edit(&mut rng))
            .collect();
        fixture.write(&repo, Some(&before));
        run_checked(&bin, &repo, &["generate"], &[]);
        git(&["add", "-A"]);
        git(&[
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            &format!("pipeline {number}"),
        ]);
        let flavor = ["plain", "plain", "x", "y"][rng.usize(..4)];
        // Now and then a full run, as a nightly schedule would trigger.
        let full_run = rng.u8(..20) == 0;
        let context = format!(
            "seed {} pipeline {number} (edits {edits:?}, flavor {flavor}{})",
            seed.value,
            if full_run { ", cigen_skip_cache" } else { "" }
        );
        trace.push(context.clone());
        let outcome = run_pipeline(
            &repo,
            &work.path().join(format!("p{number}")),
            &bin_dir,
            flavor,
            full_run,
            &mut cache,
            &mut rng,
        );
        if let Err(failure) = check(
            &fixture,
            flavor,
            full_run,
            &outcome,
            &mut history,
            &mut tally,
        ) {
            panic!(
                "{context}: {failure}\n  history:\n    {}\n  kept: {}\nreproduce: {} cargo test --test pipeline_simulation",
                trace.join("\n    "),
                work.keep().display(),
                seed.reproduce()
            );
        }
        tally.pipelines += 1;
    }
    assert!(
        tally.skips > 0,
        "no pipeline skipped anything: the test proves nothing"
    );
    report(&format!(
        "pipeline simulation: {} pipelines ({} with cigen_skip_cache), {} jobs run ({} containers, {} jobs failed), {} variant skips in {} pipelines, {} success markers saved ({} cache keys), {:.1} s; seed {} (reproduce: {} cargo test --test pipeline_simulation)",
        tally.pipelines,
        tally.full_runs,
        tally.jobs_run,
        tally.containers,
        tally.failed_jobs,
        tally.skips,
        tally.pipelines_with_skips,
        tally.markers_saved,
        cache.len(),
        started.elapsed().as_secs_f64(),
        seed.value,
        seed.reproduce()
    ));
}

/// What one pipeline did.
struct Outcome {
    /// Variants in cigen's skip list.
    skipped: BTreeSet<String>,
    /// Variant → its hash, from the key file `cigen setup` wrote.
    hashes: BTreeMap<String, String>,
    continuation: Value,
    status: BTreeMap<String, Status>,
    logs: Vec<(String, simulationsupport::JobLog)>,
}

/// The setup job of the committed entrypoint, then the continued workflow.
fn run_pipeline(
    repo: &Path,
    dir: &Path,
    bin_dir: &Path,
    flavor: &str,
    full_run: bool,
    cache: &mut FakeCache,
    rng: &mut fastrand::Rng,
) -> Outcome {
    let entrypoint: Value = serde_yaml::from_str(
        &std::fs::read_to_string(repo.join(".circleci/config.yml")).expect("config.yml"),
    )
    .expect("yaml");
    let mut parameters = declared_defaults(&entrypoint);
    if flavor != "plain" || rng.bool() {
        parameters.insert("flavor".into(), flavor.into());
    }
    if full_run {
        parameters.insert("cigen_skip_cache".into(), "true".into());
    }
    let pipeline = Pipeline {
        parameters,
        branch: "main".into(),
        bin_dir: bin_dir.to_path_buf(),
    };
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
    for workflow in workflows {
        let mut fail_at = |_: &str, _: usize, steps: usize| {
            (rng.u8(..100) < 12).then(|| rng.usize(..steps.max(1)))
        };
        let (more_status, more_logs) = simulationsupport::run_workflow(
            &continuation,
            &workflow,
            &pipeline,
            cache,
            &dir.join("jobs"),
            &mut fail_at,
        );
        status.extend(more_status);
        logs.extend(more_logs);
    }
    Outcome {
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
                    simulationsupport::substitute(&command, pipeline, &Mapping::new());
                if command.trim() == "cigen continue" {
                    command.push_str(" --dry-run");
                }
                let mut bash = pipeline.command(tmp);
                bash.current_dir(repo)
                    .args(["-eo", "pipefail", "-c", &command])
                    .env("CIGEN_TMP", tmp);
                for (name, value) in &environment {
                    let value = simulationsupport::scalar(value);
                    bash.env(
                        simulationsupport::scalar(name),
                        simulationsupport::substitute(&value, pipeline, &Mapping::new()),
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
                simulationsupport::scalar(name),
                simulationsupport::scalar(&spec["default"]),
            )
        })
        .collect()
}

/// The invariants of one pipeline, then what it adds to the history.
fn check(
    fixture: &Fixture,
    flavor: &str,
    full_run: bool,
    outcome: &Outcome,
    history: &mut History,
    tally: &mut Tally,
) -> Result<(), String> {
    let fingerprints = fixture.fingerprints(flavor);
    let ids: BTreeSet<String> = VARIANTS.iter().map(|v| v.id.to_string()).collect();
    if !outcome.skipped.is_subset(&ids) {
        return Err(format!(
            "cigen skipped {:?}, not all hashed variants",
            outcome.skipped
        ));
    }
    let ran: BTreeMap<&str, &simulationsupport::JobLog> = outcome
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
                .insert(fingerprints[variant.id].clone());
        }
    }
    tally.full_runs += usize::from(full_run);
    tally.skips += outcome.skipped.len();
    tally.pipelines_with_skips += usize::from(!outcome.skipped.is_empty());
    Ok(())
}

/// `bin args` in `dir`, asserting success.
fn run_checked(bin: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)]) {
    let output = std::process::Command::new(bin)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .expect("cigen runs");
    assert!(
        output.status.success(),
        "cigen {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Git in the fixture repository with a fixed identity.
fn common_git(repo: &Path) -> impl Fn(&[&str]) + '_ {
    move |args: &[&str]| {
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
}
