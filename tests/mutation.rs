//! Mutation test (issue 9, "Proof that scales"): random small projects —
//! `.cigen/` with single, one-arch and multi-arch jobs, parallel and
//! unhashed ones, `requires` chains (through unhashed jobs and stages),
//! commands, orbs, pipeline values, source groups and a `.gitignore`, and
//! random files, some executable — then, from each project, one random
//! edit of every input kind. Each case asserts that **exactly** the
//! variants whose inputs include the edit, and their hashed dependents,
//! change hash; the expected set comes from the test's own model of what it
//! generated (`mutationsupport`), never from cigen.
//!
//! Hashes come from the library (`config::load` → `model::build` →
//! `plan::build` → `setup::values::read` → `setup::hashes::compute`), the
//! one code path of `cigen hash`/`setup`/`continue`. Most projects live in
//! plain directories (the walk); every fourth is a git work tree (the index:
//! commit, then edit, then maybe stage or commit the edit), whose committed
//! state must hash as the plain copy does.
//!
//! Seeded: `CIGEN_MUTATION_SEED=<seed>` replays a run (the seed is printed at
//! the end and in every failure), `CIGEN_MUTATION_REPO=<n>` replays one
//! project alone, `CIGEN_MUTATION_REPOS=<n>` sets how many projects (12 cases
//! each; default 90, so 1,080 cases).

#[path = "mutationsupport/mod.rs"]
mod mutationsupport;
#[path = "seedsupport/mod.rs"]
mod seedsupport;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use mutationsupport::{ARCHS, Archs, JOB_CLASSES, Project, Step, VALUES, random_file, token};
use seedsupport::{Seed, env_number, report};

/// Environment variable → value, as `cigen setup` would see it.
type Env = BTreeMap<String, String>;
type Hashes = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    FileContent,
    FileAdded,
    FileRemoved,
    Chmod,
    JobField,
    CommandBody,
    OrbVersion,
    UpstreamJob,
    Requires,
    PipelineValue,
    HashSalt,
    ArchClass,
}

const KINDS: [Kind; 12] = [
    Kind::FileContent,
    Kind::FileAdded,
    Kind::FileRemoved,
    Kind::Chmod,
    Kind::JobField,
    Kind::CommandBody,
    Kind::OrbVersion,
    Kind::UpstreamJob,
    Kind::Requires,
    Kind::PipelineValue,
    Kind::HashSalt,
    Kind::ArchClass,
];

/// One edit of a project and the variants it must move.
struct Case {
    description: String,
    project: Project,
    env: Env,
    expected: BTreeSet<String>,
}

#[derive(Default)]
struct Tally {
    cases: usize,
    git_cases: usize,
    /// Cases whose edit must move nothing (a file no job reads, an unhashed job…).
    unmoved: usize,
    moved: usize,
    per_kind: BTreeMap<String, usize>,
    from_index: usize,
    from_content: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.cases += other.cases;
        self.git_cases += other.git_cases;
        self.unmoved += other.unmoved;
        self.moved += other.moved;
        self.from_index += other.from_index;
        self.from_content += other.from_content;
        for (kind, n) in other.per_kind {
            *self.per_kind.entry(kind).or_default() += n;
        }
    }
}

#[test]
fn every_edit_moves_exactly_the_hashes_of_the_variants_it_reaches() {
    let seed = Seed::from_env("CIGEN_MUTATION_SEED");
    let repos = env_number("CIGEN_MUTATION_REPOS").unwrap_or(90);
    let only = env_number("CIGEN_MUTATION_REPO");
    let started = Instant::now();
    let indices: Vec<u64> = match only {
        Some(repo) => vec![repo],
        None => (0..repos).collect(),
    };
    let workers = 2;
    let results: Vec<Result<Tally, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let mine: Vec<u64> = indices
                    .iter()
                    .copied()
                    .skip(worker)
                    .step_by(workers)
                    .collect();
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    for repo in mine {
                        tally.add(run_repo(seed, repo)?);
                    }
                    Ok(tally)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err("worker panicked".into()))
            })
            .collect()
    });
    let mut tally = Tally::default();
    let mut failures = vec![];
    for result in results {
        match result {
            Ok(part) => tally.add(part),
            Err(failure) => failures.push(failure),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nreproduce: {} cargo test --test mutation",
        failures.join("\n\n"),
        seed.reproduce()
    );
    // The default run: no case count or single project asked for.
    if only.is_none() && env_number("CIGEN_MUTATION_REPOS").is_none() {
        assert!(tally.cases >= 1000, "only {} cases", tally.cases);
        assert!(tally.git_cases > 0 && tally.git_cases < tally.cases);
        // Both ways of finding object ids were used: the git index and content.
        assert!(tally.from_index > 0, "no object id came from the index");
        assert!(tally.from_content > 0);
        assert!(tally.unmoved > 0 && tally.unmoved < tally.cases / 2);
    }
    report(&format!(
        "mutation: {} cases ({} in git work trees; {} moving no hash), {} variant hashes moved as expected, {:.1} s; per kind {:?}; seed {} (reproduce: {} cargo test --test mutation)",
        tally.cases,
        tally.git_cases,
        tally.unmoved,
        tally.moved,
        started.elapsed().as_secs_f64(),
        tally.per_kind,
        seed.value,
        seed.reproduce()
    ));
}

/// One random project and one edit of every kind, each applied in place
/// and then undone; `Err` describes the first mismatch and keeps the
/// directory as the failing edit left it.
fn run_repo(seed: Seed, repo: u64) -> Result<Tally, String> {
    let mut rng = seed.rng(repo);
    let base = Project::random(&mut rng);
    let env = random_env(&mut rng);
    let in_git = repo % 4 == 3;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let mut tally = Tally::default();
    let result = (|| {
        let base_hashes = base_hashes(&base, &env, root, in_git, &mut tally)?;
        for kind in KINDS {
            let case = mutate(&base, &env, kind, &mut rng);
            let what = format!("{kind:?}: {}", case.description);
            case.project.write_over(&base, root);
            let staged = if in_git {
                stage(root, &mut rng)?
            } else {
                Staged::No
            };
            let (after, stats) = hashes(root, &case.env).map_err(|err| format!("{what}: {err}"))?;
            tally.from_index += stats.files_from_index;
            tally.from_content += stats.files_hashed_from_content;
            let moved: BTreeSet<String> = base_hashes
                .iter()
                .filter(|(id, hash)| after.get(*id) != Some(*hash))
                .map(|(id, _)| id.clone())
                .collect();
            if moved != case.expected || !after.keys().eq(base_hashes.keys()) {
                return Err(format!(
                    "{what}\n  expected to move: {:?}\n  moved:            {:?}\n  variants after:   {:?}",
                    case.expected,
                    moved,
                    after.keys().collect::<Vec<_>>(),
                ));
            }
            unstage(root, staged)?;
            base.write_over(&case.project, root);
            if in_git {
                // Undone, the tree hashes as before: nothing lingers in the index.
                let (again, _) = hashes(root, &env)?;
                if again != base_hashes {
                    return Err(format!(
                        "{what}: undoing the edit did not restore the hashes"
                    ));
                }
            }
            tally.cases += 1;
            tally.git_cases += usize::from(in_git);
            tally.moved += moved.len();
            tally.unmoved += usize::from(moved.is_empty());
            *tally.per_kind.entry(format!("{kind:?}")).or_default() += 1;
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok(tally),
        Err(err) => Err(format!(
            "seed {} repo {repo} ({}): {err}\n  kept: {}",
            seed.value,
            if in_git {
                "git work tree"
            } else {
                "plain directory"
            },
            dir.keep().display()
        )),
    }
}

/// Writes the base project (committed, in a git work tree) and hashes it;
/// checks that cigen's hashed variants are the model's and, in a work
/// tree, that the index gives the hashes a plain copy gives.
fn base_hashes(
    base: &Project,
    env: &Env,
    root: &Path,
    in_git: bool,
    tally: &mut Tally,
) -> Result<Hashes, String> {
    base.write(root);
    if in_git {
        git(root, &["init", "-q", "-b", "main"])?;
        git(root, &["add", "-A"])?;
        git(root, &["commit", "-q", "-m", "base"])?;
    }
    let (hashes_here, stats) = hashes(root, env).map_err(|err| format!("base project: {err}"))?;
    tally.from_index += stats.files_from_index;
    if stats.index_reads != usize::from(in_git) {
        return Err(format!("index read {} times", stats.index_reads));
    }
    let model = base.hashed_variants();
    if !hashes_here.keys().eq(model.iter()) {
        return Err(format!(
            "cigen hashes {:?}, the model has {model:?}",
            hashes_here.keys().collect::<Vec<_>>()
        ));
    }
    if in_git {
        let plain = tempfile::tempdir().expect("temp dir");
        base.write(plain.path());
        let (walked, _) = hashes(plain.path(), env)?;
        if walked != hashes_here {
            return Err(format!(
                "the committed base hashes differently from its plain copy:\n  git:   {hashes_here:?}\n  plain: {walked:?}"
            ));
        }
    }
    Ok(hashes_here)
}

/// What became of an edit in a git work tree.
#[derive(Clone, Copy)]
enum Staged {
    No,
    Added,
    Committed,
}

/// Leaves the edit in the work tree, stages it, or commits it.
fn stage(root: &Path, rng: &mut fastrand::Rng) -> Result<Staged, String> {
    Ok(match rng.u8(..5) {
        0 => {
            git(root, &["add", "-A"])?;
            Staged::Added
        }
        1 => {
            git(root, &["add", "-A"])?;
            git(root, &["commit", "-q", "--allow-empty", "-m", "edit"])?;
            Staged::Committed
        }
        _ => Staged::No,
    })
}

/// Back to the base commit and index, leaving the work tree as it is.
fn unstage(root: &Path, staged: Staged) -> Result<(), String> {
    match staged {
        Staged::No => Ok(()),
        Staged::Added => git(root, &["reset", "-q"]),
        Staged::Committed => {
            git(root, &["reset", "-q", "--soft", "HEAD~1"])?;
            git(root, &["reset", "-q"])
        }
    }
}

fn git(root: &Path, args: &[&str]) -> Result<(), String> {
    let output = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "core.autocrlf=false", "-c", "core.filemode=true"])
        .args(args)
        .current_dir(root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", root)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .map_err(|err| format!("git: {err}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Every hashed variant's hash, through the library, as `cigen setup`
/// computes them with `env` as its environment.
fn hashes(root: &Path, env: &Env) -> Result<(Hashes, cigen::hash::HashStats), String> {
    let run = || -> cigen::error::Result<(Hashes, cigen::hash::HashStats)> {
        let loaded = cigen::config::load(&root.join(".cigen"))?;
        let project = cigen::model::build(&loaded)?;
        let plans = cigen::plan::build(&project)?;
        let (workflow, plan) = project
            .workflows
            .iter()
            .zip(&plans)
            .find(|(workflow, _)| workflow.trigger.is_none())
            .expect("the dynamic workflow");
        let values =
            cigen::setup::values::read(&project, &workflow.hashed_pipeline_values(), |name| {
                Ok(env.get(name).cloned())
            })?;
        let report = cigen::setup::hashes::compute(&project, workflow, plan, &values)?;
        Ok((report.hashes.into_iter().collect(), report.stats))
    };
    run().map_err(|err| err.to_string())
}

/// Some pipeline values set through their variables, the others left at
/// their defaults.
fn random_env(rng: &mut fastrand::Rng) -> Env {
    let mut env = Env::new();
    for name in VALUES {
        if rng.bool() {
            env.insert(variable(name), token(rng, "val"));
        }
    }
    env
}

/// The variable `cigen setup` reads a pipeline value from.
fn variable(name: &str) -> String {
    match name.strip_prefix("pipeline.parameters.") {
        Some(parameter) => format!("CIGEN_PARAM_{parameter}"),
        None => format!(
            "CIGEN_PIPELINE_{}",
            name.trim_start_matches("pipeline.").replace('.', "_")
        ),
    }
}

/// The value this pipeline has: the variable, else the declared default
/// (parameters) or empty.
fn value_of(project: &Project, env: &Env, name: &str) -> String {
    if let Some(value) = env.get(&variable(name)) {
        return value.clone();
    }
    name.strip_prefix("pipeline.parameters.")
        .and_then(|parameter| project.defaults.get(parameter))
        .cloned()
        .unwrap_or_default()
}

/// One random edit of `kind` and the variants it must move: those whose
/// own inputs it changes, and every hashed variant downstream of them.
fn mutate(base: &Project, env: &Env, kind: Kind, rng: &mut fastrand::Rng) -> Case {
    let mut project = base.clone();
    let mut env = env.clone();
    let jobs_reading = |project: &Project, path: &str| -> Vec<usize> {
        (0..project.jobs.len())
            .filter(|&index| project.job_reads(index, path))
            .collect()
    };
    let (description, direct): (String, BTreeSet<String>) = match kind {
        Kind::FileContent => {
            let path = pick_file(base, rng);
            let file = project.files.get_mut(&path).expect("file");
            file.content = changed_content(&file.content, rng);
            (
                format!("content of {path}"),
                variants_of(base, &jobs_reading(base, &path)),
            )
        }
        Kind::FileAdded => {
            let path = base.random_path(rng);
            project.files.insert(path.clone(), random_file(rng));
            (
                format!("added {path}"),
                variants_of(base, &jobs_reading(base, &path)),
            )
        }
        Kind::FileRemoved => {
            let in_use = base.patterns_in_use();
            let removable: Vec<&String> = base
                .files
                .keys()
                .filter(|path| {
                    in_use
                        .iter()
                        .all(|pattern| base.counting_matches(pattern, Some(path.as_str())) >= 1)
                })
                .collect();
            let path = pick(rng, removable).clone();
            project.files.remove(&path);
            (
                format!("removed {path}"),
                variants_of(base, &jobs_reading(base, &path)),
            )
        }
        Kind::Chmod => {
            let path = pick_file(base, rng);
            let file = project.files.get_mut(&path).expect("file");
            file.exec = !file.exec;
            (
                format!("chmod {} {path}", if file.exec { "+x" } else { "-x" }),
                variants_of(base, &jobs_reading(base, &path)),
            )
        }
        Kind::JobField | Kind::UpstreamJob => {
            let upstream = base.upstream_jobs();
            let index = if kind == Kind::UpstreamJob && !upstream.is_empty() {
                upstream[rng.usize(..upstream.len())]
            } else {
                rng.usize(..base.jobs.len())
            };
            let what = edit_job(&mut project, index, rng);
            (
                format!("{what} of job {}", base.jobs[index].id()),
                variants_of(base, &[index]),
            )
        }
        Kind::CommandBody => {
            let k = rng.usize(..base.commands.len());
            let name = base.commands[k].name.clone();
            project.commands[k].steps[0] = Step::Run(token(rng, "cmd"));
            let users: Vec<usize> = (0..base.jobs.len())
                .filter(|&index| base.commands_used(index).contains(&name))
                .collect();
            (format!("body of command {name}"), variants_of(base, &users))
        }
        Kind::OrbVersion => {
            let alias = pick(rng, base.orbs.keys()).clone();
            let old = base.orbs[&alias].clone();
            let mut version = old.clone();
            while version == old {
                version = format!("{}.{}.{}", rng.u8(4..=7), rng.u8(..10), rng.u8(..10));
            }
            project.orbs.insert(alias.clone(), version.clone());
            let users: Vec<usize> = (0..base.jobs.len())
                .filter(|&index| base.orbs_used(index).contains(&alias))
                .collect();
            (
                format!("orb {alias} {old} -> {version}"),
                variants_of(base, &users),
            )
        }
        Kind::Requires => return edit_requires(base, &env, rng),
        Kind::PipelineValue => {
            let name = VALUES[rng.usize(..VALUES.len())];
            let old = value_of(base, &env, name);
            let mut new = old.clone();
            while new == old {
                new = token(rng, "val");
            }
            let parameter = name.strip_prefix("pipeline.parameters.");
            let how = match parameter {
                Some(parameter) if !env.contains_key(&variable(name)) && rng.bool() => {
                    project.defaults.insert(parameter.to_string(), new.clone());
                    "default"
                }
                _ => {
                    env.insert(variable(name), new.clone());
                    "variable"
                }
            };
            let users: Vec<usize> = (0..base.jobs.len())
                .filter(|&index| base.values_used(index).contains(name))
                .collect();
            (
                format!("{name} {old:?} -> {new:?} (by its {how})"),
                variants_of(base, &users),
            )
        }
        Kind::HashSalt => {
            project.salt = match &base.salt {
                Some(_) if rng.bool() => None,
                _ => Some(token(rng, "salt")),
            };
            (
                format!("hash_salt {:?} -> {:?}", base.salt, project.salt),
                base.hashed_variants(),
            )
        }
        Kind::ArchClass => {
            let slot = rng.usize(..ARCHS.len());
            let arch = project.arch_classes[slot].0.clone();
            let taken: Vec<String> = base.arch_classes.iter().map(|(_, c)| c.clone()).collect();
            let class = pick(
                rng,
                ["small", "medium+", "arm.large", "arm.xlarge"]
                    .into_iter()
                    .filter(|class| !taken.iter().any(|t| t == class)),
            );
            project.arch_classes[slot].1 = class.to_string();
            // Only jobs that declare the arch take its class, unless they set their own.
            let direct = base
                .jobs
                .iter()
                .filter(|job| job.hashed() && job.resource_class.is_none())
                .filter(|job| match &job.archs {
                    Archs::Default => false,
                    Archs::One(one) => one == &arch,
                    Archs::Both => true,
                })
                .flat_map(|job| job.variants())
                .filter(|(_, variant_arch)| variant_arch == &arch)
                .map(|(id, _)| id)
                .collect();
            (format!("resource class of arch {arch} -> {class}"), direct)
        }
    };
    let expected = downstream(&project, &direct);
    Case {
        description,
        project,
        env,
        expected,
    }
}

/// Adds a `requires` (or, when every possible one exists, removes one):
/// the variants whose nearest hashed upstream variants change move, and
/// everything hashed downstream of them.
fn edit_requires(base: &Project, env: &Env, rng: &mut fastrand::Rng) -> Case {
    let mut project = base.clone();
    let mut missing = vec![];
    for (index, job) in base.jobs.iter().enumerate() {
        for earlier in 0..index {
            if !job.requires.contains(&earlier) {
                missing.push((index, earlier));
            }
        }
    }
    let description = if !missing.is_empty() {
        let (index, earlier) = missing[rng.usize(..missing.len())];
        project.jobs[index].requires.push(earlier);
        format!(
            "job {} now requires {}",
            base.jobs[index].id(),
            base.jobs[earlier].id()
        )
    } else {
        let index = pick(
            rng,
            (0..base.jobs.len()).filter(|&i| !base.jobs[i].requires.is_empty()),
        );
        let dropped = project.jobs[index].requires.remove(0);
        format!(
            "job {} no longer requires {}",
            base.jobs[index].id(),
            base.jobs[dropped].id()
        )
    };
    let hashed = base.hashed_variants();
    let (before, after) = (base.graph(), project.graph());
    let direct: BTreeSet<String> = hashed
        .iter()
        .filter(|id| nearest_hashed(&before, &hashed, id) != nearest_hashed(&after, &hashed, id))
        .cloned()
        .collect();
    let expected = downstream(&project, &direct);
    Case {
        description,
        project,
        env: env.clone(),
        expected,
    }
}

/// Edits one field of job `index`; returns which.
fn edit_job(project: &mut Project, index: usize, rng: &mut fastrand::Rng) -> String {
    let job = &mut project.jobs[index];
    match rng.u8(..5) {
        0 => {
            let old = job.image.clone();
            while job.image == old {
                job.image = format!("cimg/base:2025.{:02}", rng.u8(1..=12));
            }
            "image".into()
        }
        1 => {
            match job
                .steps
                .iter()
                .position(|step| matches!(step, Step::Run(_)))
            {
                Some(at) => job.steps[at] = Step::Run(token(rng, "run")),
                None => job.steps.push(Step::Run(token(rng, "run"))),
            }
            "a step".into()
        }
        2 => {
            job.env
                .push((format!("E{}", job.env.len()), token(rng, "e")));
            "environment".into()
        }
        3 => {
            let old = job.resource_class.clone();
            while job.resource_class == old {
                job.resource_class = if old.is_some() && rng.bool() {
                    None
                } else {
                    Some(JOB_CLASSES[rng.usize(..JOB_CLASSES.len())].to_string())
                };
            }
            "resource class".into()
        }
        _ => {
            job.parallelism = match job.parallelism {
                None => Some(2),
                Some(2) => Some(3),
                Some(_) => None,
            };
            "parallelism".into()
        }
    }
}

/// The variants of the given jobs, hashed ones only.
fn variants_of(project: &Project, jobs: &[usize]) -> BTreeSet<String> {
    jobs.iter()
        .map(|&index| &project.jobs[index])
        .filter(|job| job.hashed())
        .flat_map(|job| job.variants().into_iter().map(|(id, _)| id))
        .collect()
}

/// `direct` and every hashed variant that requires one of them, directly
/// or through other jobs (hashed or not).
fn downstream(project: &Project, direct: &BTreeSet<String>) -> BTreeSet<String> {
    let graph = project.graph();
    let hashed = project.hashed_variants();
    let mut seen: BTreeSet<String> = direct.clone();
    let mut stack: Vec<String> = direct.iter().cloned().collect();
    while let Some(current) = stack.pop() {
        for (id, requires) in &graph {
            if requires.contains(&current) && seen.insert(id.clone()) {
                stack.push(id.clone());
            }
        }
    }
    seen.intersection(&hashed).cloned().collect()
}

/// The hashed variants `id` reaches first on each path up the graph.
fn nearest_hashed(
    graph: &BTreeMap<String, BTreeSet<String>>,
    hashed: &BTreeSet<String>,
    id: &str,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<&String> = graph[id].iter().collect();
    while let Some(current) = stack.pop() {
        if !seen.insert(current.clone()) {
            continue;
        }
        if hashed.contains(current) {
            found.insert(current.clone());
        } else {
            stack.extend(graph[current].iter());
        }
    }
    found
}

/// New content: the same length with one digit changed, or longer.
fn changed_content(old: &str, rng: &mut fastrand::Rng) -> String {
    if rng.bool()
        && let Some(at) = old.rfind(|c: char| c.is_ascii_digit())
    {
        let digit = old.as_bytes()[at] - b'0';
        let new = (digit + rng.u8(1..10)) % 10;
        let mut bytes = old.as_bytes().to_vec();
        bytes[at] = b'0' + new;
        return String::from_utf8(bytes).expect("ascii");
    }
    format!("{old}more\n")
}

/// A file, three times in four one that some hashed job reads.
fn pick_file(project: &Project, rng: &mut fastrand::Rng) -> String {
    let read: Vec<&String> = project
        .files
        .keys()
        .filter(|path| (0..project.jobs.len()).any(|index| project.job_reads(index, path)))
        .collect();
    if !read.is_empty() && rng.u8(..4) != 0 {
        return pick(rng, read).clone();
    }
    pick(rng, project.files.keys()).clone()
}

fn pick<T>(rng: &mut fastrand::Rng, items: impl IntoIterator<Item = T>) -> T {
    let items: Vec<T> = items.into_iter().collect();
    assert!(!items.is_empty(), "nothing to pick from");
    let at = rng.usize(..items.len());
    items.into_iter().nth(at).expect("in range")
}
